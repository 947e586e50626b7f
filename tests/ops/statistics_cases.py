"""Op cases for statistics (np.average, np.cov, np.corrcoef, the nan-reductions, histograms)
and order statistics (median, quantile, percentile and their nan-versions, ptp): all
composites, so the primitives named are the ones each is built from.

NaN inputs come from `_with_nan` (about a third of the values); slices that are all NaN
(whose results are NaN, so no gradient is checked) from `_with_nan_row`.
"""

import numpy as np

import jitlib.numpy as jnp
from ops.cases import INTS, OpCase

F64 = ("float64",)
F64_I32 = ("float64", "int32")
# a few of numpy's thirteen methods (the others differ from these only in constants; all
# are checked against numpy in tests/ops/test_statistics.py)
METHODS = ("lower", "nearest", "midpoint")


def _with_nan(x):
    return np.where(x < -1.0, np.nan, x)


def _with_nan_row(x):
    """x with NaN where below -1, and one more row that is all NaN."""
    return np.concatenate([_with_nan(x), jnp.full_like(x[:1], np.nan)])


def averages(x, w):
    unweighted = np.average(x, axis=(0, -1), keepdims=True, returned=True)
    return unweighted + np.average(x, axis=1, weights=w, returned=True)


def covariances(x, f, w):
    return np.cov(x), np.cov(x, rowvar=False, bias=True), np.cov(x, fweights=f, aweights=w)


def correlations(x, y):
    return np.corrcoef(x, y, rowvar=False)


def nan_reductions(x):
    y = _with_nan(x)
    sums = np.nansum(y, axis=-1), np.nanprod(y, axis=0), np.nancumsum(y, axis=1), np.nancumprod(y)
    extremes = np.nanmax(y, axis=-1), np.nanmin(y, axis=(0, 1), keepdims=True)
    moments = np.nanmean(y, axis=0), np.nanvar(y, axis=-1, ddof=1), np.nanstd(y)
    return sums + extremes + moments


def all_nan_slices(x):
    """The nan-functions on a row that is all NaN (numpy: NaN, 0 for nansum), and the
    plain median and quantile of rows holding a NaN (NaN)."""
    y = _with_nan_row(x)
    reduced = (np.nansum, np.nanmax, np.nanvar, np.nanmedian, np.median)
    return tuple(f(y, axis=1) for f in reduced) + (
        np.nanquantile(y, [0.2, 0.5], axis=1, method="nearest"),
        np.quantile(y, 0.3, axis=1),
    )


def nan_integers(x):
    return np.nanargmax(x, axis=1), np.nanargmin(x), np.nanmean(x, axis=0), np.nanmedian(x)


def histograms(x, w):
    counts, edges = np.histogram(x, 5, range=(-1.0, 2.0))
    explicit = np.histogram(x, np.array([-3.0, -1.0, 0.0, 0.5, 4.0]))[0]
    weighted, data_edges = np.histogram(x, 3, weights=w, density=True)
    return counts, edges, explicit, weighted, data_edges, np.histogram_bin_edges(x, 4)


def order_statistics(x, q):
    quantiles = np.quantile(x, [0.0, 0.3, 1.0], axis=0), np.quantile(x, np.abs(q), axis=1)
    return (np.median(x, axis=-1),) + quantiles + (np.ptp(x, axis=0),)


def quantile_methods(x):
    by_method = [np.percentile(x, 40, axis=-1, method=method) for method in METHODS]
    return tuple(by_method) + (np.quantile(x, [0.2, 0.75], axis=0, method="median_unbiased"),)


def nan_order(x):
    y = _with_nan(x)
    return np.nanmedian(y, axis=-1), np.nanpercentile(y, [25, 90], axis=-1, keepdims=True)


# fmt: off
CASES = [
    OpCase(name="averages", fn=averages, primitive=("multiply", "sum"), domain=("real", "positive"), dtypes=F64_I32, shapes=(((3, 4), (4,)), ((2, 5, 3), (5,)))),
    OpCase(name="covariances", fn=covariances, primitive=("matmul", "sum"), domain=("real", "shift", "positive"), dtypes=F64, shapes=(((3, 4), (4,), (4,)), ((2, 5), (5,), (5,)))),
    OpCase(name="correlations", fn=correlations, primitive=("matmul", "sqrt"), dtypes=F64, shapes=(((5, 2), (5,)), ((4, 3), (4,)))),
    OpCase(name="nan_reductions", fn=nan_reductions, primitive=("isnan", "sum", "prod", "cumsum", "cumprod", "max", "min"), dtypes=F64, shapes=(((3, 4),), ((3, 6),))),
    OpCase(name="all_nan_slices", fn=all_nan_slices, primitive=("isnan", "argsort"), dtypes=F64, shapes=(((3, 4),),)),
    OpCase(name="nan_integers", fn=nan_integers, primitive=("argmax", "argmin", "argsort"), domain="int", dtypes=INTS, shapes=(((3, 4),),)),
    OpCase(name="histograms", fn=histograms, primitive=("max", "min", "greater_equal", "check"), domain=("real", "positive"), dtypes=F64 + (("int32", "float64"),), shapes=(((3, 4), (3, 4)), ((7,), (7,)))),
    OpCase(name="order_statistics", fn=order_statistics, primitive=("argsort", "take_along_axis"), domain=("real", "unit"), dtypes=F64, shapes=(((4, 3), (2,)), ((3, 5, 2), ()))),
    OpCase(name="quantile_methods", fn=quantile_methods, primitive=("argsort", "take_along_axis"), dtypes=F64, shapes=(((3, 4),), ((5, 2),))),
    OpCase(name="nan_order", fn=nan_order, primitive=("argsort", "take_along_axis"), dtypes=F64, shapes=(((3, 5),), ((2, 3, 4),))),
]
# fmt: on
