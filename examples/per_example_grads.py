"""Per-example gradients: `jl.vmap(jl.grad(loss))` gives the gradient of every example's loss
in one vectorised call, where plain numpy would need a Python loop (or the backward pass
worked out by hand for a whole batch). Their norms are what gradient clipping per example
(as in DP-SGD) and spotting outlier examples need.

Run: python examples/per_example_grads.py
"""

import time

import numpy as np

import jitlib as jl


def loss(params: tuple, x, y):
    """The logistic loss of ONE example: x is a row of features, y is -1 or 1."""
    w1, b1, w2, b2 = params  # a small tanh MLP with one output
    logit = np.tanh(x @ w1 + b1) @ w2 + b2
    return np.logaddexp(0.0, -y * logit)  # log(1 + exp(-y logit)), without overflow


# in_axes: params are shared (None); x and y are mapped over their rows (0).
# The result has params' structure, each gradient with a leading axis of one per example.
per_example_grads = jl.vmap(jl.grad(loss), in_axes=(None, 0, 0))


@jl.jit
def per_example_norms(params, x, y):
    """The norm of each example's whole gradient (all parameters together)."""
    grads = per_example_grads(params, x, y)
    squares = [(g * g).reshape(g.shape[0], -1).sum(axis=1) for g in grads]
    return np.sqrt(sum(squares))


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> float:
    rng = np.random.default_rng(0)
    examples, features, hidden = 256, 16, 32
    x = rng.standard_normal((examples, features)).astype(np.float32)
    y = np.where(x[:, 0] + 0.3 * rng.standard_normal(examples) > 0, 1.0, -1.0).astype(np.float32)
    params = (
        (rng.standard_normal((features, hidden)) / np.sqrt(features)).astype(np.float32),
        np.zeros(hidden, np.float32),
        (rng.standard_normal(hidden) / np.sqrt(hidden)).astype(np.float32),
        np.float32(0.0),
    )

    grads = per_example_grads(params, x, y)  # the first call traces, transforms and compiles
    print("per-example gradient shapes:", [g.shape for g in grads])

    # The same gradients, one example at a time, with a Python loop.
    grad = jl.grad(loss)
    grad(params, x[0], y[0])  # compile it before timing
    start = time.perf_counter()
    looped = [grad(params, x[i], y[i]) for i in range(examples)]
    loop_ms = (time.perf_counter() - start) * 1e3
    vmap_ms = min(timed(per_example_grads, params, x, y) for _ in range(5)) * 1e3
    print(f"{examples} examples: vmap(grad) {vmap_ms:.2f} ms, a loop of grad {loop_ms:.1f} ms")

    difference = 0.0
    for i, one in enumerate(looped):
        for g_vmap, g_loop in zip(grads, one):
            np.testing.assert_allclose(g_vmap[i], g_loop, rtol=1e-4, atol=1e-6)
            difference = max(difference, float(np.abs(g_vmap[i] - g_loop).max()))
    print(f"max difference, vmap vs loop: {difference:.1e}")

    norms = per_example_norms(params, x, y)
    loop_norms = [np.sqrt(sum(float((g * g).sum()) for g in one)) for one in looped]
    np.testing.assert_allclose(norms, loop_norms, rtol=1e-4)
    largest = np.argsort(norms)[-3:][::-1]
    print(f"largest gradient norms: examples {largest.tolist()}, {np.round(norms[largest], 3)}")
    norms_ms = min(timed(per_example_norms, params, x, y) for _ in range(5)) * 1e3
    print(f"jl.jit of vmap(grad) and the norms together: {norms_ms:.2f} ms per call")
    return difference


if __name__ == "__main__":
    main()
