"""Dead code elimination: drops equations none of whose outputs reach a result (ops are pure),
except gathers and scatters, whose range check is numpy's IndexError:
an index out of range raises even where the value goes unused (a write overwritten later)."""

from ir.core import Eqn, Function


def checks_indices(eqn: Eqn) -> bool:
    """A gather or scatter: a run checks its indices' range (constant indices too, which
    may be in range for one size of a signature and not another); a `check` of values."""
    return bool({"gather", "scatter", "check"} & eqn.op.tags)


def dce(fn: Function) -> Function:
    """Guarantees: every remaining equation has an output that a result depends on, or
    checks indices (see `checks_indices`)."""
    live = {id(v) for v in fn.results}
    kept = []
    for eqn in reversed(fn.eqns):
        if any(id(v) in live for v in eqn.outputs) or checks_indices(eqn):
            kept.append(eqn)
            live.update(id(x) for x in eqn.inputs)
    return fn.replace(eqns=tuple(reversed(kept)))
