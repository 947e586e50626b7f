"""Layout primitives: reshape, transpose, broadcast_to, slice, flip, concatenate, pad
(the transpose of slice: zeros around and between the elements), and update_slice (x with
a slice replaced: what a write `x[a:b:c] = v` becomes once the tracer has functionalised it).

On the numpy backend reshape, transpose, broadcast_to, slice and flip return views.
"""

import builtins

import numpy as np
import sympy

from ir import shapes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import rules
from ir.ops.table import Op

LAYOUT = frozenset({"layout"})
VIEW = frozenset({"layout", "view"})


def _reshape_shape(x: Type, *, shape: tuple) -> Type:
    return Type(x.dtype, shapes.reshape(x.shape, shape))


def _transpose_shape(x: Type, *, axes: tuple) -> Type:
    if sorted(axes) != list(range(x.ndim)):
        raise ShapeError(f"transpose axes {axes} are not a permutation for shape {x.shape}")
    return Type(x.dtype, tuple(x.shape[a] for a in axes))


def _broadcast_shape(x: Type, *, shape: tuple) -> Type:
    # Compare dims with dims_equal, not ==: s0 and 6 are the same dim under a guard s0 == 6.
    fits = len(shape) >= x.ndim and all(
        shapes.dims_equal(a, b) for a, b in zip(shapes.broadcast(x.shape, shape), shape)
    )
    if not fits:
        raise ShapeError(
            f"cannot broadcast shape {shapes.fmt(x.shape)} to {shapes.fmt(tuple(shape))}"
        )
    return Type(x.dtype, tuple(shape))


def slice_length(start, stop, step) -> shapes.Dim:
    """Number of elements of start:stop:step, with 0 <= start <= stop and step > 0."""
    return shapes.canon(sympy.floor((sympy.sympify(stop) - start + step - 1) / step))


def _slice_shape(x: Type, *, start: tuple, stop: tuple, step: tuple) -> Type:
    if not len(start) == len(stop) == len(step) == x.ndim:
        raise ShapeError(f"slice of rank {len(start)} for an array of shape {x.shape}")
    return Type(x.dtype, tuple(slice_length(*bounds) for bounds in zip(start, stop, step)))


def slice_array(x, *, start: tuple, stop: tuple, step: tuple):
    """x[start:stop:step] on every axis."""
    return x[tuple(builtins.slice(*bounds) for bounds in zip(start, stop, step))]


def _update_slice_shape(x: Type, update: Type, *, start: tuple, stop: tuple, step: tuple) -> Type:
    region = _slice_shape(x, start=start, stop=stop, step=step)
    if update.dtype != x.dtype or not shapes.equal(update.shape, region.shape):
        raise ShapeError(
            f"update_slice of {x} at {start}:{stop}:{step} needs an update {region}, got {update}"
        )
    return x


def update_slice_into(x, update, *, start: tuple, stop: tuple, step: tuple) -> None:
    """x[start:stop:step] = update, in x's own buffer."""
    x[tuple(builtins.slice(*bounds) for bounds in zip(start, stop, step))] = update


def update_slice(x, update, *, start: tuple, stop: tuple, step: tuple):
    """A copy of x with x[start:stop:step] = update."""
    out = np.array(x, copy=True)
    update_slice_into(out, update, start=start, stop=stop, step=step)
    return out


def _flip_shape(x: Type, *, axis: tuple) -> Type:
    if tuple(axis) != shapes.normalize_axes(axis, x.ndim):
        raise ShapeError(f"flip axis {axis} out of range for shape {x.shape}")
    return x


def _concatenate_shape(*xs: Type, axis: int) -> Type:
    first = xs[0]
    if not 0 <= axis < first.ndim:
        raise ShapeError(f"concatenate axis {axis} out of range for rank {first.ndim}")
    for x in xs[1:]:
        same = x.ndim == first.ndim and all(
            i == axis or shapes.dims_equal(a, b)
            for i, (a, b) in enumerate(zip(x.shape, first.shape))
        )
        if not same or x.dtype != first.dtype:
            names = ", ".join(str(t) for t in xs)
            raise ShapeError(f"concatenate along axis {axis} of mismatched arrays {names}")
    total = shapes.canon(builtins.sum((x.shape[axis] for x in xs), sympy.Integer(0)))
    return Type(first.dtype, first.shape[:axis] + (total,) + first.shape[axis + 1 :])


