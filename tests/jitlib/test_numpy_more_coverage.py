"""Issue 12's further numpy functions under jit: np.histogram2d/histogramdd, np.i0,
np.indices, np.row_stack, np.asarray_chkfinite, np.bincount with minlength, np.place, and
traced weights in np.average and np.cov. Each against eager numpy on both backends (Triton
in its interpreter), grad against float64 central differences, vmap against
loop-and-stack, and named regressions for what numpy raises on the values."""

import functools
import warnings

import numpy as np
import pytest

import jitlib as jl
import jitlib.numpy as jnp

BACKENDS = ["numpy", "triton"]
EPS = 1e-6


def _leaves(x) -> list:
    if isinstance(x, list | tuple):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def _same(got, expected, rtol: float = 1e-12) -> None:
    """Same structure, dtypes, shapes, and values (to rtol; NaN where numpy has NaN)."""
    got, expected = _leaves(got), _leaves(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        e = np.asarray(e)
        assert np.asarray(g).dtype == e.dtype and np.shape(g) == e.shape
        np.testing.assert_allclose(g, e, rtol=rtol, atol=0)


def _quietly(fn, *args):
    """fn(*args) with numpy's overflow and invalid-value warnings silenced (the Triton
    interpreter computes masked-off lanes too)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


def _check_backends(fn, *args, rtol: float = 1e-12) -> None:
    expected = _quietly(fn, *args)
    for backend in BACKENDS:
        _same(_quietly(jl.jit(fn, backend=backend), *args), expected, rtol)


def _check_grad(loss, *args) -> None:
    """jl.grad of a scalar loss (all arguments) against central differences in float64,
    along one random direction per argument."""
    grads = jl.grad(loss, argnums=tuple(range(len(args))))(*args)
    rng = np.random.default_rng(0)
    directions = [rng.standard_normal(np.shape(a)) for a in args]
    plus = loss(*[a + EPS * d for a, d in zip(args, directions)])
    minus = loss(*[a - EPS * d for a, d in zip(args, directions)])
    projected = sum(np.sum(g * d) for g, d in zip(grads, directions))
    np.testing.assert_allclose(projected, (plus - minus) / (2 * EPS), rtol=1e-6, atol=1e-8)


def _check_vmap(fn, *args) -> None:
    """jl.vmap over the leading axis of every argument, against a loop and np.stack."""
    rows = [fn(*[a[i] for a in args]) for i in range(len(args[0]))]
    expected = [np.stack(parts) for parts in zip(*[_leaves(r) for r in rows])]
    _same(_leaves(jl.vmap(fn)(*args)), expected, rtol=1e-12)


# --- np.histogramdd and np.histogram2d ------------------------------------------------------
def histograms_dd(sample, weights):
    counted = np.histogramdd(sample, (3, 4, 2))
    weighted = np.histogramdd(sample, 3, range=[(-1, 1), None, (0, 2)], weights=weights)
    edges = [np.array([-2.0, -0.5, 0.0, 2.5]), 2, np.array([-1.0, 1.0])]
    mixed = np.histogramdd(sample, edges, density=True)
    by_columns = np.histogramdd((sample[:, 0], sample[:, 2]), 4, weights=weights, density=True)
    return counted, weighted, mixed, by_columns


def histograms_2d(x, y, weights):
    plain = np.histogram2d(x, y)
    ranged = np.histogram2d(x, y, [3, 4], range=[(-1, 1), (-2, 2)], weights=weights)
    same_edges = np.histogram2d(x, y, np.array([-1.5, 0.0, 0.3, 2.0]), density=True)
    return plain, ranged, same_edges


def test_histogramdd_matches_numpy():
    rng = np.random.default_rng(1)
    sample, weights = rng.standard_normal((13, 3)), rng.random(13)
    _check_backends(histograms_dd, sample, weights)


def test_histogram2d_matches_numpy():
    rng = np.random.default_rng(2)
    x, y, weights = rng.standard_normal(11), rng.standard_normal(11), rng.random(11)
    _check_backends(histograms_2d, x, y, weights)


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_histogramdd_edges_follow_numpy_dtypes(dtype):
    """float32 data give float32 edges from their range, integer data float64 ones; a
    constant column's range is widened by 0.5 each side."""
    rng = np.random.default_rng(3)
    sample = (rng.standard_normal((9, 2)) * 4).astype(dtype)
    sample[:, 1] = 3
    _check_backends(lambda s: np.histogramdd(s, 4, density=True), sample)


def test_histogramdd_grad_and_vmap():
    rng = np.random.default_rng(4)
    sample, weights = rng.standard_normal((10, 2)), rng.random(10) + 0.5
    probe = rng.standard_normal((3, 3))

    def loss(weights):
        hist, _ = np.histogramdd(sample, 3, weights=weights, density=True)
        return np.sum(hist * probe)

    _check_grad(loss, weights)
    batch = rng.standard_normal((3, 8, 2))
    _check_vmap(lambda s, w: np.histogramdd(s, (2, 3), weights=w), batch, rng.random((3, 8)))
    _check_vmap(
        lambda x, y: np.histogram2d(x, y, 3, range=[(-1, 1), (-1, 1)]), *batch.T.swapaxes(1, 2)
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_histogramdd_of_data_holding_inf_or_nan_raises_as_numpy_regression(backend, bad):
    """Without range= the edges come from the data: numpy raises ValueError where they are
    not finite, and so does the run (jl.ValueCheckError); range= avoids the check."""
    rng = np.random.default_rng(5)
    sample = rng.standard_normal((6, 2))
    sample[2, 1] = bad
    with pytest.raises(ValueError):
        np.histogram2d(sample[:, 0], sample[:, 1])
    with pytest.raises(jl.ValueCheckError, match="not finite"):
        _quietly(jl.jit(lambda s: np.histogramdd(s, 3), backend=backend), sample)
    ranged = lambda x, y: np.histogram2d(x, y, 2, range=[(-1, 1), (-1, 1)])  # noqa: E731
    _same(_quietly(jl.jit(ranged, backend=backend), *sample.T), ranged(*sample.T))


@pytest.mark.parametrize("backend", BACKENDS)
def test_histogramdd_of_traced_edges_not_increasing_raises_regression(backend):
    """numpy checks that given edges increase: traced ones are checked when it runs."""
    rng = np.random.default_rng(21)
    sample, edges = rng.standard_normal((6, 2)), np.array([-1.0, 0.0, 0.5, 2.0])
    jitted = jl.jit(lambda s, e: np.histogramdd(s, [e, 3]), backend=backend)
    _same(jitted(sample, edges), np.histogramdd(sample, [edges, 3]))
    with pytest.raises(jl.ValueCheckError, match="monotonically increasing"):
        jitted(sample, edges[::-1].copy())


def test_histogramdd_static_checks_are_numpys():
    rng = np.random.default_rng(6)
    sample = rng.standard_normal((5, 2))
    for bins, error, message in [
        ((3,), ValueError, "dimension of bins"),
        ((0, 2), ValueError, "must be positive"),
        ((2.5, 2), TypeError, "must be an integer"),
        ([np.array([1.0, 0.0]), 2], ValueError, "monotonically increasing"),
    ]:
        with pytest.raises(error, match=message):
            np.histogramdd(sample, bins)
        with pytest.raises(error, match=message):
            jl.jit(functools.partial(np.histogramdd, bins=bins))(sample)
    with pytest.raises(ValueError, match="same length"):
        jl.jit(lambda x: np.histogram2d(x, x[:3]))(sample[:, 0])


# --- np.i0 ----------------------------------------------------------------------------------
def test_i0_matches_numpy():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-30, 30, 40), rng.uniform(-700, 700, 8)])
    x = np.concatenate([x, [0.0, 8.0, 17.99, 18.0, 18.01, -40.0, 710.0, np.inf, np.nan]])
    _check_backends(np.i0, x, rtol=1e-14)
    _check_backends(np.i0, rng.uniform(-80, 80, 20).astype(np.float32), rtol=2e-6)
    _check_backends(np.i0, rng.integers(-20, 20, 7).astype(np.int32), rtol=1e-14)
    _check_backends(np.i0, np.float16(rng.uniform(-9, 9, 6)), rtol=2e-3)


