"""Checks a Function: SSA order, single definitions, and types that the shape rules reproduce.
Sub-functions (control flow) are checked too, under the guards of the functions around them."""

from ir import shapes
from ir.core import Function, Type, sub_functions
from ir.errors import IRError


def _same_type(a: Type, b: Type) -> bool:
    return (
        a.dtype == b.dtype
        and len(a.shape) == len(b.shape)
        and all(shapes.dims_equal(x, y) for x, y in zip(a.shape, b.shape))
    )


def verify(fn: Function) -> Function:
    """Raise IRError if `fn` is malformed; returns `fn` so it can wrap a pass."""
    _verify(fn, ())
    return fn


def _verify(fn: Function, outer_guards: tuple) -> None:
    defined = {id(p) for p in fn.params}
    if len(defined) != len(fn.params):
        raise IRError(f"{fn.name}: a parameter is listed twice")
    guards = (*outer_guards, *fn.guards)
    with shapes.assuming(guards):
        for index, eqn in enumerate(fn.eqns):
            where = f"{fn.name}, equation {index} ({eqn.op.name})"
            for x in eqn.inputs:
                if id(x) not in defined:
                    raise IRError(f"{where}: uses a value before it is defined")
            for sub in sub_functions(eqn):
                _verify(sub, guards)
            types = eqn.op.shape(*[x.type for x in eqn.inputs], **eqn.params)
            types = types if isinstance(types, tuple) else (types,)
            if len(types) != len(eqn.outputs):
                raise IRError(
                    f"{where}: has {len(eqn.outputs)} outputs, its rule gives {len(types)}"
                )
            for value, expected in zip(eqn.outputs, types):
                if id(value) in defined:
                    raise IRError(f"{where}: defines a value twice")
                if not _same_type(value.type, expected):
                    raise IRError(f"{where}: typed {value.type}, its rule gives {expected}")
                defined.add(id(value))
    for value in fn.results:
        if id(value) not in defined:
            raise IRError(f"{fn.name}: returns an undefined value")
