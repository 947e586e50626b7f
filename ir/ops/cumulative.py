"""Cumulative reductions along one axis (running sums and products)."""

import numpy as np

from ir import dtypes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import rules
from ir.ops.table import Op

SCAN = frozenset({"scan"})


def _cumulative_shape(numpy_fn):
    def rule(x: Type, *, axis: int) -> Type:
        if not 0 <= axis < x.ndim:
            raise ShapeError(f"{numpy_fn.__name__}: axis {axis} out of range for shape {x.shape}")
        try:
            dtype = dtypes.result_dtype(numpy_fn, (x.dtype,), (("axis", 0),))
        except TypeError as error:
            raise ShapeError(f"{numpy_fn.__name__} does not support {x.dtype}") from error
        return Type(dtype, x.shape)

    return rule


def _cumsum_vjp(e, cts, primals, outs, *, axis):
    # each x_k feeds every out_i with i >= k: the cotangent is ct summed from the end
    (ct,), (x,) = cts, primals
    if not rules.is_float(x.type.dtype):
        return (None,)
    return (e.flip(e.cumsum(e.flip(ct, axis=(axis,)), axis=axis), axis=(axis,)),)


def _inserted(e, x, axis: int):
    """x with a size-1 axis inserted at `axis`."""
    return e.reshaped(x, x.type.shape[:axis] + (1,) + x.type.shape[axis:])


def _cumprod_weights(e, x, axis: int):
    """W with a new axis k inserted before `axis` (which then runs over i):
    W[k, i] = d out_i / d x_k = prod(x_j for j <= i, j != k) where k <= i, else 0.
    Built as the running product of x with x_k replaced by 1, so it is exact where x has
    zeros; it takes O(n^2) memory along the axis."""
    n, dtype = x.type.shape[axis], x.type.dtype
    rows = e.iota(length=n, dtype="int64")
    trailing = (1,) * (x.type.ndim - axis - 1)
    k = e.reshaped(rows, (n, 1, *trailing))
    i = e.reshaped(rows, (1, n, *trailing))
    wide = x.type.shape[:axis] + (n,) + x.type.shape[axis:]
    spread = e.expand(_inserted(e, x, axis), wide)  # spread[k, j] = x_j
    without_k = e.select(e.equal(k, i), e.const(1, dtype), spread)
    running = e.cumprod(without_k, axis=axis + 1)
    return e.select(e.less_equal(k, i), running, e.const(0, dtype))


def _cumprod_jvp(e, primals, tangents, outs, *, axis):
    # t_out_i = sum over k of W[k, i] * t_k
    (x,), (t,), (out,) = primals, tangents, outs
    if t is None or not rules.is_float(out.type.dtype):
        return None
    weights = _cumprod_weights(e, x, axis)
    return e.sum(e.multiply(weights, _inserted(e, t, axis + 1)), axis=(axis,))


def _cumprod_vjp(e, cts, primals, outs, *, axis):
    # ct_x_k = sum over i of W[k, i] * ct_i
    (ct,), (x,) = cts, primals
    if not rules.is_float(x.type.dtype):
        return (None,)
    weights = _cumprod_weights(e, x, axis)
    return (e.sum(e.multiply(weights, _inserted(e, ct, axis)), axis=(axis + 1,)),)


OPS = [
    Op(
        name="cumsum",
        shape=_cumulative_shape(np.cumsum),
        impl=np.cumsum,
        jvp=rules.linear_jvp,
        vjp=_cumsum_vjp,
        batch=rules.axis_batch,
        tags=SCAN | {"linear"},
    ),
    Op(
        name="cumprod",
        shape=_cumulative_shape(np.cumprod),
        impl=np.cumprod,
        jvp=_cumprod_jvp,
        vjp=_cumprod_vjp,
        batch=rules.axis_batch,
        tags=SCAN,
    ),
]
