"""Smaller numpy-parity items (issue 11): np.shape, np.ndim and np.size of traced arrays;
np.arange of a traced size; and, for what numpy never hands to jitlib (np.asarray or
np.array of a traced array, a numpy array indexed with one), an error that says so and
names fixes, which are checked here on both backends: under jit against numpy, under grad
against float64 central differences and under vmap against loop-and-stack."""

import numpy as np
import pytest
from reliability.conftest import BACKENDS, host

import jitlib as jl
import jitlib.numpy as jnp

HERE = "test_parity_small.py"
EPS = 1e-6


def rand(*shape, seed=0, dtype=np.float64) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def ints(*shape, low, high, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(low, high, shape)


def assert_same(got, want, rtol=1e-6) -> None:
    """numpy's dtype and shape, and its values to rounding."""
    got, want = np.asarray(host(got)), np.asarray(want)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-12)


def raised(fn, *args) -> str:
    """The message of the ConcretizationError that jit(fn)(*args) raises."""
    with pytest.raises(jl.ConcretizationError) as info:
        jl.jit(fn)(*args)
    return str(info.value)


def check_grad(f, args: tuple, argnum: int, backend: str) -> None:
    """jit(grad(f)) along a random direction equals the float64 central difference of f
    run eagerly in numpy."""
    grad = host(jl.jit(jl.grad(f, argnums=argnum), backend=backend)(*args))
    direction = rand(*np.shape(args[argnum]), seed=7)
    moved = [list(args), list(args)]
    moved[0][argnum] = args[argnum] + EPS * direction
    moved[1][argnum] = args[argnum] - EPS * direction
    expected = (f(*moved[0]) - f(*moved[1])) / (2 * EPS)
    np.testing.assert_allclose(np.sum(grad * direction), expected, rtol=1e-5, atol=1e-7)


# --- np.shape, np.ndim, np.size ------------------------------------------------------------


def centred_by_sizes(x):
    rows, cols = np.shape(x)
    total = np.sum(x) / np.size(x)
    column_means = np.sum(x, axis=0) / np.size(x, 0)
    out = (x - total) * np.ndim(x) + column_means * np.size(x, axis=(0, -1)) + rows - cols
    return np.reshape(out + np.broadcast_to(column_means, np.shape(x)), (np.size(x),))


@pytest.mark.parametrize("backend", BACKENDS)
def test_shape_ndim_and_size_match_numpy_at_two_shapes(backend):
    jitted = jl.jit(centred_by_sizes, backend=backend)
    for seed, shape in enumerate([(4, 3), (6, 5)]):
        x = rand(*shape, seed=seed, dtype=np.float32)
        assert_same(jitted(x), centred_by_sizes(x))


def test_sizes_stay_symbolic():
    # a size turned into an int would be guarded, and the second shape traced again
    jitted = jl.jit(centred_by_sizes)
    for seed, shape in enumerate([(4, 3), (6, 5)]):
        jitted(rand(*shape, seed=seed, dtype=np.float32))
    assert jitted.cache_info().misses == 1


def test_size_along_a_missing_axis_names_it():
    with pytest.raises(jl.ShapeMismatchError, match="axis 2"):
        jl.jit(lambda x: x * np.size(x, 2))(rand(4, 3))


# --- np.asarray, np.array: not dispatched by numpy -------------------------------------------


def as_array(x):
    return np.asarray(x) * 2.0  # (asarray)


def as_array_copy(x):
    return np.array(x) * 2.0  # (array)


def as_array_of_list(x):
    return np.array([x, x + 1.0])  # (array of list)


@pytest.mark.parametrize(
    "fn, code",
    [
        (as_array, "np.asarray(x) * 2.0  # (asarray)"),
        (as_array_copy, "np.array(x) * 2.0  # (array)"),
        (as_array_of_list, "np.array([x, x + 1.0])  # (array of list)"),
    ],
)
def test_conversion_to_numpy_says_numpy_does_not_dispatch_and_names_what_works(fn, code):
    message = raised(fn, rand(3, 4, dtype=np.float32))
    for part in (
        f"{HERE}:",
        code,
        "f32[3,4]",
        "does not hand the call to jitlib",
        "use x itself",
        "jnp.asarray(x) (import jitlib.numpy as jnp)",
        "np.stack([x, y])",
    ):
        assert part in message, (part, message)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_named_replacements_give_numpy_values(backend):
    x, y = rand(3, 4, dtype=np.float32), rand(3, 4, seed=1, dtype=np.float32)
    cases = [
        (lambda x, y: jnp.asarray(x) * 2.0, lambda x, y: np.asarray(x) * 2.0),
        (lambda x, y: jnp.asarray(x, dtype=np.float64), lambda x, y: np.asarray(x, np.float64)),
        (lambda x, y: np.stack([x, y + 1.0]), lambda x, y: np.array([x, y + 1.0])),
        (lambda x, y: jnp.asarray([x, y]), lambda x, y: np.array([x, y])),
        # a list of Python numbers is a float64 array, as numpy's is
        (
            lambda x, y: x * jnp.asarray([1.5, -2.5, 0.5, 3.0]),
            lambda x, y: x * np.asarray([1.5, -2.5, 0.5, 3.0]),
        ),
    ]
    for jitted, eager in cases:
        assert_same(jl.jit(jitted, backend=backend)(x, y), eager(x, y))


