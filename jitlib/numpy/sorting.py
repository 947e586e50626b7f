"""Sorting and order: np.sort, argsort, partition, argpartition, lexsort, searchsorted,
digitize, ndarray.sort (in place), over the `argsort`, `searchsorted` and `digitize`
primitives. A sort is take_along_axis(x, argsort(x)), so its gradient flows back through
the permutation. Every order is numpy's stable one (`kind='stable'`), whatever `kind` says:
ties keep their index order, which is one of the orders numpy's default quicksort may give.
"""

import numpy as np

from ir import shapes
from ir.errors import ShapeError
from ir.ops import OPS
from jitlib import dispatch, inplace
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import as_tracer, function, is_traced, promote, refuse, same_dtype
from jitlib.tracer import Tracer


def _axis(axis, rank: int, what: str) -> int:
    try:
        return shapes.normalize_axis(axis, rank)
    except ShapeError as error:
        raise ShapeMismatchError(f"numpy.{what}: {error}") from None


def _check_kind(name: str, kind, order, stable) -> None:
    """numpy's checks of `kind` and `stable`; any valid kind gives the stable order."""
    refuse(name, {"order=": order is not None})
    if kind is not None and stable is not None:
        raise ValueError(
            "`kind` and keyword parameters can't be provided at the same time. Use only one "
            "of them."
        )
    if kind is not None and (not isinstance(kind, str) or kind[:1].lower() not in "qhms"):
        raise ValueError(f"sort kind must be one of 'quick', 'heap', or 'stable' (got {kind!r})")


def _lined_up(x, axis):
    """(x, axis) with numpy's axis=None (the flattened array) resolved."""
    trace_, (x,), _ = promote(x)
    if axis is None:
        return np.reshape(x, (-1,)), 0
    return x, _axis(axis, x.ndim, "sort")


def _order(x: Tracer, axis: int) -> Tracer:
    """The stable argsort of x along `axis`."""
    return x.trace.bind(OPS["argsort"], x, axis=axis, kind="stable")


def _gather(x: Tracer, order: Tracer, axis: int) -> Tracer:
    """x[..., order[..., j], ...] along `axis` (order of x's shape), as one `take` from the
    flattened rows: its gradient is a scatter-add, O(n) per row, where take_along_axis's
    is a one-hot sum, O(n^2)."""
    rows, order = np.moveaxis(x, axis, -1), np.moveaxis(order, axis, -1)
    lead = rows.value.type.shape[:-1]
    count = shapes.canon(shapes.size(lead))
    starts = x.trace.bind(OPS["iota"], length=count, dtype="int64")
    starts = np.reshape(starts, (*rows.shape[:-1], 1)) * rows.shape[-1]
    flat = np.take(np.reshape(rows, (-1,)), order + starts, axis=0)
    return np.moveaxis(flat, -1, axis)