def test_i0_grad_and_vmap():
    rng = np.random.default_rng(8)
    x = np.concatenate([rng.uniform(-25, 25, 9), [0.0, 18.0]])
    _check_grad(lambda x: np.sum(np.i0(x) * np.cos(x)), x)
    _check_vmap(np.i0, rng.uniform(-25, 25, (3, 4)))


# --- np.indices and np.row_stack ------------------------------------------------------------
def test_indices_keep_symbolic_sizes():
    rng = np.random.default_rng(9)

    def grids(x):
        sparse = jnp.indices(x.shape, sparse=True)
        return jnp.indices(x.shape), jnp.indices(x.shape, dtype=np.float32), sparse[1] * x

    for backend in BACKENDS:
        jitted = jl.jit(grids, backend=backend)
        for shape in ((2, 3), (4, 5)):
            x = rng.standard_normal(shape)
            sparse = np.indices(shape, sparse=True)
            _same(
                jitted(x), (np.indices(shape), np.indices(shape, dtype=np.float32), sparse[1] * x)
            )
        assert jitted.cache_info().misses == 1


def test_numpy_indices_under_jit_runs_on_the_current_sizes():
    """np.indices takes no array, so numpy does not hand it to jitlib: it runs as numpy
    wrote it on the (guarded) sizes, and a new size traces again."""
    rng = np.random.default_rng(10)
    jitted = jl.jit(lambda x: np.indices(x.shape)[1] + x)
    for shape in ((2, 3), (3, 4)):
        x = rng.standard_normal(shape)
        _same(jitted(x), np.indices(shape)[1] + x)
    assert jitted.cache_info().misses == 2


