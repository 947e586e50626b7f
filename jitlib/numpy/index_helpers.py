"""Index arrays built on traced values or symbolic sizes: ix_, diag_indices(_from),
unravel_index and ravel_multi_index (dims static or symbolic), as composites of iota and
integer arithmetic."""

import numpy as np

from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import as_tracer, astype, function, promote, refuse, trace_of
from jitlib.numpy.creation import arange
from jitlib.numpy.layout import reshape
from jitlib.tracer import SymDim, Tracer


@function(np.ix_)
def ix_(*args):
    """Open-mesh index arrays: the k-th 1-d sequence reshaped to (1, ..., n, ..., 1). A
    traced boolean sequence (numpy takes its nonzero positions, a data-dependent length)
    is refused; a concrete one becomes its positions."""
    rank = len(args)
    out = []
    for k, seq in enumerate(args):
        if isinstance(seq, Tracer) and seq.dtype == np.bool_:
            raise UnsupportedError(
                "numpy.ix_ of a traced boolean array has a data-dependent length and is not "
                "supported inside @jit; pass integer positions"
            )
        if not isinstance(seq, Tracer):
            seq = np.asarray(seq)
            seq = np.flatnonzero(seq) if seq.dtype == np.bool_ else seq
            seq = seq.astype(np.intp) if seq.size == 0 else seq
        x = as_tracer(seq, trace_of(*args))
        if x.ndim != 1:
            raise ValueError("Cross index must be 1 dimensional")
        out.append(reshape(x, (1,) * k + (-1,) + (1,) * (rank - k - 1)))
    return tuple(out)


@function(np.diag_indices)
def diag_indices(n, ndim=2):
    """(arange(n),) * ndim; n may be a symbolic size."""
    index = arange(n)
    return (index,) * ndim


@function(np.diag_indices_from)
def diag_indices_from(arr):
    """The diagonal's indices of an array whose dims are all equal (checked with a guard
    where they are symbolic)."""
    (x,) = promote(arr)[1]
    if x.ndim < 2:
        raise ValueError("input array must be at least 2-d")
    if any(d != x.shape[0] for d in x.shape[1:]):
        raise ShapeMismatchError(f"All dimensions of input must be of equal length, not {x.shape}")
    return diag_indices(x.shape[0], x.ndim)


def _dims(shape) -> list:
    return [shape] if isinstance(shape, int | np.integer | SymDim) else list(shape)


def _size(trace_, d) -> Tracer:
    """A size as an int64 scalar of the trace (a `dim` where it is symbolic)."""
    return as_tracer(d, trace_, "int64")


@function(np.unravel_index)
def unravel_index(indices, shape, order="C"):
    """The coordinates of flat indices in an array of `shape`: repeated divmod by the
    dims, last dim first (first dim first for order='F'). numpy raises for an index
    outside the array; that needs the data, so under jit such an index gives
    coordinates that wrap in every dim but the slowest (as `idx // stride` there)."""
    if order not in ("C", "F"):
        raise ValueError("only 'C' or 'F' order is permitted")
    trace_ = trace_of(indices, *_dims(shape))
    index = as_tracer(indices, trace_)
    if index.dtype.kind not in "iu":
        raise TypeError("only int indices permitted")
    index = astype(index, "int64")
    dims = _dims(shape)
    fastest_first = list(range(len(dims)))[::-1] if order == "C" else list(range(len(dims)))
    coordinates = [None] * len(dims)
    for position, axis in enumerate(fastest_first):
        if position == len(dims) - 1:
            coordinates[axis] = index
        else:
            size = _size(trace_, dims[axis])
            coordinates[axis] = index % size
            index = index // size
    return tuple(coordinates)


_MODES = ("raise", "wrap", "clip")


@function(np.ravel_multi_index)
def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """The flat index of each coordinate tuple: sum_k i_k * stride_k. mode='wrap' takes
    each coordinate modulo its dim, 'clip' clips it into range; mode='raise' (numpy's
    default) needs the data to check the range, so a traced index must pick another."""
    modes = [mode] * len(_dims(dims)) if isinstance(mode, str) else list(mode)
    if any(m not in _MODES for m in modes):
        raise ValueError(f"clipmode must be one of {_MODES}")
    if "raise" in modes:
        raise UnsupportedError(
            "numpy.ravel_multi_index with mode='raise' checks the traced indices' values, "
            "which are not known inside @jit; pass mode='wrap' or mode='clip'"
        )
    refuse("ravel_multi_index", {f"order={order!r}": order not in ("C", "F")})
    dims = _dims(dims)
    trace_ = trace_of(multi_index, *dims)
    coordinates = [astype(as_tracer(i, trace_), "int64") for i in multi_index]
    if len(coordinates) != len(dims):
        raise ValueError(f"parameter multi_index must be a sequence of length {len(dims)}")
    total, stride = None, None
    axes = range(len(dims) - 1, -1, -1) if order == "C" else range(len(dims))
    for axis in axes:
        size = _size(trace_, dims[axis])
        i = coordinates[axis]
        i = i % size if modes[axis] == "wrap" else np.clip(i, 0, size - 1)
        term = i if stride is None else i * stride
        total = term if total is None else total + term
        stride = size if stride is None else stride * size
    return total
