"""The cost model (XLA's cost_analysis): bytes read and written, flops and transcendental
calls of compiled code, per Triton kernel or numpy section, counted from the IR the emitters
use at the sizes of one call. Each op's flops come from one rule, picked by its tags
(`rule_for`). The backends' steps are counted in `cost_numpy` and `cost_triton`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy
from rich.table import Table

from ir import Function
from ir.core import Eqn, Value
from ir.ops import OPS
from ir.passes import fusion

# --- sizes --------------------------------------------------------------------------------


class Dims:
    """Shape symbols -> the sizes of one call: turns IR shapes into element counts."""

    def __init__(self, sizes: dict):
        self.sizes = dict(sizes)
        self.known: dict = {}

    def of(self, dim) -> int:
        if isinstance(dim, int | np.integer):
            return int(dim)
        if dim not in self.known:
            self.known[dim] = int(sympy.sympify(dim).xreplace(self.sizes))
        return self.known[dim]

    def numel(self, shape: tuple) -> int:
        return math.prod(self.of(d) for d in shape)

    def nbytes(self, value: Value, elements: int | None = None) -> int:
        """Bytes of the value, or of `elements` of its elements."""
        count = self.numel(value.type.shape) if elements is None else elements
        return count * np.dtype(value.type.dtype).itemsize


# --- flops and transcendental calls of one equation ---------------------------------------


@dataclass(frozen=True)
class Work:
    flops: int = 0
    transcendentals: int = 0

    def __add__(self, other: Work) -> Work:
        return Work(self.flops + other.flops, self.transcendentals + other.transcendentals)

    def times(self, count: int) -> Work:
        return Work(self.flops * count, self.transcendentals * count)


def _out(eqn: Eqn, dims: Dims) -> int:
    return dims.numel(eqn.outputs[0].type.shape)


def _nothing(eqn: Eqn, dims: Dims) -> Work:
    return Work()


def _per_element(eqn: Eqn, dims: Dims) -> Work:
    return Work(flops=_out(eqn, dims))


def _transcendental(eqn: Eqn, dims: Dims) -> Work:
    # as XLA counts them: a library call per element, and no flops besides
    return Work(transcendentals=_out(eqn, dims))


def _reduction(eqn: Eqn, dims: Dims) -> Work:
    # n elements combine into one with n - 1 ops
    return Work(flops=max(dims.numel(eqn.inputs[0].type.shape) - _out(eqn, dims), 0))


def _running(eqn: Eqn, dims: Dims) -> Work:
    return Work(flops=dims.numel(eqn.inputs[0].type.shape))


def _matmul(eqn: Eqn, dims: Dims) -> Work:
    # a multiply and an add per output element and contracted index
    return Work(flops=2 * _out(eqn, dims) * dims.of(eqn.inputs[0].type.shape[-1]))


def _linalg(eqn: Eqn, dims: Dims) -> Work:
    """An estimate of the order: m * n * min(m, n) per matrix (a factorisation's leading
    term, without its constant, which differs by op and method)."""
    shape = eqn.inputs[0].type.shape
    m, n = dims.of(shape[-2]), dims.of(shape[-1])
    return Work(flops=dims.numel(shape[:-2]) * m * n * min(m, n))


def _sort(eqn: Eqn, dims: Dims) -> Work:
    shape = eqn.inputs[0].type.shape
    length = dims.of(shape[eqn.params["axis"]])
    return Work(flops=dims.numel(shape) * math.ceil(math.log2(max(length, 1))))


def _search(sorted_input: int):
    """A binary search per output element in the 1-d input `sorted_input`."""

    def rule(eqn: Eqn, dims: Dims) -> Work:
        length = dims.numel(eqn.inputs[sorted_input].type.shape)
        return Work(flops=_out(eqn, dims) * math.ceil(math.log2(length + 1)))

    return rule


def _scatter(eqn: Eqn, dims: Dims) -> Work:
    return Work(flops=dims.numel(eqn.inputs[-1].type.shape))  # one combine per update


def _control(eqn: Eqn, dims: Dims) -> Work:
    """Its sub-functions once each: a branch's alternatives by the dearest one, a while
    loop's condition and body once (its trip count is known only when it runs), a scan's
    body `length` times."""
    work = Work()
    for param in eqn.params.values():
        if isinstance(param, Function):
            work += function_work(param, dims)
        elif isinstance(param, tuple) and param and all(isinstance(p, Function) for p in param):
            costs = [function_work(p, dims) for p in param]
            work += max(costs, key=lambda w: (w.flops + w.transcendentals, w.flops))
    return work.times(dims.of(eqn.params.get("length", 1)))


def _custom(eqn: Eqn, dims: Dims) -> Work:
    return function_work(eqn.params["fun"], dims)  # what runs; its derivative rules do not


# The first tag of an op found here picks its rule: `transcendental` before `elementwise`.
BY_TAG = {
    "transcendental": _transcendental,
    "elementwise": _per_element,
    "reduction": _reduction,
    "scan": _running,
    "matmul": _matmul,
    "linalg": _linalg,
    "sort": _sort,
    "scatter": _scatter,
    "control": _control,
    "custom": _custom,
    "layout": _nothing,
    "gather": _nothing,
    "constant": _nothing,
    "check": _nothing,
}
# ops with none of those tags
BY_OP = {
    OPS["frexp"]: _per_element,
    OPS["iota"]: _nothing,
    OPS["dim"]: _nothing,
    OPS["searchsorted"]: _search(sorted_input=0),
    OPS["digitize"]: _search(sorted_input=1),
}


def rule_for(op):
    """The op's cost rule `(eqn, dims) -> Work`, or None (the table test forbids that)."""
    if op in BY_OP:
        return BY_OP[op]
    return next((BY_TAG[tag] for tag in BY_TAG if tag in op.tags), None)