def concatenate(*xs, axis: int):
    return np.concatenate(xs, axis=axis)


def _padded_length(n, lo, hi, interior):
    """lo zeros, the n elements with `interior` zeros between neighbours, hi zeros. An empty
    axis counts -interior for its (absent) gaps, so padding stays the exact transpose of
    slicing: slice's cotangent pads back to the sliced array's length."""
    return lo + n + (n - 1) * interior + hi


def _provably_negative(dim) -> bool:
    if isinstance(dim, int):
        return dim < 0
    return bool(sympy.expand(shapes.at_least_two(dim)).is_negative)


def _pad_shape(x: Type, *, lo: tuple, hi: tuple, interior: tuple) -> Type:
    if not len(lo) == len(hi) == len(interior) == x.ndim:
        raise ShapeError(f"pad of rank {len(lo)} for an array of shape {shapes.fmt(x.shape)}")
    if not all(isinstance(i, int) and i >= 0 for i in interior):
        raise ShapeError(f"pad: interior {interior} must be non-negative ints")
    dims = tuple(
        shapes.canon(sympy.expand(_padded_length(*widths)))
        for widths in zip(x.shape, lo, hi, interior)
    )
    if any(_provably_negative(d) for d in (*lo, *hi, *dims)):
        raise ShapeError(
            f"pad of {shapes.fmt(x.shape)} with lo={lo}, hi={hi}, interior={interior}: "
            "negative widths or lengths"
        )
    return Type(x.dtype, dims)


def _interior_bounds(shape: tuple, lo: tuple, interior: tuple) -> tuple:
    """start, stop and step per axis that pick the original elements out of a padded array
    (ints, or dim expressions)."""
    stops = tuple(
        start if n == 0 else start + (n - 1) * (gap + 1) + 1
        for n, start, gap in zip(shape, lo, interior)
    )
    return tuple(lo), stops, tuple(gap + 1 for gap in interior)


def pad(x, *, lo: tuple, hi: tuple, interior: tuple):
    """x with lo zeros before, hi zeros after and `interior` zeros between the elements of
    each axis (a fresh array)."""
    shape = tuple(_padded_length(*widths) for widths in zip(x.shape, lo, hi, interior))
    out = np.zeros(shape, dtype=x.dtype)
    start, stop, step = _interior_bounds(x.shape, lo, interior)
    out[tuple(builtins.slice(*bounds) for bounds in zip(start, stop, step))] = x
    return out


def _reshape_vjp(e, cts, primals, outs, *, shape):
    return (e.reshaped(cts[0], primals[0].type.shape),)


def _reshape_batch(e, args, batched, size, *, shape):
    return e.reshape(args[0], shape=(size, *shape))


def _transpose_vjp(e, cts, primals, outs, *, axes):
    inverse = tuple(sorted(range(len(axes)), key=lambda i: axes[i]))
    return (e.transposed(cts[0], inverse),)


def _transpose_batch(e, args, batched, size, *, axes):
    return e.transpose(args[0], axes=(0, *[a + 1 for a in axes]))


def _broadcast_vjp(e, cts, primals, outs, *, shape):
    return (e.sum_to(cts[0], primals[0].type),)


def _broadcast_batch(e, args, batched, size, *, shape):
    return e.expand(e.move_batch(args[0], len(shape)), (size, *shape))


def _slice_vjp(e, cts, primals, outs, *, start, stop, step):
    (ct,), (x,), (out,) = cts, primals, outs
    # the kept elements sit at start, start + step, ...; after the last one come the rest
    hi = tuple(
        shapes.canon(dim - first - (n - 1) * stride - 1)
        for dim, first, n, stride in zip(x.type.shape, start, out.type.shape, step)
    )
    interior = tuple(stride - 1 for stride in step)
    padded = e.pad(ct, lo=tuple(start), hi=hi, interior=interior)
    return (e.reshaped(padded, x.type.shape),)


def _slice_batch(e, args, batched, size, *, start, stop, step):
    return e.slice(args[0], start=(0, *start), stop=(size, *stop), step=(1, *step))


