"""Functions whose output length depends on the data: np.nonzero, np.flatnonzero,
np.argwhere, np.extract, np.unique and its array-API forms, np.union1d, np.intersect1d,
np.setdiff1d, np.setxor1d and np.trim_zeros.

Under @jit an output's shape must follow from the input shapes, so the numpy call itself
raises UnsupportedError naming the alternative: the `jitlib.numpy` function with a static
`size=` (as in JAX), which keeps the first `size` results and pads the rest with
`fill_value`. Each is a composite of sort, cumsum and searchsorted, written in numpy, so the
same code runs eagerly on numpy arrays, traces, and has grad and vmap from its parts.

>>> import numpy as np, jitlib as jl, jitlib.numpy as jnp
>>> jl.jit(lambda x: jnp.unique(x, size=4, fill_value=-1))(np.array([3, 1, 3]))
array([ 1,  3, -1, -1])
"""

import operator

import numpy as np

from jitlib import dispatch
from jitlib.errors import UnsupportedError
from jitlib.numpy._core import is_traced
from jitlib.numpy.creation import arange, asarray

_RESULTS = None  # numpy's named tuples for unique_all/_counts/_inverse, once imported


def _results():
    global _RESULTS
    if _RESULTS is None:
        from numpy.lib import _arraysetops_impl as impl

        _RESULTS = impl.UniqueAllResult, impl.UniqueCountsResult, impl.UniqueInverseResult
    return _RESULTS


def _sized(numpy_function, example: str):
    """Register fn for numpy_function. Without size= it is numpy's own function on numpy
    arrays and a clear error on traced ones; with size= it is fn, eager or traced."""

    def register(fn):
        name = numpy_function.__name__

        def wrapper(*args, size=None, fill_value=None, **kwargs):
            if size is None:
                if is_traced(args) or is_traced(tuple(kwargs.values())):
                    raise UnsupportedError(
                        f"numpy.{name} is not supported inside @jit: its output shape depends "
                        f"on the data; call jitlib.numpy.{name}({example}, size=N), which "
                        "keeps the first N results and pads the rest with fill_value; eager "
                        "numpy still works without @jit"
                    )
                return numpy_function(*args, **kwargs)
            try:
                size = operator.index(size)
            except TypeError:
                raise UnsupportedError(
                    f"jitlib.numpy.{name}: size= must be a static int, got {size!r}"
                ) from None
            if size < 0:
                raise ValueError(f"jitlib.numpy.{name}: size= must be >= 0, got {size}")
            return fn(*args, size=size, fill_value=fill_value, **kwargs)

        wrapper.__name__ = wrapper.__qualname__ = name
        wrapper.__doc__ = fn.__doc__
        wrapper.__wrapped__ = fn
        return dispatch.implements(numpy_function)(wrapper)

    return register


def _first_kept(keep, size: int):
    """Positions of the first `size` True entries of the 1-D bool `keep`, in order, and
    len(keep) for each slot beyond its True count: the (i+1)-th True is the first place
    where the running count reaches i+1."""
    running = np.cumsum(keep.astype(np.int64))
    return np.searchsorted(running, arange(1, size + 1), side="left")


def _padded(values):
    """values (1-d) with one more entry at the end, for the positions past it."""
    values = asarray(values)
    return np.concatenate([values, np.asarray([0], dtype=values.dtype)])


def _pick(values, positions, fill):
    """values[positions], where a position of len(values) gives `fill`."""
    values = asarray(values)
    chosen = _padded(values)[positions]
    return np.where(positions < values.shape[0], chosen, fill).astype(values.dtype)


def _sorted_runs(flat, equal_nan: bool):
    """flat sorted (stably), its sorting permutation, and where each run of equal values
    starts (NaNs form one run with equal_nan, each its own run without)."""
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    previous = np.roll(ordered, 1)
    starts = ordered != previous
    if equal_nan and ordered.dtype.kind == "f":
        starts = starts & ~(np.isnan(ordered) & np.isnan(previous))
    first = arange(ordered.shape[0]) == 0  # np.arange would fix the size
    return ordered, order, starts | first


def _fill_or_smallest(ordered, fill_value):
    """fill_value, or by default the smallest value (0 for an empty input)."""
    return _padded(ordered)[0] if fill_value is None else fill_value


def _coordinates(flat_index, shape, fill):
    """np.unravel_index of the valid flat positions, `fill` where position == size."""
    size = 1
    for d in shape:
        size = size * d
    valid = flat_index < size
    out = []
    rest = flat_index
    for d in reversed(shape):
        out.append(np.where(valid, rest % d, fill).astype(np.int64))
        rest = rest // d
    return tuple(reversed(out))


