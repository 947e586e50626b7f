"""Writes and views the write fuzzer (tests/fuzz/test_fuzz_writes.py) found jitlib getting
wrong, minimised by hand. Each program runs on both backends and eagerly on copies of the same
arguments: the results, their dtypes and the arguments after the call must be numpy's, or,
where numpy raises, jit must raise the same kind of error. The names say what numpy does.
"""

import numpy as np
import pytest

import jitlib as jl
from fuzz.writes import run_eagerly

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
BACKENDS = ("numpy", "triton")


def rand(shape, dtype=np.float64, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 2).astype(dtype)


# --- views ----------------------------------------------------------------------------------
def whole_array_index_is_a_view(a):
    # a[:] gave a new array: the function wrapper copies a result that `is` its argument
    # (meant for np.positive(x)), and a basic index picking everything returns x itself
    b = a[:]
    b[0] = 7.0
    c = a[...]
    a[1] = 8.0
    return a, b, c


def index_of_all_of_a_one_row_array_is_a_view(a):
    # a[None, 0] of a (1, n) array picks all of it unchanged, so also gave a copy
    np.negative(2.0, out=a[None, 0])
    return (a,)


def view_of_a_view_with_one_row_is_a_view(a):
    # a[::2] of 2 rows has (s0 + 1) // 2 rows, 1 here: reshaped_strides took that dim for a
    # real axis and decided numpy's reshape (dropping the row) would copy
    v = a[::2][0]
    v += 1.0
    w = a[::2][0]
    a[0, 0] = 5.0
    return a, v, w


def ravel_of_a_strided_vector_copies(a):
    # ravel (unlike reshape) gives a contiguous array: of a[::2] or a[::-1] it is a copy
    r = a[::2].ravel()
    s = np.ravel(a[::-1])
    a[0] = 5.0
    return r, s


def ndarray_view_method_is_a_view(a):
    # Tracer.view (the in-place bookkeeping slot) shadowed ndarray.view: TypeError
    v = a.view()
    v[0] = 1.0
    return (a,)


# --- indices --------------------------------------------------------------------------------
def mask_after_an_int_and_a_slice_selects_axis_first(a):
    # a[0, :, mask]: an int and a mask apart are advanced indices around a slice, so numpy
    # puts the selected axis first, (count, 2) here; jit kept it in place, (2, count), so it
    # refused this value and wrote the next one transposed. Now refused, with a clear error
    mask = np.array([True, False, True])
    a[0, :, mask] = np.array([10.0, 20.0])
    a[1, :, mask] = np.array([[30.0], [40.0]])
    return (a,)


def several_index_arrays_and_an_empty_slice(a):
    # a[[0], [0], :0]: reshape (s0, s0, 0) to (-1, 0) was refused while flattening the arrays
    a[[0], [0], :0] = 1.0
    return a, a[[0], [1], :0]


def empty_mask_of_another_length_writes_nothing(a):
    # numpy's quirk: a boolean index with no entries fits any axis (jit raised IndexError)
    a[a[:0] > 0] = 1.0
    return (a,)


# --- ufunc.at -------------------------------------------------------------------------------
def ufunc_at_of_an_int_array_computes_in_float(a):
    # numpy computes 3 * 2.5 = 7.5 and casts it (7); jit cast the value first (3 * 2 = 6).
    # numpy casts after every update, which no scatter does: now refused, with a clear error
    np.multiply.at(a, [0, 0], 2.5)
    np.add.at(a, [1], 2.5)  # -3 + 2.5 = -0.5 casts to 0; jit gave -3 + 2 = -1
    return (a,)


# --- shapes ---------------------------------------------------------------------------------
def squeeze_drops_a_dim_of_length_one_at_these_sizes(a):
    # a.reshape(3, -1) of 3 elements has s0 // 3 columns, 1 here; a[::2] of 2 rows has
    # (s0 + 1) // 2 rows: np.squeeze kept both as axes that may not be 1
    return np.squeeze(a.reshape(3, -1)), np.squeeze(a[::2, None])


# --- Triton ---------------------------------------------------------------------------------
def mask_write_after_a_strided_write(a):
    # the launcher computed a mask's extent on the host with tl.maximum and tl.minimum,
    # which only run inside kernels ("Did you forget to add @triton.jit ?")
    a[::2] = 3.0
    a[1, np.array([True, False, True])] = -2.0
    return (a,)


def put_of_nothing_checks_no_index(a):
    # numpy's put with no values writes nothing and checks no index; jit raised IndexError
    np.put(a, [3], a[1:] + 1.5)
    return (a,)


def fill_of_a_one_element_view(a):
    # the Triton slice write into a's buffer stored at one constant offset, which Triton
    # takes for a scalar pointer (a block of values needs a block of pointers)
    v = a[..., ::2]
    v.fill(2.5)
    return (a,)


REGRESSIONS = {
    whole_array_index_is_a_view: [rand((3,)), rand((2, 3), seed=1)],
    index_of_all_of_a_one_row_array_is_a_view: [rand((1, 3))],
    view_of_a_view_with_one_row_is_a_view: [rand((2, 2)), rand((3, 2), seed=1)],
    ravel_of_a_strided_vector_copies: [rand((3,)), rand((4,), seed=1)],
    ndarray_view_method_is_a_view: [rand((3,))],
    several_index_arrays_and_an_empty_slice: [rand((2, 2, 2))],
    empty_mask_of_another_length_writes_nothing: [rand((3,))],
    squeeze_drops_a_dim_of_length_one_at_these_sizes: [rand((3, 3))[:, 0].copy(), rand((2, 3))],
    mask_write_after_a_strided_write: [rand((2, 3))],
    put_of_nothing_checks_no_index: [rand((1,))],
    fill_of_a_one_element_view: [rand((1, 1)), rand((1, 3), seed=1)],
}