def _update_slice_vjp(e, cts, primals, outs, *, start, stop, step):
    # the overwritten region of x gets no cotangent; the update gets the region's
    (ct,), (x, update) = cts, primals
    if not rules.is_float(x.type.dtype):
        return None, None
    kept = e.update_slice(ct, e.zeros(update.type), start=start, stop=stop, step=step)
    return kept, e.slice(ct, start=start, stop=stop, step=step)


def _update_slice_batch(e, args, batched, size, *, start, stop, step):
    x, update = (v if b else e.batched(v, size) for v, b in zip(args, batched))
    return e.update_slice(x, update, start=(0, *start), stop=(size, *stop), step=(1, *step))


def _flip_vjp(e, cts, primals, outs, *, axis):
    return (e.flip(cts[0], axis=axis),)


def _concatenate_vjp(e, cts, primals, outs, *, axis):
    (ct,) = cts
    grads, offset = [], 0
    for x in primals:
        end = shapes.canon(offset + x.type.shape[axis])
        start = tuple(offset if i == axis else 0 for i in range(ct.type.ndim))
        stop = tuple(end if i == axis else d for i, d in enumerate(ct.type.shape))
        part = e.slice(ct, start=start, stop=stop, step=(1,) * ct.type.ndim)
        grads.append(e.reshaped(part, x.type.shape) if rules.is_float(x.type.dtype) else None)
        offset = end
    return tuple(grads)


def _concatenate_batch(e, args, batched, size, *, axis):
    xs = [x if b else e.batched(x, size) for x, b in zip(args, batched)]
    return e.concatenate(*xs, axis=axis + 1)


def _pad_vjp(e, cts, primals, outs, *, lo, hi, interior):
    (ct,), (x,) = cts, primals
    start, stop, step = _interior_bounds(x.type.shape, lo, interior)
    stop = tuple(shapes.canon(d) for d in stop)
    picked = e.slice(ct, start=start, stop=stop, step=step)
    return (e.reshaped(picked, x.type.shape),)


def _pad_batch(e, args, batched, size, *, lo, hi, interior):
    return e.pad(args[0], lo=(0, *lo), hi=(0, *hi), interior=(0, *interior))


OPS = [
    Op(
        name="reshape",
        triton="index",
        shape=_reshape_shape,
        impl=np.reshape,
        jvp=rules.linear_jvp,
        vjp=_reshape_vjp,
        batch=_reshape_batch,
        tags=VIEW,
    ),
    Op(
        name="transpose",
        triton="index",
        shape=_transpose_shape,
        impl=np.transpose,
        jvp=rules.linear_jvp,
        vjp=_transpose_vjp,
        batch=_transpose_batch,
        tags=VIEW,
    ),
    Op(
        name="broadcast_to",
        triton="index",
        shape=_broadcast_shape,
        impl=np.broadcast_to,
        jvp=rules.linear_jvp,
        vjp=_broadcast_vjp,
        batch=_broadcast_batch,
        tags=VIEW,
    ),
    Op(
        name="slice",
        triton="index",
        shape=_slice_shape,
        impl=slice_array,
        jvp=rules.linear_jvp,
        vjp=_slice_vjp,
        batch=_slice_batch,
        tags=VIEW,
    ),
    Op(
        name="flip",
        triton="index",
        shape=_flip_shape,
        impl=np.flip,
        jvp=rules.linear_jvp,
        vjp=_flip_vjp,
        batch=rules.axis_batch,
        tags=VIEW,
    ),
    Op(
        name="update_slice",
        triton="index",
        shape=_update_slice_shape,
        impl=update_slice,
        inplace=update_slice_into,
        jvp=rules.linear_jvp,
        vjp=_update_slice_vjp,
        batch=_update_slice_batch,
        tags=frozenset({"layout", "update"}),
    ),
    Op(
        name="concatenate",
        triton="index",
        shape=_concatenate_shape,
        impl=concatenate,
        jvp=rules.linear_jvp,
        vjp=_concatenate_vjp,
        batch=_concatenate_batch,
        tags=LAYOUT,
    ),
    Op(
        name="pad",
        triton="index",
        shape=_pad_shape,
        impl=pad,
        jvp=rules.linear_jvp,
        vjp=_pad_vjp,
        batch=_pad_batch,
        tags=LAYOUT,
    ),
]
