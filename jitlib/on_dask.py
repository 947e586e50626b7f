"""Jitted functions on dask arrays: dask arrays in, dask arrays out, built from the IR.

Dask arrays passed to a jitted function must be chunked along their leading axis only (the
rows), all alike; numpy arguments go to every chunk whole. jitlib traces the function once
with the rows as a shape symbol of their own and sorts its equations, as the numpy
backend's row blocking does (codegen.numpy_chunking):

- row-local equations (elementwise, reductions over other axes, `x @ W`, ...) run on each
  chunk;
- a sum, max or min over the rows, or a matmul contracting them (the gradient of `x @ W`
  for W), is a *cut*: each chunk gives its partial result and a tree of combine tasks
  (a jitted add, maximum or minimum) joins them, as dask's own tree reductions do. The
  tree is built with dask.delayed rather than da.reduction, which takes one array: a loss
  takes data and labels. A row-local value
  that needs a cut's result (x - x.mean(axis=0), or the sum of exp(x - max) in a
  logsumexp) waits for it: the plan runs in passes over the chunks, one per level of cuts;
- anything else that mixes rows (a sort or cumsum along them, a reshape merging them) is
  refused with a jl.UnsupportedError that names the axis and suggests rechunking.

The row count as a value (a mean's 1/n) is the whole count in every chunk. Each pass is a
function of its own, compiled once per process; every chunk shape of a signature, the
ragged last chunk included, runs the same code. Tasks hold the jitted function (pickled,
see jitlib.pickling) and rebuild the plan in each worker process: one trace per signature.
jitlib imports dask only when it is handed a dask array.
"""

from __future__ import annotations

import operator
import sys
import threading

import numpy as np
import sympy

from codegen import numpy_chunking
from ir import shapes
from ir.core import Eqn, Function, Type, Value
from ir.ops import OPS
from ir.passes import optimize
from ir.passes.dce import dce
from jitlib import backends, pytree
from jitlib.errors import ArgumentError, UnsupportedError

ROW, CONST = numpy_chunking.ROW, numpy_chunking.CONST
ROW_LAST = "row_last"  # a 2-d value whose rows are its second axis (a transposed chunk)
COMBINE = {"sum": "add", "max": "maximum", "min": "minimum"}  # a cut's join, by numpy name
SPLIT_EVERY = 8  # partial results joined per combine task


def dask_array_type():
    """dask.array.Array, if the user has imported dask.array; else None."""
    module = sys.modules.get("dask.array")
    return getattr(module, "Array", None)


def has_dask(leaves: list) -> bool:
    array = dask_array_type()
    return array is not None and any(isinstance(leaf, array) for leaf in leaves)


# --- the plan ----------------------------------------------------------------------------
class Rows:
    """Stands for a dask argument in a plan's template: its dtype and its shape after the
    rows. The plan is made from the template, so it serves any number of rows."""

    def __init__(self, dtype, rest: tuple):
        self.dtype = np.dtype(dtype)
        self.rest = tuple(rest)


def _key(leaf):
    if isinstance(leaf, Rows):
        return ("rows", leaf.dtype.str, leaf.rest)
    if isinstance(leaf, np.ndarray):
        return ("array", leaf.dtype.str, leaf.shape)
    return ("scalar", type(leaf).__name__)


def _probe_rows(template: list) -> int:
    """A row count no other size of the arguments has, so the rows get a symbol alone."""
    taken = set()
    for leaf in template:
        taken.update(leaf.rest if isinstance(leaf, Rows) else np.shape(leaf))
    return next(n for n in range(7, 10**6) if n not in taken)


def _free(shape: tuple, dtype) -> np.ndarray:
    """An array of this shape that owns one element (every stride 0): for tracing, and for
    parameters whose values a compiled pass never reads."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape, (0,) * len(shape))


class Cut:
    """A reduction over the rows: each chunk's partial result, joined by `combine`."""

    def __init__(self, eqn: Eqn, combine, stage: int):
        self.value, self.combine, self.stage = eqn.out, combine, stage


