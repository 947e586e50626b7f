"""Row sums in generated numpy code: float sums over the last axis are np.einsum's, a
product only the next row sum reads is summed inside einsum, and a max-shifted exp-sum
(logsumexp's) skips the shift where the rows' max allows (numpy_runtime.exp_sum_shifted).
Each against eager numpy, and the rewrites' conditions both ways."""

import numpy as np
import pytest

import jitlib as jl
from codegen import numpy_runtime

RNG = np.random.default_rng(11)


def source(fn, *args) -> str:
    return jl.jit(fn, backend="numpy").lower(*args).compile().source


def body(fn, *args) -> str:
    """The generated code without its comments (the IR header names ops too)."""
    return "\n".join(
        line.split("  #")[0] for line in source(fn, *args).splitlines() if not line.startswith("#")
    )


def check(fn, *args, rtol=None):
    want = fn(*args)
    got = jl.jit(fn, backend="numpy")(*args)
    assert got.dtype == want.dtype and got.shape == want.shape
    rtol = rtol or (2e-6 if want.dtype == np.float32 else 1e-13)
    finite = np.abs(want[np.isfinite(want)])
    scale = finite.max() if finite.size else 0.0
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7,), (5, 300), (2, 3, 64)])
def test_last_axis_sums_are_einsums(dtype, shape):
    x = RNG.standard_normal(shape).astype(dtype)
    fn = lambda x: x.sum(axis=-1) * 2.0  # noqa: E731
    assert "np.einsum('...i->...', a0)" in body(fn, x)
    check(fn, x)


@pytest.mark.parametrize(
    "fn, x",
    [
        (lambda x: x.sum(axis=0), RNG.standard_normal((5, 6))),  # not the last axis
        (lambda x: x.sum(), RNG.standard_normal((5, 6))),  # every axis
        (lambda x: x.sum(axis=-1), RNG.integers(-9, 9, (5, 6))),  # integers widen to int64
        (lambda x: x.sum(axis=-1), RNG.standard_normal((5, 6)).astype(np.float16)),
    ],
)
def test_other_sums_stay_numpy_sums(fn, x):
    assert "einsum" not in body(fn, x)
    check(fn, x, rtol=1e-3)


def test_a_product_read_by_its_row_sum_alone_is_summed_in_einsum():
    x = RNG.standard_normal((6, 40)).astype(np.float32)
    rms = lambda x: (x * x).mean(axis=-1)  # noqa: E731
    code = body(rms, x)
    assert "np.einsum('...i,...i->...', a0, a0)" in code and "np.multiply" not in code
    check(rms, x)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, y: ((x * y).sum(axis=-1), x * y),  # the product is also a result
        lambda x, y: (x * y[0]).sum(axis=-1),  # a broadcast factor
    ],
)
def test_products_read_elsewhere_or_broadcast_are_written(fn):
    x, y = RNG.standard_normal((2, 6, 40))
    assert "'...i,...i->...'" not in body(fn, x, y)
    for got, want in zip(jl.tree_flatten(jl.jit(fn)(x, y))[0], jl.tree_flatten(fn(x, y))[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def logsumexp(x):
    top = x.max(axis=-1, keepdims=True)
    return np.log(np.exp(x - top).sum(axis=-1)) + top[..., 0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(9,), (40, 33), (3, 4, 50), (2048, 300)])  # blocked too
def test_shifted_exp_sum_skips_the_shift_and_matches_numpy(dtype, shape):
    x = (RNG.standard_normal(shape) * 5).astype(dtype)
    assert "exp_sum_shifted(a0," in body(logsumexp, x) and "np.subtract" not in body(logsumexp, x)
    check(logsumexp, x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rows_out_of_range_take_numpy_shifted_sum(dtype):
    """nan, inf, -inf rows and maxima past the limit (where exp(x) overflows or underflows):
    the shifted sum, numpy's own, for the whole call."""
    limit = 40.0 if dtype == "float32" else 650.0
    x = (RNG.standard_normal((8, 30)) * 3).astype(dtype)
    for row, change in enumerate([np.nan, np.inf, -np.inf, limit * 2, -limit * 2]):
        y = x.copy()
        y[row] += change
        with np.errstate(all="ignore"):
            check(logsumexp, y)
    y = x.copy()
    y[3, :] = -np.inf  # a row of -inf: its max is -inf, and numpy gives nan there
    with np.errstate(all="ignore"):
        want, got = logsumexp(y), jl.jit(logsumexp)(y)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_both_branches_agree_near_the_limit(dtype):
    """Maxima just inside the limit take the unshifted sum, just past it the shifted: the
    two agree with a float64 reference at the dtype's rounding."""
    limit = 40.0 if dtype == "float32" else 650.0
    for top in (limit - 0.5, -limit + 0.5, limit + 0.5, -limit - 0.5):
        x = (RNG.standard_normal((4, 1000)) + top).astype(dtype)
        x -= x.max(axis=-1, keepdims=True) - np.asarray(top, dtype)
        peak = x.max(axis=-1)
        got = numpy_runtime.exp_sum_shifted(x, peak, peak[:, None])
        exact = np.exp(x.astype(np.float64) - peak[:, None].astype(np.float64)).sum(axis=-1)
        np.testing.assert_allclose(got, exact, rtol=4e-6 if dtype == "float32" else 1e-13)


def test_a_shift_read_elsewhere_keeps_the_subtraction():
    x = RNG.standard_normal((6, 20))
    log_softmax = lambda x: (lambda s: s - np.log(np.exp(s).sum(-1, keepdims=True)))(  # noqa: E731
        x - x.max(-1, keepdims=True)
    )
    assert "exp_sum_shifted" not in body(log_softmax, x)
    check(log_softmax, x)


def test_exported_module_carries_the_helper():
    """jl.export copies exp_sum_shifted into the module, which runs without jitlib's."""
    x = (RNG.standard_normal((64, 33)) * 4).astype(np.float32)
    exported = jl.export(logsumexp, x)
    assert "def exp_sum_shifted(" in exported.source
    namespace: dict = {}
    exec(exported.source, namespace)
    got = namespace[exported.name](x)
    np.testing.assert_allclose(got, logsumexp(x), rtol=2e-6)
