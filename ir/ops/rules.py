"""What the VJP, JVP and batching rules of the op table are written with.

A rule builds IR through an `Emit`, which binds primitives into the function the pass is
building, so a derivative is itself ordinary IR that can be differentiated again.

Rule signatures (every op record's `jvp`, `vjp` and `batch` fields):

- `jvp(e, primals, tangents, outs, **params)`: the tangent of each output (one Value, or
  a tuple for several outputs; None is a zero tangent). `tangents` holds None for zero.
- `vjp(e, cts, primals, outs, **params)`: the cotangent of each input (a tuple, None where
  it is zero or the input is not differentiable). `cts` holds one entry per output, None
  for zero; at least one is not None.
- `batch(e, args, batched, size, **params)`: the op applied to arguments of which those
  flagged in `batched` carry an extra leading axis of length `size`; returns the outputs
  (a Value or a tuple), every one batched along axis 0. At least one flag is set.

Elementwise ops are declared with their partial derivatives, `partials(e, *xs, out)` ->
one Value (broadcastable to the output) or None per input; the rules below turn those
into JVP, VJP and batching rules shared by every elementwise op.
"""

from __future__ import annotations

import functools

from ir import dtypes, shapes
from ir.core import Builder, Type, Value
from ir.errors import IRError
from ir.ops.table import BY_NAME


class Emit:
    """Binds primitives into a Builder: `e.multiply(x, y)`, `e.sum(x, axis=(0,))`, ..."""

    def __init__(self, builder: Builder, source: str | None = None):
        self.builder = builder
        self.source = source  # the user's line, given to every equation bound
        self.op = None  # the op whose rule is running (set by the pass)
        # The running pass's own entry points, for rules of ops that hold sub-functions
        # (cond, scan, custom_vjp, ...): "jvp"/"vjp" in autodiff, "vmap"/"vmap_all" in
        # batching. Handed over by the pass, since ir.ops cannot import ir.passes.
        self.transforms: dict = {}

    def bind(self, op, *xs: Value, **params):
        if isinstance(op, str):
            op = BY_NAME[op]
        return self.builder.bind(op, *xs, source=self.source, **params)

    def __getattr__(self, name: str):
        op = BY_NAME.get(name)
        if op is None:
            raise AttributeError(name)
        return functools.partial(self.bind, op)

    def call(self, fn, *args: Value) -> list:
        """fn's equations bound here with `args` for its parameters; its results."""
        return self.builder.inline(fn, args)

    # --- helpers --------------------------------------------------------------------
    def const(self, value, dtype: str) -> Value:
        """A scalar constant of `dtype`."""
        value = bool(value) if dtype == "bool" else (float(value) if is_float(dtype) else value)
        return self.bind("constant", value=value, dtype=dtype)

    def full(self, value, type: Type) -> Value:
        """An array of `type` filled with `value`."""
        return self.expand(self.const(value, type.dtype), type.shape)

    def zeros(self, type: Type) -> Value:
        return self.full(0, type)

    def cast(self, x: Value, dtype: str) -> Value:
        return x if x.type.dtype == dtype else self.bind("convert", x, dtype=dtype)

    def expand(self, x: Value, shape: tuple) -> Value:
        """broadcast_to, skipped when x already has the shape."""
        if x.type.shape == tuple(shape):
            return x
        return self.bind("broadcast_to", x, shape=tuple(shape))

    def reshaped(self, x: Value, shape: tuple) -> Value:
        """reshape, skipped when x already has the shape."""
        if x.type.shape == tuple(shape):
            return x
        return self.bind("reshape", x, shape=tuple(shape))

    def transposed(self, x: Value, axes: tuple) -> Value:
        if tuple(axes) == tuple(range(x.type.ndim)):
            return x
        return self.bind("transpose", x, axes=tuple(axes))

    def sum_to(self, x: Value, type: Type) -> Value:
        """The shared unbroadcast: sum `x` over the axes broadcasting added to `type`'s
        shape (leading axes, and size-1 axes that were stretched), cast to its dtype."""
        lead = x.type.ndim - type.ndim
        if lead < 0:
            raise IRError(f"cannot sum {x.type} down to {type}")
        axes = list(range(lead))
        for i, d in enumerate(type.shape):
            if shapes.is_one(d) and not shapes.is_one(x.type.shape[lead + i]):
                axes.append(lead + i)
        if axes:
            x = self.bind("sum", x, axis=tuple(axes))
        return self.cast(self.reshaped(x, type.shape), type.dtype)

    def add_all(self, terms: list) -> Value | None:
        """The sum of the non-None terms (None when there are none)."""
        terms = [t for t in terms if t is not None]
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            total = self.bind("add", total, term)
        return total

    def move_batch(self, x: Value, ndim: int) -> Value:
        """A batched value (batch on axis 0) with size-1 axes inserted after the batch axis
        so its example part has rank `ndim` (to broadcast against unbatched operands)."""
        missing = ndim - (x.type.ndim - 1)
        if missing <= 0:
            return x
        shape = x.type.shape[:1] + (1,) * missing + x.type.shape[1:]
        return self.bind("reshape", x, shape=shape)

    def batched(self, x: Value, size) -> Value:
        """An unbatched value broadcast to carry the batch axis."""
        return self.expand(x, (size, *x.type.shape))


