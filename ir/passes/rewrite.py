"""One walker shared by the local passes: visit each equation, keep it or replace its output."""

from collections.abc import Callable
from dataclasses import replace

from ir import shapes
from ir.core import Builder, Eqn, Function, Value
from ir.errors import ShapeError


class Rewriter:
    """State of one rewrite: the new body being built and what produced each value."""

    def __init__(self, fn: Function):
        self.builder = Builder()
        self.builder.params = list(fn.params)
        self._producer: dict = {}
        self._seen = 0

    def producer(self, value: Value) -> Eqn | None:
        """The new equation that defines `value` (None for a parameter)."""
        for eqn in self.builder.eqns[self._seen :]:
            for out in eqn.outputs:
                self._producer[id(out)] = eqn
        self._seen = len(self.builder.eqns)
        return self._producer.get(id(value))

    def bind(self, op, *inputs, source=None, **params) -> Value:
        return self.builder.bind(op, *inputs, source=source, **params)


# A rule sees an equation (inputs already rewritten) and returns a replacement Value or None.
Rule = Callable[[Eqn, Rewriter], Value | None]


def _apply(rule: Rule, eqn: Eqn, rewriter: Rewriter):
    """A rule that cannot prove a shape fact it needs does not fire: keep the equation."""
    mark = len(rewriter.builder.eqns)
    try:
        return rule(eqn, rewriter)
    except ShapeError:
        del rewriter.builder.eqns[mark:]
        return None


def rewrite(fn: Function, rule: Rule) -> Function:
    """A new Function where each equation is kept or replaced by what `rule` returns."""
    rewriter = Rewriter(fn)
    env: dict = {}
    with shapes.assuming(fn.guards):
        for eqn in fn.eqns:
            inputs = tuple(env.get(id(x), x) for x in eqn.inputs)
            if any(a is not b for a, b in zip(inputs, eqn.inputs)):
                eqn = replace(eqn, inputs=inputs)
            replacement = _apply(rule, eqn, rewriter)
            if replacement is None:
                rewriter.builder.eqns.append(eqn)
            else:
                assert replacement.type.dtype == eqn.out.type.dtype, (eqn.op, replacement.type)
                env[id(eqn.out)] = replacement
    results = tuple(env.get(id(v), v) for v in fn.results)
    return fn.replace(eqns=tuple(rewriter.builder.eqns), results=results)
