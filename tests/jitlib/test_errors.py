"""The errors users get (DESIGN §1): the right JitError subclass, naming the user's source
line, the op and the shapes/dtypes involved; and a jitted call never changes its inputs."""

import numpy as np
import pytest

import ir
import jitlib as jl
from jitlib import trace

HERE = "test_errors.py"


def rand(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def line_of(marker: str) -> int:
    """The line of this file holding `marker` (in a trailing comment)."""
    with open(__file__) as source:
        lines = [i for i, text in enumerate(source, 1) if text.rstrip().endswith(marker)]
    assert len(lines) == 1, marker
    return lines[0]


def raised(error_type, fn, *args, **kwargs) -> str:
    """Call jit(fn) and return the message of the error, which must be `error_type`."""
    with pytest.raises(error_type) as info:
        jl.jit(fn)(*args, **kwargs)
    assert isinstance(info.value, jl.JitError)
    assert trace.current() is None  # the failed trace was left cleanly
    return str(info.value)


def assert_names(message: str, marker: str, *parts: str) -> None:
    assert f"{HERE}:{line_of(marker)}" in message, message
    for part in parts:
        assert part in message, (part, message)


# --- concretization ------------------------------------------------------------------------


def branch_on_value(x):
    if x.sum() > 0:  # <- branch
        return x
    return -x


def test_branching_on_a_traced_value():
    message = raised(jl.ConcretizationError, branch_on_value, rand((3, 4)))
    assert_names(message, "# <- branch", "branching", "bool[]", "np.where", "jl.cond")


def to_float(x):
    return x * float(x.sum())  # <- float


def to_int(x):
    return x * int(x[0, 0])  # <- int


def to_item(x):
    return x * x.max().item()  # <- item


@pytest.mark.parametrize(
    "fn, marker, op",
    [
        (to_float, "# <- float", "float()"),
        (to_int, "# <- int", "int()"),
        (to_item, "# <- item", ".item()"),
    ],
)
def test_concrete_value_of_a_tracer(fn, marker, op):
    message = raised(jl.ConcretizationError, fn, rand((3, 4)))
    assert_names(message, marker, op, "f32[]", "np.where")


def test_a_failed_trace_is_not_cached_and_raises_again():
    jf = jl.jit(branch_on_value)
    for _ in range(2):
        with pytest.raises(jl.ConcretizationError):
            jf(rand((3, 4)))
    assert jf.cache_info().entries == 0


# --- shape mismatches --------------------------------------------------------------------------


def bad_add(x, y):
    return x + y  # <- add


def bad_matmul(x, y):
    return np.tanh(x) @ y  # <- matmul


def bad_reshape(x):
    return x.reshape(5, 3)  # <- reshape


def test_broadcasting_mismatch_names_both_shapes():
    message = raised(jl.ShapeMismatchError, bad_add, rand((3, 4)), rand((5,)))
    assert_names(message, "# <- add", "add", "f32[3,4]", "f32[5]", "broadcast")


def test_broadcasting_mismatch_with_dtypes():
    message = raised(jl.ShapeMismatchError, bad_add, rand((3, 4), np.int32), rand((2, 1)))
    assert_names(message, "# <- add", "add", "[3,4]", "[2,1]")


def test_matmul_mismatch_names_both_shapes():
    message = raised(jl.ShapeMismatchError, bad_matmul, rand((3, 4)), rand((5, 2)))
    assert_names(message, "# <- matmul", "matmul", "f32[3,4]", "f32[5,2]")


def test_reshape_mismatch_names_both_shapes():
    message = raised(jl.ShapeMismatchError, bad_reshape, rand((3, 4)))
    assert_names(message, "# <- reshape", "reshape", "f32[3,4]", "(5, 3)")


def test_shape_mismatch_is_also_an_ir_shape_error():
    with pytest.raises(ir.ShapeError):
        jl.jit(bad_add)(rand((3, 4)), rand((5,)))


# --- unsupported -----------------------------------------------------------------------------


def fft(x):
    return np.fft.fft(x)  # <- fft


def setxor1d(x):
    return np.setxor1d(x[0], x[1])  # <- setxor1d


def trim_zeros(x):
    return np.trim_zeros(x[0])  # <- trim_zeros


@pytest.mark.parametrize(
    "fn, marker, name",
    [
        (fft, "# <- fft", "numpy.fft.fft"),
        (setxor1d, "# <- setxor1d", "numpy.setxor1d"),
        (trim_zeros, "# <- trim_zeros", "numpy.trim_zeros"),
    ],
)
def test_unsupported_numpy_function(fn, marker, name):
    x = rand((4, 4))
    message = raised(jl.UnsupportedError, fn, x)
    assert_names(message, marker, f"{name} is not supported", "eager numpy still works")
    fn(x)  # and indeed it does


def partition_method(x):
    return x.partition(1)  # <- partition method


def test_unsupported_ndarray_method():
    message = raised(jl.UnsupportedError, partition_method, rand((3, 4)))
    assert_names(message, "# <- partition method", "ndarray.partition", "eager numpy still works")


def test_misspelled_attribute_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="cumsun"):
        jl.jit(lambda x: x.cumsun())(rand((3,)))


