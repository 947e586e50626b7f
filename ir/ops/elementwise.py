"""Elementwise primitives: numpy ufuncs applied with broadcasting, plus select and convert.

Each ufunc's result dtype is whatever numpy gives for those input dtypes (NEP 50 rules
included), so the IR never disagrees with eager numpy about types.
"""

import numpy as np

from ir import dtypes, shapes
from ir.core import Type
from ir.errors import DTypeError, ShapeError
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
            raise DTypeError(f"{ufunc.__name__} does not support dtypes ({names})") from error
        return Type(dtype, shape)

    return rule


def ufunc_op(ufunc, *aliases, partials=None, tags=(), triton=None) -> Op:
    """A primitive that is exactly one numpy ufunc; `aliases` are other numpy names for it.
    `partials(e, *xs, out)` gives the partial derivative w.r.t. each input (None: zero);
    ops without it (integer and boolean results) have zero derivatives. `triton(dtype)`
    gives the Triton expression computing it in that dtype (see `K`), or None. The tag
    `transcendental` marks a ufunc computed by a library function (exp, log, sin, power),
    not by a few instructions (sqrt, divide): the cost model counts its calls."""
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
        triton=triton,
    )


def K(float_: str | None, int_: str | None = "same", bool_: str | None = "same"):
    """A Triton expression by the kind of dtype numpy computes the op in (`int_` and
    `bool_` default to the float one). `{0}`, `{1}` are the operands already cast to that
    dtype, `{bits}` its width, `{name}` the op's static param of that name (polygamma's
    `{n}`); `jl.` names are helpers in codegen/triton_prelude.py."""
    by_kind = {
        "float": float_,
        "int": float_ if int_ == "same" else int_,
        "bool": float_ if bool_ == "same" else bool_,
    }

    def rule(dtype: str) -> str | None:
        kind = "float" if dtypes.is_float(dtype) else "int" if dtypes.is_int(dtype) else "bool"
        text = by_kind[kind]
        text = text(dtype) if callable(text) else text
        return None if text is None else text.replace("{bits}", str(np.dtype(dtype).itemsize * 8))

    return rule


