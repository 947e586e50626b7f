"""grad, vmap, jacrev and hessian compiled by the Triton backend (its kernels run in Triton's
interpreter without a GPU): transformed functions go through the same fusion planner as
any other, so each is checked against the numpy backend's result and against an
independent reference: float64 central differences of the eager numpy function for
gradients, loop-and-stack for vmap. Inputs are random with fixed seeds and kept small.
"""

from typing import NamedTuple

import numpy as np
import pytest

import jitlib as jl
from codegen import triton_emitter

EPS = 1e-6
RTOL, ATOL = 1e-10, 1e-12  # Triton against the numpy backend, both in float64
FD_RTOL, FD_ATOL = 1e-5, 1e-7  # against central differences


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def close(got, expected, rtol=RTOL, atol=ATOL):
    got_leaves, got_tree = jl.tree_flatten(got)
    expected_leaves, expected_tree = jl.tree_flatten(expected)
    assert got_tree == expected_tree
    for g, e in zip(got_leaves, expected_leaves):
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=rtol, atol=atol)


# --- references, independent of jitlib ----------------------------------------------------
def directional(f, args: tuple, directions: tuple):
    """d/de f(args + e * directions) at e = 0, by central differences (f evaluated eagerly)."""
    plus = f(*[a + EPS * d for a, d in zip(args, directions)])
    minus = f(*[a - EPS * d for a, d in zip(args, directions)])
    return (np.asarray(plus) - np.asarray(minus)) / (2 * EPS)


def check_grad(f, args: tuple, grads: tuple, argnums: tuple, seed=1):
    """<grads, v> equals the directional derivative of f along a random v in the
    differentiated arguments, the others held fixed."""

    def partial(*differentiated):
        full = list(args)
        for i, value in zip(argnums, differentiated):
            full[i] = value
        return f(*full)

    directions = tuple(rand(*np.shape(args[i]), seed=seed + k) for k, i in enumerate(argnums))
    projected = sum(np.sum(g * d) for g, d in zip(grads, directions))
    expected = directional(partial, tuple(args[i] for i in argnums), directions)
    close(projected, expected, FD_RTOL, FD_ATOL)


def jacobian_fd(f, x):
    """The Jacobian of f at x (shape out + x.shape), one central difference per entry."""
    columns = [directional(f, (x,), (e.reshape(x.shape),)) for e in np.eye(x.size)]
    return np.stack(columns, axis=-1).reshape(*np.shape(f(x)), *x.shape)


def loop_and_stack(f, in_axes: tuple, args: tuple):
    """f per example of the mapped arguments, results stacked along axis 0."""
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = []
    for i in range(size):
        example = [a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)]
        outs.append(f(*example))
    return jl.tree_map(lambda *leaves: np.stack(leaves), *outs)


# --- scalar losses --------------------------------------------------------------------------
def softmax_cross_entropy(w, x, onehot):
    """Mean cross-entropy of softmax(x @ w) against one-hot labels."""
    logits = x @ w
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -(onehot * log_probs).sum(axis=1).mean()


def mlp_loss(w1, b1, w2, x, y):
    """Mean squared error of a one-hidden-layer tanh network on a batch."""
    hidden = np.tanh(x @ w1 + b1)
    return ((hidden @ w2 - y) ** 2).mean()


def layernorm_loss(x, gamma, beta):
    """A weighted sum of layer-normalised rows."""
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    normed = (x - mean) / np.sqrt(var + 1e-5) * gamma + beta
    return (np.sin(normed) * np.arange(1.0, x.shape[-1] + 1)).sum()


def embedding_loss(table, index, target):
    """Squared error of looked-up rows; repeated indices add up in the gradient."""
    return ((np.tanh(table[index]) - target) ** 2).sum()


def relu_loss(w, x):
    """A ReLU layer made with np.maximum, then a squared norm."""
    return (np.maximum(x @ w, 0.0) ** 2).sum()


def column_loss(x):
    """Reductions over axis 0: a sum and a max per column."""
    return (np.tanh(x).sum(axis=0) ** 2).sum() + (x.max(axis=0) * np.cos(x[0])).sum()


def broadcast_loss(a, b):
    """Broadcasting (n, 1) against (m,), a division and a logarithm of a positive value."""
    outer = a[:, None] * np.exp(0.3 * b) / (1.0 + b**2)
    return np.log(1.0 + outer**2).sum()


def cond_loss(x, w):
    """jl.cond on the sign of x.sum(); each branch differentiable."""
    chosen = jl.cond(x.sum() > 0, lambda a: np.sin(a) * w, lambda a: a * a - w, x)
    return (chosen**2).sum()


