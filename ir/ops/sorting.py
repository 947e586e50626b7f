"""Sorting primitives: `argsort` (numpy's stable order along one axis), `searchsorted`
(insertion points into a sorted 1-d array) and `digitize` (bin numbers, numpy's check that
the bins are monotonic included). All give integers, so none has a derivative; np.sort,
np.partition and np.lexsort are composites in jitlib/numpy/sorting.py (sort is
take_along_axis(x, argsort(x)), whose rules exist).
"""

import numpy as np

from ir import dtypes, shapes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import rules
from ir.ops.table import Op

SIDES = ("left", "right")


def _argsort_shape(x: Type, *, axis: int, kind: str) -> Type:
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"argsort: axis {axis} is out of bounds for an array of rank {x.ndim}")
    if kind != "stable":
        raise ShapeError(f"argsort primitive sorts stably, got kind={kind!r}")
    return Type("int64", x.shape)


def _searchsorted_shape(a: Type, v: Type, *, side: str) -> Type:
    if a.ndim != 1:
        raise ShapeError(f"searchsorted needs a 1-d sorted array, got {a}")
    if side not in SIDES:
        raise ShapeError(f"searchsorted side must be 'left' or 'right', got {side!r}")
    if a.dtype != v.dtype:
        raise ShapeError(f"searchsorted needs a and v of one dtype, got {a} and {v}")
    return Type("int64", v.shape)


def _before(e, a, v, side: str):
    """Whether a comes before v in numpy's sort order (NaN after every number, NaNs equal):
    a < v for side='left', a <= v for side='right'."""
    if side == "left":
        below = e.less(a, v)
        if dtypes.is_float(a.type.dtype):  # a number is below a NaN v
            below = e.logical_or(below, e.logical_and(e.isnan(v), e.logical_not(e.isnan(a))))
        return below
    below = e.less_equal(a, v)
    if dtypes.is_float(a.type.dtype):  # every a is at or below a NaN v
        below = e.logical_or(below, e.isnan(v))
    return below


def _count_before(e, rows, v, side: str):
    """Per example b, how many entries of rows[b] come before each v[b, ...] (both
    batched): the insertion point into a sorted row, compared all against all, which
    stays example by example."""
    rest = v.type.ndim - 1
    lined = e.reshaped(rows, rows.type.shape[:1] + (1,) * rest + rows.type.shape[1:])
    below = _before(e, lined, e.reshaped(v, v.type.shape + (1,)), side)
    return e.sum(e.cast(below, "int64"), axis=(v.type.ndim,))


def _searchsorted_batch(e, args, batched, size, *, side):
    """A shared sorted array: one search of the batched values; one per example: counted."""
    (a, v), (a_batched, v_batched) = args, batched
    if not a_batched:
        return e.searchsorted(a, v, side=side)
    return _count_before(e, a, v if v_batched else e.batched(v, size), side)


def _digitize_shape(x: Type, bins: Type, *, right: bool) -> Type:
    if bins.ndim != 1:
        raise ShapeError(f"digitize needs 1-d bins, got {bins}")
    if x.dtype != bins.dtype:
        raise ShapeError(f"digitize needs x and bins of one dtype, got {x} and {bins}")
    return Type("int64", x.shape)


def _digitize_batch(e, args, batched, size, *, right):
    """Shared bins: one digitize of the batched x. Bins per example: numpy's bin number is
    the count of bins before x (increasing bins; searchsorted's side 'right', or 'left'
    with `right`) or n minus that count (decreasing bins), the direction read from the
    first and last bin. Unlike numpy, this path cannot check each example's bins for
    monotonicity."""
    (x, bins), (x_batched, bins_batched) = args, batched
    if not bins_batched:
        return e.digitize(x, bins, right=right)
    x = x if x_batched else e.batched(x, size)
    n = bins.type.shape[1]
    counted = _count_before(e, bins, x, "left" if right else "right")
    if n == 0 or shapes.is_one(n):  # no bins, or one: increasing, as numpy counts them
        return counted
    first, last = (
        e.slice(bins, start=(0, i), stop=(size, shapes.canon(i + 1)), step=(1, 1))
        for i in (0, shapes.canon(n - 1))
    )
    lined = (size,) + (1,) * (x.type.ndim - 1)
    increasing = e.reshaped(e.less_equal(first, last), lined)
    length = e.const(n, "int64") if isinstance(n, int) else e.dim(size=n)
    return e.select(e.expand(increasing, counted.type.shape), counted, e.subtract(length, counted))


OPS = [
    # numpy's stable argsort: equal keys keep their index order, NaN sorts last
    Op(
        name="argsort",
        shape=_argsort_shape,
        impl=np.argsort,
        jvp=rules.no_jvp,
        vjp=rules.no_vjp,
        batch=rules.axis_batch,
        tags=frozenset({"sort"}),
    ),
    Op(
        name="searchsorted",
        shape=_searchsorted_shape,
        impl=np.searchsorted,
        jvp=rules.no_jvp,
        vjp=rules.no_vjp,
        batch=_searchsorted_batch,
    ),
    Op(
        name="digitize",
        shape=_digitize_shape,
        impl=np.digitize,
        jvp=rules.no_jvp,
        vjp=rules.no_vjp,
        batch=_digitize_batch,
    ),
]
