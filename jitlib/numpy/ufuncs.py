"""numpy ufuncs: one jitlib function per elementwise primitive, built from the op table's
`numpy` field, plus the ufuncs that are composites (square, positive, clip, where...)."""

import numpy as np

from ir.ops import OPS
from jitlib import dispatch
from jitlib.errors import UnsupportedError
from jitlib.numpy._core import astype, bind, function, promote, refuse, same_dtype
from jitlib.numpy.writes import write_out
from jitlib.tracer import Tracer


def _ufunc_function(op):
    def apply(*args, out=None, where=True, dtype=None, **kwargs):
        given = {"where= without out=": where is not True and out is None}
        refuse(op.name, given | {f"{keyword}=": True for keyword in kwargs})
        result = bind(op.name, *args)
        result = result if dtype is None else astype(result, dtype, op.name)
        return result if out is None else write_out(op.numpy[0], args, out, where, result)

    apply.__name__ = op.name
    return function(*op.numpy)(apply)


def _operator_function(op):
    """The ufunc as Python's operators apply it (x * y, -x, x < y): weak operands alone give
    a weak result, as Python's arithmetic on Python scalars does."""

    def apply(*args):
        return bind(op.name, *args, operator=True)

    apply.__name__ = op.name
    return dispatch.operator(*op.numpy)(apply)


UFUNCS = {op.name: _ufunc_function(op) for op in OPS.values() if op.numpy}
OPERATORS = {op.name: _operator_function(op) for op in OPS.values() if op.numpy}


@function(np.square)
def square(x):
    return np.multiply(x, x)


def _strong(x: Tracer) -> Tracer:
    """x as a numpy function returns it: a new array, which no write to x reaches, and
    strong where x is weak (np.positive(2.0) is a float64, +2.0 a Python float)."""
    return Tracer(x.value, x.trace)


@function(np.positive)
def positive(x):
    trace_, (x,), _ = promote(x)
    return _strong(x)


@dispatch.operator(np.positive)
def _positive_operator(x):
    # +2.0 is the Python float itself (weak); +array is a new array, which no write shares
    return Tracer(x.value, x.trace, x.weak) if isinstance(x, Tracer) else x


@function(np.fabs)
def fabs(x):
    return np.absolute(x)


@function(np.where)
def where(condition, x=None, y=None):
    if x is None or y is None:
        raise UnsupportedError(
            "np.where(condition) with one argument has a data-dependent shape and is not "
            "supported inside @jit; use np.where(condition, x, y), or "
            "jitlib.numpy.nonzero(condition, size=N) for the first N positions, padded"
        )
    trace_, (cond,), _ = promote(condition)
    cond = astype(cond, "bool")
    trace_, (x, y), weak = promote(x, y)
    x, y = same_dtype([x, y])
    return trace_.bind(OPS["select"], cond, x, y, weak=weak)


@function(np.clip)
def clip(x, a_min=None, a_max=None, **kwargs):
    a_min = kwargs.pop("min", a_min)
    a_max = kwargs.pop("max", a_max)
    refuse("clip", {f"{keyword}=": True for keyword in kwargs})
    dtype = np.dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype
    if dtype.kind in "iu":  # as numpy: a Python int bound past the dtype's range is no bound
        limits = np.iinfo(dtype)
        if type(a_min) is int and a_min <= limits.min:
            a_min = None
        if type(a_max) is int and a_max >= limits.max:
            a_max = None
    if a_min is not None:
        x = np.maximum(x, a_min)
    if a_max is not None:
        x = np.minimum(x, a_max)
    return x


@function(np.round, np.around)
def around(a, decimals=0, out=None):
    """numpy's algorithm: rint(a * 10**d) / 10**d (half to even)."""
    refuse("round", {"out=": out is not None})
    trace_, (a,), _ = promote(a)
    if not np.issubdtype(a.dtype, np.floating):
        if decimals >= 0:
            return _strong(a)
        raise UnsupportedError("numpy.round of integers to negative decimals is not supported")
    if decimals == 0:
        return np.rint(a)
    scale = 10.0**decimals if decimals > 0 else 10.0 ** (-decimals)
    if decimals > 0:
        return np.rint(a * scale) / scale
    return np.rint(a / scale) * scale


@function(np.isclose)
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol * |b| where both are finite; infinities must match exactly."""
    trace_, (a, b), _ = promote(a, b)
    if not np.issubdtype(b.dtype, np.inexact):
        b = b.astype(np.result_type(b.dtype, 1.0))
    within = np.less_equal(np.abs(a - b), atol + rtol * np.abs(b))
    result = np.where(np.isfinite(a) & np.isfinite(b), within, a == b)
    return result | (np.isnan(a) & np.isnan(b)) if equal_nan else result


@function(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    trace_, (x,), _ = promote(x)
    if not np.issubdtype(x.dtype, np.floating):
        return _strong(x)
    info = np.finfo(x.dtype)
    x = np.where(np.isnan(x), nan, x)
    x = np.where(x == np.inf, info.max if posinf is None else posinf, x)
    return np.where(x == -np.inf, info.min if neginf is None else neginf, x)
