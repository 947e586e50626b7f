"""x[index]: basic indexing (ints, slices with steps, None, ...) as slice/flip/reshape, and
integer-array indexing as a gather (`take`) on one axis, following numpy's rules for where
the indexed dimensions go; np.take_along_axis as its own gather (`take_along_axis`)."""

import operator

import numpy as np

from ir import shapes
from ir.ops import OPS
from jitlib import inplace
from jitlib.errors import IndexOutOfBoundsError, ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import as_tracer, function, index_array, promote, refuse
from jitlib.numpy.layout_more import wrapped_indices
from jitlib.tracer import SymDim, Tracer


def _expr(d):
    return d.expr if isinstance(d, SymDim) else int(d)


def _clamp(value, low, high):
    return low if value < low else high if value > high else value


def _slice_bounds(item: slice, dim) -> tuple:
    """(start, stop, step, flip) with start <= stop and step > 0 for numpy's item on dim."""
    step = 1 if item.step is None else operator.index(item.step)
    if step == 0:
        raise ShapeMismatchError("slice step cannot be zero")
    if step > 0:
        start = 0 if item.start is None else item.start
        stop = dim if item.stop is None else item.stop
        start = _clamp(start + dim if start < 0 else start, 0, dim)
        stop = _clamp(stop + dim if stop < 0 else stop, 0, dim)
        return start, (stop if stop > start else start), step, False
    start = dim - 1 if item.start is None else item.start
    stop = -1 if item.stop is None else (item.stop + dim if item.stop < 0 else item.stop)
    start = _clamp(start + dim if start < 0 else start, -1, dim - 1)
    stop = _clamp(stop, -1, dim - 1)
    if not start > stop:
        return 0, 0, 1, False
    length = (start - stop - step - 1) // -step
    return start - (length - 1) * -step, start + 1, -step, True


def _is_array_index(item) -> bool:
    return isinstance(item, Tracer | np.ndarray | list)


def _is_mask(item) -> bool:
    if isinstance(item, Tracer):
        return item.value.type.dtype == "bool"
    return _is_array_index(item) and np.asarray(item).dtype == bool


def _expand(index: tuple, rank: int) -> tuple:
    """The index with its ellipsis filled in."""
    if any(isinstance(item, bool | np.bool_) for item in index):
        raise UnsupportedError("boolean scalar indices are not supported inside @jit")
    ellipses = [i for i, item in enumerate(index) if item is Ellipsis]
    if len(ellipses) > 1:
        raise ShapeMismatchError("an index can only have a single ellipsis ('...')")
    used = sum(item is not None and item is not Ellipsis for item in index)
    if used > rank:
        raise IndexOutOfBoundsError(f"too many indices: {used} for an array of rank {rank}")
    fill = (slice(None),) * (rank - used)
    if ellipses:
        return index[: ellipses[0]] + fill + index[ellipses[0] + 1 :]
    return index + fill


def _array_index(item, trace_) -> Tracer:
    return index_array(np.asarray(item) if isinstance(item, list) else item, trace_, "indexing")


def _leaves_alone(shape: tuple, name: str, params: dict) -> bool:
    """Whether a layout step gives back its operand unchanged."""
    if name == "slice":
        return all(
            start == 0 and step == 1 and shapes.dims_equal(stop, dim)
            for start, stop, step, dim in zip(
                params["start"], params["stop"], params["step"], shape
            )
        )
    if name == "reshape":
        return params["shape"] == tuple(shape)
    return name == "transpose" and params["axes"] == tuple(range(len(shape)))


class _Path:
    """The steps from an array to the part an index picks out of it, applied as they are
    recorded: `part` is the value so far (views of the array where numpy's are)."""

    def __init__(self, x: Tracer):
        self.part = x
        self.steps: list = []
        self.empty = False  # an empty boolean mask: the index picks nothing

    def apply(self, name: str, operand: Tracer | None = None, **params) -> Tracer:
        part = self.part
        if operand is None and _leaves_alone(part.value.type.shape, name, params):
            return part  # no step, so a write through it puts nothing back
        if operand is None:
            self.part = inplace.bind_view(part.trace, name, part, **params)
        else:
            self.part = part.trace.bind(OPS[name], part, operand, **params)
        self.steps.append(inplace.Step(name, params, None if operand is None else operand.value))
        return self.part


