"""jl.cond, jl.fori_loop, jl.while_loop and jl.scan: control flow on traced values, as in JAX.

Without an active trace they run as plain Python (if/else, loops) on numpy values, so
un-jitted code works and is debuggable. Inside a trace they trace their functions into
sub-Functions, whose closed-over arrays become explicit operands, and bind the ops of
ir/ops/control.py. fori_loop with bounds known at trace time (Python ints, array sizes) is
a scan, so reverse mode can differentiate it; with traced bounds it is a while_loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import ir
from ir import dtypes, shapes
from ir.ops import OPS
from jitlib import pytree
from jitlib.errors import ControlFlowError
from jitlib.numpy._core import as_tracer, astype
from jitlib.trace import Trace
from jitlib.trace import current as current_trace
from jitlib.tracer import SymDim, Tracer
from jitlib.transforms import _name

_SCALARS = (bool, int, float)


# --- tracing a user's function into a sub-Function --------------------------------------
class _Traced(NamedTuple):
    fn: ir.Function  # params: the explicit ones, then one per captured outer value
    consts: list  # the captured Tracers of the active trace, in parameter order
    out_tree: Any
    weak: list  # per result: a Python scalar or weak value (takes the dtype it meets)


def _is_leaf_value(leaf) -> bool:
    return isinstance(leaf, Tracer | SymDim) or type(leaf) in _SCALARS or hasattr(leaf, "dtype")


def _operand(trace: Trace, leaf, what: str, where: str) -> Tracer:
    if not _is_leaf_value(leaf):
        raise ControlFlowError(
            f"{what}: {where} holds a {type(leaf).__name__}, which is neither an array nor a number"
        )
    return as_tracer(leaf, trace)


def _trace(f: Callable, what: str, types: list, call: Callable, want: list | None = None):
    """Trace `call(params)` (which calls the user's `f`) in a trace nested in the active one,
    with parameters of `types` ((ir.Type, weak) pairs). A weak result whose `want` entry
    names another dtype is converted to it, as numpy would on meeting a strong value."""
    outer = current_trace()
    child = outer.child(_name(f))
    params = [child.param(type, weak) for type, weak in types]
    with child.active():
        out = call(params)
        leaves, out_tree = pytree.tree_flatten(out)
        results = []
        for i, leaf in enumerate(leaves):
            if not _is_leaf_value(leaf):
                raise ControlFlowError(
                    f"{what}: {_name(f)} returned a {type(leaf).__name__}, which is not an array"
                )
            result = as_tracer(leaf, child)
            target = want[i] if want is not None and i < len(want) else None
            if target is not None and result.weak and result.value.type.dtype != target:
                result = astype(result, target)
            results.append(result)
    fn = child.finish([r.value for r in results])
    return _Traced(fn, list(child.captured), out_tree, [r.weak for r in results])


def _consts_first(traced: _Traced) -> ir.Function:
    """The loop-body layout: captured values first, then the explicit parameters."""
    fn = traced.fn
    explicit = len(fn.params) - len(traced.consts)
    return fn.replace(params=fn.params[explicit:] + fn.params[:explicit])


def _type_text(trace: Trace, type: ir.Type) -> str:
    return str(trace.current_type(type))


def _shapes_equal(a: ir.Type, b: ir.Type) -> bool:
    return a.ndim == b.ndim and all(shapes.dims_equal(x, y) for x, y in zip(a.shape, b.shape))


def _same_type(a: ir.Type, b: ir.Type) -> bool:
    return a.dtype == b.dtype and _shapes_equal(a, b)


class _Text:
    """Shows as its text inside a repr'd pytree (no quotes)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _describe(trace: Trace, tree, values) -> str:
    """A pytree of IR values shown as the structure of their current types."""
    texts = [_Text(_type_text(trace, v.type)) for v in values]
    return repr(pytree.tree_unflatten(tree, texts))


# --- predicates -------------------------------------------------------------------------
def _concrete_predicate(pred, what: str) -> bool:
    """The truth of a predicate that has a value (eager code, or a size known while
    tracing); like Python's `if`, but only for one value."""
    if isinstance(pred, SymDim):
        return pred != 0
    if np.ndim(pred) != 0:
        raise ControlFlowError(
            f"{what}: the predicate must be a scalar, got an array of shape {np.shape(pred)}; "
            "reduce it first (x.any(), x.all(), x.sum() > 0)"
        )
    return bool(pred)


def _traced_predicate(pred: Tracer, what: str) -> Tracer:
    """A traced scalar predicate as bool (nonzero is true, as in Python)."""
    type = pred.value.type
    if type.shape != ():
        raise ControlFlowError(
            f"{what}: the predicate must be a scalar, got {_type_text(pred.trace, type)}; "
            "reduce it first (x.any(), x.all(), x.sum() > 0)"
        )
    return pred if type.dtype == "bool" else pred != 0


def _predicate_of(value, what: str):
    """A cond_fun's result, made a bool scalar inside its trace."""
    if isinstance(value, Tracer):
        return _traced_predicate(value, what)
    return _concrete_predicate(value, what)


# --- cond -------------------------------------------------------------------------------
def cond(pred, true_fun: Callable, false_fun: Callable, *operands):
    """true_fun(*operands) if pred else false_fun(*operands), for a traced scalar `pred`.
    Both branches are traced; they must return the same structure, dtypes and shapes.

    >>> import numpy as np, jitlib as jl
    >>> f = jl.jit(lambda x: jl.cond(x.sum() > 0, np.sin, np.cos, x))
    >>> f(np.array([0.0, 1.0]))
    array([0.        , 0.84147098])
    """
    if not isinstance(pred, Tracer):  # eager code, or a predicate known while tracing
        chosen = true_fun if _concrete_predicate(pred, "cond") else false_fun
        return chosen(*operands)
    trace = current_trace()
    pred = _traced_predicate(pred, "cond")
    leaves, treedef = pytree.tree_flatten(operands)
    args = [_operand(trace, leaf, "cond", "the operands") for leaf in leaves]
    types = [(a.value.type, a.weak) for a in args]

    def trace_both(want):
        return [
            _trace(f, "cond", types, lambda ps, f=f: f(*pytree.tree_unflatten(treedef, ps)), want)
            for f in (true_fun, false_fun)
        ]

    branches = trace_both(None)
    want = _branch_dtypes(trace, branches, (true_fun, false_fun))
    if want is not None:
        branches = trace_both(want)
        _branch_dtypes(trace, branches, (true_fun, false_fun))
    consts = list({id(c.value): c for b in branches for c in b.consts}.values())
    true_fn, false_fn = (_taking(b, consts) for b in branches)
    outs = trace.bind(OPS["cond"], pred, *args, *consts, branches=(false_fn, true_fn))
    weak = [a and b for a, b in zip(branches[0].weak, branches[1].weak)]
    results = [Tracer(o.value, trace, w) for o, w in zip(outs, weak)]
    return pytree.tree_unflatten(branches[0].out_tree, results)


def _branch_dtypes(trace: Trace, branches: list, funs: tuple) -> list | None:
    """Check that the branches agree; where only dtypes differ and one side is weak (a
    Python scalar), the dtype that side must take (None: nothing to convert)."""
    (t, f), (t_fun, f_fun) = branches, funs
    t_results, f_results = t.fn.results, f.fn.results
    if t.out_tree != f.out_tree or not all(
        _shapes_equal(a.type, b.type) for a, b in zip(t_results, f_results)
    ):
        raise ControlFlowError(
            f"cond: the branches return different structures or shapes: {_name(t_fun)} "
            f"returns {_describe(trace, t.out_tree, t_results)}, {_name(f_fun)} returns "
            f"{_describe(trace, f.out_tree, f_results)}"
        )
    want, needed = [], False
    for i, (a, b) in enumerate(zip(t_results, f_results)):
        if a.type.dtype == b.type.dtype:
            want.append(None)
        elif t.weak[i] != f.weak[i]:
            want.append(b.type.dtype if t.weak[i] else a.type.dtype)
            needed = True
        else:
            raise ControlFlowError(
                f"cond: the branches return different dtypes: {_name(t_fun)} returns "
                f"{_describe(trace, t.out_tree, t_results)}, {_name(f_fun)} returns "
                f"{_describe(trace, f.out_tree, f_results)}; convert one with .astype()"
            )
    return want if needed else None


def _taking(traced: _Traced, consts: list) -> ir.Function:
    """The branch with parameters for all of `consts` (the captures of both branches),
    after its explicit ones; the other branch's captures are parameters it ignores."""
    fn = traced.fn
    explicit = len(fn.params) - len(traced.consts)
    own = {id(c.value): p for c, p in zip(traced.consts, fn.params[explicit:])}
    extra = [own.get(id(c.value)) or ir.Value(c.value.type) for c in consts]
    return fn.replace(params=(*fn.params[:explicit], *extra))


# --- loops ------------------------------------------------------------------------------
def _trace_body(f: Callable, what: str, carry: list, carry_tree, x_types: list, step) -> tuple:
    """Trace a loop body, whose carry must come back with the types it went in with.
    `step(carry_value, x_params)` calls the user's function and returns (carry, y).
    A weak carry (a Python scalar) takes the dtype the body gives it, as it would in numpy
    after one step. Returns (traced body, the carry Tracers, the ys' tree)."""
    for _ in range(2):
        trees: dict = {}
        types = [(c.value.type, c.weak) for c in carry] + x_types
        call = _flat_step(step, len(carry), carry_tree, trees)
        traced = _trace(f, what, types, call, want=[c.value.type.dtype for c in carry])
        promoted = _carry_dtypes(f, what, carry, carry_tree, traced, trees)
        if promoted is None:
            return traced, carry, trees["y"]
        carry = [c if dtype is None else astype(c, dtype) for c, dtype in zip(carry, promoted)]
    raise AssertionError("a promoted carry is strong, so the second trace matches or raises")


def _flat_step(step, count: int, carry_tree, trees: dict) -> Callable:
    """`step` on flat parameters, giving flat results (the new carry's leaves, then the
    y's); the structures it meets go into `trees`."""

    def call(params):
        new, y = step(pytree.tree_unflatten(carry_tree, params[:count]), params[count:])
        new_leaves, trees["carry"] = pytree.tree_flatten(new)
        y_leaves, trees["y"] = pytree.tree_flatten(y)
        trees["count"] = len(new_leaves)
        return [*new_leaves, *y_leaves]

    return call


def _carry_dtypes(f, what: str, carry: list, carry_tree, traced: _Traced, trees) -> list | None:
    """Check the body's carry against the carry that went in; the dtype each weak carry
    must take where only that differs (None: all match)."""
    trace = current_trace()
    outs = traced.fn.results[: len(carry)]
    if trees["carry"] != carry_tree:
        shown = _describe(trace, trees["carry"], traced.fn.results[: trees["count"]])
        raise ControlFlowError(
            f"{what}: {_name(f)} must return a carry of the structure it takes: it takes "
            f"{_describe(trace, carry_tree, [c.value for c in carry])} and returns {shown}"
        )
    promoted, needed = [], False
    for i, (c, out) in enumerate(zip(carry, outs)):
        if _same_type(c.value.type, out.type):
            promoted.append(None)
        elif c.weak and _shapes_equal(c.value.type, out.type):
            promoted.append(out.type.dtype)
            needed = True
        else:
            raise ControlFlowError(
                f"{what}: {_name(f)} must return its carry with the types it takes: carry leaf "
                f"{i} goes in as {_type_text(trace, c.value.type)} and comes out as "
                f"{_type_text(trace, out.type)}"
            )
    return promoted if needed else None


def _carry_out(trace: Trace, outs, carry: list, traced: _Traced) -> list:
    return [Tracer(o.value, trace, c.weak and w) for o, c, w in zip(outs, carry, traced.weak)]


def while_loop(cond_fun: Callable, body_fun: Callable, init_val):
    """`val = init_val; while cond_fun(val): val = body_fun(val)`; the carry keeps its
    structure, dtypes and shapes. Forward-mode derivatives and vmap work through it;
    reverse mode needs a trip count known at trace time (jl.fori_loop, jl.scan).

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(lambda x: jl.while_loop(lambda v: v.sum() < 10, lambda v: v * 2, x))(np.ones(2))
    array([8., 8.])
    """
    trace = current_trace()
    if trace is None:
        val = init_val
        while _concrete_predicate(cond_fun(val), "while_loop"):
            val = body_fun(val)
        return val
    return _while(trace, cond_fun, body_fun, init_val, "while_loop")


def _while(trace: Trace, cond_fun, body_fun, init_val, what: str):
    leaves, carry_tree = pytree.tree_flatten(init_val)
    carry = [_operand(trace, leaf, what, "the initial carry") for leaf in leaves]

    def step(value, _):
        return body_fun(value), None

    body, carry, _ = _trace_body(body_fun, what, carry, carry_tree, [], step)
    types = [(c.value.type, c.weak) for c in carry]

    def check(params):
        return _predicate_of(cond_fun(pytree.tree_unflatten(carry_tree, params)), what)

    condition = _trace(cond_fun, what, types, check)
    outs = trace.bind(
        OPS["while_loop"],
        *condition.consts,
        *body.consts,
        *carry,
        cond_fn=_consts_first(condition),
        body_fn=_consts_first(body),
        num_cond_consts=len(condition.consts),
        num_body_consts=len(body.consts),
    )
    return pytree.tree_unflatten(carry_tree, _carry_out(trace, outs, carry, body))


def scan(f: Callable, init, xs=None, length=None, reverse: bool = False):
    """`carry = init; for each x in xs (along axis 0): carry, y = f(carry, x)`; returns
    (carry, ys) with the ys stacked along a new axis 0. `xs` may be None when `length` is
    given; `reverse` walks the steps from the last (ys stay aligned with xs).

    >>> import numpy as np, jitlib as jl
    >>> def cumulative(c, x):
    ...     return c + x, c + x
    >>> jl.jit(lambda xs: jl.scan(cumulative, 0.0, xs))(np.array([1.0, 2.0, 3.0]))
    (array(6.), array([1., 3., 6.]))
    """
    trace = current_trace()
    if trace is None:
        return _eager_scan(f, init, xs, length, reverse)
    return _scan(trace, f, init, xs, length, reverse, "scan")


def _pair(f, what: str, out) -> tuple:
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise ControlFlowError(
            f"{what}: {_name(f)} must return a pair (carry, y), got a {type(out).__name__}"
        )
    return out[0], out[1]


def _scan(trace: Trace, f, init, xs, length, reverse: bool, what: str):
    leaves, carry_tree = pytree.tree_flatten(init)
    carry = [_operand(trace, leaf, what, "the initial carry") for leaf in leaves]
    x_leaves, x_tree = pytree.tree_flatten(xs)
    sliced = [_operand(trace, leaf, what, "xs") for leaf in x_leaves]
    steps = _length(trace, f, sliced, length, what)
    x_types = [(ir.Type(x.value.type.dtype, x.value.type.shape[1:]), False) for x in sliced]

    def step(value, x_params):
        return _pair(f, what, f(value, pytree.tree_unflatten(x_tree, x_params)))

    body, carry, y_tree = _trace_body(f, what, carry, carry_tree, x_types, step)
    outs = trace.bind(
        OPS["scan"],
        *body.consts,
        *carry,
        *sliced,
        body=_consts_first(body),
        length=steps,
        reverse=bool(reverse),
        num_consts=len(body.consts),
        num_carry=len(carry),
    )
    final = pytree.tree_unflatten(carry_tree, _carry_out(trace, outs[: len(carry)], carry, body))
    return final, pytree.tree_unflatten(y_tree, list(outs[len(carry) :]))


def _length(trace: Trace, f, xs: list, length, what: str):
    """The number of steps: `length` and the leading dim of every x, which must agree."""
    dims = []
    for x in xs:
        if x.value.type.ndim == 0:
            raise ControlFlowError(
                f"{what} of {_name(f)}: xs must be arrays with a leading axis to scan over, got "
                f"{_type_text(trace, x.value.type)}"
            )
        dims.append(x.value.type.shape[0])
    if length is not None:
        dims.insert(0, length.expr if isinstance(length, SymDim) else int(length))
    if not dims:
        raise ControlFlowError(f"{what} of {_name(f)}: give xs or length")
    if not all(shapes.dims_equal(dims[0], d) for d in dims[1:]):
        sizes = ", ".join(str(trace.current_type(ir.Type("int64", (d,))).shape[0]) for d in dims)
        raise ControlFlowError(
            f"{what} of {_name(f)}: length and the leading axes of xs disagree ({sizes})"
        )
    return shapes.canon(dims[0])


def _eager_scan(f, init, xs, length, reverse: bool):
    x_leaves, x_tree = pytree.tree_flatten(xs)
    x_leaves = [np.asarray(x) for x in x_leaves]
    counts = {len(x) for x in x_leaves} | ({int(length)} if length is not None else set())
    if not counts:
        raise ControlFlowError(f"scan of {_name(f)}: give xs or length")
    if len(counts) != 1:
        raise ControlFlowError(
            f"scan of {_name(f)}: length and the leading axes of xs disagree ({sorted(counts)})"
        )
    (steps,) = counts
    carry, ys = init, [None] * steps
    for i in reversed(range(steps)) if reverse else range(steps):
        carry, ys[i] = _pair(
            f, "scan", f(carry, pytree.tree_unflatten(x_tree, [x[i] for x in x_leaves]))
        )
    if steps == 0:  # the ys' structure and shapes from one step on zeros
        zeros = [np.zeros(x.shape[1:], x.dtype) for x in x_leaves]
        _, example = _pair(f, "scan", f(carry, pytree.tree_unflatten(x_tree, zeros)))
        leaves, y_tree = pytree.tree_flatten(example)
        empty = [np.empty((0, *np.shape(y)), np.asarray(y).dtype) for y in leaves]
        return carry, pytree.tree_unflatten(y_tree, empty)
    y_tree = pytree.tree_flatten(ys[0])[1]
    per_step = [pytree.tree_flatten(y)[0] for y in ys]
    stacked = [np.stack([np.asarray(s[k]) for s in per_step]) for k in range(len(per_step[0]))]
    return carry, pytree.tree_unflatten(y_tree, stacked)


def fori_loop(lower, upper, body_fun: Callable, init_val):
    """`val = init_val; for i in range(lower, upper): val = body_fun(i, val)`. With bounds
    known at trace time (Python ints, array sizes) it is a scan, which reverse mode can
    differentiate; with traced bounds a while_loop.

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(lambda x: jl.fori_loop(0, 3, lambda i, v: v * x + i, x))(np.array([2.0]))
    array([20.])
    """
    trace = current_trace()
    if trace is None:
        val = init_val
        for i in range(int(lower), int(upper)):
            val = body_fun(i, val)
        return val

    def step(carry, _):
        i, val = carry
        return (i + 1, body_fun(i, val)), None

    step.__name__ = _name(body_fun)
    if not isinstance(lower, Tracer) and not isinstance(upper, Tracer):
        steps = upper - lower
        if steps < 0:  # a size expression: decided now, and guarded
            steps = 0
        (_, val), _ = _scan(trace, step, (lower, init_val), None, steps, False, "fori_loop")
        return val
    for bound in (lower, upper):
        _check_bound(trace, bound)

    def running(carry):
        return carry[0] < upper

    def advance(carry):
        return step(carry, None)[0]

    running.__name__ = advance.__name__ = _name(body_fun)
    _, val = _while(trace, running, advance, (lower, init_val), "fori_loop")
    return val


def _check_bound(trace: Trace, bound) -> None:
    if isinstance(bound, Tracer):
        type = bound.value.type
        if type.shape != () or not dtypes.is_int(type.dtype):
            raise ControlFlowError(
                f"fori_loop: the bounds must be integer scalars, got {_type_text(trace, type)}"
            )


__all__ = ["cond", "fori_loop", "scan", "while_loop"]
