"""Fusion planning, XLA style: the optimised IR partitioned into kernels.

A *materialised* value is one that lives in memory: a parameter, a result, an array
constant, an operand or result of an op no kernel can compute (a host step), or a value the
planner had to store between kernels. Every other value is computed inside the kernel that
needs it, by evaluating it elementwise at an index (XLA's elemental emitter): broadcasts and
layout ops (transpose, reshape, slice, flip, concatenate, pad, gather) become index
arithmetic on sympy expressions, and a kernel's intermediates never reach memory.

Each kernel has a *domain*, the index space one launch covers:
- `pointwise`: every element of one shape (several outputs of that shape can share it);
- `reduction`: rows of kept indices times the reduced elements of one input shape `X`; a
  reduction is computed once per row and its producers and consumers fuse around it, so a
  softmax or a layernorm is one kernel;
- `matmul`: output tiles of one matmul (a `tl.dot` loop), with the elementwise epilogue
  that consumes it.
A reduction or a matmul (an *anchor*) can only be evaluated at its own row or tile. When
some consumer needs it elsewhere, the walk raises `_Unfusible` and the planner stores the
value instead, and plans again: every retry materialises one more value, so it ends.

The result is a list of steps in dependency order: `Kernel`s, whose outputs map to
expression `Node`s over the domain's index symbols, and `Host` steps for equations the
backend cannot fuse (`supported(eqn)` says which can).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import replace

import sympy

from ir import shapes
from ir.core import Eqn, Function, Value
from ir.ops import Literal
from ir.passes import fusion_inplace
from ir.passes.dce import checks_indices
from ir.passes.fusion_index import (
    broadcast_index,
    clamp,
    normalized,
    provably_one,
    replace_axis,
    reshape_index,
)
from ir.passes.fusion_nodes import (
    Apply,
    Checked,
    Const,
    Domain,
    Dot,
    Host,
    IndexValue,
    Kernel,
    Load,
    Plan,
    Pred,
    Reduce,
    Total,
    index_symbol,
    shapes_equal,
    walk_nodes,
)

# --- anchors --------------------------------------------------------------------------------


def _domain_of_anchor(eqn: Eqn) -> Domain:
    if "matmul" in eqn.op.tags:
        return Domain("matmul", eqn.out.type.shape, eqn=eqn)
    axis = eqn.params["axis"]
    axes = tuple(axis) if isinstance(axis, tuple) else (axis,)
    return Domain("reduction", eqn.inputs[0].type.shape, axes)


def is_anchor(eqn: Eqn) -> bool:
    """A reduction, or a matmul (one with an empty operand is a sum over nothing: 0)."""
    if "matmul" in eqn.op.tags:
        return not _empty_matmul(eqn)
    return "reduction" in eqn.op.tags


def _empty_matmul(eqn: Eqn) -> bool:
    return any(d == 0 for x in eqn.inputs for d in x.type.shape)


# --- plan -----------------------------------------------------------------------------------


class _Unfusible(Exception):
    """`value` must be materialised for the kernel being planned to exist."""

    def __init__(self, value: Value):
        super().__init__()
        self.value = value


def plan(fn: Function, supported) -> Plan:
    """Partition `fn` into kernels and host steps; `supported(eqn)` says whether the
    backend's kernels can compute an equation."""
    producers = {id(o): e for e in fn.eqns for o in e.outputs}
    order = {id(e): i for i, e in enumerate(fn.eqns)}
    stored = {id(p) for p in fn.params} | {id(r) for r in fn.results}
    read = {id(x) for e in fn.eqns for x in e.inputs}
    for eqn in fn.eqns:
        if checks_indices(eqn) and not read & {id(o) for o in eqn.outputs}:
            stored.add(id(eqn.out))  # unused, but its index check still runs
        if _is_literal(eqn):
            stored.add(id(eqn.out))
        elif is_host(eqn, supported):
            stored |= {id(x) for x in eqn.inputs if not is_free(producers.get(id(x)))}
            stored |= {id(o) for o in eqn.outputs}
    stored |= fusion_inplace.chain_links(fn, producers)
    refused: set = set()  # slice writes that copy after all
    on_host = functools.partial(is_host, supported=supported)
    with shapes.assuming(fn.guards):
        while True:  # each retry stores one more value or refuses one more write: it ends
            writes = fusion_inplace.slice_writes(fn, producers, stored, refused, on_host)
            try:
                steps = _schedule(fn, producers, order, stored, supported, writes)
            except _Unfusible as blocked:
                assert id(blocked.value) not in stored, "the planner would loop"
                stored.add(id(blocked.value))
                continue
            refuse, store = fusion_inplace.conflicts(steps, producers, stored)
            if not refuse and not store:
                return Plan(fn, steps, stored)
            refused |= refuse
            stored |= {id(v) for v in store}


