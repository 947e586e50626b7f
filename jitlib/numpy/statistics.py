"""Statistics as composites: np.average, np.cov, np.corrcoef and the NaN-ignoring
reductions (nansum, nanmean, nanvar, nanmax, ...). Histograms are in histograms.py,
medians and quantiles in order_statistics.py."""

import numpy as np

from ir import shapes
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy import reductions
from jitlib.numpy._core import (
    as_tracer,
    astype,
    canonical_dtype,
    checked,
    dtype_name,
    function,
    is_traced,
    promote,
    refuse,
    trace_of,
)
from jitlib.numpy.creation import eye
from jitlib.tracer import Tracer

FLOAT_KINDS = ("float16", "float32", "float64", "bfloat16")


def _is_float(x: Tracer) -> bool:
    return x.value.type.dtype in FLOAT_KINDS


# --- np.average ---------------------------------------------------------------------------
@function(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=np._NoValue):
    keepdims = False if keepdims is np._NoValue else bool(keepdims)
    trace_, (a,), _ = promote(a)
    order = None if axis is None else _axis_order(a, axis)
    axes = None if axis is None else tuple(sorted(order))
    if weights is None:
        avg = reductions.mean(a, axis=axes, keepdims=keepdims)
        # numpy's scale is the number of elements averaged, in the result's dtype
        scale = astype(
            trace_.dim(reductions.element_count(a, reductions.reduction_axes(a, axes))),
            dtype_name(avg),
        )
    else:
        given = weights
        weights = _weights_along(a, as_tracer(weights, trace_of(a, weights)), order)
        kinds = [np.dtype(dtype_name(a)), np.dtype(dtype_name(weights))]
        if not _is_float(a):  # integer data is averaged in (at least) float64
            kinds.append(np.float64)
        result_dtype = canonical_dtype(np.result_type(*kinds))
        a, weights = astype(a, result_dtype), astype(weights, result_dtype)
        scale = np.sum(weights, axis=axes, keepdims=keepdims)
        scale = _nonzero_sums(given, scale, a.shape, axes, result_dtype)
        avg = np.sum(a * weights, axis=axes, keepdims=keepdims) / scale
    if not returned:
        return avg
    return avg, np.broadcast_to(scale, avg.shape) + 0  # a copy, as numpy's


ZERO_SUM = "Weights sum to zero, can't be normalized"


def _nonzero_sums(given, scale: Tracer, shape: tuple, axes, dtype: str) -> Tracer:
    """scale, the sums of the weights, where none is 0: numpy raises ZeroDivisionError
    otherwise. Weights known while tracing are checked now (numpy's error); traced ones
    when the function runs, as jl.ValueCheckError (a ValueError)."""
    if not is_traced(given):
        weights = np.asarray(given, dtype=dtype)
        same = _same_shape(weights.shape, shape)  # else all of them weigh each average
        if np.any(np.sum(weights, axis=axes if same else None) == 0):
            raise ZeroDivisionError(ZERO_SUM)
        return scale
    return checked(scale, scale == 0, ZERO_SUM)


def _axis_order(x: Tracer, axis) -> tuple:
    """axis as a tuple of non-negative axes in the order given (weights follow it)."""
    reductions.reduction_axes(x, axis)  # checks the axes
    return tuple(shapes.normalize_axis(i, x.ndim) for i in np.atleast_1d(axis).tolist())


def _weights_along(a: Tracer, weights: Tracer, axes) -> Tracer:
    """Weights of a's shape, or of the shape of a's `axes` in that order (numpy's rule),
    reshaped to broadcast against a. Sizes compare as Python does (a guard where symbolic)."""
    if _same_shape(weights.shape, a.shape):
        return weights
    if axes is None:
        raise ShapeMismatchError(
            f"np.average: weights of shape {weights.value.type} differ from a's "
            f"{a.value.type}; give the axis they run along"
        )
    if not _same_shape(weights.shape, tuple(a.shape[i] for i in axes)):
        raise ShapeMismatchError(
            f"np.average: weights {weights.value.type} do not match the shape of "
            f"{a.value.type} along axis {axes}"
        )
    weights = np.transpose(weights, tuple(int(i) for i in np.argsort(axes)))
    sizes = iter(weights.shape)
    return np.reshape(weights, tuple(next(sizes) if i in axes else 1 for i in range(a.ndim)))


def _same_shape(x: tuple, y: tuple) -> bool:
    return len(x) == len(y) and all(i == j for i, j in zip(x, y))


