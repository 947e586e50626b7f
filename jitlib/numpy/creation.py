"""Array creation: zeros/ones/full(_like), arange, eye, asarray, astype."""

import numpy as np

from ir.ops import OPS
from jitlib import dispatch, inplace, trace
from jitlib.errors import UnsupportedError
from jitlib.numpy._core import (
    as_tracer,
    astype,
    canonical_dtype,
    dims,
    function,
    is_traced,
    promote,
    trace_of,
)
from jitlib.tracer import SymDim, Tracer


def _full(shape, fill_value, dtype):
    """fill_value broadcast to `shape`, in the trace when there is one, else eager numpy."""
    trace_ = trace.current()
    if trace_ is None and not isinstance(fill_value, Tracer):
        return np.full(shape, fill_value, dtype=dtype)
    trace_ = fill_value.trace if isinstance(fill_value, Tracer) else trace_
    if dtype is not None:
        dtype = canonical_dtype(dtype)
    fill = as_tracer(fill_value, trace_, dtype)
    if fill.ndim:
        raise UnsupportedError("numpy.full with a non-scalar fill value is not supported")
    return trace_.bind(OPS["broadcast_to"], fill, shape=dims(shape))


@function(np.zeros)
def zeros(shape, dtype=float):
    return _full(shape, 0, dtype)


@function(np.ones)
def ones(shape, dtype=float):
    return _full(shape, 1, dtype)


@function(np.empty)
def empty(shape, dtype=float):
    return _full(shape, 0, dtype)


@function(np.full)
def full(shape, fill_value, dtype=None):
    return _full(shape, fill_value, dtype)


def _like(x, fill_value, dtype, shape):
    x = as_tracer(x, promote(x)[0])
    return _full(x.shape if shape is None else shape, fill_value, dtype or x.dtype)


@function(np.zeros_like)
def zeros_like(x, dtype=None, shape=None):
    return _like(x, 0, dtype, shape)


@function(np.ones_like)
def ones_like(x, dtype=None, shape=None):
    return _like(x, 1, dtype, shape)


@function(np.empty_like)
def empty_like(x, dtype=None, shape=None):
    return _like(x, 0, dtype, shape)


@function(np.full_like)
def full_like(x, fill_value, dtype=None, shape=None):
    return _like(x, fill_value, dtype, shape)


@function(np.arange)
def arange(start, stop=None, step=None, dtype=None):
    trace_ = trace.current()
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    bounds = (start, stop, step)
    if trace_ is None:
        return np.arange(start, stop, step, dtype=dtype)
    if any(isinstance(b, Tracer) for b in bounds):
        raise UnsupportedError("numpy.arange with traced bounds has a data-dependent length")
    if not all(isinstance(b, int | np.integer | SymDim) for b in bounds):
        values = np.arange(*[int(b) if isinstance(b, SymDim) else b for b in bounds])
        return as_tracer(values if dtype is None else values.astype(dtype), trace_)
    length = -((start - stop) // step)  # ceil((stop - start) / step)
    length = length if isinstance(length, int) and length > 0 else max(length, 0)
    values = trace_.bind(OPS["iota"], length=dims((length,))[0], dtype="int64")
    values = values * step + start if (step, start) != (1, 0) else values
    return values if dtype is None else astype(values, dtype)


@function(np.eye)
def eye(N, M=None, k=0, dtype=float):
    rows = arange(N)
    columns = arange(N if M is None else M)
    return np.equal(rows[:, None] + k, columns[None, :]).astype(dtype)


@function(np.asarray, np.array)
def asarray(x, dtype=None, copy=None):
    """x as an array. Inside a trace a numpy array (or nested list) becomes a traced
    constant, which, unlike the numpy array, can be indexed with traced arrays.

    >>> import numpy as np, jitlib as jl, jitlib.numpy as jnp
    >>> table = np.array([10.0, 20.0, 30.0])
    >>> jl.jit(lambda i: jnp.asarray(table)[i])(np.array([2, 0]))
    array([30., 10.])
    """
    if trace.current() is None:
        return np.asarray(x, dtype=dtype, copy=copy)
    if isinstance(x, list | tuple) and is_traced(x):
        x = np.stack([asarray(item) for item in x])
    x = as_tracer(x if is_traced(x) else np.asarray(x), trace_of(x))
    return x if dtype is None else astype(x, dtype, "asarray")


@function(np.from_dlpack)
def from_dlpack(x, /, *, device=None, copy=None):
    """An array from another library's (DLPack) memory: numpy's own, eagerly and for
    constants. A traced array is taken as it is, as JAX's from_dlpack takes its own arrays:
    a new array object on the same values, sharing them as numpy's result shares memory
    (a write to one shows in the other) unless copy=True.

    >>> import numpy as np, jitlib as jl, jitlib.numpy as jnp
    >>> jl.jit(lambda x: jnp.from_dlpack(x) * 2)(np.arange(3.0))
    array([0., 2., 4.])
    """
    return np.copy(x) if copy else inplace.alias(x)


def _astype(x: Tracer, dtype) -> Tracer:
    return astype(x, dtype, "ndarray.astype")


dispatch.HANDLED["astype"] = _astype