class Plan:
    """The passes of one function on chunked rows. `stages[k]` computes the partial results
    of the cuts of level k+1 from a chunk, the numpy arguments and the cuts of lower levels;
    `final` computes the function's results from a chunk (for row results) and all cuts."""

    def __init__(self, fn: Function, out_tree, sizes: dict, row, backend: str):
        self.out_tree = out_tree
        self.sizes = sizes
        self.row = row
        self.backend = backend
        kinds, self.cuts = _classify(fn, row)
        self.kinds = [kinds[id(r)] for r in fn.results]
        self.types = [r.type for r in fn.results]
        self.guards = tuple(g for g in fn.guards if row in g.free_symbols)
        taken = {s for p in fn.params for s in shapes.free_symbols(p.type.shape)}
        self.total = next(s for i in range(len(taken) + 1) if (s := shapes.symbol(i)) not in taken)
        self.levels = max((c.stage for c in self.cuts), default=0)
        self.stages = [self._part(fn, k) for k in range(1, self.levels + 1)]
        self.final = self._part(fn, None)
        self._compiled: dict = {}
        self._lock = threading.Lock()

    def _part(self, fn: Function, level: int | None) -> Function:
        """The pass that computes the cuts of `level` (None: the function's results), the
        cuts below it given as parameters, the row count read as the whole count."""
        given = self.given(level)
        given_ids = {id(c.value) for c in given}
        total = Value(Type("bool", (self.total,)))
        eqns = []
        for eqn in fn.eqns:
            if id(eqn.outputs[0]) in given_ids:
                continue
            if eqn.op is OPS["dim"] and self.row in sympy.sympify(eqn.params["size"]).free_symbols:
                size = sympy.sympify(eqn.params["size"]).xreplace({self.row: self.total})
                eqn = Eqn(eqn.op, eqn.inputs, {**eqn.params, "size": size}, eqn.outputs, eqn.source)
            eqns.append(eqn)
        if level is None:
            results = fn.results
        else:
            results = tuple(c.value for c in self.cuts if c.stage == level)
        params = fn.params + tuple(c.value for c in given) + (total,)
        name = f"{fn.name}_final" if level is None else f"{fn.name}_pass{level}"
        part = Function(params, tuple(eqns), results, name, ())
        return dce(part)

    def given(self, level: int | None) -> list:
        """The cuts a pass is given: those of lower levels (all, for the final pass), by
        level, the order in which the graph hands them over."""
        below = [c for c in self.cuts if level is None or c.stage < level]
        return sorted(below, key=lambda c: c.stage)

    def compiled(self, level: int | None):
        with self._lock:
            if level not in self._compiled:
                part = self.final if level is None else self.stages[level - 1]
                self._compiled[level] = backends.compile_function(part, self.backend).fn
            return self._compiled[level]

    def check_rows(self, count: int) -> None:
        """The guards the trace recorded on the row count hold for a chunk of `count`."""
        for guard in self.guards:
            values = {s: self.sizes.get(s, count) for s in guard.free_symbols}
            values[self.row] = count
            if not bool(guard.xreplace(values)):
                raise UnsupportedError(
                    f"the trace assumed {guard} of the rows; a chunk of {count} rows breaks "
                    "that: rechunk so that every chunk keeps it"
                )


def _classify(fn: Function, row) -> tuple:
    """(kind of each value by id, the cuts in order); raises where rows are mixed."""
    kind = {id(p): numpy_chunking.kind_of(p.type.shape, row) for p in fn.params}
    stage = {id(p): 0 for p in fn.params}
    cuts = []
    for eqn in fn.eqns:
        kinds = [kind[id(x)] for x in eqn.inputs]
        level = max((stage[id(x)] for x in eqn.inputs), default=0)
        combine = _cut(eqn, kinds)
        if combine is not None:
            out, level = CONST, level + 1
            cuts.append(Cut(eqn, combine, level))
        elif ROW_LAST in kinds or (eqn.op is OPS["transpose"] and kinds == [ROW]):
            out = _rows_last(eqn, kinds)
        else:
            out = numpy_chunking.classify(eqn, kind, row)
        if out is None:
            raise _mixes_rows(eqn)
        for o in eqn.outputs:
            kind[id(o)], stage[id(o)] = out, level
    return kind, cuts


def _rows_last(eqn: Eqn, kinds: list) -> str | None:
    """The kind of a transposed chunk's successor: transposed back, multiplied from the
    left by a row-free matrix or vector (v @ x.T), or scaled elementwise by a scalar."""
    op, out = eqn.op, eqn.out
    if op is OPS["transpose"] and eqn.inputs[0].type.ndim == 2:
        return {ROW: ROW_LAST, ROW_LAST: ROW}[kinds[0]]
    if op is OPS["matmul"] and kinds == [CONST, ROW_LAST]:
        return ROW if out.type.ndim == 1 else ROW_LAST
    if "elementwise" in op.tags and out.type.ndim == 2:
        scalars = all(k == ROW_LAST or x.type.ndim == 0 for k, x in zip(kinds, eqn.inputs))
        return ROW_LAST if scalars else None
    return None


def _cut(eqn: Eqn, kinds: list):
    """The combine function where eqn reduces over the rows (sum, max, min over axis 0, or
    a matmul contracting them), else None."""
    op = eqn.op
    if "reduction" in op.tags and op.name in COMBINE and kinds == [ROW]:
        axis = eqn.params.get("axis")
        axes = axis if isinstance(axis, tuple) else (axis,)
        if axis is None or 0 in axes:
            return COMBINE[op.name]
    if op is OPS["matmul"] and len(kinds) == 2:
        a, b = eqn.inputs
        rows_last = (kinds[0] == ROW_LAST and a.type.ndim == 2) or (
            kinds[0] == ROW and a.type.ndim == 1
        )
        if rows_last and kinds[1] == ROW and b.type.ndim in (1, 2):
            return "add"
    return None