def _is_literal(eqn: Eqn) -> bool:
    return eqn.op.name == "constant" and isinstance(eqn.params["value"], Literal)


def is_free(eqn: Eqn | None) -> bool:
    """A scalar constant or a symbolic size: computed wherever it is used, never stored."""
    return eqn is not None and eqn.op.name in ("constant", "dim") and not _is_literal(eqn)


def is_host(eqn: Eqn, supported) -> bool:
    return not is_free(eqn) and not _is_literal(eqn) and not supported(eqn)


def _schedule(
    fn: Function, producers: dict, order: dict, stored: set, supported, writes: dict
) -> list:
    steps: list = []
    made_by: dict = {}  # id(value) -> index of the step that makes it
    for eqn in fn.eqns:
        outs = [o for o in eqn.outputs if id(o) in stored]
        if not outs or _is_literal(eqn):
            continue
        if is_host(eqn, supported):
            steps.append(Host(eqn, host_inputs(fn, eqn, producers), list(eqn.outputs)))
            made_by.update((id(o), len(steps) - 1) for o in eqn.outputs)
            continue

        def rewalk(kernel: Kernel, domain: Domain) -> Kernel | None:
            return _rewalked(kernel, domain, producers, stored)

        for value in outs:
            if id(value) in writes:  # a kernel of its own, never merged: see _place
                steps.append(_slice_write(writes[id(value)], producers, stored))
                made_by[id(value)] = len(steps) - 1
            else:
                _place(_kernel_for(value, producers, order, stored), steps, made_by, rewalk)
    _check_anchors(steps)
    return steps


def _slice_write(eqn: Eqn, producers: dict, stored: set) -> Kernel:
    """x with a slice updated, as a kernel over the update's shape that stores into x's
    buffer at the slice's positions."""
    x, update = eqn.inputs
    domain = Domain("pointwise", update.type.shape)
    walker = _Walk(producers, stored, domain)
    node = walker.at(update, domain.symbols())
    into = {id(eqn.out): (x, fusion_inplace.store_index(eqn, domain.symbols()))}
    return Kernel(domain, [(eqn.out, node)], [*walker.eqns, eqn], walker.anchor_values, into)


def host_inputs(fn: Function, eqn: Eqn, producers: dict) -> list:
    """What a host step is handed: the equation's inputs (once each; scalar constants and
    sizes are computed inside it), then parameters of `fn` that carry the sizes it uses
    and its inputs' shapes lack (a loop body may use x.shape[0] without x)."""
    inputs = list(dict.fromkeys(x for x in eqn.inputs if not is_free(producers.get(id(x)))))
    # a size is read off an input's shape only where it is a whole dim (s1, not s1 - 1)
    known = {d for x in inputs for d in x.type.shape if isinstance(d, sympy.Symbol)}
    for symbol in sorted(_symbols_in(eqn) - known, key=str):
        carrier = next(p for p in fn.params if symbol in p.type.shape)
        if carrier not in inputs:
            inputs.append(carrier)
    return inputs


def _symbols_in(item) -> set:
    """The shape symbols an equation (its params, its sub-functions) refers to."""
    if isinstance(item, Eqn):
        found = set().union(*[_symbols_in(v) for v in item.params.values()] or [set()])
        types = [v.type.shape for v in (*item.inputs, *item.outputs)]
        return found | set().union(*[shapes.free_symbols(t) for t in types] or [set()])
    if isinstance(item, Function):
        return set().union(*[_symbols_in(e) for e in item.eqns] or [set()])
    if isinstance(item, tuple):
        return set().union(*[_symbols_in(v) for v in item] or [set()])
    if isinstance(item, sympy.Basic):
        return set(item.free_symbols)
    return set()


