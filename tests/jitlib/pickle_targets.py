"""Module-level functions for tests/jitlib/test_pickling.py: plain pickle stores these by
name, and another process imports them from here."""

import numpy as np

import jitlib as jl


def loss(w, x):
    return np.mean(np.tanh(x @ w) ** 2)


@jl.jit
def jitted_layernorm(x):
    mean = x.mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-5)


@jl.jit(static_argnums=1)
def jitted_power(x, k):
    return x**k


@jl.custom_vjp
def clipped(x):
    return x * 1.0


clipped.defvjp(lambda x: (clipped(x), None), lambda _, ct: (np.clip(ct, -0.5, 0.5),))


@jl.custom_jvp
def softplus(x):
    return np.log1p(np.exp(x))


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t / (1.0 + np.exp(-x))


grad_loss = jl.grad(loss)


def clipped_loss(x):
    return clipped(x).sum() * 3.0


def softplus_total(x):
    return softplus(x).sum()
