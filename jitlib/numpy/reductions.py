"""Reductions: sum, prod, max, min, all, any, argmax, argmin as primitives; mean, var, std
as composites. keepdims is a reshape after the primitive."""

import numpy as np

from ir import dtypes, shapes
from ir.errors import ShapeError
from ir.ops import OPS
from jitlib.errors import ShapeMismatchError
from jitlib.numpy._core import astype, function, promote, refuse
from jitlib.tracer import Tracer


def reduction_axes(x: Tracer, axis) -> tuple:
    """numpy's `axis` (None, an int or a tuple) as sorted non-negative axes of x."""
    try:
        return shapes.normalize_axes(axis, x.ndim)
    except ShapeError as error:
        raise ShapeMismatchError(f"reduction over axis {axis} of {x.value.type}: {error}") from None


def _keep(x: Tracer, result: Tracer, axes: tuple) -> Tracer:
    shape = tuple(1 if i in axes else d for i, d in enumerate(x.value.type.shape))
    return result.trace.bind(OPS["reshape"], result, shape=shape)


def _check(name: str, out=None, where=True, initial=None, **others):
    given = {"out=": out is not None, "where=": where is not True, "initial=": initial is not None}
    refuse(name, given | {f"{keyword}=": True for keyword in others})


def _reduce(name: str, x, axis, keepdims: bool, dtype=None) -> Tracer:
    trace_, (x,), weak = promote(x)
    if dtype is not None:
        x = astype(x, dtype, name)
    axes = reduction_axes(x, axis)
    result = trace_.bind(OPS[name], x, axis=axes, weak=weak)
    if dtype is not None:  # numpy's result is in `dtype` (sum widens small integers else)
        result = astype(result, dtype, name)
    return _keep(x, result, axes) if keepdims else result


def _reduction(name: str, *numpy_functions):
    """sum and prod: numpy's (x, axis, dtype, out, keepdims) order."""

    def reduce(x, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        _check(name, out=out, **kwargs)
        return _reduce(name, x, axis, keepdims, dtype)

    reduce.__name__ = name
    return function(*numpy_functions)(reduce)


def _reduction_without_dtype(name: str, *numpy_functions):
    """max, min, all, any: numpy's (x, axis, out, keepdims) order, without dtype."""

    def reduce(x, axis=None, out=None, keepdims=False, **kwargs):
        _check(name, out=out, **kwargs)
        return _reduce(name, x, axis, keepdims)

    reduce.__name__ = name
    return function(*numpy_functions)(reduce)


sum = _reduction("sum", np.sum)
prod = _reduction("prod", np.prod)
max = _reduction_without_dtype("max", np.max, np.amax)
min = _reduction_without_dtype("min", np.min, np.amin)
all = _reduction_without_dtype("all", np.all)
any = _reduction_without_dtype("any", np.any)


def _arg(name: str, numpy_function):
    def reduce(x, axis=None, out=None, keepdims=False):
        _check(name, out=out)
        trace_, (x,), _ = promote(x)
        if axis is None:  # over the flattened array; keepdims keeps every axis of x as 1
            result = reduce(np.reshape(x, (-1,)), axis=0)
            return _keep(x, result, tuple(range(x.ndim))) if keepdims else result
        (axis,) = reduction_axes(x, axis)
        result = trace_.bind(OPS[name], x, axis=axis)
        return _keep(x, result, (axis,)) if keepdims else result

    reduce.__name__ = name
    return function(numpy_function)(reduce)


argmax = _arg("argmax", np.argmax)
argmin = _arg("argmin", np.argmin)


def element_count(x: Tracer, axes: tuple):
    """How many elements of x the axes hold (a size: symbolic where x's shape is)."""
    total = 1
    for i in axes:
        total = x.shape[i] * total
    return total


@function(np.mean)
def mean(x, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    _check("mean", out=out, **kwargs)
    trace_, (x,), _ = promote(x)
    if dtype is None and (x.value.type.dtype == "bool" or dtypes.is_int(x.value.type.dtype)):
        dtype = "float64"  # numpy averages integers in float64
    total = _reduce("sum", x, axis, keepdims, dtype)
    return np.divide(total, trace_.dim(element_count(x, reduction_axes(x, axis))))


@function(np.var)
def var(x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    _check("var", out=out, **kwargs)
    trace_, (x,), _ = promote(x)
    centered = x - mean(x, axis=axis, dtype=dtype, keepdims=True)
    squares = np.sum(centered * centered, axis=axis, keepdims=keepdims)
    count = trace_.dim(element_count(x, reduction_axes(x, axis)))
    return np.divide(squares, count - ddof if ddof else count)


@function(np.std)
def std(x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
    variance = var(x, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kwargs)
    # Where the variance is 0 (an axis of size 1, where it is identically 0, or equal
    # values) sqrt's derivative is infinite and the variance's is 0: the std is taken as the
    # variance itself there (sqrt(0) = 0), so its derivative is 0, not 0 * inf = nan.
    zero = variance == 0
    return np.where(zero, variance, np.sqrt(np.where(zero, 1, variance)))


def _cumulative(name: str, numpy_function):
    def accumulate(x, axis=None, dtype=None, out=None):
        _check(name, out=out)
        trace_, (x,), weak = promote(x)
        if dtype is not None:
            x = astype(x, dtype, name)
        if axis is None:
            x, axis = np.reshape(x, (-1,)), 0
        (axis,) = reduction_axes(x, axis)
        result = trace_.bind(OPS[name], x, axis=axis, weak=weak)
        return result if dtype is None else astype(result, dtype, name)

    accumulate.__name__ = name
    return function(numpy_function)(accumulate)


cumsum = _cumulative("cumsum", np.cumsum)
cumprod = _cumulative("cumprod", np.cumprod)
