"""The Triton prelude against numpy, in Triton's interpreter: every helper in float32 and
float64 (the integer helpers in int32 and int64), on special values (signed zeros,
infinities, nan, the dtype's extremes) and on random inputs from its domain, one kernel launch
per helper and dtype, and with a scalar operand as generated kernels pass one. Each helper's
result dtype is checked inside the kernel. The scipy.special helpers are checked against
scipy, tails included."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import triton  # noqa: E402
import triton.language as tl  # noqa: E402

from codegen import triton_prelude as jl
from codegen import triton_runtime as rt

try:
    import scipy.special as sp
except ImportError:  # scipy is optional for jitlib itself
    sp = None

BLOCK = 256
TL_DTYPES = {
    np.dtype(np.float32): tl.float32,
    np.dtype(np.float64): tl.float64,
    np.dtype(np.int32): tl.int32,
    np.dtype(np.int64): tl.int64,
    np.dtype(np.bool_): tl.int1,
}


@triton.jit
def unary_kernel(x_ptr, out_ptr, n, fn: tl.constexpr, OUT: tl.constexpr, BLOCK: tl.constexpr):
    offsets = tl.arange(0, BLOCK)
    mask = offsets < n
    z = fn(tl.load(x_ptr + offsets, mask=mask))
    tl.static_assert(z.dtype == OUT)
    tl.store(out_ptr + offsets, z, mask=mask)


@triton.jit
def binary_kernel(
    x_ptr,
    y_ptr,
    out_ptr,
    n,
    fn: tl.constexpr,
    OUT: tl.constexpr,
    BLOCK: tl.constexpr,
    X_SCALAR: tl.constexpr = False,
    Y_SCALAR: tl.constexpr = False,
):
    offsets = tl.arange(0, BLOCK)
    mask = offsets < n
    # a one-element operand is loaded as a scalar, as generated kernels do
    if X_SCALAR:
        x = tl.load(x_ptr)
    else:
        x = tl.load(x_ptr + offsets, mask=mask)
    if Y_SCALAR:
        y = tl.load(y_ptr)
    else:
        y = tl.load(y_ptr + offsets, mask=mask)
    z = fn(x, y)
    tl.static_assert(z.dtype == OUT)
    tl.store(out_ptr + offsets, z, mask=mask)


@triton.jit
def trigamma(x):
    return jl.polygamma(x, 1)


@triton.jit
def tetragamma(x):
    return jl.polygamma(x, 2)


@triton.jit
def pentagamma(x):
    return jl.polygamma(x, 3)


POLYGAMMA = {1: trigamma, 2: tetragamma, 3: pentagamma}


def launch(name, inputs: tuple, out_dtype) -> np.ndarray:
    """jl.<name> (or a kernel function itself) applied to the inputs (one of them may have a
    single element) by one kernel launch."""
    # host arrays in Triton's interpreter (tests/conftest.py), device arrays on a GPU
    out = rt.empty(np.broadcast_shapes(*(x.shape for x in inputs)), np.dtype(out_dtype).name)
    buffers = [rt.ptr(rt.device(x, x.dtype.name)) for x in inputs]
    fn = getattr(jl, name) if isinstance(name, str) else name
    args = (*buffers, rt.ptr(out), out.size, fn, TL_DTYPES[out.dtype], BLOCK)
    with np.errstate(all="ignore"):
        if len(inputs) == 1:
            unary_kernel[(1,)](*args)
        else:
            binary_kernel[(1,)](*args, inputs[0].size == 1, inputs[1].size == 1)
    return out if isinstance(out, np.ndarray) else out.get()


# ---- inputs ---------------------------------------------------------------------------------


def unary_specials(dtype) -> list:
    info = np.finfo(dtype)
    edges = [info.tiny, info.smallest_subnormal, info.max, 1e-8, 0.5, 2.0, 3.0, 27.0]
    # where the helpers switch formulas: exp saturation (20), log asymptote (1e8), overflow
    edges += [19.5, 20.5, 88.5, 89.2, 709.5, 710.2, 1e8, 1.0001e8]
    values = [0.0, np.inf, np.nan, 1.0] + edges
    return values + [-v for v in values]


BINARY_SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, -3.0, 0.5, -0.5, 2.5]


def spread(rng, n, low, high) -> np.ndarray:
    """Random signs times magnitudes log-uniform over 10^low .. 10^high."""
    return rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(low, high, n)


def either(rng, first, second) -> np.ndarray:
    return np.where(rng.random(first.shape) < 0.5, first, second)


def near_one(rng, n) -> np.ndarray:
    """Inside (-1, 1), crowding towards 0 and towards +-1."""
    return either(
        rng, spread(rng, n, -9, 0), rng.choice([-1.0, 1.0], n) * (1 - 10.0 ** rng.uniform(-8, 0, n))
    )


def cube_inputs(rng, n) -> tuple:
    return (either(rng, spread(rng, n, -30, 30), rng.integers(-50, 51, n) ** 3.0),)


def round_inputs(rng, n) -> tuple:
    # halves test the ties; the rest reach past 2^52, where every float is an integer
    return (either(rng, rng.integers(-20, 21, n) / 2.0, spread(rng, n, -3, 17)),)


def power_inputs(rng, n) -> tuple:
    base = either(rng, spread(rng, n, -3, 3), spread(rng, n, -30, 30))
    # integral exponents give signed results for negative bases, the others give nan
    exponent = either(rng, rng.integers(-12, 13, n) * 1.0, rng.uniform(-12, 12, n))
    return base, exponent


def division_inputs(rng, n) -> tuple:
    # small integers as floats have exact answers: 7.0 // -2.0 == -4.0, 7.0 % -2.0 == -1.0
    x = either(rng, rng.integers(-20, 21, n) * 1.0, rng.standard_normal(n) * 100)
    y = either(rng, rng.integers(-6, 7, n) * 1.0, rng.standard_normal(n) * 3)
    return x, y


def normal_pair(rng, n, scale=1.0) -> tuple:
    return rng.standard_normal(n) * scale, rng.standard_normal(n) * scale


@dataclass(frozen=True)
class Case:
    """One helper: its numpy reference, a sampler (rng, n) -> float64 input arrays, and the
    relative tolerance for float32 and for float64 (about 17 ulps and 4500 ulps)."""

    helper: str
    numpy: Callable
    sample: Callable
    rtol: tuple = (2e-6, 1e-12)


UNARY = [
    Case("expm1", np.expm1, lambda rng, n: (spread(rng, n, -9, 3),)),
    Case("log1p", np.log1p, lambda rng, n: (either(rng, near_one(rng, n), spread(rng, n, -9, 9)),)),
    Case("log10", np.log10, lambda rng, n: (10.0 ** rng.uniform(-30, 30, n),)),
    Case("reciprocal", np.reciprocal, lambda rng, n: (spread(rng, n, -30, 30),)),
    Case("tanh", np.tanh, lambda rng, n: (spread(rng, n, -9, 2),)),
    Case("sinh", np.sinh, lambda rng, n: (spread(rng, n, -9, 3),)),
    Case("cosh", np.cosh, lambda rng, n: (spread(rng, n, -9, 3),)),
    Case("tan", np.tan, lambda rng, n: (spread(rng, n, -6, 6),)),
    Case("arcsinh", np.arcsinh, lambda rng, n: (spread(rng, n, -12, 30),)),
    Case("arccosh", np.arccosh, lambda rng, n: (1.0 + 10.0 ** rng.uniform(-9, 12, n),)),
    Case("arctanh", np.arctanh, lambda rng, n: (near_one(rng, n),)),
    Case("cbrt", np.cbrt, cube_inputs),
    Case("rint", np.rint, round_inputs),
    Case("trunc", np.trunc, round_inputs),
    Case("sign", np.sign, lambda rng, n: (rng.standard_normal(n),)),
]

BINARY = [
    # power promises float64 results good to ~1e-14 even past 1e300, where plain
    # exp2(y * log2|x|) loses 1e-13
    Case("power", np.power, power_inputs, rtol=(2e-6, 2e-14)),
    Case("hypot", np.hypot, lambda rng, n: (spread(rng, n, -200, 200), spread(rng, n, -35, 35))),
    Case("logaddexp", np.logaddexp, lambda rng, n: normal_pair(rng, n, scale=20.0)),
    Case("copysign", np.copysign, lambda rng, n: (spread(rng, n, -5, 5), rng.standard_normal(n))),
    Case("maximum", np.maximum, normal_pair),
    Case("minimum", np.minimum, normal_pair),
    Case("fmax", np.fmax, normal_pair),
    Case("fmin", np.fmin, normal_pair),
    Case("float_floor_divide", np.floor_divide, division_inputs),
    Case("float_remainder", np.remainder, division_inputs),
]

PREDICATES = {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "signbit": np.signbit}


def float_inputs(case: Case, dtype, seed: int) -> tuple:
    """The dtype's special values (every pair of them for a binary helper), then random ones."""
    rng = np.random.default_rng(seed)
    if case in BINARY:
        x, y = np.meshgrid(BINARY_SPECIALS, BINARY_SPECIALS)
        specials = (x.ravel(), y.ravel())
    else:
        specials = (np.array(unary_specials(dtype)),)
    randoms = case.sample(rng, BLOCK - len(specials[0]))
    with np.errstate(over="ignore"):
        return tuple(np.concatenate([s, r]).astype(dtype) for s, r in zip(specials, randoms))


