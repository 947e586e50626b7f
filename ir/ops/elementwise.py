"""Elementwise primitives: numpy ufuncs applied with broadcasting, plus select and convert.

Each ufunc's result dtype is whatever numpy gives for those input dtypes (NEP 50 rules
included), so the IR never disagrees with eager numpy about types.
"""

import numpy as np

from ir import dtypes, shapes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import rules
from ir.ops.table import Op

ELEMENTWISE = frozenset({"elementwise"})


def ufunc_shape(ufunc):
    """Shape rule for a ufunc: broadcast the inputs, ask numpy for the dtype."""

    def rule(*types: Type) -> Type:
        shape = shapes.broadcast(*[t.shape for t in types])
        try:
            dtype = dtypes.result_dtype(ufunc, tuple(t.dtype for t in types))
        except TypeError as error:
            names = ", ".join(t.dtype for t in types)
            raise ShapeError(f"{ufunc.__name__} does not support dtypes ({names})") from error
        return Type(dtype, shape)

    return rule


def ufunc_op(ufunc, *aliases, partials=None, tags=()) -> Op:
    """A primitive that is exactly one numpy ufunc; `aliases` are other numpy names for it.
    `partials(e, *xs, out)` gives the partial derivative w.r.t. each input (None: zero);
    ops without it (integer and boolean results) have zero derivatives."""
    partials = partials or _zero
    return Op(
        name=ufunc.__name__,
        shape=ufunc_shape(ufunc),
        impl=ufunc,
        numpy=(ufunc, *aliases),
        jvp=rules.elementwise_jvp(partials),
        vjp=rules.elementwise_vjp(partials),
        batch=rules.elementwise_batch,
        tags=ELEMENTWISE | frozenset(tags),
    )


def _zero(e, *xs):
    """Piecewise-constant or non-float results: every partial derivative is zero."""
    return (None,) * (len(xs) - 1)


def _c(e, value, like):
    return e.const(value, like.type.dtype)


def _square(e, x):
    return e.multiply(x, x)


def _inverse_sqrt(e, x, out, sign, one_minus):
    """sign / sqrt(1 - x*x) (one_minus) or sign / sqrt(x*x + s) otherwise."""
    x2 = _square(e, x)
    inner = e.subtract(_c(e, 1, out), x2) if one_minus else e.add(x2, _c(e, sign[1], out))
    return e.divide(_c(e, sign[0], out), e.sqrt(inner))


def _max_partials(greater):
    """d max(x, y): 1 for the larger input, 1/2 each on ties (as JAX); with `nan_skip`
    (fmax/fmin) a NaN operand gives its whole derivative to the other."""

    def partials(e, x, y, out, nan_skip=False):
        wins = e.bind(greater, x, y)
        if nan_skip:
            wins = e.logical_or(wins, e.isnan(y))
        ties = e.cast(e.equal(x, y), out.type.dtype)
        dx = e.add(e.cast(wins, out.type.dtype), e.multiply(_c(e, 0.5, out), ties))
        return dx, e.subtract(_c(e, 1, out), dx)

    return partials


def _fmax_partials(greater):
    inner = _max_partials(greater)
    return lambda e, x, y, out: inner(e, x, y, out, nan_skip=True)


def _power_partials(e, x, y, out):
    zero = _c(e, 0, out)
    x_, y_ = e.cast(x, out.type.dtype), e.cast(y, out.type.dtype)
    dx = e.multiply(y_, e.power(x_, e.subtract(y_, _c(e, 1, out))))
    dx = e.select(e.equal(y_, zero), e.expand(zero, dx.type.shape), dx)
    positive = e.greater(x_, zero)
    safe_x = e.select(positive, x_, e.expand(_c(e, 1, out), x_.type.shape))
    dy = e.multiply(out, e.log(safe_x))
    dy = e.select(e.equal(x_, zero), e.expand(zero, dy.type.shape), dy)
    return dx, dy


def _copysign_partials(e, x, y, out):
    same = e.equal(e.signbit(x), e.signbit(y))
    one = _c(e, 1, out)
    return e.select(same, one, e.negative(one)), None


def _log_base(base):
    return lambda e, x, out: (e.reciprocal(e.multiply(x, _c(e, np.log(base), out))),)