def eqn_work(eqn: Eqn, dims: Dims) -> Work:
    rule = rule_for(eqn.op)
    assert rule is not None, f"no cost rule for {eqn.op.name} (see codegen/cost.py)"
    return rule(eqn, dims)


def work_of(eqns, dims: Dims) -> Work:
    return sum((eqn_work(e, dims) for e in eqns), Work())


def function_work(fn: Function, dims: Dims) -> Work:
    return work_of(fn.eqns, dims)


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One Triton kernel, host step or device call, or one numpy section: what it reads
    from and writes to memory (bytes), and the work of its equations."""

    name: str
    kind: str
    read: int
    written: int
    flops: int
    transcendentals: int
    ops: tuple = ()  # the op names of its equations, in order, each once
    # the IR equations themselves, for the kernel-plan view (jitlib.plan_view)
    eqns: tuple = field(default=(), compare=False, repr=False)

    @property
    def bytes(self) -> int:
        return self.read + self.written


@dataclass(frozen=True)
class Cost:
    """The cost of one compiled signature at the sizes it was lowered for (`sizes`), by
    step; `minimum_read` and `minimum_written`: every input read once, every output written
    once. `floor_s(bandwidth, exp_rate)` is the time no implementation of this plan beats.

    >>> import numpy as np, jitlib as jl
    >>> f = jl.jit(lambda x: np.exp(x) * 2.0, backend="numpy")
    >>> cost = f.lower(np.ones((64, 64), np.float32)).compile().cost()
    >>> cost.read, cost.written, cost.flops, cost.transcendentals
    (32768, 32768, 4096, 4096)
    """

    backend: str
    name: str
    sizes: tuple  # (symbol name, size) pairs
    steps: tuple
    minimum_read: int
    minimum_written: int

    @property
    def read(self) -> int:
        return sum(s.read for s in self.steps)

    @property
    def written(self) -> int:
        return sum(s.written for s in self.steps)

    @property
    def bytes(self) -> int:
        return self.read + self.written

    @property
    def minimum(self) -> int:
        return self.minimum_read + self.minimum_written

    @property
    def flops(self) -> int:
        return sum(s.flops for s in self.steps)

    @property
    def transcendentals(self) -> int:
        return sum(s.transcendentals for s in self.steps)

    def floor_s(self, bytes_per_s: float, transcendentals_per_s: float) -> float:
        """Seconds to move this plan's bytes at `bytes_per_s` (a copy's bandwidth) or make
        its transcendental calls at `transcendentals_per_s`, whichever takes longer."""
        return max(self.bytes / bytes_per_s, self.transcendentals / transcendentals_per_s)

    def as_dict(self) -> dict:
        totals = ("read", "written", "flops", "transcendentals", "minimum_read")
        figures = {key: getattr(self, key) for key in (*totals, "minimum_written")}
        steps = [
            {**{k: v for k, v in vars(s).items() if k != "eqns"}, "ops": list(s.ops)}
            for s in self.steps
        ]
        return {"backend": self.backend, "sizes": dict(self.sizes), **figures, "steps": steps}

    def _title(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes)
        return f"cost of {self.name} on the {self.backend} backend" + (
            f" ({sizes})" if sizes else ""
        )

    def _rows(self) -> list:
        rows = [
            [s.name, s.kind, _si(s.read), _si(s.written), _si(s.flops), _si(s.transcendentals)]
            + [_ops(s.ops)]
            for s in self.steps
        ]
        rows.append(["total", "", _si(self.read), _si(self.written), _si(self.flops)])
        rows[-1] += [_si(self.transcendentals), f"{self.bytes / max(self.minimum, 1):.2f}x minimum"]
        rows.append(["minimum", "", _si(self.minimum_read), _si(self.minimum_written)])
        rows[-1] += ["", "", "inputs read once, outputs written once"]
        return rows

    def __str__(self) -> str:
        rows = [list(HEADER)] + self._rows()
        widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
        lines = [self._title()]
        for row in rows:
            cells = [
                c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
            ]
            lines.append("  ".join([*cells, row[-1]]).rstrip())
        return "\n".join(lines)

    def __rich__(self) -> Table:
        table = Table(title=self._title())
        for i, column in enumerate(HEADER):
            table.add_column(column, justify="right" if 1 < i < len(HEADER) - 1 else "left")
        rows = self._rows()
        for row in rows[:-2]:
            table.add_row(*row)
        table.add_section()
        for row in rows[-2:]:
            table.add_row(*row)
        return table


HEADER = ("step", "kind", "read B", "written B", "flops", "transc.", "ops")


def _si(count: int) -> str:
    """Exact below 10,000, else three digits and a unit: 4096, 67.1M."""
    if count < 10_000:
        return str(count)
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if count >= scale:
            return f"{count / scale:.3g}{unit}"
    return str(count)


def _ops(names: tuple, width: int = 48) -> str:
    text = " ".join(names)
    return text if len(text) <= width else text[: width - 3] + "..."


def op_names(eqns) -> tuple:
    """The op names of equations that do work, each once, in order."""
    named = (e.op.name for e in eqns if not fusion.is_free(e) and "view" not in e.op.tags)
    return tuple(dict.fromkeys(named))


# --- what a function must read and write --------------------------------------------------


def producers_of(fn: Function) -> dict:
    return {id(o): e for e in fn.eqns for o in e.outputs}


def loaded(values, producers: dict) -> list:
    """The values among `values` that live in memory (not a scalar constant or a size,
    which code computes where it uses them), each once."""
    found = {id(v): v for v in values if not fusion.is_free(producers.get(id(v)))}
    return list(found.values())


def minimum(fn: Function, dims: Dims) -> tuple:
    """(bytes read, bytes written) when every input the function uses (parameters, array
    constants) is read once and every result written once."""
    producers = producers_of(fn)
    used = [x for e in fn.eqns for x in e.inputs] + list(fn.results)
    made = {id(o) for e in fn.eqns if not is_literal(e) for o in e.outputs}
    inputs = [v for v in loaded(used, producers) if id(v) not in made]
    outputs = loaded(fn.results, producers)
    return sum(map(dims.nbytes, inputs)), sum(map(dims.nbytes, outputs))


def is_literal(eqn: Eqn) -> bool:
    """An array constant: bound into the code, read from memory like a parameter."""
    return eqn.op is OPS["constant"] and not fusion.is_free(eqn)


def named_sizes(sizes: dict) -> tuple:
    return tuple(sorted(((str(k), int(v)) for k, v in sizes.items()), key=lambda kv: kv[0]))
