"""Control flow: ops that hold sub-functions (ir.Function params) as branches and loop
bodies. This module has `cond` and `while_loop` and the helpers every control-flow op
shares; `scan` is in ir/ops/scan.py.

- `cond(pred, *args; branches=(false_fn, true_fn))`: branches[pred](*args).
- `while_loop(*cond_consts, *body_consts, *carry; cond_fn, body_fn, num_cond_consts,
  num_body_consts)`: while cond_fn(*cond_consts, *carry): carry = body_fn(*body_consts, *carry).

The impls receive each sub-function as a callable from arrays to a tuple of arrays: the
interpreter passes one that interprets it, the numpy emitter a nested def. Their outputs
are always fresh arrays (the emitter may write into them in place).

Forward mode gives every float carry a tangent as soon as any input has one (zeros where
its initial tangent is zero) instead of searching for a fixpoint of the carries whose
tangent stays zero: simpler, and one array of zeros is all it costs. Batching does find
that fixpoint (a carry is batched once the body makes it so), since a batched carry costs
a whole batch of work per step.
"""

from __future__ import annotations

import numpy as np

from ir import dtypes, shapes
from ir.core import Builder, Function, Type, Value
from ir.errors import ShapeError, UnsupportedError
from ir.ops.rules import Emit
from ir.ops.table import Op

CONTROL = frozenset({"control"})


# --- helpers ----------------------------------------------------------------------------
def is_float(value: Value) -> bool:
    return dtypes.is_float(value.type.dtype)


def same_type(a: Type, b: Type) -> bool:
    return (
        a.dtype == b.dtype
        and a.ndim == b.ndim
        and all(shapes.dims_equal(x, y) for x, y in zip(a.shape, b.shape))
    )


def types_of(values) -> list:
    return [v.type for v in values]


def cut(items, sizes) -> list:
    """`items` split into consecutive groups of the given sizes (the last may be None: the
    rest)."""
    groups, start = [], 0
    for size in sizes:
        stop = len(items) if size is None else start + size
        groups.append(list(items[start:stop]))
        start = stop
    return groups


def scatter(values, positions, count: int) -> list:
    """A list of `count` entries: `values` at `positions`, None elsewhere."""
    out = [None] * count
    for position, value in zip(positions, values, strict=True):
        out[position] = value
    return out


def check_params(fn: Function, types, what: str) -> None:
    got = ", ".join(str(t) for t in types)
    want = ", ".join(str(p.type) for p in fn.params)
    if len(types) != len(fn.params) or not all(
        same_type(t, p.type) for t, p in zip(types, fn.params)
    ):
        raise ShapeError(f"{what} {fn.name} takes ({want}), got ({got})")


def check_results(fn: Function, types, what: str) -> None:
    got = ", ".join(str(r.type) for r in fn.results)
    want = ", ".join(str(t) for t in types)
    if len(types) != len(fn.results) or not all(
        same_type(r.type, t) for r, t in zip(fn.results, types)
    ):
        raise ShapeError(f"{what} {fn.name} must return ({want}), returns ({got})")


def build(like: Function, types, make) -> Function:
    """A new sub-function (named and guarded like `like`) with parameters of `types`;
    `make(e, params)` emits its body and returns its results."""
    builder = Builder()
    params = [builder.param(t) for t in types]
    return builder.build(make(Emit(builder), params), like.name, like.guards)


def keep_results(fn: Function, positions) -> Function:
    return fn.replace(results=tuple(fn.results[i] for i in positions))


def batched_as(vmapped: tuple, want, size) -> Function:
    """A vmapped function (fn, out_flags) whose results are batched wherever `want` says
    (broadcasting the unbatched ones): loop bodies and branches need one fixed signature."""
    fn, flags = vmapped
    if tuple(flags) == tuple(want):
        return fn

    def make(inner: Emit, params):
        results = inner.call(fn, *params)
        return [
            inner.batched(r, size) if w and not f else r for r, f, w in zip(results, flags, want)
        ]

    return build(fn, types_of(fn.params), make)


def batched_carries(e: Emit, body: Function, const_flags, carry_flags, x_flags, size) -> tuple:
    """Which carries a batched loop must batch: those batched on entry, and those the body
    makes batched from batched inputs, repeated until nothing changes."""
    flags = tuple(carry_flags)
    while True:
        _, out = e.transforms["vmap"](body, (*const_flags, *flags, *x_flags), size)
        grown = tuple(f or o for f, o in zip(flags, out))
        if grown == flags:
            return flags
        flags = grown


def unpack(outs):
    """An impl's result: one array, or a tuple for several."""
    return outs[0] if len(outs) == 1 else tuple(outs)


