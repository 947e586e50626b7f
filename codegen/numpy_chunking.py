"""Row blocking for the numpy backend. Equations that treat the leading axis row by row
(elementwise ops, reductions over other axes, row-preserving layout, `x @ W`) can run on
blocks of rows that fit in cache, so the temporaries of a long chain never travel to main
memory. `split(fn)` separates them (run in a loop over blocks) from the equations that mix
rows (run afterwards on whole arrays).
"""

from dataclasses import dataclass

import sympy

from ir import Function, shapes
from ir.core import Eqn, sub_functions
from ir.ops import OPS
from ir.passes.dce import dce

ROW, CONST = "row", "const"


def kind_of(shape: tuple, row: sympy.Symbol) -> str | None:
    """ROW if the leading dim is the row symbol, CONST if `row` is nowhere in the shape."""
    if shape and shape[0] == row and row not in shapes.free_symbols(shape[1:]):
        return ROW
    return None if row in shapes.free_symbols(shape) else CONST


def _spans_rows(x, out) -> bool:
    """A row-free input is the same in every block only if it broadcasts along the rows; one
    whose leading axis lines up with them (a constant of the row count) would need slicing."""
    return x.type.ndim < out.type.ndim or x.type.shape[0] == 1


def _elementwise(eqn: Eqn, kinds: list, row) -> bool:
    return all(
        _spans_rows(x, eqn.out) if k == CONST else x.type.ndim == eqn.out.type.ndim
        for k, x in zip(kinds, eqn.inputs)
    )


def _reduction(eqn: Eqn, kinds: list, row) -> bool:
    axis = eqn.params["axis"]
    return kinds == [ROW] and 0 not in (axis if isinstance(axis, tuple) else (axis,))


def _matmul(eqn: Eqn, kinds: list, row) -> bool:
    return kinds == [ROW, CONST] and eqn.inputs[0].type.ndim == 2


def _gather(eqn: Eqn, kinds: list, row) -> bool:
    axis = eqn.params["axis"]
    if kinds == [CONST, ROW]:
        return axis == 0
    if kinds == [ROW, ROW]:  # take_along_axis with per-row indices: each row reads its own
        return eqn.op is OPS["take_along_axis"] and axis != 0
    if kinds != [ROW, CONST] or axis == 0:
        return False
    # take's indices sit at `axis`, away from the rows; take_along_axis's broadcast against
    # the rows as an elementwise operand does, so a row-free index array must span them
    # (labels of a square input's rows carry the columns' symbol, and were not sliced)
    return eqn.op is not OPS["take_along_axis"] or _spans_rows(eqn.inputs[1], eqn.out)


def _transpose(eqn: Eqn, kinds: list, row) -> bool:
    return kinds == [ROW] and eqn.params["axes"][0] == 0


def _reshape(eqn: Eqn, kinds: list, row) -> bool:
    return kinds == [ROW]  # the output keeps the leading row axis (checked by the caller)


def _broadcast(eqn: Eqn, kinds: list, row) -> bool:
    # A row-free value broadcast over rows is the same in every block.
    if kinds == [CONST]:
        return _spans_rows(eqn.inputs[0], eqn.out)
    return eqn.inputs[0].type.ndim == eqn.out.type.ndim


def _slice(eqn: Eqn, kinds: list, row) -> bool:
    start, stop, step = (eqn.params[k][0] for k in ("start", "stop", "step"))
    return kinds == [ROW] and start == 0 and step == 1 and stop == row


def _concatenate(eqn: Eqn, kinds: list, row) -> bool:
    return all(k == ROW for k in kinds) and eqn.params["axis"] > 0


BY_TAG = {
    "elementwise": _elementwise,
    "reduction": _reduction,
    "matmul": _matmul,
    "gather": _gather,
}
BY_OP = {
    OPS["transpose"]: _transpose,
    OPS["reshape"]: _reshape,
    OPS["broadcast_to"]: _broadcast,
    OPS["slice"]: _slice,
    OPS["concatenate"]: _concatenate,
}


def _rule(eqn: Eqn):
    if eqn.op in BY_OP:
        return BY_OP[eqn.op]
    return next((rule for tag, rule in BY_TAG.items() if tag in eqn.op.tags), None)


def _mentions(eqn: Eqn, row) -> bool:
    for param in eqn.params.values():
        for item in param if isinstance(param, tuple) else (param,):
            if isinstance(item, sympy.Basic) and row in item.free_symbols:
                return True
    return False


def classify(eqn: Eqn, kind: dict, row) -> str | None:
    """The kind of the equation's output, or None when it mixes rows."""
    kinds = [kind[id(x)] for x in eqn.inputs]
    if None in kinds or len(eqn.outputs) != 1 or sub_functions(eqn):
        return None  # a loop or branch runs once, on whole arrays
    out_kind = kind_of(eqn.out.type.shape, row)
    if out_kind == CONST:
        # the row count as a value (a mean's 1/n) is the whole count in every block: the
        # block body is given it (`rows_total`); any other use of the row symbol is not
        counted = eqn.op is OPS["dim"]
        return CONST if ROW not in kinds and (counted or not _mentions(eqn, row)) else None
    rule = _rule(eqn)
    if out_kind == ROW and rule is not None and rule(eqn, kinds, row):
        return ROW
    return None


def _row(fn: Function) -> sympy.Symbol | None:
    leading = (p.type.shape[0] for p in fn.params if p.type.shape)
    return next((d for d in leading if isinstance(d, sympy.Symbol)), None)


def _kinds(fn: Function, row) -> dict:
    """id -> ROW, CONST, or None (the value mixes rows or depends on one that does)."""
    kind = {id(p): kind_of(p.type.shape, row) for p in fn.params}
    for eqn in fn.eqns:
        out_kind = classify(eqn, kind, row)
        for out in eqn.outputs:
            kind[id(out)] = out_kind
    return kind


@dataclass(frozen=True)
class Split:
    """`blocked` holds the row-local equations (run on blocks of rows) and returns the row
    values the rest needs; `rest` takes fn's params plus those and finishes the job (None
    when the blocked part is the whole function)."""

    row: sympy.Symbol
    blocked: Function
    rest: Function | None


def split(fn: Function) -> Split | None:
    """Separate the equations that work row by row from those that mix rows."""
    row = _row(fn)
    if row is None:
        return None
    kind = _kinds(fn, row)
    blocked = [e for e in fn.eqns if kind[id(e.outputs[0])] is not None]
    # row-free equations are cheap and may feed both parts; DCE drops the unused copies
    rest = [e for e in fn.eqns if kind[id(e.outputs[0])] != ROW]
    needed = {id(x) for e in rest for x in e.inputs} | {id(v) for v in fn.results}
    escaping = [v for e in blocked for v in e.outputs if kind[id(v)] == ROW and id(v) in needed]
    if not escaping:
        return None
    rows = fn.replace(eqns=tuple(blocked), results=tuple(escaping), written=())
    part = dce(rows.replace(name=f"{fn.name}_rows"))
    if all(kind[id(e.outputs[0])] is not None for e in fn.eqns) and all(
        kind[id(v)] == ROW for v in fn.results
    ):
        whole = part.replace(results=fn.results, name=fn.name, written=fn.written)
        return Split(row, whole, None)
    remainder = dce(
        fn.replace(params=fn.params + tuple(escaping), eqns=tuple(rest), name=f"{fn.name}_rest")
    )
    return Split(row, part, remainder)
