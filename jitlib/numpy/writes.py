"""Writes into traced arrays as numpy spells them: `x[i] = v`, `x += y`, ufuncs' `out=`,
`ufunc.at`, np.copyto, np.put, np.put_along_axis, np.fill_diagonal, ndarray.fill; and
np.copy, the way to an array that shares nothing. Each finds the part written (an index
path) and the update, with numpy's casting and broadcasting, and hands them to
jitlib.inplace, which turns the write into pure IR.
"""

import numpy as np
import sympy

from ir import shapes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import OPS
from jitlib import dispatch, inplace
from jitlib.errors import IndexOutOfBoundsError, ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import as_tracer, astype, function, index_array, promote, trace_of
from jitlib.numpy.indexing import _Path, index_path
from jitlib.numpy.layout import reshape
from jitlib.tracer import SymDim, Tracer


def _fit(x: Tracer, value, shape: tuple) -> Tracer:
    """`value` as x's dtype (numpy's setitem casts unsafely) broadcast to `shape` (IR dims);
    leading size-1 axes of the value beyond the rank go, as in numpy."""
    value = astype(as_tracer(value, x.trace), x.dtype)
    while value.ndim > len(shape) and shapes.is_one(value.value.type.shape[0]):
        value = reshape(value, value.shape[1:])
    try:
        fits = shapes.broadcast(value.value.type.shape, shape)
        if not shapes.equal(fits, shape):
            raise ShapeError("")
    except ShapeError:
        given = x.trace.current_type(value.value.type).shape
        wanted = x.trace.current_type(Type(x.value.type.dtype, tuple(shape))).shape
        raise ShapeMismatchError(
            f"could not broadcast input array from shape {shapes.fmt(given)} into shape "
            f"{shapes.fmt(wanted)}"
        ) from None
    return x.trace.bind(OPS["broadcast_to"], value, shape=tuple(shape))


def _target(x, what: str) -> Tracer:
    """x, checked to be a traced array this trace may write."""
    if not isinstance(x, Tracer):
        raise UnsupportedError(
            f"{what} into a {type(x).__name__} that is not traced (a numpy array the function "
            "closes over cannot be written inside @jit); pass it as an argument"
        )
    if x.weak:  # a Python number, as numpy would say of it
        kind = {"b": "bool", "i": "int", "f": "float"}[x.dtype.kind]
        raise TypeError(f"'{kind}' object does not support item assignment")
    inplace.check_writable(x)
    return x


def _update_for(path: _Path, value) -> Tracer:
    """The update of the part `path` picks out: for a boolean mask, shaped to broadcast
    against the masked part (its count of True entries is known only at run time, so the
    value must broadcast along it)."""
    last = path.steps[-1] if path.steps else None
    if last is None or last.name != "mask":
        return _fit(path.part, value, path.part.value.type.shape)
    part = path.part.value.type.shape
    axis, ndim = last.params["axis"], last.params["ndim"]
    selected = part[:axis] + (1,) + part[axis + ndim :]
    try:
        update = _fit(path.part, value, selected)
    except ShapeMismatchError:
        value_type = path.part.trace.current_type(as_tracer(value, path.part.trace).value.type)
        raise ShapeMismatchError(
            f"x[mask] = v with v of shape {value_type.shape}: x[mask] has as many rows as the "
            "mask has True entries, known only at run time, so v must be a scalar or "
            "broadcast along them; use np.where(mask, v_full, x) for a v of x's shape"
        ) from None
    lined = part[:axis] + (1,) * ndim + part[axis + ndim :]
    return path.part.trace.bind(OPS["reshape"], update, shape=lined)


dispatch.implements("alias")(inplace.alias)


@dispatch.implements("setitem")
def setitem(x: Tracer, index, value) -> None:
    path = index_path(_target(x, "x[i] = v"), index)
    if path.empty:
        return
    inplace.write(x, path.steps, _update_for(path, value))


@dispatch.implements("fill")
def fill(x: Tracer, value) -> None:
    setitem(x, Ellipsis, value)


def _example(x, shape: tuple = (1,)):
    """A tiny numpy stand-in for x that numpy's casting checks can run on."""
    if type(x) in (bool, int, float):
        return x
    if isinstance(x, SymDim):
        return 1
    tracer = x if isinstance(x, Tracer) else None
    if tracer is not None and tracer.weak:
        return {"bool": True, "int64": 1, "float64": 1.0}.get(tracer.value.type.dtype, 1.0)
    dtype = tracer.dtype if tracer is not None else np.asarray(x).dtype
    return np.ones(shape, dtype)


def _numpy_check(run) -> None:
    """Run numpy's own casting check on stand-ins, so a refusal is numpy's error."""
    with np.errstate(all="ignore"):
        run()


def _write_whole(x: Tracer, result) -> Tracer:
    inplace.write(x, [], _fit(x, result, x.value.type.shape))
    return x


