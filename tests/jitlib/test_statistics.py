"""Statistics and order statistics beyond the op-case table: every one of numpy's quantile
methods against numpy (the table holds a few), NaN-ignoring quantiles with all-NaN rows, and
what jit refuses (with the reason) or checks where numpy would raise."""

import warnings

import numpy as np
import pytest

import jitlib as jl

METHODS = (
    "linear",
    "lower",
    "higher",
    "nearest",
    "midpoint",
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "median_unbiased",
    "normal_unbiased",
)
RNG = np.random.default_rng(20240611)


def _with_nan(x):
    y = np.where(x < -1.0, np.nan, x)
    y[0] = np.nan  # a row of NaN alone
    return y


def _all_methods(name: str, q):
    def fn(x):
        return tuple(getattr(np, name)(x, q, axis=-1, method=method) for method in METHODS)

    return fn


def _check(fn, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected, got = fn(x), jl.jit(fn)(x)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-6)


# q's type sets the result's dtype: a Python float keeps float32 data float32, a float64
# array makes it float64, a float32 q keeps it; integer data give float64 or (discrete) int
DTYPE_AND_Q = [("float32", 0.35), ("float32", [0.0, 0.5, 1.0]), ("int32", np.float32(0.7))]


@pytest.mark.parametrize("dtype, q", DTYPE_AND_Q, ids=["f32-py", "f32-list", "i32-f32"])
def test_every_quantile_method_matches_numpy(dtype, q):
    x = (RNG.standard_normal((3, 7)) * 4).astype(dtype)
    _check(_all_methods("quantile", q), x)


@pytest.mark.parametrize("name", ["nanquantile", "nanpercentile"])
def test_every_nan_quantile_method_matches_numpy(name):
    q = [10, 95] if name == "nanpercentile" else [0.1, 0.95]
    _check(_all_methods(name, q), _with_nan(RNG.standard_normal((4, 6)) * 2))


def test_median_gradient_goes_to_the_middle_elements():
    x = np.array([[3.0, 1.0, 2.0], [4.0, 1.0, 3.0]])
    even = np.array([4.0, 1.0, 3.0, 2.0])
    np.testing.assert_array_equal(jl.grad(lambda x: np.median(x[0]))(x)[0], [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(jl.grad(np.median)(even), [0.0, 0.0, 0.5, 0.5])


@pytest.mark.parametrize("backend", ["numpy", "triton"])
def test_traced_q_outside_the_unit_interval_raises_as_numpy(backend):
    """numpy raises ValueError for q outside [0, 1] (or NaN); a traced q is checked when the
    function runs (it gave NaN). Integer data with a discrete method work too (refused)."""
    x = RNG.standard_normal((2, 5))
    quantile = jl.jit(lambda x, q: np.quantile(x, q, axis=1), backend=backend)
    np.testing.assert_allclose(
        quantile(x, np.array([0.5, 0.2])), np.quantile(x, [0.5, 0.2], axis=1)
    )
    for q in ([0.5, 1.5], [-0.1], [np.nan]):
        with pytest.raises(ValueError, match="Quantiles must be in the range"):
            np.quantile(x, q, axis=1)
        with pytest.raises(jl.ValueCheckError, match="Quantiles must be in the range"):
            quantile(x, np.array(q))
    percentile = jl.jit(lambda x, q: np.percentile(x, q, method="lower"), backend=backend)
    ints = RNG.integers(-9, 9, 7)
    np.testing.assert_array_equal(
        percentile(ints, np.array([30.0])), np.percentile(ints, [30.0], method="lower")
    )
    with pytest.raises(jl.ValueCheckError, match="Percentiles must be in the range"):
        percentile(ints, np.array([130.0]))


# --- refused, or numpy's own errors -------------------------------------------------------
def _raises(error, match: str, fn, *args):
    with pytest.raises(error, match=match):
        jl.jit(fn)(*args)


def test_nanargmax_of_floats_is_refused():
    x = RNG.standard_normal((2, 3))
    _raises(jl.UnsupportedError, "all-NaN slice", np.nanargmax, x)
    _raises(jl.UnsupportedError, "all-NaN slice", lambda x: np.nanargmin(x, axis=0), x)


def test_bincount_is_refused_naming_alternatives():
    _raises(jl.UnsupportedError, "depends on the data.*np.histogram", np.bincount, np.arange(4))


def test_histogram_refusals_and_checks():
    x = RNG.standard_normal(6)
    _raises(jl.UnsupportedError, "depend on the data", lambda x: np.histogram(x, "auto"), x)
    _raises(ValueError, "must be positive", lambda x: np.histogram(x, 0), x)
    _raises(ValueError, "increase monotonically", lambda x: np.histogram(x, [0.0, 2.0, 1.0]), x)
    _raises(ValueError, "larger than min", lambda x: np.histogram(x, 3, range=(1.0, 0.0)), x)
    _raises(jl.ShapeMismatchError, "shape of a", lambda x: np.histogram(x, 3, weights=x[:2]), x)


def histogram_of(x):
    return np.histogram(x, 4)  # <- histogram of


@pytest.mark.parametrize("backend", ["numpy", "triton"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_histogram_of_data_holding_inf_or_nan_raises_as_numpy_regression(backend, bad):
    """The range comes from the data: numpy raises ValueError where it is not finite, and
    jit gave counts instead. The run now checks it (the `check` primitive), also per example
    under vmap; finite data still give numpy's histogram."""
    x = RNG.standard_normal(9)
    y = x.copy()
    y[4] = bad
    with pytest.raises(ValueError):
        histogram_of(y)
    with pytest.raises(jl.ValueCheckError, match="not finite") as info:
        jl.jit(histogram_of, backend=backend)(y)
    assert isinstance(info.value, ValueError) and "# <- histogram of" in str(info.value)
    with pytest.raises(jl.ValueCheckError):
        jl.jit(jl.vmap(histogram_of), backend=backend)(np.stack([x, y]))
    counts, edges = jl.jit(histogram_of, backend=backend)(x)
    np.testing.assert_array_equal(counts, histogram_of(x)[0])
    np.testing.assert_allclose(edges, histogram_of(x)[1], rtol=1e-12)


def test_quantile_checks():
    x = RNG.standard_normal((2, 5))
    _raises(ValueError, r"range \[0, 1\]", lambda x: np.quantile(x, 1.5), x)
    _raises(ValueError, r"range \[0, 100\]", lambda x: np.percentile(x, [-1, 50]), x)
    _raises(ValueError, "not a valid method", lambda x: np.quantile(x, 0.5, method="mean"), x)
    _raises(jl.UnsupportedError, "out=", lambda x: np.median(x, out=x[0]), x)
    _raises(IndexError, "empty", lambda x: np.quantile(x[:, :0], 0.5, axis=1), x)


def test_cov_and_average_checks():
    x = RNG.standard_normal((2, 4))
    _raises(TypeError, "fweights must be integer", lambda x: np.cov(x, fweights=[1, 2.5, 1, 1]), x)
    _raises(ValueError, "cannot be negative", lambda x: np.cov(x, aweights=[1, -1, 1, 1]), x)
    _raises(jl.ShapeMismatchError, "samples and fweights", lambda x: np.cov(x, fweights=[1, 2]), x)
    _raises(jl.ShapeMismatchError, "give the axis", lambda x: np.average(x, weights=x[0]), x)
    _raises(jl.ShapeMismatchError, "along axis", lambda x: np.average(x, 0, weights=x[0]), x)
    _raises(jl.ShapeMismatchError, "more than 2", lambda x: np.cov(x[None]), x)
