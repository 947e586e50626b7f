"""More array creation on traced values: linspace/logspace/geomspace (numpy's own formulas,
so values match to the bit where numpy's do), fromfunction, resize, block and unstack, all
composites of existing primitives."""

import itertools
import operator

import numpy as np

from jitlib import dispatch
from jitlib.errors import UnsupportedError
from jitlib.numpy._core import astype, dims, function, is_traced, promote, refuse, same_dtype
from jitlib.numpy.creation import arange, asarray, full
from jitlib.numpy.indexing import take
from jitlib.numpy.layout import _axis, concatenate, moveaxis, reshape
from jitlib.tracer import SymDim


def _inexact(*values) -> tuple:
    """The traced values in their common dtype, made float64 if integer (numpy's
    `ensure_inexact`), and that dtype."""
    _, tracers, _ = promote(*values)
    tracers = same_dtype(tracers)
    dtype = tracers[0].dtype
    dtype = dtype if np.issubdtype(dtype, np.floating) else np.dtype("float64")
    return [astype(t, dtype) for t in tracers], dtype


def _index_column(num: int, dtype, rank: int):
    """0, 1, ..., num - 1 in `dtype`, shaped (num, 1, ..., 1) to broadcast over `rank` dims."""
    return reshape(arange(num, dtype=dtype), (-1,) + (1,) * rank)


@function(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, **kwargs):
    """numpy's linspace: start + i * step with step = (stop - start) / div, the last sample
    set to `stop`; where a step underflows to 0 anywhere, numpy computes i / div * delta
    everywhere instead (gh-5437), and so does this, with a select on that condition."""
    refuse("linspace", {f"{keyword}=": True for keyword in kwargs})
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = num - 1 if endpoint else num
    (start, stop), dt = _inexact(start, stop)
    delta = stop - start
    index = _index_column(num, dt, delta.ndim)
    if div > 0:
        step = delta / div
        y = np.where(np.any(step == 0), index / div * delta, index * step)
    else:
        step = np.nan  # 0 samples, or 1 with the endpoint: numpy's step is undefined
        y = index * delta
    y = y + start
    if endpoint and num > 1:
        last = _index_column(num, "int64", delta.ndim) == num - 1
        y = np.where(last, stop, y)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None and np.issubdtype(dtype, np.integer):
        y = np.floor(y)
    y = y if dtype is None else astype(y, dtype, "linspace")
    return (y, step) if retstep else y