def _place(kernel: Kernel, steps: list, made_by: dict, rewalk) -> None:
    """Append the kernel, or merge it into an earlier kernel that runs after everything it
    reads is made: one of the same domain, or, for a pointwise kernel, a reduction over
    its shape or a matmul of its shape (its outputs become more outputs of that kernel,
    walked again in that kernel's indices). A value the earlier kernel computes at the same
    index is taken from it rather than read back from memory (an Adam update's three
    outputs are one kernel; a ReLU after a stored matmul is its epilogue)."""
    for index in range(len(steps) - 1, -1, -1):
        step = steps[index]
        if not isinstance(step, Kernel) or step.into:
            continue
        candidate = kernel if step.domain.same(kernel.domain) else None
        if candidate is None and kernel.domain.kind == "pointwise" != step.domain.kind:
            if shapes_equal(step.domain.shape, kernel.domain.shape) and _contiguous(step.domain):
                candidate = rewalk(kernel, step.domain)
        if candidate is None:
            continue
        table = {  # (a total is known to the last program only: it is read from memory)
            Load(v, normalized(step.domain.index_for(v), v.type.shape), v.type.dtype): node
            for v, node in step.outputs
            if not totals_under(node)
        }
        merged = [(v, substitute(n, table)) for v, n in candidate.outputs]
        reads = {id(x) for _, n in merged for x in _loaded(n)}
        if max((made_by.get(i, -1) for i in reads), default=-1) < index:
            step.outputs += merged
            step.eqns += [e for e in candidate.eqns if e not in step.eqns]
            step.anchor_values.update(candidate.anchor_values)
            made_by.update((id(v), index) for v, _ in merged)
            return
    steps.append(kernel)
    made_by.update((id(v), len(steps) - 1) for v, _ in kernel.outputs)


def _contiguous(domain: Domain) -> bool:
    """A matmul, or a reduction over trailing axes: its blocks walk memory in order, so
    elementwise outputs merged into it are written as a pointwise kernel would write them."""
    rank = len(domain.shape)
    return domain.kind == "matmul" or domain.axes == tuple(range(rank - len(domain.axes), rank))


def _rewalked(kernel: Kernel, domain: Domain, producers: dict, stored: set) -> Kernel | None:
    """A pointwise kernel's outputs walked in another kernel's domain, or None when that
    would compute a reduction or matmul of its own there."""
    outputs, eqns, anchors = [], [], {}
    for value, _ in kernel.outputs:
        walker = _Walk(producers, stored, domain)
        try:
            node = walker.at(value, domain.index_for(value), top=True)
        except _Unfusible:
            return None
        if walker.anchor_values:
            return None
        outputs.append((value, node))
        eqns += [e for e in walker.eqns if e not in eqns]
    return Kernel(domain, outputs, eqns, anchors)


def _loaded(node) -> list:
    return [n.value for n in walk_nodes([node]) if isinstance(n, Load)]


def substitute(node, table: dict):
    """The node with every Load in `table` replaced by its entry (deps and Dot operands,
    which must stay reads of memory, are kept)."""
    if node in table:
        return table[node]
    if isinstance(node, Apply):
        return replace(node, args=tuple(substitute(a, table) for a in node.args))
    if isinstance(node, Reduce | Total):
        return replace(node, body=substitute(node.body, table))
    if isinstance(node, Checked):
        return replace(node, index=substitute(node.index, table))
    return node


def _check_anchors(steps: list) -> None:
    """A reduction or matmul computed by two kernels would be computed twice: store it."""
    owner: dict = {}
    for step in steps:
        if not isinstance(step, Kernel):
            continue
        for node in walk_nodes([n for _, n in step.outputs]):
            if isinstance(node, Reduce | Dot | Total):
                if owner.setdefault(node, step) is not step:
                    raise _Unfusible(step.anchor_values[node])