# --- np.arange of a traced size ------------------------------------------------------------

ARANGE_CASES = {
    "pick one per row": lambda x, labels: x[np.arange(x.shape[0]), labels],
    "every other row": lambda x, labels: x[np.arange(0, x.shape[0], 2)],
    "rows reversed": lambda x, labels: x[np.arange(x.shape[0] - 1, -1, -1), labels],
    "column weights": lambda x, labels: x * np.arange(1, x.shape[1] + 1),
    "row grid": lambda x, labels: x + np.arange(x.shape[0])[:, None] * labels[:, None],
    "ones of a size": lambda x, labels: np.ones(x.shape[0]) + x[:, 0],
    "zeros of a shape": lambda x, labels: np.zeros((x.shape[0], 2)) - x[:, :2],
    # empty at 5 rows: an int64 index, as numpy's np.arange(0) is, not float64
    "no rows": lambda x, labels: x[np.arange(x.shape[0] - 5)],
    "arange itself": lambda x, labels: np.arange(x.shape[0] - 5),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ARANGE_CASES)
def test_arange_of_a_traced_size_matches_numpy(name, backend):
    fn = ARANGE_CASES[name]
    jitted = jl.jit(fn, backend=backend)
    for rows, seed in [(5, 0), (7, 1)]:  # the second size retraces where a size was used
        x = rand(rows, 3, seed=seed, dtype=np.float32)
        labels = ints(rows, low=0, high=3, seed=seed)
        assert_same(jitted(x, labels), fn(x, labels))


# --- a numpy array indexed with a traced array ---------------------------------------------

TABLE = rand(12, seed=3)


def closed_over(index):
    return TABLE[index] * 2.0  # (table)


def closed_over_take(index):
    return np.take(TABLE, index, axis=0)  # (take)


@pytest.mark.parametrize(
    "fn, code",
    [
        (closed_over, "TABLE[index] * 2.0  # (table)"),
        # np.take dispatches on its first argument only, which is the numpy table
        (closed_over_take, "np.take(TABLE, index, axis=0)  # (take)"),
    ],
)
def test_indexing_a_numpy_array_with_a_traced_one_names_the_fixes(fn, code):
    message = raised(fn, ints(3, low=0, high=12))
    for part in (
        f"{HERE}:",
        code,
        "i64[3]",
        "numpy's indexing does not dispatch to jitlib",
        "jnp.asarray(table)[x]",
        "np.take_along_axis(table, x, axis=0)",
    ):
        assert part in message, (part, message)


FIXES = {
    "jnp.asarray(table)[x]": lambda table, index: jnp.asarray(table)[index],
    "np.take_along_axis": lambda table, index: np.take_along_axis(table, index, axis=0),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fix", FIXES)
def test_fix_under_jit_matches_numpy_indexing(fix, backend):
    index = ints(9, low=-12, high=12)  # repeats and negative indices
    got = jl.jit(lambda i: FIXES[fix](TABLE, i) * 2.0, backend=backend)(index)
    assert_same(got, TABLE[index] * 2.0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fix", FIXES)
def test_fix_under_grad_with_respect_to_the_table(fix, backend):
    weights = rand(9, seed=4)

    def loss(table, index):
        return np.sum(np.sin(FIXES[fix](table, index)) * weights)

    check_grad(loss, (rand(12, seed=5), ints(9, low=-12, high=12)), 0, backend)


def advected(velocity, fix, dt=0.7):
    """One semi-Lagrangian step of the closed-over TABLE on a periodic grid: each point
    takes the value interpolated where the flow comes from."""
    n = TABLE.shape[0]
    source = np.arange(n) - velocity * dt
    below = np.floor(source)
    frac = source - below
    left = below.astype(np.int64) % n
    return (1.0 - frac) * fix(TABLE, left) + frac * fix(TABLE, (left + 1) % n)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fix", FIXES)
def test_fix_under_grad_with_respect_to_what_builds_the_index(fix, backend):
    weights = rand(12, seed=6)

    def loss(velocity):
        return np.sum(advected(velocity, FIXES[fix]) ** 2 * weights)

    check_grad(loss, (3.0 * rand(12, seed=8),), 0, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fix", FIXES)
def test_fix_under_vmap_over_the_index(fix, backend):
    indices = ints(4, 9, low=-12, high=12, seed=9)
    got = jl.jit(jl.vmap(lambda i: FIXES[fix](TABLE, i)), backend=backend)(indices)
    assert_same(got, np.stack([TABLE[i] for i in indices]))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fix", FIXES)
def test_fix_under_vmap_over_the_table(fix, backend):
    tables, index = rand(4, 12, seed=10), ints(9, low=-12, high=12, seed=11)
    batched = jl.vmap(lambda t, i: FIXES[fix](t, i), in_axes=(0, None))
    got = jl.jit(batched, backend=backend)(tables, index)
    assert_same(got, np.stack([t[index] for t in tables]))