# ---- tests ----------------------------------------------------------------------------------


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float):
    # relative to the result's size down to the smallest normal number: an absolute tolerance
    # would hide the loss near 0 that expm1, log1p and friends exist to avoid
    atol = np.finfo(got.dtype).tiny
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", UNARY + BINARY, ids=lambda case: case.helper)
def test_float_helper_matches_numpy(case, dtype):
    inputs = float_inputs(case, dtype, seed=0)
    got = launch(case.helper, inputs, dtype)
    with np.errstate(all="ignore"):
        want = case.numpy(*inputs)
    assert want.dtype == dtype
    assert_close(got, want, case.rtol[0] if dtype == np.float32 else case.rtol[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", PREDICATES)
def test_predicate_matches_numpy(name, dtype):
    (x,) = float_inputs(UNARY[0], dtype, seed=1)
    np.testing.assert_array_equal(launch(name, (x,), np.bool_), PREDICATES[name](x))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize(
    "name, reference", [("int_floor_divide", np.floor_divide), ("int_remainder", np.remainder)]
)
def test_integer_division_matches_numpy(name, reference, dtype):
    info = np.iinfo(dtype)
    specials = [info.min, info.max, 0, 1, -1, 2, -2, 3, -3, 7, -7]
    x, y = (grid.ravel() for grid in np.meshgrid(specials, specials))
    rng = np.random.default_rng(2)
    n = BLOCK - x.size
    x = np.concatenate([x, rng.integers(-1000, 1001, n)]).astype(dtype)
    y = np.concatenate([y, rng.integers(-20, 21, n)]).astype(dtype)
    scalar = np.full(1, -7, dtype)
    for inputs in [(x, y), (scalar, y), (x, scalar)]:
        with np.errstate(all="ignore"):
            want = reference(*inputs)
        np.testing.assert_array_equal(launch(name, inputs, dtype), want)


@pytest.mark.parametrize("scalar_side", [0, 1])
@pytest.mark.parametrize("case", BINARY, ids=lambda case: case.helper)
def test_binary_helper_with_a_scalar_operand(case, scalar_side):
    inputs = list(float_inputs(case, np.float64, seed=3))
    # -2 as a base meets integral and non-integral exponents; 3 as an exponent is odd
    inputs[scalar_side] = np.array([-2.0 if scalar_side == 0 else 3.0])
    got = launch(case.helper, tuple(inputs), np.float64)
    with np.errstate(all="ignore"):
        want = case.numpy(*inputs)
    assert_close(got, want, case.rtol[1])


# ---- scipy.special helpers against scipy -----------------------------------------------------

needs_scipy = pytest.mark.skipif(sp is None, reason="scipy is not installed")
TOP = 1 - 2.0**-53  # the float64 below 1


def log_uniform(rng, n, low, high) -> np.ndarray:
    return 10.0 ** rng.uniform(low, high, n)


def erfinv_inputs(rng, n) -> np.ndarray:
    specials = [0.0, -0.0, 1.0, -1.0, TOP, -TOP, 0.5, -0.5, 1.5, -2.0, np.nan, np.inf, -np.inf]
    specials += [5e-324, 1e-300, -1e-20]
    n -= len(specials)
    # the middle, then towards +-1 (down to 1 - 1e-16) and towards 0
    sign = rng.choice([-1.0, 1.0], n)
    spread_ = [rng.uniform(-1, 1, n), sign * (1 - log_uniform(rng, n, -16, 0))]
    spread_.append(sign * log_uniform(rng, n, -300, 0))
    return np.concatenate([specials, np.choose(rng.integers(0, 3, n), spread_)])


def ndtri_inputs(rng, n) -> np.ndarray:
    specials = [0.0, -0.0, 1.0, TOP, 0.5, 0.25, 0.75, 1.5, -0.5, np.nan, np.inf, -np.inf]
    specials += [5e-324, 1e-300, 1e-45, 2.0**-1022]
    n -= len(specials)
    # the lower tail down to the smallest subnormal, the upper one up to 1 - 1e-16
    spread_ = [rng.uniform(0, 1, n), log_uniform(rng, n, -323, 0), 1 - log_uniform(rng, n, -16, 0)]
    return np.concatenate([specials, np.choose(rng.integers(0, 3, n), spread_)])


def polygamma_inputs(rng, n) -> np.ndarray:
    specials = [0.0, -0.0, -1.0, -2.0, -50.0, -1e17, np.inf, -np.inf, np.nan, 1e-300, 1e300]
    specials += [1e-30, 1.0, 2.0, -0.5, -1.5, -1e-9, -3.0 + 1e-9]
    n -= len(specials)
    # scipy's time grows with |x| for x < 0, so negative ones stay above -1e4
    spread_ = [log_uniform(rng, n, -8, 10), rng.uniform(-40, 40, n), -log_uniform(rng, n, -8, 4)]
    return np.concatenate([specials, np.choose(rng.integers(0, 3, n), spread_)])


def reflection_size(order: int, x: np.ndarray) -> np.ndarray:
    """|psi^(n)| at x - floor(x) and at 1 minus that for x < 0: below 0, psi^(n) is their
    difference for even n and has zeros, next to which neither scipy nor the helper is
    accurate relative to the value itself; the error is measured against this size there."""
    negative = (x < 0) & np.isfinite(x)
    fraction = x[negative] - np.floor(x[negative])
    size = np.zeros_like(x)
    size[negative] = np.abs(sp.polygamma(order, fraction)) + np.abs(
        sp.polygamma(order, 1 - fraction)
    )
    return size


def assert_special_matches(got, want, rtol: float, size=None):
    """Values within rtol (relative to max(|want|, size)), and zeros, infinities and nans
    exactly as scipy's, signs included."""
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite], want[~finite])
    zero = want == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))
    size = np.abs(want) if size is None else np.maximum(np.abs(want), size)
    scale = np.maximum(size[finite], np.finfo(got.dtype).tiny)
    error = np.abs(got[finite].astype(np.float64) - want[finite]) / scale
    assert error.max() <= rtol, (error.max(), got[finite][error.argmax()])


SPECIAL = {"erfinv": erfinv_inputs, "ndtri": ndtri_inputs}


@needs_scipy
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", SPECIAL)
def test_inverse_error_functions_match_scipy(name, dtype):
    with np.errstate(over="ignore", under="ignore"):
        x = SPECIAL[name](np.random.default_rng(4), BLOCK).astype(dtype)
    want = getattr(sp, name)(x)
    assert want.dtype == dtype
    assert_special_matches(launch(name, (x,), dtype), want, 2e-6 if dtype == np.float32 else 1e-12)


@needs_scipy
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", POLYGAMMA)
def test_polygamma_matches_scipy(order, dtype):
    with np.errstate(over="ignore", under="ignore"):
        x = polygamma_inputs(np.random.default_rng(5), BLOCK).astype(dtype)
    # scipy computes polygamma in float64 for float32 too; jitlib rounds it to float32
    want = sp.polygamma(order, x.astype(np.float64))
    with np.errstate(over="ignore"):
        want = want.astype(dtype)
        size = reflection_size(order, x.astype(np.float64))
    got = launch(POLYGAMMA[order], (x,), dtype)
    assert_special_matches(got, want, 2e-6 if dtype == np.float32 else 1e-12, size)
