"""Integer-array indexing along one axis (a gather)."""

import numpy as np

from ir import dtypes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops.table import Op


def _take_shape(x: Type, indices: Type, *, axis: int) -> Type:
    if not dtypes.is_int(indices.dtype):
        raise ShapeError(f"take needs integer indices, got {indices.dtype}")
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"take axis {axis} out of range for shape {x.shape}")
    return Type(x.dtype, x.shape[:axis] + indices.shape + x.shape[axis + 1 :])


OPS = [Op(name="take", shape=_take_shape, impl=np.take, tags=frozenset({"gather"}))]
