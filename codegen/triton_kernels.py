"""Writing one Triton kernel from a fusion group: the index set-up of its domain, one
line per expression node, reductions (a whole row in one block, or block by block), the
matmul loop, and the stores. Also the table of what kernels can compute (`supported`).
"""

from __future__ import annotations

import math
import re

import numpy as np
import sympy

from ir import dtypes, shapes
from ir.core import Eqn
from ir.ops import OPS
from ir.passes import fusion, fusion_index, fusion_nodes
from ir.passes.fusion import Kernel
from ir.passes.fusion_nodes import (
    Apply,
    Checked,
    Const,
    Dot,
    IndexValue,
    Load,
    Pred,
    Reduce,
    Total,
)

TL = {
    "bool": "tl.int1",
    "int8": "tl.int8",
    "int16": "tl.int16",
    "int32": "tl.int32",
    "int64": "tl.int64",
    "uint8": "tl.uint8",
    "uint16": "tl.uint16",
    "uint32": "tl.uint32",
    "uint64": "tl.uint64",
    "float16": "tl.float16",
    "bfloat16": "tl.bfloat16",
    "float32": "tl.float32",
    "float64": "tl.float64",
}
LOW_PRECISION = ("float16", "bfloat16")  # computed in float32, rounded per op like numpy

# reduction op -> (combine function for loops and tl.reduce, identity by dtype kind)
REDUCTIONS = {
    "sum": ("red.add", lambda dt: 0),
    "prod": ("red.mul", lambda dt: 1),
    "max": ("red.max_nan", lambda dt: _lowest(dt)),
    "min": ("red.min_nan", lambda dt: _highest(dt)),
    "any": ("red.logical_or", lambda dt: False),
    "all": ("red.logical_and", lambda dt: True),
    "argmax": ("red.argmax", lambda dt: _lowest(dt)),
    "argmin": ("red.argmin", lambda dt: _highest(dt)),
}


def _lowest(dtype: str):
    if dtypes.is_float(dtype):
        return -math.inf
    return False if dtype == "bool" else int(np.iinfo(dtype).min)


def _highest(dtype: str):
    if dtypes.is_float(dtype):
        return math.inf
    return True if dtype == "bool" else int(np.iinfo(dtype).max)


# --- which equations kernels compute ---------------------------------------------------------


def supported(eqn: Eqn) -> bool:
    """Whether a kernel can compute the equation (else it runs as a host step)."""
    op = eqn.op
    if op.triton is None:
        return False
    if "elementwise" in op.tags and callable(op.triton):
        ins = [x.type.dtype for x in eqn.inputs]
        return op.triton(compute_dtype(op.name, ins, eqn.out.type.dtype)) is not None
    if "matmul" in op.tags:
        kinds = {x.type.dtype for x in eqn.inputs}
        return len(kinds) == 1 and dtypes.is_float(kinds.pop())
    return True


# --- index expressions ------------------------------------------------------------------------


class _IndexPrinter(shapes._DimPrinter):
    """Triton source for index expressions (non-negative ints: // and % are exact)."""

    def _print_Max(self, expr):
        return self._nest("tl.maximum", expr.args)

    def _print_Min(self, expr):
        return self._nest("tl.minimum", expr.args)

    def _nest(self, fn: str, args) -> str:
        text = self._print(args[-1])
        for arg in reversed(args[:-1]):
            text = f"{fn}({self._print(arg)}, {text})"
        return text

    def _print_Pow(self, expr):
        base, exponent = expr.args
        if exponent.is_Integer and exponent > 0:
            return "(" + " * ".join([self._operand(base)] * int(exponent)) + ")"
        raise ValueError(f"no integer form for the index expression {expr}")

    def _print_Relational(self, expr):
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_And(self, expr):
        return " & ".join(f"({self._print(a)})" for a in expr.args)

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_BooleanFalse(self, expr):
        return "False"

    # Triton's // and % truncate toward zero; a size expression with a floor, a ceiling or
    # a remainder (-floor(1/2 - s1/2)) may divide a negative number, so the launcher
    # computes it in Python and passes it in as an argument `d<k>`.
    def _derived(self, expr, printed):
        if self.derived is None or not _is_size(expr):
            return printed()
        return self.derived.setdefault(expr, f"d{len(self.derived)}")

    def _print_floor(self, expr):
        return self._derived(expr, lambda: self._floor(expr))

    def _print_ceiling(self, expr):
        return self._derived(expr, lambda: super(_IndexPrinter, self)._print_ceiling(expr))

    def _print_Mod(self, expr):
        return self._derived(expr, lambda: self._modulo(*expr.args))

    # an index expression sympy has rearranged may go negative (Mod(min(2, i) - 3, s1)):
    # there // and % are written to floor like Python's (divisors are sizes, so positive)
    def _modulo(self, a, b) -> str:
        a_text, b_text = self._operand(a), self._operand(b)
        if a.is_nonnegative:
            return f"({a_text} % {b_text})"
        return f"((({a_text} % {b_text}) + {b_text}) % {b_text})"

    def _floor(self, expr) -> str:
        numerator, denominator = sympy.fraction(sympy.together(expr.args[0]))
        if numerator.is_nonnegative:
            return self._floor_division(numerator, denominator)
        n, d = self._operand(numerator), self._operand(denominator)
        return f"(({n} - {self._modulo(numerator, denominator)}) // {d})"


