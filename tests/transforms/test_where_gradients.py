"""Reverse mode through np.where's unchosen branch: where that branch's own derivative is
inf or NaN (log and 1/x at 0, sqrt at 0, arcsin at 1, exp overflowing, ...), the gradient
of the chosen constant is exactly 0, not 0 * inf = NaN. Every such unary op, on both
backends, through elementwise chains, reductions and broadcasts below the select, and the
gradient elsewhere still the op's derivative."""

import warnings

import numpy as np
import pytest

import jitlib as jl

# op, a point where its derivative is not finite (or the op overflows), a safe point
SINGULAR = {
    "log": (np.log, 0.0, 2.0),
    "log2": (np.log2, 0.0, 2.0),
    "log10": (np.log10, 0.0, 2.0),
    "log1p": (np.log1p, -1.0, 0.5),
    "sqrt": (np.sqrt, 0.0, 4.0),
    "cbrt": (np.cbrt, 0.0, 8.0),
    "reciprocal": (lambda x: 1.0 / x, 0.0, 2.0),
    "arcsin": (np.arcsin, 1.0, 0.5),
    "arccos": (np.arccos, -1.0, 0.5),
    "arctanh": (np.arctanh, 1.0, 0.5),
    "arccosh": (np.arccosh, 1.0, 2.0),
    "power": (lambda x: x**0.5, 0.0, 4.0),
    "exp": (np.exp, 1000.0, 1.0),
    "exp2": (np.exp2, 2000.0, 1.0),
    "expm1": (np.expm1, 1000.0, 1.0),
    "sinh": (np.sinh, 1000.0, 1.0),
    "cosh": (np.cosh, 1000.0, 1.0),
    "square": (np.square, 1e200, 3.0),
}


def _quiet(fn, *args):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


ROWS_KEPT = np.array([True, False])  # row 0 (with the singular point) discarded
CORNER_KEPT = np.array([[True, False], [False, False]])  # only the singular point discarded
ROW_0_KEPT = np.array([[True, True], [False, False]])

# loss(op, x): the singular point x[0, 0] reaches the result only through where's unchosen
# branch, through an elementwise chain, a reduction, or a broadcast below the select
FORMS = {
    "elementwise": lambda op, x: np.where(CORNER_KEPT, 1.0, op(x) * 3.0 + 1.0).sum(),
    "reduced": lambda op, x: np.where(ROWS_KEPT, 1.0, np.tanh(op(x).sum(axis=-1))).sum(),
    "broadcast": lambda op, x: np.where(
        ROW_0_KEPT, 1.0, np.broadcast_to(op(x[:, :1]), (2, 2)) * 2.0
    ).sum(),
}


@pytest.mark.parametrize("backend", ["numpy", "triton"])
@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_the_unchosen_branch_gives_zero_gradient(name, form, backend):
    op, singular, safe = SINGULAR[name]
    x = np.array([[singular, safe], [safe, safe * 1.5]])

    def loss(x):
        return FORMS[form](op, x)

    grad = _quiet(jl.jit(jl.grad(loss), backend=backend), x)
    assert np.isfinite(grad).all(), grad
    assert grad[0, 0] == 0.0
    eps = 1e-6  # elsewhere, the derivative: central differences at the safe points
    for i, j in [(0, 1), (1, 0), (1, 1)]:
        step = np.zeros_like(x)
        step[i, j] = eps
        numeric = (_quiet(loss, x + step) - _quiet(loss, x - step)) / (2 * eps)
        np.testing.assert_allclose(grad[i, j], numeric, rtol=1e-5, atol=1e-7)
