"""Integer-array indexing along one axis (a gather, `take`), its transpose, the scatter-add
that sums updates into the indexed positions (`scatter_add`), and numpy's per-position
gather `take_along_axis` (whose transpose is a one-hot sum, so it stays fusible).

Batching a gather whose indices differ per example folds the batch axis into the indexed
axis (batch b's row i becomes row b * n + i), after normalising negative indices.
"""

import builtins

import numpy as np

from ir import dtypes, shapes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import rules
from ir.ops.table import Op


def _take_shape(x: Type, indices: Type, *, axis: int) -> Type:
    if not dtypes.is_int(indices.dtype):
        raise ShapeError(f"take needs integer indices, got {indices.dtype}")
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"take axis {axis} out of range for shape {x.shape}")
    return Type(x.dtype, x.shape[:axis] + indices.shape + x.shape[axis + 1 :])


def _take_along_axis_shape(x: Type, indices: Type, *, axis: int) -> Type:
    if not dtypes.is_int(indices.dtype):
        raise ShapeError(f"take_along_axis needs integer indices, got {indices.dtype}")
    if x.ndim != indices.ndim or not 0 <= axis < x.ndim:
        raise ShapeError(
            f"take_along_axis along axis {axis} needs x and indices of the same rank, "
            f"got {x} and {indices}"
        )
    # the axis itself does not broadcast: the result has the indices' length there
    without_axis = [shape[:axis] + (1,) + shape[axis + 1 :] for shape in (x.shape, indices.shape)]
    try:
        lined_up = shapes.broadcast(*without_axis)
    except ShapeError:
        raise ShapeError(
            f"take_along_axis along axis {axis}: x {x} and indices {indices} do not "
            f"broadcast on the other axes"
        ) from None
    return Type(x.dtype, lined_up[:axis] + (indices.shape[axis],) + lined_up[axis + 1 :])


def _scatter_add_shape(x: Type, indices: Type, updates: Type, *, axis: int) -> Type:
    taken = _take_shape(x, indices, axis=axis)
    fits = updates.ndim == taken.ndim and all(
        shapes.dims_equal(a, b) for a, b in zip(updates.shape, taken.shape)
    )
    if not fits or updates.dtype != x.dtype:
        raise ShapeError(
            f"scatter_add along axis {axis} of {x} at indices {indices} needs updates "
            f"{taken}, got {updates}"
        )
    return x


def scatter_add(x, indices, updates, *, axis: int):
    """A copy of x with updates[..., j, ...] added at x[..., indices[j], ...] along `axis`;
    repeated indices add up."""
    out = np.array(x, copy=True)
    np.add.at(out, (builtins.slice(None),) * axis + (indices,), updates)
    return out


# --- rules ----------------------------------------------------------------------------------
def _gather_jvp(name: str):
    """A gather is linear in the gathered array: its tangent is gathered the same way."""

    def rule(e, primals, tangents, outs, *, axis):
        (t, _), (_, indices) = tangents, primals
        return None if t is None else getattr(e, name)(t, indices, axis=axis)

    return rule


_take_jvp = _gather_jvp("take")


def _take_vjp(e, cts, primals, outs, *, axis):
    (ct,), (x, indices) = cts, primals
    if not rules.is_float(x.type.dtype):
        return None, None
    return e.scatter_add(e.zeros(x.type), indices, ct, axis=axis), None


def _scatter_add_jvp(e, primals, tangents, outs, *, axis):
    (x, indices, _), (tx, _, tu) = primals, tangents
    if tu is None:
        return tx
    tx = e.zeros(x.type) if tx is None else tx
    return e.scatter_add(tx, indices, tu, axis=axis)


def _scatter_add_vjp(e, cts, primals, outs, *, axis):
    (ct,), (x, indices, _) = cts, primals
    if not rules.is_float(x.type.dtype):
        return None, None, None
    return ct, None, e.take(ct, indices, axis=axis)


_take_along_axis_jvp = _gather_jvp("take_along_axis")


def _take_along_axis_vjp(e, cts, primals, outs, *, axis):
    # ct_x[..., i, ...] = sum over j of ct[..., j, ...] * (indices[..., j, ...] == i): a
    # one-hot over a new axis of x's length next to the indices' axis, so repeated indices
    # add up and no scatter is needed
    (ct,), (x, indices) = cts, primals
    if not rules.is_float(x.type.dtype):
        return None, None
    n = x.type.shape[axis]
    indices = _non_negative(e, indices, n)
    positions = (1,) * axis + (n, 1) + (1,) * (x.type.ndim - axis - 1)
    rows = e.reshaped(e.iota(length=n, dtype="int64"), positions)
    hits = e.equal(rows, _inserted(e, indices, axis))
    spread = e.select(hits, _inserted(e, ct, axis), e.const(0, ct.type.dtype))
    return e.sum_to(e.sum(spread, axis=(axis + 1,)), x.type), None


