"""check: x itself, after confirming at run time that `bad` holds no True. Where numpy raises
for some values (a histogram's range from data holding inf or nan), the traced code checks
them instead of giving an answer numpy would not: the run raises CheckFailed (a ValueError)."""

import numpy as np

from ir.core import Type
from ir.errors import CheckFailed, ShapeError
from ir.ops import rules
from ir.ops.table import Op


def _check_shape(x: Type, bad: Type, *, message: str) -> Type:
    if bad.dtype != "bool":
        raise ShapeError(f"check needs a bool condition, got {bad}")
    return x


def check(x, bad, *, message: str):
    """x (a copy: the result is a value of its own), or CheckFailed where any `bad`."""
    if np.any(bad):
        raise CheckFailed(message)
    return np.array(x, copy=True)


def _check_jvp(e, primals, tangents, outs, *, message):
    return tangents[0]  # the identity on x


def _check_vjp(e, cts, primals, outs, *, message):
    (ct,) = cts
    return (ct if rules.is_float(primals[0].type.dtype) else None, None)


def _check_batch(e, args, batched, size, *, message):
    """One check of every example's condition; x keeps its batch axis."""
    x, bad = args
    if batched[1]:
        bad = e.any(bad, axis=tuple(range(bad.type.ndim)))
    return (e.check(x, bad, message=message),)


OPS = [
    Op(
        name="check",
        shape=_check_shape,
        impl=check,
        jvp=_check_jvp,
        vjp=_check_vjp,
        batch=_check_batch,
        tags=frozenset({"check"}),
    )
]