def _kernel_for(value: Value, producers: dict, order: dict, stored: set) -> Kernel:
    eqn = producers[id(value)]
    anchor = eqn if is_anchor(eqn) else _last_anchor(value, producers, order, stored)
    domain = Domain("pointwise", value.type.shape) if anchor is None else _domain_of_anchor(anchor)
    if anchor is not None and value.type.shape == ():
        inner = _last_anchor(anchor.inputs[0], producers, order, stored)
        if inner is not None and "reduction" in inner.op.tags:
            rows = _domain_of_anchor(inner)
            if _sums_rows(anchor, rows):
                domain = rows  # the rows' kernel also sums them up
    index = domain.index_for(value)
    if index is None:  # not an output shape of its anchor's domain: store the anchor
        raise _Unfusible(anchor.out)
    walker = _Walk(producers, stored, domain)
    node = walker.at(value, index, top=True)
    if index != () or not domain.rows():
        totals = totals_under(node)
        if totals:  # a row value cannot wait for the total of every row
            raise _Unfusible(walker.anchor_values[totals[0]])
    return Kernel(domain, [(value, node)], walker.eqns, walker.anchor_values)


def _squeezed_equal(a: tuple, b: tuple) -> bool:
    """Equal shapes once their size-1 axes are dropped ((s0, 1) and (s0,))."""
    return shapes_equal(
        tuple(d for d in a if not provably_one(d)), tuple(d for d in b if not provably_one(d))
    )


def _is_total(eqn: Eqn) -> bool:
    """A sum over every axis of a value with at least one axis."""
    x = eqn.inputs[0]
    axes = eqn.params.get("axis") if eqn.op.name == "sum" else None
    return axes is not None and x.type.ndim > 0 and tuple(axes) == tuple(range(x.type.ndim))


def _sums_rows(eqn: Eqn, domain: Domain) -> bool:
    """Whether the equation is a `Total` in the domain: the sum of a row-level value over
    every row. A domain without rows (a reduction to one value) has nothing to sum."""
    return (
        domain.kind == "reduction"
        and bool(domain.rows())
        and _is_total(eqn)
        and _squeezed_equal(eqn.inputs[0].type.shape, domain.rows())
    )


def totals_under(node) -> list:
    """The `Total` nodes a node depends on: an output with any is stored once, by the last
    program to finish."""
    return [n for n in walk_nodes([node]) if isinstance(n, Total)]


def _last_anchor(value: Value, producers: dict, order: dict, stored: set) -> Eqn | None:
    """The latest reduction or matmul in the value's cone (its inputs, up to stored ones)."""
    best, seen, stack = None, set(), [value]
    while stack:
        v = stack.pop()
        eqn = producers.get(id(v))
        if eqn is None or id(v) in seen:
            continue
        seen.add(id(v))
        if is_anchor(eqn) and (best is None or order[id(eqn)] > order[id(best)]):
            best = eqn
        stack += [x for x in eqn.inputs if id(x) not in stored]
    return best


_GATHER_NAMES = itertools.count()
_VIEWS = ("reshape", "transpose", "broadcast_to", "slice", "flip")


