"""Elementwise tests, whole-array comparisons and conversions on traced arrays: fix,
isneginf/isposinf, unwrap, isin, count_nonzero, array_equal/array_equiv/allclose (a 0-d
bool traced array, as JAX returns, where numpy returns a Python bool), putmask, place,
compress, astype, asarray_chkfinite and the layout conversions (asanyarray,
ascontiguousarray, ...), all composites."""

import numpy as np

from ir import shapes
from ir.errors import ShapeError
from jitlib.errors import UnsupportedError
from jitlib.numpy._core import (
    as_tracer,
    astype,
    checked,
    function,
    is_traced,
    promote,
    refuse,
    trace_of,
)
from jitlib.numpy.creation_more import resize
from jitlib.numpy.layout import _axis, concatenate, reshape
from jitlib.numpy.writes import _target, copyto
from jitlib.tracer import Tracer


def _tracer(x) -> Tracer:
    return promote(x)[1][0]


@function(np.fix)
def fix(x, out=None):
    """Round toward zero: floor where x >= 0, ceil elsewhere (numpy's formula; nan stays)."""
    refuse("fix", {"out=": out is not None})
    x = _tracer(x)
    return np.where(x >= 0, np.floor(x), np.ceil(x))


@function(np.isposinf)
def isposinf(x, out=None):
    refuse("isposinf", {"out=": out is not None})
    x = _tracer(x)
    return np.isinf(x) & ~np.signbit(x)


@function(np.isneginf)
def isneginf(x, out=None):
    refuse("isneginf", {"out=": out is not None})
    x = _tracer(x)
    return np.isinf(x) & np.signbit(x)


@function(np.unwrap)
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """numpy's unwrap: each step dd = diff(p) is moved into [-period/2, period/2) by a
    multiple of the period (the boundary itself keeps dd's sign) where |dd| >= discont; the
    corrections accumulate along the axis. The correction is piecewise constant, so the
    derivative is that of p itself."""
    p = _tracer(p)
    axis = _axis(axis, p.ndim, "unwrap")
    dd = np.diff(p, axis=axis)
    discont = period / 2 if discont is None else discont
    dtype = np.result_type(dd.dtype, period)
    if np.issubdtype(dtype, np.integer):
        high, remainder = divmod(period, 2)
        ambiguous = remainder == 0
    else:
        high, ambiguous = period / 2, True
    low = -high
    ddmod = np.mod(dd - low, period) + low
    if ambiguous:
        ddmod = np.where((ddmod == low) & (dd > 0), high, ddmod)
    correction = np.where(np.abs(dd) < discont, 0, ddmod - dd)
    head = tuple(slice(None) if i != axis else slice(0, 1) for i in range(p.ndim))
    tail = tuple(slice(None) if i != axis else slice(1, None) for i in range(p.ndim))
    rest = p[tail] + np.cumsum(correction, axis=axis)
    return concatenate([astype(p[head], dtype), astype(rest, dtype)], axis=axis)


@function(np.isin)
def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """Whether each element equals any of test_elements: a broadcast comparison against
    every test element and an `any` (the shape is element's, whatever the data; `kind`
    picks numpy's algorithm and is accepted for any value)."""
    element = _tracer(element)
    tests = reshape(_tracer(test_elements), (-1,))
    if kind not in (None, "sort", "table"):
        raise ValueError(f"Invalid kind: '{kind}'. Please use None, 'sort' or 'table'.")
    if kind == "table" and not all(t.dtype.kind in "biu" for t in (element, tests)):
        raise ValueError("The 'table' method is only supported for boolean or integer arrays.")
    found = np.any(element[..., None] == tests, axis=-1)
    return ~found if invert else found


@function(np.count_nonzero)
def count_nonzero(a, axis=None, *, keepdims=False):
    """An int64 count (a 0-d traced array for axis=None, where numpy gives an np.int64)."""
    return np.sum(_tracer(a) != 0, axis=axis, keepdims=keepdims, dtype=np.int64)


def _false(trace_) -> Tracer:
    return as_tracer(np.False_, trace_)


@function(np.array_equal)
def array_equal(a1, a2, equal_nan=False):
    """A 0-d bool traced array (numpy returns a Python bool): same shape, equal elements;
    with equal_nan, nan equals nan. `if np.array_equal(...)` needs the value, as any
    branch on traced data does (see jl.cond)."""
    trace_, (a1, a2), _ = promote(a1, a2)
    if len(a1.shape) != len(a2.shape) or any(d1 != d2 for d1, d2 in zip(a1.shape, a2.shape)):
        return _false(trace_)
    same = a1 == a2
    if equal_nan and (a1.dtype.kind == "f" or a2.dtype.kind == "f"):
        same = same | (np.isnan(a1) & np.isnan(a2))
    return np.all(same)


@function(np.array_equiv)
def array_equiv(a1, a2):
    """A 0-d bool traced array: the shapes broadcast and the elements are equal."""
    trace_, (a1, a2), _ = promote(a1, a2)
    try:
        shapes.broadcast(a1.value.type.shape, a2.value.type.shape)
    except ShapeError:
        return _false(trace_)
    return np.all(a1 == a2)


