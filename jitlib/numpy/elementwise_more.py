"""More elementwise functions: angle conversions, sinc, i0, logaddexp2, heaviside, divmod,
modf, frexp, float_power, and the complex-number helpers as numpy applies them to real
arrays."""

import numpy as np

from ir import dtypes
from ir.ops import OPS
from jitlib import inplace
from jitlib.numpy._core import as_tracer, astype, function, promote, refuse
from jitlib.numpy.creation import full_like, zeros_like
from jitlib.numpy.ufuncs import _strong


def _refuse_ufunc_keywords(name: str, out, where, kwargs: dict) -> None:
    given = {"out=": out is not None, "where=": where is not True}
    refuse(name, given | {f"{keyword}=": True for keyword in kwargs})


def _given_outs(out):
    """A two-result ufunc's out= as given: None where no output array was passed."""
    return None if out is None or all(o is None for o in out) else out


def _float_result(ufunc, x):
    """x as a tracer in the float dtype numpy's unary `ufunc` computes it in (ints: float64)."""
    _, (x,), _ = promote(x)
    dtype = dtypes.result_dtype(ufunc, (x.value.type.dtype,))
    return astype(x, dtype)


def _scaled(name: str, factor: float):
    def convert(x, out=None, where=True, **kwargs):
        _refuse_ufunc_keywords(name, out, where, kwargs)
        return np.multiply(_float_result(getattr(np, name), x), factor)

    return convert


# numpy's loops multiply by the constant 180/pi (or pi/180) in the input's precision
rad2deg = function(np.rad2deg, np.degrees)(_scaled("rad2deg", 180.0 / np.pi))
deg2rad = function(np.deg2rad, np.radians)(_scaled("deg2rad", np.pi / 180.0))


@function(np.sinc)
def sinc(x):
    """sin(pi x) / (pi x), with numpy's own guard: x = 0 is moved to 1e-20 (giving 1)."""
    _, (x,), _ = promote(x)
    if not np.issubdtype(x.dtype, np.inexact):
        x = astype(x, "float64")
    y = np.pi * np.where(x == 0, 1.0e-20, x)
    return np.sin(y) / y


# np.i0 from its two classical series (numpy uses Chebyshev fits to the same function): up to
# the crossover, the power series; beyond it, the asymptotic expansion, accurate there to
# the dtype's precision. Per working dtype: (crossover, power terms, asymptotic terms).
_I0_SERIES = {"float64": (18.0, 30, 22), "float32": (10.0, 14, 6)}


def _i0_power_series(x, terms: int):
    """I0(x) = sum_k (x^2 / 4)^k / (k!)^2, nested: 1 + q/1^2 (1 + q/2^2 (1 + ...))."""
    quarter_square = x * x * 0.25
    total = 1.0
    for k in range(terms, 0, -1):
        total = 1.0 + total * (quarter_square * (1.0 / (k * k)))
    return total


def _i0_asymptotic(x, terms: int):
    """I0(x) ~ e^x / sqrt(2 pi x) sum_k ((2k-1)!!)^2 / (k! (8x)^k), every term positive."""
    inverse = 1.0 / (8.0 * x)
    total = 1.0
    for k in range(terms, 0, -1):
        total = 1.0 + total * (inverse * ((2 * k - 1) ** 2 / k))
    return np.exp(x) * total / np.sqrt(2.0 * np.pi * x)


@function(np.i0)
def i0(x):
    """The modified Bessel function of the first kind, order 0, of |x|: float64 for integer
    and bool x (as numpy), float16 computed in float32. Each branch sees only its own part
    of the domain, so the unused one adds no inf or nan to the derivative (I1(x) sign(x)).

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(np.i0)(np.array([0.0, 1.0]))
    array([1.        , 1.26606588])
    """
    _, (x,), _ = promote(x)
    dtype = x.dtype.name if x.dtype.kind == "f" else "float64"
    work = "float64" if dtype == "float64" else "float32"
    crossover, power_terms, asymptotic_terms = _I0_SERIES[work]
    x = np.abs(astype(x, work))
    small = x <= crossover
    near = _i0_power_series(np.where(small, x, 0.0), power_terms)
    far = _i0_asymptotic(np.where(small, crossover, x), asymptotic_terms)
    return astype(np.where(small, near, far), dtype)


