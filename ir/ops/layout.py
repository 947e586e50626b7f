"""Layout primitives: reshape, transpose, broadcast_to, slice, flip, concatenate.

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


OPS = [
    Op(
        name="reshape",
        shape=_reshape_shape,
        impl=np.reshape,
        jvp=rules.linear_jvp,
        vjp=_reshape_vjp,
        batch=_reshape_batch,
        tags=VIEW,
    ),
    Op(
        name="transpose",
        shape=_transpose_shape,
        impl=np.transpose,
        jvp=rules.linear_jvp,
        vjp=_transpose_vjp,
        batch=_transpose_batch,
        tags=VIEW,
    ),
    Op(
        name="broadcast_to",
        shape=_broadcast_shape,
        impl=np.broadcast_to,
        jvp=rules.linear_jvp,
        vjp=_broadcast_vjp,
        batch=_broadcast_batch,
        tags=VIEW,
    ),
    Op(name="slice", shape=_slice_shape, impl=slice_array, tags=VIEW),
    Op(name="flip", shape=_flip_shape, impl=np.flip, tags=VIEW),
    Op(name="concatenate", shape=_concatenate_shape, impl=concatenate, tags=LAYOUT),
]
