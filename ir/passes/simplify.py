"""Algebraic simplification: exact identities (x*1, x/1, x-0, x+0 for ints, x+(-0.0), x*-1 as
-x, sum(-x) as -sum(x), x+x as 2x, a power of two moved onto a single-element factor, a slice
written back to itself, stop_gradient once the transforms are done), layout chains,
broadcasts into elementwise ops and small integer powers as multiplies (numpy's generic pow
makes `x ** 3` ~10x slower than `x * x * x`). Rules are a table keyed by op record."""

import math

import sympy

from ir import dtypes, shapes
from ir.core import Eqn, Function
from ir.ops import OPS, Literal
from ir.passes.rewrite import Rewriter, rewrite


def constant_scalar(value, rewriter: Rewriter):
    """The Python number every element of `value` equals, when it is a constant; else None."""
    eqn = rewriter.producer(value)
    if eqn is not None and eqn.op is OPS["broadcast_to"]:
        eqn = rewriter.producer(eqn.inputs[0])
    if eqn is None or eqn.op is not OPS["constant"]:
        return None
    literal = eqn.params["value"]
    if not isinstance(literal, Literal):
        return literal
    flat = literal.array.ravel()
    if flat.size and (flat == flat[0]).all():
        return flat[0].item()
    return None


def _keeps_type(eqn: Eqn, value) -> bool:
    return value.type == eqn.out.type


def _identity(index: int, is_neutral):
    """x op c -> x when the constant operand `index` satisfies `is_neutral(c, dtype)`."""

    def rule(eqn: Eqn, rewriter: Rewriter):
        other = eqn.inputs[1 - index]
        value = constant_scalar(eqn.inputs[index], rewriter)
        if value is not None and is_neutral(value, other.type.dtype) and _keeps_type(eqn, other):
            return other
        return None

    return rule


def _additive_zero(value, dtype: str) -> bool:
    # x + 0.0 maps -0.0 to +0.0, so for floats only -0.0 is an exact identity.
    if value != 0:
        return False
    return not dtypes.is_float(dtype) or math.copysign(1.0, value) < 0


def _subtracted_zero(value, dtype: str) -> bool:
    return value == 0  # x - 0.0 == x exactly, -0.0 included


def _one(value, dtype: str) -> bool:
    return value == 1


def _either(*rules):
    def rule(eqn: Eqn, rewriter: Rewriter):
        for candidate in rules:
            result = candidate(eqn, rewriter)
            if result is not None:
                return result
        return None

    return rule


def _negation(eqn: Eqn, rewriter: Rewriter):
    """x * -1 is -x (exactly, in every dtype): numpy's negative is the cheaper pass, and a
    sum of it becomes a negated sum (see _sum)."""
    for index in (0, 1):
        other = eqn.inputs[1 - index]
        if constant_scalar(eqn.inputs[index], rewriter) == -1 and _keeps_type(eqn, other):
            return rewriter.bind(OPS["negative"], other, source=eqn.source)
    return None


def _sum(eqn: Eqn, rewriter: Rewriter):
    return _sum_of_ones(eqn, rewriter) or _sum_of_negation(eqn, rewriter)


def _sum_of_ones(eqn: Eqn, rewriter: Rewriter):
    """A sum over axes that all have size 1 adds one element to the sum's start, 0: a
    reshape, plus 0.0 for floats (which turns -0.0 into 0.0, as numpy's sum does). The
    gradient of take_along_axis sums its one-hot over the gathered axis of size 1, and a
    sum over a trailing axis of size 1 is numpy's slowest loop."""
    (x,) = eqn.inputs
    axes = eqn.params["axis"]
    if x.type.dtype != eqn.out.type.dtype or not all(shapes.is_one(x.type.shape[a]) for a in axes):
        return None
    out = rewriter.bind(OPS["reshape"], x, shape=eqn.out.type.shape, source=eqn.source)
    if not dtypes.is_float(x.type.dtype):
        return out
    zero = rewriter.bind(OPS["constant"], value=0.0, dtype=x.type.dtype, source=eqn.source)
    return rewriter.bind(OPS["add"], out, zero, source=eqn.source)


