"""The numpy backend: one readable Python function per optimised ir.Function.

Each equation becomes one numpy call. An elementwise ufunc writes into a dead input's
buffer (`out=`) when that buffer is a fresh temporary of the same shape and dtype that no
live view shares: never into the caller's arrays or embedded constants. An equation
holding sub-functions (a branch, a loop body) gets each as a nested def just before it.
"""

import collections
import dataclasses
import linecache
import math
import os
import re
from dataclasses import dataclass

import numpy as np
import sympy

from codegen import PARSE_LOCK, numpy_chunking, numpy_runtime
from ir import Function, as_text, shapes
from ir.core import Eqn, Value, sub_functions
from ir.ops import OPS, Literal
from ir.printer import numbering


@dataclass
class NumpyKernel:
    """Generated source and the function compiled from it: `fn(*arrays) -> tuple`."""

    source: str
    fn: object
    name: str


def _origin_and_last_use(fn: Function) -> tuple:
    """origin: id -> the value owning its memory (None for params/constants, so never
    written); last: id -> index of the last equation that reads it."""
    origin: dict = {id(p): None for p in fn.params}
    last: dict = {}
    for index, eqn in enumerate(fn.eqns):
        for x in eqn.inputs:
            last[id(x)] = index
        for out in eqn.outputs:
            if "view" in eqn.op.tags:
                origin[id(out)] = origin[id(eqn.inputs[0])]
            elif eqn.op in (OPS["constant"], OPS["dim"]):
                origin[id(out)] = None
            else:
                origin[id(out)] = id(out)
    for value in fn.results:
        last[id(value)] = len(fn.eqns)
    return origin, last


def _row_sum(eqn: Eqn) -> bool:
    """A float32/float64 sum over the last axis alone: np.einsum('...i->...') does it with
    SIMD accumulators, 2.5x numpy's pairwise sum along a contiguous row (16.8 us against
    41.9 for 64 x 4096 float32), and 0.4 us more per call on an 8 x 8 array. Its rounding
    differs from the pairwise sum's within float rounding (3e-7 relative over 4096 float32
    terms, against 8e-8)."""
    if eqn.op is not OPS["sum"] or eqn.inputs[0].type.dtype not in ("float32", "float64"):
        return False
    ndim = eqn.inputs[0].type.ndim
    return ndim >= 1 and tuple(eqn.params["axis"]) == (ndim - 1,)


def _row_sums(fn: Function, last: dict) -> tuple:
    """How generated code computes each row sum (`_row_sum`), as ({id of the sum: the
    operands np.einsum('...i,...i->...') takes}, {id of the sum: (x, top, top_kept,
    shifted) for numpy_runtime.exp_sum_shifted}, {ids of the equations they fold in}).
    `last`: each value's last reading equation.

    - sum(exp(x - top_kept)), where top is max(x) over the last axis and top_kept its
      reshape with that axis kept, goes to exp_sum_shifted, which skips the shift where
      it can; its subtract and exp are folded in.
    - sum(a * b) of two same-shape, same-dtype factors (x * x in a variance or an RMS) is
      summed by einsum without the product being written: one pass over the rows.
    - any other row sum is einsum of its operand.

    The folded equations must come just before the sum and be read by their successor
    alone, so no equation in between can have reused their operands' buffers."""
    made = {id(out): eqn for eqn in fn.eqns for out in eqn.outputs}
    einsums, exp_sums, folded = {}, {}, set()

    def only_next(eqn: Eqn, index: int) -> bool:  # eqn's output read by eqns[index] alone
        return last.get(id(eqn.out)) == index and fn.eqns[index].inputs[0] is eqn.out

    for index, eqn in enumerate(fn.eqns):
        if not _row_sum(eqn):
            continue
        (x,) = eqn.inputs
        before = fn.eqns[max(index - 2, 0) : index]
        if len(before) == 2 and before[1].op is OPS["exp"] and before[0].op is OPS["subtract"]:
            subtract, exp = before
            shifted, top_kept = subtract.inputs
            kept = made.get(id(top_kept))
            peak = made.get(id(kept.inputs[0])) if kept and kept.op is OPS["reshape"] else None
            if (
                only_next(exp, index)
                and only_next(subtract, index - 1)
                and peak is not None
                and peak.op is OPS["max"]
                and peak.inputs[0] is shifted
                and shifted.type == subtract.out.type
                and tuple(peak.params["axis"]) == (shifted.type.ndim - 1,)
                and top_kept.type.shape == (*shifted.type.shape[:-1], 1)
            ):
                exp_sums[id(eqn)] = (shifted, peak.out, top_kept, subtract.out)
                folded.update({id(subtract), id(exp)})
                continue
        product = before[-1] if before else None
        if (
            product is not None
            and product.op is OPS["multiply"]
            and only_next(product, index)
            and all(y.type == x.type for y in product.inputs)
        ):
            einsums[id(eqn)] = tuple(product.inputs)
            folded.add(id(product))
        else:
            einsums[id(eqn)] = (x,)
    return einsums, exp_sums, folded