def independent(outs, inputs) -> list:
    """The outputs as arrays sharing memory with no input and no other output: the numpy
    emitter treats each output as a fresh buffer it may later write into in place."""
    done: list = []
    for out in outs:
        out = np.asarray(out)
        if any(np.may_share_memory(out, other) for other in (*inputs, *done)):
            out = out.copy()
        done.append(out)
    return done


# --- cond -------------------------------------------------------------------------------
def _cond_shape(pred: Type, *args: Type, branches: tuple) -> tuple:
    if pred.dtype != "bool" or pred.shape != ():
        raise ShapeError(f"cond needs a scalar bool predicate, got {pred}")
    for fn in branches:
        check_params(fn, args, "cond branch")
    results = types_of(branches[0].results)
    for fn in branches[1:]:
        check_results(fn, results, "cond branch")
    return tuple(results)


def cond(pred, *args, branches: tuple):
    """branches[pred](*args)."""
    outs = branches[int(bool(pred))](*args)
    return unpack(independent(outs, args))


def _cond_jvp(e: Emit, primals, tangents, outs, *, branches):
    _, *args = primals
    ts = tangents[1:]
    wrt = tuple(i for i, (x, t) in enumerate(zip(args, ts)) if t is not None and is_float(x))
    floats = [i for i, o in enumerate(outs) if is_float(o)]
    if not wrt or not floats:
        return (None,) * len(outs)
    n = len(outs)
    jvps = tuple(
        keep_results(e.transforms["jvp"](fn, wrt), [n + i for i in floats]) for fn in branches
    )
    t_outs = e.cond(primals[0], *args, *[ts[i] for i in wrt], branches=jvps)
    return tuple(scatter(t_outs, floats, n))


def _cond_vjp(e: Emit, cts, primals, outs, *, branches):
    pred, *args = primals
    wrt = tuple(i for i, x in enumerate(args) if is_float(x))
    of = tuple(i for i, (ct, o) in enumerate(zip(cts, outs)) if ct is not None and is_float(o))
    if not wrt or not of:
        return (None,) * len(primals)
    n = len(outs)
    vjps = tuple(
        keep_results(e.transforms["vjp"](fn, wrt, of), range(n, n + len(wrt))) for fn in branches
    )
    grads = e.cond(pred, *args, *[cts[i] for i in of], branches=vjps)
    return (None, *scatter(grads, wrt, len(args)))


def _cond_batch(e: Emit, args, batched, size, *, branches):
    """A batched predicate runs both branches and selects per example; an unbatched one
    stays a cond, of branches whose results are all batched."""
    pred, *xs = args
    pred_batched, *flags = batched
    vmapped = [e.transforms["vmap"](fn, tuple(flags), size) for fn in branches]
    if not pred_batched:
        every = (True,) * len(branches[0].results)
        fns = tuple(batched_as(v, every, size) for v in vmapped)
        return e.cond(pred, *xs, branches=fns)
    per_branch = []
    for fn, out_flags in vmapped:
        results = e.call(fn, *xs)
        per_branch.append([r if f else e.batched(r, size) for r, f in zip(results, out_flags)])
    false_outs, true_outs = per_branch
    return tuple(
        e.select(e.move_batch(pred, t.type.ndim - 1), t, f) for f, t in zip(false_outs, true_outs)
    )


# --- while_loop -------------------------------------------------------------------------
def _while_shape(*types: Type, cond_fn, body_fn, num_cond_consts, num_body_consts) -> tuple:
    cond_consts, body_consts, carry = cut(types, [num_cond_consts, num_body_consts, None])
    check_params(cond_fn, cond_consts + carry, "while_loop condition")
    check_results(cond_fn, [Type("bool", ())], "while_loop condition")
    check_params(body_fn, body_consts + carry, "while_loop body")
    check_results(body_fn, carry, "while_loop body")
    return tuple(carry)


def while_loop(*args, cond_fn, body_fn, num_cond_consts, num_body_consts):
    """while cond_fn(*cond_consts, *carry): carry = body_fn(*body_consts, *carry)."""
    cond_consts, body_consts, carry = cut(args, [num_cond_consts, num_body_consts, None])
    while cond_fn(*cond_consts, *carry)[0]:
        carry = body_fn(*body_consts, *carry)
    return unpack(independent(carry, args))


