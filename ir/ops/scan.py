"""The scan op: a loop over the leading axis of its xs, holding its body as a sub-function.

`scan(*consts, *carry, *xs; body, length, reverse, num_consts, num_carry)`: for each step
i (descending with `reverse`), carry, y = body(*consts, *carry, *[x[i] for x in xs]) and
ys[i] = y; the outputs are the final carry, then the stacked ys (steps first).

Reverse mode is a forward scan that also stores each step's incoming carry, then a scan
in the other direction running the body's VJP at each step. Shared helpers and the
derivative and batching policies are described in ir/ops/control.py.
"""

from __future__ import annotations

import numpy as np

from ir import shapes
from ir.core import Function, Type, Value
from ir.errors import ShapeError
from ir.ops.control import (
    CONTROL,
    batched_as,
    batched_carries,
    build,
    check_params,
    check_results,
    cut,
    independent,
    is_float,
    scatter,
    types_of,
    unpack,
)
from ir.ops.rules import Emit
from ir.ops.table import Op


def _scan_shape(*types: Type, body, length, reverse, num_consts, num_carry) -> tuple:
    consts, carry, xs = cut(types, [num_consts, num_carry, None])
    length = shapes.canon(length)
    for x in xs:
        if x.ndim == 0 or not shapes.dims_equal(x.shape[0], length):
            raise ShapeError(f"scan over {length} steps got xs of type {x}")
    check_params(body, consts + carry + [Type(x.dtype, x.shape[1:]) for x in xs], "scan body")
    if len(body.results) < num_carry:
        raise ShapeError(
            f"scan body {body.name} returns fewer results than its {num_carry} carries"
        )
    check_results(body, carry + types_of(body.results[num_carry:]), "scan body")
    ys = [Type(r.type.dtype, (length, *r.type.shape)) for r in body.results[num_carry:]]
    return tuple(carry + ys)


def scan(*args, body, length, reverse, num_consts, num_carry):
    """The loop of the module docstring, with ys written into preallocated arrays."""
    consts, carry, xs = cut(args, [num_consts, num_carry, None])
    ys = None
    for i in reversed(range(length)) if reverse else range(length):
        outs = body(*consts, *carry, *[x[i] for x in xs])
        carry = outs[:num_carry]
        if ys is None:
            ys = [np.empty((length, *np.shape(y)), np.asarray(y).dtype) for y in outs[num_carry:]]
        for stacked, y in zip(ys, outs[num_carry:]):
            stacked[i] = y
    if ys is None:
        # no steps: the ys' shapes and dtypes come from one run of the body on zeros
        with np.errstate(all="ignore"):
            example = body(*consts, *carry, *[np.zeros(x.shape[1:], x.dtype) for x in xs])
        ys = [np.empty((0, *np.shape(y)), np.asarray(y).dtype) for y in example[num_carry:]]
    return unpack(independent([*carry, *ys], args))


# --- forward mode -----------------------------------------------------------------------
def _scan_jvp(e: Emit, primals, tangents, outs, *, body, length, reverse, num_consts, num_carry):
    counts = [num_consts, num_carry, None]
    consts, carry, xs = cut(primals, counts)
    t_consts, t_carry, t_xs = cut(tangents, counts)
    nk, ny = num_carry, len(outs) - num_carry
    # which inputs get tangents: consts and xs that have one, every float carry
    wrt = (
        [i for i, t in enumerate(t_consts) if t is not None and is_float(consts[i])],
        [i for i, x in enumerate(carry) if is_float(x)],
        [i for i, t in enumerate(t_xs) if t is not None and is_float(xs[i])],
    )
    y_floats = [j for j in range(ny) if is_float(outs[nk + j])]
    t_init = [e.zeros(carry[i].type) if t_carry[i] is None else t_carry[i] for i in wrt[1]]
    loop = e.scan(
        *consts,
        *[t_consts[i] for i in wrt[0]],
        *carry,
        *t_init,
        *xs,
        *[t_xs[i] for i in wrt[2]],
        body=_tangent_body(e, body, num_consts, num_carry, wrt, y_floats),
        length=length,
        reverse=reverse,
        num_consts=num_consts + len(wrt[0]),
        num_carry=nk + len(wrt[1]),
    )
    _, t_k, _, t_ys = cut(loop, [nk, len(wrt[1]), ny, None])
    return (*scatter(t_k, wrt[1], nk), *scatter(t_ys, y_floats, ny))


def _tangent_body(e: Emit, body: Function, nc: int, nk: int, wrt: tuple, y_floats) -> Function:
    """The body carrying tangents, in scan's layout: consts then their tangents, carry then
    its tangents, xs then theirs; results: carry, its tangents, ys, their tangents."""
    const_wrt, carry_wrt, x_wrt = wrt
    ny = len(body.results) - nk
    nx = len(body.params) - nc - nk
    flat_wrt = (*const_wrt, *[nc + i for i in carry_wrt], *[nc + nk + i for i in x_wrt])
    jvp_fn = e.transforms["jvp"](body, flat_wrt)

    def step(inner: Emit, params):
        sizes = [nc, len(const_wrt), nk, len(carry_wrt), nx, len(x_wrt)]
        c, tc, k, tk, x, tx = cut(params, sizes)
        results = inner.call(jvp_fn, *c, *k, *x, *tc, *tk, *tx)
        primal, tangent = results[: nk + ny], results[nk + ny :]
        return [
            *primal[:nk],
            *[tangent[i] for i in carry_wrt],
            *primal[nk:],
            *[tangent[nk + j] for j in y_floats],
        ]

    c_types, k_types, x_types = cut(types_of(body.params), [nc, nk, None])
    types = [
        *c_types,
        *[c_types[i] for i in const_wrt],
        *k_types,
        *[k_types[i] for i in carry_wrt],
        *x_types,
        *[x_types[i] for i in x_wrt],
    ]
    return build(body, types, step)


