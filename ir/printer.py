"""Deterministic text form of a Function: `%3 = add %1, %2 : f32[s0,128]`."""

from ir.core import Eqn, Function


def _param_text(params: dict) -> str:
    if not params:
        return ""
    inner = ", ".join(f"{k}={_value_repr(v)}" for k, v in params.items())
    return f"[{inner}]"


def _value_repr(value) -> str:
    if isinstance(value, tuple):
        return (
            "(" + ", ".join(_value_repr(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        )
    return str(value) if not isinstance(value, str) else value


class Names:
    """Numbers values in order of definition: %0, %1, ..."""

    def __init__(self) -> None:
        self.numbers: dict = {}

    def define(self, value) -> str:
        self.numbers[id(value)] = len(self.numbers)
        return self[value]

    def __getitem__(self, value) -> str:
        return f"%{self.numbers[id(value)]}"


def eqn_text(eqn: Eqn, names: Names) -> str:
    outs = ", ".join(names.define(v) for v in eqn.outputs)
    args = ", ".join(names[v] for v in eqn.inputs)
    types = ", ".join(str(v.type) for v in eqn.outputs)
    space = " " if args else ""
    return f"{outs} = {eqn.op.name}{_param_text(eqn.params)}{space}{args} : {types}"


def as_text(fn: Function) -> str:
    """The whole function as text; equal functions print equal text."""
    names = Names()
    params = ", ".join(f"{names.define(p)}: {p.type}" for p in fn.params)
    lines = [f"func {fn.name}({params}) {{"]
    lines += [f"  {eqn_text(eqn, names)}" for eqn in fn.eqns]
    lines.append("  return " + ", ".join(names[v] for v in fn.results))
    lines.append("}")
    if fn.guards:
        lines.append("guards: " + ", ".join(str(g) for g in fn.guards))
    return "\n".join(lines)