def _writes_in_place(eqn: Eqn) -> bool:
    """Elementwise ufuncs can write into a buffer (`out=`) that one of their inputs uses;
    numpy would copy an overlapping operand for anything else (matmul)."""
    return "elementwise" in eqn.op.tags and isinstance(eqn.op.impl, np.ufunc)


class _Emitter:
    """Walks the equations once, naming values and choosing buffers."""

    def __init__(self, fn: Function, namespace: dict, numbers: tuple, owned: tuple = ()):
        """`numbers`: the printer's numbering of the whole function (value and sub-function
        ids -> numbers), so `v6` in the code is `%6` in the header and `fn2_body` is `@2`.
        `owned`: parameters that are fresh arrays of ours (blocked results), which the body
        may write into and return without a copy."""
        self.fn = fn
        self.names: dict = {}
        self.namespace = namespace
        self.constants: list = []
        self.origin, self.last = _origin_and_last_use(fn)
        self.origin.update({id(p): id(p) for p in owned})
        self.numbers, self.labels = numbers
        # block bodies take their temporaries from a pool the driver keeps for one call, so
        # the blocks of a call reuse memory instead of asking the allocator each time
        self.pooled = False
        # result value id -> name of a caller-given output buffer (used when chunking)
        self.outputs: dict = {}
        self.defined: set = set()  # ids of the sub-functions this body has a nested def for
        self.written: set = set()  # the output buffers some equation wrote with out=
        self.unwritten: list = []
        self.slots: list = []  # (shape, dtype) of each pooled temporary
        self.row = None  # in a block body: the row symbol, whose count `dim` reads whole
        # outside the blocks, fresh arrays come from the caching allocator (host numpy only)
        self.allocates = namespace.get("np") is np
        # row sums as einsum or exp_sum_shifted (host numpy only), with what they fold in
        none: tuple = ({}, {}, set())
        self.einsums, self.exp_sums, self.folded = (
            _row_sums(fn, self.last) if self.allocates else none
        )

    def name(self, value: Value) -> str:
        return self.names[id(value)]

    def fresh(self, value: Value, prefix: str = "v") -> str:
        name = f"{prefix}{self.numbers[id(value)]}"
        self.names[id(value)] = name
        return name

    def render(self, param) -> str:
        if isinstance(param, tuple):
            inner = ", ".join(self.render(p) for p in param)
            return f"({inner}{',' if len(param) == 1 else ''})"
        if isinstance(param, sympy.Basic):
            return shapes.to_python(param)
        if isinstance(param, Function):
            return self.function_name(param)
        return repr(param)

    def function_name(self, sub: Function) -> str:
        name = re.sub(r"\W", "_", sub.name)
        return f"fn{self.labels[id(sub)]}_{name}"

    def nested(self, eqn: Eqn) -> list:
        """The equation's sub-functions as nested defs: they see the enclosing function's
        symbol lines (`s0 = a0.shape[0]`); their constants are module-level like any other.
        The op's impl gets each as a callable."""
        lines = []
        for sub in dict.fromkeys(sub_functions(eqn)):
            if id(sub) in self.defined:  # held by an earlier equation of this function too
                continue
            self.defined.add(id(sub))
            child = _Emitter(sub, self.namespace, (self.numbers, self.labels))
            lines += _body(sub, child, self.function_name(sub))
            self.constants += child.constants
        return lines

    def constant(self, eqn: Eqn) -> None:
        name = self.fresh(eqn.out, "c")
        value, dtype = eqn.params["value"], eqn.out.type.dtype
        if isinstance(value, Literal):
            self.namespace[name] = np.asarray(value.array, dtype=dtype)
            self.constants.append(
                f"{name} = <constant {eqn.out.type} {value!r}>  (bound at compile)"
            )
        else:
            text = repr(value)
            if isinstance(value, float) and not math.isfinite(value):
                text = f"float('{text}')"  # repr gives nan / inf, which are not Python names
            self.constants.append(f"{name} = np.{dtype}({text})")

    def dead(self, x: Value, eqn: Eqn, index: int) -> bool:
        """Whether x's buffer is ours to overwrite at equation `index`: x owns it (not a
        parameter, constant or view), is not read later, and nothing that shares it is read
        later or by another operand of this equation."""
        owner = self.origin[id(x)]
        if owner != id(x) or self.last.get(id(x)) != index:
            return False
        later = [v for v, o in self.origin.items() if o == owner and self.last.get(v, -1) > index]
        others = [y for y in eqn.inputs if y is not x and self.origin[id(y)] == owner]
        return not later and not others

    def reusable(self, eqn: Eqn, index: int) -> Value | None:
        """A dead input whose buffer the output can be written into."""
        out = eqn.out
        if not out.type.shape or not _writes_in_place(eqn):
            return None
        for x in eqn.inputs:
            if x.type == out.type and self.dead(x, eqn, index):
                return x
        return None

    def into(self, eqn: Eqn) -> str:
        """The op done in its first operand's buffer (`op.inplace`), which the output
        takes over."""
        (x, *rest), inplace = eqn.inputs, eqn.op.inplace
        self.namespace[inplace.__name__] = inplace
        self.names[id(eqn.out)] = self.name(x)
        self.origin = {v: (id(eqn.out) if o == id(x) else o) for v, o in self.origin.items()}
        self.origin[id(eqn.out)] = id(eqn.out)
        args = [self.name(y) for y in (x, *rest)]
        args += [f"{k}={self.render(v)}" for k, v in eqn.params.items()]
        return f"{inplace.__name__}({', '.join(args)})"

    def call(self, eqn: Eqn) -> str:
        if eqn.op is OPS["dim"] and self.row is not None:  # the whole count, not the block's
            params = {k: sympy.sympify(v).subs(self.row, ROWS_TOTAL) for k, v in eqn.params.items()}
            eqn = dataclasses.replace(eqn, params=params)
        if id(eqn) in self.exp_sums:
            return self.exp_sum(eqn)
        if id(eqn) in self.einsums:
            operands = self.einsums[id(eqn)]
            subscripts = ",".join(["...i"] * len(operands)) + "->..."
            return f"np.einsum({subscripts!r}, {', '.join(self.name(x) for x in operands)}"
        impl = eqn.op.impl
        path = numpy_path(impl)
        if path in METHODS and eqn.inputs:
            return self.method(eqn, path)
        if path is not None:
            callee = f"np.{path}"
        else:
            callee = impl.__name__
            self.namespace[callee] = impl
        args = [self.name(x) for x in eqn.inputs]
        args += [f"{k}={self.render(v)}" for k, v in eqn.params.items()]
        return f"{callee}({', '.join(args)}"

    def exp_sum(self, eqn: Eqn) -> str:
        """sum(exp(x - max)) as numpy_runtime.exp_sum_shifted, which skips the shift where
        it can; the exponentials go to the shifted values' scratch slot in a block."""
        x, top, top_kept, shifted = self.exp_sums[id(eqn)]
        self.namespace["exp_sum_shifted"] = numpy_runtime.exp_sum_shifted
        buffer = "None"
        if self.pooled:
            shape = shapes.to_python(shifted.type.shape)
            self.slots.append((shifted.type.shape, shifted.type.dtype))
            slot = self.numbers[id(shifted)]
            buffer = f"scratch(pool, {slot}, {shape}, {shifted.type.dtype!r})"
        names = ", ".join(self.name(v) for v in (x, top, top_kept))
        return f"exp_sum_shifted({names}, {buffer}"

    def method(self, eqn: Eqn, name: str) -> str:
        """numpy's function as the array's own method (x.sum(axis=...) for np.sum(x, ...)):
        the same C code without the function's Python wrapper, 0.6-1 us a call saved."""
        x, *rest = eqn.inputs
        args = [self.name(y) for y in rest]
        if name in POSITIONAL:  # x.reshape(shape), x.transpose(axes): no keyword there
            args += [self.render(v) for v in eqn.params.values()]
        else:
            args += [f"{k}={self.render(v)}" for k, v in eqn.params.items()]
        return f"{self.name(x)}.{name}({', '.join(args)}"

    def statement(self, eqn: Eqn, index: int) -> str:
        if id(eqn) in self.folded:  # a product its sum computes inside einsum
            return ""
        if eqn.op is OPS["constant"]:
            self.constant(eqn)
            return ""
        if sub_functions(eqn):  # control flow: its outputs are fresh arrays (see its impl)
            outs = ", ".join(self.fresh(v) for v in eqn.outputs)
            call = f"{outs} = {self.call(eqn)})" if outs else f"{self.call(eqn)})"
            return "\n".join([*self.nested(eqn), call])
        if eqn.op.inplace is not None and self.dead(eqn.inputs[0], eqn, index):
            return self.into(eqn)
        if len(eqn.outputs) != 1:  # several results (np.frexp): fresh arrays, never out=
            return f"{', '.join(self.fresh(v) for v in eqn.outputs)} = {self.call(eqn)})"
        call = self.call(eqn)
        if id(eqn.out) in self.outputs and isinstance(eqn.op.impl, np.ufunc):
            name = self.fresh(eqn.out)
            buffer = self.outputs.pop(id(eqn.out))
            self.written.add(buffer)
            return f"{name} = {call}, out={buffer})"
        target = self.reusable(eqn, index)
        if target is not None:
            buffer = self.name(target)
            self.names[id(eqn.out)] = buffer
            self.origin[id(eqn.out)] = id(eqn.out)
            self.origin = {
                v: (id(eqn.out) if o == id(target) else o) for v, o in self.origin.items()
            }
            return f"{call}, out={buffer})"
        if self.pooled and self._poolable(eqn):
            shape = shapes.to_python(eqn.out.type.shape)
            dtype = eqn.out.type.dtype
            slot = self.numbers[id(eqn.out)]
            name = self.fresh(eqn.out)
            self.slots.append((eqn.out.type.shape, dtype))
            return f"{name} = {call}, out=scratch(pool, {slot}, {shape}, {dtype!r}))"
        if self.allocates and (_writes_in_place(eqn) or eqn.op is OPS["matmul"]):
            # a fresh array from jitlib's caching allocator, already faulted in
            shape = shapes.to_python(eqn.out.type.shape)
            name = self.fresh(eqn.out)
            if not eqn.out.type.shape:
                return f"{name} = {call})"
            # small arrays come from malloc's heap, which does not fault: decide inline,
            # without a call (a tiny jitted function's whole budget is a few microseconds)
            nbytes = shapes.size(eqn.out.type.shape) * np.dtype(eqn.out.type.dtype).itemsize
            pooled = f"rt.empty({shape}, {eqn.out.type.dtype!r})"
            if isinstance(nbytes, int) or sympy.sympify(nbytes).is_number:
                big = int(nbytes) >= numpy_runtime.MIN_POOLED_BYTES
                return f"{name} = {call}, out={pooled})" if big else f"{name} = {call})"
            small = f"{shapes.to_python(nbytes)} < rt.MIN_POOLED_BYTES"
            return f"{name} = {call}, out=None if {small} else {pooled})"
        outs = ", ".join(self.fresh(v) for v in eqn.outputs)
        return f"{outs} = {call})"

    def _poolable(self, eqn: Eqn) -> bool:
        """A block temporary: a fresh elementwise result that is not a result of the block."""
        return _writes_in_place(eqn) and bool(eqn.out.type.shape) and eqn.out not in self.fn.results

    def result(self, value: Value) -> str:
        name = self.name(value)
        if self.origin.get(id(value)) is None:
            # a parameter, a constant or a view of one: hand out a fresh copy, so writing to
            # a result never changes the caller's array (numpy's x.copy() and +x are fresh)
            return f"np.array({name})"
        return f"np.asarray({name})" if not value.type.shape else name