def mask_index(x):
    return x[x > 0]  # <- mask


def set_item(x):
    y = x.copy()
    y[y > 0] = x[:2]  # <- setitem
    return y


def test_boolean_mask_indexing():
    message = raised(jl.UnsupportedError, mask_index, rand((3, 4)))
    assert_names(message, "# <- mask", "boolean mask", "np.where")


def test_mask_write_of_a_data_dependent_length():
    x = rand((3, 4))
    message = raised(jl.ShapeMismatchError, set_item, x)
    assert_names(message, "# <- setitem", "x[mask] = v", "(2, 4)", "np.where")


def test_string_argument():
    with pytest.raises(jl.ArgumentError) as info:
        jl.jit(lambda x, s: x)(rand((3,)), "hello")  # <- str argument
    assert_names(str(info.value), "# <- str argument", "str", "static")


def test_object_argument():
    with pytest.raises(jl.ArgumentError) as info:
        jl.jit(lambda x, s: x)(rand((3,)), object())  # <- object argument
    assert_names(str(info.value), "# <- object argument", "object", "static")


def test_returning_a_non_array():
    with pytest.raises(jl.ArgumentError) as info:
        jl.jit(lambda x: "done")(rand((3,)))  # <- str result
    assert_names(str(info.value), "# <- str result", "str")


@pytest.mark.parametrize("dtype", [np.complex64, np.longdouble])
def test_unsupported_dtype_argument(dtype):
    x = (rand((3, 4)) * 10).astype(dtype)
    with pytest.raises(jl.UnsupportedError) as info:
        jl.jit(lambda x: x * 2)(x)  # <- dtype argument
    assert_names(str(info.value), "# <- dtype argument", np.dtype(dtype).name, "float32")


def test_every_error_class_is_a_jit_error():
    for error in (
        jl.ConcretizationError,
        jl.ShapeMismatchError,
        jl.UnsupportedError,
        jl.ArgumentError,
    ):
        assert issubclass(error, jl.JitError)


# --- inputs are never modified ------------------------------------------------------------------


def chain(x, y):
    z = np.exp(x) * 2.0 + y
    z = np.tanh(z) - x
    z = z * z + 1.0
    return z, x.T, x.reshape(-1) - 0.5


def row_chain(x, y):
    z = np.exp(x - x.max(axis=1, keepdims=True)) * y
    return z / z.sum(axis=1, keepdims=True), x[:, :3]


@pytest.mark.parametrize("fn", [chain, row_chain])
@pytest.mark.parametrize("rows", [8, 4096])  # 4096 rows also runs row_chain row-blocked
def test_inputs_are_never_modified(fn, rows):
    x, y = rand((rows, 96)), rand((rows, 96), seed=1)
    x_before, y_before = x.copy(), y.copy()
    jf = jl.jit(fn)
    for _ in range(2):
        outs = jf(x, y)
        for got, want in zip(outs, fn(x_before, y_before)):
            # the fuzz suite's float32 tolerance, scaled by the largest value: row_chain
            # divides by row sums of mixed signs, whose rounding (jit's row sums are
            # einsum's, not numpy's pairwise sums) the division magnifies
            np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4 * np.abs(want).max())
        np.testing.assert_array_equal(x, x_before)
        np.testing.assert_array_equal(y, y_before)
        for out in outs:  # writing to an output does not reach the inputs either
            out[...] = 123.0
        np.testing.assert_array_equal(x, x_before)


def test_same_array_passed_twice_is_not_modified():
    x = rand((16, 8))
    before = x.copy()
    out = jl.jit(lambda a, b: np.exp(a) * b + a)(x, x)
    np.testing.assert_allclose(out, np.exp(before) * before + before, rtol=1e-6)
    np.testing.assert_array_equal(x, before)


def as_numpy(x):
    return np.asarray(x) * 2  # <- asarray


def test_converting_a_traced_array_to_numpy_says_what_to_do_instead():
    message = raised(jl.ConcretizationError, as_numpy, rand((3, 4)))
    assert_names(message, "# <- asarray", "np.asarray", "f32[3,4]", "jnp.asarray(x)")