@function(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """numpy's argsort in its stable order (equal values keep their index order).

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(np.argsort)(np.array([2.0, 1.0, 2.0, 0.5]))
    array([3, 1, 0, 2])
    """
    _check_kind("argsort", kind, order, stable)
    trace_, (x,), _ = promote(a)
    if x.ndim == 0:  # numpy argsorts a 0-d array as a 1-d one
        axis = None
    x, axis = _lined_up(x, axis)
    return _order(x, axis)


@function(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """numpy's sort: x gathered through its stable argsort, so gradients flow back through
    the permutation (each sorted entry's cotangent goes to the entry it came from).

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(np.sort)(np.array([[3.0, 1.0], [0.0, -2.0]]))
    array([[ 1.,  3.],
           [-2.,  0.]])
    """
    _check_kind("sort", kind, order, stable)
    x, axis = _lined_up(a, axis)
    return _gather(x, _order(x, axis), axis)


@dispatch.implements("ndarray.sort")
def sort_in_place(x, axis=-1, kind=None, order=None, *, stable=None) -> None:
    """x.sort(): the sorted array written back into x (and every view of its memory)."""
    if not isinstance(x, Tracer):
        raise UnsupportedError("ndarray.sort of an array that is not traced")
    inplace.check_writable(x)
    result = sort(x, axis=axis, kind=kind, order=order, stable=stable)
    inplace.write(x, [], result)


def _kth(kth, n, name: str) -> None:
    """numpy's check of partition's kth (an int or a sequence of ints) against the axis."""
    if is_traced(kth):
        raise UnsupportedError(f"numpy.{name} with a traced kth; pass kth as a Python int")
    for k in np.atleast_1d(np.asarray(kth)).tolist():
        if not isinstance(k, int):
            raise TypeError(f"Partition index must be integer, got {k!r}")
        if not -n <= k < n:
            raise ValueError(f"kth(={k}) out of bounds ({n})")


@function(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """numpy's partition as a full sort, which meets its promise (the kth entry in its
    sorted place, none larger before it, none smaller after it)."""
    refuse("partition", {"order=": order is not None})
    x, axis = _lined_up(a, axis)
    _kth(kth, x.shape[axis], "partition")
    return _gather(x, _order(x, axis), axis)


@function(np.argpartition)
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """numpy's argpartition as a full stable argsort (see partition)."""
    refuse("argpartition", {"order=": order is not None})
    x, axis = _lined_up(a, axis)
    _kth(kth, x.shape[axis], "argpartition")
    return _order(x, axis)


@function(np.lexsort)
def lexsort(keys, axis=-1):
    """The stable argsort by several keys, the last one primary: sorted by the first key,
    then stably by each next one, so the last key decides first and earlier ones break
    its ties.

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(np.lexsort)(np.array([[1, 0, 2], [5, 5, 4]]))
    array([2, 1, 0])
    """
    if isinstance(keys, Tracer) and keys.ndim < 2:
        raise UnsupportedError("numpy.lexsort of a 0-d or 1-d keys array (each key a scalar)")
    keys = list(keys)
    if not keys:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    trace_, keys, _ = promote(*keys)
    shape = keys[0].value.type.shape
    if any(not shapes.equal(k.value.type.shape, shape) for k in keys):
        raise ShapeMismatchError("numpy.lexsort: all keys need to be the same shape")
    keys = [_lined_up(k, axis)[0] for k in keys]
    axis = 0 if axis is None else _axis(axis, keys[0].ndim, "lexsort")
    order = _order(keys[0], axis)
    for key in keys[1:]:
        order = _gather(order, _order(_gather(key, order, axis), axis), axis)
    return order


def _search_operands(name: str, a, v):
    """a and v promoted to one dtype (numpy compares them in their common type)."""
    trace_, (a, v), _ = promote(a, v)
    if a.ndim != 1:
        raise ShapeMismatchError(f"numpy.{name} needs a 1-d sorted array, got shape {a.shape}")
    return same_dtype([a, v])


@function(np.searchsorted)
def searchsorted(a, v, side="left", sorter=None):
    """Where v would go in the sorted 1-d a to keep it sorted (NaN sorts last).

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(np.searchsorted)(np.array([1.0, 2.0, 3.0]), np.array([2.0, 9.0]))
    array([1, 3])
    """
    if side not in ("left", "right"):
        raise ValueError(f"search side must be 'left' or 'right' (got {side!r})")
    a, v = _search_operands("searchsorted", a, v)
    if sorter is not None:  # numpy searches a in the order sorter gives
        a = np.take(a, as_tracer(sorter, a.trace))
    return a.trace.bind(OPS["searchsorted"], a, v, side=side)


@function(np.digitize)
def digitize(x, bins, right=False):
    """The index of the bin each x falls in, for increasing or decreasing bins (numpy
    checks that they are monotonic when it runs).

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(np.digitize)(np.array([0.5, 1.5, 9.0]), np.array([1.0, 2.0]))
    array([0, 1, 2])
    """
    bins, x = _search_operands("digitize", bins, x)
    return x.trace.bind(OPS["digitize"], x, bins, right=bool(right))


@function(np.sort_complex)
def sort_complex(a):
    raise UnsupportedError(
        "numpy.sort_complex gives complex numbers, which jitlib does not support; eager "
        "numpy still works without @jit"
    )