@function(np.allclose)
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """np.isclose everywhere, as a 0-d bool traced array (numpy returns a Python bool)."""
    return np.all(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@function(np.putmask)
def putmask(a, mask, values):
    """a[mask] = values, numpy's way: position i (in flat order) takes values[i % size],
    so values repeat cyclically over the whole array (not over the True positions only),
    which keeps the write static: a select against values resized to a's shape."""
    trace_ = trace_of(a, mask, values)
    values = as_tracer(values, trace_)
    full = resize(values, a.shape)
    copyto(a, full, casting="unsafe", where=mask)


@function(np.place)
def place(arr, mask, vals):
    """arr's k-th masked element (in flat order) takes vals[k % len(vals)]: vals repeat
    over the True positions only (np.putmask repeats them over the whole array). Each
    position's k is a running count of the mask, so the write stays static: a select
    against a gather of vals. Empty vals with a True in the mask: numpy raises, and so
    does the run (jl.ValueCheckError).

    >>> import numpy as np, jitlib as jl
    >>> a = np.array([1.0, -2.0, 3.0, -4.0, -5.0])
    >>> jl.jit(lambda a: np.place(a, a < 0, [7.0, 8.0]))(a)
    >>> a
    array([1., 7., 3., 8., 7.])
    """
    arr = _target(arr, "numpy.place")
    trace_ = trace_of(arr, mask, vals)
    mask = astype(as_tracer(mask, trace_), "bool")  # numpy casts mask and vals unsafely
    if not mask.size == arr.size:  # a guard where symbolic
        raise ValueError("place: mask and data must be the same size")
    mask = reshape(mask, arr.shape)
    values = np.ravel(astype(as_tracer(vals, trace_), arr.dtype))
    length = values.value.type.shape[0]
    if length == 0:
        copyto(arr, checked(arr, mask, "Cannot insert from an empty array!"))
        return
    rank = np.cumsum(reshape(mask, (-1,)), dtype="int64") - 1
    picked = reshape(np.take(values, rank % values.shape[0]), arr.shape)
    copyto(arr, picked, where=mask)


@function(np.compress)
def compress(condition, a, axis=None, out=None):
    """The slices of `a` along `axis` where a concrete `condition` is True: a gather of
    those positions. A traced condition makes the length data-dependent: refused."""
    refuse("compress", {"out=": out is not None})
    if is_traced(condition):
        raise UnsupportedError(
            "numpy.compress with a traced condition has a data-dependent output shape and is "
            "not supported inside @jit; use np.where(condition, a, fill) to keep the shape"
        )
    a = _tracer(a)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    axis = _axis(axis, a.ndim, "compress")
    positions = np.flatnonzero(np.asarray(condition, dtype=bool))
    return np.take(a, positions, axis=axis)


@function(np.astype)
def astype_function(x, dtype, /, *, copy=True, device=None):
    """numpy 2's function form of x.astype(dtype); always a new array under jit."""
    refuse("astype", {"device=": device is not None})
    return astype(_tracer(x), dtype, "astype")


def _same_array(name: str):
    """asanyarray and the layout conversions: under jit the array itself as a new value
    (layout is the compiler's business); dtype= converts."""

    def convert(a, dtype=None, *, like=None, **kwargs):
        refuse(name, {"like=": like is not None} | {f"{key}=": True for key in kwargs})
        x = _tracer(a)
        return x if dtype is None else astype(x, dtype, name)

    convert.__name__ = name
    return function(getattr(np, name))(convert)


@function(np.asarray_chkfinite)
def asarray_chkfinite(a, dtype=None, order=None):
    """a (in dtype), once the run has found no inf or nan in it: numpy raises ValueError,
    jit jl.ValueCheckError (a ValueError). numpy does not hand np.asarray_chkfinite to
    jitlib; under jit call jnp.asarray_chkfinite.

    >>> import numpy as np, jitlib as jl, jitlib.numpy as jnp
    >>> jl.jit(lambda x: jnp.asarray_chkfinite(x) * 2)(np.array([1.0, 2.0]))
    array([2., 4.])
    """
    if order not in (None, "C", "F", "A", "K"):
        raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
    x = _tracer(a)
    x = x if dtype is None else astype(x, dtype, "asarray_chkfinite")
    if x.dtype.kind != "f":
        return x
    return checked(x, ~np.isfinite(x), "array must not contain infs or NaNs")


asanyarray = _same_array("asanyarray")
ascontiguousarray = _same_array("ascontiguousarray")
asfortranarray = _same_array("asfortranarray")

REQUIREMENTS = {"C", "C_CONTIGUOUS", "CONTIGUOUS", "F", "F_CONTIGUOUS", "FORTRAN", "A"}
REQUIREMENTS |= {"ALIGNED", "W", "WRITEABLE", "O", "OWNDATA", "E", "ENSUREARRAY"}


@function(np.require)
def require(a, dtype=None, requirements=None, *, like=None):
    """a in `dtype`; the layout requirements hold for any traced array (they only
    constrain memory, which jit lays out itself)."""
    refuse("require", {"like=": like is not None})
    asked = [requirements] if isinstance(requirements, str) else list(requirements or [])
    unknown = [r for r in asked if r.upper() not in REQUIREMENTS]
    if unknown:
        raise KeyError(f"invalid requirements: {unknown}")
    x = _tracer(a)
    return x if dtype is None else astype(x, dtype, "require")