def _source_comment(source: str | None) -> str:
    if not source:
        return ""
    where = source.split(": ", 1)[0]
    filename, _, line = where.rpartition(":")
    return f"  # {os.path.basename(filename)}:{line}"


def _comment_sources(fn: Function) -> dict:
    """A statement's source comment -> the whole `file:line: code` it stands for (every
    equation, nested ones too), so a run-time error can name the user's line."""
    found: dict = {}
    for eqn in fn.eqns:
        for sub in sub_functions(eqn):
            found.update(_comment_sources(sub))
        if eqn.source:
            found.setdefault(_source_comment(eqn.source).strip(" #"), eqn.source)
    return found


def _used_symbols(fn: Function) -> set:
    """The symbols the equations' params use, those of nested sub-functions included."""
    used: set = set()
    for eqn in fn.eqns:
        for sub in sub_functions(eqn):
            used |= _used_symbols(sub)
        for param in eqn.params.values():
            for item in param if isinstance(param, tuple) else (param,):
                if isinstance(item, sympy.Basic):
                    used |= item.free_symbols
    return used


def _symbol_lines(fn: Function, names: dict, every: bool = False) -> list:
    """`s0 = a0.shape[0]` for each symbol the body uses (`every` symbol for pooled bodies,
    whose temporaries' shapes use them)."""
    lines, seen = [], set()
    used = _used_symbols(fn) | (
        set().union(*[shapes.free_symbols(p.type.shape) for p in fn.params]) if every else set()
    )
    # leading axes first: in a block body the row symbol is the block's length, which only
    # the blocked parameters' leading axes carry (an unblocked one may hold all the rows)
    found = [(axis, value) for value in fn.params for axis in range(value.type.ndim)]
    for axis, value in sorted(found, key=lambda item: item[0] > 0):
        dim = value.type.shape[axis]
        if isinstance(dim, sympy.Symbol) and dim in used and dim not in seen:
            seen.add(dim)
            lines.append(f"{dim} = {names[id(value)]}.shape[{axis}]")
    return lines