def _basic(path: _Path, index: tuple, advanced: bool) -> list:
    """Apply ints, slices and None; returns, per remaining axis, the advanced index that
    still applies to it (or None)."""
    x = path.part
    starts, stops, steps, flips, shape, pending = [], [], [], [], [], []
    axis = 0
    for item in index:
        if item is None:
            shape.append(1)
            pending.append(None)
            continue
        dim = x.shape[axis]
        if isinstance(item, slice):
            start, stop, step, flip = _slice_bounds(item, dim)
            length = (stop - start + step - 1) // step
            shape.append(length)
            pending.append(None)
            flips += [len(shape) - 1] if flip else []
        elif isinstance(item, int | np.integer) and not advanced:
            position = int(item)
            if not -dim <= position < dim:
                raise IndexOutOfBoundsError(
                    f"index {position} is out of bounds for axis {axis} of "
                    f"{x.trace.current_type(x.value.type)}"
                )
            start = position + dim if position < 0 else position
            stop, step = start + 1, 1
        else:
            start, stop, step = 0, dim, 1
            shape.append(dim)
            pending.append(_array_index(item, x.trace))
        starts.append(_expr(start))
        stops.append(_expr(stop))
        steps.append(step)
        axis += 1
    path.apply("slice", start=tuple(starts), stop=tuple(stops), step=tuple(steps))
    path.apply("reshape", shape=tuple(_expr(d) for d in shape))
    if flips:
        path.apply("flip", axis=tuple(flips))
    return pending


def _flat_index(x: Tracer, axes: list, indices: list) -> Tracer:
    """Several integer-array indices on adjacent axes as one index into their product;
    out-of-range entries map past the end so the gather raises IndexError like numpy."""
    flat, bad, total = None, None, 1
    for axis, index in zip(axes, indices):
        dim = x.shape[axis]
        index = np.where(index < 0, index + dim, index)
        out_of_range = (index < 0) | (index >= dim)
        flat = index if flat is None else flat * dim + index
        bad = out_of_range if bad is None else bad | out_of_range
        total = dim * total
    return np.where(bad, -(total + 1), flat)


def _advanced(path: _Path, pending: list) -> None:
    axes = [i for i, index in enumerate(pending) if index is not None]
    if not axes:
        return
    x = path.part
    indices = np.broadcast_arrays(*[pending[i] for i in axes])
    adjacent = axes == list(range(axes[0], axes[0] + len(axes)))
    if not adjacent:  # numpy puts the indexed dimensions first
        order = axes + [i for i in range(x.ndim) if i not in axes]
        x = path.apply("transpose", axes=tuple(order))
        axes = list(range(len(axes)))
    first = axes[0]
    if len(axes) > 1:
        merged = shapes.canon(shapes.size(x.value.type.shape[first : axes[-1] + 1]))
        type_shape = x.value.type.shape
        indices = [_flat_index(x, axes, indices)]
        path.apply("reshape", shape=type_shape[:first] + (merged,) + type_shape[axes[-1] + 1 :])
    path.apply("take", indices[0], axis=first)


def _mask(path: _Path, index: tuple, position: int) -> None:
    """x[..., mask, ...]: a boolean mask (the only array in the index) over axes of the part
    the rest of the index picks, as a `mask` step whose put is a select (its read has a
    data-dependent shape). The mask is shaped to broadcast against that part."""
    x = path.part
    mask = index[position]
    mask = as_tracer(np.asarray(mask) if isinstance(mask, list) else mask, x.trace)
    marks = tuple(slice(None) for _ in range(mask.ndim))
    index = _expand(index[:position] + marks + index[position + 1 :], x.ndim)
    first = next(i for i, item in enumerate(index) if item is marks[0])
    ints = [i for i, item in enumerate(index) if isinstance(item, int | np.integer)]
    block = ints + list(range(first, first + mask.ndim))
    if ints and max(block) - min(block) + 1 != len(block):
        raise UnsupportedError(
            "a boolean mask and an integer index apart from it (x[0, :, mask] = v) move the "
            "selected axis first in numpy; this is not supported inside @jit: index in two "
            "steps (x[0][:, mask] = v)"
        )
    if any(d == 0 for d in mask.value.type.shape):
        path.empty = True  # numpy writes nothing (an empty mask fits any axis)
        return
    axis = sum(not isinstance(item, int | np.integer) for item in index[:first])
    _basic(path, index, False)
    part = path.part
    covered = part.value.type.shape[axis : axis + mask.ndim]
    if not shapes.equal(covered, mask.value.type.shape):
        raise IndexOutOfBoundsError(
            f"boolean index {part.trace.current_type(mask.value.type)} does not match the "
            f"indexed axes of {part.trace.current_type(part.value.type)} at axis {axis}"
        )
    lined = (1,) * axis + mask.value.type.shape + (1,) * (part.ndim - axis - mask.ndim)
    mask = part.trace.bind(OPS["reshape"], mask, shape=lined)
    path.steps.append(inplace.Step("mask", {"axis": axis, "ndim": len(covered)}, mask.value))


