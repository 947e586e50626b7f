"""Shape functions: reshape, transpose and friends, broadcast_to, concatenate, stack."""

import numpy as np

from ir import shapes
from ir.errors import ShapeError
from ir.ops import OPS
from jitlib import inplace
from jitlib.errors import ShapeMismatchError
from jitlib.numpy._core import as_tracer, dims, function, promote, refuse, same_dtype
from jitlib.tracer import Tracer


def _axis(axis: int, rank: int, what: str) -> int:
    try:
        return shapes.normalize_axis(axis, rank)
    except ShapeError as error:
        raise ShapeMismatchError(f"{what}: {error}") from None


@function(np.reshape)
def reshape(x, shape=None, order="C", *, newshape=None, copy=None):
    refuse("reshape", {f"order={order!r}": order != "C"})
    trace_, (x,), weak = promote(x)
    shape = newshape if shape is None else shape
    return inplace.bind_view(trace_, "reshape", x, weak=weak, shape=dims(shape))


@function(np.ravel)
def ravel(x, order="C"):
    out = reshape(x, (-1,), order=order)
    if out.place is not None and not inplace.is_contiguous(out):
        return Tracer(out.value, out.trace, out.weak)  # numpy's ravel is contiguous: a copy
    return out


@function(np.transpose)
def transpose(x, axes=None):
    trace_, (x,), weak = promote(x)
    rank = x.ndim
    axes = (
        tuple(reversed(range(rank)))
        if axes is None
        else tuple(_axis(a, rank, "transpose") for a in axes)
    )
    return inplace.bind_view(trace_, "transpose", x, weak=weak, axes=axes)


@function(np.swapaxes)
def swapaxes(x, axis1, axis2):
    x = as_tracer(x, promote(x)[0])
    order = list(range(x.ndim))
    a, b = _axis(axis1, x.ndim, "swapaxes"), _axis(axis2, x.ndim, "swapaxes")
    order[a], order[b] = order[b], order[a]
    return transpose(x, order)


@function(np.moveaxis)
def moveaxis(x, source, destination):
    x = as_tracer(x, promote(x)[0])
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    source = [_axis(a, x.ndim, "moveaxis") for a in source]
    destination = [_axis(a, x.ndim, "moveaxis") for a in destination]
    order = [a for a in range(x.ndim) if a not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return transpose(x, order)


@function(np.expand_dims)
def expand_dims(x, axis):
    x = as_tracer(x, promote(x)[0])
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    rank = x.ndim + len(axes)
    axes = {_axis(a, rank, "expand_dims") for a in axes}
    old = iter(x.shape)
    return reshape(x, tuple(1 if i in axes else next(old) for i in range(rank)))


@function(np.squeeze)
def squeeze(x, axis=None):
    x = as_tracer(x, promote(x)[0])
    shape = x.value.type.shape
    if axis is None:
        axes = {i for i, d in enumerate(shape) if shapes.is_one(d)}  # (s0 + 1) // 2 may be 1
    else:
        axes = {_axis(a, x.ndim, "squeeze") for a in ((axis,) if isinstance(axis, int) else axis)}
        for a in axes:
            if not shapes.is_one(shape[a]):
                raise ShapeMismatchError(
                    f"cannot squeeze axis {a} of size {shape[a]} in {x.value.type}"
                )
    return reshape(x, tuple(d for i, d in enumerate(x.shape) if i not in axes))


@function(np.broadcast_to)
def broadcast_to(x, shape, subok=False):
    trace_, (x,), weak = promote(x)
    return trace_.bind(OPS["broadcast_to"], x, shape=dims(shape), weak=weak)


@function(np.broadcast_arrays)
def broadcast_arrays(*xs):
    trace_, tracers, _ = promote(*xs)
    try:
        shape = shapes.broadcast(*[t.value.type.shape for t in tracers])
    except ShapeError as error:
        raise ShapeMismatchError(f"broadcast_arrays: {error}") from None
    return [trace_.bind(OPS["broadcast_to"], t, shape=shape) for t in tracers]


@function(np.concatenate)
def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    given = {
        "out=": out is not None,
        "dtype=": dtype is not None,
        "casting=": casting != "same_kind",
    }
    refuse("concatenate", given)
    trace_, tracers, weak = promote(*arrays)
    tracers = same_dtype(tracers)
    if axis is None:
        tracers = [reshape(t, (-1,)) for t in tracers]
        axis = 0
    axis = _axis(axis, tracers[0].ndim, "concatenate")
    return trace_.bind(OPS["concatenate"], *tracers, axis=axis, weak=weak)


@function(np.stack)
def stack(arrays, axis=0, out=None):
    refuse("stack", {"out=": out is not None})
    trace_, tracers, _ = promote(*arrays)
    first = tracers[0].value.type.shape
    if not all(shapes.equal(first, t.value.type.shape) for t in tracers[1:]):
        types = ", ".join(str(trace_.current_type(t.value.type)) for t in tracers)
        raise ShapeMismatchError(f"stack({types}): all input arrays must have the same shape")
    axis = _axis(axis, tracers[0].ndim + 1, "stack")
    return concatenate([expand_dims(t, axis) for t in tracers], axis=axis)


@function(np.flip)
def flip(x, axis=None):
    trace_, (x,), weak = promote(x)
    try:
        axes = shapes.normalize_axes(axis, x.ndim)
    except ShapeError as error:
        raise ShapeMismatchError(f"flip: {error}") from None
    return inplace.bind_view(trace_, "flip", x, weak=weak, axis=axes)
