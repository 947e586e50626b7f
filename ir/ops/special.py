"""Elementwise primitives from scipy.special: erf, erfc, erfinv, gammaln, digamma, polygamma
and ndtri. scipy is optional: `impl` imports it when first run, never at import time, and
the tracer only meets these ops once a user has called scipy.special on a traced array."""

import importlib
import math

import numpy as np

from ir import shapes
from ir.core import Type
from ir.ops import rules
from ir.ops.elementwise import ELEMENTWISE, F
from ir.ops.table import Op


def _special_shape(*types: Type, **params) -> Type:
    # scipy's loops are float32 and float64: float32 inputs stay float32, every other real
    # dtype (bool, ints, float16) is computed in float64
    shape = shapes.broadcast(*[t.shape for t in types])
    float32 = all(t.dtype == "float32" for t in types)
    return Type("float32" if float32 else "float64", shape)


def _scipy_impl(name: str):
    """scipy.special.<name>, looked up when called (scipy is imported by then: only a
    scipy.special call puts these ops in a trace)."""

    def impl(*xs, **params):
        ufunc = getattr(importlib.import_module("scipy.special"), name)
        result = ufunc(*params.values(), *xs)  # polygamma's order is (n, x)
        expected = _special_shape(*[Type(np.asarray(x).dtype.name, ()) for x in xs]).dtype
        return np.asarray(result).astype(expected, copy=False)

    impl.__name__ = name
    return impl


def special_op(name: str, partials, triton=None) -> Op:
    """A scipy.special ufunc as a primitive; `partials(e, *xs, out, **params)` and
    `triton(dtype)` as for ir.ops.elementwise.ufunc_op (without one, a host step)."""
    return Op(
        name=name,
        shape=_special_shape,
        impl=_scipy_impl(name),
        jvp=rules.elementwise_jvp(partials),
        vjp=rules.elementwise_vjp(partials),
        batch=rules.elementwise_batch,
        tags=ELEMENTWISE | {"transcendental"},  # each one a library call, as np.exp is
        triton=triton,
    )


def _c(e, value, like):
    return e.const(value, like.type.dtype)


def _gaussian(e, x, out, scale: float, width: float):
    """scale * exp(-x^2 / width)."""
    x2 = e.divide(e.multiply(x, x), _c(e, width, out))
    return e.multiply(_c(e, scale, out), e.exp(e.negative(x2)))


def _erf_partials(e, x, out):
    # d erf = 2/sqrt(pi) exp(-x^2)
    return (_gaussian(e, x, out, 2 / math.sqrt(math.pi), 1.0),)


def _erfc_partials(e, x, out):
    # erfc = 1 - erf
    return (_gaussian(e, x, out, -2 / math.sqrt(math.pi), 1.0),)


def _erfinv_partials(e, x, out):
    # the inverse function's derivative: 1 / erf'(y) at y = erfinv(x) = sqrt(pi)/2 exp(y^2)
    return (e.multiply(_c(e, math.sqrt(math.pi) / 2, out), e.exp(e.multiply(out, out))),)


def _ndtri_partials(e, x, out):
    # ndtri is the inverse of ndtr, whose derivative is exp(-y^2/2)/sqrt(2 pi)
    half = e.divide(e.multiply(out, out), _c(e, 2, out))
    return (e.multiply(_c(e, math.sqrt(2 * math.pi), out), e.exp(half)),)


def _gammaln_partials(e, x, out):
    # d log|Gamma(x)| = digamma(x), for either sign of Gamma
    return (e.digamma(x),)


def _digamma_partials(e, x, out):
    return (e.polygamma(x, n=1),)


def _polygamma_partials(e, x, out, *, n: int):
    # d psi^(n) = psi^(n+1)
    return (e.polygamma(x, n=n + 1),)


OPS = [
    special_op("erf", _erf_partials, triton=F("jl.erf({0})")),
    special_op("erfc", _erfc_partials, triton=F("jl.erfc({0})")),
    special_op("erfinv", _erfinv_partials, triton=F("jl.erfinv({0})")),
    special_op("ndtri", _ndtri_partials, triton=F("jl.ndtri({0})")),
    special_op("gammaln", _gammaln_partials, triton=F("jl.gammaln({0})")),
    special_op("digamma", _digamma_partials, triton=F("jl.digamma({0})")),
    special_op("polygamma", _polygamma_partials, triton=F("jl.polygamma({0}, {n})")),
]
