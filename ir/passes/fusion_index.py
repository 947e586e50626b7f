"""Index arithmetic for the fusion planner: where an element of a broadcast, a reshape or
a clamped read comes from, as sympy expressions of the kernel's index symbols."""

import math

import sympy

from ir import shapes
from ir.errors import ShapeError


def provably_one(dim) -> bool:
    """Provably 1. A dim the guards leave open (s0 - 1) is indexed as it is: the traced
    shapes already fixed where broadcasting happens, so it is 1 only where its index is 0."""
    try:
        return shapes.is_one(dim)
    except ShapeError:
        return False


def normalized(index: tuple, shape: tuple) -> tuple:
    """The index with 0 on every axis of size 1 (where broadcasting reads)."""
    return tuple(
        sympy.Integer(0) if provably_one(d) else sympy.sympify(i) for i, d in zip(index, shape)
    )


def replace_axis(index: tuple, axis: int, value) -> tuple:
    return index[:axis] + (value,) + index[axis + 1 :]


def clamp(expr, length):
    """expr clamped into [0, length): an in-bounds read for a lane whose value is unused."""
    return sympy.Max(0, sympy.Min(expr, sympy.sympify(length) - 1))


def broadcast_index(index: tuple, out_shape: tuple, in_shape: tuple) -> tuple:
    """The index into an input broadcast (right-aligned) to `out_shape`."""
    lead = len(out_shape) - len(in_shape)
    return tuple(
        sympy.Integer(0) if provably_one(d) else index[lead + a] for a, d in enumerate(in_shape)
    )


def reshape_index(index: tuple, out_shape: tuple, in_shape: tuple) -> tuple:
    """The index into `in_shape` of element `index` of its reshape to `out_shape`. Axes
    of equal size map one to one; merged or split groups of axes linearise and unravel."""
    result = [sympy.Integer(0)] * len(in_shape)
    outs = [a for a, d in enumerate(out_shape) if not provably_one(d)]
    ins = [a for a, d in enumerate(in_shape) if not provably_one(d)]
    try:
        groups = _reshape_groups(outs, ins, out_shape, in_shape)
    except (ShapeError, IndexError):
        groups = [(outs, ins)]
    for group_out, group_in in groups:
        flat = _linear(index, out_shape, group_out)
        _unravel(flat, in_shape, group_in, result)
    return tuple(result)


def _reshape_groups(outs: list, ins: list, out_shape: tuple, in_shape: tuple) -> list:
    groups, i, j = [], 0, 0
    while i < len(outs) and j < len(ins):
        go, gi = [outs[i]], [ins[j]]
        po, pi = out_shape[outs[i]], in_shape[ins[j]]
        while not shapes.dims_equal(po, pi):
            if _smaller(po, pi):
                i += 1
                go.append(outs[i])
                po = po * out_shape[outs[i]]
            else:
                j += 1
                gi.append(ins[j])
                pi = pi * in_shape[ins[j]]
        groups.append((go, gi))
        i, j = i + 1, j + 1
    if i != len(outs) or j != len(ins):
        raise ShapeError("reshape groups do not line up")
    return groups


def _smaller(a, b) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a < b
    return shapes.decide(sympy.Lt(a, b))


def _linear(index: tuple, shape: tuple, axes: list):
    flat = sympy.Integer(0)
    for a in axes:
        flat = flat * shape[a] + index[a]
    return sympy.expand(flat)


def _unravel(flat, shape: tuple, axes: list, result: list) -> None:
    stride = sympy.Integer(1)
    for position, a in enumerate(reversed(axes)):
        last = position == len(axes) - 1
        quotient = floordiv(flat, stride)
        result[a] = quotient if last else modulo(quotient, shape[a])
        stride = stride * shape[a]


def floordiv(expr, divisor):
    """expr // divisor for a non-negative expr."""
    if divisor == 1:
        return expr
    return sympy.floor(sympy.sympify(expr) / divisor)


def modulo(expr, divisor):
    if divisor == 1:
        return sympy.Integer(0)
    return sympy.Mod(expr, divisor)


def prod(dims) -> object:
    return math.prod(dims) if all(isinstance(d, int) for d in dims) else sympy.Mul(*dims)
