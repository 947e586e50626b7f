"""What the Triton backend promises around its results and its errors, against numpy: an
integer-array index out of range raises IndexError (negative indices count from the end),
an unknown backend is rejected when decorating, results are arrays of numpy's dtype and
shape (0-d included) with memory of their own, inputs are left untouched, and one array may
be passed as several arguments. Kernels run in Triton's interpreter without a GPU.
"""

import numpy as np
import pytest
from ops.test_forward import assert_matches

import jitlib as jl


def rand(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def triton(fn):
    return jl.jit(fn, backend="triton")


# --- integer-array indices ----------------------------------------------------------------
def rows(x, index):
    return x[index]


def columns(x, index):
    return x[:, index] * 2.0


def row_norms(x, index):
    """The gather fused into a reduction kernel."""
    return np.sqrt((np.tanh(x[index]) ** 2).sum(axis=-1))


def taken(x, index):
    return np.take(x, index, axis=0) - x.mean()


INDEXERS = [rows, columns, row_norms, taken]


@pytest.mark.parametrize("fn", INDEXERS, ids=[f.__name__ for f in INDEXERS])
@pytest.mark.parametrize(
    "index",
    [np.array([0, 5]), np.array([-6, 1]), np.array([2, 99, 1]), np.int64(5), np.int64(-6)],
    ids=["past_end", "before_start", "far", "scalar", "scalar_negative"],
)
def test_an_index_out_of_range_raises_index_error_like_numpy(fn, index):
    x = rand(5, 5)
    with pytest.raises(IndexError):
        fn(x, index)
    jitted = triton(fn)
    with pytest.raises(IndexError):
        jitted(x, index)
    # the next call with good indices is not left failing or wrong
    good = np.array([4, 0, 2])
    assert_matches(jitted(x, good), fn(x, good))


@pytest.mark.parametrize("fn", INDEXERS, ids=[f.__name__ for f in INDEXERS])
@pytest.mark.parametrize(
    "index",
    [np.array([-1, -5, 2, 0, -3, -1]), np.array([[-2, 4], [1, -4]]), np.int64(-2)],
    ids=["vector", "matrix", "scalar"],
)
def test_negative_indices_count_from_the_end(fn, index):
    x = rand(5, 5, seed=1)
    assert_matches(triton(fn)(x, index), fn(x, index))


def test_an_index_out_of_range_under_grad_raises_index_error():
    def loss(table, index):
        return (np.tanh(table[index]) ** 2).sum()

    table = rand(5, 3)
    with pytest.raises(IndexError):
        triton(jl.grad(loss))(table, np.array([1, 7]))
    with pytest.raises(IndexError):
        triton(jl.grad(loss))(table, np.array([-6, 2]))


# --- backend names ------------------------------------------------------------------------
def test_an_unknown_backend_is_rejected_when_decorating():
    def never_called(x):
        raise AssertionError("traced or run")

    with pytest.raises(jl.UnsupportedError, match="'nonsense'.*numpy, triton, auto"):
        jl.jit(never_called, backend="nonsense")
    with pytest.raises(jl.UnsupportedError, match="'nonsense'"):
        jl.jit(backend="nonsense")


def test_an_unknown_backend_from_the_environment_is_rejected_when_called(monkeypatch):
    monkeypatch.setenv("JITLIB_BACKEND", "nonsense")
    jitted = jl.jit(lambda x: x + 1.0)
    with pytest.raises(jl.UnsupportedError, match="'nonsense'"):
        jitted(rand(3))


# --- results: numpy's dtype and shape, 0-d included ---------------------------------------
RESULT_CASES = {
    "float32_sum_0d": (lambda x: x.sum(), [rand(4, 3, dtype=np.float32)]),
    "argmax_0d": (lambda x: np.argmax(x), [rand(4, 3)]),
    "any_0d": (lambda x: (x > 0.5).any(), [rand(4, 3)]),
    "0d_in_0d_out": (lambda s: np.sin(s) * 2.0, [np.array(0.7)]),
    "float32_scalar_times_float64": (lambda s, x: s * x, [np.float32(1.5), rand(3)]),
    "float32_times_python_float": (lambda x: x * 2.5, [rand(4, 3, dtype=np.float32)]),
    "int32_mean": (lambda x: x.mean(axis=0), [np.arange(-6, 6, dtype=np.int32).reshape(4, 3)]),
    "int32_plus_float32": (
        lambda a, b: a + b,
        [np.arange(3, dtype=np.int32), rand(4, 3, dtype=np.float32)],
    ),
    "int64_floor_divide": (lambda x: x // 3, [np.arange(-7, 5).reshape(3, 4)]),
    "sqrt_of_int32": (lambda x: np.sqrt(x), [np.arange(1, 13, dtype=np.int32).reshape(3, 4)]),
    "float16": (lambda x: np.exp(x) + 1, [rand(4, 3, dtype=np.float16)]),
    "comparison": (lambda a, b: a < b, [rand(4, 3), rand(3, seed=1)]),
    "size_one_axes": (lambda x: x.max(axis=1, keepdims=True)[:, None], [rand(4, 3)]),
    "several": (lambda x: (x.sum(), x.T * 2.0, np.argmin(x, axis=0)), [rand(4, 3)]),
}


@pytest.mark.parametrize("fn, args", RESULT_CASES.values(), ids=RESULT_CASES.keys())
def test_results_have_numpy_dtypes_and_shapes(fn, args):
    assert_matches(triton(fn)(*args), fn(*args))


# --- inputs are not touched and results are not views of them -----------------------------
NO_OP_CASES = {
    "identity": lambda x: x,
    "transpose": lambda x: x.T,
    "reshape": lambda x: x.reshape(-1),
    "slice": lambda x: x[1:],
    "same_dtype_astype": lambda x: x.astype(np.float64),
    "broadcast": lambda x: np.broadcast_to(x, (2, 4, 3)),
    "twice": lambda x: (x, x * 1.0),
}


@pytest.mark.parametrize("fn", NO_OP_CASES.values(), ids=NO_OP_CASES.keys())
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_inputs_are_untouched_and_results_own_their_memory(fn, layout):
    x = rand(4, 3) if layout == "contiguous" else rand(4, 6)[:, ::2]
    before = x.copy()
    got = triton(fn)(x)
    assert_matches(got, fn(before))
    for result in jl.tree_flatten(got)[0]:
        assert not np.shares_memory(result, x)
        result[...] = -7.0  # writing to a result leaves the input as it was
    np.testing.assert_array_equal(x, before, strict=True)


def test_results_of_one_call_survive_the_next():
    jitted = triton(lambda x: np.tanh(x) * x.sum())
    x, y = rand(4, 3), rand(4, 3, seed=1)
    first = jitted(x)
    second = jitted(y)
    assert not np.shares_memory(first, second)
    assert_matches(first, np.tanh(x) * x.sum())
    assert_matches(second, np.tanh(y) * y.sum())


# --- one array as several arguments -------------------------------------------------------
def mixed(a, b):
    return np.tanh(a) * b + a.sum(axis=0) - a @ b.T


@pytest.mark.parametrize("second", ["same", "reversed_view", "other"])
def test_one_array_passed_as_two_arguments(second):
    x = rand(3, 3)
    y = {"same": x, "reversed_view": x[::-1], "other": rand(3, 3, seed=1)}[second]
    before = x.copy()
    assert_matches(triton(mixed)(x, y), mixed(before, y.copy()))
    np.testing.assert_array_equal(x, before, strict=True)


def test_grad_with_one_array_as_both_arguments():
    def loss(a, b):
        return (mixed(a, b) ** 2).sum()

    x, direction, eps = rand(3, 3), rand(3, 3, seed=2), 1e-6
    grads = triton(jl.grad(loss, argnums=(0, 1)))(x, x)
    expected = jl.jit(jl.grad(loss, argnums=(0, 1)), backend="numpy")(x, x)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
    # each gradient against central differences along a random direction in its argument
    along_a = (loss(x + eps * direction, x) - loss(x - eps * direction, x)) / (2 * eps)
    along_b = (loss(x, x + eps * direction) - loss(x, x - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(np.sum(grads[0] * direction), along_a, rtol=1e-6)
    np.testing.assert_allclose(np.sum(grads[1] * direction), along_b, rtol=1e-6)


def test_python_int_too_big_for_the_array_dtype_raises_like_numpy():
    """Regression: the kernel's int64 -> int32 conversion wrapped 2**40 silently."""
    x = np.arange(3, dtype=np.int32)
    jf = jl.jit(lambda x, a: x + a, backend="triton")
    np.testing.assert_array_equal(jf(x, 5), x + 5)
    with pytest.raises(OverflowError):
        jf(x, 2**40)


def test_a_host_step_gets_the_sizes_its_operands_lack():
    """Regression: a scan body using x.shape[0] (a size no operand of the scan carries)
    ran on the host without that size."""

    def f(x):
        return jl.scan(lambda c, _: (c + x.shape[0], c * 2), 0, None, length=3)

    jitted = jl.jit(f, backend="triton")
    for n in (5, 7):
        carry, ys = jitted(np.random.default_rng(n).standard_normal(n).astype(np.float32))
        np.testing.assert_array_equal(carry, 3 * n)
        np.testing.assert_array_equal(ys, [0, 2 * n, 4 * n])
    assert jitted.cache_info().misses == 1