def _is_size(expr) -> bool:
    """An expression of shape symbols only (s0, s1, ...): no index of the kernel."""
    return all(re.fullmatch(r"s\d+", s.name) for s in expr.free_symbols)


def code(expr, derived: dict | None = None) -> str:
    """Triton source for an index expression; with `derived`, size expressions that need a
    floor division become names registered there (see `_IndexPrinter._derived`)."""
    printer = _IndexPrinter()
    printer.derived = derived
    return printer.doprint(sympy.sympify(expr))


def _offset(index: tuple, shape: tuple):
    """The C-order element offset of `index` in an array of `shape`."""
    offset, stride = sympy.Integer(0), sympy.Integer(1)
    for i, d in zip(reversed(index), reversed(shape)):
        if not fusion_index.provably_one(d):
            offset = offset + sympy.sympify(i) * stride
        stride = stride * d
    return offset


# --- constants --------------------------------------------------------------------------------


def _constant(value, dtype: str) -> str:
    """A typed scalar, exact for every dtype (`tl.full` builds it in the dtype itself)."""
    if dtype == "bool":
        return f"tl.full([], {bool(value)}, tl.int1)"
    if dtypes.is_int(dtype):
        return f"tl.full([], {int(value)}, {TL[dtype]})"
    value = float(value)
    text = repr(value) if math.isfinite(value) else f'float("{value}")'
    return f"tl.full([], {text}, {TL[dtype]})"


def _cast(text: str, source: str, target: str) -> str:
    if source == target:
        return text
    if target == "bool":
        return f"({text} != 0)"
    return f"{text}.to({TL[target]})"


def compute_dtype(op: str, ins: list, out: str) -> str:
    """The dtype numpy's loop computes in: the promoted inputs (comparisons and float
    predicates), bool (logical ops), float32 for half precision, else the result's."""
    if op in ("select", "convert"):
        return out
    if "comparison" in OPS[op].tags or op in ("isnan", "isinf", "isfinite", "signbit"):
        common = np.result_type(*[np.dtype("float32" if d == "bfloat16" else d) for d in ins]).name
        return "float32" if common in LOW_PRECISION else common
    if op.startswith("logical"):
        return "bool"
    return "float32" if out in LOW_PRECISION else out


# --- kernels ----------------------------------------------------------------------------------


