"""Sorting under @jit beyond the op-case table: what numpy refuses is refused the same way,
what jitlib does not take is refused clearly, and ndarray.sort writes into the caller's
array."""

import numpy as np
import pytest

import jitlib as jl

SEED = 5


def _x(shape=(3, 4)):
    return np.random.default_rng(SEED).standard_normal(shape)


def test_sort_in_place_reaches_the_caller():
    def f(a):
        a.sort(axis=0)
        return a[0] * 2.0

    x = _x()
    expected = np.sort(x, axis=0)
    got = jl.jit(f)(x)
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(got, expected[0] * 2.0)


def test_unsupported_arguments_are_refused():
    with pytest.raises(jl.UnsupportedError, match="sort_complex"):
        jl.jit(np.sort_complex)(_x())
    with pytest.raises(jl.UnsupportedError, match="order="):
        jl.jit(lambda x: np.sort(x, order="a"))(_x())
    with pytest.raises(jl.UnsupportedError, match="traced kth"):
        jl.jit(lambda x, k: np.partition(x, k))(_x(), np.array(1))


def test_bad_arguments_raise_as_numpy_does():
    with pytest.raises(ValueError, match="sort kind"):
        jl.jit(lambda x: np.sort(x, kind="bogo"))(_x())
    with pytest.raises(ValueError, match="kth"):
        jl.jit(lambda x: np.partition(x, 4))(_x())
    with pytest.raises(ValueError, match="search side"):
        jl.jit(lambda a, v: np.searchsorted(a, v, side="middle"))(_x((4,)), _x(()))
    with pytest.raises(jl.JitError, match="out of bounds"):
        jl.jit(np.sort)(_x(()))
    with pytest.raises(jl.JitError, match="1-d sorted array"):
        jl.jit(np.searchsorted)(_x(), _x((2,)))
    with pytest.raises(ValueError, match="monotonically"):
        jl.jit(np.digitize)(_x((5,)), np.array([1.0, 3.0, 2.0]))


def test_argsort_of_a_scalar_array_is_1d_as_in_numpy():
    np.testing.assert_array_equal(jl.jit(np.argsort)(_x(())), np.argsort(_x(())))
