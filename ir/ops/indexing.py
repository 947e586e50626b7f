"""Integer-array indexing along one axis (a gather, `take`), its transpose, the scatter-add
that sums updates into the indexed positions (`scatter_add`), and numpy's per-position
gather `take_along_axis` (whose transpose is a one-hot sum, so it stays fusible).

Writes through integer-array indices are scatters too: `scatter` (x[..., i, ...] = u, the
last of repeated indices wins, as in numpy) and `scatter_reduce` (`np.multiply.at`,
`np.maximum.at`, `np.minimum.at`: repeated indices combine).

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


def _scatter_reduce_shape(x: Type, indices: Type, updates: Type, *, axis: int, combine: str):
    if combine not in _COMBINE:
        raise ShapeError(f"scatter_reduce combines with one of {_COMBINE}, got {combine!r}")
    return _scatter_add_shape(x, indices, updates, axis=axis)


_COMBINE = ("multiply", "maximum", "minimum")


def _at(axis: int, indices) -> tuple:
    return (builtins.slice(None),) * axis + (indices,)


def scatter_into(x, indices, updates, *, axis: int) -> None:
    """x[..., indices[j], ...] = updates[..., j, ...] along `axis`, in x's buffer."""
    x[_at(axis, indices)] = updates


def scatter_reduce_into(x, indices, updates, *, axis: int, combine: str) -> None:
    """`combine` (a ufunc's name) applied at the indexed positions of x, as np.<combine>.at
    does: repeated indices combine."""
    getattr(np, combine).at(x, _at(axis, indices), updates)


def scatter_add_into(x, indices, updates, *, axis: int) -> None:
    """updates[..., j, ...] added at x[..., indices[j], ...] along `axis`; repeated indices
    add up."""
    np.add.at(x, _at(axis, indices), updates)


def _copying(into):
    """The op's impl: `into` applied to a copy of x."""

    def impl(x, *rest, **params):
        out = np.array(x, copy=True)
        into(out, *rest, **params)
        return out

    impl.__name__ = into.__name__.removesuffix("_into")
    return impl


scatter = _copying(scatter_into)
scatter_reduce = _copying(scatter_reduce_into)
scatter_add = _copying(scatter_add_into)


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


def _scatter_jvp(e, primals, tangents, outs, *, axis):
    # linear in x and the updates together
    (x, indices, updates), (tx, _, tu) = primals, tangents
    if tx is None and tu is None:
        return None
    tx = e.zeros(x.type) if tx is None else tx
    tu = e.zeros(updates.type) if tu is None else tu
    return e.scatter(tx, indices, tu, axis=axis)


def _written_last(e, indices, updates, axis: int, length):
    """Per update, whether it is the one that stays at its position (the last of repeated
    indices, numpy's order), shaped to broadcast against the updates."""
    count = shapes.canon(shapes.size(indices.type.shape))
    order = e.reshaped(e.iota(length=count, dtype="int64"), indices.type.shape)
    nobody = e.full(-1, Type("int64", (length,)))
    winners = e.scatter(nobody, indices, order, axis=0)
    last = e.equal(e.take(winners, indices, axis=0), order)
    rest = updates.type.ndim - axis - indices.type.ndim
    return e.reshaped(last, (1,) * axis + indices.type.shape + (1,) * rest)


def _scatter_vjp(e, cts, primals, outs, *, axis):
    (ct,), (x, indices, updates) = cts, primals
    if not rules.is_float(x.type.dtype):
        return None, None, None
    kept = e.scatter(ct, indices, e.zeros(updates.type), axis=axis)
    last = _written_last(e, indices, updates, axis, x.type.shape[axis])
    taken = e.take(ct, indices, axis=axis)
    return kept, None, e.select(e.expand(last, taken.type.shape), taken, e.zeros(taken.type))


def _extremal_hits(e, x, indices, updates, out, axis: int):
    """Where x, and each update, equal the result (for maximum/minimum), and how many
    values reached each position with that value (ties share the derivative)."""
    at_x = e.equal(x, out)
    at_update = e.equal(updates, e.take(out, indices, axis=axis))
    dtype = out.type.dtype
    ones = e.cast(at_update, dtype)
    count = e.scatter_add(e.cast(at_x, dtype), indices, ones, axis=axis)
    return at_x, at_update, count


