"""numpy-semantics parity, both backends: a jitted function gives eager numpy's values,
dtypes and shapes (signed zeros included) on the edges of numpy's semantics: NaN and inf,
integer floor division and wrap-around, division by zero, size-0 dimensions, 0-d arrays and
numpy scalars, and inputs of every memory layout, which a call never modifies.

Each table row is (name, fn, args); rows marked `close` compare with allclose, where
rounding may legitimately differ (sums, matmuls, transcendental functions), the others
exactly.
"""

import warnings

import numpy as np
import pytest

import jitlib as jl
from codegen import numpy_runtime, triton_emitter
from reliability.conftest import host

NAN, INF = np.nan, np.inf
CLOSE = {"float16": (2e-3, 2e-3), "float32": (1e-5, 1e-5), "float64": (1e-12, 1e-12)}


def rand(shape, dtype=np.float32, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def ints(shape, dtype=np.int32, seed=0, low=-50, high=50) -> np.ndarray:
    return np.random.default_rng(seed).integers(low, high, shape).astype(dtype)


def with_values(x: np.ndarray, places: dict) -> np.ndarray:
    """A copy of x with `places` (index -> value) written in."""
    x = x.copy()
    for index, value in places.items():
        x[index] = value
    return x


def case(name: str, fn, *args, close: bool = False):
    return pytest.param(fn, args, close, id=name)


def eager(fn, args):
    """numpy's own result, its warnings (divide by zero, empty means) silenced."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


def jitted(fn, args, backend: str):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return jl.jit(fn, backend=backend)(*args)


def assert_same(got, want, close: bool = False) -> None:
    """Equal dtype and shape; equal values (NaN matching NaN, and the sign of each zero),
    or with `close` equal to rounding."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(g, w, close)
        return
    got, want = np.asarray(host(got)), np.asarray(want)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    if close and want.dtype.kind == "f":
        rtol, atol = CLOSE[want.dtype.name]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
        return
    np.testing.assert_array_equal(got, want)
    if want.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg="signed zeros")


def check(fn, args, backend: str, close: bool = False) -> None:
    """The jitted fn against eager numpy; the arguments are left as they were."""
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    want = eager(fn, before)
    got = jitted(fn, args, backend)
    assert_same(got, want, close)
    for arg, old in zip(args, before):
        np.testing.assert_array_equal(arg, old, strict=True)


# --- NaN and inf --------------------------------------------------------------------------------
X_NAN = with_values(
    rand((5, 7)), {(1, 3): NAN, (2, 0): NAN, (2, 5): NAN, (4, 6): INF, (0, 2): -INF}
)
X_NAN64 = X_NAN.astype(np.float64)
X_INF = with_values(rand((4, 6), np.float64, seed=1), {(0, 1): INF, (0, 4): -INF, (1, 2): INF})
I_EXTREMES = with_values(ints((3, 9)), {(0, 4): 2**31 - 1, (1, 7): -(2**31), (2, 2): 49})
# (no 0.0 against -0.0: which one numpy's maximum picks depends on its SIMD loop)
PAIR_X = np.array([NAN, 1.0, 2.0, NAN, -INF, 0.0, -0.0, INF, 3.0], np.float32)
PAIR_Y = np.array([1.0, NAN, 2.0, NAN, 3.0, 0.0, -0.0, INF, -INF], np.float32)


def extrema(axis):
    def fn(x):
        return np.max(x, axis), np.min(x, axis), np.argmax(x, axis), np.argmin(x, axis)

    return fn


def pairs(x, y):
    return (
        np.maximum(x, y),
        np.minimum(x, y),
        np.fmax(x, y),
        np.fmin(x, y),
        (x < y, x <= y, x == y, x != y, x > y, x >= y),
        (np.isnan(x), np.isinf(x), np.isfinite(x)),
    )


def specials(x):
    return (
        np.log(np.abs(x) * 0.0),  # -inf
        np.log(-np.abs(x) - 1.0),  # nan
        np.sqrt(-np.abs(x) - 1.0),  # nan
        np.maximum(x, NAN),
        # regression: kernels took the constants 0.0 and -0.0 for one node (they compare
        # equal), and np.sign(-0.0) gave -0.0 where numpy gives 0.0
        np.minimum(x, -0.0),
        np.fmax(x, -0.0),
        np.sign(x * 0.0),
    )