def _body(fn: Function, emitter: _Emitter, name: str, outputs: tuple = ()) -> list:
    """The function computing `fn` with one numpy call per equation. A block body (given
    `outputs`) writes a result whose last op is a ufunc into its output buffer, and takes
    its temporaries from `pool`."""
    params = [emitter.fresh(p, "a") for p in fn.params]
    for value, buffer in zip(fn.results, outputs):
        if value not in fn.params:
            emitter.outputs.setdefault(id(value), buffer)
    emitter.pooled = bool(outputs)
    emitter.allocates = emitter.allocates and not emitter.pooled
    params += [f"{buffer}=None" for buffer in outputs] + (["pool=None"] if outputs else [])
    params += [f"{ROWS_TOTAL}=None"] if emitter.row is not None else []
    body = _symbol_lines(fn, emitter.names, every=emitter.pooled or emitter.allocates)
    for index, eqn in enumerate(fn.eqns):
        line = emitter.statement(eqn, index)
        if line:
            body += (line + _source_comment(eqn.source)).split("\n")
    results = ", ".join(emitter.result(v) for v in fn.results)
    # a result that is a parameter, a view or a repeat of another result is copied in
    emitter.unwritten = [b for b in outputs if b not in emitter.written]
    body.append(f"return ({results}{',' if len(fn.results) == 1 else ''})")
    return [f"def {name}({', '.join(params)}):"] + [f"    {line}" for line in body]


