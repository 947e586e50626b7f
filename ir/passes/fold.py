"""Constant folding: an op whose inputs are all small constants becomes a constant."""

import numpy as np

from ir.core import Eqn, Function, sub_functions
from ir.ops import OPS, Literal
from ir.passes.rewrite import Rewriter, rewrite

MAX_FOLDED_SIZE = 64  # bigger results stay computed at run time rather than embedded


def as_constant(value: np.ndarray):
    """The `value` param for a constant op holding this array."""
    return value.item() if value.ndim == 0 else Literal(value)


def _constant_array(eqn: Eqn | None):
    if eqn is None or eqn.op is not OPS["constant"]:
        return None
    return OPS["constant"].impl(**eqn.params)


def fold(fn: Function) -> Function:
    """Guarantees: no non-constant op (other than control flow) has only constant inputs and
    a result of <= 64 elements."""

    def rule(eqn: Eqn, rewriter: Rewriter):
        if not eqn.inputs or len(eqn.outputs) != 1 or sub_functions(eqn):
            return None  # loops and branches are left to run time
        arrays = [_constant_array(rewriter.producer(x)) for x in eqn.inputs]
        shape = eqn.out.type.shape
        if any(a is None for a in arrays) or not all(isinstance(d, int) for d in shape):
            return None
        if int(np.prod(shape)) > MAX_FOLDED_SIZE:
            return None
        with np.errstate(all="ignore"):
            result = np.asarray(eqn.op.impl(*arrays, **eqn.params), dtype=eqn.out.type.dtype)
        return rewriter.bind(
            OPS["constant"], value=as_constant(result), dtype=eqn.out.type.dtype, source=eqn.source
        )

    return rewrite(fn, rule)
