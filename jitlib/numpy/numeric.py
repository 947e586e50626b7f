"""Numeric helpers as composites: select, piecewise, interp, convolve and correlate,
trapezoid, polyval and polyfit, ediff1d, cumulative_sum/prod, apply_along_axis and a
vectorize traced through jl.vmap."""

import operator
import re

import numpy as np

from ir.shapes import dims_equal as shapes_equal
from jitlib import transforms
from jitlib.errors import ShapeMismatchError
from jitlib.numpy._core import as_tracer, astype, function, promote, refuse
from jitlib.numpy.arrange import _along, diff
from jitlib.numpy.creation import full, zeros_like
from jitlib.numpy.layout import _axis, broadcast_to, concatenate, moveaxis, reshape
from jitlib.tracer import Tracer


def _tracer(x) -> Tracer:
    return promote(x)[1][0]


@function(np.select)
def select(condlist, choicelist, default=0):
    """The first true condition's choice, else `default`: np.where applied from the last
    condition to the first."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    trace_, (default, *choices), _ = promote(default, *choicelist)
    result = default
    for cond, choice in reversed(list(zip(condlist, choices))):
        cond = as_tracer(cond, trace_)
        if cond.dtype != np.bool_:
            raise TypeError(
                f"invalid entry in condlist: should be boolean ndarray, got {cond.dtype}"
            )
        result = np.where(cond, choice, result)
    return result


@function(np.piecewise)
def piecewise(x, condlist, funclist, *args, **kw):
    """Each function (or constant) applied to the whole of x and kept where its condition
    holds, later conditions winning as numpy's successive writes do; with one function more
    than conditions, the last applies where none holds. Unlike numpy, each function sees
    every element (its values elsewhere are discarded)."""
    x = _tracer(x)
    if isinstance(condlist, Tracer | np.ndarray | bool):
        condlist = [condlist]
    condlist = [as_tracer(c, x.trace) for c in condlist]
    if len(funclist) == len(condlist) + 1:
        otherwise = ~np.any(np.stack([broadcast_to(c, x.shape) for c in condlist]), axis=0)
        condlist = [*condlist, otherwise]
    elif len(funclist) != len(condlist):
        raise ValueError(
            f"with {len(condlist)} condition(s), either {len(condlist)} or {len(condlist) + 1} "
            f"functions are expected"
        )
    result = zeros_like(x)
    for cond, fn in zip(condlist, funclist):
        value = fn(x, *args, **kw) if callable(fn) else fn
        result = np.where(cond, astype(_tracer(value), x.dtype), result)
    return result


def _interp_grid(xp, fp, period):
    """xp and fp as float64; with a period, both sorted by xp mod period and extended by one
    point at each end (numpy's way of wrapping around)."""
    xp, fp = _tracer(xp), _tracer(fp)
    xp, fp = astype(xp, "float64"), astype(fp, "float64")
    if period is None:
        return xp, fp
    order = np.argsort(np.remainder(xp, period))
    xp, fp = np.remainder(xp, period)[order], fp[order]
    xp = concatenate((xp[-1:] - period, xp, xp[0:1] + period))
    return xp, concatenate((fp[-1:], fp, fp[0:1]))


@function(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """Linear interpolation with xp increasing. The interval of each x is found by counting
    the xp at or below it (static shape, exact; O(len(x) * len(xp)) comparisons)."""
    if period is not None:
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period, left, right = abs(period), None, None
    x = astype(_tracer(x), "float64")
    if period is not None:
        x = np.remainder(x, period)
    xp, fp = _interp_grid(xp, fp, period)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape[0] != fp.shape[0]:
        raise ShapeMismatchError("numpy.interp: fp and xp are not of the same length")
    n = xp.shape[0]
    j = np.sum(x[..., None] >= xp, axis=-1) - 1
    j = np.clip(j, 0, 0 if isinstance(n, int) and n < 2 else n - 2)  # the interval's start
    x0, f0 = xp[j], fp[j]
    x1, f1 = xp[np.minimum(j + 1, n - 1)], fp[np.minimum(j + 1, n - 1)]
    # f0 + slope * (x - x0), as numpy computes it; exactly f0 at x0 and fp[-1] at xp[-1]
    inside = np.where(x == x0, f0, f0 + (f1 - f0) / (x1 - x0) * (x - x0))
    inside = np.where(x == xp[-1], fp[-1], inside)
    below = fp[0] if left is None else left
    above = fp[-1] if right is None else right
    result = np.where(x < xp[0], below, np.where(x > xp[-1], above, inside))
    return np.where(np.isnan(x), x, result)


def _correlate_full(a, v):
    """c[k] = sum_j a_padded[k + j] * v[j], a padded with len(v) - 1 zeros at each end:
    every overlap of v sliding along a (numpy's correlate, 'full'). One term per element
    of v, so its length is needed (a guard)."""
    m = operator.index(v.shape[0])
    padded = np.pad(a, (m - 1, m - 1)) if m > 1 else a
    length = a.shape[0] + m - 1
    total = padded[0:length] * v[0]
    for j in range(1, m):
        total = total + padded[j : j + length] * v[j]
    return total


def _correlation(name: str, a, v, mode: str, flip_v: bool):
    """correlate(a, v), of v reversed for a convolution; the sum runs over the shorter
    one (correlate(v, a) is correlate(a, v) reversed), and 'same' and 'valid' are the
    middle of 'full' as numpy centres them on the longer input."""
    refuse(name, {f"mode={mode!r}": mode not in ("full", "same", "valid")})
    trace_, (a, v), _ = promote(a, v)
    if a.ndim != 1 or v.ndim != 1:
        raise ShapeMismatchError(f"numpy.{name}: both inputs must be 1-d, got {a.shape}, {v.shape}")
    n, m = a.shape[0], v.shape[0]
    if n == 0 or m == 0:
        raise ValueError(f"{'v' if m == 0 else 'a'} cannot be empty")
    v = v[::-1] if flip_v else v
    full_ = _correlate_full(a, v) if m <= n else _correlate_full(v, a)[::-1]
    short, long = (m, n) if m <= n else (n, m)
    if mode == "full":
        return full_
    if mode == "valid":
        return full_[short - 1 : long]
    start = (short - 1) // 2
    return full_[start : start + long]


@function(np.correlate)
def correlate(a, v, mode="valid"):
    return _correlation("correlate", a, v, mode, flip_v=False)


@function(np.convolve)
def convolve(a, v, mode="full"):
    # convolution is correlation with the kernel reversed
    return _correlation("convolve", a, v, mode, flip_v=True)


@function(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """sum of d * (y[i] + y[i+1]) / 2 along `axis`, d the spacing (dx, or diff(x))."""
    y = _tracer(y)
    axis = _axis(axis, y.ndim, "trapezoid")
    if x is None:
        d = dx
    else:
        x = _tracer(x)
        if x.ndim == 1:
            shape = [1] * y.ndim
            shape[axis] = x.shape[0] - 1
            d = reshape(diff(x), tuple(shape))
        else:
            d = diff(x, axis=axis)
    upper, lower = y[_along(y, axis, slice(1, None))], y[_along(y, axis, slice(None, -1))]
    return np.sum(d * (upper + lower) / 2.0, axis=axis)


@function(np.polyval)
def polyval(p, x):
    """Horner's rule, y = y * x + p[i], from zeros like x (its dtype, as numpy starts)."""
    trace_, (p, x), _ = promote(p, x)
    y = zeros_like(x)
    for i in range(operator.index(p.shape[0])):
        y = y * x + p[i]
    return y


@function(np.polyfit)
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """numpy's least-squares fit: the Vandermonde matrix (weighted rows, unit-norm columns)
    solved through its pseudo-inverse, which is lstsq's solution with the same singular
    value cutoff. numpy's RankWarning (a check of the data) is not given."""
    refuse("polyfit", {"full=True": bool(full), "cov=True": bool(cov)})
    trace_, (x, y), _ = promote(x, y)
    x, y = x + 0.0, y + 0.0
    order = operator.index(deg) + 1
    if order < 1:
        raise ValueError("expected deg >= 0")
    if x.ndim != 1 or y.ndim not in (1, 2):
        raise TypeError("expected 1D vector for x and a 1D or 2D y")
    if not shapes_equal(x.value.type.shape[0], y.value.type.shape[0]):
        raise TypeError("expected x and y to have same length")
    if rcond is None:  # numpy's default: len(x) * eps
        rcond = as_tracer(x.shape[0], trace_, "float64") * float(np.finfo(x.dtype).eps)
    lhs = x[:, None] ** np.arange(order - 1, -1, -1)
    rhs = y
    if w is not None:
        w = _tracer(w) + 0.0
        lhs = lhs * w[:, None]
        rhs = rhs * (w[:, None] if rhs.ndim == 2 else w)
    scale = np.sqrt(np.sum(lhs * lhs, axis=0))
    coefficients = np.linalg.pinv(lhs / scale, rcond=rcond) @ rhs
    return (coefficients.T / scale).T


@function(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    ary = reshape(_tracer(ary), (-1,))
    pieces = [ary[1:] - ary[:-1]]
    for extra, at_end in ((to_begin, False), (to_end, True)):
        if extra is None:
            continue
        extra = as_tracer(extra, ary.trace)
        if not np.can_cast(extra.dtype, ary.dtype, casting="same_kind"):
            raise TypeError(
                f"dtype of `{'to_end' if at_end else 'to_begin'}` must be compatible with "
                f"input `ary` under the `same_kind` rule."
            )
        extra = reshape(astype(extra, ary.dtype), (-1,))
        pieces = [*pieces, extra] if at_end else [extra, *pieces]
    return concatenate([astype(piece, ary.dtype) for piece in pieces])


def _cumulative(name: str, numpy_function, scan, identity: int):
    def apply(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        refuse(name, {"out=": out is not None})
        x = _tracer(x)
        if axis is None:
            if x.ndim > 1:
                raise ValueError(
                    "For arrays which have more than one dimension ``axis`` argument is required."
                )
            axis = 0
        axis = _axis(axis, max(x.ndim, 1), name)
        result = scan(reshape(x, (1,)) if x.ndim == 0 else x, axis=axis, dtype=dtype)
        if include_initial:
            shape = result.shape[:axis] + (1,) + result.shape[axis + 1 :]
            result = concatenate([full(shape, identity, dtype=result.dtype), result], axis=axis)
        return result

    apply.__name__ = name
    return function(numpy_function)(apply)


cumulative_sum = _cumulative("cumulative_sum", np.cumulative_sum, np.cumsum, 0)
cumulative_prod = _cumulative("cumulative_prod", np.cumulative_prod, np.cumprod, 1)


@function(np.apply_along_axis)
def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """func1d applied to every 1-d slice along `axis`: jl.vmap over each other axis; the
    dims func1d returns take `axis`'s place, as numpy puts them."""
    arr = _tracer(arr)
    axis = _axis(axis, arr.ndim, "apply_along_axis")
    moved = moveaxis(arr, axis, -1)

    def fn(row):
        return func1d(row, *args, **kwargs)

    for _ in range(arr.ndim - 1):
        fn = transforms.vmap(fn)
    out = _tracer(fn(moved))
    core = out.ndim - (arr.ndim - 1)
    source = list(range(arr.ndim - 1, out.ndim))
    return moveaxis(out, source, list(range(axis, axis + core))) if core else out


class vectorize:
    """numpy's vectorize, traced: `pyfunc` is applied through jl.vmap over the broadcast
    loop dims of its arguments (all but a gufunc `signature`'s core dims) (np.vectorize itself turns arguments into object arrays,
    which a trace cannot follow, so use this one inside @jit).

    >>> import numpy as np, jitlib as jl, jitlib.numpy as jnp
    >>> f = jnp.vectorize(lambda a, b: a - b if a > 0 else a + b)
    >>> f(np.array([1.0, -1.0]), 0.5)  # eager: numpy's own vectorize
    array([ 0.5, -0.5])
    """

    def __init__(self, pyfunc, otypes=None, doc=None, excluded=None, cache=False, signature=None):
        self.pyfunc = pyfunc
        self.otypes = otypes
        self.excluded = set(excluded or ())
        self.signature = signature
        self.eager = np.vectorize(pyfunc, otypes, doc, excluded, cache, signature)
        self.__doc__ = doc or pyfunc.__doc__

    def __call__(self, *args, **kwargs):
        traced = any(isinstance(a, Tracer) for a in (*args, *kwargs.values()))
        if not traced:
            return self.eager(*args, **kwargs)
        mapped = [i for i in range(len(args)) if i not in self.excluded]
        static = {k: v for k, v in kwargs.items() if k in self.excluded}
        names = [k for k in kwargs if k not in self.excluded]
        trace_, arrays, _ = promote(*[args[i] for i in mapped], *[kwargs[k] for k in names])
        core = _core_ranks(self.signature, arrays)
        arrays = _broadcast_loops(arrays, core) if arrays else []

        def call(*values):
            full_args = list(args)
            for i, value in zip(mapped, values):
                full_args[i] = value
            named = dict(zip(names, values[len(mapped) :]))
            return self.pyfunc(*full_args, **static, **named)

        fn = call
        rank = arrays[0].ndim - core[0] if arrays else 0
        for _ in range(rank):
            fn = transforms.vmap(fn)
        out = fn(*arrays)
        return _with_otypes(out, self.otypes)


def _core_ranks(signature, arrays) -> list:
    """The number of core dims of each argument in a gufunc signature ("(n),(n)->()"),
    after checking that the arguments have them and that dims of one name agree."""
    if signature is None:
        return [0] * len(arrays)
    inputs = re.findall(r"\(([^()]*)\)", signature.split("->")[0])
    names = [[d.strip() for d in group.split(",") if d.strip()] for group in inputs]
    if len(names) != len(arrays):
        raise TypeError(f"wrong number of positional arguments: expected {len(names)}")
    sizes = {}
    for a, dims_ in zip(arrays, names):
        if a.ndim < len(dims_):
            raise ValueError(f"input with shape {a.shape} does not have enough dimensions")
        for name, size in zip(dims_, a.value.type.shape[a.ndim - len(dims_) :]):
            if name in sizes and not shapes_equal(sizes[name], size):
                raise ValueError(f"inconsistent size for core dimension {name!r}")
            sizes.setdefault(name, size)
    return [len(dims_) for dims_ in names]


def _broadcast_loops(arrays: list, core: list) -> list:
    """The arguments with their loop dims (all but the `core` trailing ones) broadcast
    against each other, core dims as they are."""
    loops = np.broadcast_arrays(*[a[(...,) + (0,) * c] for a, c in zip(arrays, core)])
    return [
        broadcast_to(a, loop.shape + a.shape[a.ndim - c :])
        for a, loop, c in zip(arrays, loops, core)
    ]


def _with_otypes(out, otypes):
    if otypes is None:
        return out
    otypes = [np.dtype(t) for t in (otypes if not isinstance(otypes, str) else list(otypes))]
    if isinstance(out, tuple):
        return tuple(astype(_tracer(o), t) for o, t in zip(out, otypes))
    return astype(_tracer(out), otypes[0])