def test_row_stack_is_vstack_with_numpys_deprecation_warning():
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal(3)
    with pytest.warns(DeprecationWarning, match="row_stack"):
        _same(np.row_stack((x, y)), np.vstack((x, y)))
    for backend in BACKENDS:
        with pytest.warns(DeprecationWarning, match="row_stack"):
            got = jl.jit(lambda x, y: np.row_stack((x, y * 2)) / 2, backend=backend)(x, y)
        _same(got, np.vstack((x, y * 2)) / 2)


# --- np.asarray_chkfinite -------------------------------------------------------------------
def test_asarray_chkfinite_passes_finite_values():
    rng = np.random.default_rng(12)
    x, ints = rng.standard_normal((2, 3)), rng.integers(-5, 5, 4)
    _check_backends(lambda x: jnp.asarray_chkfinite(x) * 2, x)
    _check_backends(lambda x: jnp.asarray_chkfinite(x, dtype=np.float32), ints)
    _check_grad(lambda x: np.sum(jnp.asarray_chkfinite(x) ** 2), x)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_asarray_chkfinite_of_inf_or_nan_raises_as_numpy_regression(backend, bad):
    rng = np.random.default_rng(13)
    x = rng.standard_normal(5)
    x[3] = bad
    with pytest.raises(ValueError, match="infs or NaNs"):
        np.asarray_chkfinite(x)
    with pytest.raises(jl.ValueCheckError, match="infs or NaNs") as info:
        jl.jit(lambda x: jnp.asarray_chkfinite(x) + 1, backend=backend)(x)
    assert isinstance(info.value, ValueError)


# --- np.bincount ----------------------------------------------------------------------------
def counts(x, weights):
    return np.bincount(x, minlength=7), np.bincount(x, weights, minlength=7)