@function(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """base ** linspace(start, stop); an array `base` broadcasts as numpy's does."""
    if not isinstance(base, float | int) and np.ndim(base):
        _, (start, stop, base), _ = promote(start, stop, base)
        rank = max(start.ndim, stop.ndim, base.ndim)
        start, stop, base = (
            reshape(a, (1,) * (rank - a.ndim) + a.shape) for a in (start, stop, base)
        )
        base = np.expand_dims(base, axis)
    y = np.power(base, linspace(start, stop, num=num, endpoint=endpoint, axis=axis))
    return y if dtype is None else astype(y, dtype, "logspace")


@function(np.geomspace)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """numpy's geomspace: logspace between log10(|start|) and log10(stop / sign(start)),
    with the end samples set to start and stop exactly. numpy raises for a zero endpoint;
    that check needs the data, so under jit a zero endpoint gives nan or inf instead."""
    _, (start, stop), _ = promote(
        *[x if hasattr(x, "trace") else np.asarray(x) for x in (start, stop)]
    )
    dt = np.result_type(start.dtype, stop.dtype, float(num), np.zeros((), dtype))
    start, stop = astype(start, dt), astype(stop, dt)
    sign = np.sign(start)
    start, stop = start / sign, stop / sign
    result = logspace(np.log10(start), np.log10(stop), num=num, endpoint=endpoint, dtype=dt)
    rank = result.ndim - 1
    if num > 0:
        result = np.where(_index_column(num, "int64", rank) == 0, start, result)
        if num > 1 and endpoint:
            result = np.where(_index_column(num, "int64", rank) == num - 1, stop, result)
    result = result * sign
    if axis != 0:
        result = moveaxis(result, 0, axis)
    return astype(result, dt if dtype is None else dtype, "geomspace")


@function(np.fromfunction)
def fromfunction(function_, shape, *, dtype=float, like=None, **kwargs):
    """function_(i0, i1, ...) with index arrays i_k of `shape` (sizes may be symbolic), as
    numpy's np.indices gives them."""
    refuse("fromfunction", {"like=": like is not None})
    shape = tuple(shape)
    grids = []
    for axis, size in enumerate(shape):
        column = reshape(
            arange(size, dtype=dtype), (1,) * axis + (-1,) + (1,) * (len(shape) - axis - 1)
        )
        grids.append(np.broadcast_to(column, shape))
    return function_(*grids, **kwargs)


@function(np.resize)
def resize(a, new_shape):
    """a's elements, flattened and repeated cyclically, in the new shape: element k of
    the result is flat[k % a.size], a gather, so neither size needs a concrete value."""
    _, (a,), _ = promote(a)
    new_shape = (
        (new_shape,) if isinstance(new_shape, int | np.integer | SymDim) else tuple(new_shape)
    )
    if any(d < 0 for d in new_shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    new_size = 1
    for d in new_shape:
        new_size = d * new_size
    flat = reshape(a, (-1,))
    if any(isinstance(d, int) and d == 0 for d in (flat.shape[0], new_size)):
        return full(dims(new_shape), 0, dtype=a.dtype)
    positions = arange(new_size) % flat.shape[0]
    return reshape(take(flat, positions), new_shape)


def _list_depth(arrays, where: str = "arrays") -> int:
    """The nesting depth of np.block's lists, checked to be the same on every branch."""
    if isinstance(arrays, tuple):
        raise TypeError(f"{where} is a tuple. Only lists can be used to arrange blocks")
    if not isinstance(arrays, list):
        return 0
    if not arrays:
        raise ValueError(f"List at {where} cannot be empty")
    depths = {_list_depth(item, f"{where}[{i}]") for i, item in enumerate(arrays)}
    if len(depths) > 1:
        raise ValueError(f"List depths are mismatched at {where}")
    return depths.pop() + 1


def _assemble(arrays, depth: int, rank: int):
    """Innermost lists join along the last axis, the next ones along the one before."""
    if depth == 0:
        x = promote(arrays)[1][0]
        return reshape(x, (1,) * (rank - x.ndim) + x.shape)
    parts = [_assemble(item, depth - 1, rank) for item in arrays]
    return concatenate(parts, axis=-depth)


def _max_rank(arrays) -> int:
    if isinstance(arrays, list):
        return max(_max_rank(item) for item in arrays)
    return np.ndim(arrays) if not hasattr(arrays, "trace") else arrays.ndim


@function(np.block)
def block(arrays):
    """numpy's block: nested lists of arrays, each list level concatenated along its axis
    (the innermost along -1), arrays first given leading 1-dims up to the result's rank."""
    depth = _list_depth(arrays)
    rank = max(depth, _max_rank(arrays))
    result = _assemble(arrays, depth, rank)
    return result


@function(np.unstack)
def unstack(x, /, *, axis=0):
    """The slices of x along `axis`, as a tuple (the axis size must be known: it guards)."""
    _, (x,), _ = promote(x)
    if x.ndim == 0:
        raise ValueError("Input array must be at least 1-d.")
    x = moveaxis(x, _axis(axis, x.ndim, "unstack"), 0)
    return tuple(x[i] for i in range(operator.index(x.shape[0])))


@dispatch.implements(np.fromiter)
def fromiter(iter, dtype, count=-1, *, like=None):
    """A 1-d array of `dtype` from an iterable of scalars, which inside a trace may be traced:
    they are stacked. np.fromiter itself does not hand the call to jitlib (its argument is
    not an array) and asks each traced scalar for its value. `count` reads at most that
    many, with numpy's error for fewer.

    >>> import numpy as np, jitlib as jl, jitlib.numpy as jnp
    >>> jl.jit(lambda x: jnp.fromiter((x[i] * i for i in range(3)), np.float32))(np.ones(3))
    array([0., 1., 2.], dtype=float32)
    """
    count = operator.index(count)
    items = list(itertools.islice(iter, count) if count >= 0 else iter)
    if 0 <= count and len(items) < count:
        raise ValueError(
            f"iterator too short: Expected {count} but iterator had only {len(items)} items."
        )
    if not is_traced(tuple(items)):
        return np.fromiter(items, dtype, len(items), like=like)
    dtype = np.dtype(dtype)
    if dtype.shape or dtype.names:
        raise UnsupportedError(
            f"jitlib.numpy.fromiter of {dtype}: structured and subarray "
            "dtypes are not supported inside @jit"
        )
    values = [asarray(item) for item in items]
    if any(v.ndim for v in values):
        raise ValueError("setting an array element with a sequence.")
    return astype(np.stack(values), dtype, "fromiter")
