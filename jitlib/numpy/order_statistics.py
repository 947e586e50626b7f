"""Order statistics as composites on np.sort: median, percentile, quantile, their NaN-ignoring
versions, and ptp. The reduced axes are moved last and merged (numpy's _ureduce), sorted
(NaN last, numpy's order), and the order statistics are gathered with take_along_axis at
indices computed in the trace: symbolic sizes stay symbolic, and the nan-versions use each
row's own count of numbers. Gradients flow back through the sort to the elements picked."""

import numpy as np

from ir import shapes
from ir.errors import ShapeError
from ir.ops import OPS
from jitlib.errors import IndexOutOfBoundsError, ShapeMismatchError
from jitlib.numpy import statistics
from jitlib.numpy._core import as_tracer, astype, dtype_name, function, promote, refuse
from jitlib.tracer import Tracer

# Hyndman and Fan's continuous methods: virtual index n q + alpha + q (1 - alpha - beta) - 1
CONTINUOUS = {
    "interpolated_inverted_cdf": (0.0, 1.0),
    "hazen": (0.5, 0.5),
    "weibull": (0.0, 0.0),
    "median_unbiased": (1 / 3.0, 1 / 3.0),
    "normal_unbiased": (3 / 8.0, 3 / 8.0),
}
INTERPOLATED = ("linear", "midpoint", "averaged_inverted_cdf", *CONTINUOUS)
DISCRETE = ("lower", "higher", "nearest", "inverted_cdf", "closest_observation")


# --- the reduced axes, last and merged ----------------------------------------------------
class Lined:
    """x with the reduced axes moved last and merged into one, and the shape keepdims asks."""

    def __init__(self, a, axis, name: str):
        _, (x,), _ = promote(a)
        try:
            axes = shapes.normalize_axes(axis, x.ndim)
        except ShapeError as error:
            raise ShapeMismatchError(f"numpy.{name}: {error}") from None
        kept = [i for i in range(x.ndim) if i not in axes]
        self.kept_shape = tuple(x.shape[i] for i in kept)
        self.keepdims_shape = tuple(1 if i in axes else x.shape[i] for i in range(x.ndim))
        x = np.transpose(x, tuple(kept) + axes) if x.ndim else x
        self.x = np.reshape(x, self.kept_shape + (-1,))

    @property
    def empty(self) -> bool:
        return self.x.value.type.shape[-1] == 0

    def finish(self, result: Tracer, q_shape: tuple, keepdims: bool) -> Tracer:
        return np.reshape(result, q_shape + self.keepdims_shape) if keepdims else result


def _sorted(lined: Lined, ignore_nan: bool) -> tuple:
    """(the sorted rows; how many numbers each holds, as a (kept..., 1) int64 array or a
    size; the (kept...) mask of rows holding a NaN, None where that cannot matter)."""
    ordered = np.sort(lined.x, axis=-1)
    floats = ordered.dtype.kind == "f"
    if ignore_nan and floats:
        return ordered, np.sum(~np.isnan(ordered), axis=-1, keepdims=True), None
    has_nan = np.isnan(ordered[..., -1]) if floats else None  # NaN sorts last
    return ordered, ordered.trace.dim(ordered.shape[-1]), has_nan


def _gather(ordered: Tracer, index: Tracer, count, q_ndim: int) -> Tracer:
    """ordered[..., index], with index held inside [0, count - 1] (beyond either end numpy
    takes the first or last value). index has shape q.shape + kept + (1,) or broadcasts
    against it; the result has shape q.shape + kept."""
    index = np.clip(astype(index, "int64"), 0, np.maximum(count - 1, 0))
    if index.ndim == 0:
        index = np.reshape(index, (1,) * ordered.ndim)
    lifted = np.reshape(ordered, (1,) * q_ndim + ordered.shape)
    return np.take_along_axis(lifted, index, axis=-1)[..., 0]