def _mixes_rows(eqn: Eqn) -> UnsupportedError:
    where = f" (at {eqn.source})" if eqn.source else ""
    return UnsupportedError(
        f"{eqn.op.name}{where} mixes the rows of a dask array, which are split into chunks "
        "along axis 0; only sums, maxima, minima and matmuls over the rows are split "
        "into per-chunk parts. Rechunk the rows into one chunk, x.rechunk({0: -1}), or move "
        "this step out of the jitted function"
    )


# --- the process's plans ------------------------------------------------------------------
_PLANS_LOCK = threading.Lock()


def plan_for(jf, treedef, statics, has_kwargs: bool, template: list) -> Plan:
    """The plan of jitted function `jf` for these arguments, made once per process (the
    trace counts as one of jf's cache misses)."""
    key = (treedef, statics, has_kwargs, tuple(_key(leaf) for leaf in template))
    with _PLANS_LOCK:
        plans = jf.__dict__.setdefault("_dask_plans", {})
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = _make_plan(jf, treedef, statics, has_kwargs, template)
    return plan


def _make_plan(jf, treedef, statics, has_kwargs: bool, template: list) -> Plan:
    if not jf.dynamic:
        raise UnsupportedError(f"{jf.__name__}: dask arrays need jit(dynamic=True) shapes")
    rows = _probe_rows(template)
    leaves = [_free((rows, *x.rest), x.dtype) if isinstance(x, Rows) else x for x in template]
    dynamic = pytree.tree_unflatten(treedef, leaves)
    args, kwargs = jf._merge(dynamic, statics, {"given": True} if has_kwargs else {})
    fn, out_tree, sizes, written = jf._trace(args, kwargs)
    jf._cache.misses += 1
    if written:
        raise UnsupportedError(
            f"{jf.__name__} writes to its arguments; dask arrays are immutable: return the "
            "new values instead"
        )
    row = next((s for s, n in sizes.items() if n == rows), None)
    backend = backends.resolve(jf.backend)
    return Plan(optimize(fn), out_tree, sizes, row or sympy.Symbol("no_rows"), backend)


# --- the tasks ----------------------------------------------------------------------------
class _Spec:
    """What a task needs to find its plan in any process: the jitted function (pickled by
    jitlib.pickling) and the template of its arguments."""

    def __init__(self, jf, treedef, statics, has_kwargs: bool, template: list):
        self.jf, self.treedef, self.statics = jf, treedef, statics
        self.has_kwargs, self.template = has_kwargs, template

    def plan(self) -> Plan:
        return plan_for(self.jf, self.treedef, self.statics, self.has_kwargs, self.template)


def _arrays(spec: _Spec, blocks: tuple, rows: int) -> list:
    """The arguments of a pass: each dask leaf's block, the numpy leaves as they are."""
    blocks = iter(blocks)
    out = []
    for leaf in spec.template:
        if isinstance(leaf, Rows):
            block = next(blocks)
            out.append(block if block is not None else _free((rows, *leaf.rest), leaf.dtype))
        else:
            out.append(leaf)
    return out


def run_pass(spec: _Spec, level, total: int, cuts: tuple, *blocks):
    """One pass over one chunk: the partial results of the cuts of `level` (a tuple), or,
    for level None, the function's results."""
    plan = spec.plan()
    rows = next((b.shape[0] for b in blocks if b is not None), total)
    plan.check_rows(rows)
    arrays = _arrays(spec, blocks, rows)
    values = [v for joined in cuts for v in joined]  # by level, as plan.given orders them
    outs = plan.compiled(level)(*arrays, *values, _free((total,), bool))
    return tuple(outs)


def _join(names: tuple, *partials) -> tuple:
    """Partial results of the same cuts joined position by position, each with the numpy
    function its name gives (add, maximum, minimum)."""
    joined = []
    for name, parts in zip(names, zip(*partials)):
        total = parts[0]
        for part in parts[1:]:
            total = getattr(np, name)(total, part)
        joined.append(total)
    return tuple(joined)


_JOINED = []  # the jitted _join, made on first use (jitlib.api imports this module)


def combine(names: tuple, *partials) -> tuple:
    """A combine task: the partial results joined by a jitted function (one trace per
    number of parts and signature, in each process)."""
    if not _JOINED:
        from jitlib.api import jit

        _JOINED.append(jit(_join, static_argnums=0))
    return _JOINED[0](names, *partials)