def _row_bytes(fn: Function, row, slots: list) -> sympy.Expr:
    """Bytes per row of a block's working set: its rows of every parameter, result and
    pooled temporary that runs along the rows."""
    values = [(v.type.shape, v.type.dtype) for v in (*fn.params, *fn.results)] + slots
    total = sympy.Integer(0)
    for shape, dtype in values:
        if shape and shape[0] == row:
            total += np.dtype(dtype).itemsize * shapes.size(shape[1:])
    return total


def _driver(fn: Function, row, block_fn: str, name: str, copied: list, slots: list) -> list:
    """Run `block_fn` on blocks of rows small enough to keep its working set in L2, on
    every core when there is enough work (codegen.numpy_runtime.run_blocks)."""
    args = [f"a{i}" for i in range(len(fn.params))]
    rows_of = [a for a, p in zip(args, fn.params) if p.type.shape and p.type.shape[0] == row]
    lead = rows_of[0]
    into = _into_parameters(fn, row)
    row_bytes = _row_bytes(fn, row, slots)
    lines = [f"def {name}({', '.join(args)}):", f"    rows = {lead}.shape[0]"]
    symbols = set().union(*[shapes.free_symbols(v.type.shape[1:]) for v in fn.results])
    symbols |= row_bytes.free_symbols
    for sym in sorted(symbols - {row}, key=str):
        arg, axis = next(
            (a, p.type.shape.index(sym)) for a, p in zip(args, fn.params) if sym in p.type.shape
        )
        lines.append(f"    {sym} = {arg}.shape[{axis}]")
    lines.append(f"    row_bytes = {shapes.to_python(row_bytes.subs(row, 1))}")
    # little work: one block on this thread, with numpy's own (heap) allocations
    given = "".join(f", r{i}={args[k]}" for i, k in into.items())
    lines += [
        "    block = rt.block_rows(rows, row_bytes)",
        "    if rows <= block and rows * row_bytes <= rt.SMALL_BYTES:",
        f"        return {block_fn}({', '.join(args)}{given}, {ROWS_TOTAL}=rows)",
    ]
    outs = [f"r{i}" for i in range(len(fn.results))]
    for i, (out, value) in enumerate(zip(outs, fn.results)):
        if i in into:  # the caller's array: its rows are dead once their block has run
            lines.append(f"    {out} = {args[into[i]]}  # written back to the argument")
            continue
        dims = ", ".join(["rows"] + [shapes.to_python(d) for d in value.type.shape[1:]])
        lines.append(f"    {out} = rt.empty(({dims},), np.{value.type.dtype})")
    sliced = [f"{a}[start:stop]" if a in rows_of else a for a in args]
    sliced += [f"{o}[start:stop]" for o in outs] + ["pool", f"{ROWS_TOTAL}=rows"]
    parts = [f"part{i}" for i in range(len(outs))]
    blas = ", blas=True" if any(e.op is OPS["matmul"] for e in fn.eqns) else ""
    lines += [
        "    def run(start, stop, pool):",
        f"        {', '.join(parts)}, = {block_fn}({', '.join(sliced)})",
    ]
    # results the block wrote into their output slice need no copy
    lines += [f"        {o}[start:stop] = {p}" for o, p in zip(outs, parts) if o in copied]
    lines += [
        f"    rt.run_blocks(run, rows, block, POOLS[{name!r}], rows * row_bytes{blas})",
        f"    return ({', '.join(outs)},)",
    ]
    return lines