# --- np.median ----------------------------------------------------------------------------
def _median(a, axis, keepdims: bool, ignore_nan: bool, name: str):
    lined = Lined(a, axis, name)
    if lined.empty:  # numpy: the mean of nothing, nan
        return lined.finish(np.full(lined.kept_shape, np.nan), (), keepdims)
    ordered, count, has_nan = _sorted(lined, ignore_nan)
    per_row = ignore_nan and ordered.dtype.kind == "f"  # counts of numbers per row
    if ordered.dtype.kind != "f":  # numpy averages integers in float64
        ordered = astype(ordered, "float64")
    # the middle value, or the mean of the two middle values of an even count: the
    # gradient goes to the middle element, or half to each of the two
    low = _gather(ordered, (count - 1) // 2, count, 0)
    high = _gather(ordered, count // 2, count, 0)
    result = (low + high) / 2
    if has_nan is not None:  # a NaN anywhere in the row makes its median NaN
        result = np.where(has_nan, np.nan, result)
    if per_row:  # and so is a row of NaN alone
        result = np.where(count[..., 0] == 0, np.nan, result)
    return lined.finish(result, (), keepdims)


@function(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    refuse("median", {"out=": out is not None})
    return _median(a, axis, keepdims, ignore_nan=False, name="median")


@function(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=np._NoValue):
    refuse("nanmedian", {"out=": out is not None})
    keepdims = False if keepdims is np._NoValue else bool(keepdims)
    return _median(a, axis, keepdims, ignore_nan=True, name="nanmedian")


# --- np.quantile and np.percentile --------------------------------------------------------
class Quantiles:
    """q as numpy reads it: `weak` for a Python int or float (the result keeps a's float
    dtype), checked to lie in [0, 1]: while tracing when known, else when the function runs."""

    def __init__(self, q, scale: float, trace_):
        self.weak = type(q) in (int, float)
        self.traced = isinstance(q, Tracer)
        if not self.traced:
            q = np.true_divide(q, scale) if scale != 1 else np.asanyarray(q)
            if q.ndim > 2 or not (np.all(q >= 0) and np.all(q <= 1)):
                what, limit = ("Percentiles", 100) if scale != 1 else ("Quantiles", 1)
                raise ValueError(f"{what} must be in the range [0, {limit}]")
        elif scale != 1:
            q = q / scale
        self.value = as_tracer(q, trace_)
        self.integer = self.value.dtype.kind in "iub"
        self.shape = self.value.shape

    def lined_against(self, kept_ndim: int) -> Tracer:
        """q shaped q.shape + (1,) * kept_ndim + (1,), in the dtype numpy computes the
        virtual index in: q's own float dtype, float64 for integers or a Python number."""
        dtype = "float64" if self.weak or self.integer else dtype_name(self.value)
        return np.reshape(astype(self.value, dtype), self.shape + (1,) * (kept_ndim + 1))


def _virtual_index(method: str, n: Tracer, q: Tracer) -> Tracer:
    """Where the q-quantile sits among n sorted values (Hyndman and Fan), in q's dtype."""
    if method in ("linear", "lower", "higher", "nearest", "midpoint"):
        index = (n - 1) * q
        if method == "midpoint":
            return 0.5 * (np.floor(index) + np.ceil(index))
        return index
    if method in CONTINUOUS:
        alpha, beta = CONTINUOUS[method]
        return n * q + (alpha + q * (1 - alpha - beta)) - 1
    if method == "closest_observation":
        return n * q - 1 - 0.5
    return n * q - 1  # inverted_cdf, averaged_inverted_cdf


def _discrete_index(method: str, index: Tracer) -> Tracer:
    """The one position a discrete method picks: floor, ceil, round half to even, or the
    inverted-CDF rules (the lower neighbour only at an exact hit, and for
    closest_observation only where it is odd: H&F's even order statistic, 1-based)."""
    if method == "lower":
        return np.floor(index)
    if method == "higher":
        return np.ceil(index)
    if method == "nearest":
        return np.around(index)
    previous = np.floor(index)
    exact = index - previous == 0
    if method == "closest_observation":
        exact = exact & (previous % 2 == 1)
    return np.where(exact, previous, previous + 1)


def _gamma(method: str, index: Tracer, previous: Tracer) -> Tracer:
    """The interpolation weight between the two neighbours: the fractional part of the
    virtual index, or numpy's fixed weights for midpoint and averaged_inverted_cdf."""
    if method == "midpoint":
        return astype(np.where(index % 1 == 0, 0.0, 0.5), dtype_name(index))
    if method == "averaged_inverted_cdf":
        return astype(np.where(index - previous == 0, 0.5, 1.0), dtype_name(index))
    return index - previous


def _lerp(low: Tracer, high: Tracer, t: Tracer) -> Tracer:
    """numpy's two-sided linear interpolation: low + (high - low) t below t = 0.5, and
    high - (high - low)(1 - t) from there on (exact at t = 1)."""
    diff = high - low
    return np.where(t >= 0.5, high - diff * (1 - t), low + diff * t)


def _interpolated(method, ordered, count, n, q: Tracer, quantiles: Quantiles) -> Tracer:
    index = _virtual_index(method, n, q)
    previous = np.floor(index)
    gamma = _gamma(method, index, previous)
    if quantiles.weak:  # a Python q: the weight is a Python float, weak against a's dtype
        dtype = dtype_name(ordered) if ordered.dtype.kind == "f" else "float64"
    else:
        dtype = np.result_type(np.dtype(dtype_name(ordered)), np.dtype(dtype_name(gamma))).name
    q_ndim = len(quantiles.shape)
    low = _gather(ordered, previous, count, q_ndim)
    high = _gather(ordered, previous + 1, count, q_ndim)
    # as numpy: the neighbours' difference in a's dtype, the weight in the result's
    return _lerp(low, high, astype(gamma[..., 0], dtype))


def _quantile(a, q, axis, method: str, keepdims: bool, ignore_nan: bool, name: str, scale=1):
    if method not in INTERPOLATED + DISCRETE:
        raise ValueError(f"{method!r} is not a valid method. Use one of: {INTERPOLATED + DISCRETE}")
    lined = Lined(a, axis, name)
    quantiles = Quantiles(q, scale, lined.x.trace)
    if lined.empty:
        if ignore_nan:  # numpy hands an empty array to nanmean, whatever q
            return statistics.nanmean(a, axis=axis, keepdims=keepdims)
        raise IndexOutOfBoundsError(f"numpy.{name} of an empty slice: there is no value to take")
    ordered, count, has_nan = _sorted(lined, ignore_nan)
    kept_ndim = len(lined.kept_shape)
    q_lined = quantiles.lined_against(kept_ndim)
    n = astype(as_tracer(count, ordered.trace), dtype_name(q_lined))
    if method in DISCRETE or (method == "linear" and quantiles.integer):
        index = _virtual_index(method, n, q_lined)
        index = index if method == "linear" else _discrete_index(method, index)
        result = _gather(ordered, index, count, len(quantiles.shape))  # a's own dtype
    else:
        result = _interpolated(method, ordered, count, n, q_lined, quantiles)
    if has_nan is not None:  # numpy gives NaN for a row holding one
        result = np.where(has_nan, np.nan, result)
    if ignore_nan and ordered.dtype.kind == "f":  # and for a row of NaN alone
        result = np.where(count[..., 0] == 0, np.nan, result)
    if quantiles.traced:
        result = _checked_q(result, quantiles, scale)
    return lined.finish(result, quantiles.shape, keepdims)


def _checked_q(result: Tracer, quantiles: Quantiles, scale: float) -> Tracer:
    """numpy raises for q outside [0, 1] (or NaN); a traced q is checked when the function
    runs (jl.ValueCheckError, a ValueError)."""
    what, limit = ("Percentiles", 100) if scale != 1 else ("Quantiles", 1)
    q = quantiles.value
    bad = ~((q >= 0) & (q <= 1))
    message = f"{what} must be in the range [0, {limit}]"
    return result.trace.bind(OPS["check"], result, bad, message=message)


def _quantile_function(name: str, numpy_function, ignore_nan: bool, scale: float):
    def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                 keepdims=False, *, weights=None, interpolation=None):  # fmt: skip
        refuse(name, {"out=": out is not None, "weights=": weights is not None})
        refuse(name, {"interpolation= (deprecated)": interpolation is not None})
        keepdims = False if keepdims is np._NoValue else bool(keepdims)
        return _quantile(a, q, axis, method, keepdims, ignore_nan, name, scale)

    quantile.__name__ = name
    return function(numpy_function)(quantile)


quantile = _quantile_function("quantile", np.quantile, ignore_nan=False, scale=1)
percentile = _quantile_function("percentile", np.percentile, ignore_nan=False, scale=100)
nanquantile = _quantile_function("nanquantile", np.nanquantile, ignore_nan=True, scale=1)
nanpercentile = _quantile_function("nanpercentile", np.nanpercentile, ignore_nan=True, scale=100)


# --- np.ptp -------------------------------------------------------------------------------
@function(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """The range max - min (peak to peak); its gradient goes to the two extremes."""
    refuse("ptp", {"out=": out is not None})
    keepdims = False if keepdims is np._NoValue else bool(keepdims)
    return np.subtract(
        np.max(a, axis=axis, keepdims=keepdims), np.min(a, axis=axis, keepdims=keepdims)
    )