def _sum_of_negation(eqn: Eqn, rewriter: Rewriter):
    """sum(-x) -> -sum(x): the negation moves to the smaller result. Exact for floats (the
    same additions, each rounded symmetrically); integers may widen in the sum, where -x
    would have wrapped first, so they are left alone."""
    inner = rewriter.producer(eqn.inputs[0])
    if inner is None or inner.op is not OPS["negative"]:
        return None
    (x,) = inner.inputs
    if not dtypes.is_float(x.type.dtype) or x.type.dtype != eqn.out.type.dtype:
        return None
    total = rewriter.bind(OPS["sum"], x, source=eqn.source, **eqn.params)
    return rewriter.bind(OPS["negative"], total, source=eqn.source)


def _doubling(eqn: Eqn, rewriter: Rewriter):
    """x + x -> x * 2, exactly (the gradient of x * x makes it), with the 2 moved onto a
    single-element factor of x where it has one (see _power_of_two_scale)."""
    x, y = eqn.inputs
    if x is not y or not dtypes.is_float(x.type.dtype) or not _keeps_type(eqn, x):
        return None
    two = rewriter.bind(OPS["constant"], value=2.0, dtype=x.type.dtype, source=eqn.source)
    moved = _moved_scale(eqn, x, two, rewriter)
    return moved or rewriter.bind(OPS["multiply"], x, two, source=eqn.source)


def _power_of_two_scale(eqn: Eqn, rewriter: Rewriter):
    """(s * x) * 2^k -> (s * 2^k) * x for a single-element s (a mean's 1/n): scaling by a
    power of two is exact, so it is done once to s instead of to every element of x."""
    for index in (0, 1):
        k = constant_scalar(eqn.inputs[index], rewriter)
        if isinstance(k, float) and _is_power_of_two(k):
            moved = _moved_scale(eqn, eqn.inputs[1 - index], eqn.inputs[index], rewriter)
            if moved is not None:
                return moved
    return None


def _moved_scale(eqn: Eqn, product, factor, rewriter: Rewriter):
    """(s * x) * factor as (s * factor) * x, where `product` is s * x with a single-element
    s and `factor` is a single-element power of two; None where it is not."""
    inner = rewriter.producer(product)
    dtype = eqn.out.type.dtype
    if inner is None or inner.op is not OPS["multiply"] or not _single_element(factor):
        return None
    for s, x in (inner.inputs, inner.inputs[::-1]):
        same = s.type.dtype == x.type.dtype == factor.type.dtype == dtype
        if same and _single_element(s) and not _single_element(x):
            scaled = rewriter.bind(OPS["multiply"], s, factor, source=eqn.source)
            out = rewriter.bind(OPS["multiply"], scaled, x, source=eqn.source)
            return out if _keeps_type(eqn, out) else None
    return None


def _single_element(value) -> bool:
    return all(shapes.is_one(d) for d in value.type.shape)


def _is_power_of_two(value: float) -> bool:
    return math.isfinite(value) and value != 0 and math.frexp(abs(value))[0] == 0.5


def _stop_gradient(eqn: Eqn, rewriter: Rewriter):
    """The pipeline runs once the transforms are done: a stop_gradient is x itself."""
    return eqn.inputs[0]


def _double_negation(eqn: Eqn, rewriter: Rewriter):
    inner = rewriter.producer(eqn.inputs[0])
    # not(not(x)) of a float x is x != 0, not x: only an operand of the result's dtype cancels
    if inner is not None and inner.op is eqn.op and inner.inputs[0].type == eqn.out.type:
        return inner.inputs[0]
    return None


def _reshape(eqn: Eqn, rewriter: Rewriter):
    (x,) = eqn.inputs
    inner = rewriter.producer(x)
    if inner is not None and inner.op is OPS["reshape"]:
        x = inner.inputs[0]
    if x.type.shape == eqn.out.type.shape:
        return x
    if x is eqn.inputs[0]:
        return None
    return rewriter.bind(OPS["reshape"], x, shape=eqn.out.type.shape, source=eqn.source)