def overflows(x):
    return np.exp(x * 100.0), np.exp(-x * 100.0), np.expm1(x * 1000.0), x * 1e38 * 10.0


def sums(x):
    return (
        x.sum(axis=0),
        x.sum(axis=1),
        x.sum(),
        x.mean(axis=1),
        x.prod(axis=0),
        np.cumsum(x, axis=1)[:, -1],
    )


NAN_INF = [
    case("extrema_axis0", extrema(0), X_NAN),
    case("extrema_axis1", extrema(1), X_NAN),
    case("extrema_all", extrema(None), X_NAN),
    case("extrema_axis1_float64", extrema(1), X_NAN64),
    case("extrema_transposed", extrema(None), X_NAN.T),
    case("extrema_int32", extrema(1), I_EXTREMES),
    case("extrema_bool", extrema(0), X_NAN > 0),
    case("pairs", pairs, PAIR_X, PAIR_Y),
    case("pairs_scalar_nan", pairs, PAIR_X, np.float32(NAN)),
    case("specials", specials, X_NAN),
    case("overflow_to_inf", overflows, X_NAN, close=True),
    case("sums_of_inf_and_minus_inf", sums, X_INF, close=True),
    case("sums_of_nan", sums, X_NAN, close=True),
]


@pytest.mark.parametrize("fn, args, close", NAN_INF)
def test_nan_and_inf(fn, args, close, backend):
    check(fn, args, backend, close)


# --- rows longer than a block -------------------------------------------------------------------
# The Triton backend reduces a row longer than MAX_ROW_BLOCK block by block. The blocks are
# made small here so that the loop covers many blocks at small sizes (Triton's interpreter
# calls a tl.reduce combine function once per element); a special value in a late block
# must still win.
LONG = with_values(
    rand((7, 100), seed=2),
    {(0, 90): NAN, (1, 5): NAN, (1, 70): NAN, (2, 99): INF, (3, 40): -INF, (4, 95): INF},
)
LONG[5] = -INF
LONG[6, 80:] = INF
COLUMNS = with_values(rand((100, 3), seed=3), {(70, 0): NAN, (3, 1): NAN, (90, 1): NAN})
LONG_INT = with_values(ints((3, 100), seed=4), {(1, 80): 2**31 - 1, (2, 77): -(2**31)})


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logsumexp(x):
    peak = x.max(axis=1, keepdims=True)
    return (peak + np.log(np.exp(x - peak).sum(axis=1, keepdims=True)))[:, 0]


def moments(x):
    return x.var(axis=1), x.std(axis=1), x.mean(axis=1)


def centred(x):
    return x - x.mean(axis=1, keepdims=True), x.var(axis=1)


LONG_ROWS = [
    case("extrema_rows", extrema(1), LONG),
    case("extrema_all", extrema(None), LONG),
    case("extrema_columns", extrema(0), COLUMNS),
    case("extrema_rows_float64", extrema(1), LONG.astype(np.float64)),
    case("extrema_rows_int32", extrema(1), LONG_INT),
    # online softmax: a running max and a rescaled running sum
    case("softmax", softmax, LONG, close=True),
    case("logsumexp", logsumexp, LONG, close=True),
    # regression: the one-pass (Welford) kernel took sum(x) as mean * count, which is nan
    # for a row holding inf
    case("moments", moments, LONG, close=True),
    case("moments_float64", moments, LONG.astype(np.float64), close=True),
    case("centred", centred, LONG, close=True),
    case(
        "sum_and_mean", lambda x: (x.sum(axis=1), x.mean(axis=1), x.var(axis=1)), LONG, close=True
    ),
]


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(triton_emitter, "MAX_ROW_BLOCK", 32)
    monkeypatch.setattr(triton_emitter, "LOOP_BLOCK", 16)


@pytest.mark.parametrize("fn, args, close", LONG_ROWS)
def test_rows_longer_than_a_block(fn, args, close, backend, small_blocks):
    check(fn, args, backend, close)


def test_a_nan_in_the_last_block_of_a_real_long_row(backend):
    """At the real sizes: rows longer than MAX_ROW_BLOCK loop over blocks; NaN at the end."""
    n = triton_emitter.MAX_ROW_BLOCK + 100
    x = with_values(rand((2, n), seed=5), {(0, n - 1): NAN, (1, n - 50): INF})
    check(lambda x: (x.max(axis=1), x.min(axis=1), x.sum(axis=1)), [x], backend, close=True)


