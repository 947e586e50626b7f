"""Dead code elimination: drops equations none of whose outputs reach a result (ops are pure)."""

from ir.core import Function


def dce(fn: Function) -> Function:
    """Guarantees: every remaining equation has an output that a result depends on."""
    live = {id(v) for v in fn.results}
    kept = []
    for eqn in reversed(fn.eqns):
        if any(id(v) in live for v in eqn.outputs):
            kept.append(eqn)
            live.update(id(x) for x in eqn.inputs)
    return fn.replace(eqns=tuple(reversed(kept)))
