"""Reductions over a tuple of axes (no keepdims: jitlib.numpy reshapes for that)."""

import numpy as np

from ir import dtypes, shapes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import rules
from ir.ops.table import Op

REDUCTION = frozenset({"reduction"})


def _reduce_shape(numpy_fn, identity: bool):
    def rule(x: Type, *, axis: tuple) -> Type:
        if tuple(axis) != shapes.normalize_axes(axis, x.ndim):
            raise ShapeError(f"{numpy_fn.__name__}: axis {axis} must be sorted and in range")
        if not identity and any(x.shape[i] == 0 for i in axis):  # sizes 0 are never symbols
            raise ShapeError(
                f"{numpy_fn.__name__} of {x}: zero-size array to a reduction operation "
                "which has no identity"
            )
        try:
            dtype = dtypes.result_dtype(numpy_fn, (x.dtype,), (("axis", 0),))
        except TypeError as error:
            raise ShapeError(f"{numpy_fn.__name__} does not support {x.dtype}") from error
        kept = tuple(d for i, d in enumerate(x.shape) if i not in axis)
        return Type(dtype, kept)

    return rule


def reduce_op(
    name: str, numpy_fn, tags=(), jvp=rules.no_jvp, vjp=rules.no_vjp, identity=True
) -> Op:
    """A reduction; the default rules suit integer and bool results (all, any). Without an
    identity (max, min), reducing an axis of size 0 is an error, as in numpy."""
    return Op(
        name=name,
        shape=_reduce_shape(numpy_fn, identity),
        impl=numpy_fn,
        jvp=jvp,
        vjp=vjp,
        batch=rules.axis_batch,
        tags=REDUCTION | frozenset(tags),
        triton="reduction",
    )


def _kept_shape(x_shape: tuple, axis: tuple) -> tuple:
    """x's shape with the reduced axes as size 1 (keepdims)."""
    return tuple(1 if i in axis else d for i, d in enumerate(x_shape))


def _spread(e, ct, x, axis):
    """A reduced value (ct or out) broadcast back over x's shape."""
    return e.expand(e.reshaped(ct, _kept_shape(x.type.shape, axis)), x.type.shape)


def _sum_vjp(e, cts, primals, outs, *, axis):
    return (_spread(e, cts[0], primals[0], axis),)


# --- reductions whose derivative is a weight per input element ---------------------------
# out = reduce(x) has d out = sum(weights * dx) over the reduced axes, so the JVP sums
# t * weights and the VJP spreads ct and multiplies by the same weights.
def weighted_rules(weights):
    """JVP and VJP rules from `weights(e, x, out, axis)`: d out / d x, of x's shape."""

    def jvp(e, primals, tangents, outs, *, axis):
        (x,), (t,), (out,) = primals, tangents, outs
        if t is None or not rules.is_float(out.type.dtype):
            return None
        return e.sum(e.multiply(t, weights(e, x, out, axis)), axis=axis)

    def vjp(e, cts, primals, outs, *, axis):
        (ct,), (x,), (out,) = cts, primals, outs
        if not rules.is_float(x.type.dtype):
            return (None,)
        return (e.multiply(_spread(e, ct, x, axis), weights(e, x, out, axis)),)

    return jvp, vjp


def _exclusive_cumprod(e, x):
    """[1, x0, x0*x1, ...]: the product of the elements before each one along the last axis."""
    last = x.type.ndim - 1
    n = x.type.shape[last]
    if n == 0:
        return x
    running = e.cumprod(x, axis=last)
    start, step = (0,) * x.type.ndim, (1,) * x.type.ndim
    stop = x.type.shape[:last] + (shapes.canon(n - 1),)
    head = e.slice(running, start=start, stop=stop, step=step)
    one = e.full(1, Type(x.type.dtype, x.type.shape[:last] + (1,)))
    return e.concatenate(one, head, axis=last)


def _prod_weights(e, x, out, axis):
    # d prod / d x_i is the product of the other elements: the exclusive products from the
    # left times those from the right, exact where x has zeros (no division by x)
    kept = tuple(i for i in range(x.type.ndim) if i not in axis)
    order = kept + tuple(axis)
    moved = e.transposed(x, order)
    lead = moved.type.shape[: len(kept)]
    flat = e.reshaped(moved, (*lead, shapes.size(moved.type.shape[len(kept) :])))
    last = (len(kept),)
    before = _exclusive_cumprod(e, flat)
    after = e.flip(_exclusive_cumprod(e, e.flip(flat, axis=last)), axis=last)
    others = e.reshaped(e.multiply(before, after), moved.type.shape)
    inverse = tuple(order.index(i) for i in range(len(order)))
    return e.transposed(others, inverse)


_prod_jvp, _prod_vjp = weighted_rules(_prod_weights)


# --- max and min ----------------------------------------------------------------------------
def _extremum_hits(e, x, out, axis):
    """Where x attains its extremum (1.0, else 0.0), and how many positions do per result."""
    hits = e.cast(e.equal(x, _spread(e, out, x, axis)), x.type.dtype)
    return hits, e.sum(hits, axis=axis)


# As JAX, the derivative is shared equally among the positions that attain the extremum.
# The division by their count is done once per result, not once per element of x (the
# weights hits / count would cost a full pass more); the zeros still come from multiplying,
# so a non-finite cotangent gives nan everywhere in its slice, as ct * 0 does.
def _extremum_jvp(e, primals, tangents, outs, *, axis):
    (x,), (t,), (out,) = primals, tangents, outs
    if t is None or not rules.is_float(out.type.dtype):
        return None
    hits, count = _extremum_hits(e, x, out, axis)
    return e.divide(e.sum(e.multiply(t, hits), axis=axis), count)


def _extremum_vjp(e, cts, primals, outs, *, axis):
    (ct,), (x,), (out,) = cts, primals, outs
    if not rules.is_float(x.type.dtype):
        return (None,)
    hits, count = _extremum_hits(e, x, out, axis)
    return (e.multiply(_spread(e, e.divide(ct, count), x, axis), hits),)


def _arg_shape(x: Type, *, axis: int) -> Type:
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"axis {axis} is out of bounds for an array of rank {x.ndim}")
    if x.shape[axis] == 0:
        raise ShapeError(f"arg-reduction of {x} along axis {axis}: an empty sequence")
    return Type("int64", x.shape[:axis] + x.shape[axis + 1 :])


def arg_op(name: str, numpy_fn) -> Op:
    """argmax/argmin: integer results, so no derivative."""
    return Op(
        name=name,
        shape=_arg_shape,
        impl=numpy_fn,
        jvp=rules.no_jvp,
        vjp=rules.no_vjp,
        batch=rules.axis_batch,
        tags=REDUCTION,
        triton="reduction",
    )


OPS = [
    reduce_op("sum", np.sum, tags={"linear"}, jvp=rules.linear_jvp, vjp=_sum_vjp),
    reduce_op("prod", np.prod, jvp=_prod_jvp, vjp=_prod_vjp),
    reduce_op("max", np.max, jvp=_extremum_jvp, vjp=_extremum_vjp, identity=False),
    reduce_op("min", np.min, jvp=_extremum_jvp, vjp=_extremum_vjp, identity=False),
    reduce_op("all", np.all),
    reduce_op("any", np.any),
    arg_op("argmax", np.argmax),
    arg_op("argmin", np.argmin),
]
