"""Cumulative reductions along one axis (running sums and products)."""

import numpy as np

from ir import dtypes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops.table import Op


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


OPS = [
    Op(name="cumsum", shape=_cumulative_shape(np.cumsum), impl=np.cumsum, tags=frozenset({"scan"})),
    Op(
        name="cumprod",
        shape=_cumulative_shape(np.cumprod),
        impl=np.cumprod,
        tags=frozenset({"scan"}),
    ),
]