def _into_parameters(fn: Function, row) -> dict:
    """Written-back results (fn.written) the blocks can compute straight into their
    parameter's array: result index -> parameter index. The parameter must run along the
    rows, as the result does, so each block reads and writes only its own rows, and no
    equation may read the parameter (or a view of it) after the result is made."""
    found = {}
    for j, k in fn.written:
        param, value = fn.params[k], fn.results[j]
        if value in fn.params or param.type != value.type or param.type.shape[:1] != (row,):
            continue
        views, last_read, made = {id(param)}, -1, None
        for index, eqn in enumerate(fn.eqns):
            if any(id(x) in views for x in eqn.inputs):
                last_read = index
                if "view" in eqn.op.tags:
                    views |= {id(out) for out in eqn.outputs}
            if value in eqn.outputs:
                made = index
        shared = any(id(r) in views for r in fn.results)
        if made is not None and last_read <= made and not shared:
            found[j] = k
    return found


# in a block body, the row count as a value (`dim`): the whole call's, not the block's
ROWS_TOTAL = sympy.Symbol("rows_total", integer=True, positive=True)
MIN_CHUNKED_OPS = 3  # fewer ops than this gain nothing from blocking


def blocked_split(fn: Function) -> numpy_chunking.Split | None:
    """The split to run on blocks of rows, when blocking gains: it needs MIN_CHUNKED_OPS
    busy ops (elementwise or reductions) on the widest rows, whose temporaries the blocks
    keep in cache. Ops on narrower rows (a per-example scalar beside its 512 features) move
    little memory, and blocking them only adds Python calls: per-example gradients ran
    0.82x of eager numpy with one wide op cut into blocks."""
    found = numpy_chunking.split(fn)
    if found is None:
        return None
    row = found.row
    widths = {
        shapes.size(p.type.shape[1:]) for p in found.blocked.params if p.type.shape[:1] == (row,)
    }
    if len(widths) > 1:
        widths.discard(1)  # vectors along the rows beside wider rows

    def wide(eqn: Eqn) -> bool:
        values = (*eqn.inputs, *eqn.outputs)
        return any(
            v.type.shape[:1] == (row,) and shapes.size(v.type.shape[1:]) in widths for v in values
        )

    busy = [e for e in found.blocked.eqns if {"elementwise", "reduction"} & e.op.tags and wide(e)]
    return found if len(busy) >= MIN_CHUNKED_OPS else None


