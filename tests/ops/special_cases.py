"""Op cases for scipy.special's ufuncs on traced arrays (jitlib/numpy/special.py and the
primitives of ir/ops/special.py). scipy is in the `test` extra; without it there are none."""

import numpy as np

import jitlib as jl
from ops.cases import OpCase

try:
    import scipy.special as sp
except ImportError:  # scipy is optional for jitlib itself
    sp = None

UNARY = (((2, 3),), ((),), ((0, 3),))
BINARY = (((2, 3), (2, 3)), ((3, 1), (1, 4)))


def _digamma_slope(x):
    # the derivative of digamma (trigamma, the polygamma primitive), traced as a gradient
    return jl.grad(lambda y: sp.digamma(y).sum())(x)


# fmt: off
CASES = [] if sp is None else [
    OpCase(name="sp_erf", fn=sp.erf, primitive="erf", shapes=UNARY),
    OpCase(name="sp_erf_int", fn=sp.erf, primitive=("convert", "erf"), domain="int", dtypes=("int64", "bool"), shapes=UNARY[:1]),
    OpCase(name="sp_erfc", fn=sp.erfc, primitive="erfc", shapes=UNARY[:2]),
    OpCase(name="sp_erfinv", fn=sp.erfinv, primitive="erfinv", domain="unit", shapes=UNARY[:2]),
    OpCase(name="sp_expit", fn=sp.expit, primitive="exp", shapes=UNARY[:2]),
    OpCase(name="sp_expit_wide", fn=lambda x: sp.expit(x * 60.0), primitive="exp", shapes=UNARY[:1]),
    OpCase(name="sp_logit", fn=lambda x: sp.logit(x * 0.5 + 0.5), primitive="log", domain="unit", shapes=UNARY[:2]),
    OpCase(name="sp_gammaln", fn=sp.gammaln, primitive="gammaln", shapes=UNARY[:2]),
    OpCase(name="sp_digamma", fn=sp.digamma, primitive="digamma", domain="positive", shapes=UNARY[:2]),
    OpCase(name="sp_psi_slope", fn=_digamma_slope, primitive="polygamma", domain="positive", shapes=UNARY[:1]),
    OpCase(name="sp_xlogy_zero", fn=lambda x, y: sp.xlogy(np.maximum(x, 0.0), y), primitive="log", domain=("real", "positive"), shapes=BINARY),
    OpCase(name="sp_xlog1py", fn=sp.xlog1py, primitive="log1p", domain=("real", "unit"), shapes=BINARY),
    OpCase(name="sp_ndtr", fn=sp.ndtr, primitive="erfc", shapes=UNARY[:2]),
    OpCase(name="sp_log_ndtr", fn=lambda x: sp.log_ndtr(x * 5.0), primitive="erfc", shapes=UNARY[:2]),
    OpCase(name="sp_ndtri", fn=lambda x: sp.ndtri(x * 0.5 + 0.5), primitive="ndtri", domain="unit", shapes=UNARY[:2]),
]
# fmt: on
