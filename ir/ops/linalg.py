"""Matrix multiplication with numpy's batch broadcasting (both operands at least 2-D)."""

import numpy as np

from ir import dtypes, shapes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import matrix, rules
from ir.ops.table import Op


def _matmul_shape(x: Type, y: Type) -> Type:
    if x.ndim < 2 or y.ndim < 2:
        raise ShapeError(f"matmul primitive needs 2-D operands, got {x} and {y}")
    if not shapes.dims_equal(x.shape[-1], y.shape[-2]):
        raise ShapeError(
            f"matmul: shapes {shapes.fmt(x.shape)} and {shapes.fmt(y.shape)} do not align "
            f"({x.shape[-1]} != {y.shape[-2]})"
        )
    try:
        batch = shapes.broadcast(x.shape[:-2], y.shape[:-2])
    except ShapeError as error:
        raise ShapeError(f"matmul batch dims of {x} and {y}: {error}") from error
    dtype = dtypes.result_dtype(np.matmul, (x.dtype, y.dtype))
    return Type(dtype, batch + (x.shape[-2], y.shape[-1]))


def _matmul_jvp(e, primals, tangents, outs):
    # d(x @ y) = dx @ y + x @ dy
    (x, y), (tx, ty), (out,) = primals, tangents, outs
    if not rules.is_float(out.type.dtype):
        return None
    terms = [None if tx is None else e.matmul(tx, y), None if ty is None else e.matmul(x, ty)]
    total = e.add_all(terms)
    return None if total is None else e.cast(total, out.type.dtype)


def _matmul_vjp(e, cts, primals, outs):
    # x @ y contracts x's last axis with y's second to last: ct @ y^T and x^T @ ct, summed
    # over the batch dims that broadcasting stretched
    (ct,), (x, y) = cts, primals
    ct_x = e.sum_to(e.matmul(ct, matrix.mT(e, y)), x.type) if rules.is_float(x.type.dtype) else None
    if not rules.is_float(y.type.dtype):
        ct_y = None
    elif y.type.ndim == 2 < x.type.ndim:
        # a stack of x's times one y (a layer's weights): the batch dims fold into the rows,
        # x^T @ ct as one (k, B*m) @ (B*m, n) product instead of B products and their sum
        rows = shapes.size(x.type.shape[:-1])
        flat_x = e.reshaped(x, (rows, x.type.shape[-1]))
        flat_ct = e.reshaped(ct, (rows, ct.type.shape[-1]))
        ct_y = e.cast(e.matmul(matrix.mT(e, flat_x), flat_ct), y.type.dtype)
    else:
        ct_y = e.sum_to(e.matmul(matrix.mT(e, x), ct), y.type)
    return ct_x, ct_y


def _matmul_batch(e, args, batched, size):
    """A batch of x @ y with y shared (unbatched, 2-D) is one product: the batch folds into
    x's rows, (B*..*m, k) @ (k, n), instead of B small products. Otherwise batch dims
    broadcast like elementwise operands (size-1 axes after the batch axis line them up)."""
    (x, y), (bx, by) = args, batched
    if bx and not by and y.type.ndim == 2:
        rows = shapes.size(x.type.shape[:-1])
        flat = e.reshaped(x, (rows, x.type.shape[-1]))
        out = e.matmul(flat, y)
        return e.reshaped(out, (*x.type.shape[:-1], y.type.shape[-1]))
    return rules.elementwise_batch(e, args, batched, size)


OPS = [
    Op(
        name="matmul",
        triton="matmul",
        shape=_matmul_shape,
        impl=np.matmul,
        jvp=_matmul_jvp,
        vjp=_matmul_vjp,
        batch=_matmul_batch,
        tags=frozenset({"matmul"}),
    )
]