def _transpose(eqn: Eqn, rewriter: Rewriter):
    (x,) = eqn.inputs
    axes = eqn.params["axes"]
    inner = rewriter.producer(x)
    if inner is not None and inner.op is OPS["transpose"]:
        x, axes = inner.inputs[0], tuple(inner.params["axes"][a] for a in axes)
    if axes == tuple(range(len(axes))):
        return x
    moved = [a for a in axes if not shapes.is_one(x.type.shape[a])]
    if moved == sorted(moved):  # only size-1 axes move: the same memory order, a reshape
        return rewriter.bind(OPS["reshape"], x, shape=eqn.out.type.shape, source=eqn.source)
    if x is eqn.inputs[0]:
        return None
    return rewriter.bind(OPS["transpose"], x, axes=axes, source=eqn.source)


def _broadcast(eqn: Eqn, rewriter: Rewriter):
    x = eqn.inputs[0]
    return x if x.type.shape == eqn.out.type.shape else None


def _slice(eqn: Eqn, rewriter: Rewriter):
    x = eqn.inputs[0]
    whole = all(
        start == 0 and step == 1 and shapes.dims_equal(stop, dim)
        for start, stop, step, dim in zip(*eqn.params.values(), x.type.shape)
    )
    return x if whole else None


def _update_slice(eqn: Eqn, rewriter: Rewriter):
    """A write of a slice's own values back to it (Python's `a[i] += v` on a view writes the
    view back after adding into it) changes nothing; a write of the whole array is the
    update."""
    x, update = eqn.inputs
    p = eqn.params
    source = rewriter.producer(update)
    if source is not None and source.op is OPS["slice"] and source.inputs[0] is x:
        q = source.params
        same = (sympy.expand(sympy.sympify(a) - b) == 0 for a, b in zip(p["start"], q["start"]))
        if all(same) and tuple(p["step"]) == tuple(q["step"]):
            return x
    whole = all(start == 0 and step == 1 for start, step in zip(p["start"], p["step"]))
    return update if whole and update.type == x.type else None


def _unbroadcast_operands(eqn: Eqn, rewriter: Rewriter):
    """An elementwise op broadcasts by itself: feed it the un-broadcast operands."""
    inputs = list(eqn.inputs)
    for i, x in enumerate(inputs):
        inner = rewriter.producer(x)
        if inner is None or inner.op is not OPS["broadcast_to"]:
            continue
        candidate = inputs[:i] + [inner.inputs[0]] + inputs[i + 1 :]
        if shapes.broadcast(*[v.type.shape for v in candidate]) == eqn.out.type.shape:
            inputs = candidate
    if all(a is b for a, b in zip(inputs, eqn.inputs)):
        return None
    return rewriter.bind(eqn.op, *inputs, source=eqn.source, **eqn.params)


def _trailing_one(eqn: Eqn, rewriter: Rewriter):
    """An elementwise result whose last axis has size 1 (every operand's last axis is then 1,
    or the operand is 0-d) is computed without that axis: numpy's inner loop would run
    over that one element, ~10x slower than over a real row (vmap makes such shapes)."""
    out = eqn.out.type.shape
    if len(out) < 2 or not shapes.is_one(out[-1]):
        return None
    inputs = [
        rewriter.bind(OPS["reshape"], x, shape=x.type.shape[:-1], source=eqn.source)
        if x.type.shape
        else x
        for x in eqn.inputs
    ]
    inner = rewriter.bind(eqn.op, *inputs, source=eqn.source, **eqn.params)
    return rewriter.bind(OPS["reshape"], inner, shape=out, source=eqn.source)


def _power(eqn: Eqn, rewriter: Rewriter):
    x, exponent = eqn.inputs
    n = constant_scalar(exponent, rewriter)
    if n not in (1, 2, 3, 4) or x.type != eqn.out.type:
        return None
    multiply = OPS["multiply"]
    if n == 1:
        return x
    square = rewriter.bind(multiply, x, x, source=eqn.source)
    if n == 2:
        return square
    return rewriter.bind(multiply, square, x if n == 3 else square, source=eqn.source)


def _select(eqn: Eqn, rewriter: Rewriter):
    """select on a constant condition is the chosen branch (broadcast to the result)."""
    cond, x, y = eqn.inputs
    value = constant_scalar(cond, rewriter)
    if value is None:
        return None
    chosen = x if value else y
    if chosen.type.shape == eqn.out.type.shape:
        return chosen
    return rewriter.bind(OPS["broadcast_to"], chosen, shape=eqn.out.type.shape, source=eqn.source)