UNARY = [
    ufunc_op(np.negative, partials=lambda e, x, out: (_c(e, -1, out),), tags={"linear"}),
    ufunc_op(np.absolute, partials=lambda e, x, out: (e.sign(x),)),
    ufunc_op(np.sign),
    ufunc_op(np.exp, partials=lambda e, x, out: (out,)),
    ufunc_op(np.exp2, partials=lambda e, x, out: (e.multiply(out, _c(e, np.log(2), out)),)),
    ufunc_op(np.expm1, partials=lambda e, x, out: (e.add(out, _c(e, 1, out)),)),
    ufunc_op(np.log, partials=lambda e, x, out: (e.reciprocal(x),)),
    ufunc_op(np.log2, partials=_log_base(2)),
    ufunc_op(np.log10, partials=_log_base(10)),
    ufunc_op(np.log1p, partials=lambda e, x, out: (e.reciprocal(e.add(x, _c(e, 1, out))),)),
    ufunc_op(np.sqrt, partials=lambda e, x, out: (e.divide(_c(e, 0.5, out), out),)),
    ufunc_op(
        np.cbrt,
        partials=lambda e, x, out: (e.reciprocal(e.multiply(_c(e, 3, out), _square(e, out))),),
    ),
    ufunc_op(np.reciprocal, partials=lambda e, x, out: (e.negative(_square(e, out)),)),
    ufunc_op(np.sin, partials=lambda e, x, out: (e.cos(x),)),
    ufunc_op(np.cos, partials=lambda e, x, out: (e.negative(e.sin(x)),)),
    ufunc_op(np.tan, partials=lambda e, x, out: (e.add(_c(e, 1, out), _square(e, out)),)),
    ufunc_op(np.arcsin, partials=lambda e, x, out: (_inverse_sqrt(e, x, out, (1, 0), True),)),
    ufunc_op(np.arccos, partials=lambda e, x, out: (_inverse_sqrt(e, x, out, (-1, 0), True),)),
    ufunc_op(
        np.arctan,
        partials=lambda e, x, out: (e.reciprocal(e.add(_c(e, 1, out), _square(e, x))),),
    ),
    ufunc_op(np.sinh, partials=lambda e, x, out: (e.cosh(x),)),
    ufunc_op(np.cosh, partials=lambda e, x, out: (e.sinh(x),)),
    ufunc_op(np.tanh, partials=lambda e, x, out: (e.subtract(_c(e, 1, out), _square(e, out)),)),
    ufunc_op(np.arcsinh, partials=lambda e, x, out: (_inverse_sqrt(e, x, out, (1, 1), False),)),
    ufunc_op(np.arccosh, partials=lambda e, x, out: (_inverse_sqrt(e, x, out, (1, -1), False),)),
    ufunc_op(
        np.arctanh,
        partials=lambda e, x, out: (e.reciprocal(e.subtract(_c(e, 1, out), _square(e, x))),),
    ),
    ufunc_op(np.floor),
    ufunc_op(np.ceil),
    ufunc_op(np.rint),
    ufunc_op(np.trunc),
    ufunc_op(np.logical_not),
    ufunc_op(np.isnan),
    ufunc_op(np.isinf),
    ufunc_op(np.isfinite),
    ufunc_op(np.signbit),
    ufunc_op(np.invert),
]


def _hypot_partials(e, x, y, out):
    return e.divide(x, out), e.divide(y, out)


def _arctan2_partials(e, x, y, out):
    norm = e.add(_square(e, x), _square(e, y))
    return e.divide(y, norm), e.negative(e.divide(x, norm))


