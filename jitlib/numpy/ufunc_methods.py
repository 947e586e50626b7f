"""ufunc methods on traced arrays: `reduce`, `accumulate`, `outer` and `reduceat`, lowered to
the reduction and cumulative primitives where one matches (np.add.reduce is np.sum), else to
a left fold with `jl.scan`, which is numpy's own order of operations for every ufunc."""

import numpy as np

from jitlib import control, dispatch
from jitlib.errors import UnsupportedError
from jitlib.numpy._core import astype, is_traced, promote, refuse
from jitlib.numpy.reductions import reduction_axes
from jitlib.tracer import Tracer

# ufunc.reduce with a reduction primitive of the same meaning (and numpy's dtypes)
_REDUCTIONS = {
    np.add: np.sum,
    np.multiply: np.prod,
    np.maximum: np.max,
    np.minimum: np.min,
    np.logical_and: np.all,
    np.logical_or: np.any,
}
_ACCUMULATIONS = {np.add: np.cumsum, np.multiply: np.cumprod}
_NO_VALUE = np._NoValue


def _binary_ufunc(ufunc, method: str):
    """jitlib's version of `ufunc`, which `method` needs to be binary."""
    fn = dispatch.lookup(ufunc)
    if fn is None or ufunc.signature is not None:  # generalized ufuncs (matmul) included
        raise UnsupportedError(
            f"{dispatch.qualified_name(ufunc)}.{method} is not supported inside @jit; eager "
            "numpy still works without @jit"
        )
    if ufunc.nin != 2 or ufunc.nout != 1:
        raise ValueError(f"{method} only supported for binary functions")
    return fn


def _example(x: Tracer) -> np.ndarray:
    """A small numpy array like x: sizes 0 stay 0 (never symbolic), others become 2."""
    shape = tuple(0 if d == 0 else 2 for d in x.value.type.shape)
    return np.ones(shape, dtype=x.dtype)


def _numpy_dtype(call) -> np.dtype:
    """The dtype numpy gives (and the errors it raises) for a method call on an example."""
    with np.errstate(all="ignore"):
        return np.asarray(call()).dtype


def _empty(x: Tracer, axis: int) -> bool:
    """Whether x has size 0 along `axis` (such sizes are never symbols: no guard needed)."""
    return x.value.type.shape[axis] == 0


def _front(x: Tracer, axes: tuple) -> Tracer:
    """x with `axes` moved to the front and merged into one leading axis."""
    rest = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, (*axes, *rest))
    return np.reshape(moved, (-1, *[x.shape[i] for i in rest]))


def _fold(fn, x: Tracer, initial, keep_all: bool, identity=None):
    """The left fold fn(...fn(fn(x0, x1), x2)..., xn) over axis 0 of x, starting from
    `initial` where given; with `keep_all`, every partial result (accumulate). An empty
    fold is `initial`, else `identity`."""

    def step(carry, row):
        carry = astype(fn(carry, row), carry.dtype)
        return carry, (carry if keep_all else None)

    if _empty(x, 0):  # numpy has refused this where there is neither
        value = identity if initial is _NO_VALUE else initial
        return np.zeros_like(x, shape=x.shape[1:]) + np.asarray(value, x.dtype)
    if initial is _NO_VALUE:
        first, rest = x[0], x[1:]
    else:
        first, rest = np.zeros_like(x[0]) + np.asarray(initial, x.dtype), x
    if _empty(rest, 0):
        return first[None] if keep_all else first
    carry, partials = control.scan(step, first, rest)
    return np.concatenate([first[None], partials]) if keep_all else carry


def _masked(ufunc, x: Tracer, where, initial):
    """x where `where` holds, else a value that leaves the fold unchanged: the identity, or
    for max/min (idempotent, without one) `initial`, which the fold meets anyway."""
    fill = ufunc.identity
    if fill is None and ufunc in (np.maximum, np.minimum, np.fmax, np.fmin):
        fill = initial
    if fill is None or fill is _NO_VALUE:
        raise UnsupportedError(
            f"numpy.{ufunc.__name__}.reduce with where= needs an identity or (for maximum and "
            "minimum) initial= inside @jit"
        )
    return np.where(np.broadcast_to(where, x.shape), x, fill)


def _reduce_dtype(ufunc, x: Tracer, axis, dtype, keepdims: bool, initial, masked: bool):
    """The dtype of numpy's ufunc.reduce for these arguments (its errors too)."""
    where = np.ones((), bool) if masked else True
    return _numpy_dtype(
        lambda: ufunc.reduce(
            _example(x), axis=axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where
        )
    )


