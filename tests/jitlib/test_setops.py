"""jitlib.numpy's sized forms of numpy's data-dependent functions (nonzero, unique, the
set operations): NaN handling, eager use on numpy arrays, traced fill values, an empty
input, and the errors numpy's own functions give under jit. Values, grad and vmap of each
are in the op-case table (tests/ops/setops_cases.py)."""

import numpy as np
import pytest

import jitlib as jl
import jitlib.numpy as jnp

BACKENDS = ["numpy", "triton"]
NAN = np.nan


@pytest.mark.parametrize("backend", BACKENDS)
def test_unique_nan_collapses_by_default_and_not_in_unique_values(backend):
    x = np.array([2.0, NAN, 1.0, NAN, 2.0, -0.0, 0.0])
    folded = jl.jit(lambda x: jnp.unique(x, return_counts=True, size=6), backend=backend)(x)
    np.testing.assert_array_equal(folded[0], [-0.0, 1.0, 2.0, NAN, -0.0, -0.0])
    np.testing.assert_array_equal(folded[1], [2, 1, 2, 2, 0, 0])
    each = jl.jit(lambda x: jnp.unique_values(x, size=6), backend=backend)(x)
    np.testing.assert_array_equal(each, np.append(np.sort(np.unique_values(x)), -0.0))
    kept = jl.jit(lambda x: jnp.unique(x, equal_nan=False, size=5), backend=backend)(x)
    np.testing.assert_array_equal(kept, np.unique(x, equal_nan=False))


def test_sized_forms_run_eagerly_on_numpy_arrays():
    x = np.array([3, 1, 3, 0, 2])
    np.testing.assert_array_equal(jnp.unique(x, size=6, fill_value=-1), [0, 1, 2, 3, -1, -1])
    np.testing.assert_array_equal(jnp.nonzero(x, size=2)[0], [0, 1])
    np.testing.assert_array_equal(jnp.setdiff1d(x, [3], size=3), [0, 1, 2])
    assert jnp.unique(x).tolist() == [0, 1, 2, 3]  # no size: numpy's own function


def test_fill_value_may_be_traced():
    x = np.array([4.0, 1.0, 4.0])
    got = jl.jit(lambda x, f: jnp.unique(x, size=4, fill_value=f * 2))(x, np.float64(-3.0))
    np.testing.assert_array_equal(got, [1.0, 4.0, -6.0, -6.0])


def test_nonzero_fill_value_per_axis_and_rank_check():
    x = np.array([[0.0, 1.0], [2.0, 0.0]])
    rows, cols = jl.jit(lambda x: jnp.nonzero(x, size=3, fill_value=(-1, -2)))(x)
    assert rows.tolist() == [0, 1, -1] and cols.tolist() == [1, 0, -2]
    with pytest.raises(ValueError, match="0d"):
        jl.jit(lambda x: jnp.nonzero(x.sum(), size=2))(x)


def test_empty_input_gives_only_padding():
    got = jl.jit(lambda x: jnp.unique(x, return_counts=True, size=3, fill_value=7.0))(np.zeros(0))
    assert got[0].tolist() == [7.0, 7.0, 7.0] and got[1].tolist() == [0, 0, 0]


def test_one_trace_serves_every_length():
    f = jl.jit(lambda x: jnp.unique(x, return_inverse=True, size=4))
    for n in (5, 9, 17):
        x = np.random.default_rng(n).integers(0, 6, n)
        values, inverse = f(x)
        full, full_inverse = np.unique(x, return_inverse=True)
        np.testing.assert_array_equal(values[: len(full)], full[:4])
        np.testing.assert_array_equal(inverse, full_inverse)
    assert f.cache_info().misses == 1


# numpy's own functions under jit: each error names the sized jitlib.numpy call
REFUSED = {
    "nonzero": lambda x: np.nonzero(x),
    "flatnonzero": lambda x: np.flatnonzero(x),
    "argwhere": lambda x: np.argwhere(x),
    "extract": lambda x: np.extract(x > 0, x),
    "unique": lambda x: np.unique(x, return_counts=True),
    "unique_all": lambda x: np.unique_all(x),
    "unique_counts": lambda x: np.unique_counts(x),
    "unique_inverse": lambda x: np.unique_inverse(x),
    "unique_values": lambda x: np.unique_values(x),
    "union1d": lambda x: np.union1d(x, x),
    "intersect1d": lambda x: np.intersect1d(x, x),
    "setdiff1d": lambda x: np.setdiff1d(x, x),
    "setxor1d": lambda x: np.setxor1d(x, x),
    "nonzero_method": lambda x: x.nonzero(),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_numpy_call_names_the_sized_alternative(name):
    function = name.removesuffix("_method")
    with pytest.raises(jl.UnsupportedError, match=rf"jitlib\.numpy\.{function}\(.*size=N"):
        jl.jit(REFUSED[name])(np.arange(4.0))


def test_trim_zeros_and_one_argument_where_say_why():
    with pytest.raises(jl.UnsupportedError, match="output shape depends on the data"):
        jl.jit(np.trim_zeros)(np.arange(4.0))
    with pytest.raises(jl.UnsupportedError, match=r"jitlib\.numpy\.nonzero\(condition, size=N"):
        jl.jit(lambda x: np.where(x > 1))(np.arange(4.0))


def test_size_must_be_a_static_nonnegative_int():
    with pytest.raises(jl.UnsupportedError, match="static int"):
        jl.jit(lambda x: jnp.unique(x, size=2.5))(np.arange(4.0))
    with pytest.raises(ValueError, match=">= 0"):
        jl.jit(lambda x: jnp.unique(x, size=-1))(np.arange(4.0))