@_sized(np.nonzero, "a")
def nonzero(a, *, size, fill_value=None):
    """Indices of a's nonzero entries, per axis, each of length `size` (padded with
    fill_value, 0 by default; a tuple gives one per axis)."""
    a = asarray(a)
    if a.ndim == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use np.atleast_1d.")
    positions = _first_kept(np.ravel(a) != 0, size)
    fills = fill_value if isinstance(fill_value, tuple) else (fill_value or 0,) * a.ndim
    if len(fills) != a.ndim:
        raise ValueError(f"fill_value has {len(fills)} entries for an array of rank {a.ndim}")
    coordinates = _coordinates(positions, a.shape, 0)
    valid = positions < np.ravel(a).shape[0]
    return tuple(np.where(valid, c, f).astype(np.int64) for c, f in zip(coordinates, fills))


@_sized(np.flatnonzero, "a")
def flatnonzero(a, *, size, fill_value=None):
    """Flat indices of a's nonzero entries, `size` of them (padded with fill_value, 0)."""
    return nonzero(np.ravel(a), size=size, fill_value=fill_value)[0]


@_sized(np.argwhere, "a")
def argwhere(a, *, size, fill_value=None):
    """np.argwhere as a (size, a.ndim) array of indices, padded rows of fill_value (0)."""
    a = asarray(a)
    if a.ndim == 0:
        return np.zeros((size, 0), np.int64)
    return np.stack(nonzero(a, size=size, fill_value=fill_value), axis=1)


@_sized(np.extract, "condition, arr")
def extract(condition, arr, *, size, fill_value=None):
    """arr's entries where condition holds (both flattened), padded with fill_value (0)."""
    values = np.ravel(arr)
    positions = _first_kept(np.ravel(condition) != 0, size)
    return _pick(values, positions, 0 if fill_value is None else fill_value)


def _unique_parts(ar, size, fill_value, equal_nan):
    flat = np.ravel(ar)
    ordered, order, starts = _sorted_runs(flat, equal_nan)
    positions = _first_kept(starts, size)
    values = _pick(ordered, positions, _fill_or_smallest(ordered, fill_value))
    return flat, ordered, order, starts, positions, values


def _index(order, positions):
    """Where each unique value first occurs in the input (a stable sort keeps first
    occurrences first), 0 in padded slots."""
    return _pick(order, positions, 0).astype(np.int64)


def _inverse(order, starts, shape):
    """For each input entry, its unique value's slot, in the input's shape."""
    run = np.cumsum(starts.astype(np.int64)) - 1
    return run[np.argsort(order, kind="stable")].reshape(shape)


def _counts(starts, size: int):
    """How many entries each of the first `size` unique values has (0 in padded slots)."""
    run = np.cumsum(starts.astype(np.int64)) - 1
    slots = arange(size)
    left = np.searchsorted(run, slots, side="left")
    return (np.searchsorted(run, slots, side="right") - left).astype(np.int64)


@_sized(np.unique, "ar")
def unique(
    ar,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    *,
    equal_nan=True,
    sorted=True,
    size,
    fill_value=None,
):
    """The first `size` sorted unique values of ar (flattened), padded with fill_value
    (by default the smallest value); indices, inverse and counts as numpy's."""
    if axis is not None:
        raise UnsupportedError(
            "jitlib.numpy.unique with axis= is not supported; unique values of the "
            "flattened array only"
        )
    ar = asarray(ar)
    flat, _, order, starts, positions, values = _unique_parts(ar, size, fill_value, equal_nan)
    extra = []
    if return_index:
        extra.append(_index(order, positions))
    if return_inverse:
        extra.append(_inverse(order, starts, ar.shape))
    if return_counts:
        extra.append(_counts(starts, size))
    return (values, *extra) if extra else values


@_sized(np.unique_values, "x")
def unique_values(x, *, size, fill_value=None):
    """np.unique_values (each NaN its own value), the first `size`, padded."""
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)


@_sized(np.unique_counts, "x")
def unique_counts(x, *, size, fill_value=None):
    values, counts = unique(
        x, return_counts=True, equal_nan=False, size=size, fill_value=fill_value
    )
    return _results()[1](values, counts)


@_sized(np.unique_inverse, "x")
def unique_inverse(x, *, size, fill_value=None):
    values, inverse = unique(
        x, return_inverse=True, equal_nan=False, size=size, fill_value=fill_value
    )
    return _results()[2](values, inverse)


@_sized(np.unique_all, "x")
def unique_all(x, *, size, fill_value=None):
    parts = unique(
        x,
        return_index=True,
        return_inverse=True,
        return_counts=True,
        equal_nan=False,
        size=size,
        fill_value=fill_value,
    )
    return _results()[0](*parts)


