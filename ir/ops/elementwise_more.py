"""More elementwise primitives: C's fmod, ldexp and frexp, nextafter, spacing, gcd and lcm.

Each is exactly one numpy ufunc (`impl` is the ufunc, so a GPU runs it as the CuPy call);
only fmod has a Triton expression, the others run as host steps.
"""

from dataclasses import replace

import numpy as np

from ir import dtypes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import rules
from ir.ops.elementwise import K, ufunc_op
from ir.ops.table import Op


def _c(e, value, like):
    return e.const(value, like.type.dtype)


def _fmod_partials(e, x, y, out):
    # fmod(x, y) = x - trunc(x / y) * y, with trunc piecewise constant
    return _c(e, 1, out), e.negative(e.trunc(e.divide(x, y)))


# Triton's float % is C's fmod; integers go through jl.int_fmod (a divisor of 0 gives 0)
FMOD = ufunc_op(
    np.fmod,
    triton=K("{0} % {1}", int_="jl.int_fmod({0}, {1})", bool_=None),
    partials=_fmod_partials,
)

# ldexp(x, i) = x * 2^i: d/dx = 2^i; the exponent is an integer (no derivative). No numpy
# callables map straight onto it: jitlib.numpy's ldexp keeps the exponent an integer where
# NEP 50 promotion would make a Python int exponent a float
LDEXP = replace(ufunc_op(np.ldexp, partials=lambda e, x, y, out: (e.exp2(y), None)), numpy=())

# nextafter moves x by one ulp, a step function of x: its derivative is that of x itself
NEXTAFTER = ufunc_op(np.nextafter, partials=lambda e, x, y, out: (_c(e, 1, out), None))

# spacing(x) (the ulp at x) is piecewise constant; gcd and lcm take integers only
SPACING = ufunc_op(np.spacing)
GCD = ufunc_op(np.gcd, tags={"commutative"})
LCM = ufunc_op(np.lcm, tags={"commutative"})


def _frexp_shape(x: Type) -> tuple:
    try:
        mantissa = dtypes.result_dtype(lambda a: np.frexp(a)[0], (x.dtype,))
    except TypeError as error:
        raise ShapeError(f"frexp does not support {x.dtype}") from error
    return Type(mantissa, x.shape), Type("int32", x.shape)


def _mantissa_scale(e, exponent, mantissa):
    """d mantissa / dx = 2^-exponent (x = mantissa * 2^exponent, exponent locally constant)."""
    return e.exp2(e.negative(e.cast(exponent, mantissa.type.dtype)))


def _frexp_jvp(e, primals, tangents, outs):
    (t,), (mantissa, exponent) = tangents, outs
    if t is None:
        return None, None
    return e.multiply(e.cast(t, mantissa.type.dtype), _mantissa_scale(e, exponent, mantissa)), None


def _frexp_vjp(e, cts, primals, outs):
    (x,), (ct, _), (mantissa, exponent) = primals, cts, outs
    if ct is None or not rules.is_float(x.type.dtype):
        return (None,)
    return (e.cast(e.multiply(ct, _mantissa_scale(e, exponent, mantissa)), x.type.dtype),)


FREXP = Op(
    name="frexp",
    shape=_frexp_shape,
    impl=np.frexp,
    jvp=_frexp_jvp,
    vjp=_frexp_vjp,
    batch=rules.elementwise_batch,
)

OPS = [FMOD, LDEXP, NEXTAFTER, SPACING, GCD, LCM, FREXP]
