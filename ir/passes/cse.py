"""Common subexpression elimination: one equation per (op, inputs, params)."""

from ir.core import Eqn, Function
from ir.passes.rewrite import Rewriter, rewrite


def param_key(value):
    """A hashable key for a param that tells -0.0 from 0.0 and keeps types apart."""
    if isinstance(value, tuple):
        return tuple(param_key(v) for v in value)
    if isinstance(value, float):
        return ("float", value.hex())
    return (type(value).__name__, value)


def cse(fn: Function) -> Function:
    """Guarantees: no two equations apply the same op with the same inputs and params."""
    seen: dict = {}

    def rule(eqn: Eqn, rewriter: Rewriter):
        if len(eqn.outputs) != 1:
            return None
        key = (
            eqn.op.name,
            tuple(id(x) for x in eqn.inputs),
            tuple((k, param_key(v)) for k, v in sorted(eqn.params.items())),
        )
        if key in seen:
            return seen[key]
        seen[key] = eqn.out
        return None

    return rewrite(fn, rule)
