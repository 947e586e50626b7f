"""numpy ufuncs: one jitlib function per elementwise primitive, built from the op table's
`numpy` field, plus the ufuncs that are composites (square, positive, clip, where...)."""

import numpy as np

from ir.ops import OPS
from jitlib.errors import UnsupportedError
from jitlib.numpy._core import astype, bind, function, promote, same_dtype


def _ufunc_function(op):
    def apply(*args, out=None, where=True, dtype=None, **kwargs):
        if out is not None or where is not True or kwargs:
            unsupported = ["out"] * (out is not None) + ["where"] * (where is not True)
            raise UnsupportedError(
                f"numpy.{op.name} with {', '.join(unsupported + list(kwargs))}= is not "
                "supported inside @jit; eager numpy still works without @jit"
            )
        result = bind(op.name, *args)
        return result if dtype is None else astype(result, dtype)

    apply.__name__ = op.name
    return function(*op.numpy)(apply)


UFUNCS = {op.name: _ufunc_function(op) for op in OPS.values() if op.numpy}


@function(np.square)
def square(x):
    return np.multiply(x, x)


@function(np.positive)
def positive(x):
    return x


@function(np.fabs)
def fabs(x):
    return np.absolute(x)


@function(np.where)
def where(condition, x=None, y=None):
    if x is None or y is None:
        raise UnsupportedError(
            "np.where(condition) with one argument has a data-dependent shape and is not "
            "supported inside @jit; use np.where(condition, x, y)"
        )
    trace_, (cond,), _ = promote(condition)
    cond = astype(cond, "bool")
    trace_, (x, y), weak = promote(x, y)
    x, y = same_dtype([x, y])
    return trace_.bind(OPS["select"], cond, x, y, weak=weak)


@function(np.clip)
def clip(x, a_min=None, a_max=None, **kwargs):
    a_min = kwargs.pop("min", a_min)
    a_max = kwargs.pop("max", a_max)
    if kwargs:
        raise UnsupportedError(f"numpy.clip with {', '.join(kwargs)}= is not supported")
    if a_min is not None:
        x = np.maximum(x, a_min)
    if a_max is not None:
        x = np.minimum(x, a_max)
    return x
