"""Deterministic text form of a Function: `%3 = add %1, %2 : f32[s0,128]`.

Sub-functions (branches, loop bodies) print indented after the equation that holds them,
labelled `@0`, `@1`, ... in the equation's params; their values continue the numbering.
"""

from ir.core import Eqn, Function, sub_functions


def numbering(fn: Function) -> tuple[dict, dict]:
    """(id(value) -> number, id(sub-function) -> label), in printing order. A value shared
    by two sub-functions (one derived from the other by a pass) keeps its first number."""
    values: dict = {}
    labels: dict = {}

    def walk(f: Function) -> None:
        for value in f.params:
            values.setdefault(id(value), len(values))
        for eqn in f.eqns:
            for value in eqn.outputs:
                values.setdefault(id(value), len(values))
            for sub in sub_functions(eqn):
                if id(sub) not in labels:
                    labels[id(sub)] = len(labels)
                    walk(sub)

    walk(fn)
    return values, labels


def _value_repr(value, labels: dict) -> str:
    if isinstance(value, tuple):
        inner = ", ".join(_value_repr(v, labels) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, Function):
        return f"@{labels[id(value)]}"
    return str(value) if not isinstance(value, str) else value


def _param_text(params: dict, labels: dict) -> str:
    if not params:
        return ""
    inner = ", ".join(f"{k}={_value_repr(v, labels)}" for k, v in params.items())
    return f"[{inner}]"


class _Printer:
    def __init__(self, fn: Function):
        self.numbers, self.labels = numbering(fn)
        self.printed: set = set()

    def name(self, value) -> str:
        return f"%{self.numbers[id(value)]}"

    def eqn_text(self, eqn: Eqn) -> str:
        outs = ", ".join(self.name(v) for v in eqn.outputs)
        args = ", ".join(self.name(v) for v in eqn.inputs)
        types = ", ".join(str(v.type) for v in eqn.outputs)
        space = " " if args else ""
        params = _param_text(eqn.params, self.labels)
        return f"{outs} = {eqn.op.name}{params}{space}{args} : {types}"

    def lines(self, fn: Function, indent: str, header: str) -> list:
        params = ", ".join(f"{self.name(p)}: {p.type}" for p in fn.params)
        lines = [f"{indent}{header}func {fn.name}({params}) {{"]
        for eqn in fn.eqns:
            lines.append(f"{indent}  {self.eqn_text(eqn)}")
            for sub in sub_functions(eqn):
                if id(sub) not in self.printed:  # a function held twice prints once
                    self.printed.add(id(sub))
                    lines += self.lines(sub, indent + "    ", f"@{self.labels[id(sub)]} = ")
        lines.append(f"{indent}  return " + ", ".join(self.name(v) for v in fn.results))
        lines.append(f"{indent}}}")
        return lines


def as_text(fn: Function) -> str:
    """The whole function as text; equal functions print equal text."""
    printer = _Printer(fn)
    lines = printer.lines(fn, "", "")
    if fn.written:
        pairs = (
            f"{printer.name(fn.params[k])} <- {printer.name(fn.results[j])}" for j, k in fn.written
        )
        lines.append("written back: " + ", ".join(pairs))
    if fn.guards:
        lines.append("guards: " + ", ".join(str(g) for g in fn.guards))
    return "\n".join(lines)