@dispatch.implements("ufunc.reduce")
def reduce(ufunc, array, axis=0, dtype=None, out=None, keepdims=False, **kwargs):
    """The matching reduction primitive (np.add.reduce is np.sum), else numpy's left fold;
    `where=` leaves out elements by putting the identity in their place."""
    fn = _binary_ufunc(ufunc, "reduce")
    initial, where = kwargs.pop("initial", _NO_VALUE), kwargs.pop("where", True)
    given = {"out=": out is not None, "a traced initial=": is_traced(initial)}
    refuse(f"{ufunc.__name__}.reduce", given | {f"{keyword}=": True for keyword in kwargs})
    trace_, (x,), _ = promote(array)
    expected = _reduce_dtype(ufunc, x, axis, dtype, keepdims, initial, where is not True)
    initial = _NO_VALUE if initial is None else initial  # numpy's "no initial value" too
    if dtype is not None:
        x = astype(x, dtype, f"{ufunc.__name__}.reduce")
    if where is not True:
        x = _masked(ufunc, x, where, initial)
    axes = reduction_axes(x, axis)
    if ufunc in _REDUCTIONS and not any(_empty(x, i) for i in axes):
        result = _REDUCTIONS[ufunc](x, axis=axes)
        if initial is not _NO_VALUE:
            result = fn(result, initial)
    else:
        result = _fold(fn, _front(astype(x, expected), axes), initial, False, ufunc.identity)
    result = astype(result, expected)
    if keepdims:
        result = np.reshape(result, [1 if i in axes else d for i, d in enumerate(x.shape)])
    return result


@dispatch.implements("ufunc.accumulate")
def accumulate(ufunc, array, axis=0, dtype=None, out=None):
    fn = _binary_ufunc(ufunc, "accumulate")
    refuse(f"{ufunc.__name__}.accumulate", {"out=": out is not None})
    trace_, (x,), _ = promote(array)
    expected = _numpy_dtype(lambda: ufunc.accumulate(_example(x), axis=axis, dtype=dtype))
    axis = int(axis) % max(x.ndim, 1)
    if ufunc in _ACCUMULATIONS:
        return astype(_ACCUMULATIONS[ufunc](x, axis=axis, dtype=dtype), expected)
    return accumulated(fn, astype(x, expected), axis)


def accumulated(fn, x: Tracer, axis: int) -> Tracer:
    """Every partial result of the left fold of fn along `axis` (accumulate's)."""
    moved = np.moveaxis(x, axis, 0)
    if _empty(moved, 0):
        return np.moveaxis(moved, 0, axis)
    return np.moveaxis(_fold(fn, moved, _NO_VALUE, keep_all=True), 0, axis)


def on_pairs(fn, a: Tracer, b: Tracer, **kwargs) -> Tracer:
    """fn(a[i..., None...], b[None..., j...]): fn on every pair, by broadcasting (outer)."""
    return fn(np.reshape(a, (*a.shape, *[1] * b.ndim)), b, **kwargs)


@dispatch.implements("ufunc.outer")
def outer(ufunc, a, b, **kwargs):
    fn = _binary_ufunc(ufunc, "outer")
    trace_, (a, b), _ = promote(a, b)
    return on_pairs(fn, a, b, **kwargs)


def _static_indices(ufunc, indices) -> list:
    if is_traced(indices):
        raise UnsupportedError(
            f"{dispatch.qualified_name(ufunc)}.reduceat with traced indices has a "
            "data-dependent shape "
            "and is not supported inside @jit; pass the indices as a numpy array or list"
        )
    found = np.asarray(indices)
    if found.ndim != 1 or not np.issubdtype(found.dtype, np.integer):
        raise TypeError("reduceat's indices must be a 1-d array of integers")
    return [int(i) for i in found]


@dispatch.implements("ufunc.reduceat")
def reduceat(ufunc, array, indices, axis=0, dtype=None, out=None):
    """numpy's rule: piece i reduces x[idx[i]:idx[i+1]] where idx[i] < idx[i+1], else it is
    x[idx[i]] alone; the last piece runs to the end."""
    _binary_ufunc(ufunc, "reduceat")
    refuse(f"{ufunc.__name__}.reduceat", {"out=": out is not None})
    starts = _static_indices(ufunc, indices)
    trace_, (x,), _ = promote(array)
    expected = _numpy_dtype(lambda: ufunc.reduceat(_example(x), [0], axis=axis, dtype=dtype))
    axis = int(axis) % max(x.ndim, 1)
    moved = np.moveaxis(x, axis, 0)
    size = moved.shape[0]
    if any(not 0 <= i < size for i in starts):  # guards on the size, where it is symbolic
        raise IndexError(f"index out of bounds for reduceat along an axis of size {size}")
    pieces = []
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else None
        rows = moved[start:stop] if stop is None or start < stop else moved[start : start + 1]
        pieces.append(reduce(ufunc, rows, axis=0, dtype=dtype, keepdims=True))
    result = np.concatenate(pieces) if pieces else moved[:0]
    return np.moveaxis(astype(result, expected), 0, axis)