@function(np.logaddexp2)
def logaddexp2(x1, x2, out=None, where=True, **kwargs):
    """log2(2^a + 2^b) = max(a, b) + log2(1 + 2^-|a - b|). The difference is taken as 0 where
    a == b, so equal infinities give themselves (not inf - inf) and ties split the
    derivative evenly, as maximum's does."""
    _refuse_ufunc_keywords("logaddexp2", out, where, kwargs)
    _, (x1, x2), _ = promote(x1, x2)
    dtype = dtypes.result_dtype(np.logaddexp2, (x1.value.type.dtype, x2.value.type.dtype))
    x1, x2 = astype(x1, dtype), astype(x2, dtype)
    difference = np.where(x1 == x2, 0.0, x1 - x2)
    return np.maximum(x1, x2) + np.log1p(np.exp2(-np.abs(difference))) * float(1.0 / np.log(2.0))


@function(np.heaviside)
def heaviside(x1, x2, out=None, where=True, **kwargs):
    """0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0, nan where x1 is nan."""
    _refuse_ufunc_keywords("heaviside", out, where, kwargs)
    _, (x1, x2), _ = promote(x1, x2)
    dtype = dtypes.result_dtype(np.heaviside, (x1.value.type.dtype, x2.value.type.dtype))
    x1, x2 = astype(x1, dtype), astype(x2, dtype)
    steps = np.where(x1 < 0, 0.0, np.where(x1 > 0, 1.0, x1))  # x1 itself: nan (or 0)
    return np.where(x1 == 0, x2, steps)


@function(np.divmod)
def divmod_(x1, x2, out=(None, None), where=True, **kwargs):
    _refuse_ufunc_keywords("divmod", _given_outs(out), where, kwargs)
    return np.floor_divide(x1, x2), np.remainder(x1, x2)


@function(np.modf)
def modf(x, out=(None, None), where=True, **kwargs):
    """(x - trunc(x), trunc(x)), both with x's sign as C's modf gives them; the fraction
    of an infinity is a signed 0. x - trunc(x) is exact in floating point."""
    _refuse_ufunc_keywords("modf", _given_outs(out), where, kwargs)
    x = _float_result(np.sqrt, x)  # ints: float64, as modf gives
    whole = np.trunc(x)
    fraction = np.where(np.isinf(x), 0.0, x - whole)
    return np.copysign(fraction, x), whole


@function(np.frexp)
def frexp(x, out=(None, None), where=True, **kwargs):
    """(mantissa, exponent) with x = mantissa * 2**exponent and 0.5 <= |mantissa| < 1."""
    _refuse_ufunc_keywords("frexp", _given_outs(out), where, kwargs)
    trace_, (x,), _ = promote(x)
    return trace_.bind(OPS["frexp"], x)


@function(np.ldexp)
def ldexp(x1, x2, out=None, where=True, **kwargs):
    """x1 * 2**x2, the exponent an integer array or int (not promoted with x1)."""
    _refuse_ufunc_keywords("ldexp", out, where, kwargs)
    trace_, (x1,), _ = promote(x1)
    return trace_.bind(OPS["ldexp"], x1, as_tracer(x2, trace_))


@function(np.float_power)
def float_power(x1, x2, out=None, where=True, **kwargs):
    """power computed in float64 whatever the inputs (numpy's only real loop)."""
    _refuse_ufunc_keywords("float_power", out, where, kwargs)
    _, (x1, x2), _ = promote(x1, x2)
    return np.power(astype(x1, "float64"), astype(x2, "float64"))


# --- complex helpers on real arrays (jitlib has no complex dtype) -------------------------
@function(np.real)
def real(val):
    """The real part of a real array is the array itself (numpy returns a view of it)."""
    _, (val,), _ = promote(val)
    return inplace.alias(val)


@function(np.imag)
def imag(val):
    _, (val,), _ = promote(val)
    return zeros_like(val)


@function(np.conjugate)
def conjugate(x, out=None, where=True, **kwargs):
    _refuse_ufunc_keywords("conjugate", out, where, kwargs)
    _, (x,), _ = promote(x)
    return _strong(x)


@function(np.angle)
def angle(z, deg=False):
    """arctan2(0, z): pi where z's sign bit is set (-0.0 included), else 0; nan stays nan."""
    z = _float_result(np.sqrt, z)  # as arctan2(0, z): ints give float64
    half_turn = 180.0 if deg else np.pi
    turned = astype(np.where(np.signbit(z), half_turn, 0.0), z.dtype)
    return np.where(np.isnan(z), z, turned)


@function(np.isreal)
def isreal(x):
    _, (x,), _ = promote(x)
    return full_like(x, True, dtype=np.bool_)


@function(np.iscomplex)
def iscomplex(x):
    _, (x,), _ = promote(x)
    return full_like(x, False, dtype=np.bool_)


@function(np.iscomplexobj)
def iscomplexobj(x):
    return False


@function(np.isrealobj)
def isrealobj(x):
    return True


@function(np.real_if_close)
def real_if_close(a, tol=100):
    """numpy returns a real array as it is: the same array object."""
    _, (a,), _ = promote(a)
    return inplace.alias(a)