def scan_loss(xs, w):
    """A tanh recurrence with jl.scan; the loss reads the last state and every output."""

    def step(h, x):
        h = np.tanh(h * w + x)
        return h, (h * h).sum()

    h, ys = jl.scan(step, w * 0.0, xs)
    return h.sum() + (ys * np.arange(1.0, xs.shape[0] + 1)).sum()


class GradCase(NamedTuple):
    fn: object
    args: tuple
    argnums: tuple


def _onehot(n, classes, seed):
    return np.eye(classes)[np.random.default_rng(seed).integers(0, classes, n)]


GRAD_CASES = {
    "softmax_cross_entropy": GradCase(
        softmax_cross_entropy, (rand(3, 4), rand(5, 3, seed=2), _onehot(5, 4, seed=3)), (0,)
    ),
    "mlp_loss": GradCase(
        mlp_loss,
        (rand(3, 4), rand(4, seed=2), rand(4, 2, seed=3), rand(5, 3, seed=4), rand(5, 2, seed=5)),
        (0, 1, 2),
    ),
    "layernorm": GradCase(
        layernorm_loss, (rand(3, 5), rand(5, seed=2), rand(5, seed=3)), (0, 1, 2)
    ),
    "embedding": GradCase(
        embedding_loss, (rand(5, 3), np.array([0, 3, 3, 1, -1]), rand(5, 3, seed=2)), (0, 2)
    ),
    "relu": GradCase(relu_loss, (rand(3, 4), rand(5, 3, seed=2)), (0, 1)),
    "column_reductions": GradCase(column_loss, (rand(5, 3),), (0,)),
    "broadcast": GradCase(broadcast_loss, (rand(4), rand(3, seed=2)), (0, 1)),
    "cond_true": GradCase(cond_loss, (np.abs(rand(5)), rand(5, seed=2)), (0, 1)),
    "cond_false": GradCase(cond_loss, (-np.abs(rand(5)), rand(5, seed=2)), (0, 1)),
    "scan": GradCase(scan_loss, (rand(4, 3), rand(3, seed=2)), (0, 1)),
}


@pytest.mark.parametrize("case", GRAD_CASES.values(), ids=GRAD_CASES.keys())
def test_grad_matches_numpy_backend_and_finite_differences(case):
    fn, args, argnums = case
    grads = jl.jit(jl.grad(fn, argnums=argnums), backend="triton")(*args)
    close(grads, jl.jit(jl.grad(fn, argnums=argnums), backend="numpy")(*args))
    for g, i in zip(grads, argnums):
        assert g.dtype == np.float64 and g.shape == np.shape(args[i])
    check_grad(fn, args, grads, argnums)


def test_gather_gradient_runs_scatter_add_on_the_device():
    fn, args, argnums = GRAD_CASES["embedding"]
    lowered = jl.jit(jl.grad(fn, argnums=argnums), backend="triton").lower(*args)
    assert "scatter_add" not in triton_emitter.emit(lowered.ir).host_steps
    assert "scatter.launch(" in triton_emitter.emit(lowered.ir).source
    # rows 3 (twice) and 4 (as -1) collect their examples' gradients; row 2 gets none
    table_grad = jl.jit(jl.grad(fn), backend="triton")(*args)
    np.testing.assert_array_equal(table_grad[2], 0.0)
    assert np.all(table_grad[[0, 1, 3, 4]] != 0.0)


def test_float32_gradient_stays_float32():
    fn, args, argnums = GRAD_CASES["mlp_loss"]
    single = [a.astype(np.float32) for a in args]
    grads = jl.jit(jl.grad(fn, argnums=argnums), backend="triton")(*single)
    expected = jl.jit(jl.grad(fn, argnums=argnums), backend="numpy")(*single)
    assert all(g.dtype == np.float32 for g in grads)
    close(grads, expected, 1e-5, 1e-6)
    check_grad(fn, args, [g.astype(np.float64) for g in grads], argnums)  # float32 accuracy


# --- vmap and Jacobians ---------------------------------------------------------------------
def example_loss(w1, b1, w2, x, y):
    """mlp_loss of one example: x (3,), y (2,)."""
    return mlp_loss(w1, b1, w2, x[None], y[None])


def example_grads_numpy(w1, b1, w2, x, y):
    """The hand-written gradient of example_loss with respect to (w1, b1, w2)."""
    hidden = np.tanh(x @ w1 + b1)
    d_out = 2 * (hidden @ w2 - y) / y.size
    d_pre = (w2 @ d_out) * (1 - hidden**2)  # d tanh = 1 - tanh^2
    return np.outer(x, d_pre), d_pre, np.outer(hidden, d_out)