def _numbers(fn: Function) -> tuple:
    """(id -> number of each value, id -> label of each sub-function) as the printer
    numbers them (%0, %1, ... and @0, @1, ...)."""
    return numbering(fn)


def _sections(fn: Function, name: str, namespace: dict, chunk: bool) -> tuple:
    """(function sources, emitters, a header note) for `fn`: one plain body, or a blocked
    body with its driver, followed where needed by the body of the row-mixing rest."""
    found = blocked_split(fn) if chunk else None
    if found is None:
        emitter = _Emitter(fn, namespace, _numbers(fn))
        return [_body(fn, emitter, name)], [emitter], None
    blocked = found.blocked
    emitter = _Emitter(blocked, namespace, _numbers(fn))
    emitter.row = found.row
    outputs = tuple(f"r{i}" for i in range(len(blocked.results)))
    rows_name = name if found.rest is None else f"{name}_rows"
    sections = [
        _body(blocked, emitter, f"{name}_block", outputs),
        _driver(blocked, found.row, f"{name}_block", rows_name, emitter.unwritten, emitter.slots),
    ]
    note = f"the row-local ops run on blocks of rows along {found.row}"
    if found.rest is None:
        return sections, [emitter], note
    rest, escaping = found.rest, blocked.results
    # the rest may write into a blocked result only when no other result views its memory
    # (small inputs skip the blocks, and a reshape of a result comes back as a view of it)
    origins = [emitter.origin.get(id(v)) for v in escaping]
    owned = tuple(v for v, o in zip(escaping, origins) if o == id(v) and origins.count(o) == 1)
    finisher = _Emitter(rest, namespace, (emitter.numbers, emitter.labels), owned=owned)
    sections.append(_body(rest, finisher, f"{name}_rest"))
    args = [f"a{i}" for i in range(len(fn.params))]
    parts = [f"e{i}" for i in range(len(escaping))]
    sections.append(
        [
            f"def {name}({', '.join(args)}):",
            f"    {', '.join(parts)}, = {rows_name}({', '.join(args)})",
            f"    return {name}_rest({', '.join(args + parts)})",
        ]
    )
    return sections, [emitter, finisher], note + "; the rest runs on whole arrays"


