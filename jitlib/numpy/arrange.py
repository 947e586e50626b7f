"""Joining, splitting, tiling, padding and triangles, all built from existing primitives
(concatenate, slice, pad, broadcast_to, reshape, select)."""

import operator

import numpy as np

from ir.ops import OPS
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import as_tracer, function, promote
from jitlib.numpy.creation import arange, full, zeros_like
from jitlib.numpy.layout import _axis, concatenate, reshape


def _tracer(x):
    return promote(x)[1][0]


@function(np.atleast_1d)
def atleast_1d(x):
    x = _tracer(x)
    return x if x.ndim >= 1 else reshape(x, (1,))


@function(np.atleast_2d)
def atleast_2d(x):
    x = _tracer(x)
    return x if x.ndim >= 2 else reshape(x, (1,) * (2 - x.ndim) + x.shape)


@function(np.hstack)
def hstack(arrays, dtype=None, casting="same_kind"):
    arrays = [atleast_1d(a) for a in arrays]
    axis = 0 if arrays[0].ndim == 1 else 1
    return concatenate(arrays, axis=axis, dtype=dtype, casting=casting)


@function(np.vstack)
def vstack(arrays, dtype=None, casting="same_kind"):
    return concatenate([atleast_2d(a) for a in arrays], axis=0, dtype=dtype, casting=casting)


def _triangle(m, k: int, keep):
    m = _tracer(m)
    if m.ndim < 2:
        raise UnsupportedError("numpy.tril/triu of a 1-D array is not supported inside @jit")
    rows, columns = arange(m.shape[-2]), arange(m.shape[-1])
    mask = keep(rows[:, None] + k, columns[None, :])
    return np.where(mask, m, zeros_like(m))


@function(np.tril)
def tril(m, k=0):
    return _triangle(m, k, np.greater_equal)


@function(np.triu)
def triu(m, k=0):
    return _triangle(m, k, np.less_equal)


def _along(x, axis: int, index) -> tuple:
    return (slice(None),) * axis + (index,)


@function(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    a = _tracer(a)
    axis = _axis(axis, a.ndim, "diff")
    ends = [prepend, a, append]
    for i in (0, 2):  # a scalar end becomes one slice along `axis`
        if ends[i] is not np._NoValue:
            ends[i] = as_tracer(ends[i], a.trace)
            if ends[i].ndim == 0:
                ends[i] = np.broadcast_to(ends[i], a.shape[:axis] + (1,) + a.shape[axis + 1 :])
    if prepend is not np._NoValue or append is not np._NoValue:
        a = concatenate([x for x in ends if x is not np._NoValue], axis=axis)
    subtract = np.not_equal if a.dtype == np.bool_ else np.subtract
    for _ in range(n):
        a = subtract(a[_along(a, axis, slice(1, None))], a[_along(a, axis, slice(None, -1))])
    return a


@function(np.roll)
def roll(a, shift, axis=None):
    a = _tracer(a)
    if axis is None:
        return reshape(roll(reshape(a, (-1,)), shift, 0), a.shape)
    shifts = (shift,) if isinstance(shift, int) else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for s, ax in zip(np.broadcast_to(shifts, len(axes)).tolist(), axes, strict=True):
        ax = _axis(ax, a.ndim, "roll")
        n = a.shape[ax]
        if n == 0:
            continue
        # |s| < n keeps the split symbolic (one guard); a longer shift wraps concretely
        s = (s if s >= 0 else n + s) if abs(s) < n else s % operator.index(n)
        if not (isinstance(s, int) and s == 0):
            head, tail = a[_along(a, ax, slice(n - s, None))], a[_along(a, ax, slice(0, n - s))]
            a = concatenate([head, tail], axis=ax)
    return a


@function(np.tile)
def tile(A, reps):
    A = _tracer(A)
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    rank = max(A.ndim, len(reps))
    A = reshape(A, (1,) * (rank - A.ndim) + A.shape)
    reps = (1,) * (rank - len(reps)) + reps
    for axis, count in enumerate(reps):
        if count != 1:
            A = concatenate([A] * count, axis=axis) if count else A[_along(A, axis, slice(0, 0))]
    return A


@function(np.repeat)
def repeat(a, repeats, axis=None):
    if not isinstance(repeats, int | np.integer):
        raise UnsupportedError("numpy.repeat with per-element repeats is not supported inside @jit")
    a = _tracer(a)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    axis = _axis(axis, a.ndim, "repeat")
    shape = a.shape
    expanded = reshape(a, shape[: axis + 1] + (1,) + shape[axis + 1 :])
    target = shape[: axis + 1] + (int(repeats),) + shape[axis + 1 :]
    widened = np.broadcast_to(expanded, target)
    return reshape(widened, shape[:axis] + (shape[axis] * int(repeats),) + shape[axis + 1 :])


def _pad_widths(pad_width, rank: int) -> list:
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (rank, 2))
    if (widths < 0).any():
        raise ShapeMismatchError(f"numpy.pad: negative pad width {pad_width}")
    return widths.tolist()


def _is_plain_zero(value) -> bool:
    """A concrete +0 (what the pad primitive fills with); -0.0 and traced values are not."""
    concrete = isinstance(value, bool | int | float | np.number)
    return concrete and value == 0 and not np.signbit(value)


@function(np.pad)
def pad(array, pad_width, mode="constant", constant_values=0):
    if mode != "constant" or np.ndim(constant_values) != 0:
        raise UnsupportedError(
            f"numpy.pad with mode={mode!r} or per-axis constant_values is not supported inside @jit"
        )
    x = _tracer(array)
    widths = _pad_widths(pad_width, x.ndim)
    params = dict(
        lo=tuple(before for before, _ in widths),
        hi=tuple(after for _, after in widths),
        interior=(0,) * x.ndim,
    )
    padded = x.trace.bind(OPS["pad"], x, **params)
    if _is_plain_zero(constant_values):
        return padded
    # the pad primitive fills with zeros: a padded mask marks where x's elements went
    inside = x.trace.bind(OPS["pad"], full(x.shape, True, dtype=np.bool_), **params)
    return np.where(inside, padded, full((), constant_values, dtype=x.dtype))


@function(np.split)
def split(ary, indices_or_sections, axis=0):
    x = _tracer(ary)
    axis = _axis(axis, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, int | np.integer):
        n, sections = operator.index(n), int(indices_or_sections)  # equal parts need the size
        if sections <= 0 or n % sections:
            raise ShapeMismatchError(
                f"numpy.split: {n} does not divide into {sections} equal parts"
            )
        bounds = [i * (n // sections) for i in range(sections + 1)]
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], n]
    return [x[_along(x, axis, slice(lo, hi))] for lo, hi in zip(bounds[:-1], bounds[1:])]
