"""Reductions over a tuple of axes (no keepdims: jitlib.numpy reshapes for that)."""

import numpy as np

from ir import dtypes, shapes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import rules
from ir.ops.table import Op

REDUCTION = frozenset({"reduction"})


def _reduce_shape(numpy_fn):
    def rule(x: Type, *, axis: tuple) -> Type:
        if tuple(axis) != shapes.normalize_axes(axis, x.ndim):
            raise ShapeError(f"{numpy_fn.__name__}: axis {axis} must be sorted and in range")
        try:
            dtype = dtypes.result_dtype(numpy_fn, (x.dtype,), (("axis", 0),))
        except TypeError as error:
            raise ShapeError(f"{numpy_fn.__name__} does not support {x.dtype}") from error
        kept = tuple(d for i, d in enumerate(x.shape) if i not in axis)
        return Type(dtype, kept)

    return rule


def reduce_op(name: str, numpy_fn, tags=(), jvp=None, vjp=None) -> Op:
    return Op(
        name=name,
        shape=_reduce_shape(numpy_fn),
        impl=numpy_fn,
        jvp=jvp,
        vjp=vjp,
        batch=_reduce_batch,
        tags=REDUCTION | frozenset(tags),
    )


def _reduce_batch(e, args, batched, size, *, axis):
    (x,) = args
    return e.bind(e.op, x, axis=tuple(a + 1 for a in axis))


def _kept_shape(x_shape: tuple, axis: tuple) -> tuple:
    """x's shape with the reduced axes as size 1 (keepdims)."""
    return tuple(1 if i in axis else d for i, d in enumerate(x_shape))


def _sum_vjp(e, cts, primals, outs, *, axis):
    (ct,), (x,) = cts, primals
    kept = e.reshaped(ct, _kept_shape(x.type.shape, axis))
    return (e.expand(kept, x.type.shape),)


def _arg_shape(x: Type, *, axis: int) -> Type:
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"axis {axis} is out of bounds for an array of rank {x.ndim}")
    return Type("int64", x.shape[:axis] + x.shape[axis + 1 :])


def arg_op(name: str, numpy_fn) -> Op:
    return Op(name=name, shape=_arg_shape, impl=numpy_fn, tags=REDUCTION)


OPS = [
    reduce_op("sum", np.sum, tags={"linear"}, jvp=rules.linear_jvp, vjp=_sum_vjp),
    reduce_op("prod", np.prod),
    reduce_op("max", np.max),
    reduce_op("min", np.min),
    reduce_op("all", np.all),
    reduce_op("any", np.any),
    arg_op("argmax", np.argmax),
    arg_op("argmin", np.argmin),
]
