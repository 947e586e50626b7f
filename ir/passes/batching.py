"""Batching (vmap) as a pass over ir.Function, driven by the op table's batching rules.

A batched value carries the batch as its leading axis; values that do not depend on a
batched parameter stay unbatched and their equations are copied unchanged.
"""

from __future__ import annotations

from ir import shapes
from ir.core import Builder, Function, Type
from ir.errors import IRError, UnsupportedError
from ir.ops.rules import Emit, single


def vmap(fn: Function, batched: tuple, size) -> tuple:
    """(batched Function, which results are batched). Parameters flagged in `batched` get
    a leading axis of length `size` (an int or a shape expression)."""
    builder = Builder()
    e = Emit(builder)
    e.transforms = TRANSFORMS
    env: dict = {}
    flags: dict = {}
    for param, flag in zip(fn.params, batched):
        type = Type(param.type.dtype, (size, *param.type.shape)) if flag else param.type
        env[id(param)] = builder.param(type)
        flags[id(param)] = flag
    for eqn in fn.eqns:
        args = [env[id(x)] for x in eqn.inputs]
        arg_flags = tuple(flags[id(x)] for x in eqn.inputs)
        e.source, e.op = eqn.source, eqn.op
        if not any(arg_flags):
            outs = single(e.bind(eqn.op, *args, **eqn.params))
            out_flag = False
        else:
            if eqn.op.batch is None:
                raise UnsupportedError(f"vmap of {eqn.op.name}")
            outs = single(eqn.op.batch(e, tuple(args), arg_flags, size, **eqn.params))
            out_flag = True
        for old, new in zip(eqn.outputs, outs):
            want = (size, *old.type.shape) if out_flag else old.type.shape
            if new.type.dtype != old.type.dtype or not shapes.equal(new.type.shape, want):
                raise IRError(f"the batching rule of {eqn.op.name} gave {new.type} for {old.type}")
            env[id(old)] = new
            flags[id(old)] = out_flag
    results = [env[id(r)] for r in fn.results]
    out_flags = tuple(flags[id(r)] for r in fn.results)
    return builder.build(results, fn.name, fn.guards), out_flags


def vmap_all(fn: Function, size) -> Function:
    """fn with every parameter and every result batched (unbatched results broadcast):
    for ops holding sub-functions, whose batched form needs one fixed signature."""
    batched, flags = vmap(fn, (True,) * len(fn.params), size)
    if all(flags):
        return batched
    builder = Builder()
    builder.params = list(batched.params)
    builder.eqns = list(batched.eqns)
    e = Emit(builder)
    results = [r if flag else e.batched(r, size) for r, flag in zip(batched.results, flags)]
    return builder.build(results, fn.name, fn.guards)


TRANSFORMS = {"vmap": vmap, "vmap_all": vmap_all}
