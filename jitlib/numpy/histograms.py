"""np.histogram, np.histogram_bin_edges, np.histogram2d, np.histogramdd and np.bincount as
composites: an integer bin count (edges from the data's min and max, or from `range=`) or
explicit edges. np.histogram compares each value with every edge; the N-d histograms and
bincount sum into their bins with a scatter-add. Every result has a static shape whatever
the data; where numpy raises because of the values, the run checks them (jl.ValueCheckError)."""

import builtins
import operator

import numpy as np

from ir.ops import OPS
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import (
    as_tracer,
    astype,
    checked,
    dtype_name,
    function,
    promote,
    same_dtype,
    trace_of,
)
from jitlib.numpy.creation import arange, zeros
from jitlib.numpy.creation_more import linspace
from jitlib.tracer import SymDim, Tracer


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
    first, last = _given_range(first, last)
    bin_type = np.result_type(first, last, np.dtype(dtype_name(a)))
    if np.issubdtype(bin_type, np.integer):
        bin_type = np.result_type(bin_type, float)
    edges = np.linspace(first, last, count + 1, endpoint=True, dtype=bin_type)
    if np.any(edges[:-1] >= edges[1:]):
        raise ValueError(f"Too many bins for data range. Cannot create {count} finite-sized bins.")
    return as_tracer(edges, a.trace)


def _given_range(first, last) -> tuple:
    """range=, checked as numpy checks it, an empty range widened by 0.5 each side."""
    if first > last:
        raise ValueError("max must be larger than min in range parameter.")
    if not (np.isfinite(first) and np.isfinite(last)):
        raise ValueError(f"supplied range of [{first}, {last}] is not finite")
    if first == last:
        first, last = first - 0.5, last + 0.5
    return first, last


def _data_range(a: Tracer) -> tuple:
    """a's min and max (0-d, float), an empty range widened by 0.5 each side. Where the
    data hold inf or NaN numpy raises ValueError: the run checks it."""
    dtype = dtype_name(a) if a.dtype.kind == "f" else "float64"
    low, high = astype(np.min(a), dtype), astype(np.max(a), dtype)
    bad = ~(np.isfinite(low) & np.isfinite(high))
    message = "autodetected range of the histogram's data is not finite (inf or nan)"
    low = checked(low, bad, message)
    same = low == high
    return np.where(same, low - 0.5, low), np.where(same, high + 0.5, high)


def _data_edges(a: Tracer, count: int) -> Tracer:
    """Edges from a's min to its max as numpy's linspace computes them: i * step + first
    with step = (last - first) / count, the last edge exactly `last`."""
    dtype = dtype_name(a) if a.dtype.kind == "f" else "float64"
    first, last = _data_range(a)
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


def _bin_sums(index: Tracer, updates: Tracer, length) -> Tracer:
    """A length-`length` array holding at i the sum of the updates whose index is i."""
    total = zeros((length,), dtype=updates.dtype)
    return index.trace.bind(OPS["scatter_add"], total, index, updates, axis=0)


# --- np.histogramdd and np.histogram2d ------------------------------------------------------
def _samples(sample) -> Tracer:
    """The sample as numpy reads it: an (N, D) array, or a sequence of D arrays of N values
    (a 1-d array is N values of one dimension)."""
    if isinstance(sample, Tracer | np.ndarray) and np.ndim(sample) == 2:
        return promote(sample)[1][0]
    if isinstance(sample, list | tuple):
        _, rows, _ = promote(*sample)
        if any(row.ndim > 1 for row in rows):
            raise ValueError("numpy.histogramdd: a sequence of samples must hold 1-d arrays")
        stacked = np.stack(same_dtype(rows), axis=-1)
        return stacked if stacked.ndim == 2 else np.reshape(stacked, (-1, 1))
    x = promote(sample)[1][0]
    if x.ndim > 2:
        raise ValueError(f"numpy.histogramdd: sample {x.value.type} has more than 2 dimensions")
    return np.reshape(x, (-1, 1))


def _outer_edges(column: Tracer, range_, count: int) -> Tracer:
    """numpy's np.linspace between the outer edges: range_, or the column's min and max
    (float64 edges for integer data, as numpy's)."""
    if range_ is not None:
        return as_tracer(np.linspace(*_given_range(*range_), count + 1), column.trace)
    if column.value.type.shape[0] == 0:
        return as_tracer(np.linspace(0, 1, count + 1), column.trace)
    return linspace(*_data_range(column), count + 1)


def _edges_of(column: Tracer, bins, range_, i: int) -> Tracer:
    """One dimension's edges, from an integer bin count or given edges, as numpy checks."""
    if np.ndim(bins) == 0:
        if bins < 1:
            raise ValueError(f"`bins[{i}]` must be positive, when an integer")
        try:
            count = operator.index(bins)
        except TypeError as error:
            raise TypeError(f"`bins[{i}]` must be an integer, when a scalar") from error
        return _outer_edges(column, range_, count)
    if np.ndim(bins) != 1:
        raise ValueError(f"`bins[{i}]` must be a scalar or 1d array")
    message = f"`bins[{i}]` must be monotonically increasing, when an array"
    if isinstance(bins, Tracer):  # numpy checks its values: so does the run
        return checked(bins, bins[:-1] > bins[1:], message)
    edges = np.asarray(bins)
    if np.any(edges[:-1] > edges[1:]):
        raise ValueError(message)
    return as_tracer(edges, column.trace)