@_sized(np.union1d, "ar1, ar2")
def union1d(ar1, ar2, *, size, fill_value=None):
    """Sorted unique values of either array, the first `size`, padded (smallest value)."""
    both = np.concatenate([np.ravel(ar1), np.ravel(ar2)])
    return unique(both, size=size, fill_value=fill_value)


@_sized(np.intersect1d, "ar1, ar2")
def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size, fill_value=None):
    """Sorted unique values found in both arrays, the first `size`, padded with fill_value
    (0); with return_indices, where each first occurs in ar1 and in ar2 (0 when padded)."""
    del assume_unique  # numpy's speed hint; the result for unique inputs is the same
    ordered, order, starts = _sorted_runs(np.ravel(ar1), equal_nan=True)
    positions = _first_kept(starts & np.isin(ordered, ar2), size)
    fill = 0 if fill_value is None else fill_value
    values = _pick(ordered, positions, fill)
    if not return_indices:
        return values
    second = np.ravel(ar2)
    order2 = np.argsort(second, kind="stable")
    found = np.searchsorted(second[order2], values, side="left")
    valid = positions < ordered.shape[0]
    at = np.where(valid, np.minimum(found, second.shape[0] - 1), second.shape[0])
    return values, _index(order, positions), _pick(order2, at, 0).astype(np.int64)


@_sized(np.setdiff1d, "ar1, ar2")
def setdiff1d(ar1, ar2, assume_unique=False, *, size, fill_value=None):
    """Values of ar1 not in ar2 (sorted and unique unless assume_unique, as numpy), the
    first `size`, padded with fill_value (0)."""
    fill = 0 if fill_value is None else fill_value
    if assume_unique:
        flat = np.ravel(ar1)
        return _pick(flat, _first_kept(~np.isin(flat, ar2), size), fill)
    ordered, _, starts = _sorted_runs(np.ravel(ar1), equal_nan=True)
    return _pick(ordered, _first_kept(starts & ~np.isin(ordered, ar2), size), fill)


@_sized(np.setxor1d, "ar1, ar2")
def setxor1d(ar1, ar2, assume_unique=False, *, size, fill_value=None):
    """Sorted values in exactly one of the arrays' unique values (NaNs never match, as in
    numpy), the first `size`, padded with fill_value (0)."""
    first, second = np.ravel(ar1), np.ravel(ar2)
    if assume_unique:
        kept = np.concatenate([first, second])
        valid = np.ones_like(kept, dtype=bool)
    else:
        ordered1, _, starts1 = _sorted_runs(first, equal_nan=True)
        ordered2, _, starts2 = _sorted_runs(second, equal_nan=True)
        kept = np.concatenate([ordered1, ordered2])
        valid = np.concatenate([starts1, starts2])
    order = np.argsort(kept, kind="stable")
    total = kept.shape[0]
    # the valid entries, in sorted order, then padding; `count` of them
    merged_at = _first_kept(valid[order], total)
    merged = _pick(kept[order], merged_at, 0)
    count = np.sum(valid.astype(np.int64))
    slot = arange(total)
    differs = merged != np.roll(merged, 1)
    after = np.roll(differs, -1)
    alone = (differs | (slot == 0)) & (after | (slot == count - 1)) & (slot < count)
    fill = 0 if fill_value is None else fill_value
    return _pick(merged, _first_kept(alone, size), fill)


@_sized(np.trim_zeros, "filt")
def trim_zeros(filt, trim="fb", axis=None, *, size, fill_value=None):
    """The 1-d `filt` without its leading ('f') and trailing ('b') zeros: its first `size`
    entries, padded with fill_value (0 by default)."""
    filt = asarray(filt)
    if filt.ndim != 1:
        raise UnsupportedError(
            f"jitlib.numpy.trim_zeros with size= takes 1-d arrays, got {filt.ndim}-d"
        )
    trim = trim.lower()
    if any(letter not in "fb" for letter in trim):
        raise ValueError(f"unexpected character(s) in `trim`: {trim!r}")
    n = filt.shape[0]
    past = np.asarray([True])  # a nonzero past either end: n for an all-zero filt
    first = np.argmax(np.concatenate([filt != 0, past]))
    last = n - np.argmax(np.concatenate([(filt != 0)[::-1], past]))  # one past the last
    start = first if "f" in trim else 0
    stop = last if "b" in trim else n
    slot = arange(size)
    at = start + slot
    kept = at < np.maximum(stop, start)
    return _pick(filt, np.where(kept, at, n), 0 if fill_value is None else fill_value)