@dispatch.implements("augmented")
def augmented(ufunc, x: Tracer, other):
    """x op= other: computed as numpy would, cast back with the same_kind rule, written into
    x. A 0-d value that is not a view acts as a numpy scalar, which `op=` rebinds."""
    result = ufunc(x, other)
    if x.ndim == 0 and x.place is None:
        return result
    _target(x, f"{ufunc.__name__}=")
    shape = (1, 1) if ufunc is np.matmul else (1,)
    target = np.ones(shape, x.dtype)
    _numpy_check(lambda: ufunc(target, _example(other, shape), out=target))
    if not shapes.equal(result.value.type.shape, x.value.type.shape):
        raise ShapeMismatchError(
            f"{ufunc.__name__}= of {x.trace.current_type(x.value.type)} gives "
            f"{x.trace.current_type(result.value.type)}, which does not fit the array written"
        )
    return _write_whole(x, result)


def write_out(ufunc, args: tuple, out, where, result: Tracer) -> Tracer:
    """A ufunc's `out=` (and `where=`): the result written into `out`, numpy's same_kind
    casting checked; returns `out`, as numpy does."""
    if isinstance(out, tuple):
        if len(out) != 1:
            raise UnsupportedError(f"numpy.{ufunc.__name__} with several out= arrays")
        (out,) = out
    out = _target(out, f"numpy.{ufunc.__name__}(out=...)")
    target = np.ones(1, out.dtype)
    _numpy_check(lambda: ufunc(*[_example(a) for a in args], out=target))
    try:  # the result broadcasts to out's shape, never the other way (numpy's rule)
        fits = shapes.equal(
            shapes.broadcast(result.value.type.shape, out.value.type.shape), out.value.type.shape
        )
    except ShapeError:
        fits = False
    if not fits:
        raise ShapeMismatchError(
            f"non-broadcastable output operand with shape {out.trace.current_type(out.value.type).shape} "
            f"doesn't match the broadcast shape {result.trace.current_type(result.value.type).shape}"
        )
    if where is not True:
        trace_, (mask,), _ = promote(where)
        result = np.where(astype(mask, "bool"), result, out)
    return _write_whole(out, result)


# --- ufunc.at -------------------------------------------------------------------------------
def _reduce(combine: str):
    def scatter(bind, step, old, new):
        return bind("scatter_reduce", old, step.operand, new, combine=combine, **step.params)

    return scatter


# ufunc.at at an integer-array index: (bind, take step, old, updates) -> the scatter that
# combines the updates into old, repeated indices included
_AT = {
    "add": lambda bind, step, old, new: bind("scatter_add", old, step.operand, new, **step.params),
    "subtract": lambda bind, step, old, new: bind(
        "scatter_add", old, step.operand, bind("negative", new), **step.params
    ),
    "multiply": _reduce("multiply"),
    "maximum": _reduce("maximum"),
    "minimum": _reduce("minimum"),
}


@dispatch.implements("ufunc.at")
def ufunc_at(ufunc, x, index, value=None) -> None:
    """np.add.at(x, index, v) and its siblings: repeated indices all count."""
    x = _target(x, f"numpy.{ufunc.__name__}.at")
    if value is None or ufunc.__name__ not in _AT:
        raise UnsupportedError(
            f"numpy.{ufunc.__name__}.at is not supported inside @jit (add, subtract, multiply, "
            "maximum and minimum are); eager numpy still works without @jit"
        )
    target = np.ones(1, x.dtype)
    _numpy_check(lambda: ufunc.at(target, [0], _example(value)))
    computed = np.result_type(target, _example(value))
    if computed.kind != x.dtype.kind and computed.kind in "fc":
        raise UnsupportedError(
            f"numpy.{ufunc.__name__}.at into a {x.dtype} array with {computed} values "
            "computes in floats and casts after every update; this is not supported inside "
            "@jit: cast the values first"
        )
    path = index_path(x, index)
    names = [step.name for step in path.steps]
    if "take" not in names and "mask" not in names:  # no index repeats: read, apply, write
        inplace.write(x, path.steps, _fit(x, ufunc(path.part, value), path.part.value.type.shape))
        return
    if names[-1] != "take":
        raise UnsupportedError(f"numpy.{ufunc.__name__}.at with a boolean mask index")
    update = _fit(path.part, value, path.part.value.type.shape)
    inplace.write(x, path.steps, update, combine=_AT[ufunc.__name__])


# --- numpy functions that write -------------------------------------------------------------
@function(np.copy)
def copy(x, order="K", subok=False):
    trace_, (x,), weak = promote(x)
    return Tracer(x.value, trace_, weak)


