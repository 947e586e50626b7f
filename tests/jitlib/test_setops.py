"""jitlib.numpy's sized forms of numpy's data-dependent functions (nonzero, unique, the
set operations): NaN handling, eager use on numpy arrays, traced fill values, an empty
input, and the errors numpy's own functions give under jit. Values, grad and vmap of each
are in the op-case table (tests/ops/setops_cases.py)."""

import numpy as np
import ops.cases  # noqa: F401  (the case table first: it imports ops.setops_cases)
import pytest
from ops.setops_cases import CUT, PADDED, PAIR, set_pair_case, setxor_unique_case

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
    "trim_zeros": lambda x: np.trim_zeros(x),
    "nonzero_method": lambda x: x.nonzero(),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_numpy_call_names_the_sized_alternative(name):
    function = name.removesuffix("_method")
    with pytest.raises(jl.UnsupportedError, match=rf"jitlib\.numpy\.{function}\(.*size=N"):
        jl.jit(REFUSED[name])(np.arange(4.0))


def test_one_argument_where_says_why():
    with pytest.raises(jl.UnsupportedError, match=r"jitlib\.numpy\.nonzero\(condition, size=N"):
        jl.jit(lambda x: np.where(x > 1))(np.arange(4.0))


def test_size_must_be_a_static_nonnegative_int():
    with pytest.raises(jl.UnsupportedError, match="static int"):
        jl.jit(lambda x: jnp.unique(x, size=2.5))(np.arange(4.0))
    with pytest.raises(ValueError, match=">= 0"):
        jl.jit(lambda x: jnp.unique(x, size=-1))(np.arange(4.0))


# --- the set operations of two arrays (tests/ops/setops_cases.py's functions) ------------------
def _pair(domain: str, dtype: str, shapes: tuple, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    if domain == "int":  # ties, and values the two arrays share
        return tuple(rng.integers(-5, 6, s).astype(dtype) for s in shapes)
    return tuple(rng.standard_normal(s).astype(dtype) for s in shapes)


def _same_leaves(got, want, rtol: float = 1e-12) -> None:
    got, want = jl.tree_flatten(got)[0], jl.tree_flatten(want)[0]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype and np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=rtol)


SET_FUNCTIONS = {
    "cut": set_pair_case(CUT),
    "padded": set_pair_case(PADDED),
    "xor_unique": setxor_unique_case(PADDED),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shapes", PAIR, ids=["3x4,5", "7,2x3"])
@pytest.mark.parametrize("name, domain, dtype", [
    ("cut", "int", "int64"), ("cut", "int", "float32"), ("padded", "int", "int32"),
    ("padded", "int", "float64"), ("xor_unique", "real", "float64"),
])  # fmt: skip
def test_set_operations_match_numpy(backend, shapes, name, domain, dtype):
    fn = SET_FUNCTIONS[name]
    args = _pair(domain, dtype, shapes)
    _same_leaves(jl.jit(fn, backend=backend)(*args), fn(*args))


@pytest.mark.parametrize("shapes", PAIR, ids=["3x4,5", "7,2x3"])
@pytest.mark.parametrize("name", ["padded", "xor_unique"])
def test_set_operations_grad_matches_finite_differences(shapes, name):
    """Real values (no ties, where the result's structure would jump): the gradient of
    <weights, float results> flows to the entries each result picked."""
    fn = SET_FUNCTIONS[name]
    args = _pair("real", "float64", shapes, seed=1)
    weights = [np.random.default_rng(2).standard_normal(np.shape(leaf)) for leaf in
               jl.tree_flatten(fn(*args))[0]]  # fmt: skip

    def loss(a, b):
        leaves = jl.tree_flatten(fn(a, b))[0]
        return sum((leaf * w).sum() for leaf, w in zip(leaves, weights) if leaf.dtype.kind == "f")

    grads = jl.grad(loss, argnums=(0, 1))(*args)
    rng, eps = np.random.default_rng(3), 1e-6
    directions = [rng.standard_normal(np.shape(a)) for a in args]
    plus = loss(*[a + eps * d for a, d in zip(args, directions)])
    minus = loss(*[a - eps * d for a, d in zip(args, directions)])
    projected = sum(np.sum(g * d) for g, d in zip(grads, directions))
    np.testing.assert_allclose(projected, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "name, backend, shapes",
    [
        ("cut", "numpy", PAIR[0]),
        ("cut", "numpy", PAIR[1]),
        ("padded", "numpy", PAIR[0]),
        ("padded", "numpy", PAIR[1]),
        ("padded", "triton", PAIR[0]),  # eight seconds of sorting in Triton's interpreter
    ],
)
def test_set_operations_vmap_matches_loop_and_stack(name, backend, shapes):
    fn = SET_FUNCTIONS[name]
    examples = [_pair("int", "float64", shapes, seed=s) for s in range(3)]
    rows = [fn(*ex) for ex in examples]
    want = [np.stack(parts) for parts in zip(*[jl.tree_flatten(r)[0] for r in rows])]
    batched = [np.stack(parts) for parts in zip(*examples)]
    got = jl.jit(jl.vmap(fn), backend=backend)(*batched)
    _same_leaves(jl.tree_flatten(got)[0], want)