def _while_jvp(
    e: Emit, primals, tangents, outs, *, cond_fn, body_fn, num_cond_consts, num_body_consts
):
    counts = [num_cond_consts, num_body_consts, None]
    cond_consts, body_consts, carry = cut(primals, counts)
    _, t_consts, t_carry = cut(tangents, counts)
    nb, nk = len(body_consts), len(carry)
    const_wrt = [i for i, t in enumerate(t_consts) if t is not None and is_float(body_consts[i])]
    carry_wrt = [i for i, x in enumerate(carry) if is_float(x)]
    if not carry_wrt:
        return (None,) * nk
    jvp_fn = e.transforms["jvp"](body_fn, (*const_wrt, *[nb + i for i in carry_wrt]))

    def body(inner: Emit, params):
        consts, tc, values, tk = cut(params, [nb, len(const_wrt), nk, None])
        results = inner.call(jvp_fn, *consts, *values, *tc, *tk)
        return [*results[:nk], *[results[nk + i] for i in carry_wrt]]

    def condition(inner: Emit, params):
        return inner.call(cond_fn, *params[: num_cond_consts + nk])

    tangent_types = [carry[i].type for i in carry_wrt]
    body_types = types_of([*body_consts, *[body_consts[i] for i in const_wrt], *carry])
    new_body = build(body_fn, body_types + tangent_types, body)
    new_cond = build(cond_fn, types_of([*cond_consts, *carry]) + tangent_types, condition)
    t_init = [e.zeros(carry[i].type) if t_carry[i] is None else t_carry[i] for i in carry_wrt]
    loop = e.while_loop(
        *cond_consts,
        *body_consts,
        *[t_consts[i] for i in const_wrt],
        *carry,
        *t_init,
        cond_fn=new_cond,
        body_fn=new_body,
        num_cond_consts=num_cond_consts,
        num_body_consts=nb + len(const_wrt),
    )
    return tuple(scatter(loop[nk:], carry_wrt, nk))


def _while_vjp(e: Emit, cts, primals, outs, **params):
    # worded like autodiff's own "reverse-mode differentiation of <op>"
    raise UnsupportedError(
        "reverse-mode differentiation of while_loop (its trip count is known only at run "
        "time; use jl.fori_loop with bounds known at trace time, Python ints or array "
        "sizes, or jl.scan)"
    )


def _while_batch(
    e: Emit, args, batched, size, *, cond_fn, body_fn, num_cond_consts, num_body_consts
):
    """With a batched condition the loop runs while any example runs, and examples that are
    done keep their carry; otherwise it is the loop of the batched body."""
    counts = [num_cond_consts, num_body_consts, None]
    cond_consts, body_consts, carry = cut(args, counts)
    f_cond, f_body, f_carry_in = cut(batched, counts)
    vmap = e.transforms["vmap"]
    f_carry = batched_carries(e, body_fn, f_body, f_carry_in, (), size)
    _, (pred_batched,) = vmap(cond_fn, (*f_cond, *f_carry), size)
    if pred_batched:
        f_carry = (True,) * len(carry)
    cond_b, _ = vmap(cond_fn, (*f_cond, *f_carry), size)
    body_b = batched_as(vmap(body_fn, (*f_body, *f_carry), size), f_carry, size)
    init = [e.batched(x, size) if f and not b else x for x, f, b in zip(carry, f_carry, f_carry_in)]
    if pred_batched:
        return _while_any(e, cond_consts, body_consts, init, cond_b, body_b)
    outs = e.while_loop(
        *cond_consts,
        *body_consts,
        *init,
        cond_fn=cond_b,
        body_fn=body_b,
        num_cond_consts=num_cond_consts,
        num_body_consts=num_body_consts,
    )
    return tuple(o if f else e.batched(o, size) for o, f in zip(outs, f_carry))


def _while_any(e: Emit, cond_consts, body_consts, carry, cond_b: Function, body_b: Function):
    """The loop of batched `cond_b` (one flag per example) and `body_b` that runs while any
    example runs; each step keeps the carry of the examples that are done."""
    nc, nb = len(cond_consts), len(body_consts)

    def any_running(inner: Emit, params):
        (running,) = inner.call(cond_b, *params)
        return [inner.any(running, axis=(0,))]

    def masked_step(inner: Emit, params):
        consts_c, consts_b, values = cut(params, [nc, nb, None])
        (running,) = inner.call(cond_b, *consts_c, *values)
        stepped = inner.call(body_b, *consts_b, *values)
        return [
            inner.select(inner.move_batch(running, v.type.ndim - 1), new, v)
            for new, v in zip(stepped, values)
        ]

    new_cond = build(cond_b, types_of(cond_b.params), any_running)
    new_body = build(body_b, types_of(cond_b.params[:nc]) + types_of(body_b.params), masked_step)
    return e.while_loop(
        *cond_consts,
        *cond_consts,
        *body_consts,
        *carry,
        cond_fn=new_cond,
        body_fn=new_body,
        num_cond_consts=nc,
        num_body_consts=nc + nb,
    )


OPS = [
    Op(
        name="cond",
        shape=_cond_shape,
        impl=cond,
        jvp=_cond_jvp,
        vjp=_cond_vjp,
        batch=_cond_batch,
        tags=CONTROL,
    ),
    Op(
        name="while_loop",
        shape=_while_shape,
        impl=while_loop,
        jvp=_while_jvp,
        vjp=_while_vjp,
        batch=_while_batch,
        tags=CONTROL,
    ),
]
