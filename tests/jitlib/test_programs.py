"""Whole user programs (a transformer block, k-means, batch norm, a clipped update, a Python
loop) under jit agree with eager numpy at three batch sizes, tracing once where the sizes stay symbolic."""

import numpy as np
import pytest

import jitlib as jl


def block(x, wq, wk, wv, wo, g):
    h = x / np.sqrt((x**2).mean(-1, keepdims=True) + 1e-6) * g
    q, k, v = h @ wq, h @ wk, h @ wv
    B, T, D = q.shape
    q = q.reshape(B, T, 2, D // 2).transpose(0, 2, 1, 3)
    k = k.reshape(B, T, 2, D // 2).transpose(0, 2, 1, 3)
    v = v.reshape(B, T, 2, D // 2).transpose(0, 2, 1, 3)
    s = q @ k.swapaxes(-1, -2) / np.sqrt(D // 2)
    mask = np.arange(T)[:, None] >= np.arange(T)[None, :]  # causal
    s = np.where(mask, s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p = p / p.sum(-1, keepdims=True)
    o = (p @ v).transpose(0, 2, 1, 3).reshape(B, T, D)
    return x + o @ wo


def kmeans_step(x, c):
    d = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    a = d.argmin(1)
    onehot = (a[:, None] == np.arange(c.shape[0])[None, :]).astype(x.dtype)
    return (onehot.T @ x) / np.maximum(onehot.sum(0), 1)[:, None], a


def batchnorm(x, eps=1e-5):
    m = x.mean(axis=0)
    v = x.var(axis=0)
    return (x - m) / np.sqrt(v + eps), np.std(x, axis=0, ddof=1)


def clipped(p, g, lr):
    n = np.sqrt(np.sum(g * g))
    g = g * np.minimum(1.0, 1.0 / (n + 1e-12))
    return p - lr * g, n


def loop(x):
    acc = np.zeros_like(x[0])
    for i in range(x.shape[0]):
        acc = acc * 0.5 + x[i]
    return acc, x[-1], x[::2].sum(), np.concatenate([x[:1], x[1:] * 2])


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def make(name, batch, rng):
    if name == "block":
        return (f32(rng, batch, 5, 8), *[f32(rng, 8, 8) for _ in range(4)], f32(rng, 8))
    if name == "kmeans_step":
        return f32(rng, 5 * batch, 3), f32(rng, 4, 3)
    if name == "batchnorm":
        return (f32(rng, 8 * batch, 6),)
    if name == "clipped":
        return f32(rng, 5 * batch), f32(rng, 5 * batch), 0.1
    return (f32(rng, batch + 2, 3),)


PROGRAMS = {
    "block": block,
    "kmeans_step": kmeans_step,
    "batchnorm": batchnorm,
    "clipped": clipped,
    "loop": loop,
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_numpy_at_three_sizes(name):
    fn = PROGRAMS[name]
    jitted = jl.jit(fn)
    rng = np.random.default_rng(7)
    for batch in (2, 3, 4):
        args = make(name, batch, rng)
        got, _ = jl.tree_flatten(jitted(*args))
        want, _ = jl.tree_flatten(fn(*args))
        for g, w in zip(got, want, strict=True):
            g, w = np.asarray(g), np.asarray(w)
            assert (g.dtype, g.shape) == (w.dtype, w.shape)
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    # `range(x.shape[0])` unrolls, guarded by the length; everything else stays symbolic
    assert jitted.cache_info().misses == (3 if name == "loop" else 1)