BINARY = [
    ufunc_op(
        np.add,
        partials=lambda e, x, y, out: (_c(e, 1, out), _c(e, 1, out)),
        tags={"commutative", "linear"},
    ),
    ufunc_op(
        np.subtract,
        partials=lambda e, x, y, out: (_c(e, 1, out), _c(e, -1, out)),
        tags={"linear"},
    ),
    ufunc_op(np.multiply, partials=lambda e, x, y, out: (y, x), tags={"commutative"}),
    ufunc_op(
        np.divide,
        partials=lambda e, x, y, out: (e.reciprocal(y), e.negative(e.divide(out, y))),
    ),
    ufunc_op(np.floor_divide),
    ufunc_op(
        np.remainder,
        partials=lambda e, x, y, out: (_c(e, 1, out), e.negative(e.floor(e.divide(x, y)))),
    ),
    ufunc_op(np.power, partials=_power_partials),
    ufunc_op(np.maximum, partials=_max_partials("greater"), tags={"commutative"}),
    ufunc_op(np.minimum, partials=_max_partials("less"), tags={"commutative"}),
    ufunc_op(np.fmax, partials=_fmax_partials("greater"), tags={"commutative"}),
    ufunc_op(np.fmin, partials=_fmax_partials("less"), tags={"commutative"}),
    ufunc_op(np.arctan2, partials=_arctan2_partials),
    ufunc_op(np.hypot, partials=_hypot_partials, tags={"commutative"}),
    ufunc_op(np.copysign, partials=_copysign_partials),
    ufunc_op(
        np.logaddexp,
        partials=lambda e, x, y, out: (e.exp(e.subtract(x, out)), e.exp(e.subtract(y, out))),
        tags={"commutative"},
    ),
    ufunc_op(np.equal, tags={"commutative", "comparison"}),
    ufunc_op(np.not_equal, tags={"commutative", "comparison"}),
    ufunc_op(np.less, tags={"comparison"}),
    ufunc_op(np.less_equal, tags={"comparison"}),
    ufunc_op(np.greater, tags={"comparison"}),
    ufunc_op(np.greater_equal, tags={"comparison"}),
    ufunc_op(np.logical_and, tags={"commutative"}),
    ufunc_op(np.logical_or, tags={"commutative"}),
    ufunc_op(np.logical_xor, tags={"commutative"}),
    ufunc_op(np.bitwise_and, tags={"commutative"}),
    ufunc_op(np.bitwise_or, tags={"commutative"}),
    ufunc_op(np.bitwise_xor, tags={"commutative"}),
    ufunc_op(np.left_shift),
    ufunc_op(np.right_shift),
]


def _select_shape(cond: Type, x: Type, y: Type) -> Type:
    if cond.dtype != "bool":
        raise ShapeError(f"select needs a bool condition, got {cond.dtype}")
    if x.dtype != y.dtype:
        raise ShapeError(f"select needs branches of one dtype, got {x.dtype} and {y.dtype}")
    return Type(x.dtype, shapes.broadcast(cond.shape, x.shape, y.shape))


def _convert_shape(x: Type, *, dtype: str) -> Type:
    return Type(dtypes.canonical(dtype), x.shape)


def convert(x, *, dtype: str):
    """x.astype(dtype), always a fresh array. A Python scalar (a weak argument) converts as
    numpy converts it, so an int too large for the dtype raises OverflowError."""
    if isinstance(x, bool | int | float):
        return np.asarray(x, dtype=dtype)
    return np.asarray(x).astype(dtype)


def _select_jvp(e, primals, tangents, outs):
    cond, x, y = primals
    (out,) = outs
    if tangents[1] is None and tangents[2] is None:
        return None
    tx, ty = (e.zeros(v.type) if t is None else t for v, t in zip((x, y), tangents[1:]))
    return e.expand(e.select(cond, tx, ty), out.type.shape)


def _select_vjp(e, cts, primals, outs):
    (ct,) = cts
    cond, x, y = primals
    zero = e.expand(e.const(0, ct.type.dtype), ct.type.shape)
    return (
        None,
        e.sum_to(e.select(cond, ct, zero), x.type),
        e.sum_to(e.select(cond, zero, ct), y.type),
    )


def _convert_jvp(e, primals, tangents, outs, *, dtype):
    (t,) = tangents
    return e.cast(t, dtype) if t is not None and dtypes.is_float(dtype) else None


def _convert_vjp(e, cts, primals, outs, *, dtype):
    (ct,) = cts
    (x,) = primals
    return (e.cast(ct, x.type.dtype) if dtypes.is_float(x.type.dtype) else None,)


SELECT = Op(
    name="select",
    shape=_select_shape,
    impl=np.where,
    jvp=_select_jvp,
    vjp=_select_vjp,
    batch=rules.elementwise_batch,
    tags=ELEMENTWISE,
)

CONVERT = Op(
    name="convert",
    shape=_convert_shape,
    impl=convert,
    jvp=_convert_jvp,
    vjp=_convert_vjp,
    batch=rules.elementwise_batch,
    tags=ELEMENTWISE,
)

OPS = [*UNARY, *BINARY, SELECT, CONVERT]
