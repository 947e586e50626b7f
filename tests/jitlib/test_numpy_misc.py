"""What the op-case table cannot say about jitlib.numpy's creation_more, misc,
index_helpers and polynomials: exact (bit-for-bit) agreement where numpy's formula is
followed, writes that reach the caller, and the clear errors for what needs the data."""

import numpy as np
import pytest

import jitlib as jl

RNG = np.random.default_rng(11)
A = RNG.standard_normal(3)
B = RNG.standard_normal(3) * 5


@pytest.mark.parametrize(
    "fn",
    [
        lambda a, b: np.linspace(a, b, 7),
        lambda a, b: np.linspace(a.astype(np.float32), b, 6, endpoint=False),
        lambda a, b: np.logspace(a, b, 5, base=3.0),
        lambda a, b: np.geomspace(np.abs(a) + 1, np.abs(b) + 1, 5),
    ],
)
def test_numpy_formulas_match_to_the_bit(fn):
    np.testing.assert_array_equal(jl.jit(fn)(A, B), fn(A, B), strict=True)


def test_putmask_writes_the_callers_array():
    def f(x, v):
        np.putmask(x, x > 0, v)

    x, v = RNG.standard_normal((2, 5)), RNG.standard_normal(3)
    expected = x.copy()
    np.putmask(expected, expected > 0, v)
    jl.jit(f)(x, v)
    np.testing.assert_array_equal(x, expected)


def test_comparisons_are_traced_booleans():
    with pytest.raises(jl.ConcretizationError):
        jl.jit(lambda x: x if np.allclose(x, 0) else -x)(A)
    with pytest.raises(jl.ConcretizationError):
        jl.jit(lambda x: x if np.array_equal(x, x) else -x)(A)
    assert jl.jit(lambda x: np.allclose(x, x))(A).dtype == np.bool_


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda x: np.compress(x > 0, x), "np.where"),
        (lambda x: np.ravel_multi_index((x.astype(int),), (4,)), "mode='wrap'"),
        (lambda x: np.polydiv(x.astype(np.float32), x[:2].astype(np.float32)), "float64"),
        (lambda x: np.poly(np.outer(x, x)), "eigenvalues"),
        (lambda x: np.ix_(x > 0), "data-dependent"),
    ],
)
def test_data_dependent_forms_are_refused(fn, message):
    with pytest.raises(jl.UnsupportedError, match=message):
        jl.jit(fn)(A)


def test_unravel_index_of_symbolic_dims_serves_every_size():
    jitted = jl.jit(lambda i, x: np.unravel_index(i, x.shape))
    for shape in ((3, 4), (5, 6)):
        i = RNG.integers(0, shape[0] * shape[1], 7)
        got = jitted(i, np.zeros(shape))
        for g, e in zip(got, np.unravel_index(i, shape)):
            np.testing.assert_array_equal(g, e, strict=True)
    assert jitted.cache_info().misses == 1