# --- integer floor division and remainder -------------------------------------------------------
DIVIDEND = np.array([7, -7, 7, -7, 0, 5, -(2**31), -(2**31), 13, -13, 2**31 - 1, 6], np.int32)
DIVISOR = np.array([2, 2, -2, -2, 3, -1, -1, 1, 5, -5, -3, 4], np.int32)
F_DIVIDEND = np.array([7.5, -7.5, 7.5, -7.5, 0.0, -0.0, 4.0, -4.0, 1.0, -1.0, 1.0, -1.0, INF])
F_DIVISOR = np.array([2.0, 2.0, -2.0, -2.0, 3.0, 3.0, -2.0, 2.0, INF, INF, -INF, -INF, 2.0])


def divmod_pairs(x, y):
    return x // y, x % y, np.floor_divide(x, y), np.remainder(x, y)


def divmod_scalars(x):
    return x // 3, x % 3, x // -3, x % -3, 7 // x, -7 % x, -7 // x


DIVISION = [
    case("int32", divmod_pairs, DIVIDEND, DIVISOR),
    case("int64", divmod_pairs, DIVIDEND.astype(np.int64), DIVISOR.astype(np.int64)),
    case("int32_by_int64", divmod_pairs, DIVIDEND, DIVISOR.astype(np.int64)),
    case("int32_by_int64_scalar", divmod_pairs, DIVIDEND, np.int64(-4)),
    case("int32_scalars", divmod_scalars, DIVISOR),
    case("int64_scalars", divmod_scalars, DIVISOR.astype(np.int64)),
    case(
        "int64_random",
        divmod_pairs,
        ints(40, np.int64, 6, -(10**12), 10**12),
        ints(40, np.int64, 7),
    ),
    case("float64", divmod_pairs, F_DIVIDEND, F_DIVISOR),
    case("float32", divmod_pairs, F_DIVIDEND.astype(np.float32), F_DIVISOR.astype(np.float32)),
    case("float32_scalars", divmod_scalars, F_DIVIDEND.astype(np.float32)),
    case("0d_int32", divmod_pairs, np.array(-7, np.int32), np.array(2, np.int32)),
]


@pytest.mark.parametrize("fn, args, close", DIVISION)
def test_floor_division_and_remainder(fn, args, close, backend):
    check(fn, args, backend, close)


FMOD = [  # C's fmod: the sign of the dividend (remainder takes the divisor's)
    case("int32", np.fmod, DIVIDEND, DIVISOR),
    case("int64_by_zero", np.fmod, DIVIDEND.astype(np.int64), np.zeros(12, np.int64)),
    case("float64", np.fmod, F_DIVIDEND, F_DIVISOR),
    case("float32", np.fmod, F_DIVIDEND.astype(np.float32), F_DIVISOR.astype(np.float32)),
    case("float32_by_zero", np.fmod, F_DIVIDEND.astype(np.float32), np.float32(0.0)),
]


@pytest.mark.parametrize("fn, args, close", FMOD)
def test_fmod_matches_numpy(fn, args, close, backend):
    check(fn, args, backend, close)


# --- division by zero ---------------------------------------------------------------------------
F_NUM = np.array([1.5, -1.5, 0.0, -0.0, INF, -INF, NAN, 2.0], np.float32)
F_ZERO = np.array([0.0, 0.0, 0.0, 0.0, 0.0, -0.0, 0.0, -0.0], np.float32)
I_NUM = np.array([7, -7, 0, 2**31 - 1, -(2**31), 1], np.int32)


def by_zero(x, y):
    return x / y, x // y, x % y