@function(np.copyto)
def copyto(dst, src, casting="same_kind", where=True):
    dst = _target(dst, "numpy.copyto")
    target = np.empty(1, dst.dtype)
    _numpy_check(lambda: np.copyto(target, _example(src), casting=casting))
    src = astype(as_tracer(src, trace_of(dst, src)), dst.dtype)
    if where is not True:
        src = np.where(where, src, dst)
    _write_whole(dst, src)


def _flat_path(a: Tracer, indices: Tracer) -> _Path:
    """The path to a.flat[indices]."""
    path = _Path(a)
    path.apply("reshape", shape=(shapes.canon(shapes.size(a.value.type.shape)),))
    path.apply("take", indices, axis=0)
    return path


def _cycled(a: Tracer, values, count) -> Tracer:
    """values flattened and repeated to `count` entries, as numpy's flat writes repeat them."""
    values = np.ravel(astype(as_tracer(values, a.trace), a.dtype))
    length = values.value.type.shape[0]
    if sympy.expand(length - count) == 0 or shapes.is_one(length):
        return values  # else repeated, for any length (no guard on it)
    order = a.trace.bind(OPS["iota"], length=count, dtype="int64")
    return np.take(values, order % values.shape[0])


@function(np.put)
def put(a, ind, v, mode="raise"):
    a = _target(a, "numpy.put")
    if np.size(as_tracer(v, a.trace)) == 0:  # numpy writes nothing, and checks no index
        return
    indices = np.ravel(index_array(ind, a.trace, "numpy.put"))
    size = a.size
    if mode == "wrap":
        indices = indices % size
    elif mode == "clip":
        indices = np.clip(indices, 0, size - 1)
    elif mode != "raise":
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    path = _flat_path(a, indices)
    count = indices.value.type.shape[0]
    inplace.write(a, path.steps, _fit(path.part, _cycled(a, v, count), (count,)))


def _strides(x: Tracer) -> list:
    """x's C-contiguous strides in elements, as sizes (symbolic where x's shape is)."""
    return [SymDim.wrap(s, x.trace) for s in inplace.contiguous_strides(x.value.type.shape)]


@function(np.put_along_axis)
def put_along_axis(arr, indices, values, axis):
    """arr[..., indices[..., j, ...], ...] = values along `axis`, as one scatter into the
    flattened array (the other axes broadcast between arr and the indices)."""
    arr = _target(arr, "numpy.put_along_axis")
    indices = index_array(indices, arr.trace, "put_along_axis")
    if axis is None:
        return put(arr, indices, values)
    if indices.ndim != arr.ndim:
        raise ShapeMismatchError(
            "put_along_axis: `indices` and `arr` must have the same number of dimensions"
        )
    axis = shapes.normalize_axis(axis, arr.ndim)
    others = [
        shape[:axis] + shape[axis + 1 :]
        for shape in (arr.value.type.shape, indices.value.type.shape)
    ]
    try:
        shapes.broadcast(*others)
    except ShapeError:
        raise IndexOutOfBoundsError(
            "shape mismatch: indexing arrays could not be broadcast together with shapes "
            f"{arr.shape} and {indices.shape} (put_along_axis along axis {axis})"
        ) from None
    n = arr.shape[axis]
    at = np.where(indices < 0, indices + n, indices)
    bad = (at < 0) | (at >= n)
    flat = None
    for d, (dim, stride) in enumerate(zip(arr.shape, _strides(arr))):
        if d == axis:
            coordinate = at
        else:
            lined = [1] * arr.ndim
            lined[d] = dim
            coordinate = np.reshape(_iota(arr, dim), lined)
        term = coordinate * stride
        flat = term if flat is None else flat + term
    flat = np.where(bad, -(arr.size + 1), flat)  # out of range: IndexError as numpy's
    path = _flat_path(arr, flat)
    inplace.write(arr, path.steps, _fit(path.part, values, path.part.value.type.shape))


def _iota(x: Tracer, length) -> Tracer:
    length = length.expr if isinstance(length, SymDim) else length
    return x.trace.bind(OPS["iota"], length=length, dtype="int64")


@function(np.fill_diagonal)
def fill_diagonal(a, val, wrap=False):
    a = _target(a, "numpy.fill_diagonal")
    if a.ndim < 2:
        raise ValueError("array must be at least 2-d")
    shape = a.shape
    if a.ndim == 2:
        step = shape[1] + 1
        end = a.size if wrap else min(shape[0], shape[1]) * shape[1]
    else:
        if any(d != shape[0] for d in shape[1:]):
            raise ValueError("All dimensions of input must be of equal length")
        step = 1 + sum(_strides(a)[:-1])
        end = a.size
    count = (end - 1) // step + 1 if end != 0 else 0
    indices = _iota(a, count) * step
    path = _flat_path(a, indices)
    length = path.part.value.type.shape[0]
    inplace.write(a, path.steps, _fit(path.part, _cycled(a, val, length), (length,)))