def is_float(dtype: str) -> bool:
    return dtypes.is_float(dtype)


def single(result):
    """A rule's result as a tuple."""
    return result if isinstance(result, tuple) else (result,)


# --- elementwise ops ------------------------------------------------------------------
def as_computed(e: Emit, primals, out: Value) -> list:
    """The operands as numpy computes a float op on them: integer and bool operands (an int
    mask, a count, a numpy int scalar) converted to the result's float dtype, so partial
    derivatives never run integer arithmetic (the reciprocal of an int32 2 is 0)."""
    dtype = out.type.dtype
    if not is_float(dtype):
        return list(primals)
    return [x if is_float(x.type.dtype) else e.cast(x, dtype) for x in primals]


def elementwise_jvp(partials):
    """JVP from partial derivatives: sum over inputs of partial * tangent."""

    def rule(e: Emit, primals, tangents, outs, **params):
        (out,) = outs
        if not is_float(out.type.dtype):
            return None
        ds = partials(e, *as_computed(e, primals, out), out, **params)
        terms = []
        for t, d in zip(tangents, ds):
            if t is None or d is None:
                continue
            terms.append(e.multiply(e.cast(t, out.type.dtype), e.cast(d, out.type.dtype)))
        total = e.add_all(terms)
        return None if total is None else e.expand(total, out.type.shape)

    return rule


def elementwise_vjp(partials):
    """VJP from partial derivatives: each input gets ct * partial, summed to its shape."""

    def rule(e: Emit, cts, primals, outs, **params):
        (ct,) = cts
        (out,) = outs
        ds = partials(e, *as_computed(e, primals, out), out, **params)
        grads = []
        for x, d in zip(primals, ds):
            if d is None or not is_float(x.type.dtype):
                grads.append(None)
                continue
            grads.append(e.sum_to(e.multiply(ct, e.cast(d, ct.type.dtype)), x.type))
        return tuple(grads)

    return rule


def elementwise_batch(e: Emit, args, batched, size, **params):
    """Batched operands get size-1 axes after the batch axis so that every operand lines up
    with numpy broadcasting of the example shapes; unbatched operands broadcast as they are."""
    op = e.op
    ndim = max(x.type.ndim - int(b) for x, b in zip(args, batched))
    lined = [e.move_batch(x, ndim) if b else x for x, b in zip(args, batched)]
    out = e.bind(op, *lined, **params)
    return tuple(e.expand(o, (size, *o.type.shape[1:])) for o in single(out))


def linear_jvp(e: Emit, primals, tangents, outs, **params):
    """JVP of an op linear in all its inputs: the op applied to the tangents (zeros
    filled in where a tangent is zero)."""
    op = e.op
    (out,) = outs
    if not is_float(out.type.dtype):
        return None
    if all(t is None for t in tangents):
        return None
    ts = [e.zeros(x.type) if t is None else t for x, t in zip(primals, tangents)]
    return e.bind(op, *ts, **params)


# --- ops with one array input and an `axis` param, and ops with integer results -----------
def axis_batch(e: Emit, args, batched, size, *, axis, **params):
    """The op applied with its `axis` param (an int or a tuple of ints) shifted past the
    batch axis: for single-input ops that work along axes (reductions, scans, flip)."""
    (x,) = args
    shifted = axis + 1 if isinstance(axis, int) else tuple(a + 1 for a in axis)
    return e.bind(e.op, x, axis=shifted, **params)


def no_jvp(e: Emit, primals, tangents, outs, **params):
    """Integer or bool results (argmax, all, ...): their tangent is zero."""
    return None


def no_vjp(e: Emit, cts, primals, outs, **params):
    """Integer or bool results: no cotangent reaches the inputs."""
    return (None,) * len(primals)