BY_ZERO = [
    case("float32_array", by_zero, F_NUM, F_ZERO),
    case("float64_array", by_zero, F_NUM.astype(np.float64), F_ZERO.astype(np.float64)),
    case("float32_scalar", lambda x: (x / 0.0, x // 0.0, x % 0.0, 1.0 / (x * 0.0)), F_NUM),
    case("int32_array", by_zero, I_NUM, np.zeros(6, np.int32)),
    case("int64_array", by_zero, I_NUM.astype(np.int64), np.zeros(6, np.int64)),
    case("int32_scalar", lambda x: (x / 0, x // 0, x % 0, 0 // x), I_NUM),
]


@pytest.mark.parametrize("fn, args, close", BY_ZERO)
def test_division_by_zero(fn, args, close, backend):
    check(fn, args, backend, close)


# --- integer overflow ---------------------------------------------------------------------------
I32_EDGE = np.array([2**31 - 1, -(2**31), 123456789, -5, 46341], np.int32)
I64_EDGE = np.array([2**63 - 1, -(2**63), 1234567890123, -5, 3037000500], np.int64)


def wraps(x):
    return x + 1, x - 1, x * 3, x * x, -x, np.abs(x), x + x, x**2, (x * x).sum(), x.prod()


def compared_with_big_ints(x):
    return x > 2**40, x == 2**40, x != -(2**40), x <= -(2**63) - 5, x < 2**64


OVERFLOW = [
    case("int32_wraps", wraps, I32_EDGE),
    case("int64_wraps", wraps, I64_EDGE),
    case(
        "int32_in_long_rows", lambda x: (x * 1000).sum(axis=1), ints((3, 40), low=2**22, high=2**30)
    ),
    case("float32_from_a_huge_python_int", lambda x: (x + 2**200, x * 2**100), rand(4)),
    # numpy 2 compares a Python int outside the dtype's range exactly
    case("compared_with_big_ints", compared_with_big_ints, I32_EDGE),
    case("compared_with_big_int_argument", lambda x, s: (x > s, x == s, x < -s), I32_EDGE, 2**40),
]


@pytest.mark.parametrize("fn, args, close", OVERFLOW)
def test_integer_overflow_wraps_like_numpy(fn, args, close, backend):
    check(fn, args, backend, close)


TOO_BIG = [
    case("add_int32", lambda x: x + 2**31, I32_EDGE),
    case("multiply_int32", lambda x: x * -(2**31 + 1), I32_EDGE),
    case("maximum_int32", lambda x: np.maximum(x, 2**40), I32_EDGE),
    case("floor_divide_int32", lambda x: x // 2**40, I32_EDGE),
    case("full_like_int32", lambda x: np.full_like(x, 2**40), I32_EDGE),
    case("add_0d_int32", lambda x: x + 2**40, np.array(3, np.int32)),
    case("add_numpy_int32_scalar", lambda x: x + 2**40, np.int32(3)),
    case("add_int64", lambda x: x + 2**64, I64_EDGE),
    case("argument_to_int32", lambda x, s: x + s, I32_EDGE, 2**31),
    case("negative_argument_to_int32", lambda x, s: x - s, I32_EDGE, -(2**31) - 1),
]


@pytest.mark.parametrize("fn, args, close", TOO_BIG)
def test_python_int_too_big_for_the_dtype_raises_overflow_error(fn, args, close, backend):
    with pytest.raises(OverflowError):
        eager(fn, args)
    with pytest.raises(OverflowError):
        jitted(fn, args, backend)


def test_a_cached_function_still_checks_a_python_int_argument(backend):
    fn = jl.jit(lambda x, s: x * s, backend=backend)
    assert_same(fn(I32_EDGE, 3), I32_EDGE * 3)
    with pytest.raises(OverflowError):
        fn(I32_EDGE, 2**40)
    assert_same(fn(I32_EDGE, -(2**31)), I32_EDGE * -(2**31))


def test_a_python_int_argument_beyond_int64_is_refused(backend):
    """numpy raises OverflowError converting it; jit refuses it by name before tracing."""
    with pytest.raises(jl.ArgumentError, match="does not fit int64"):
        jitted(lambda x, s: x + s, (I64_EDGE, 2**70), backend)


# --- size-0 dimensions --------------------------------------------------------------------------
EMPTY_ROWS = rand((0, 4))  # reductions over axis 0 have no elements
EMPTY_COLS = ints((3, 0))  # reductions over axis 1 have no elements


def empty_reductions(x):
    return (
        x.sum(axis=0),
        x.prod(axis=0),
        x.mean(axis=0),
        x.sum(),
        x.prod(),
        x.mean(),
        x.max(axis=1),
        x.argmin(axis=1),
        x.any(axis=0),
        x.all(axis=0),
        x.sum(axis=0, keepdims=True),
    )


def matmul_and_epilogue(a, b):
    product = a @ b
    return product, np.tanh(product) + 1.0, product.sum(axis=1)


EMPTY = [
    # regression: two reductions of one empty operand were one kernel node, and planning
    # them raised AssertionError("the planner would loop")
    case("reductions_over_empty_rows", empty_reductions, EMPTY_ROWS),
    case("reductions_over_empty_rows_float64", empty_reductions, EMPTY_ROWS.astype(np.float64)),
    case("reductions_over_empty_columns", lambda x: empty_reductions(x.T), EMPTY_COLS),
    case(
        "two_empty_operands",
        lambda a, b: (a.sum(axis=0), b.prod(axis=0)),
        rand((0, 3)),
        rand((0, 5)),
    ),
    case("empty_axis_of_argmax_kept", lambda x: (x.argmax(axis=0), x.max(axis=0)), rand((3, 0))),
    case(
        "elementwise",
        lambda x, y: (x + y, np.exp(x) * 2.0, np.where(x > 0, x, y), x.T, x.reshape(0, 2, 2)),
        EMPTY_ROWS,
        rand((1, 4), seed=1),
    ),
    case("matmul_empty_inner", matmul_and_epilogue, rand((3, 0)), rand((0, 4))),
    case("matmul_empty_rows", matmul_and_epilogue, rand((0, 3)), rand((3, 4))),
    case("matmul_empty_batch", lambda a, b: a @ b, rand((0, 3, 4)), rand((4, 5))),
    # regression (same cause, nonempty): sums of one column broadcast over rows of two widths
    case(
        "one_column_broadcast_twice",
        lambda c, a, b: (
            np.broadcast_to(c, a.shape).sum(axis=1),
            np.broadcast_to(c, b.shape).sum(axis=1),
        ),
        rand((3, 1)),
        rand((3, 4)),
        rand((3, 6)),
        close=True,
    ),
]


@pytest.mark.parametrize("fn, args, close", EMPTY)
def test_size_zero_dimensions(fn, args, close, backend):
    check(fn, args, backend, close)


NO_IDENTITY = [
    case("max_axis0", lambda x: x.max(axis=0), EMPTY_ROWS),
    case("min_all", lambda x: x.min(), EMPTY_ROWS),
    case("argmax_axis0", lambda x: x.argmax(axis=0), EMPTY_ROWS),
    case("argmin_all", lambda x: np.argmin(x), EMPTY_ROWS),
    case("max_axis1_int32", lambda x: x.max(axis=1), EMPTY_COLS),
    case("fused_max", lambda x: np.exp(x).max(axis=1) + 1, EMPTY_COLS.astype(np.float32)),
]


@pytest.mark.parametrize("fn, args, close", NO_IDENTITY)
def test_an_empty_max_or_argmax_raises_value_error_like_numpy(fn, args, close, backend):
    with pytest.raises(ValueError):
        eager(fn, args)
    with pytest.raises(ValueError):
        jitted(fn, args, backend)


def test_a_total_over_zero_rows(backend):
    """The Triton backend sums a total over rows in the rows' kernel; with no rows, a
    one-program kernel stores what follows from totals of 0."""

    def totals(x):
        return x.max(axis=1).sum(), x.sum(axis=1).mean(), np.argmax(x, axis=1).sum() + 1

    check(totals, [EMPTY_ROWS], backend)


# --- 0-d arrays and scalars ---------------------------------------------------------------------
ZERO_D = np.array(2.5, np.float32)


def augmented_python_float(x, s):
    s += 1.0  # a Python float: rebinds s to another Python float, weak
    s *= s
    return x * s


SCALARS = [
    case(
        "0d_in_0d_out",
        lambda a, b: (a + b, np.exp(a), a.sum(), a > b, np.maximum(a, b), np.argmax(a)),
        ZERO_D,
        np.array(NAN, np.float32),
        close=True,
    ),
    case("0d_broadcast", lambda a, x: (a * x, x - a), ZERO_D, rand(3)),
    case(
        "0d_results_of_reductions",
        lambda x: (x.sum(), x.max(), x.argmin(), x.all()),
        rand((3, 4)),
        close=True,
    ),
    case("0d_view_argument", lambda a: a * 2, rand((2, 4))[1, 3:4].reshape(())),
    case("float32_scalar_argument", lambda x, s: (x * s, s + 1), rand(3), np.float32(2.0)),
    case("float64_scalar_is_strong", lambda x, s: x * s, rand(3), np.float64(2.0)),
    case("int64_scalar_is_strong", lambda x, s: x + s, ints(3), np.int64(3)),
    case("int32_scalar_with_int32", lambda x, s: x + s, ints(3), np.int32(3)),
    case("bool_scalar", lambda x, s: x * s, rand(3), np.bool_(True)),
    case("float32_scalar_with_float16", lambda x, s: x * s, rand(3, np.float16), np.float32(2.0)),
    case("python_float_is_weak", lambda x, s: x * s, rand(3), 2.0),
    case("python_int_is_weak", lambda x, s: x * s, ints(3), 3),
    case("python_inf_and_nan", lambda x, s, t: (x * s, x + t), rand(3), INF, NAN),
    case("scalars_only", lambda s, t: (s * t + 1, s > t), np.float32(2.0), np.float32(3.0)),
    case("python_scalars_only", lambda s, t: (s * t + 1, s // t), 7, -2),
    # a numpy function of Python scalars alone is a strong numpy scalar (np.log(2.0) is a
    # float64, which widens float32); Python's operators on them give a weak Python number
    case(
        "ufunc_of_python_floats_is_float64",
        lambda x, s: (x * np.log(s * s + 1.0), x * np.add(s, s), np.exp(s) * x, x * np.sum(s)),
        rand(3),
        1.5,
        close=True,
    ),
    case(
        "operators_on_python_floats_stay_weak",
        lambda x, s: (x * (s * s + 1.0), x * -s, x * abs(s), x * 2.0**s, x * (s > 1.0)),
        rand(3),
        1.5,
        close=True,
    ),
    case("augmented_python_float_stays_weak", augmented_python_float, rand(3), 1.5),
    case(
        "ufunc_of_python_ints_is_int64",
        lambda x, n: (x * np.add(n, 1), x + np.negative(n), x * (n + 1), x - -n, x * np.round(n)),
        ints(3),
        2,
    ),
    case(
        "identity_ufunc_of_python_float_is_float64",
        lambda x, s: (x * np.multiply(s, 1.0), x * np.where(True, s, 2.0), x * np.positive(s)),
        rand(3),
        1.5,
    ),
]


@pytest.mark.parametrize("fn, args, close", SCALARS)
def test_0d_arrays_and_scalars(fn, args, close, backend):
    check(fn, args, backend, close)


# --- memory layouts -----------------------------------------------------------------------------
BASE = rand((6, 8), seed=8)
BASE_INT = ints((6, 8), np.int64, seed=9)


def read_only(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x.setflags(write=False)
    return x


LAYOUTS = {
    "every_other_column": lambda x: x[:, ::2],
    "transposed": lambda x: x.T,
    "reversed_rows": lambda x: x[::-1],
    "reversed_columns": lambda x: x[:, ::-1],
    "reversed_and_strided": lambda x: x[::-2, ::-3],
    "fortran": np.asfortranarray,
    "fortran_transposed": lambda x: np.asfortranarray(x).T,
    "broadcast_rows": lambda x: np.broadcast_to(x[:1], x.shape),
    "read_only": read_only,
}


def float_mix(x):
    return x * 2.0 + 1.0, np.maximum(x, 0.0), x.max(axis=1), x.argmin(axis=0), x.argmax()


def float_rounded(x):
    return x.sum(axis=0), np.exp(x).sum(), x @ x.T, np.tanh(x * 2.0 + x) - x


def int_mix(x):
    return x // 3, x % -4, x.sum(axis=1), x * x - x


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_inputs_of_any_layout(layout, backend, monkeypatch):
    # the numpy backend's row blocks: a few rows each, so a long chain runs blocked
    monkeypatch.setattr(numpy_runtime, "BLOCK_BYTES", 64)
    check(float_mix, [layout(BASE)], backend)
    check(float_rounded, [layout(BASE)], backend, close=True)
    check(int_mix, [layout(BASE_INT)], backend)


def two_arguments(a, b):
    return a * b - a, np.tanh(a) + b, (a - b).sum(axis=1), a @ b.T


@pytest.mark.parametrize(
    "second",
    [lambda x: x, lambda x: x[::-1], lambda x: x.T.T],
    ids=["same_array", "reversed_view", "view_of_it"],
)
def test_one_array_as_two_arguments(second, backend, monkeypatch):
    monkeypatch.setattr(numpy_runtime, "BLOCK_BYTES", 64)
    check(two_arguments, [BASE, second(BASE)], backend, close=True)
