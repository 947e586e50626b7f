"""Automatic differentiation as passes over ir.Function: forward mode (jvp) and reverse
mode (vjp), each driven by the rules in the op table (see ir/ops/rules.py).

Both passes return ordinary Functions made of primitives, so their output can be
differentiated, batched and compiled like anything the tracer makes.
"""

from __future__ import annotations

from ir import dtypes, shapes
from ir.core import Builder, Function, Value
from ir.errors import IRError, UnsupportedError
from ir.ops.rules import Emit, single


def _check(op, kind: str, value: Value, derivative: Value) -> None:
    same = derivative.type.dtype == value.type.dtype
    if not same or not shapes.equal(derivative.type.shape, value.type.shape):
        raise IRError(f"the {kind} rule of {op.name} gave {derivative.type} for {value.type}")


def _differentiable(value: Value) -> bool:
    return dtypes.is_float(value.type.dtype)


def jvp(fn: Function, wrt: tuple) -> Function:
    """Forward mode. Parameters: fn's, then one tangent per float parameter listed in `wrt`
    (positions). Results: fn's, then one tangent per result (zeros where a result does not
    depend on the tangents; the tangent of an integer result is zeros of its dtype)."""
    builder = Builder()
    builder.params = list(fn.params)
    builder.eqns = list(fn.eqns)
    e = Emit(builder)
    e.transforms = TRANSFORMS
    tangents: dict = {}
    for i in wrt:
        param = fn.params[i]
        if _differentiable(param):
            tangents[id(param)] = builder.param(param.type)
    for eqn in fn.eqns:
        ts = [tangents.get(id(x)) for x in eqn.inputs]
        if all(t is None for t in ts) or not any(_differentiable(o) for o in eqn.outputs):
            continue
        if eqn.op.jvp is None:
            raise UnsupportedError(f"forward-mode differentiation of {eqn.op.name}")
        e.source, e.op = eqn.source, eqn.op
        outs = single(eqn.op.jvp(e, eqn.inputs, tuple(ts), eqn.outputs, **eqn.params))
        for value, tangent in zip(eqn.outputs, outs):
            if tangent is not None:
                _check(eqn.op, "jvp", value, tangent)
                tangents[id(value)] = tangent
    e.source, e.op = None, None
    results = [tangents.get(id(r)) or e.zeros(r.type) for r in fn.results]
    return builder.build([*fn.results, *results], fn.name, fn.guards)


def _active(fn: Function, wrt: tuple) -> set:
    """ids of the float values that depend on the float parameters listed in `wrt`."""
    active = {id(fn.params[i]) for i in wrt if _differentiable(fn.params[i])}
    for eqn in fn.eqns:
        if any(id(x) in active for x in eqn.inputs):
            active.update(id(o) for o in eqn.outputs if _differentiable(o))
    return active


def vjp(fn: Function, wrt: tuple, of: tuple | None = None) -> Function:
    """Reverse mode. Parameters: fn's, then one cotangent per float result (per result
    listed in `of`, positions, when given; the others get none). Results: fn's,
    then the cotangent of each parameter listed in `wrt` (zeros where none reaches it).
    The forward equations come first, then the backward ones in reverse order."""
    builder = Builder()
    builder.params = list(fn.params)
    builder.eqns = list(fn.eqns)
    e = Emit(builder)
    e.transforms = TRANSFORMS
    active = _active(fn, wrt)
    cts: dict = {}

    def accumulate(value: Value, ct: Value) -> None:
        before = cts.get(id(value))
        cts[id(value)] = ct if before is None else e.add(before, ct)

    chosen = range(len(fn.results)) if of is None else of
    seeds = [
        builder.param(r.type) if i in chosen and _differentiable(r) else None
        for i, r in enumerate(fn.results)
    ]
    for result, seed in zip(fn.results, seeds):
        if seed is not None and id(result) in active:
            accumulate(result, seed)
    for eqn in reversed(fn.eqns):
        out_cts = tuple(cts.pop(id(o), None) for o in eqn.outputs)
        if all(ct is None for ct in out_cts):
            continue
        if eqn.op.vjp is None:
            raise UnsupportedError(f"reverse-mode differentiation of {eqn.op.name}")
        e.source, e.op = eqn.source, eqn.op
        in_cts = eqn.op.vjp(e, out_cts, eqn.inputs, eqn.outputs, **eqn.params)
        for x, ct in zip(eqn.inputs, in_cts):
            if ct is not None and id(x) in active:
                _check(eqn.op, "vjp", x, ct)
                accumulate(x, ct)
    e.source, e.op = None, None
    grads = [cts.get(id(fn.params[i])) or e.zeros(fn.params[i].type) for i in wrt]
    return builder.build([*fn.results, *grads], fn.name, fn.guards)


TRANSFORMS = {"jvp": jvp, "vjp": vjp}
