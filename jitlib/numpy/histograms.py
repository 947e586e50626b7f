"""np.histogram and np.histogram_bin_edges as composites: an integer bin count (edges from
the data's min and max, or from `range=`) or explicit edges; each value is compared with
every edge, so the counts have the static shape (bins,) whatever the data."""

import operator

import numpy as np

from ir.ops import OPS
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import as_tracer, astype, dtype_name, function, promote, same_dtype
from jitlib.numpy.creation import arange
from jitlib.tracer import Tracer


def _bin_count(bins) -> int:
    """numpy's check of an integer bin count."""
    if isinstance(bins, str):
        raise UnsupportedError(
            f"numpy.histogram with bins={bins!r}: the number of bins would depend on the "
            "data; give an integer bin count or the edges"
        )
    try:
        count = operator.index(bins)
    except TypeError as error:
        raise TypeError("`bins` must be an integer, a string, or an array") from error
    if count < 1:
        raise ValueError("`bins` must be positive, when an integer")
    return count


def _fixed_edges(a: Tracer, count: int, first, last) -> Tracer:
    """Edges of a known range (range= given, or an empty a): numpy's own linspace."""
    if first > last:
        raise ValueError("max must be larger than min in range parameter.")
    if not (np.isfinite(first) and np.isfinite(last)):
        raise ValueError(f"supplied range of [{first}, {last}] is not finite")
    if first == last:  # numpy widens an empty range by 0.5 each side
        first, last = first - 0.5, last + 0.5
    bin_type = np.result_type(first, last, np.dtype(dtype_name(a)))
    if np.issubdtype(bin_type, np.integer):
        bin_type = np.result_type(bin_type, float)
    edges = np.linspace(first, last, count + 1, endpoint=True, dtype=bin_type)
    if np.any(edges[:-1] >= edges[1:]):
        raise ValueError(f"Too many bins for data range. Cannot create {count} finite-sized bins.")
    return as_tracer(edges, a.trace)


def _data_edges(a: Tracer, count: int) -> Tracer:
    """Edges from a's min to its max as numpy's linspace computes them: i * step + first
    with step = (last - first) / count, the last edge exactly `last`. Where the data hold
    inf or NaN numpy raises ValueError: the run checks it."""
    dtype = dtype_name(a) if a.dtype.kind == "f" else "float64"
    low, high = astype(np.min(a), dtype), astype(np.max(a), dtype)
    bad = ~(np.isfinite(low) & np.isfinite(high))
    message = "autodetected range of the histogram's data is not finite (inf or nan)"
    low = a.trace.bind(OPS["check"], low, bad, message=message)
    same = low == high  # an empty range is widened by 0.5 each side
    first = np.where(same, low - 0.5, low)
    last = np.where(same, high + 0.5, high)
    step = (last - first) / count
    i = arange(count + 1, dtype=dtype)
    return np.where(i == count, last, i * step + first)


def _edges(a: Tracer, bins, range) -> Tracer:
    if np.ndim(bins) == 1:
        if isinstance(bins, Tracer):  # numpy checks monotonic edges when it runs
            return bins
        edges = np.asarray(bins)
        if np.any(edges[:-1] > edges[1:]):
            raise ValueError("`bins` must increase monotonically, when an array")
        return as_tracer(edges, a.trace)
    if np.ndim(bins) > 1:
        raise ValueError("`bins` must be 1d, when an array")
    count = _bin_count(bins)
    if range is not None:
        return _fixed_edges(a, count, *range)
    if a.value.type.shape[0] == 0:
        return _fixed_edges(a, count, 0, 1)
    return _data_edges(a, count)


def _flat(a, weights) -> tuple:
    trace_, (a,), _ = promote(a)
    if weights is None:
        return np.reshape(a, (-1,)), None
    weights = as_tracer(weights, trace_)
    same = weights.ndim == a.ndim and all(i == j for i, j in zip(weights.shape, a.shape))
    if not same:  # sizes compare as Python does: a guard where symbolic
        raise ShapeMismatchError(
            f"numpy.histogram: weights {weights.value.type} should have the shape of a, "
            f"{a.value.type}"
        )
    return np.reshape(a, (-1,)), np.reshape(weights, (-1,))


def _counts(a: Tracer, edges: Tracer, weights) -> Tracer:
    """How many values (or how much weight) fall in each bin [e_i, e_i+1), the last bin
    closed [e_n-1, e_n], as numpy counts; values outside the edges, and NaN, in none."""
    values, lined = same_dtype([a, edges])
    at_or_above = values[:, None] >= lined[None, :]
    past_last = (values > lined[-1])[:, None]
    past_upper = np.concatenate([at_or_above[:, 1:-1], past_last], axis=1)
    in_bin = at_or_above[:, :-1] & ~past_upper
    if weights is None:
        return np.sum(in_bin, axis=0, dtype="int64")
    return np.sum(np.where(in_bin, weights[:, None], 0), axis=0)


@function(np.histogram)
def histogram(a, bins=10, range=None, density=None, weights=None):
    a, weights = _flat(a, weights)
    edges = _edges(a, bins, range)
    counts = _counts(a, edges, weights)
    if not density:
        return counts, edges
    # density: counts / bin width / total, so the histogram integrates to 1
    widths = edges[1:] - edges[:-1]
    return counts / widths / np.sum(counts), edges


@function(np.histogram_bin_edges)
def histogram_bin_edges(a, bins=10, range=None, weights=None):
    a, _ = _flat(a, weights)
    return _edges(a, bins, range)


@function(np.bincount)
def bincount(x, weights=None, minlength=0):
    raise UnsupportedError(
        "numpy.bincount is not supported inside @jit: its length, max(x) + 1, depends on the "
        "data (minlength only sets a lower bound). For counts of the values 0..n-1 use "
        "np.sum(x[:, None] == np.arange(n), axis=0) (weighted: np.sum(np.where(x[:, None] == "
        "np.arange(n), w[:, None], 0), axis=0)) or np.histogram(x, n, range=(0, n)); eager "
        "numpy still works without @jit"
    )
