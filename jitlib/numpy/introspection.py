"""Type and shape questions about traced arrays, answered from their static dtype and
shape while tracing (result_type, can_cast, min_scalar_type, common_type, broadcast_shapes,
shares_memory), plus apply_over_axes, which only needs the ranks of its steps' results."""

import numpy as np

from ir import shapes
from ir.errors import ShapeError
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import function, promote
from jitlib.numpy.layout import expand_dims
from jitlib.tracer import SymDim, Tracer

_WEAK_EXAMPLE = {"b": True, "i": 1, "f": 1.0}


def _stand_in(x):
    """What numpy's type rules see for x: a traced array's dtype, or for a weak one (a
    Python scalar argument) a Python scalar of its kind (NEP 50); anything else as is."""
    if isinstance(x, Tracer):
        return _WEAK_EXAMPLE[x.dtype.kind] if x.weak else x.dtype
    return x


@function(np.result_type)
def result_type(*arrays_and_dtypes) -> np.dtype:
    """numpy's promotion of the traced arrays' dtypes (and any dtypes or scalars given).

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(lambda x: x.astype(np.result_type(x, np.int32)))(np.ones(2, np.float32))
    array([1., 1.])
    """
    return np.result_type(*[_stand_in(x) for x in arrays_and_dtypes])


@function(np.can_cast)
def can_cast(from_, to, casting="safe") -> bool:
    """numpy's casting rule on the traced array's dtype (a Python bool)."""
    return bool(np.can_cast(_stand_in(from_), to, casting))


@function(np.min_scalar_type)
def min_scalar_type(a) -> np.dtype:
    """An array's own dtype, as numpy gives for arrays of rank >= 1; for a 0-d array
    numpy's answer depends on the value, which is not known while tracing: refused."""
    (x,) = promote(a)[1]
    if x.ndim == 0:
        raise UnsupportedError(
            "numpy.min_scalar_type of a 0-d traced array depends on its value, which is not "
            "known inside @jit; use x.dtype or np.result_type"
        )
    return x.dtype


@function(np.common_type)
def common_type(*arrays):
    """numpy's common scalar type of the arrays (inexact), from their dtypes alone."""
    return np.common_type(*[np.empty(0, _stand_in(promote(a)[1][0])) for a in arrays])


@function(np.broadcast_shapes)
def broadcast_shapes(*args) -> tuple:
    """The broadcast shape of the given shapes, whose sizes may be symbolic (SymDim):
    the answer stays symbolic, with no guard, where numpy's rules allow."""
    trace_ = next(d.trace for shape in args for d in _as_tuple(shape) if isinstance(d, SymDim))
    dims = [tuple(_as_dim(d) for d in _as_tuple(shape)) for shape in args]
    try:
        result = shapes.broadcast(*dims) if dims else ()
    except ShapeError as error:
        raise ShapeMismatchError(f"broadcast_shapes: {error}") from None
    return tuple(SymDim.wrap(d, trace_) for d in result)


def _as_tuple(shape) -> tuple:
    return (shape,) if isinstance(shape, int | np.integer | SymDim) else tuple(shape)


def _as_dim(d):
    return d.expr if isinstance(d, SymDim) else int(d)


def _overlap(a, b, name: str) -> bool:
    """Whether two traced arrays share memory, from jitlib's view tracking: one Tracer, or
    two views of one storage of which one is the whole array, do; arrays computed inside
    the function do not share with others. Where that does not decide it (two parts of one
    array, or two arguments the caller may have passed the same memory as), refused."""
    if not (isinstance(a, Tracer) and isinstance(b, Tracer)):
        raise UnsupportedError(f"numpy.{name} of a traced and an untraced array")
    if a is b:
        return a.size != 0
    place_a, place_b = a.place, b.place
    if place_a is not None and place_b is not None and place_a.storage is place_b.storage:
        if not place_a.steps or not place_b.steps:
            return a.size != 0 and b.size != 0
        raise UnsupportedError(
            f"numpy.{name} of two parts of one traced array is not decided inside @jit"
        )
    if _is_argument(a) and _is_argument(b):
        raise UnsupportedError(
            f"numpy.{name} of two arguments of a jitted function is not known while tracing "
            "(the caller may pass the same array twice)"
        )
    return False


def _is_argument(x: Tracer) -> bool:
    """Whether x may lie in a caller's memory: (a view of) a parameter of the traced
    function, or of an array written since (whose first value jitlib no longer holds)."""
    place = x.place
    if place is not None and place.storage.version:
        return True
    base = place.storage.base if place is not None else x.value
    return any(base is param for param in x.trace.builder.params)


@function(np.shares_memory)
def shares_memory(a, b, /, max_work=None) -> bool:
    """A Python bool from jitlib's view tracking (see _overlap)."""
    return _overlap(a, b, "shares_memory")


@function(np.may_share_memory)
def may_share_memory(a, b, /, max_work=None) -> bool:
    """A Python bool from jitlib's view tracking (see _overlap)."""
    return _overlap(a, b, "may_share_memory")


@function(np.apply_over_axes)
def apply_over_axes(func, a, axes):
    """func(a, axis) over each axis in turn, a dropped axis put back as size 1 (numpy's)."""
    (value,) = promote(a)[1]
    rank = value.ndim
    for axis in [axes] if np.ndim(axes) == 0 else list(axes):
        axis = axis + rank if axis < 0 else axis
        result = func(value, axis)
        if result.ndim != value.ndim:
            result = expand_dims(result, axis)
            if result.ndim != value.ndim:
                raise ValueError("function is not returning an array of the correct shape")
        value = result
    return value