def test_per_example_gradients_match_a_loop():
    w1, b1, w2 = rand(3, 4), rand(4, seed=2), rand(4, 2, seed=3)
    xs, ys = rand(6, 3, seed=4), rand(6, 2, seed=5)
    per_example = jl.vmap(jl.grad(example_loss, argnums=(0, 1, 2)), in_axes=(None,) * 3 + (0, 0))
    got = jl.jit(per_example, backend="triton")(w1, b1, w2, xs, ys)
    in_axes = (None, None, None, 0, 0)
    close(got, loop_and_stack(example_grads_numpy, in_axes, (w1, b1, w2, xs, ys)), 1e-10, 1e-12)
    close(got, jl.jit(per_example, backend="numpy")(w1, b1, w2, xs, ys))


def row_fn(row, w):
    """A normalised, nonlinear function of one row (3,) with a shared weight (3,)."""
    return np.tanh(row * w) / np.sqrt((row**2).sum() + 1.0) + row.max()


@pytest.mark.parametrize("axis", [0, 1])
def test_vmap_of_a_row_function_matches_loop_and_stack(axis):
    rows, w = rand(5, 3) if axis == 0 else rand(3, 5), rand(3, seed=2)
    mapped = jl.vmap(row_fn, in_axes=(axis, None))
    got = jl.jit(mapped, backend="triton")(rows, w)
    assert got.shape == (5, 3)
    close(got, loop_and_stack(row_fn, (axis, None), (rows, w)))
    close(got, jl.jit(mapped, backend="numpy")(rows, w))


def vector_fn(x):
    """A nonlinear (n,) -> (n,) function mixing every entry."""
    return np.tanh(x) * np.exp(0.2 * x).sum() + np.sin(x) * x[::-1]


def test_jacrev_matches_finite_differences():
    x = rand(6)
    got = jl.jit(jl.jacrev(vector_fn), backend="triton")(x)
    close(got, jacobian_fd(vector_fn, x), FD_RTOL, FD_ATOL)
    close(got, jl.jit(jl.jacrev(vector_fn), backend="numpy")(x))


def test_hessian_matches_the_analytic_one():
    def f(x):
        return (np.sin(x) * x**2).sum() + x.sum() ** 2

    x = rand(5)
    got = jl.jit(jl.hessian(f), backend="triton")(x)
    # d2/dx2 sin(x) x^2 = (2 - x^2) sin(x) + 4 x cos(x); (sum x)^2 adds 2 everywhere
    expected = np.diag((2 - x**2) * np.sin(x) + 4 * x * np.cos(x)) + 2.0
    close(got, expected, 1e-10, 1e-12)
    close(got, jl.jit(jl.hessian(f), backend="numpy")(x))


# --- one trace for many sizes ---------------------------------------------------------------
def test_jitted_grad_traces_once_for_three_batch_sizes():
    # no parameter dim is 3, 4 or 5: a batch size equal to one would be another signature
    w1, b1, w2 = rand(7, 6), rand(6, seed=2), rand(6, 2, seed=3)
    jitted = jl.jit(jl.grad(mlp_loss, argnums=(0, 1, 2)), backend="triton")
    for n in (3, 5, 4):
        x, y = rand(n, 7, seed=n), rand(n, 2, seed=n + 10)
        grads = jitted(w1, b1, w2, x, y)
        check_grad(mlp_loss, (w1, b1, w2, x, y), grads, (0, 1, 2))
    assert jitted.cache_info() == (2, 1, 1)


def test_output_shape_equal_to_the_domain_only_under_a_guard():
    """Regression: a (6, s0) output of a reduction over (6, 6) rows, equal only under the
    guard s0 == 6, crashed the emitter (it compared shapes outside the guards)."""

    def f(x):
        a = np.tanh(x.reshape(2, 3)).reshape(-1)
        return (a[:, None] * a).sum(axis=1)[:, None] * x

    x = np.random.default_rng(5).standard_normal(6)
    np.testing.assert_allclose(jl.jit(f, backend="triton")(x), f(x), rtol=1e-12)
    jac = jl.jit(jl.jacrev(lambda x: np.tanh(x.reshape(2, 3)).sum(axis=0)), backend="triton")
    want = np.zeros((3, 6))
    for j in range(6):
        want[j % 3, j] = 1 - np.tanh(x[j]) ** 2
    np.testing.assert_allclose(jac(x), want, rtol=1e-12, atol=1e-15)
