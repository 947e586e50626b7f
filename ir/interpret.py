"""Runs a Function on numpy arrays with each op's `impl`: the reference semantics.

A sub-function param (a branch, a loop body) reaches the impl as a Python callable that
interprets it, taking arrays and returning a tuple of arrays.
"""

import functools

import numpy as np
import sympy

from ir.core import Function
from ir.errors import ShapeError


def bind_symbols(fn: Function, arrays) -> dict:
    """Symbol -> int, read off the parameters' shapes."""
    sizes: dict = {}
    for value, array in zip(fn.params, arrays):
        if len(value.type.shape) != np.ndim(array):
            raise ShapeError(f"{fn.name}: expected {value.type}, got shape {np.shape(array)}")
        for dim, actual in zip(value.type.shape, np.shape(array)):
            if isinstance(dim, sympy.Symbol):
                sizes[dim] = actual
    return sizes


def resolve(param, sizes: dict):
    """A param with its sympy dims replaced by ints and its Functions by callables."""
    if isinstance(param, tuple):
        return tuple(resolve(p, sizes) for p in param)
    if isinstance(param, sympy.Basic):
        return int(param.subs(sizes))
    if isinstance(param, Function):
        return functools.partial(interpret, param, sizes=sizes)
    return param


def interpret(fn: Function, *arrays, sizes: dict | None = None) -> tuple:
    """Evaluate `fn` eagerly; returns a tuple of numpy arrays, one per result. `sizes` gives
    the symbols of enclosing functions (a sub-function may use sizes its params lack)."""
    sizes = {**(sizes or {}), **bind_symbols(fn, arrays)}
    env = {id(p): np.asarray(a) for p, a in zip(fn.params, arrays)}
    for eqn in fn.eqns:
        params = {k: resolve(v, sizes) for k, v in eqn.params.items()}
        out = eqn.op.impl(*[env[id(x)] for x in eqn.inputs], **params)
        outs = out if len(eqn.outputs) > 1 else (out,)
        for value, array in zip(eqn.outputs, outs):
            env[id(value)] = np.asarray(array)
    return tuple(env[id(v)] for v in fn.results)