class KernelWriter:
    """Writes one kernel: arguments, index set-up, the nodes, the stores."""

    def __init__(self, kernel: Kernel, name: str, numbers: dict):
        self.kernel = kernel
        self.domain = kernel.domain
        self.name = name
        self.numbers = numbers
        self.lines: list = []
        self.memo: dict = {}  # node -> variable (outer scope)
        self.inner: dict | None = None  # node -> variable inside a column loop
        self.count = 0
        self.inputs = kernel.inputs()
        self.gathers = [n for n in self._nodes() if isinstance(n, Checked)]
        self.total_nodes = [n for n in self._nodes() if isinstance(n, Total)]
        self.col = set(self.domain.col_symbols()) if self.domain.kind == "reduction" else set()
        kind = self.domain.kind
        self.vector_symbols = (
            self.col
            if kind == "reduction"
            else set(self.domain.symbols()[-2:])
            if kind == "matmul"
            else set(self.domain.symbols())
        )
        self.level: dict = {}
        self.derived: dict = {}  # size expression -> the argument name carrying it
        self.flat = _offset(self.domain.symbols(), self.domain.shape)

    def _nodes(self) -> list:
        return fusion_nodes.walk_nodes([n for _, n in self.kernel.outputs])

    # -- names ------------------------------------------------------------------------------
    def code(self, expr) -> str:
        return code(expr, self.derived)

    def arg(self, value) -> str:
        return f"x{self.numbers[id(value)]}"

    def out(self, value) -> str:
        return f"y{self.numbers[id(value)]}"

    def fresh(self, prefix: str = "t") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def emit(self, line: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + line)

    # -- levels: does a node vary across the block (in reduction kernels: along the reduced
    # axes; a reduction's value does not)? -------------------------------------------------
    def varies(self, node) -> bool:
        if isinstance(node, Dot):
            return True
        if not self.vector_symbols or isinstance(node, Reduce | Total):
            return False
        if node not in self.level:
            free = set().union(
                *[sympy.sympify(e).free_symbols for e in fusion_nodes.index_exprs(node)] or [set()]
            )
            self.level[node] = bool(free & self.vector_symbols) or any(
                self.varies(c) for c in fusion_nodes.children(node)
            )
        return self.level[node]

    def is_col(self, node) -> bool:
        return self.domain.kind == "reduction" and self.varies(node)

    # -- nodes --------------------------------------------------------------------------------
    def var(self, node, depth: int) -> str:
        # inside a column loop, whatever is not already defined before it is defined in it
        looping = self.inner is not None and (self.is_col(node) or node not in self.memo)
        scope = self.inner if looping else self.memo
        if node not in scope:
            text = self.render(node, depth)
            if isinstance(node, Checked):
                scope[node] = text
            else:
                name = self.fresh()
                self.emit(f"{name} = {text}", depth)
                scope[node] = name
        return scope[node]

    def mask_for(self, exprs) -> str | None:
        """The domain's mask for a read whose address varies across the block (None for a
        scalar read, which is always in bounds)."""
        free = set().union(*[sympy.sympify(e).free_symbols for e in exprs] or [set()])
        gathers = {g.symbol: g for g in self.gathers}
        # a gather's symbol varies when its index does (a scalar index reads one element)
        varying = {
            s
            for s in free
            if s in self.vector_symbols or (s in gathers and self.varies(gathers[s]))
        }
        if not varying:
            return None
        if self.domain.kind == "reduction":
            return "cmask"
        return "mask"

    def render(self, node, depth: int) -> str:
        if isinstance(node, Load):
            for dep in node.deps:
                self.var(dep, depth)
            offset = _offset(node.index, node.value.type.shape)
            mask = self.mask_for(node.index)
            if self.domain.kind == "pointwise" and offset == self.flat:
                offset = sympy.Symbol("offs")  # reads in step with the output: contiguous
            offset = (
                self.tile(offset, ("m", "n"), "BM, BN")
                if mask and self.domain.kind == "matmul"
                else self.code(offset)
            )
            where = f", mask={mask}" if mask else ""
            return f"tl.load({self.arg(node.value)} + {offset}{where})"
        if isinstance(node, Const):
            return _constant(node.value, node.dtype)
        if isinstance(node, IndexValue | Pred):
            for dep in node.deps:
                self.var(dep, depth)
            text = self.code(node.expr)
            if isinstance(node, Pred):
                return text
            return f"tl.cast({text}, {TL[node.dtype]})"
        if isinstance(node, Apply):
            return self.apply(node, depth)
        if isinstance(node, Checked):
            return self.checked(node, depth)
        if isinstance(node, Reduce):
            return self.reduce_block(node, depth)
        if isinstance(node, Dot):
            return f"acc.to({TL[node.dtype]})"
        raise AssertionError(node)

    def apply(self, node: Apply, depth: int) -> str:
        compute = compute_dtype(node.op, [a.dtype for a in node.args], node.dtype)
        args = [self.var(a, depth) for a in node.args]
        if node.op == "select":
            cond = _cast(args[0], node.args[0].dtype, "bool")
            return f"tl.where({cond}, {args[1]}, {args[2]})"
        if node.op == "convert":
            return _cast(args[0], node.args[0].dtype, node.dtype)
        cast = [_cast(a, n.dtype, compute) for a, n in zip(args, node.args)]
        text = OPS[node.op].triton(compute)
        if compute == "bool":  # as int8: Triton's interpreter mistypes a scalar int1 & a block
            cast = [f"{c}.to(tl.int8)" for c in cast]
            text = f"({text}) != 0"
        result_dtype = (
            "bool" if OPS[node.op].tags & {"comparison"} or node.dtype == "bool" else compute
        )
        text = text.format(*cast, **dict(node.params))  # params by name: polygamma's {n}
        return _cast(text if _is_call(text) else f"({text})", result_dtype, node.dtype)

    def checked(self, node: Checked, depth: int) -> str:
        """Define the gather index symbol: negative indices count from the end; an index
        still out of range sets the error flag and reads element 0."""
        raw = self.var(node.index, depth)
        length = self.code(node.length)
        name = node.symbol.name
        # only lanes inside the domain count (the others read no index at all)
        if self.domain.kind == "reduction":
            live = "cmask" if self.is_col(node) else None
        else:
            live = "mask"
        self.emit(f"{name} = tl.where({raw} < 0, {raw} + {length}, {raw})", depth)
        self.emit(f"bad = ({name} < 0) | ({name} >= {length})", depth)
        # (through int8: the interpreter mistypes a scalar int1 & a block)
        flag = f"((bad.to(tl.int8) & {live}.to(tl.int8)) != 0)" if live else "bad"
        self.emit(f"tl.store(err + tl.zeros_like(({flag}).to(tl.int32)), 1, mask={flag})", depth)
        self.emit(f"{name} = tl.where(bad, 0, {name}).to(tl.int32)", depth)
        return name

    # -- reductions -----------------------------------------------------------------------------
    def reduce_block(self, node: Reduce, depth: int) -> str:
        """A whole row in one block: reduce the body's vector at once."""
        body = self.var(node.body, depth)
        return self._final(node, self._masked(node, body), "c", depth)

    def _masked(self, node: Reduce, body: str) -> str:
        fn, identity = REDUCTIONS[node.op]
        kind = self._acc_dtype(node)
        value = _cast(body, node.body.dtype, kind)
        return f"tl.where(cmask, {value}, {_constant(identity(kind), kind)})"

    def _acc_dtype(self, node: Reduce) -> str:
        if node.op in ("argmax", "argmin"):
            source = node.body.dtype
            return "float32" if source in LOW_PRECISION else source
        if node.op in ("any", "all"):
            return "bool"
        return "float32" if node.dtype in LOW_PRECISION else node.dtype

    def _final(self, node: Reduce, values: str, positions: str, depth: int) -> str:
        fn, _ = REDUCTIONS[node.op]
        if node.op in ("argmax", "argmin"):
            name = self.fresh("best")
            self.emit(f"_, {name} = tl.reduce(({values}, {positions}), 0, {fn})", depth)
            return f"{name}.to({TL[node.dtype]})"
        if node.op == "sum":
            return _cast(f"tl.sum({values}, axis=0)", self._acc_dtype(node), node.dtype)
        return _cast(f"tl.reduce({values}, 0, {fn})", self._acc_dtype(node), node.dtype)

    # -- prologue per domain ------------------------------------------------------------------------
    def unravel(self, flat: str, symbols: tuple, dims: tuple, depth: int) -> None:
        stride = None
        for symbol, dim in reversed(list(zip(symbols, dims))):
            source = flat if stride is None else f"({flat} // ({self.code(stride)}))"
            if symbol is symbols[0]:
                self.emit(f"{symbol} = {source}", depth)
            else:
                self.emit(f"{symbol} = {source} % ({self.code(dim)})", depth)
            stride = dim if stride is None else stride * dim

    def store(self, value, node, depth: int, mask: str | None) -> None:
        into = self.kernel.into.get(id(value))
        index = into[1] if into else self.domain.index_for(value)  # (a slice of a buffer)
        offset = _offset(index, value.type.shape)
        kind = self.domain.kind
        if into:  # (a store at one place of a one-element buffer is still a block store)
            varies = sympy.sympify(offset).free_symbols & set(self.domain.symbols())
            offset = self.code(offset) + ("" if varies else " + tl.zeros_like(offs)")
        elif kind == "pointwise":  # outputs have the domain's shape: the flat index is offs
            offset = "offs"
        elif kind == "matmul":
            offset = self.tile(offset, ("m", "n"), "BM, BN")
        elif mask == "last":  # a total, stored once
            offset = self.code(offset)
        elif mask and not sympy.sympify(offset).free_symbols & self.col:
            offset = f"{self.code(offset)} + tl.zeros_like(c)"  # reduced axes of size 1
        else:
            offset = self.code(offset)
        text = _cast(self.var(node, depth), node.dtype, value.type.dtype)
        where = f", mask={mask}" if mask else ""
        self.emit(f"tl.store({self.out(value)} + {offset}, {text}{where})", depth)

    def pointwise(self) -> None:
        d = self.domain
        self.emit("offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)")
        self.emit("mask = offs < numel")
        self.unravel("offs", d.symbols(), d.shape, 1)
        for _, node in self.kernel.outputs:  # every load before any store: an output may
            self.var(node, 1)  # be written into an input's buffer (an argument written back)
        for value, node in self.kernel.outputs:
            self.store(value, node, 1, "mask")

    def reduction(self, looped: bool) -> None:
        d = self.domain
        rows = d.row_index()
        if rows:
            self.emit("row = tl.program_id(0)")
            self.unravel("row", rows, d.rows(), 1)
        total_outs = [(v, n) for v, n in self.kernel.outputs if fusion.totals_under(n)]
        row_outs = [
            (v, n)
            for v, n in self.kernel.outputs
            if not self.is_col(n) and _is_row(d, v) and (v, n) not in total_outs
        ]
        col_outs = [(v, n) for v, n in self.kernel.outputs if (v, n) not in row_outs + total_outs]
        if not looped:
            self.emit("c = tl.arange(0, BLOCK)")
            self.emit("cmask = c < numel")
            self.unravel("c", d.col_symbols(), d.reduced(), 1)
            for value, node in row_outs:
                self.store(value, node, 1, None)
            for value, node in col_outs:
                self.store(value, node, 1, "cmask")
        else:
            pairs = _online_softmax_pairs(self._nodes())
            moments = _welford_pairs(self._nodes(), self.domain)
            for node in self._nodes():
                if isinstance(node, Reduce) and node not in self.memo:
                    if node in pairs:
                        self.online_softmax(node, pairs[node])
                    elif node in moments:
                        self.welford(node, moments[node])
                    else:
                        self.reduce_loop(node)
            for value, node in row_outs:
                self.store(value, node, 1, None)
            if col_outs:
                self.hoist([n for _, n in col_outs])
                self.column_loop()
                for value, node in col_outs:
                    self.store(value, node, 2, "cmask")
                self.inner = None
        if total_outs:
            self.totals()
            for value, node in total_outs:
                self.store(value, node, 1, "last")

    def totals(self) -> None:
        """Every program adds its row's share of each total; the last one to finish (the
        counter's atomics order the adds before it) reads the totals back."""
        for k, node in enumerate(self.total_nodes):
            kind = total_dtype(node.dtype)
            share = _cast(self.var(node.body, 1), node.body.dtype, kind)
            self.emit(f"tl.atomic_add(total{k}, {share})")
        self.emit("last = tl.atomic_add(count, 1) == rows - 1")
        for k, node in enumerate(self.total_nodes):
            kind = total_dtype(node.dtype)
            name = self.fresh()
            read = f"tl.atomic_add(total{k}, {_constant(0, kind)})"
            self.emit(f"{name} = {_cast(read, kind, node.dtype)}")
            self.memo[node] = name

    def hoist(self, roots: list) -> None:
        """Compute once, before a column loop, the row-level nodes under `roots` whose
        reductions are already done (scalars need not be recomputed per block)."""
        ready: dict = {}
        for sub in fusion_nodes.walk_nodes(roots):
            inputs_ready = all(ready.get(c, False) for c in fusion_nodes.children(sub))
            if isinstance(sub, Reduce):
                ready[sub] = sub in self.memo
            elif self.is_col(sub) or not inputs_ready:
                ready[sub] = False
            else:
                ready[sub] = True
                self.var(sub, 1)

    def column_loop(self) -> None:
        d = self.domain
        self.inner = {}
        self.emit("for start in range(0, numel, BLOCK):")
        self.emit("c = start + tl.arange(0, BLOCK)", 2)
        self.emit("cmask = c < numel", 2)
        self.unravel("c", d.col_symbols(), d.reduced(), 2)

    def reduce_loop(self, node: Reduce) -> None:
        """A row longer than a block: accumulate block by block, then reduce the vector."""
        self.hoist([node.body])
        fn, identity = REDUCTIONS[node.op]
        kind = self._acc_dtype(node)
        acc = self.fresh("acc")
        self.emit(f"{acc} = tl.full([BLOCK], {_constant(identity(kind), kind)}, {TL[kind]})")
        arg = node.op in ("argmax", "argmin")
        if arg:
            self.emit(f"{acc}_at = tl.full([BLOCK], 2147483647, tl.int32)")
        self.column_loop()
        body = self.var(node.body, 2)
        masked = self._masked(node, body)
        if arg:
            self.emit(
                f"{acc}, {acc}_at = {fn}({acc}, {acc}_at, {masked}, tl.where(cmask, c, 2147483647))",
                2,
            )
        elif node.op == "sum":
            self.emit(f"{acc} += {masked}", 2)
        else:
            self.emit(f"{acc} = {fn}({acc}, {masked})", 2)
        self.inner = None
        result = self._final(node, acc, f"{acc}_at", 1)
        name = self.fresh()
        self.emit(f"{name} = {result}")
        self.memo[node] = name

    def online_softmax(self, peak: Reduce, total: Reduce) -> None:
        """max(u) and sum(exp(w - max(u))) in one pass: each lane keeps its running max and
        rescales its running sum whenever the max grows (the online softmax)."""
        self.hoist([peak.body, total.body])
        kind = peak.dtype
        low = _constant(-math.inf, kind)
        m, t = self.fresh("peak"), self.fresh("acc")
        self.emit(f"{m} = tl.full([BLOCK], {low}, {TL[kind]})")
        self.emit(f"{t} = tl.zeros([BLOCK], {TL[kind]})")
        self.column_loop()
        u = self.var(peak.body, 2)
        w = u
        self.emit(f"grown = red.max_nan({m}, tl.where(cmask, {u}, {low}))", 2)
        zero = _constant(0, kind)
        # a lane that has seen only -inf adds 0 (numpy's exp(-inf - max) for a finite max)
        share = f"tl.where(cmask & (grown != {low}), tl.exp({w} - grown), {zero})"
        self.emit(f"{t} = {t} * red.rescale({m}, grown) + {share}", 2)
        self.emit(f"{m} = grown", 2)
        self.inner = None
        peak_name, total_name = self.fresh(), self.fresh()
        self.emit(f"{peak_name} = tl.reduce({m}, 0, red.max_nan)")
        summed = f"tl.sum({t} * red.rescale({m}, {peak_name}), axis=0)"
        # a row of -inf: numpy's exp(-inf - -inf) is NaN
        nan = _constant(math.nan, kind)
        self.emit(f"{total_name} = tl.where({peak_name} == {low}, {nan}, {summed})")
        self.memo[peak] = peak_name
        self.memo[total] = total_name

    def welford(self, total: Reduce, squares: Reduce) -> None:
        """sum(u) and sum((u - mean(u))**2) in one pass: each lane keeps Welford's count,
        mean and sum of squared deviations; the lanes combine by Chan's formula. sum(u) is
        kept as a plain running sum: mean * count would turn a row's inf into nan (the running
        mean meets inf - inf), where numpy's sum is inf."""
        self.hoist([total.body])
        kind = "float64"  # float32 rows too: a running mean in float32 loses digits
        n, mean, m2 = self.fresh("count"), self.fresh("mean"), self.fresh("m2")
        acc = self.fresh("acc")
        for name in (n, mean, m2, acc):
            self.emit(f"{name} = tl.zeros([BLOCK], {TL[kind]})")
        self.column_loop()
        u = _cast(self.var(total.body, 2), total.dtype, kind)
        one, zero = _constant(1, kind), _constant(0, kind)
        self.emit(f"{acc} += tl.where(cmask, {u}, {zero})", 2)
        self.emit(f"grown = {n} + tl.where(cmask, {one}, {zero})", 2)
        self.emit(f"delta = tl.where(cmask, {u} - {mean}, {zero})", 2)
        self.emit(f"{mean} += delta / tl.maximum(grown, {one})", 2)
        self.emit(f"{m2} += tl.where(cmask, delta * ({u} - {mean}), {zero})", 2)
        self.emit(f"{n} = grown", 2)
        self.inner = None
        spread = self.fresh("m2")
        self.emit(f"_, _, {spread} = tl.reduce(({n}, {mean}, {m2}), 0, red.welford)")
        self.memo[total] = _cast(f"tl.sum({acc}, axis=0)", kind, total.dtype)
        self.memo[squares] = _cast(spread, kind, squares.dtype)

    def matmul(self) -> None:
        d = self.domain
        dot = next(n for n in self._nodes() if isinstance(n, Dot))
        batch = d.symbols()[:-2]
        M, N = d.shape[-2], d.shape[-1]
        K = contracted(d.eqn)
        self.emit("pid = tl.program_id(0)")
        self.emit(f"grid_n = tl.cdiv({self.code(N)}, BN)")
        self.emit(f"tiles = tl.cdiv({self.code(M)}, BM) * grid_n")
        self.emit("tile = pid % tiles")
        self.emit("m = ((tile // grid_n) * BM + tl.arange(0, BM))[:, None]")
        self.emit("n = ((tile % grid_n) * BN + tl.arange(0, BN))[None, :]")
        if batch:
            self.emit("batch = pid // tiles")
            self.unravel("batch", batch, d.shape[:-2], 1)
        acc_dtype = "float64" if dot.dtype == "float64" else "float32"
        self.emit(f"acc = tl.zeros([BM, BN], {TL[acc_dtype]})")
        self.emit(f"for k0 in range(0, {self.code(K)}, BK):")
        self.emit("ka = (k0 + tl.arange(0, BK))[None, :]", 2)
        self.emit("kb = (k0 + tl.arange(0, BK))[:, None]", 2)
        a_off = self.tile(_offset(dot.a.index, dot.a.value.type.shape), ("m", "ka"), "BM, BK")
        b_off = self.tile(_offset(dot.b.index, dot.b.value.type.shape), ("kb", "n"), "BK, BN")
        self.emit(
            f"a = tl.load({self.arg(dot.a.value)} + {a_off}, mask=(m < {self.code(M)}) & (ka < {self.code(K)}), other=0.0)",
            2,
        )
        self.emit(
            f"b = tl.load({self.arg(dot.b.value)} + {b_off}, mask=(kb < {self.code(K)}) & (n < {self.code(N)}), other=0.0)",
            2,
        )
        precision = ', input_precision="ieee"' if dot.dtype in ("float32", "float64") else ""
        self.emit(f"acc = tl.dot(a, b, acc{precision})", 2)
        self.emit(f"mask = (m < {self.code(M)}) & (n < {self.code(N)})")
        for value, node in self.kernel.outputs:
            self.store(value, node, 1, "mask")

    def tile(self, offset, axes: tuple, shape: str) -> str:
        """A 2-D tile's offsets: broadcast to the whole tile when an axis has size 1 (its
        index is 0, so the expression does not vary along it)."""
        names = {s.name for s in sympy.sympify(offset).free_symbols}
        text = self.code(offset)
        return text if set(axes) <= names else f"({text}) + tl.zeros([{shape}], tl.int32)"

    # -- the whole kernel -----------------------------------------------------------------------------
    def empty_totals(self) -> None:
        """Zero rows: no program adds to a total, so each is 0, and this kernel's one program
        stores what follows from the totals (the row outputs are empty)."""
        for node in self.total_nodes:
            self.memo[node] = _constant(0, node.dtype)
        for value, node in self.kernel.outputs:
            if fusion.totals_under(node):
                self.store(value, node, 1, None)

    def write(self, symbols: list, looped: bool = False, empty: bool = False) -> list:
        """The kernel's lines. Its parameters: inputs, outputs, the gather flag, the totals'
        buffers, the shape symbols, derived sizes (`self.derived`), then the block sizes.
        `looped`: the variant for rows longer than a block; `empty`: for zero rows."""
        d = self.domain
        params = [self.arg(v) for v in self.inputs] + [self.out(v) for v, _ in self.kernel.outputs]
        params += ["err"] if self.gathers else []
        if self.total_nodes:
            params += [f"total{k}" for k in range(len(self.total_nodes))] + ["count", "rows"]
        params += [str(s) for s in symbols]
        if d.kind == "matmul":
            self.matmul()
            tail = ["BM: tl.constexpr", "BN: tl.constexpr", "BK: tl.constexpr"]
        else:
            if d.kind == "pointwise":
                self.pointwise()
            elif empty:
                self.empty_totals()
            else:
                self.reduction(looped)
            tail = ["numel", "BLOCK: tl.constexpr"]
        params += [*self.derived.values(), *tail]
        return ["@triton.jit", f"def {self.name}({', '.join(params)}):", *self.lines]