def _host(x) -> np.ndarray:
    return np.asarray(x.get() if hasattr(x, "get") and hasattr(x, "device") else x)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("program", list(REGRESSIONS), ids=lambda f: f.__name__)
def test_write_regression(program, backend):
    jitted = jl.jit(program, backend=backend)
    for x in REGRESSIONS[program]:
        eager_x, jit_x = x.copy(), x.copy()
        want = run_eagerly(program, [eager_x])
        got = jitted(jit_x)
        for g, w in zip(got, want, strict=True):
            g = _host(g)
            assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
            np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(jit_x, eager_x, err_msg="the argument after the call")


# --- errors numpy raises ----------------------------------------------------------------------
def out_of_range_index_of_an_overwritten_write_raises(a):
    # the scatter was dead (a.fill overwrites it), so was its range check: no IndexError
    a[[2]] = 3.0
    a.fill(0.0)
    return (a,)


def out_of_range_index_of_an_unused_read_raises(a):
    b = a[[2]]  # noqa: F841 (unused, as the fuzzer's program left it)
    return (a,)


def put_along_axis_with_indices_that_do_not_broadcast(a):
    # numpy's IndexError ("shape mismatch: indexing arrays could not be broadcast"); jit
    # raised a ShapeMismatchError, a ValueError
    np.put_along_axis(a, np.zeros((3, 1), np.int64), 1.0, 1)
    return (a,)


def computed_index_of_an_overwritten_write_raises(a):
    # the index is computed, so only the run can check it: DCE dropped the dead scatter and
    # its check with it (the trace-time check covers constant indices only)
    a[(np.abs(a) * 3).astype(np.int64) % 2] = 2.5
    a[...] = 2.5
    return (a,)


def computed_index_of_an_unused_read_raises(a):
    b = a[(np.abs(a) * 3).astype(np.int64) % 2]  # noqa: F841
    return (a,)


def gather_from_an_axis_of_one_checks_its_index(a):
    # Triton: the index into an axis of size 1 normalized to 0, and its range check with it
    return (a[(np.abs(a) * 3).astype(np.int64) % 2] * 2.0,)


def put_out_of_range_index_of_an_overwritten_write_raises(a):
    # np.put's flat scatter lost its range check once dead (a.fill overwrites it); the
    # fuzzer met it at a second size, where the trace of the first was reused
    np.put(a, [3], 1.0)
    a.fill(2.5)
    return (a,)


def ufunc_out_with_more_dims_than_out_raises(a):
    # numpy: "non-broadcastable output operand with shape (3,) doesn't match the broadcast
    # shape (1,3)"; jit dropped the result's leading 1 (as x[...] = v may) and wrote it
    np.negative(a[None, :], out=a)
    return (a,)


ERRORS = {
    out_of_range_index_of_an_overwritten_write_raises: rand((1,)),
    out_of_range_index_of_an_unused_read_raises: rand((1,)),
    put_along_axis_with_indices_that_do_not_broadcast: rand((2, 3)),
    computed_index_of_an_overwritten_write_raises: np.array([0.4]),
    computed_index_of_an_unused_read_raises: np.array([0.4]),
    gather_from_an_axis_of_one_checks_its_index: np.array([0.4]),
    put_out_of_range_index_of_an_overwritten_write_raises: rand((2,)),
    ufunc_out_with_more_dims_than_out_raises: rand((3,)),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("program", list(ERRORS), ids=lambda f: f.__name__)
def test_write_regression_raises_as_numpy(program, backend):
    with pytest.raises(Exception) as eager:
        run_eagerly(program, [ERRORS[program].copy()])
    with pytest.raises(type(eager.value)):
        jl.jit(program, backend=backend)(ERRORS[program].copy())


# --- refused with a clear error (numpy's answer here has no faithful compiled form yet) ---
REFUSED = {
    mask_after_an_int_and_a_slice_selects_axis_first: (rand((2, 2, 3)), "index in two steps"),
    ufunc_at_of_an_int_array_computes_in_float: (np.array([3, -3, 5]), "cast the values first"),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("program", list(REFUSED), ids=lambda f: f.__name__)
def test_write_regression_refused_clearly(program, backend):
    x, reason = REFUSED[program]
    run_eagerly(program, [x.copy()])  # numpy takes it
    with pytest.raises(jl.UnsupportedError, match=reason):
        jl.jit(program, backend=backend)(x.copy())


# --- where eager numpy is no oracle ---------------------------------------------------------
def add_at_with_a_two_dim_index_and_a_broadcast_value(a):
    # numpy 2.4's ufunc.at reads past the value when a 2-d index broadcasts it along its
    # first axis (int64 results are garbage); jit gives what numpy documents, the value
    # broadcast to a[index] and added element by element, as numpy does when it is spelled out
    np.add.at(a, [[0, 0], [0, 1]], np.array([4.0, 1.0]))
    return (a,)


@pytest.mark.parametrize("backend", BACKENDS)
def test_add_at_follows_numpy_documented_broadcast(backend):
    a = rand((3,))
    want = a.copy()
    np.add.at(want, np.array([[0, 0], [0, 1]]), np.array([[4.0, 1.0], [4.0, 1.0]]))
    (got,) = jl.jit(add_at_with_a_two_dim_index_and_a_broadcast_value, backend=backend)(a)
    np.testing.assert_allclose(_host(got), want, rtol=1e-12)
    np.testing.assert_allclose(a, want, rtol=1e-12)
