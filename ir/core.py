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
    """Typed parameters, a body of equations in SSA order, results, and shape guards."""

    params: tuple
    eqns: tuple
    results: tuple
    name: str = "f"
    guards: tuple = field(default=())

    def replace(self, **changes: Any) -> Function:
        fields = dict(
            params=self.params,
            eqns=self.eqns,
            results=self.results,
            name=self.name,
            guards=self.guards,
        )
        fields.update(changes)
        return Function(**fields)


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

    def build(self, results, name: str = "f", guards: tuple = ()) -> Function:
        return Function(tuple(self.params), tuple(self.eqns), tuple(results), name, guards)
