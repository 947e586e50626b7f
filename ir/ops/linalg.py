"""Matrix multiplication with numpy's batch broadcasting (both operands at least 2-D)."""

import numpy as np

from ir import dtypes, shapes
from ir.core import Type
from ir.errors import ShapeError
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


OPS = [Op(name="matmul", shape=_matmul_shape, impl=np.matmul, tags=frozenset({"matmul"}))]