def _take_along_axis_batch(e, args, batched, size, *, axis):
    # the unbatched operand gets a size-1 batch axis, which broadcasts like any other axis
    lined = [x if b else e.reshaped(x, (1, *x.type.shape)) for x, b in zip(args, batched)]
    return e.take_along_axis(*lined, axis=axis + 1)


def _inserted(e, x, axis: int):
    """x with a size-1 axis inserted at `axis`."""
    return e.reshaped(x, x.type.shape[:axis] + (1,) + x.type.shape[axis:])


def _non_negative(e, indices, n):
    """int64 indices into an axis of length n, negative ones counted from the end."""
    indices = e.cast(indices, "int64")
    wrapped = e.add(indices, _size(e, n))
    return e.select(e.less(indices, e.const(0, "int64")), wrapped, indices)


def _batch_to(e, x, axis: int):
    """A batched value with its batch axis moved from the front to position `axis`."""
    order = tuple(range(1, axis + 1)) + (0,) + tuple(range(axis + 1, x.type.ndim))
    return e.transposed(x, order)


def _batch_from(e, x, axis: int):
    """The inverse of _batch_to: the axis at `axis` moved to the front."""
    order = (axis,) + tuple(range(axis)) + tuple(range(axis + 1, x.type.ndim))
    return e.transposed(x, order)


def _size(e, dim):
    """A dim as an int64 scalar value."""
    return e.const(dim, "int64") if isinstance(dim, int) else e.dim(size=dim)


def _folded(e, x, axis: int):
    """A batched x (size, ..., n, ...) as (..., size * n, ...): example b's element i of
    `axis` is element b * n + i."""
    moved = _batch_to(e, x, axis)
    shape = moved.type.shape
    merged = shapes.canon(shape[axis] * shape[axis + 1])
    return e.reshaped(moved, shape[:axis] + (merged,) + shape[axis + 2 :])


def _folded_indices(e, indices, n, size):
    """Batched indices into an axis of length n, as indices into the folded axis. Negative
    indices count from the end of their own example's axis; out-of-range ones map out of
    the folded range, so the gather still raises IndexError as numpy does."""
    indices = e.cast(indices, "int64")
    length = _size(e, n)
    zero = e.const(0, "int64")
    indices = e.select(e.less(indices, zero), e.add(indices, length), indices)
    bad = e.logical_or(e.less(indices, zero), e.greater_equal(indices, length))
    lined_up = (size,) + (1,) * (indices.type.ndim - 1)
    example = e.reshaped(e.iota(length=size, dtype="int64"), lined_up)
    flat = e.add(indices, e.multiply(example, length))
    outside = e.negative(e.add(_size(e, shapes.canon(size * n)), e.const(1, "int64")))
    return e.select(bad, outside, flat)


def _take_batch(e, args, batched, size, *, axis):
    (x, indices), (x_batched, indices_batched) = args, batched
    if not indices_batched:
        return e.take(x, indices, axis=axis + 1)
    if x_batched:
        n = x.type.shape[axis + 1]
        x, indices = _folded(e, x, axis), _folded_indices(e, indices, n, size)
    # the batch axis of the indices lands at `axis` of the result
    return _batch_from(e, e.take(x, indices, axis=axis), axis)


def _scatter_add_batch(e, args, batched, size, *, axis):
    (x, indices, updates), (x_batched, indices_batched, updates_batched) = args, batched
    # every example gets its own result, so the operand and the updates carry the batch
    x = x if x_batched else e.batched(x, size)
    updates = updates if updates_batched else e.batched(updates, size)
    if not indices_batched:
        return e.scatter_add(x, indices, updates, axis=axis + 1)
    n = x.type.shape[axis + 1]
    folded = _folded(e, x, axis)
    summed = e.scatter_add(
        folded, _folded_indices(e, indices, n, size), _batch_to(e, updates, axis), axis=axis
    )
    unfolded = e.reshaped(summed, x.type.shape[1 : axis + 1] + (size, n) + x.type.shape[axis + 2 :])
    return _batch_from(e, unfolded, axis)


OPS = [
    Op(
        name="take",
        triton="gather",
        shape=_take_shape,
        impl=np.take,
        jvp=_take_jvp,
        vjp=_take_vjp,
        batch=_take_batch,
        tags=frozenset({"gather"}),
    ),
    Op(
        name="take_along_axis",
        triton="gather",
        shape=_take_along_axis_shape,
        impl=np.take_along_axis,
        jvp=_take_along_axis_jvp,
        vjp=_take_along_axis_vjp,
        batch=_take_along_axis_batch,
        tags=frozenset({"gather"}),
    ),
    # Made only by transforms (the VJP of take); no numpy function maps onto it.
    Op(
        name="scatter_add",
        shape=_scatter_add_shape,
        impl=scatter_add,
        jvp=_scatter_add_jvp,
        vjp=_scatter_add_vjp,
        batch=_scatter_add_batch,
        tags=frozenset({"scatter"}),
    ),
]