# --- np.cov and np.corrcoef ---------------------------------------------------------------
def _observations(m, dtype, rowvar: bool, name: str) -> Tracer:
    """m as a 2-D (variables, observations) array of dtype, as numpy's ndmin=2 makes it."""
    m = as_tracer(m, trace_of(m))
    if m.ndim > 2:
        raise ShapeMismatchError(f"np.cov: {name} has more than 2 dimensions ({m.value.type})")
    x = np.reshape(astype(m, dtype, "cov"), (1,) * (2 - m.ndim) + m.shape)
    transpose = not rowvar and (m.ndim != 1 if name == "m" else x.shape[0] != 1)
    return x.T if transpose else x


def _checked_weights(weights, samples, name: str, integral: bool):
    """numpy's checks on fweights/aweights: now where the values are known, else when the
    function runs (jl.ValueCheckError, a ValueError, also where numpy's is a TypeError)."""
    traced = isinstance(weights, Tracer)
    if not traced:
        weights = np.asarray(weights, dtype=float)
        if integral and not np.all(weights == np.around(weights)):
            raise TypeError("fweights must be integer")
    if np.ndim(weights) > 1:
        raise ShapeMismatchError(f"np.cov: cannot handle multidimensional {name}")
    if np.shape(weights)[0] != samples:
        raise ShapeMismatchError(f"np.cov: incompatible numbers of samples and {name}")
    if not traced:
        if np.any(weights < 0):
            raise ValueError(f"{name} cannot be negative")
        return weights
    weights = astype(weights, "float64")  # as numpy's asarray(weights, dtype=float)
    if integral:
        weights = checked(weights, weights != np.around(weights), "fweights must be integer")
    return checked(weights, weights < 0, f"{name} cannot be negative")


