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
    masks = _Masks(e)

    def accumulate(value: Value, ct: Value, mask: Value | None = None) -> None:
        before = cts.get(id(value))
        cts[id(value)] = ct if before is None else e.add(before, ct)
        masks.add(value, mask, first=before is None)

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
        out_mask = masks.take(eqn)
        in_cts = eqn.op.vjp(e, out_cts, eqn.inputs, eqn.outputs, **eqn.params)
        in_masks = masks.of_inputs(eqn, out_mask, in_cts)
        for x, ct, mask in zip(eqn.inputs, in_cts, in_masks):
            if ct is not None and id(x) in active:
                _check(eqn.op, "vjp", x, ct)
                accumulate(x, masks.zeroed(eqn, ct, mask), mask)
    e.source, e.op = None, None
    grads = [cts.get(id(fn.params[i])) or e.zeros(fn.params[i].type) for i in wrt]
    return builder.build([*fn.results, *grads], fn.name, fn.guards)


# linear ops whose rule moves a cotangent without scaling it: a mask of where it may be
# nonzero maps through the rule itself (applied to the mask as 0s and 1s)
_MOVES = frozenset({"sum", "broadcast_to", "reshape", "transpose", "convert"})


class _Masks:
    """Where reverse mode's cotangents may be nonzero, below a select (np.where). A select
    sends its unchosen branch a cotangent that is exactly zero there; that branch may still
    hold inf or NaN (scipy's logsumexp computes log(sum(exp(a))) unshifted and discards it
    where it overflowed), and its rules make 0 * inf or 0 / 0 = NaN from the zeros. So each
    such cotangent carries a mask (the select's condition, or its negation), kept through
    elementwise rules, whose results are zeroed outside it, and mapped through the linear
    rules of _MOVES; a value that also gets an unmasked cotangent loses its mask."""

    def __init__(self, e):
        self.e = e
        self.masks: dict = {}
        self.unmasked: set = set()

    def add(self, value: Value, mask: Value | None, first: bool) -> None:
        key = id(value)
        if mask is None or key in self.unmasked:
            self.unmasked.add(key)
            self.masks.pop(key, None)
        elif first or key not in self.masks:
            self.masks[key] = mask
        else:
            self.masks[key] = self.e.logical_or(self.masks[key], mask)

    def take(self, eqn) -> Value | None:
        masks = [self.masks.pop(id(o), None) for o in eqn.outputs]
        return masks[0] if len(masks) == 1 else None

    def of_inputs(self, eqn, out_mask: Value | None, in_cts) -> list:
        """Each input's cotangent mask (None: no mask)."""
        e, out = self.e, eqn.outputs[0]
        none = [None] * len(eqn.inputs)
        if eqn.op.name == "select":
            cond, x, y = eqn.inputs
            if not shapes.equal(cond.type.shape, out.type.shape):
                return none
            chosen, other = cond, e.logical_not(cond)
            if out_mask is not None:
                chosen, other = e.logical_and(chosen, out_mask), e.logical_and(other, out_mask)
            return [None, self._fit(chosen, x), self._fit(other, y)]
        if out_mask is None:
            return none
        if "elementwise" in eqn.op.tags:
            return [self._fit(out_mask, x) for x in eqn.inputs]
        if eqn.op.name in _MOVES and len(eqn.inputs) == 1 and in_cts[0] is not None:
            (x,) = eqn.inputs
            ones = e.cast(out_mask, in_cts[0].type.dtype)
            (moved,) = eqn.op.vjp(e, (ones,), eqn.inputs, eqn.outputs, **eqn.params)
            if moved is None or moved.type.shape != x.type.shape:
                return none
            return [e.not_equal(moved, e.const(0, moved.type.dtype))]
        return none

    def zeroed(self, eqn, ct: Value, mask: Value | None) -> Value:
        """An elementwise rule's cotangent, zero outside its mask, where its partials may
        have made 0 * inf or 0 / 0 = NaN of the zeros (a select's own are zero already)."""
        if mask is None or "elementwise" not in eqn.op.tags or eqn.op.name == "select":
            return ct
        return self.e.select(mask, ct, self.e.zeros(ct.type))

    def _fit(self, mask: Value, x: Value) -> Value | None:
        """The mask in x's shape (the same dims, maybe as a guard pinned them), or None
        where x was broadcast into the result."""
        if mask.type.shape == x.type.shape:
            return mask
        if shapes.equal(mask.type.shape, x.type.shape):
            return self.e.reshaped(mask, x.type.shape)
        return None


TRANSFORMS = {"jvp": jvp, "vjp": vjp}