def test_bincount_with_minlength_matches_numpy():
    rng = np.random.default_rng(14)
    x, weights = rng.integers(0, 7, 15), rng.standard_normal(15)
    _check_backends(counts, x, weights)
    _check_backends(counts, x.astype(np.int32), weights.astype(np.float32))
    _check_backends(lambda b: np.bincount(b, minlength=3), rng.random(6) > 0.5)
    _check_grad(lambda w: np.sum(np.bincount(x, w, minlength=7) ** 2), weights)
    _check_vmap(counts, rng.integers(0, 7, (3, 6)), rng.standard_normal((3, 6)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_bincount_of_values_outside_minlength_raises_regression(backend):
    """numpy's length would be max(x) + 1 > minlength, or it raises for a negative value:
    the run checks both (jl.ValueCheckError)."""
    jitted = jl.jit(lambda x: np.bincount(x, minlength=4), backend=backend)
    _same(jitted(np.array([0, 3, 3])), np.array([1, 0, 0, 2]))
    with pytest.raises(jl.ValueCheckError, match="minlength"):
        jitted(np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="negative"):
        np.bincount(np.array([0, -1]), minlength=4)
    with pytest.raises(jl.ValueCheckError, match="negative"):
        jitted(np.array([0, -1]))


def test_bincount_without_minlength_is_refused_naming_it():
    with pytest.raises(jl.UnsupportedError, match="depends on the data.*minlength"):
        jl.jit(np.bincount)(np.arange(4))
    with pytest.raises(TypeError, match="safe"):
        jl.jit(lambda x: np.bincount(x, minlength=3))(np.ones(3))


# --- np.place -------------------------------------------------------------------------------
def placed(a, vals):
    a = a.copy()
    np.place(a, a > 0, vals)
    return a


def test_place_matches_numpy_and_writes_the_callers_array():
    rng = np.random.default_rng(15)

    def place_into(a, vals):
        np.place(a, a < 0.5, vals)

    for backend in BACKENDS:
        a, vals = rng.standard_normal((3, 4)), rng.standard_normal(3)
        expected = a.copy()
        np.place(expected, expected < 0.5, vals)
        jl.jit(place_into, backend=backend)(a, vals)
        _same(a, expected)
    ints = rng.integers(-5, 5, (2, 5))
    _check_backends(lambda a: placed(a, [1.7, -3.2]), ints)  # cast as numpy: 1, -3
    _check_backends(placed, rng.standard_normal(7), rng.standard_normal(9))


def test_place_grad_and_vmap():
    rng = np.random.default_rng(16)
    a, vals = rng.standard_normal((2, 5)), rng.standard_normal(3)
    probe = rng.standard_normal((2, 5))
    _check_grad(lambda a, vals: np.sum(placed(a, vals) * probe), a, vals)
    _check_vmap(placed, rng.standard_normal((3, 6)), rng.standard_normal((3, 2)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_place_of_no_values_into_a_true_mask_raises_regression(backend):
    rng = np.random.default_rng(17)

    def place_none(a):
        np.place(a, a > 0, [])

    a = -np.abs(rng.standard_normal(4))
    jl.jit(place_none, backend=backend)(a)  # no True in the mask: nothing to insert
    a[1] = 1.0
    with pytest.raises(ValueError, match="empty array"):
        place_none(a.copy())
    with pytest.raises(jl.ValueCheckError, match="empty array"):
        jl.jit(place_none, backend=backend)(a)
    with pytest.raises(ValueError, match="same size"):
        jl.jit(lambda a: np.place(a, a[:2] > 0, [1.0]))(a)


# --- traced weights in np.average and np.cov ------------------------------------------------
def weighted(x, w, f):
    return (
        np.average(x, axis=1, weights=w, returned=True),
        np.average(x, weights=x * x + w[0]),
        np.cov(x, fweights=f, aweights=w),
    )


def test_traced_weights_match_numpy():
    rng = np.random.default_rng(18)
    x, w, f = rng.standard_normal((3, 6)), rng.random(6) + 0.1, rng.integers(1, 4, 6)
    _check_backends(weighted, x, w, f)
    _check_grad(lambda x, w: np.sum(weighted(x, w, f)[2]) + weighted(x, w, f)[1], x, w)
    _check_vmap(
        lambda x, w: np.cov(x, aweights=w), rng.standard_normal((2, 3, 5)), rng.random((2, 5))
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_average_of_weights_summing_to_zero_raises_regression(backend):
    """numpy raises ZeroDivisionError; traced weights are checked when the function runs
    (jl.ValueCheckError, a ValueError), weights known while tracing at once (numpy's)."""
    rng = np.random.default_rng(19)
    x, w = rng.standard_normal((2, 4)), np.array([1.0, -1.0, 2.0, -2.0])
    with pytest.raises(ZeroDivisionError):
        np.average(x, axis=1, weights=w)
    with pytest.raises(jl.ValueCheckError, match="sum to zero"):
        jl.jit(lambda x, w: np.average(x, axis=1, weights=w), backend=backend)(x, w)
    with pytest.raises(ZeroDivisionError, match="sum to zero"):
        jl.jit(lambda x: np.average(x, axis=1, weights=w), backend=backend)(x)
    with pytest.raises(ZeroDivisionError, match="sum to zero"):
        jl.jit(lambda x: np.average(x, axis=0, weights=np.zeros((2, 4))))(x)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cov_of_bad_traced_weights_raises_regression(backend):
    """numpy raises for negative fweights or aweights (ValueError) and fractional fweights
    (TypeError); traced ones are checked when the function runs (jl.ValueCheckError)."""
    rng = np.random.default_rng(20)
    x, f, w = rng.standard_normal((2, 5)), np.array([1, 2, 1, 3, 2]), rng.random(5) + 0.1
    jitted = jl.jit(lambda x, f, w: np.cov(x, fweights=f, aweights=w), backend=backend)
    _same(jitted(x, f, w), np.cov(x, fweights=f, aweights=w))
    for bad_f, bad_w, error, message in [  # one check fails in each
        (f * np.array([1, -1, 1, 1, 1]), w, ValueError, "fweights cannot be negative"),
        (f + 0.5, w, TypeError, "fweights must be integer"),
        (f, -w, ValueError, "aweights cannot be negative"),
    ]:
        with pytest.raises(error, match=message):
            np.cov(x, fweights=bad_f, aweights=bad_w)
        with pytest.raises(jl.ValueCheckError, match=message):
            jitted(x, bad_f, bad_w)
