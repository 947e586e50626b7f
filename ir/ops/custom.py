"""Calls of functions that carry a user's own derivative rule (jl.custom_vjp, jl.custom_jvp).

`custom_vjp_call(*args; fun, fwd, bwd, num_res)`: computes fun(*args). Reverse mode runs
`fwd` (fun's results, then `num_res` residuals) and `bwd` (residuals and one cotangent per
result -> one cotangent per argument) instead of differentiating fun. Forward mode
differentiates fun itself.

`custom_jvp_call(*args; fun, jvp)`: computes fun(*args). `jvp` takes the arguments, then
one tangent per argument, and gives fun's results, then their tangents. Reverse mode
transposes that linear map: the VJP of `jvp` w.r.t. its tangent parameters.

Both hold sub-functions as params; the `inline_custom` pass replaces a call by fun's
body once the transforms are done, so code generators never see these ops.
"""

from ir import dtypes, shapes
from ir.core import Function, Type
from ir.errors import ShapeError
from ir.ops.table import Op


def _call_shape(*types: Type, fun: Function, **_) -> tuple:
    if len(types) != len(fun.params):
        raise ShapeError(f"{fun.name} takes {len(fun.params)} arguments, got {len(types)}")
    for got, param in zip(types, fun.params):
        same = got.dtype == param.type.dtype and len(got.shape) == len(param.type.shape)
        if not same or not all(
            shapes.dims_equal(a, b) for a, b in zip(got.shape, param.type.shape)
        ):
            raise ShapeError(f"{fun.name} takes {param.type}, got {got}")
    return tuple(r.type for r in fun.results)


def _call(*args, fun, **_):
    """The reference: run fun (the interpreter hands sub-functions over as callables)."""
    outs = fun(*args)
    return outs[0] if len(outs) == 1 else outs


def _float(value) -> bool:
    return dtypes.is_float(value.type.dtype)


def _tangents(e, primals, tangents) -> list:
    return [e.zeros(x.type) if t is None else t for x, t in zip(primals, tangents)]


def _jvp_of_fun(e, primals, tangents, outs, *, fun, **_):
    """Forward mode through fun itself."""
    wrt = tuple(i for i, x in enumerate(primals) if _float(x))
    fn = e.transforms["jvp"](fun, wrt)
    ts = [t for i, t in enumerate(_tangents(e, primals, tangents)) if i in wrt]
    return tuple(e.call(fn, *primals, *ts)[len(outs) :])


def _custom_vjp_vjp(e, cts, primals, outs, *, fun, fwd, bwd, num_res):
    residuals = e.call(fwd, *primals)[len(outs) :]
    cts = [e.zeros(o.type) if ct is None else ct for ct, o in zip(cts, outs)]
    grads = e.call(bwd, *residuals, *cts)
    return tuple(g if _float(x) else None for g, x in zip(grads, primals))


def _batched_call(e, args, batched, size, **functions):
    """The same op over batched sub-functions: every argument and result batched."""
    args = [x if b else e.batched(x, size) for x, b in zip(args, batched)]
    vmap_all = e.transforms["vmap_all"]
    params = {k: vmap_all(v, size) if isinstance(v, Function) else v for k, v in functions.items()}
    return e.bind(e.op, *args, **params)


def _custom_jvp_jvp(e, primals, tangents, outs, *, fun, jvp):
    out = e.call(jvp, *primals, *_tangents(e, primals, tangents))
    return tuple(t if _float(o) else None for t, o in zip(out[len(outs) :], outs))


def _custom_jvp_vjp(e, cts, primals, outs, *, fun, jvp):
    """The jvp's tangent outputs are linear in its tangent inputs: reverse mode over `jvp`
    w.r.t. those inputs, at zero tangents, is that map's transpose."""
    n, m = len(primals), len(outs)
    wrt = tuple(n + i for i, x in enumerate(primals) if _float(x))
    of = tuple(m + i for i, o in enumerate(outs) if _float(o))
    linear = e.transforms["vjp"](jvp, wrt, of)
    zeros = [e.zeros(x.type) for x in primals]
    seeds = [e.zeros(outs[i - m].type) if cts[i - m] is None else cts[i - m] for i in of]
    grads = iter(e.call(linear, *primals, *zeros, *seeds)[2 * m :])
    return tuple(next(grads) if _float(x) else None for x in primals)


CUSTOM = frozenset({"custom"})

OPS = [
    Op(
        name="custom_vjp_call",
        shape=_call_shape,
        impl=_call,
        jvp=_jvp_of_fun,
        vjp=_custom_vjp_vjp,
        batch=_batched_call,
        tags=CUSTOM,
    ),
    Op(
        name="custom_jvp_call",
        shape=_call_shape,
        impl=_call,
        jvp=_custom_jvp_jvp,
        vjp=_custom_jvp_vjp,
        batch=_batched_call,
        tags=CUSTOM,
    ),
]