def _others_product(e, x, indices, updates, axis: int):
    """For np.multiply.at: the product of all the updates at each position (P), and per
    update the product of the others at its position (what its derivative scales by),
    without dividing by a zero: zeros are counted and the non-zero updates multiplied."""
    dtype = updates.type.dtype
    zero, one = e.const(0, dtype), e.const(1, dtype)
    is_zero = e.equal(updates, zero)
    zeros = e.scatter_add(e.zeros(x.type), indices, e.cast(is_zero, dtype), axis=axis)
    nonzero = e.scatter_reduce(
        e.full(1, x.type), indices, e.select(is_zero, one, updates), axis=axis, combine="multiply"
    )
    product = e.select(e.equal(zeros, zero), nonzero, zero)
    zeros_here, nonzero_here = (e.take(v, indices, axis=axis) for v in (zeros, nonzero))
    if_nonzero = e.select(e.equal(zeros_here, zero), e.divide(nonzero_here, updates), zero)
    if_zero = e.select(e.equal(zeros_here, one), nonzero_here, zero)
    return product, e.select(is_zero, if_zero, if_nonzero)


def _scatter_reduce_jvp(e, primals, tangents, outs, *, axis, combine):
    (x, indices, updates), (tx, _, tu), (out,) = primals, tangents, outs
    if tx is None and tu is None:
        return None
    if combine == "multiply":
        product, others = _others_product(e, x, indices, updates, axis)
        from_x = None if tx is None else e.multiply(tx, product)
        spread = None
        if tu is not None:
            spread = e.scatter_add(e.zeros(x.type), indices, e.multiply(tu, others), axis=axis)
            spread = e.multiply(x, spread)
        return e.add_all([from_x, spread])
    at_x, at_update, count = _extremal_hits(e, x, indices, updates, out, axis)
    zero = e.const(0, out.type.dtype)
    from_x = e.zeros(x.type) if tx is None else e.select(at_x, tx, zero)
    from_updates = e.zeros(updates.type) if tu is None else e.select(at_update, tu, zero)
    return e.divide(e.scatter_add(from_x, indices, from_updates, axis=axis), count)


def _scatter_reduce_vjp(e, cts, primals, outs, *, axis, combine):
    (ct,), (x, indices, updates), (out,) = cts, primals, outs
    if not rules.is_float(x.type.dtype):
        return None, None, None
    if combine == "multiply":
        product, others = _others_product(e, x, indices, updates, axis)
        to_updates = e.multiply(e.take(e.multiply(ct, x), indices, axis=axis), others)
        return e.multiply(ct, product), None, to_updates
    at_x, at_update, count = _extremal_hits(e, x, indices, updates, out, axis)
    shared = e.divide(ct, count)
    zero = e.const(0, ct.type.dtype)
    to_updates = e.select(at_update, e.take(shared, indices, axis=axis), zero)
    return e.select(at_x, shared, zero), None, to_updates


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


def _scatter_batch(e, args, batched, size, *, axis, **params):
    """Every scatter: each example gets its own result, so the operand and the updates
    carry the batch; batched indices fold the batch into the scattered axis."""
    (x, indices, updates), (x_batched, indices_batched, updates_batched) = args, batched
    x = x if x_batched else e.batched(x, size)
    updates = updates if updates_batched else e.batched(updates, size)
    if not indices_batched:
        return e.bind(e.op, x, indices, updates, axis=axis + 1, **params)
    n = x.type.shape[axis + 1]
    folded = _folded(e, x, axis)
    indices = _folded_indices(e, indices, n, size)
    scattered = e.bind(e.op, folded, indices, _batch_to(e, updates, axis), axis=axis, **params)
    shape = x.type.shape[1 : axis + 1] + (size, n) + x.type.shape[axis + 2 :]
    return _batch_from(e, e.reshaped(scattered, shape), axis)


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
        inplace=scatter_add_into,
        jvp=_scatter_add_jvp,
        vjp=_scatter_add_vjp,
        batch=_scatter_batch,
        tags=frozenset({"scatter"}),
    ),
    # What writes through integer-array indices become (jitlib/inplace.py).
    Op(
        name="scatter",
        shape=_scatter_add_shape,
        impl=scatter,
        inplace=scatter_into,
        jvp=_scatter_jvp,
        vjp=_scatter_vjp,
        batch=_scatter_batch,
        tags=frozenset({"scatter", "update"}),
    ),
    Op(
        name="scatter_reduce",
        shape=_scatter_reduce_shape,
        impl=scatter_reduce,
        inplace=scatter_reduce_into,
        jvp=_scatter_reduce_jvp,
        vjp=_scatter_reduce_vjp,
        batch=_scatter_batch,
        tags=frozenset({"scatter", "update"}),
    ),
]
