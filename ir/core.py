"""The SSA IR: typed values, equations (one op applied to values) and functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ir import dtypes

if TYPE_CHECKING:
    from ir.ops.table import Op


@dataclass(frozen=True)
class Type:
    """A value's dtype (an IR dtype name) and shape (ints and sympy expressions)."""

    dtype: str
    shape: tuple

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __str__(self) -> str:
        dims = ",".join(str(d) for d in self.shape)
        return f"{dtypes.SHORT[self.dtype]}[{dims}]"


class Value:
    """An SSA value. Identity is the name: printing numbers values in order of definition."""

    __slots__ = ("type",)

    def __init__(self, type: Type):
        self.type = type

    def __repr__(self) -> str:
        return f"Value({self.type})"


@dataclass(frozen=True, eq=False)
class Eqn:
    """`outputs = op(*inputs, **params)`; `source` is the user's `file:line` that made it."""

    op: Op
    inputs: tuple
    params: dict
    outputs: tuple
    source: str | None = None

    @property
    def out(self) -> Value:
        (value,) = self.outputs
        return value


@dataclass(frozen=True, eq=False)
class Function:
    """Typed parameters, a body of equations in SSA order, results, and shape guards.
    `written` holds (result index, parameter index) pairs: results that the caller copies
    into those parameters' arrays after the call (writes to arguments), which generated
    code may compute there directly."""

    params: tuple
    eqns: tuple
    results: tuple
    name: str = "f"
    guards: tuple = field(default=())
    written: tuple = field(default=())

    def replace(self, **changes: Any) -> Function:
        fields = dict(
            params=self.params,
            eqns=self.eqns,
            results=self.results,
            name=self.name,
            guards=self.guards,
            written=self.written,
        )
        fields.update(changes)
        return Function(**fields)


def sub_functions(eqn: Eqn) -> tuple:
    """The Functions an equation holds in its params (control flow: branches, loop bodies),
    in param order; a tuple-valued param contributes each Function it holds."""
    found = []
    for param in eqn.params.values():
        for item in param if isinstance(param, tuple) else (param,):
            if isinstance(item, Function):
                found.append(item)
    return tuple(found)


def map_sub_functions(fn: Function, transform) -> Function:
    """`fn` with each equation's sub-functions replaced by `transform(sub)` (one level deep;
    `transform` recurses if it wants to). The replacements must keep their signatures."""
    eqns = []
    for eqn in fn.eqns:
        if sub_functions(eqn):
            params = {k: _mapped(v, transform) for k, v in eqn.params.items()}
            eqn = Eqn(eqn.op, eqn.inputs, params, eqn.outputs, eqn.source)
        eqns.append(eqn)
    return fn.replace(eqns=tuple(eqns))


def _mapped(param, transform):
    if isinstance(param, tuple):
        return tuple(_mapped(p, transform) for p in param)
    return transform(param) if isinstance(param, Function) else param


class Builder:
    """Appends equations, running each op's shape rule to type its outputs."""

    def __init__(self) -> None:
        self.params: list = []
        self.eqns: list = []

    def param(self, type: Type) -> Value:
        value = Value(type)
        self.params.append(value)
        return value

    def bind(self, op: Op, *inputs: Value, source: str | None = None, **params: Any):
        """Apply `op`; returns its output Value, or a tuple for multi-result ops."""
        types = op.shape(*[x.type for x in inputs], **params)
        outputs = tuple(Value(t) for t in (types if isinstance(types, tuple) else (types,)))
        self.eqns.append(Eqn(op, tuple(inputs), params, outputs, source))
        return outputs if isinstance(types, tuple) else outputs[0]

    def inline(self, fn: Function, args) -> list:
        """Append fn's equations with `args` for its parameters; returns its results. Every
        value is made afresh, so one Function can be inlined any number of times."""
        env = {id(p): a for p, a in zip(fn.params, args)}
        for eqn in fn.eqns:
            outs = tuple(Value(o.type) for o in eqn.outputs)
            inputs = tuple(env[id(x)] for x in eqn.inputs)
            self.eqns.append(Eqn(eqn.op, inputs, eqn.params, outs, eqn.source))
            env.update((id(o), n) for o, n in zip(eqn.outputs, outs))
        return [env[id(r)] for r in fn.results]

    def build(self, results, name: str = "f", guards: tuple = ()) -> Function:
        return Function(tuple(self.params), tuple(self.eqns), tuple(results), name, guards)
