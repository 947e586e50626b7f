"""Elementwise primitives: numpy ufuncs applied with broadcasting, plus select and convert.

Each ufunc's result dtype is whatever numpy gives for those input dtypes (NEP 50 rules
included), so the IR never disagrees with eager numpy about types.
"""

import numpy as np

from ir import dtypes, shapes
from ir.core import Type
from ir.errors import ShapeError
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


def ufunc_op(ufunc, *aliases, tags=()) -> Op:
    """A primitive that is exactly one numpy ufunc; `aliases` are other numpy names for it."""
    return Op(
        name=ufunc.__name__,
        shape=ufunc_shape(ufunc),
        impl=ufunc,
        numpy=(ufunc, *aliases),
        tags=ELEMENTWISE | frozenset(tags),
    )


UNARY = [
    ufunc_op(np.negative, tags={"linear"}),
    ufunc_op(np.absolute),
    ufunc_op(np.sign),
    ufunc_op(np.exp),
    ufunc_op(np.exp2),
    ufunc_op(np.expm1),
    ufunc_op(np.log),
    ufunc_op(np.log2),
    ufunc_op(np.log10),
    ufunc_op(np.log1p),
    ufunc_op(np.sqrt),
    ufunc_op(np.cbrt),
    ufunc_op(np.reciprocal),
    ufunc_op(np.sin),
    ufunc_op(np.cos),
    ufunc_op(np.tan),
    ufunc_op(np.arcsin),
    ufunc_op(np.arccos),
    ufunc_op(np.arctan),
    ufunc_op(np.sinh),
    ufunc_op(np.cosh),
    ufunc_op(np.tanh),
    ufunc_op(np.arcsinh),
    ufunc_op(np.arccosh),
    ufunc_op(np.arctanh),
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

BINARY = [
    ufunc_op(np.add, tags={"commutative", "linear"}),
    ufunc_op(np.subtract, tags={"linear"}),
    ufunc_op(np.multiply, tags={"commutative"}),
    ufunc_op(np.divide),
    ufunc_op(np.floor_divide),
    ufunc_op(np.remainder),
    ufunc_op(np.power),
    ufunc_op(np.maximum, tags={"commutative"}),
    ufunc_op(np.minimum, tags={"commutative"}),
    ufunc_op(np.fmax, tags={"commutative"}),
    ufunc_op(np.fmin, tags={"commutative"}),
    ufunc_op(np.arctan2),
    ufunc_op(np.hypot, tags={"commutative"}),
    ufunc_op(np.copysign),
    ufunc_op(np.logaddexp, tags={"commutative"}),
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


SELECT = Op(
    name="select",
    shape=_select_shape,
    impl=np.where,
    tags=ELEMENTWISE,
)

CONVERT = Op(
    name="convert",
    shape=_convert_shape,
    impl=convert,
    tags=ELEMENTWISE,
)

OPS = [*UNARY, *BINARY, SELECT, CONVERT]
