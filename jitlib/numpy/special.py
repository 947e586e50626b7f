"""scipy.special's ufuncs on traced arrays: the primitives of ir/ops/special.py, and stable
composites of numpy's ufuncs for the others. scipy is optional and never imported here: the
functions are registered by name (dispatch.BY_NAME) and found once a user's call of a
scipy.special ufunc reaches the tracer."""

import math

import numpy as np

from ir.ops import OPS
from jitlib import dispatch
from jitlib.errors import UnsupportedError
from jitlib.numpy import array_api  # noqa: F401  (x.__array_namespace__, for scipy's functions)
from jitlib.numpy._core import astype, promote
from jitlib.tracer import Tracer

_SQRT1_2 = math.sqrt(0.5)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)

SPECIAL: dict = {}


def _register(*names: str):
    def register(fn):
        for name in names:
            SPECIAL[name] = fn
        return fn

    return register


def _floats(name: str, args, kwargs) -> tuple:
    """The arguments as tracers in the dtype scipy computes in: float32 where all are
    float32 (Python scalars adapt, NEP 50), float64 otherwise."""
    if kwargs:  # out=, where=, dtype=, ...
        raise UnsupportedError(
            f"scipy.special.{name} with {', '.join(f'{k}=' for k in kwargs)} is not supported "
            "inside @jit; eager scipy still works without @jit"
        )
    trace_, tracers, _ = promote(*args)
    float32 = all(t.dtype == np.float32 for t in tracers)
    return trace_, [astype(t, "float32" if float32 else "float64") for t in tracers]


def _primitive(name: str):
    def apply(*args, **kwargs):
        trace_, tracers = _floats(name, args, kwargs)
        return trace_.bind(OPS[name], *tracers)

    apply.__name__ = name
    return apply


for _name in ("erf", "erfc", "erfinv", "ndtri", "gammaln", "digamma"):
    SPECIAL[_name] = _primitive(_name)
SPECIAL["psi"] = SPECIAL["digamma"]


@_register("expit")
def expit(x, **kwargs):
    """1 / (1 + e^-x), written with e^-|x| <= 1 so that neither sign overflows."""
    _, (x,) = _floats("expit", (x,), kwargs)
    small = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + small), small / (1 + small))


@_register("logit")
def logit(p, **kwargs):
    _, (p,) = _floats("logit", (p,), kwargs)
    return np.log(p / (1 - p))


def _x_times(fn, name: str, x, y, kwargs, neutral: float) -> Tracer:
    """x * fn(y), and 0 where x == 0 unless y is nan (scipy's xlogy/xlog1py). y is swapped
    for `neutral` (fn(neutral) = 0) there, so neither the value nor the derivatives meet
    log(0) or log of a negative: d/dx = fn(y), 0 where x == 0; d/dy = x fn'(y)."""
    _, (x, y) = _floats(name, (x, y), kwargs)
    zero_x = (x == 0) & ~np.isnan(y)
    return x * fn(np.where(zero_x, neutral, y))


@_register("xlogy")
def xlogy(x, y, **kwargs):
    return _x_times(np.log, "xlogy", x, y, kwargs, 1.0)


@_register("xlog1py")
def xlog1py(x, y, **kwargs):
    return _x_times(np.log1p, "xlog1py", x, y, kwargs, 0.0)


def _ndtr(x: Tracer) -> Tracer:
    # Phi(x) = erfc(-x / sqrt 2) / 2, accurate in both tails (erfc has no cancellation)
    return 0.5 * SPECIAL["erfc"](-x * _SQRT1_2)


@_register("ndtr")
def ndtr(x, **kwargs):
    _, (x,) = _floats("ndtr", (x,), kwargs)
    return _ndtr(x)


def _log_ndtr_tail(x: Tracer) -> Tracer:
    """log Phi(x) for x << 0 from the asymptotic series Phi(x) = phi(x)/(-x) (1 - 1/x^2 +
    3/x^4 - 15/x^6 + 105/x^8 - 945/x^10 ...) (Abramowitz & Stegun 26.2.12)."""
    inverse_square = 1 / (x * x)
    series, term = 1.0, 1.0
    for k in range(1, 6):
        term = term * (-(2 * k - 1)) * inverse_square
        series = series + term
    return -0.5 * x * x - np.log(-x) - _LOG_SQRT_2PI + np.log(series)


@_register("log_ndtr")
def log_ndtr(x, **kwargs):
    """log Phi(x): log1p(-Phi(-x)) above 0, log(Phi(x)) down to where Phi underflows, then
    the asymptotic series. Each branch gets an input it is finite at (the others'
    positions swapped for a harmless value), so no discarded branch spoils a derivative."""
    _, (x,) = _floats("log_ndtr", (x,), kwargs)
    tail_start = -10.0 if x.dtype == np.float32 else -20.0
    upper = x > 0
    tail = x < tail_start
    positive = np.where(upper, x, 1.0)
    middle = np.where(upper | tail, -1.0, x)
    far = np.where(tail, x, 2 * tail_start)
    above = np.log1p(-_ndtr(-positive))
    between = np.log(_ndtr(middle))
    return np.where(upper, above, np.where(tail, _log_ndtr_tail(far), between))


dispatch.BY_NAME["scipy.special"] = SPECIAL