def _is_call(text: str) -> bool:
    """`f(...)` as one call (so it needs no parentheses around it)."""
    if not text.endswith(")") or "(" not in text or text.startswith("("):
        return False
    depth = 0
    for position, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char == ")":
            return position == len(text) - 1
    return False


def _online_softmax_pairs(nodes: list) -> dict:
    """max(u) reductions -> the sum(exp(u - max(u))) over the same rows, for float32 and
    float64 rows (the two statistics of a softmax, a logsumexp, a cross-entropy)."""
    pairs = {}
    for node in nodes:
        if not (isinstance(node, Reduce) and node.op == "sum" and node.dtype in _EXACT):
            continue
        exp = node.body
        if not (isinstance(exp, Apply) and exp.op == "exp" and exp.dtype == node.dtype):
            continue
        diff = exp.args[0]
        if not (isinstance(diff, Apply) and diff.op == "subtract" and diff.dtype == node.dtype):
            continue
        w, peak = diff.args
        if (
            isinstance(peak, Reduce)
            and peak.op == "max"
            and peak.body == w  # exp(u - max(u)): what the running max makes exact
            and peak not in pairs
        ):
            pairs[peak] = node
    return pairs


_EXACT = ("float32", "float64")


def _welford_pairs(nodes: list, domain) -> dict:
    """sum(u) reductions -> the sum((u - sum(u) / n)**2) over the same rows, n being the
    row length, for float32 and float64 rows (a variance's two statistics)."""
    length = sympy.sympify(fusion_index.prod(domain.reduced()))
    pairs = {}
    for node in nodes:
        if not (isinstance(node, Reduce) and node.op == "sum" and node.dtype in _EXACT):
            continue
        square = node.body
        if not (isinstance(square, Apply) and square.op == "multiply"):
            continue
        d, e = square.args
        if d != e or not (isinstance(d, Apply) and d.op == "subtract"):
            continue
        u, mean = d.args
        if not (isinstance(mean, Apply) and mean.op == "divide" and mean.dtype == node.dtype):
            continue
        total, count = mean.args
        if (
            isinstance(total, Reduce)
            and total.op == "sum"
            and total.body == u
            and total.dtype == node.dtype
            and _counts(count, length)
            and total not in pairs
        ):
            pairs[total] = node
    return pairs


def _counts(node, length) -> bool:
    """Whether the node is the number `length` (a size, converted to a float)."""
    if isinstance(node, Apply) and node.op == "convert":
        node = node.args[0]
    if isinstance(node, IndexValue):
        return sympy.simplify(node.expr - length) == 0
    return isinstance(node, Const) and sympy.sympify(node.value) == length


def total_dtype(dtype: str) -> str:
    """The dtype a total accumulates in (float32 for half precision)."""
    return "float32" if dtype in LOW_PRECISION else dtype


def _is_row(domain, value) -> bool:
    """A value of the rows' shape, or of rank 0 (one that is not a total is a value of the
    one row, or one that every row computes alike)."""
    shape = value.type.shape
    if shapes.equal(shape, domain.shape):
        return False
    return shape == () or shapes.equal(shape, domain.rows())


def contracted(eqn: Eqn):
    return eqn.inputs[0].type.shape[-1]
