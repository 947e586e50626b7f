"""Replaces calls of functions with custom derivative rules by the functions' bodies."""

from ir.core import Builder, Eqn, Function


def _params(params: dict) -> dict:
    """Eqn params with any sub-function (or tuple of them) inlined too."""
    return {k: _walk(v) for k, v in params.items()}


def _walk(value):
    if isinstance(value, Function):
        return inline_custom(value)
    if isinstance(value, tuple) and any(isinstance(v, Function) for v in value):
        return tuple(_walk(v) for v in value)
    return value


def inline_custom(fn: Function) -> Function:
    """Guarantees: no op tagged "custom" remains, at any depth of sub-functions; each call
    becomes its `fun`'s equations. Run after the transforms: their rules are gone after."""
    if not any("custom" in e.op.tags or _has_function(e.params) for e in fn.eqns):
        return fn
    builder = Builder()
    builder.params = list(fn.params)
    env: dict = {}
    for eqn in fn.eqns:
        inputs = tuple(env.get(id(x), x) for x in eqn.inputs)
        if "custom" in eqn.op.tags:
            outs = builder.inline(inline_custom(eqn.params["fun"]), inputs)
            env.update((id(old), new) for old, new in zip(eqn.outputs, outs))
            continue
        builder.eqns.append(Eqn(eqn.op, inputs, _params(eqn.params), eqn.outputs, eqn.source))
    results = [env.get(id(r), r) for r in fn.results]
    return builder.build(results, fn.name, fn.guards)


def _has_function(params: dict) -> bool:
    return any(
        isinstance(v, Function)
        or (isinstance(v, tuple) and any(isinstance(i, Function) for i in v))
        for v in params.values()
    )