def _logical(absorbing: bool):
    """logical_and (absorbing False) or logical_or (absorbing True) with a constant operand:
    the absorbing constant decides the result (a constant, broadcast to it), the other one
    leaves the other operand (as bool). The gradient of x ** 2 guards 0 ** 1 with
    `(x == 0) & False`, which this folds, and _select then drops the guard."""

    def rule(eqn: Eqn, rewriter: Rewriter):
        for index in (0, 1):
            value = constant_scalar(eqn.inputs[index], rewriter)
            if value is None:
                continue
            other = eqn.inputs[1 - index]
            if bool(value) == absorbing:
                fixed = rewriter.bind(
                    OPS["constant"], value=absorbing, dtype="bool", source=eqn.source
                )
                shape = eqn.out.type.shape
                return rewriter.bind(OPS["broadcast_to"], fixed, shape=shape, source=eqn.source)
            if _keeps_type(eqn, other):
                return other
        return None

    return rule


def _outer_matmul(eqn: Eqn, rewriter: Rewriter):
    """A matmul contracting a dim of size 1 is an outer product: (.., m, 1) * (.., 1, n) by
    broadcasting, which numpy runs as one pass instead of one tiny product per matrix
    (what vmap makes of a batch of outer products, as in per-example gradients)."""
    x, y = eqn.inputs
    if x.type.shape[-1] != 1:
        return None
    out = rewriter.bind(OPS["multiply"], x, y, source=eqn.source)
    return out if _keeps_type(eqn, out) else None


def _folded_rows(eqn: Eqn, rewriter: Rewriter):
    """A stack of matrices times one matrix, (.., m, k) @ (k, n), is one product with the
    stack folded into the rows, (B*m, k) @ (k, n): numpy runs a stack as one small BLAS call
    per matrix (a layer applied to (batch, seq, width) activations, and its gradient
    ct @ w^T), 1.3-2x slower than the one call at a transformer's sizes."""
    x, y = eqn.inputs
    if y.type.ndim != 2 or x.type.ndim <= 2:
        return None
    rows = shapes.size(x.type.shape[:-1])
    flat = rewriter.bind(OPS["reshape"], x, shape=(rows, x.type.shape[-1]), source=eqn.source)
    out = rewriter.bind(OPS["matmul"], flat, y, source=eqn.source)
    return rewriter.bind(OPS["reshape"], out, shape=eqn.out.type.shape, source=eqn.source)


RULES = {
    OPS["add"]: _either(_identity(0, _additive_zero), _identity(1, _additive_zero), _doubling),
    OPS["subtract"]: _identity(1, _subtracted_zero),
    OPS["multiply"]: _either(
        _identity(0, _one), _identity(1, _one), _negation, _power_of_two_scale
    ),
    OPS["divide"]: _identity(1, _one),
    OPS["negative"]: _double_negation,
    OPS["logical_not"]: _double_negation,
    OPS["reshape"]: _reshape,
    OPS["transpose"]: _transpose,
    OPS["broadcast_to"]: _broadcast,
    OPS["slice"]: _slice,
    OPS["update_slice"]: _update_slice,
    OPS["power"]: _power,
    OPS["select"]: _select,
    OPS["logical_and"]: _logical(absorbing=False),
    OPS["logical_or"]: _logical(absorbing=True),
    OPS["matmul"]: _either(_outer_matmul, _folded_rows),
    OPS["sum"]: _sum,
    OPS["stop_gradient"]: _stop_gradient,
}


def simplify(fn: Function) -> Function:
    """Guarantees: values unchanged (up to float rounding of x**n as products), no identity
    arithmetic with 0/1 constants (nor logical_and/or with a constant), no reshape-of-reshape or transpose-of-transpose, no
    broadcast_to feeding an elementwise op that broadcasts by itself, no stop_gradient (run
    it after the transforms only: it drops their zero derivatives)."""

    def rule(eqn: Eqn, rewriter: Rewriter):
        specific = RULES.get(eqn.op)
        result = specific(eqn, rewriter) if specific else None
        if result is None and "elementwise" in eqn.op.tags and eqn.inputs:
            result = _unbroadcast_operands(eqn, rewriter)
        if result is None and "elementwise" in eqn.op.tags and len(eqn.outputs) == 1:
            result = _trailing_one(eqn, rewriter)
        return result

    return rewrite(fn, rule)


__all__ = ["constant_scalar", "simplify"]
