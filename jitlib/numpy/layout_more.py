"""More construction and layout functions: meshgrid, indices, append, insert, delete, rot90
and the flips, column/depth stacking, array_split and its axis forms, rollaxis, choose;
all built from slices, concatenation, broadcasting, transposes and gathers."""

import operator

import numpy as np

from jitlib.errors import IndexOutOfBoundsError, ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import (
    as_tracer,
    astype,
    function,
    index_array,
    promote,
    refuse,
    same_dtype,
)
from jitlib.numpy.arrange import _along, atleast_2d, split
from jitlib.numpy.creation import arange
from jitlib.numpy.layout import (
    _axis,
    broadcast_arrays,
    broadcast_to,
    concatenate,
    flip,
    moveaxis,
    reshape,
    stack,
    transpose,
)
from jitlib.tracer import Tracer


def _tracer(x) -> Tracer:
    return promote(x)[1][0]


@function(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Each 1-D coordinate array laid along its own axis (the first two swapped for 'xy'),
    then broadcast to the full grid unless `sparse`."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    trace_, tracers, _ = promote(*xi)
    rank = len(tracers)
    grids = []
    for i, x in enumerate(tracers):
        shape = [1] * rank
        shape[i] = -1
        if indexing == "xy" and rank > 1:
            shape[0], shape[1] = shape[1], shape[0]
        grids.append(reshape(x, tuple(shape)))
    if not sparse:
        grids = broadcast_arrays(*grids)
    return tuple(grids)


@function(np.indices)
def indices(dimensions, dtype=int, sparse=False):
    """The index grids of an array of shape `dimensions` (sizes may be traced), stacked
    into one (len(dimensions), *dimensions) array unless `sparse`. numpy does not hand
    np.indices to jitlib (it takes no array): under jit, np.indices(x.shape) runs numpy's
    own code on the current sizes (a guard on each, so a new size traces again), while
    jnp.indices(x.shape) keeps them symbolic.

    >>> import numpy as np, jitlib as jl, jitlib.numpy as jnp
    >>> jl.jit(lambda x: jnp.indices(x.shape)[1])(np.zeros((2, 3)))
    array([[0, 1, 2],
           [0, 1, 2]])
    """
    rank = len(dimensions)
    grids = []
    for i, size in enumerate(dimensions):
        shape = (1,) * i + (size,) + (1,) * (rank - i - 1)
        grids.append(reshape(arange(size, dtype=dtype), shape))
    if sparse:
        return tuple(grids)
    if not grids:
        return np.zeros((0,), dtype=dtype)
    return stack(broadcast_arrays(*grids))


@function(np.append)
def append(arr, values, axis=None):
    if axis is None:
        arr, values = reshape(_tracer(arr), (-1,)), reshape(_tracer(values), (-1,))
        axis = 0
    return concatenate((arr, values), axis=axis)


def _positions(obj, n, what: str) -> list:
    """Static positions (an int, a slice, or a sequence of ints) as non-negative ints, or
    sizes counted from the end; only a slice needs the axis length `n` itself (a guard)."""
    if isinstance(obj, Tracer):
        raise UnsupportedError(f"numpy.{what} with traced positions is not supported inside @jit")
    if isinstance(obj, slice):
        start, stop, step = obj.start or 0, obj.stop, obj.step or 1
        if step > 0 and start >= 0 and stop is not None and stop >= 0:
            return list(range(start, min(stop, n) if stop > n else stop, step))
        return list(range(*obj.indices(operator.index(n))))
    positions = np.asarray(obj)
    if positions.dtype == bool or positions.ndim > 1 or positions.dtype.kind not in "iu":
        if not (positions.size == 0 and positions.dtype == np.float64):
            raise UnsupportedError(
                f"numpy.{what} needs int positions (an int, slice or 1-d list), got {obj!r}"
            )
    out = []
    for p in positions.ravel().tolist():
        if p < 0:  # counts from the end: a size expression, compared below with guards
            p += n
            if p < 0:
                raise IndexOutOfBoundsError(f"numpy.{what}: index {p - n} is out of bounds")
        out.append(p)
    return out


def _in_range(p: int, n, upper: bool, what: str) -> None:
    if p > n or (not upper and p == n):
        raise IndexOutOfBoundsError(f"numpy.{what}: index {p} is out of bounds for size {n}")


def _flat_or_axis(arr, axis, what: str) -> tuple:
    x = _tracer(arr)
    if axis is None:
        return reshape(x, (-1,)), 0
    return x, _axis(axis, x.ndim, what)


@function(np.insert)
def insert(arr, obj, values, axis=None):
    """`values` placed before the given static positions, as numpy's insert: a scalar
    position takes values with their first axis moved to `axis`; several positions
    broadcast values to one slice each and insert them in a stable order."""
    x, axis = _flat_or_axis(arr, axis, "insert")
    n = x.shape[axis]
    positions = _positions(obj, n, "insert")
    for p in positions:
        _in_range(p, n, True, "insert")
    values = astype(as_tracer(values, x.trace), x.dtype)
    if len(positions) == 1:
        values = reshape(values, (1,) * (x.ndim - values.ndim) + values.shape)
        if np.ndim(obj) == 0 and not isinstance(obj, slice):
            values = moveaxis(values, 0, axis)
        block_shape = x.shape[:axis] + (values.shape[axis],) + x.shape[axis + 1 :]
        blocks = [broadcast_to(values, block_shape)]
    else:
        block = broadcast_to(values, x.shape[:axis] + (len(positions),) + x.shape[axis + 1 :])
        blocks = [block[_along(block, axis, slice(k, k + 1))] for k in range(len(positions))]
    pieces, start = [], 0
    for k in sorted(range(len(positions)), key=lambda k: positions[k]):  # stable, as numpy
        pieces += [x[_along(x, axis, slice(start, positions[k]))], blocks[k]]
        start = positions[k]
    return concatenate([*pieces, x[_along(x, axis, slice(start, None))]], axis=axis)


@function(np.delete)
def delete(arr, obj, axis=None):
    """arr without the elements at static positions (an int, slice, list, or a bool mask)
    along `axis`: the kept runs, concatenated."""
    x, axis = _flat_or_axis(arr, axis, "delete")
    n = x.shape[axis]
    mask = np.asarray(obj) if isinstance(obj, list | np.ndarray) else None
    if mask is not None and mask.dtype == bool:
        if mask.shape != (operator.index(n),):
            raise ShapeMismatchError(f"numpy.delete: a mask of shape {mask.shape} for size {n}")
        obj = np.flatnonzero(mask)
    doomed = sorted(set(_positions(obj, n, "delete")))
    for p in doomed:
        _in_range(p, n, False, "delete")
    pieces, start = [], 0
    for p in doomed:
        if p > start:
            pieces.append(x[_along(x, axis, slice(start, p))])
        start = p + 1
    pieces.append(x[_along(x, axis, slice(start, None))])
    return concatenate(pieces, axis=axis)


@function(np.flipud)
def flipud(m):
    m = _tracer(m)
    if m.ndim < 1:
        raise ShapeMismatchError("numpy.flipud: the input must be at least 1-d")
    return flip(m, 0)


@function(np.fliplr)
def fliplr(m):
    m = _tracer(m)
    if m.ndim < 2:
        raise ShapeMismatchError("numpy.fliplr: the input must be at least 2-d")
    return flip(m, 1)


@function(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """A quarter turn from axes[0] towards axes[1], k times: a flip and a transpose."""
    m = _tracer(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    first, second = (_axis(a, m.ndim, "rot90") for a in axes)
    if first == second:
        raise ValueError("Axes must be different.")
    k = operator.index(k) % 4
    if k == 0:
        return m[...]
    if k == 2:
        return flip(flip(m, first), second)
    order = list(range(m.ndim))
    order[first], order[second] = order[second], order[first]
    if k == 1:
        return transpose(flip(m, second), order)
    return flip(transpose(m, order), second)


@function(np.column_stack)
def column_stack(tup):
    columns = []
    for a in tup:
        a = _tracer(a)
        columns.append(transpose(atleast_2d(a)) if a.ndim < 2 else a)
    return concatenate(columns, axis=1)


@function(np.atleast_3d)
def atleast_3d(*arys):
    out = []
    for a in arys:
        a = _tracer(a)
        if a.ndim == 0:
            a = reshape(a, (1, 1, 1))
        elif a.ndim == 1:
            a = reshape(a, (1, a.shape[0], 1))
        elif a.ndim == 2:
            a = reshape(a, (*a.shape, 1))
        out.append(a)
    return out[0] if len(out) == 1 else tuple(out)


@function(np.dstack)
def dstack(tup):
    return concatenate([atleast_3d(a) for a in tup], axis=2)


@function(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    """numpy's uneven split: the first n % sections parts get one element more (the size
    along `axis` is needed, a guard)."""
    x = _tracer(ary)
    axis = _axis(axis, x.ndim, "array_split")
    if not isinstance(indices_or_sections, int | np.integer):
        return split(x, indices_or_sections, axis)
    sections = int(indices_or_sections)
    if sections <= 0:
        raise ValueError("number sections must be larger than 0.")
    each, extra = divmod(operator.index(x.shape[axis]), sections)
    sizes = [each + 1] * extra + [each] * (sections - extra)
    bounds = np.cumsum([0, *sizes]).tolist()
    return [x[_along(x, axis, slice(lo, hi))] for lo, hi in zip(bounds[:-1], bounds[1:])]


def _split_along(name: str, axis_of, least: int):
    def apply(ary, indices_or_sections):
        x = _tracer(ary)
        if x.ndim < least:
            raise ShapeMismatchError(f"numpy.{name} only works on arrays of {least} or more dims")
        return split(x, indices_or_sections, axis_of(x))

    apply.__name__ = name
    return function(getattr(np, name))(apply)


hsplit = _split_along("hsplit", lambda x: 1 if x.ndim > 1 else 0, 1)
vsplit = _split_along("vsplit", lambda x: 0, 2)
dsplit = _split_along("dsplit", lambda x: 2, 3)


@function(np.rollaxis)
def rollaxis(a, axis, start=0):
    a = _tracer(a)
    n = a.ndim
    axis = _axis(axis, n, "rollaxis")
    start = start + n if start < 0 else start
    if not 0 <= start < n + 1:
        raise ShapeMismatchError(f"numpy.rollaxis: start {start} out of range for rank {n}")
    if axis < start:
        start -= 1
    if axis == start:
        return a[...]
    order = [i for i in range(n) if i != axis]
    order.insert(start, axis)
    return transpose(a, order)


def wrapped_indices(indices, n, mode: str, what: str):
    """Indices into an axis of length n as numpy's `mode` reads them: 'clip' clamps to
    [0, n - 1] (negative ones too), 'wrap' takes them modulo n; 'raise' leaves them."""
    refuse(what, {f"mode={mode!r}": mode not in ("raise", "clip", "wrap")})
    if mode == "raise":
        return indices
    trace_ = indices.trace
    if mode == "clip":
        return np.clip(indices, 0, as_tracer(n, trace_, indices.value.type.dtype) - 1)
    return np.remainder(indices, as_tracer(n, trace_, indices.value.type.dtype))


@function(np.choose)
def choose(a, choices, out=None, mode="raise"):
    """choices[a[i]][i] as one gather from the choices stacked along a new first axis
    (out of range, 'raise' fails as numpy's take does; 'clip'/'wrap' move it in)."""
    refuse("choose", {"out=": out is not None})
    trace_, options, _ = promote(*choices)
    index = index_array(a, trace_, "numpy.choose")
    index, *options = broadcast_arrays(index, *same_dtype(options))
    stacked = stack(options)
    index = wrapped_indices(index, len(choices), mode, "choose")
    return np.take_along_axis(stacked, reshape(index, (1, *index.shape)), axis=0)[0]