# --- building the dask graph -------------------------------------------------------------
def call(jf, args: tuple, kwargs: dict):
    """jf(*args, **kwargs) with dask array arguments: dask collections, built lazily."""
    import dask
    import dask.array as da

    dynamic, statics = jf._split(args, kwargs)
    leaves, treedef = pytree.tree_flatten(dynamic)
    chunked = _aligned(jf, leaves, da)
    template = [
        Rows(x.dtype, x.shape[1:]) if isinstance(x, da.Array) else _host(jf, x) for x in leaves
    ]
    spec = _Spec(jf, treedef, statics, bool(kwargs), template)
    plan = spec.plan()  # traced here first: errors reach the caller now, not at compute()
    row_chunks = chunked[0].chunks[0] if chunked else ()
    total = int(sum(row_chunks))
    for count in row_chunks:
        plan.check_rows(count)
    per_chunk = list(zip(*[tuple(b.to_delayed().ravel()) for b in chunked]))
    run = dask.delayed(run_pass)
    cuts: tuple = ()
    for level in range(1, plan.levels + 1):
        parts = [run(spec, level, total, cuts, *chunk) for chunk in per_chunk]
        joins = tuple(c.combine for c in plan.cuts if c.stage == level)
        cuts = (*cuts, _tree(dask, parts, joins))
    rows_out = any(k == ROW for k in plan.kinds)
    finals = [run(spec, None, total, cuts, *chunk) for chunk in (per_chunk if rows_out else [])]
    once = finals[0] if finals else run(spec, None, total, cuts, *(None,) * len(chunked))
    results = []
    for j, (kind, type_) in enumerate(zip(plan.kinds, plan.types)):
        dtype = np.dtype(type_.dtype)
        if kind == ROW:
            pieces = [
                da.from_delayed(
                    dask.delayed(operator.getitem)(final, j),
                    (count, *_sizes(type_.shape[1:], plan.sizes)),
                    dtype=dtype,
                )
                for final, count in zip(finals, row_chunks)
            ]
            results.append(da.concatenate(pieces, axis=0))
        else:
            shape = _sizes(type_.shape, plan.sizes)
            item = dask.delayed(operator.getitem)(once, j)
            results.append(da.from_delayed(item, shape, dtype=dtype))
    return pytree.tree_unflatten(plan.out_tree, results)


def _tree(dask, parts: list, joins: tuple):
    """The partial results joined by a tree of combine tasks, SPLIT_EVERY at a time."""
    join = dask.delayed(combine)
    while len(parts) > 1:
        parts = [
            join(joins, *parts[i : i + SPLIT_EVERY]) for i in range(0, len(parts), SPLIT_EVERY)
        ]
    return parts[0]


def _sizes(shape: tuple, sizes: dict) -> tuple:
    return tuple(int(sympy.sympify(d).xreplace(sizes)) for d in shape)


def _host(jf, leaf):
    if not isinstance(leaf, np.ndarray | np.generic | bool | int | float):
        raise ArgumentError(
            f"{jf.__name__} was given a dask array and a {type(leaf).__module__}."
            f"{type(leaf).__name__}; with dask arrays, the other array arguments must be "
            "numpy arrays (a CuPy array cannot go to dask's CPU workers)"
        )
    return leaf


def _aligned(jf, leaves: list, da) -> list:
    """The dask leaves, chunked only along axis 0 and all alike (later ones rechunked to
    the first one's chunks); a clear error otherwise."""
    chunked = [x for x in leaves if isinstance(x, da.Array)]
    for i, x in enumerate(chunked):
        if x.ndim == 0:
            raise UnsupportedError(f"{jf.__name__}: a 0-d dask array has no rows to split")
        if any(np.isnan(c) for c in x.chunks[0]):
            raise UnsupportedError(
                f"{jf.__name__}: a dask array with unknown chunk sizes; call "
                "x.compute_chunk_sizes() first"
            )
        for axis in range(1, x.ndim):
            if len(x.chunks[axis]) > 1:
                raise UnsupportedError(
                    f"{jf.__name__}: dask argument {i} is split into chunks along axis {axis}; "
                    "jitlib splits dask arrays along axis 0 only (rows), and needs axis "
                    f"{axis} whole: x.rechunk({{{axis}: -1}})"
                )
    first = chunked[0] if chunked else None
    for i, x in enumerate(chunked[1:], 1):
        if x.shape[0] != first.shape[0]:
            raise ArgumentError(
                f"{jf.__name__}: dask arguments must share their rows (axis 0): argument 0 "
                f"has {first.shape[0]}, argument {i} has {x.shape[0]}"
            )
    return [
        x if x.chunks[0] == first.chunks[0] else x.rechunk({0: first.chunks[0]}) for x in chunked
    ]