def F(float_: str):
    """A Triton expression for float computation only."""
    return K(float_, None, None)


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
    # d x^y/dx = y x^(y-1). At x = y = 0 that is 0 * inf: x is taken as 1 there instead
    # (0 * 1^-1 = 0, as x^0 is constant), so the value and every higher derivative through
    # it are 0 rather than nan (a masked 0 * inf still makes the next derivative nan).
    zero = _c(e, 0, out)
    x_, y_ = e.cast(x, out.type.dtype), e.cast(y, out.type.dtype)
    both_zero = e.logical_and(e.equal(x_, zero), e.equal(y_, zero))
    base = e.select(both_zero, _c(e, 1, out), x_)
    dx = e.multiply(y_, e.power(base, e.subtract(y_, _c(e, 1, out))))
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
    ufunc_op(
        np.negative, triton=K("-{0}"), partials=lambda e, x, out: (_c(e, -1, out),), tags={"linear"}
    ),
    ufunc_op(
        np.absolute, triton=K("tl.abs({0})", bool_=None), partials=lambda e, x, out: (e.sign(x),)
    ),
    ufunc_op(
        np.sign,
        triton=K(
            "jl.sign({0})", int_="({0} > 0).to({0}.dtype) - ({0} < 0).to({0}.dtype)", bool_=None
        ),
    ),
    ufunc_op(
        np.exp, triton=F("tl.exp({0})"), partials=lambda e, x, out: (out,), tags={"transcendental"}
    ),
    ufunc_op(
        np.exp2,
        triton=F("tl.exp2({0})"),
        partials=lambda e, x, out: (e.multiply(out, _c(e, np.log(2), out)),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.expm1,
        triton=F("jl.expm1({0})"),
        partials=lambda e, x, out: (e.add(out, _c(e, 1, out)),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.log,
        triton=F("tl.log({0})"),
        partials=lambda e, x, out: (e.reciprocal(x),),
        tags={"transcendental"},
    ),
    ufunc_op(np.log2, triton=F("tl.log2({0})"), partials=_log_base(2), tags={"transcendental"}),
    ufunc_op(np.log10, triton=F("jl.log10({0})"), partials=_log_base(10), tags={"transcendental"}),
    ufunc_op(
        np.log1p,
        triton=F("jl.log1p({0})"),
        partials=lambda e, x, out: (e.reciprocal(e.add(x, _c(e, 1, out))),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.sqrt,
        triton=F(lambda dt: "tl.sqrt_rn({0})" if dt == "float32" else "tl.sqrt({0})"),
        partials=lambda e, x, out: (e.divide(_c(e, 0.5, out), out),),
    ),
    ufunc_op(
        np.cbrt,
        triton=F("jl.cbrt({0})"),
        partials=lambda e, x, out: (e.reciprocal(e.multiply(_c(e, 3, out), _square(e, out))),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.reciprocal,
        triton=F("jl.reciprocal({0})"),
        partials=lambda e, x, out: (e.negative(_square(e, out)),),
    ),
    ufunc_op(
        np.sin,
        triton=F("tl.sin({0})"),
        partials=lambda e, x, out: (e.cos(x),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.cos,
        triton=F("tl.cos({0})"),
        partials=lambda e, x, out: (e.negative(e.sin(x)),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.tan,
        triton=F("jl.tan({0})"),
        partials=lambda e, x, out: (e.add(_c(e, 1, out), _square(e, out)),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.arcsin,
        partials=lambda e, x, out: (_inverse_sqrt(e, x, out, (1, 0), True),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.arccos,
        partials=lambda e, x, out: (_inverse_sqrt(e, x, out, (-1, 0), True),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.arctan,
        partials=lambda e, x, out: (e.reciprocal(e.add(_c(e, 1, out), _square(e, x))),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.sinh,
        triton=F("jl.sinh({0})"),
        partials=lambda e, x, out: (e.cosh(x),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.cosh,
        triton=F("jl.cosh({0})"),
        partials=lambda e, x, out: (e.sinh(x),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.tanh,
        triton=F("jl.tanh({0})"),
        partials=lambda e, x, out: (e.subtract(_c(e, 1, out), _square(e, out)),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.arcsinh,
        triton=F("jl.arcsinh({0})"),
        partials=lambda e, x, out: (_inverse_sqrt(e, x, out, (1, 1), False),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.arccosh,
        triton=F("jl.arccosh({0})"),
        partials=lambda e, x, out: (_inverse_sqrt(e, x, out, (1, -1), False),),
        tags={"transcendental"},
    ),
    ufunc_op(
        np.arctanh,
        triton=F("jl.arctanh({0})"),
        partials=lambda e, x, out: (e.reciprocal(e.subtract(_c(e, 1, out), _square(e, x))),),
        tags={"transcendental"},
    ),
    ufunc_op(np.floor, triton=K("tl.floor({0})", int_="{0}", bool_=None)),
    ufunc_op(np.ceil, triton=K("tl.ceil({0})", int_="{0}", bool_=None)),
    ufunc_op(np.rint, triton=F("jl.rint({0})")),
    ufunc_op(np.trunc, triton=K("jl.trunc({0})", int_="{0}", bool_=None)),
    ufunc_op(np.logical_not, triton=K("{0} == 0")),
    ufunc_op(np.isnan, triton=K("jl.isnan({0})", int_="{0} != {0}", bool_="{0} != {0}")),
    ufunc_op(np.isinf, triton=K("jl.isinf({0})", int_="{0} != {0}", bool_="{0} != {0}")),
    ufunc_op(np.isfinite, triton=K("jl.isfinite({0})", int_="{0} == {0}", bool_="{0} == {0}")),
    ufunc_op(np.signbit, triton=K("jl.signbit({0})", int_="{0} < 0", bool_=None)),
    ufunc_op(np.invert, triton=K(None, int_="~{0}", bool_="{0} == 0")),
]


def _hypot_partials(e, x, y, out):
    return e.divide(x, out), e.divide(y, out)


def _arctan2_partials(e, x, y, out):
    norm = e.add(_square(e, x), _square(e, y))
    return e.divide(y, norm), e.negative(e.divide(x, norm))


BINARY = [
    ufunc_op(
        np.add,
        triton=K("{0} + {1}", bool_="{0} | {1}"),
        partials=lambda e, x, y, out: (_c(e, 1, out), _c(e, 1, out)),
        tags={"commutative", "linear"},
    ),
    ufunc_op(
        np.subtract,
        triton=K("{0} - {1}", bool_=None),
        partials=lambda e, x, y, out: (_c(e, 1, out), _c(e, -1, out)),
        tags={"linear"},
    ),
    ufunc_op(
        np.multiply,
        triton=K("{0} * {1}", bool_="{0} & {1}"),
        partials=lambda e, x, y, out: (y, x),
        tags={"commutative"},
    ),
    ufunc_op(
        np.divide,
        triton=F(lambda dt: "tl.div_rn({0}, {1})" if dt == "float32" else "{0} / {1}"),
        partials=lambda e, x, y, out: (e.reciprocal(y), e.negative(e.divide(out, y))),
    ),
    ufunc_op(
        np.floor_divide,
        triton=K(
            "jl.float_floor_divide({0}, {1})", int_="jl.int_floor_divide({0}, {1})", bool_=None
        ),
    ),
    ufunc_op(
        np.remainder,
        triton=K("jl.float_remainder({0}, {1})", int_="jl.int_remainder({0}, {1})", bool_=None),
        partials=lambda e, x, y, out: (_c(e, 1, out), e.negative(e.floor(e.divide(x, y)))),
    ),
    ufunc_op(
        np.power, triton=F("jl.power({0}, {1})"), partials=_power_partials, tags={"transcendental"}
    ),
    ufunc_op(
        np.maximum,
        triton=K("jl.maximum({0}, {1})", int_="tl.maximum({0}, {1})", bool_="{0} | {1}"),
        partials=_max_partials("greater"),
        tags={"commutative"},
    ),
    ufunc_op(
        np.minimum,
        triton=K("jl.minimum({0}, {1})", int_="tl.minimum({0}, {1})", bool_="{0} & {1}"),
        partials=_max_partials("less"),
        tags={"commutative"},
    ),
    ufunc_op(
        np.fmax,
        triton=K("jl.fmax({0}, {1})", int_="tl.maximum({0}, {1})", bool_="{0} | {1}"),
        partials=_fmax_partials("greater"),
        tags={"commutative"},
    ),
    ufunc_op(
        np.fmin,
        triton=K("jl.fmin({0}, {1})", int_="tl.minimum({0}, {1})", bool_="{0} & {1}"),
        partials=_fmax_partials("less"),
        tags={"commutative"},
    ),
    ufunc_op(np.arctan2, partials=_arctan2_partials, tags={"transcendental"}),
    ufunc_op(
        np.hypot, triton=F("jl.hypot({0}, {1})"), partials=_hypot_partials, tags={"commutative"}
    ),
    ufunc_op(np.copysign, triton=F("jl.copysign({0}, {1})"), partials=_copysign_partials),
    ufunc_op(
        np.logaddexp,
        triton=F("jl.logaddexp({0}, {1})"),
        partials=lambda e, x, y, out: (e.exp(e.subtract(x, out)), e.exp(e.subtract(y, out))),
        tags={"transcendental", "commutative"},
    ),
    ufunc_op(np.equal, triton=K("{0} == {1}"), tags={"commutative", "comparison"}),
    ufunc_op(np.not_equal, triton=K("{0} != {1}"), tags={"commutative", "comparison"}),
    ufunc_op(np.less, triton=K("{0} < {1}"), tags={"comparison"}),
    ufunc_op(np.less_equal, triton=K("{0} <= {1}"), tags={"comparison"}),
    ufunc_op(np.greater, triton=K("{0} > {1}"), tags={"comparison"}),
    ufunc_op(np.greater_equal, triton=K("{0} >= {1}"), tags={"comparison"}),
    ufunc_op(np.logical_and, triton=K("{0} & {1}"), tags={"commutative"}),
    ufunc_op(np.logical_or, triton=K("{0} | {1}"), tags={"commutative"}),
    ufunc_op(np.logical_xor, triton=K("{0} ^ {1}"), tags={"commutative"}),
    ufunc_op(
        np.bitwise_and, triton=K(None, int_="{0} & {1}", bool_="{0} & {1}"), tags={"commutative"}
    ),
    ufunc_op(
        np.bitwise_or, triton=K(None, int_="{0} | {1}", bool_="{0} | {1}"), tags={"commutative"}
    ),
    ufunc_op(
        np.bitwise_xor, triton=K(None, int_="{0} ^ {1}", bool_="{0} ^ {1}"), tags={"commutative"}
    ),
    ufunc_op(
        np.left_shift,
        triton=K(None, int_="tl.where(({1} >= 0) & ({1} < {bits}), {0} << {1}, 0)", bool_=None),
    ),
    ufunc_op(
        np.right_shift,
        triton=K(
            None,
            int_="tl.where(({1} >= 0) & ({1} < {bits}), {0} >> {1}, tl.where({0} < 0, -1, 0))",
            bool_=None,
        ),
    ),
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
    triton="tl.where",
    shape=_select_shape,
    impl=np.where,
    jvp=_select_jvp,
    vjp=_select_vjp,
    batch=rules.elementwise_batch,
    tags=ELEMENTWISE,
)

CONVERT = Op(
    name="convert",
    triton="cast",
    shape=_convert_shape,
    impl=convert,
    jvp=_convert_jvp,
    vjp=_convert_vjp,
    batch=rules.elementwise_batch,
    tags=ELEMENTWISE,
)

OPS = [*UNARY, *BINARY, SELECT, CONVERT]