@function(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    if dtype is None:
        kinds = [np.dtype(dtype_name(as_tracer(v, trace_of(v)))) for v in (m, y) if v is not None]
        dtype = np.result_type(*kinds, np.float64)
    dtype = canonical_dtype(dtype, "cov")
    x = _observations(m, dtype, rowvar, "m")
    if x.value.type.shape[0] == 0:
        return as_tracer(np.array([]).reshape(0, 0), trace_of(m))
    if y is not None:
        x = np.concatenate((x, _observations(y, dtype, rowvar, "y")), axis=0)
    ddof = (0 if bias else 1) if ddof is None else int(ddof)
    samples = x.shape[1]
    w = None
    if fweights is not None:
        w = _checked_weights(fweights, samples, "fweights", integral=True)
    if aweights is not None:
        aweights = _checked_weights(aweights, samples, "aweights", integral=False)
        w = aweights if w is None else w * aweights
    avg, w_sum = average(x, axis=1, weights=w, returned=True)
    fact = _normalization(samples, ddof, w, aweights, w_sum[0])
    x = x - avg[:, None]
    c = x @ (x if w is None else x * w).T
    # numpy scales by 1 / fact, with fact <= 0 taken as 0 (so inf, as numpy warns)
    with np.errstate(divide="ignore"):
        scale = np.true_divide(1, as_tracer(fact, c.trace))
    return np.squeeze(c * astype(scale, dtype))


def _normalization(samples, ddof: int, w, aweights, w_sum):
    """numpy's divisor: N - ddof unweighted, else the (frequency and reliability) weighted
    count of observations less ddof, as in np.cov's documentation."""
    if w is None:
        fact = samples - ddof
        return fact if fact > 0 else 0.0
    if ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = w_sum - ddof
    else:
        fact = w_sum - ddof * np.sum(w * aweights) / w_sum
    return np.where(fact <= 0, 0.0, fact)


@function(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:  # one variable: numpy gives c / c (1, or nan for 0, inf or nan)
        return c / c
    # corr_ij = cov_ij / (sqrt(cov_ii) sqrt(cov_jj)), clipped to [-1, 1] as numpy does
    variances = np.sum(c * eye(c.shape[0], dtype=c.dtype), axis=1)
    stddev = np.sqrt(variances)
    c = c / stddev[:, None]
    c = c / stddev[None, :]
    return np.clip(c, -1, 1)


# --- NaN-ignoring reductions --------------------------------------------------------------
def _filled(a, fill) -> tuple:
    """(a with NaN replaced by fill, a's NaN mask or None for integer and bool arrays)."""
    _, (a,), _ = promote(a)
    if not _is_float(a):
        return a, None
    mask = np.isnan(a)
    return np.where(mask, fill, a), mask


def _check(name: str, out=None, where=True, initial=None, **others):
    given = {"out=": out is not None, "where=": where is not True, "initial=": initial is not None}
    refuse(name, given | {f"{keyword}=": True for keyword in others})


@function(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    _check("nansum", out=out, initial=initial, where=where)
    return np.sum(_filled(a, 0)[0], axis=axis, dtype=dtype, keepdims=keepdims)


@function(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
    _check("nanprod", out=out, initial=initial, where=where)
    return np.prod(_filled(a, 1)[0], axis=axis, dtype=dtype, keepdims=keepdims)


def _nan_extreme(name: str, numpy_function, reduce, fill: float):
    """nanmax/nanmin: the extreme of the non-NaN values, NaN for an all-NaN slice."""

    def extreme(a, axis=None, out=None, keepdims=False, initial=None, where=True):
        _check(name, out=out, initial=initial, where=where)
        filled, mask = _filled(a, fill)
        result = reduce(filled, axis=axis, keepdims=keepdims)
        if mask is None:
            return result
        return np.where(np.all(mask, axis=axis, keepdims=keepdims), np.nan, result)

    extreme.__name__ = name
    return function(numpy_function)(extreme)


nanmax = _nan_extreme("nanmax", np.nanmax, reductions.max, -np.inf)
nanmin = _nan_extreme("nanmin", np.nanmin, reductions.min, np.inf)


def _nan_arg(name: str, numpy_function, reduce):
    """nanargmax/nanargmin of integer and bool arrays (which hold no NaN). numpy raises
    ValueError for an all-NaN slice of a float array, which jit cannot check while
    tracing, so float arrays are refused."""

    def arg(a, axis=None, out=None, *, keepdims=False):
        _check(name, out=out)
        _, (a,), _ = promote(a)
        if _is_float(a):
            raise UnsupportedError(
                f"numpy.{name} of a float array is not supported inside @jit: numpy raises "
                "for an all-NaN slice, which jit cannot check while tracing; use "
                f"np.{name[3:]}(np.where(np.isnan(x), {'-' if 'max' in name else ''}np.inf, x))"
                " where no slice is all NaN"
            )
        return reduce(a, axis=axis, keepdims=keepdims)

    arg.__name__ = name
    return function(numpy_function)(arg)


nanargmax = _nan_arg("nanargmax", np.nanargmax, reductions.argmax)
nanargmin = _nan_arg("nanargmin", np.nanargmin, reductions.argmin)


def _valid_count(mask: Tracer, axis, keepdims: bool, dtype: str) -> Tracer:
    return astype(np.sum(~mask, axis=axis, keepdims=keepdims), dtype)


@function(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    _check("nanmean", out=out, where=where)
    filled, mask = _filled(a, 0)
    if mask is None:
        return reductions.mean(filled, axis=axis, dtype=dtype, keepdims=keepdims)
    total = np.sum(filled, axis=axis, dtype=dtype, keepdims=keepdims)
    # an all-NaN slice is 0 / 0 = nan, as numpy's
    return total / _valid_count(mask, axis, keepdims, dtype_name(total))


@function(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, **kwargs):
    _check("nanvar", out=out, where=where, **kwargs)
    filled, mask = _filled(a, 0)
    if mask is None:
        return reductions.var(filled, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    total = np.sum(filled, axis=axis, dtype=dtype, keepdims=True)
    mean = total / _valid_count(mask, axis, True, dtype_name(total))
    centered = np.where(mask, 0, filled - mean)
    squares = np.sum(centered * centered, axis=axis, dtype=dtype, keepdims=keepdims)
    dof = _valid_count(mask, axis, keepdims, dtype_name(squares)) - ddof
    # numpy gives nan where no degree of freedom is left (dof <= 0)
    bad = dof <= 0
    return np.where(bad, np.nan, squares / np.where(bad, 1, dof))


@function(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, **kwargs):
    variance = nanvar(a, axis, dtype, out, ddof, keepdims, where=where, **kwargs)
    # as np.std here: sqrt's infinite derivative at a zero variance is not taken
    zero = variance == 0
    return np.where(zero, variance, np.sqrt(np.where(zero, 1, variance)))


@function(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    _check("nancumsum", out=out)
    return np.cumsum(_filled(a, 0)[0], axis=axis, dtype=dtype)


@function(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    _check("nancumprod", out=out)
    return np.cumprod(_filled(a, 1)[0], axis=axis, dtype=dtype)