NUMPY_MODULES = {"": np, "linalg.": np.linalg}
# numpy functions emitted as the first operand's method of the same name: the array method
# skips the function's Python wrapper (np.sum costs 2.2 us on a small array, x.sum 1.2 us;
# np.reshape 0.7 us, x.reshape 0.1 us). numpy scalars and CuPy arrays have the same methods.
METHODS = frozenset(
    "sum prod max min all any argmax argmin cumsum cumprod take reshape transpose".split()
)
POSITIONAL = frozenset({"reshape", "transpose"})


def numpy_path(impl) -> str | None:
    """Where `impl` lives in numpy, when it is one of numpy's own functions: "cumsum" for
    np.cumsum, "linalg.solve" for np.linalg.solve. The code calls it through `np.`, so an
    array module that mirrors numpy (CuPy) serves it on its own arrays."""
    name = getattr(impl, "__name__", "")
    for prefix, module in NUMPY_MODULES.items():
        if getattr(module, name, None) is impl:
            return prefix + name
    return None


def emit(fn: Function, chunk: bool = True, xp=np) -> NumpyKernel:
    """Generate and compile the numpy function for `fn`. With `xp` another array module
    that mirrors numpy (CuPy), its `np.` calls go to that module."""
    namespace = {"np": xp, "math": math, "rt": numpy_runtime, "scratch": numpy_runtime.scratch}
    namespace["POOLS"] = collections.defaultdict(numpy_runtime.Pools)
    namespace["SOURCES"] = _comment_sources(fn)
    name = f"{fn.name}_numpy"
    sections, emitters, note = _sections(fn, name, namespace, chunk)
    if xp is np:  # CuPy's callers pass device arrays, never Python numbers
        _type_scalar_params(fn, name, sections)
    header = ["# jitlib numpy backend. Generated from this IR:"]
    header += [f"#   {line}" for line in as_text(fn).splitlines()]
    header += [f"# traced at {s}" for s in _sources(fn)]
    header += [f"# {note}"] if note else []
    # a sub-function held in two scopes (nested defs) declares its constants twice
    constants = list(dict.fromkeys(c for e in emitters for c in e.constants))
    lines = header + [f"# {c}" for c in constants if "<constant" in c]
    lines += [c for c in constants if "<constant" not in c]
    for section in sections:
        lines += section + [""]
    source = "\n".join(lines)
    return NumpyKernel(source=source, fn=compile_source(source, name, namespace), name=name)


def compile_source(source: str, name: str, namespace: dict):
    """Run generated source in `namespace` and return its function `name`; linecache holds
    the source, so tracebacks show the generated lines (the disk cache compiles with it too)."""
    filename = f"<jitlib:{name}:{abs(hash(source)):x}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    with PARSE_LOCK:
        exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def _type_scalar_params(fn: Function, name: str, sections: list) -> None:
    """The entry first makes a scalar parameter that an op reads directly a numpy scalar of
    its IR dtype. A Python number argument is weak to numpy (np.multiply(x_f32, 1.5) is
    float32), but the IR has typed it: where a pass forwards it past an identity
    (np.multiply(a, 1.0) is a strong float64 in numpy), the op it meets must compute in the
    IR's dtype, as eager numpy does. An int that `convert` (or a sub-function) reads stays a
    Python int: converting it raises OverflowError where it does not fit, as numpy does."""
    readers: dict = {}
    for eqn in fn.eqns:
        for x in eqn.inputs:
            readers.setdefault(id(x), []).append(eqn)
    lines = []
    for i, param in enumerate(fn.params):
        dtype, reads = param.type.dtype, readers.get(id(param), [])
        if param.type.ndim or dtype not in ("bool", "int64", "float64"):
            continue
        if all(eqn.op is OPS["convert"] for eqn in reads):
            continue
        if dtype == "int64" and any(
            eqn.op is OPS["convert"] or sub_functions(eqn) for eqn in reads
        ):
            continue
        lines.append(f"    a{i} = np.{dtype}(a{i})")
    entry = next(s for s in sections if s[0].startswith(f"def {name}("))
    entry[1:1] = lines


def _sources(fn: Function) -> list:
    seen: dict = {}
    for eqn in fn.eqns:
        if eqn.source:
            seen.setdefault(eqn.source, None)
    return list(seen)