# --- reverse mode -----------------------------------------------------------------------
def _scan_vjp(e: Emit, cts, primals, outs, *, body, length, reverse, num_consts, num_carry):
    """The backward scan carries the carry's cotangent and sums the consts' cotangents; its
    ys are the xs' cotangents."""
    consts, carry, xs = cut(primals, [num_consts, num_carry, None])
    nk, ny = num_carry, len(outs) - num_carry
    stored = _incoming_carries(e, primals, body, length, reverse, num_consts, num_carry)
    wrt = (
        [i for i, x in enumerate(consts) if is_float(x)],
        [i for i, x in enumerate(carry) if is_float(x)],
        [i for i, x in enumerate(xs) if is_float(x)],
    )
    y_of = [j for j in range(ny) if cts[nk + j] is not None and is_float(outs[nk + j])]
    ct_init = [e.zeros(carry[i].type) if cts[i] is None else cts[i] for i in wrt[1]]
    back = e.scan(
        *consts,
        *ct_init,
        *[e.zeros(consts[i].type) for i in wrt[0]],
        *stored,
        *xs,
        *[cts[nk + j] for j in y_of],
        body=_backward_body(e, body, num_consts, num_carry, wrt, y_of),
        length=length,
        reverse=not reverse,
        num_consts=num_consts,
        num_carry=len(wrt[1]) + len(wrt[0]),
    )
    g_k, g_c, g_x = cut(back, [len(wrt[1]), len(wrt[0]), None])
    return (
        *scatter(g_c, wrt[0], num_consts),
        *scatter(g_k, wrt[1], nk),
        *scatter(g_x, wrt[2], len(xs)),
    )


def _incoming_carries(e: Emit, primals, body, length, reverse, nc: int, nk: int) -> list:
    """The scan run again, giving the carry each step starts from (stacked) as its ys."""

    def keep_carry(inner: Emit, params):
        return [*inner.call(body, *params)[:nk], *params[nc : nc + nk]]

    forward = build(body, types_of(body.params), keep_carry)
    loop = e.scan(
        *primals, body=forward, length=length, reverse=reverse, num_consts=nc, num_carry=nk
    )
    return list(loop[nk:])


def _backward_body(e: Emit, body: Function, nc: int, nk: int, wrt: tuple, y_of) -> Function:
    """One backward step, in scan's layout: consts; carry = the carry's cotangent and the
    consts' running sums; xs = the stored carry, the xs and the ys' cotangents."""
    const_wrt, carry_wrt, x_wrt = wrt
    ny = len(body.results) - nk
    nx = len(body.params) - nc - nk
    flat_wrt = (*const_wrt, *[nc + i for i in carry_wrt], *[nc + nk + i for i in x_wrt])
    vjp_fn = e.transforms["vjp"](body, flat_wrt, (*carry_wrt, *[nk + j for j in y_of]))

    def step(inner: Emit, params):
        sizes = [nc, len(carry_wrt), len(const_wrt), nk, nx, len(y_of)]
        c, ct_k, sums, k, x, ct_y = cut(params, sizes)
        grads = inner.call(vjp_fn, *c, *k, *x, *ct_k, *ct_y)[nk + ny :]
        g_c, g_k, g_x = cut(grads, [len(const_wrt), len(carry_wrt), None])
        return [*g_k, *[inner.add(total, g) for total, g in zip(sums, g_c)], *g_x]

    c_types, k_types, x_types = cut(types_of(body.params), [nc, nk, None])
    types = [
        *c_types,
        *[k_types[i] for i in carry_wrt],
        *[c_types[i] for i in const_wrt],
        *k_types,
        *x_types,
        *[body.results[nk + j].type for j in y_of],
    ]
    return build(body, types, step)


# --- batching ---------------------------------------------------------------------------
def _step_axis_first(e: Emit, x: Value) -> Value:
    """(batch, steps, ...) <-> (steps, batch, ...)."""
    return e.transposed(x, (1, 0, *range(2, x.type.ndim)))


def _scan_batch(e: Emit, args, batched, size, *, body, length, reverse, num_consts, num_carry):
    """Batched xs are (batch, steps, ...): the steps go first for the scan, and the stacked
    ys, (steps, batch, ...), get the batch first again."""
    counts = [num_consts, num_carry, None]
    consts, carry, xs = cut(args, counts)
    f_consts, f_carry_in, f_xs = cut(batched, counts)
    f_carry = batched_carries(e, body, f_consts, f_carry_in, f_xs, size)
    vmapped = e.transforms["vmap"](body, (*f_consts, *f_carry, *f_xs), size)
    y_flags = tuple(vmapped[1][num_carry:])
    init = [e.batched(x, size) if f and not b else x for x, f, b in zip(carry, f_carry, f_carry_in)]
    loop = e.scan(
        *consts,
        *init,
        *[_step_axis_first(e, x) if f else x for x, f in zip(xs, f_xs)],
        body=batched_as(vmapped, (*f_carry, *y_flags), size),
        length=length,
        reverse=reverse,
        num_consts=num_consts,
        num_carry=num_carry,
    )
    carry_out = [o if f else e.batched(o, size) for o, f in zip(loop[:num_carry], f_carry)]
    ys = [
        _step_axis_first(e, y) if f else e.batched(y, size)
        for y, f in zip(loop[num_carry:], y_flags)
    ]
    return (*carry_out, *ys)


OPS = [
    Op(
        name="scan",
        shape=_scan_shape,
        impl=scan,
        jvp=_scan_jvp,
        vjp=_scan_vjp,
        batch=_scan_batch,
        tags=CONTROL,
    ),
]
