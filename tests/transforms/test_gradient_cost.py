"""Named regressions for the work in common gradients (issue 13, "never slower than eager"):
the equations of the optimised IR, and its full-size passes (each equation other than a view,
a constant or a matmul that reads or writes a 2-D array: one numpy call over the data in the
numpy backend's code). Each gradient's values are pinned against a hand-written one in
float64, so a count can only go down by an exact rewrite.

Where the counts came from (before -> after, at the commit that added this file):
- relu MLP, mean squared error: 27 equations, 13 passes -> 28, 12. The gradient of d * d
  (ct * d + ct * d, ct = 1/n) is one pass: (2/n) * d (two scalar equations more). ReLU's ties term (0.5 where x == 0)
  keeps its compare-and-convert form: a select is fewer passes, but numpy's `where` on a
  random mask runs several times slower than the converts it would replace.
- softmax cross-entropy: 31, 17 -> 29, 14; logsumexp: 21, 13 -> 19, 11. sum(ct * -1) is
  -sum(ct) (one pass less, twice in cross-entropy), and the max's gradient divides by the
  count of ties once per row instead of once per element. That gradient is not dropped: it
  is -sum(ct) over a row, zero only in exact arithmetic, which the IR cannot prove.
- with jl.stop_gradient on the max (the result does not depend on the shift): cross-entropy
  21, 9 -> 20, 8 and logsumexp 8, 5, as many passes as the eager hand-written gradient.
"""

import numpy as np
import pytest

import ir
import jitlib as jl

# rows, inputs, hidden units, outputs (classes): distinct sizes, so each dim has its own symbol
N, D, H, C = 64, 32, 48, 16


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _full_size(value: ir.Value) -> bool:
    return sum(not isinstance(d, int) for d in value.type.shape) >= 2


def cost(fn: ir.Function) -> tuple:
    """(equations, full-size passes) of an optimised function."""
    passes = 0
    for eqn in fn.eqns:
        if "view" in eqn.op.tags or eqn.op.name in ("constant", "dim", "matmul"):
            continue
        passes += any(_full_size(v) for v in (*eqn.inputs, *eqn.outputs))
    return len(fn.eqns), passes


def mlp_loss(params, x, y):
    w1, b1, w2 = params
    h = np.maximum(x @ w1 + b1, 0.0)
    d = h @ w2 - y
    return (d * d).mean()


def mlp_grad_by_hand(params, x, y):
    w1, b1, w2 = params
    pre = x @ w1 + b1
    h = np.maximum(pre, 0.0)
    ct = (h @ w2 - y) * (2.0 / (N * C))
    ct_pre = (ct @ w2.T) * (pre > 0)
    return x.T @ ct_pre, ct_pre.sum(axis=0), h.T @ ct


def cross_entropy(logits, targets, stop=lambda m: m):
    shifted = logits - stop(logits.max(axis=-1, keepdims=True))
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -(targets * log_probs).sum(axis=-1).mean()


def cross_entropy_grad_by_hand(logits, targets):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    softmax = e / e.sum(axis=-1, keepdims=True)
    return (softmax * targets.sum(axis=-1, keepdims=True) - targets) / N


def logsumexp(x, stop=lambda m: m):
    top = stop(x.max(axis=-1))
    return (np.log(np.exp(x - top[:, None]).sum(axis=-1)) + top).sum()


def logsumexp_grad_by_hand(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _mlp_args():
    params = (rand(D, H) / np.sqrt(D), rand(H, seed=1), rand(H, C, seed=2) / np.sqrt(H))
    return params, rand(N, D, seed=3), rand(N, C, seed=4)


def _logits():
    return 3.0 * rand(N, C, seed=5)


def _targets():
    return np.eye(C)[np.random.default_rng(6).integers(0, C, N)]


def _stopped(f):
    def stopped(*args):
        return f(*args, stop=jl.stop_gradient)

    return stopped


CASES = {  # name: (function, arguments, hand-written gradient, (equations, passes))
    "relu_mlp_mse": (mlp_loss, _mlp_args(), mlp_grad_by_hand, (28, 12)),
    "softmax_cross_entropy": (
        cross_entropy,
        (_logits(), _targets()),
        cross_entropy_grad_by_hand,
        (29, 14),
    ),
    "softmax_cross_entropy_stopped_max": (
        _stopped(cross_entropy),
        (_logits(), _targets()),
        cross_entropy_grad_by_hand,
        (20, 8),
    ),
    "logsumexp": (logsumexp, (_logits(),), logsumexp_grad_by_hand, (19, 11)),
    "logsumexp_stopped_max": (
        _stopped(logsumexp),
        (_logits(),),
        logsumexp_grad_by_hand,
        (8, 5),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_cost_does_not_regress(name):
    f, args, _, expected = CASES[name]
    as_float32 = jl.tree_map(lambda a: a.astype(np.float32), args)
    lowered = jl.jit(jl.grad(f)).lower(*as_float32).ir
    assert cost(lowered) == expected, ir.as_text(lowered)


@pytest.mark.parametrize("backend", ["numpy", "triton"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_the_hand_written_one(name, backend):
    f, args, by_hand, _ = CASES[name]
    got = jl.jit(jl.grad(f), backend=backend)(*args)
    expected = by_hand(*args)
    for g, e in zip(jl.tree_flatten(got)[0], jl.tree_flatten(expected)[0]):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-13)


def test_max_ties_share_the_cotangent_as_before():
    """Three ties in a row: each gets ct / 3 (the division is per row now, not per element)."""
    x = np.array([[2.0, 2.0, -1.0, 2.0], [0.0, 1.0, 3.0, -2.0]])
    ct = np.array([0.75, -1.7])
    grad = jl.jit(jl.grad(lambda x: (x.max(axis=1) * ct).sum()))(x)
    np.testing.assert_array_equal(grad, [[0.25, 0.25, 0.0, 0.25], [0.0, 0.0, -1.7, 0.0]])