def index_path(x: Tracer, index) -> _Path:
    """The steps x[index] takes, recorded by a _Path (ending in a `mask` step for a
    boolean-mask index, which only a write can follow)."""
    index = index if isinstance(index, tuple) else (index,)
    path = _Path(x)
    masks = [i for i, item in enumerate(index) if _is_mask(item)]
    if masks:
        if len(masks) > 1 or sum(_is_array_index(item) for item in index) > 1:
            raise UnsupportedError(
                "a boolean mask next to other array indices is not supported inside @jit; "
                "index with the mask alone (x[mask] = v) or use np.where"
            )
        _mask(path, index, masks[0])
        return path
    advanced = any(_is_array_index(item) for item in index)
    if advanced:  # numpy treats ints next to arrays as 0-d array indices
        index = tuple(
            np.asarray(item)
            if isinstance(item, int | np.integer) and not isinstance(item, bool)
            else item
            for item in index
        )
    _advanced(path, _basic(path, _expand(index, x.ndim), advanced))
    return path


def _picks_one_element(index, rank: int) -> bool:
    """numpy gives a scalar (a copy, not a view) for an index of `rank` integers."""
    index = index if isinstance(index, tuple) else (index,)
    return len(index) == rank and all(
        isinstance(item, int | np.integer) and not isinstance(item, bool) for item in index
    )


@function(operator.getitem)
def getitem(x, index):
    trace_, (x,), weak = promote(x)
    path = index_path(x, index)
    if path.empty or (path.steps and path.steps[-1].name == "mask"):
        raise UnsupportedError(
            "reading x[mask] with a boolean mask has a data-dependent shape and is not "
            "supported inside @jit; use np.where(mask, x, 0), or write through it "
            "(x[mask] = v), which keeps x's shape"
        )
    out = path.part
    if _picks_one_element(index, x.ndim):
        out = Tracer(out.value, trace_)
    elif out is x:  # x[:], x[...]: the whole of x, as a new array object on its memory
        out = inplace.alias(x)
    out.weak = weak
    return out


@function(np.take)
def take(x, indices, axis=None, out=None, mode="raise"):
    refuse("take", {"out=": out is not None})
    trace_, (x,), _ = promote(x)
    if axis is None:
        x, axis = np.reshape(x, (-1,)), 0
    if mode != "raise":  # 'clip' and 'wrap' move every index into range first
        n = x.shape[axis % x.ndim]
        indices = wrapped_indices(_array_index(indices, trace_), n, mode, "take")
    index = (slice(None),) * (axis % x.ndim) + (indices,)
    return getitem(x, index)


@function(np.take_along_axis)
def take_along_axis(x, indices, axis=-1):
    """numpy's take_along_axis as one gather: `indices` has x's rank, broadcasts against x
    on the other axes and picks, at each position, an element along `axis`.

    >>> import numpy as np, jitlib as jl
    >>> f = jl.jit(lambda x, i: np.take_along_axis(x, i[:, None], axis=-1))
    >>> f(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1, -2]))
    array([[2.],
           [3.]])
    """
    trace_, (x,), _ = promote(x)
    indices = index_array(indices, trace_, "take_along_axis")
    if axis is None:  # numpy gathers from the flattened x
        if indices.ndim != 1:
            raise ShapeMismatchError(
                f"take_along_axis with axis=None needs 1-d indices, got shape {indices.shape}"
            )
        x, axis = np.reshape(x, (-1,)), 0
    if indices.ndim != x.ndim:
        raise ShapeMismatchError(
            f"take_along_axis: `indices` and `arr` must have the same number of dimensions, "
            f"got shapes {x.shape} and {indices.shape}"
        )
    axis = operator.index(axis)
    if not -x.ndim <= axis < x.ndim:
        raise ShapeMismatchError(f"axis {axis} is out of bounds for an array of rank {x.ndim}")
    return trace_.bind(OPS["take_along_axis"], x, indices, axis=axis % x.ndim)