class _Walk:
    """Evaluates values at indices of one domain, building nodes."""

    def __init__(self, producers: dict, stored: set, domain: Domain):
        self.producers = producers
        self.stored = stored
        self.domain = domain
        self.memo: dict = {}
        self.eqns: list = []
        self.anchor_values: dict = {}
        self.checked: dict = {}  # (index node, length) -> Checked
        self.in_total = False
        self.by_symbol: dict = {}  # gather symbol -> Checked

    def deps(self, *exprs) -> tuple:
        """The checked gather indices whose symbols these expressions read."""
        found = set().union(*[sympy.sympify(e).free_symbols for e in exprs]) if exprs else set()
        return tuple(self.by_symbol[s] for s in sorted(found, key=str) if s in self.by_symbol)

    def at(self, value: Value, index: tuple, top: bool = False):
        # a gather's index on an axis of size 1 normalizes away, but its range check stays
        deps = self.deps(*index)
        index = normalized(index, value.type.shape)
        if any(d == 0 for d in value.type.shape):  # no elements: nothing is ever read
            return Const(0, value.type.dtype)
        key = (id(value), index, deps)
        if key not in self.memo:
            self.memo[key] = self._at(value, index, top, deps)
        return self.memo[key]

    def _at(self, value: Value, index: tuple, top: bool, deps: tuple = ()):
        dtype = value.type.dtype
        eqn = self.producers.get(id(value))
        if (id(value) in self.stored and not top) or eqn is None:
            return Load(value, index, dtype, deps)
        if eqn not in self.eqns:
            self.eqns.append(eqn)
        name, p = eqn.op.name, eqn.params
        if name == "constant":
            return Const(p["value"], dtype)
        if name == "dim":
            return IndexValue(sympy.sympify(p["size"]), dtype)
        if name == "iota":
            return IndexValue(index[0], dtype, self.deps(index[0]))
        if "elementwise" in eqn.op.tags:
            shape = value.type.shape
            args = tuple(
                self.at(x, broadcast_index(index, shape, x.type.shape)) for x in eqn.inputs
            )
            return Apply(name, tuple(p.items()), args, dtype)
        if is_anchor(eqn):
            return self._anchor(eqn, value, index)
        if "matmul" in eqn.op.tags:  # an empty one
            return Const(0, dtype)
        x = eqn.inputs[0]
        if name == "reshape":
            return self.at(x, reshape_index(index, value.type.shape, x.type.shape))
        if name == "transpose":
            inner = [None] * len(index)
            for k, axis in enumerate(p["axes"]):
                inner[axis] = index[k]
            return self.at(x, tuple(inner))
        if name == "broadcast_to":
            return self.at(x, broadcast_index(index, value.type.shape, x.type.shape))
        if name == "slice":
            return self.at(x, tuple(s + i * st for i, s, st in zip(index, p["start"], p["step"])))
        if name == "flip":
            flipped = (
                (d - 1 - i) if a in p["axis"] else i
                for a, (i, d) in enumerate(zip(index, x.type.shape))
            )
            return self.at(x, tuple(flipped))
        if name == "concatenate":
            return self._concatenate(eqn, index, dtype)
        if name == "pad":
            return self._pad(eqn, index, dtype)
        if name == "update_slice":
            return self._update_slice(eqn, index, dtype)
        if name == "take":
            return self._take(eqn, index)
        if name == "take_along_axis":
            return self._take_along_axis(eqn, value, index)
        raise AssertionError(f"the planner was given {name}, which no kernel computes")

    def _anchor(self, eqn: Eqn, value: Value, index: tuple):
        domain = self.domain
        if index == () and _sums_rows(eqn, domain):
            (x,) = eqn.inputs
            if self.in_total:
                raise _Unfusible(value)
            self.in_total = True
            rows = iter(s for s, d in zip(domain.row_index(), domain.rows()) if not provably_one(d))
            at_row = tuple(0 if provably_one(d) else next(rows) for d in x.type.shape)
            body = self.at(x, at_row)
            self.in_total = False
            node = Total(body, value.type.dtype, (domain.shape, domain.axes))
            self.anchor_values[node] = value
            return node
        if domain.eqn is not eqn and not domain.same(_domain_of_anchor(eqn)):
            raise _Unfusible(value)
        if domain.kind == "reduction":
            if index != normalized(domain.row_index(), domain.rows()):
                raise _Unfusible(value)
            body = self.at(eqn.inputs[0], domain.symbols())
            node = Reduce(eqn.op.name, body, value.type.dtype, (domain.shape, domain.axes))
        else:
            if index != normalized(domain.symbols(), domain.shape):
                raise _Unfusible(value)
            a, b = (self._operand(x, index, which) for x, which in zip(eqn.inputs, "ab"))
            node = Dot(a, b, value.type.dtype)
        self.anchor_values[node] = value
        return node

    def _operand(self, x: Value, index: tuple, which: str) -> Load:
        """A matmul operand's tile, (batch, m, ka) of a or (batch, kb, n) of b: a stored
        value read through layout ops only."""
        source = x
        while id(source) not in self.stored and self.producers[id(source)].op.name in _VIEWS:
            source = self.producers[id(source)].inputs[0]
        if id(source) not in self.stored:  # computed, not a view of memory: store it
            raise _Unfusible(x)
        batch = broadcast_index(index[:-2], self.domain.shape[:-2], x.type.shape[:-2])
        k = index_symbol(f"k{which}")
        tile = (index[-2], k) if which == "a" else (k, index[-1])
        node = self.at(x, (*batch, *tile))
        if not isinstance(node, Load):
            raise _Unfusible(x)
        return node

    def _concatenate(self, eqn: Eqn, index: tuple, dtype: str):
        axis = eqn.params["axis"]
        pieces, offset = [], 0
        for x in eqn.inputs:
            length = x.type.shape[axis]
            if length != 0:
                local = clamp(index[axis] - offset, length)
                pieces.append((offset, self.at(x, replace_axis(index, axis, local))))
            offset = offset + length
        if not pieces:
            return Const(0, dtype)
        node = pieces[-1][1]
        for (_, piece), (start, _) in reversed(list(zip(pieces[:-1], pieces[1:]))):
            where = sympy.Lt(index[axis], start)
            node = Apply("select", (), (Pred(where, deps=self.deps(where)), piece, node), dtype)
        return node

    def _pad(self, eqn: Eqn, index: tuple, dtype: str):
        (x,) = eqn.inputs
        p = eqn.params
        if any(d == 0 for d in x.type.shape):
            return Const(0, dtype)
        inner, conditions = [], []
        for i, n, lo, gap in zip(index, x.type.shape, p["lo"], p["interior"]):
            j = i - lo
            span = (n - 1) * (gap + 1)
            conditions += [sympy.Ge(j, 0), sympy.Le(j, span)]
            if gap:
                conditions.append(sympy.Eq(sympy.Mod(clamp(j, span + 1), gap + 1), 0))
                inner.append(sympy.floor(clamp(j, span + 1) / (gap + 1)))
            else:
                inner.append(clamp(j, n))
        inside = sympy.And(*conditions)
        chosen = (Pred(inside, deps=self.deps(inside)), self.at(x, tuple(inner)), Const(0, dtype))
        return Apply("select", (), chosen, dtype)

    def _update_slice(self, eqn: Eqn, index: tuple, dtype: str):
        """x with x[start:stop:step] replaced: the update where the index lies on the
        slice's grid, x elsewhere."""
        x, update = eqn.inputs
        p = eqn.params
        if any(d == 0 for d in update.type.shape):
            return self.at(x, index)
        inner, conditions = [], []
        for i, n, start, step in zip(index, update.type.shape, p["start"], p["step"]):
            j = i - start
            span = (n - 1) * step
            conditions += [sympy.Ge(j, 0), sympy.Le(j, span)]
            if step > 1:
                conditions.append(sympy.Eq(sympy.Mod(clamp(j, span + 1), step), 0))
                inner.append(sympy.floor(clamp(j, span + 1) / step))
            else:
                inner.append(clamp(j, n))
        inside = sympy.And(*conditions)
        chosen = (Pred(inside, deps=self.deps(inside)), self.at(update, tuple(inner)))
        return Apply("select", (), (*chosen, self.at(x, index)), dtype)

    def _take(self, eqn: Eqn, index: tuple):
        x, indices = eqn.inputs
        axis = eqn.params["axis"]
        k = indices.type.ndim
        symbol = self._checked(self.at(indices, index[axis : axis + k]), x.type.shape[axis])
        return self.at(x, index[:axis] + (symbol,) + index[axis + k :])

    def _take_along_axis(self, eqn: Eqn, value: Value, index: tuple):
        """out[..., j, ...] = x[..., indices[..., j, ...], ...] along `axis`; the other
        axes broadcast between x and the indices."""
        x, indices = eqn.inputs
        axis = eqn.params["axis"]
        shape = value.type.shape
        raw = self.at(indices, broadcast_index(index, shape, indices.type.shape))
        symbol = self._checked(raw, x.type.shape[axis])
        return self.at(x, replace_axis(broadcast_index(index, shape, x.type.shape), axis, symbol))

    def _checked(self, raw, length) -> sympy.Symbol:
        """The symbol standing for a gathered index (one per distinct index and length)."""
        if (raw, length) not in self.checked:
            symbol = index_symbol(f"g{next(_GATHER_NAMES)}")
            checked = Checked(raw, length, symbol)
            self.checked[(raw, length)] = self.by_symbol[symbol] = checked
        return self.checked[(raw, length)].symbol