def _bin_numbers(column: Tracer, edges: Tracer) -> Tracer:
    """Each value's bin among len(edges) + 1, the outer two for values outside (and NaN):
    numpy's searchsorted on the right, with values on the last edge in the last bin."""
    number = np.searchsorted(edges, column, side="right")
    return number - astype(column == edges[-1], "int64")


def _one_dimensional(x: Tracer) -> None:
    """numpy's check that bincount's x and weights are 1-d, with its message."""
    if x.ndim != 1:
        depth = "too deep" if x.ndim > 1 else "of too small depth"
        raise ValueError(f"object {depth} for desired array")


def _sample_weights(weights, samples: Tracer) -> Tracer:
    """numpy's bincount's weights: one per sample, summed in float64."""
    weights = as_tracer(weights, trace_of(samples, weights))
    _one_dimensional(weights)
    if not weights.shape[0] == samples.shape[0]:  # a guard where symbolic
        raise ValueError("The weights and list don't have the same length.")
    return astype(weights, "float64")


@function(np.histogramdd)
def histogramdd(sample, bins=10, range=None, density=None, weights=None):
    """numpy's histogramdd: each sample's bin number along every dimension (an outlier bin
    at each end), the flat bin summed into by a scatter-add, the outlier bins dropped. The
    counts are float64, as numpy's.

    >>> import numpy as np, jitlib as jl
    >>> xy = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.2]])
    >>> jl.jit(lambda s: np.histogramdd(s, 2)[0])(xy)
    array([[1., 0.],
           [1., 1.]])
    """
    samples = _samples(sample)
    dims = operator.index(samples.shape[1])  # the result's rank: a guard where symbolic
    try:
        given = len(bins)
    except TypeError:  # one bin count for every dimension
        bins, given = dims * [bins], dims
    if given != dims:
        raise ValueError("The dimension of bins must be equal to the dimension of the sample x.")
    if range is None:
        range = (None,) * dims
    elif len(range) != dims:
        raise ValueError("range argument must have one entry per dimension")
    columns = [samples[:, i] for i in builtins.range(dims)]
    edges = [_edges_of(c, bins[i], range[i], i) for i, c in enumerate(columns)]
    sizes = [e.shape[0] + 1 for e in edges]  # the bins, and an outlier bin at each end
    flat = 0
    for column, edge, size in zip(columns, edges, sizes):
        flat = flat * size + _bin_numbers(column, edge)
    if weights is None:
        updates = np.ones_like(flat, dtype="float64")
    else:
        updates = _sample_weights(weights, samples)
    total = 1
    for size in sizes:
        total = total * size
    hist = np.reshape(_bin_sums(flat, updates, total), tuple(sizes))
    hist = hist[(slice(1, -1),) * dims]
    if density:
        # counts / bin volume / total, so the histogram integrates to 1
        total_count = np.sum(hist)
        for i, edge in enumerate(edges):
            width = np.diff(edge)
            hist = hist / np.reshape(width, (1,) * i + (-1,) + (1,) * (dims - i - 1))
        hist = hist / total_count
    return hist, edges


@function(np.histogram2d)
def histogram2d(x, y, bins=10, range=None, density=None, weights=None):
    """numpy's histogram2d: the histogramdd of the pairs (x, y)."""
    x, y = (promote(v)[1][0] for v in (x, y))
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(
            f"numpy.histogram2d needs 1-d x and y, got {x.value.type} and {y.value.type}"
        )
    if not x.shape[0] == y.shape[0]:
        raise ValueError("x and y must have the same length.")
    try:
        pair = len(bins) in (1, 2)
    except TypeError:
        pair = True
    if not pair:  # one array of edges serves both dimensions
        bins = [bins, bins]
    hist, (x_edges, y_edges) = histogramdd([x, y], bins, range, density, weights)
    return hist, x_edges, y_edges


# --- np.bincount ----------------------------------------------------------------------------
def _bincount_length(minlength):
    if minlength is None:
        raise TypeError("use 0 instead of None for minlength")
    if isinstance(minlength, SymDim):
        return minlength
    length = operator.index(minlength)
    if length < 0:
        raise ValueError("'minlength' must not be negative")
    if length == 0:
        raise UnsupportedError(
            "numpy.bincount without minlength is not supported inside @jit: its length, "
            "max(x) + 1, depends on the data. Give minlength=n (static) for counts of the "
            "values 0..n-1 (a value >= n raises jl.ValueCheckError when the function runs), "
            "or use np.histogram(x, n, range=(0, n)); eager numpy still works without @jit"
        )
    return length


@function(np.bincount)
def bincount(x, weights=None, minlength=0):
    """Counts (or summed weights) of the values 0..minlength-1 of x, of static length
    `minlength`. numpy's result is longer where x holds a value >= minlength: the run
    checks that none does, and that none is negative (numpy raises), with jl.ValueCheckError.

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(lambda x: np.bincount(x, minlength=4))(np.array([0, 3, 3, 1]))
    array([1, 1, 0, 2])
    """
    length = _bincount_length(minlength)
    x = promote(x)[1][0]
    _one_dimensional(x)
    if x.dtype.kind not in "biu":
        raise TypeError(
            f"Cannot cast array data from dtype('{x.dtype}') to dtype('int64') according to "
            "the rule 'safe'"
        )
    x = astype(x, "int64")
    x = checked(x, x < 0, "'list' argument must have no negative elements")
    x = checked(
        x,
        x >= length,
        "numpy.bincount: x holds a value >= minlength, so numpy's result would be longer "
        "than the minlength jit gives it",
    )
    if weights is None:
        return _bin_sums(x, np.ones_like(x), length)
    return _bin_sums(x, _sample_weights(weights, x), length)
