"""The op-case table: one record per numpy behaviour jitlib traces, driving tests/ops.

Each case is a plain-numpy callable plus the inputs to try it on. `domain` picks the
values (one name for every argument, or a tuple with one name per argument); `dtypes`
lists dtype names (a tuple of names gives one per argument); `shapes` lists argument-shape
tuples. A 'bool' domain always makes bool arrays and a 'shift' domain always makes integer
arrays (int64 unless the dtype is already an integer), so index and mask arguments can sit
next to float ones; 'spd' and 'wellcond' make stacks of square matrices. `primitive`
names the ir.OPS records the case must put in the raw IR (the first dtype and first shapes
are the ones checked, so list the most general first).

Callables come from numpy or jitlib.numpy (which runs eagerly as numpy outside a trace);
jnp appears only where plain numpy cannot stay symbolic (creating arrays of traced sizes).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import jitlib as jl
import jitlib.numpy as jnp

DOMAINS = ("real", "positive", "unit", "ge1", "int", "nonzero_int", "bool", "shift")
# square matrices over the last two axes (see test_forward.random_matrices): symmetric
# positive definite, and diagonally dominant (far from singular)
DOMAINS += ("spd", "wellcond")


@dataclass(frozen=True)
class OpCase:
    name: str
    fn: Callable
    primitive: str | tuple
    domain: str | tuple = "real"
    dtypes: tuple = ("float32", "float64")
    shapes: tuple = ()

    @property
    def primitives(self) -> tuple:
        return (self.primitive,) if isinstance(self.primitive, str) else tuple(self.primitive)


# --- dtypes -------------------------------------------------------------------------------
FLOATS = ("float32", "float64")
INTS = ("int32", "int64")
# numpy's other integer dtypes; tests/ops/test_int_dtypes.py walks every integer case in each
OTHER_INTS = ("int8", "int16", "uint8", "uint16", "uint32", "uint64")
NUMBERS = FLOATS + INTS
BOOL = ("bool",)

# --- argument shapes: each entry is one shape per argument ---------------------------------
UNARY = (((2, 3),), ((),), ((0, 3),), ((1, 4),), ((5,),))
BINARY = (
    ((2, 3), (2, 3)),
    ((3, 1), (1, 4)),
    ((2, 3), ()),
    ((), (4,)),
    ((0, 3), (1, 3)),
    ((2, 1, 3), (4, 1)),
)
TERNARY = (
    ((2, 3), (2, 3), (2, 3)),
    ((3, 1), (1, 4), ()),
    ((), (2, 3), (3,)),
    ((0, 3), (1, 3), (3,)),
)
ALONG_AXIS = (((3, 4),), ((1, 5),), ((0, 4),), ((2, 3, 4),))  # reductions along axis 0/1/-1
WHOLE = (((3, 4),), ((),), ((5,),), ((0, 4),), ((2, 1, 3),))  # axis=None reductions
THREE_D = (((2, 3, 4),), ((1, 3, 2),), ((2, 0, 3),))  # axis tuples over three dims
NONEMPTY = (((3, 4),), ((1, 5),), ((2, 3, 4),))  # max/min/argmax: no empty reductions
MATRICES = (((2, 3), (3, 4)), ((1, 3), (3, 1)), ((0, 3), (3, 2)), ((2, 0), (0, 3)))
MATMUL = MATRICES + (((2, 2, 3), (3, 4)), ((2, 1, 3, 4), (3, 4, 2)), ((3,), (3, 4)), ((2, 3), (3,)))
MATMUL += (((3,), (3,)),)
ROWS = (((6, 3),), ((7,),), ((6, 1, 2),))  # rank >= 1, first dim >= 6 (room for indices)


def _logsumexp_stopped(x):
    """logsumexp shifted by its row maximum, which needs no derivative: the result does not
    depend on the shift, so finite differences agree with a gradient that skips it."""
    top = jl.stop_gradient(x.max(axis=-1, keepdims=True))
    return np.log(np.exp(x - top).sum(axis=-1, keepdims=True)) + top


def _nan_where_negative(x):
    return np.where(x > 0, x, np.nan)


def _inf_where_negative(x):
    return np.where(x > 0, x, -np.inf)


# One record per line, as STYLE.md section 6 asks: the formatter would split them.
# fmt: off
CASES = [
    # --- unary ufuncs ---------------------------------------------------------------------
    OpCase(name="negative", fn=np.negative, primitive="negative", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="positive", fn=np.positive, primitive=(), dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="absolute", fn=np.absolute, primitive="absolute", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="fabs", fn=np.fabs, primitive="absolute", shapes=UNARY),
    OpCase(name="sign", fn=np.sign, primitive="sign", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="exp", fn=np.exp, primitive="exp", dtypes=FLOATS + ("float16",), shapes=UNARY),
    OpCase(name="exp_int", fn=np.exp, primitive="exp", domain="int", dtypes=INTS, shapes=UNARY),
    OpCase(name="exp2", fn=np.exp2, primitive="exp2", shapes=UNARY),
    OpCase(name="expm1", fn=np.expm1, primitive="expm1", shapes=UNARY),
    OpCase(name="log", fn=np.log, primitive="log", domain="positive", shapes=UNARY),
    OpCase(name="log2", fn=np.log2, primitive="log2", domain="positive", shapes=UNARY),
    OpCase(name="log10", fn=np.log10, primitive="log10", domain="positive", shapes=UNARY),
    OpCase(name="log1p", fn=np.log1p, primitive="log1p", domain="unit", shapes=UNARY),
    OpCase(name="sqrt", fn=np.sqrt, primitive="sqrt", domain="positive", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="cbrt", fn=np.cbrt, primitive="cbrt", shapes=UNARY),
    OpCase(name="square", fn=np.square, primitive="multiply", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="reciprocal", fn=np.reciprocal, primitive="reciprocal", shapes=UNARY),
    OpCase(name="sin", fn=np.sin, primitive="sin", shapes=UNARY),
    OpCase(name="cos", fn=np.cos, primitive="cos", shapes=UNARY),
    OpCase(name="tan", fn=np.tan, primitive="tan", domain="unit", shapes=UNARY),
    OpCase(name="arcsin", fn=np.arcsin, primitive="arcsin", domain="unit", shapes=UNARY),
    OpCase(name="arccos", fn=np.arccos, primitive="arccos", domain="unit", shapes=UNARY),
    OpCase(name="arctan", fn=np.arctan, primitive="arctan", shapes=UNARY),
    OpCase(name="sinh", fn=np.sinh, primitive="sinh", shapes=UNARY),
    OpCase(name="cosh", fn=np.cosh, primitive="cosh", shapes=UNARY),
    OpCase(name="tanh", fn=np.tanh, primitive="tanh", dtypes=FLOATS + ("float16",), shapes=UNARY),
    OpCase(name="arcsinh", fn=np.arcsinh, primitive="arcsinh", shapes=UNARY),
    OpCase(name="arccosh", fn=np.arccosh, primitive="arccosh", domain="ge1", shapes=UNARY),
    OpCase(name="arctanh", fn=np.arctanh, primitive="arctanh", domain="unit", shapes=UNARY),
    OpCase(name="floor", fn=np.floor, primitive="floor", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="ceil", fn=np.ceil, primitive="ceil", shapes=UNARY),
    OpCase(name="rint", fn=np.rint, primitive="rint", shapes=UNARY),
    OpCase(name="trunc", fn=np.trunc, primitive="trunc", shapes=UNARY),
    OpCase(name="logical_not", fn=np.logical_not, primitive="logical_not", dtypes=BOOL + FLOATS, shapes=UNARY),
    OpCase(name="isnan", fn=np.isnan, primitive="isnan", shapes=UNARY),
    OpCase(name="isinf", fn=np.isinf, primitive="isinf", shapes=UNARY),
    OpCase(name="isfinite", fn=np.isfinite, primitive="isfinite", shapes=UNARY),
    OpCase(name="isnan_nan", fn=lambda x: np.isnan(_nan_where_negative(x)), primitive="isnan", shapes=UNARY),
    OpCase(name="isinf_inf", fn=lambda x: np.isinf(_inf_where_negative(x)), primitive="isinf", shapes=UNARY),
    OpCase(name="isfinite_nan", fn=lambda x: np.isfinite(_nan_where_negative(x)), primitive="isfinite", shapes=UNARY),
    OpCase(name="invert", fn=np.invert, primitive="invert", domain="int", dtypes=INTS + BOOL, shapes=UNARY),
    # --- binary ufuncs --------------------------------------------------------------------
    OpCase(name="add", fn=np.add, primitive="add", dtypes=NUMBERS + BOOL + ("float16",), shapes=BINARY),
    OpCase(name="subtract", fn=np.subtract, primitive="subtract", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="multiply", fn=np.multiply, primitive="multiply", dtypes=NUMBERS + BOOL, shapes=BINARY),
    OpCase(name="divide", fn=np.divide, primitive="divide", domain=("real", "nonzero_int"), dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="floor_divide", fn=np.floor_divide, primitive="floor_divide", domain="nonzero_int", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="floor_divide_real", fn=np.floor_divide, primitive="floor_divide", shapes=BINARY),
    OpCase(name="remainder", fn=np.remainder, primitive="remainder", domain="nonzero_int", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="remainder_real", fn=np.remainder, primitive="remainder", shapes=BINARY),
    OpCase(name="power", fn=np.power, primitive="power", domain=("positive", "real"), shapes=BINARY),
    OpCase(name="power_int", fn=np.power, primitive="power", domain=("int", "shift"), dtypes=INTS, shapes=BINARY),
    OpCase(name="maximum", fn=np.maximum, primitive="maximum", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="minimum", fn=np.minimum, primitive="minimum", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="fmax", fn=np.fmax, primitive="fmax", shapes=BINARY),
    OpCase(name="fmin", fn=np.fmin, primitive="fmin", shapes=BINARY),
    OpCase(name="fmax_nan", fn=lambda x, y: np.fmax(_nan_where_negative(x), y), primitive="fmax", shapes=BINARY),
    OpCase(name="fmin_nan", fn=lambda x, y: np.fmin(x, _nan_where_negative(y)), primitive="fmin", shapes=BINARY),
    OpCase(name="maximum_nan", fn=lambda x, y: np.maximum(_nan_where_negative(x), y), primitive="maximum", shapes=BINARY),
    OpCase(name="arctan2", fn=np.arctan2, primitive="arctan2", shapes=BINARY),
    OpCase(name="hstack", fn=lambda x: np.hstack([x, x * 2]), primitive="concatenate", shapes=ALONG_AXIS),
    OpCase(name="vstack", fn=lambda x: np.vstack([x, x]), primitive="concatenate", shapes=UNARY),
    OpCase(name="tril", fn=lambda x: np.tril(x, -1), primitive="select", dtypes=NUMBERS + BOOL, shapes=ALONG_AXIS),
    OpCase(name="triu", fn=lambda x: np.triu(x, 1), primitive="select", shapes=ALONG_AXIS),
    OpCase(name="diff", fn=lambda x: np.diff(x, axis=-1), primitive="subtract", dtypes=NUMBERS, shapes=ALONG_AXIS),
    OpCase(name="diff_bool", fn=lambda x: np.diff(x, axis=0), primitive="not_equal", dtypes=BOOL, shapes=ALONG_AXIS),
    OpCase(name="roll", fn=lambda x: np.roll(x, 2, axis=-1), primitive="concatenate", shapes=NONEMPTY),
    OpCase(name="roll_flat", fn=lambda x: np.roll(x, -3), primitive="concatenate", shapes=NONEMPTY),
    OpCase(name="tile", fn=lambda x: np.tile(x, (2, 1)), primitive="concatenate", shapes=ALONG_AXIS),
    OpCase(name="repeat", fn=lambda x: np.repeat(x, 3, axis=0), primitive="broadcast_to", shapes=ALONG_AXIS),
    OpCase(name="pad", fn=lambda x: np.pad(x, ((1, 0), (0, 2)), constant_values=1.5), primitive=("pad", "select"), shapes=ALONG_AXIS[:2]),
    OpCase(name="pad_zero", fn=lambda x: np.pad(x, 2), primitive="pad", dtypes=NUMBERS + BOOL, shapes=UNARY),
    OpCase(name="split", fn=lambda x: tuple(np.split(x, [1, 2], axis=-1)), primitive="slice", shapes=NONEMPTY),
    OpCase(name="round", fn=lambda x: np.round(x, 2), primitive="rint", shapes=UNARY),
    OpCase(name="isclose", fn=lambda x, y: np.isclose(x, y, rtol=0.5), primitive="less_equal", shapes=BINARY),
    OpCase(name="nan_to_num", fn=lambda x: np.nan_to_num(_inf_where_negative(x)), primitive="select", shapes=UNARY),
    OpCase(name="cumsum", fn=lambda x: np.cumsum(x, axis=-1), primitive="cumsum", dtypes=NUMBERS + BOOL, shapes=ALONG_AXIS),
    OpCase(name="cumsum_flat", fn=np.cumsum, primitive="cumsum", shapes=WHOLE),
    OpCase(name="cumprod", fn=lambda x: x.cumprod(axis=0), primitive="cumprod", domain="unit", shapes=ALONG_AXIS),
    OpCase(name="hypot", fn=np.hypot, primitive="hypot", shapes=BINARY),
    OpCase(name="copysign", fn=np.copysign, primitive="copysign", shapes=BINARY),
    OpCase(name="logaddexp", fn=np.logaddexp, primitive="logaddexp", shapes=BINARY),
    OpCase(name="signbit", fn=np.signbit, primitive="signbit", shapes=UNARY),
    OpCase(name="norm_rows", fn=lambda x: np.linalg.norm(x, axis=-1), primitive="sqrt", shapes=ALONG_AXIS),
    OpCase(name="norm_all", fn=np.linalg.norm, primitive="sqrt", dtypes=NUMBERS, shapes=WHOLE),
    OpCase(name="norm_keepdims", fn=lambda x: np.linalg.norm(x, axis=0, keepdims=True), primitive="sqrt", shapes=ALONG_AXIS),
    OpCase(name="equal", fn=np.equal, primitive="equal", domain="int", dtypes=NUMBERS + BOOL, shapes=BINARY),
    OpCase(name="not_equal", fn=np.not_equal, primitive="not_equal", domain="int", dtypes=NUMBERS + BOOL, shapes=BINARY),
    OpCase(name="less", fn=np.less, primitive="less", dtypes=NUMBERS + BOOL, shapes=BINARY),
    OpCase(name="less_equal", fn=np.less_equal, primitive="less_equal", domain="int", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="greater", fn=np.greater, primitive="greater", dtypes=NUMBERS + BOOL, shapes=BINARY),
    OpCase(name="greater_equal", fn=np.greater_equal, primitive="greater_equal", domain="int", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="logical_and", fn=np.logical_and, primitive="logical_and", dtypes=BOOL + FLOATS + INTS, shapes=BINARY),
    OpCase(name="logical_or", fn=np.logical_or, primitive="logical_or", dtypes=BOOL + FLOATS, shapes=BINARY),
    OpCase(name="logical_xor", fn=np.logical_xor, primitive="logical_xor", dtypes=BOOL + FLOATS, shapes=BINARY),
    OpCase(name="bitwise_and", fn=np.bitwise_and, primitive="bitwise_and", domain="int", dtypes=INTS + BOOL, shapes=BINARY),
    OpCase(name="bitwise_or", fn=np.bitwise_or, primitive="bitwise_or", domain="int", dtypes=INTS + BOOL, shapes=BINARY),
    OpCase(name="bitwise_xor", fn=np.bitwise_xor, primitive="bitwise_xor", domain="int", dtypes=INTS + BOOL, shapes=BINARY),
    OpCase(name="left_shift", fn=np.left_shift, primitive="left_shift", domain=("int", "shift"), dtypes=INTS, shapes=BINARY),
    OpCase(name="right_shift", fn=np.right_shift, primitive="right_shift", domain=("int", "shift"), dtypes=INTS, shapes=BINARY),
    # --- operators ------------------------------------------------------------------------
    OpCase(name="op_add", fn=lambda x, y: x + y, primitive="add", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="op_radd", fn=lambda x: 2 + x, primitive="add", dtypes=NUMBERS + BOOL, shapes=UNARY),
    OpCase(name="op_sub", fn=lambda x, y: x - y, primitive="subtract", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="op_rsub", fn=lambda x: 1.5 - x, primitive="subtract", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_mul", fn=lambda x, y: x * y, primitive="multiply", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="op_truediv", fn=lambda x, y: x / y, primitive="divide", domain="nonzero_int", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="op_rtruediv", fn=lambda x: 2.0 / x, primitive="divide", domain="positive", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_floordiv", fn=lambda x, y: x // y, primitive="floor_divide", domain="nonzero_int", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="op_rfloordiv", fn=lambda x: 7 // x, primitive="floor_divide", domain="nonzero_int", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_mod", fn=lambda x, y: x % y, primitive="remainder", domain="nonzero_int", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="op_rmod", fn=lambda x: 7 % x, primitive="remainder", domain="nonzero_int", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_pow", fn=lambda x, y: x**y, primitive="power", domain=("positive", "real"), shapes=BINARY),
    OpCase(name="op_pow_int", fn=lambda x, y: x**y, primitive="power", domain=("int", "shift"), dtypes=INTS, shapes=BINARY),
    OpCase(name="op_pow2", fn=lambda x: x**2, primitive="power", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_pow3", fn=lambda x: x**3, primitive="power", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_pow4", fn=lambda x: x**4.0, primitive="power", shapes=UNARY),
    OpCase(name="op_pow_half", fn=lambda x: x**0.5, primitive="power", domain="positive", shapes=UNARY),
    OpCase(name="op_pow_neg", fn=lambda x: x**-1, primitive="power", domain="positive", shapes=UNARY),
    OpCase(name="op_rpow", fn=lambda x: 2.0**x, primitive="power", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_matmul", fn=lambda x, y: x @ y, primitive="matmul", dtypes=NUMBERS, shapes=MATMUL),
    OpCase(name="op_and", fn=lambda x, y: x & y, primitive="bitwise_and", domain="int", dtypes=BOOL + INTS, shapes=BINARY),
    OpCase(name="op_or", fn=lambda x, y: x | y, primitive="bitwise_or", domain="int", dtypes=BOOL + INTS, shapes=BINARY),
    OpCase(name="op_xor", fn=lambda x, y: x ^ y, primitive="bitwise_xor", domain="int", dtypes=BOOL + INTS, shapes=BINARY),
    OpCase(name="op_rand", fn=lambda x: 6 & x, primitive="bitwise_and", domain="int", dtypes=INTS, shapes=UNARY),
    OpCase(name="op_invert", fn=lambda x: ~x, primitive="invert", domain="int", dtypes=BOOL + INTS, shapes=UNARY),
    OpCase(name="op_lshift", fn=lambda x, y: x << y, primitive="left_shift", domain=("int", "shift"), dtypes=INTS, shapes=BINARY),
    OpCase(name="op_rshift", fn=lambda x, y: x >> y, primitive="right_shift", domain=("int", "shift"), dtypes=INTS, shapes=BINARY),
    OpCase(name="op_rlshift", fn=lambda x: 1 << x, primitive="left_shift", domain="shift", dtypes=INTS, shapes=UNARY),
    OpCase(name="op_neg", fn=lambda x: -x, primitive="negative", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_pos", fn=lambda x: +x, primitive=(), dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_abs", fn=abs, primitive="absolute", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_lt", fn=lambda x, y: x < y, primitive="less", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="op_le", fn=lambda x, y: x <= y, primitive="less_equal", domain="int", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="op_gt", fn=lambda x, y: x > y, primitive="greater", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="op_ge", fn=lambda x, y: x >= y, primitive="greater_equal", domain="int", dtypes=NUMBERS, shapes=BINARY),
    OpCase(name="op_eq", fn=lambda x, y: x == y, primitive="equal", domain="int", dtypes=NUMBERS + BOOL, shapes=BINARY),
    OpCase(name="op_ne", fn=lambda x, y: x != y, primitive="not_equal", domain="int", dtypes=NUMBERS + BOOL, shapes=BINARY),
    OpCase(name="op_gt_scalar", fn=lambda x: x > 0.5, primitive="greater", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_eq_scalar", fn=lambda x: x == 2, primitive="equal", domain="int", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="op_rlt_scalar", fn=lambda x: 0.5 < x, primitive="greater", dtypes=NUMBERS, shapes=UNARY),
    # --- mixed dtypes and NEP 50 scalars --------------------------------------------------
    OpCase(name="mix_i32_f32", fn=np.add, primitive="add", dtypes=(("int32", "float32"),), shapes=BINARY),
    OpCase(name="mix_f32_i64", fn=lambda x, y: x * y, primitive="multiply", dtypes=(("float32", "int64"),), shapes=BINARY),
    OpCase(name="mix_i32_i64", fn=np.multiply, primitive="multiply", dtypes=(("int32", "int64"),), shapes=BINARY),
    OpCase(name="mix_f32_f64", fn=np.subtract, primitive="subtract", dtypes=(("float32", "float64"),), shapes=BINARY),
    OpCase(name="mix_f16_f32", fn=np.add, primitive="add", dtypes=(("float16", "float32"),), shapes=BINARY),
    OpCase(name="mix_bool_i32", fn=lambda x, y: x + y, primitive="add", dtypes=(("bool", "int32"),), shapes=BINARY),
    OpCase(name="mix_i32_f32_lt", fn=np.less, primitive="less", dtypes=(("int32", "float32"),), shapes=BINARY),
    OpCase(name="weak_float", fn=lambda x: x * 2.5, primitive="multiply", dtypes=FLOATS + ("float16",) + INTS + BOOL, shapes=UNARY),
    OpCase(name="weak_int", fn=lambda x: x + 3, primitive="add", dtypes=NUMBERS + BOOL + ("float16",), shapes=UNARY),
    OpCase(name="weak_bool", fn=lambda x: x * True, primitive="multiply", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="weak_int_div", fn=lambda x: x / 2, primitive="divide", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="weak_chain", fn=lambda x: (x + 1) * 0.5 - 2, primitive=("add", "multiply", "subtract"), dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="strong_f64_scalar", fn=lambda x: np.float64(2.5) * x, primitive="multiply", dtypes=("float32", "int32"), shapes=UNARY),
    OpCase(name="strong_f32_scalar", fn=lambda x: x + np.float32(1.5), primitive="add", dtypes=NUMBERS + ("float16",), shapes=UNARY),
    OpCase(name="strong_i64_scalar", fn=lambda x: x + np.int64(3), primitive="add", dtypes=("int32", "float32"), shapes=UNARY),
    OpCase(name="strong_f64_meets_weak", fn=lambda x: (np.float64(2.0) + 1) * x, primitive="multiply", dtypes=("float32", "float16"), shapes=UNARY),
    OpCase(name="strong_f64_where", fn=lambda x: np.where(x > 0, np.float64(1.5), 0.5) * x, primitive=("select", "multiply"), dtypes=("float32",), shapes=UNARY),
    OpCase(name="weak_cmp_big_int", fn=lambda x: (x > 2**40) | (x < -(2**40)), primitive=("greater", "less"), domain="int", dtypes=INTS, shapes=UNARY),
    # --- select, clip, convert ------------------------------------------------------------
    OpCase(name="where", fn=np.where, primitive="select", domain=("bool", "real", "real"), dtypes=NUMBERS, shapes=TERNARY),
    OpCase(name="where_mixed", fn=np.where, primitive="select", domain=("bool", "real", "real"), dtypes=(("bool", "float32", "float64"), ("bool", "int32", "float32")), shapes=TERNARY),
    OpCase(name="where_weak", fn=lambda x: np.where(x > 0, x, 0.0), primitive="select", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="where_scalars", fn=lambda x: np.where(x > 0, 1.0, -1.0), primitive="select", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="where_weak_int", fn=lambda x: np.where(x > 0, x, 0), primitive="select", domain="int", dtypes=INTS, shapes=UNARY),
    OpCase(name="where_int_cond", fn=lambda c, x: np.where(c, x, -x), primitive=("select", "convert"), domain=("int", "real"), dtypes=(("int64", "float32"),), shapes=BINARY),
    OpCase(name="clip", fn=lambda x: np.clip(x, -0.5, 0.5), primitive=("maximum", "minimum"), dtypes=FLOATS, shapes=UNARY),
    OpCase(name="clip_int", fn=lambda x: np.clip(x, -2, 2), primitive=("maximum", "minimum"), domain="int", dtypes=INTS, shapes=UNARY),
    OpCase(name="clip_method", fn=lambda x: x.clip(0, None), primitive="maximum", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="clip_arrays", fn=lambda x, lo: np.clip(x, lo, lo + 1.0), primitive=("maximum", "minimum"), shapes=BINARY),
    OpCase(name="astype_f32", fn=lambda x: x.astype(np.float32), primitive="convert", dtypes=("float64",) + INTS + BOOL, shapes=UNARY),
    OpCase(name="astype_int", fn=lambda x: x.astype(np.int32), primitive="convert", dtypes=FLOATS + ("int64", "bool"), shapes=UNARY),
    OpCase(name="astype_bool", fn=lambda x: x.astype(bool), primitive="convert", domain="int", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="astype_int_py", fn=lambda x: x.astype(int), primitive="convert", dtypes=FLOATS + ("int32",), shapes=UNARY),
    OpCase(name="astype_like", fn=lambda x, y: x.astype(y.dtype) * y, primitive="convert", dtypes=(("int32", "float64"), ("float32", "int64"), ("float64", "bool")), shapes=BINARY),
    OpCase(name="astype_dtype", fn=lambda x: x.astype(np.dtype("int64")), primitive="convert", dtypes=FLOATS, shapes=UNARY),
    OpCase(name="astype_f16", fn=lambda x: x.astype("float16"), primitive="convert", dtypes=FLOATS, shapes=UNARY),
    # --- reductions -----------------------------------------------------------------------
    OpCase(name="sum", fn=np.sum, primitive="sum", dtypes=NUMBERS + BOOL, shapes=WHOLE),
    OpCase(name="sum_axis0", fn=lambda x: np.sum(x, axis=0), primitive="sum", dtypes=NUMBERS + BOOL, shapes=ALONG_AXIS),
    OpCase(name="sum_axis_neg", fn=lambda x: x.sum(axis=-1), primitive="sum", dtypes=NUMBERS, shapes=ALONG_AXIS),
    OpCase(name="sum_axis_tuple", fn=lambda x: np.sum(x, axis=(0, 2)), primitive="sum", dtypes=NUMBERS, shapes=THREE_D),
    OpCase(name="sum_axis_tuple_neg", fn=lambda x: x.sum(axis=(-1, 1)), primitive="sum", shapes=THREE_D),
    OpCase(name="sum_keepdims", fn=lambda x: x.sum(axis=1, keepdims=True), primitive=("sum", "reshape"), dtypes=NUMBERS, shapes=ALONG_AXIS),
    OpCase(name="sum_keepdims_all", fn=lambda x: np.sum(x, keepdims=True), primitive=("sum", "reshape"), shapes=WHOLE),
    OpCase(name="sum_dtype", fn=lambda x: np.sum(x, axis=0, dtype=np.float64), primitive=("convert", "sum"), dtypes=("float32", "int32"), shapes=ALONG_AXIS),
    OpCase(name="prod", fn=np.prod, primitive="prod", domain="unit", dtypes=FLOATS, shapes=WHOLE),
    OpCase(name="prod_int", fn=lambda x: np.prod(x, axis=-1), primitive="prod", domain="int", dtypes=INTS + BOOL, shapes=ALONG_AXIS),
    OpCase(name="prod_tuple_keep", fn=lambda x: x.prod(axis=(0, 1), keepdims=True), primitive=("prod", "reshape"), shapes=THREE_D),
    OpCase(name="prod_axis", fn=lambda x: np.prod(x, axis=1), primitive="prod", domain="unit", shapes=ALONG_AXIS),
    OpCase(name="max", fn=np.max, primitive="max", dtypes=NUMBERS, shapes=WHOLE[:3]),
    OpCase(name="max_axis", fn=lambda x: np.max(x, axis=1), primitive="max", dtypes=NUMBERS + BOOL, shapes=NONEMPTY),
    OpCase(name="amax_keepdims", fn=lambda x: np.amax(x, axis=-1, keepdims=True), primitive=("max", "reshape"), shapes=NONEMPTY),
    OpCase(name="max_tuple", fn=lambda x: x.max(axis=(0, -1)), primitive="max", dtypes=NUMBERS, shapes=THREE_D[:2]),
    OpCase(name="min", fn=np.min, primitive="min", dtypes=NUMBERS, shapes=WHOLE[:3]),
    OpCase(name="min_axis", fn=lambda x: x.min(axis=0), primitive="min", dtypes=NUMBERS, shapes=NONEMPTY),
    OpCase(name="min_neg", fn=lambda x: np.min(x, axis=-1), primitive="min", dtypes=NUMBERS + BOOL, shapes=NONEMPTY),
    OpCase(name="amin_keepdims", fn=lambda x: np.amin(x, axis=(0, 1), keepdims=True), primitive=("min", "reshape"), shapes=NONEMPTY),
    OpCase(name="all", fn=np.all, primitive="all", domain="int", dtypes=BOOL + FLOATS + INTS, shapes=WHOLE),
    OpCase(name="all_axis", fn=lambda x: np.all(x, axis=-1, keepdims=True), primitive="all", dtypes=BOOL, shapes=ALONG_AXIS),
    OpCase(name="any", fn=np.any, primitive="any", domain="int", dtypes=BOOL + FLOATS, shapes=WHOLE),
    OpCase(name="any_axis", fn=lambda x: x.any(axis=(0, 2)), primitive="any", dtypes=BOOL, shapes=THREE_D),
    OpCase(name="any_neg", fn=lambda x: np.any(x, axis=-1), primitive="any", domain="int", dtypes=FLOATS + INTS, shapes=ALONG_AXIS),
    OpCase(name="all_axis0_keep", fn=lambda x: x.all(axis=0, keepdims=True), primitive=("all", "reshape"), domain="int", dtypes=BOOL + INTS, shapes=ALONG_AXIS),
    OpCase(name="all_compare", fn=lambda x: np.all(x > -1.0, axis=0), primitive=("all", "greater"), shapes=ALONG_AXIS),
    OpCase(name="argmax", fn=np.argmax, primitive="argmax", dtypes=NUMBERS, shapes=WHOLE[:3]),
    OpCase(name="argmax_axis", fn=lambda x: np.argmax(x, axis=1), primitive="argmax", dtypes=NUMBERS + BOOL, shapes=NONEMPTY),
    OpCase(name="argmax_keepdims", fn=lambda x: np.argmax(x, axis=-1, keepdims=True), primitive=("argmax", "reshape"), shapes=NONEMPTY),
    OpCase(name="argmax_keepdims_all", fn=lambda x: np.argmax(x, keepdims=True), primitive=("argmax", "reshape"), dtypes=NUMBERS, shapes=WHOLE[:3] + NONEMPTY[1:]),
    OpCase(name="argmin_keepdims_all", fn=lambda x: x.argmin(keepdims=True), primitive=("argmin", "reshape"), shapes=WHOLE[:3]),
    OpCase(name="argmin", fn=np.argmin, primitive="argmin", dtypes=NUMBERS, shapes=WHOLE[:3]),
    OpCase(name="argmin_axis", fn=lambda x: x.argmin(axis=-1), primitive="argmin", dtypes=NUMBERS, shapes=NONEMPTY),
    OpCase(name="argmin_axis0", fn=lambda x: x.argmin(axis=0), primitive="argmin", dtypes=FLOATS, shapes=NONEMPTY),
    # --- composite reductions (mean/var/std divide by a `dim`) ----------------------------
    OpCase(name="mean", fn=np.mean, primitive=("sum", "dim", "divide"), dtypes=NUMBERS + BOOL, shapes=WHOLE[:3] + WHOLE[4:]),
    OpCase(name="mean_axis", fn=lambda x: x.mean(axis=-1), primitive=("sum", "dim"), dtypes=NUMBERS, shapes=NONEMPTY),
    OpCase(name="mean_tuple_keep", fn=lambda x: np.mean(x, axis=(0, 2), keepdims=True), primitive=("sum", "dim", "reshape"), shapes=THREE_D[:2]),
    OpCase(name="mean_dtype", fn=lambda x: np.mean(x, axis=0, dtype=np.float64), primitive=("sum", "dim", "convert"), dtypes=("float32",), shapes=NONEMPTY),
    OpCase(name="var", fn=np.var, primitive=("sum", "dim", "subtract", "multiply"), dtypes=FLOATS + ("int32",), shapes=WHOLE[:3]),
    OpCase(name="var_axis", fn=lambda x: x.var(axis=0), primitive=("sum", "dim"), shapes=NONEMPTY),
    OpCase(name="var_ddof_keep", fn=lambda x: np.var(x, axis=-1, ddof=1, keepdims=True), primitive=("sum", "dim"), shapes=(((3, 4),), ((2, 3, 4),))),
    OpCase(name="std", fn=np.std, primitive=("sum", "dim", "sqrt"), dtypes=FLOATS + ("int64",), shapes=WHOLE[:3]),
    OpCase(name="std_axis", fn=lambda x: x.std(axis=(0, 1)), primitive=("sum", "dim", "sqrt"), shapes=THREE_D[:2]),
    OpCase(name="dim_scale", fn=lambda x: x * x.shape[0], primitive="dim", dtypes=NUMBERS, shapes=(((4, 3),), ((1, 3),), ((0, 2),))),
    OpCase(name="dim_rscale", fn=lambda x: x.shape[-1] * x - x.shape[0], primitive="dim", shapes=(((4, 3),), ((1, 3),))),
    OpCase(name="dim_rdiv", fn=lambda x: x.shape[0] / (x * x + 1.0), primitive="dim", dtypes=NUMBERS, shapes=(((4, 3),), ((1, 3),))),
    OpCase(name="dim_size", fn=lambda x: x / x.size, primitive="dim", shapes=(((4, 3),), ((5,),))),
    # --- layout ---------------------------------------------------------------------------
    OpCase(name="reshape_neg", fn=lambda x: x.reshape(-1, 4), primitive="reshape", dtypes=NUMBERS + BOOL, shapes=(((3, 4),), ((2, 2, 4),), ((0, 4),), ((1, 8),))),
    OpCase(name="reshape_flat", fn=lambda x: np.reshape(x, (-1,)), primitive="reshape", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="reshape_sym", fn=lambda x: x.reshape(x.shape[0], -1), primitive="reshape", shapes=THREE_D + ALONG_AXIS[:2]),
    OpCase(name="reshape_split", fn=lambda x: x.reshape(x.shape[0], 2, -1), primitive="reshape", shapes=(((3, 4),), ((2, 6),))),
    OpCase(name="reshape_0d", fn=lambda x: x.reshape(1, 1), primitive="reshape", shapes=(((),), ((1,),))),
    OpCase(name="ravel", fn=np.ravel, primitive="reshape", shapes=UNARY),
    OpCase(name="flatten", fn=lambda x: x.T.flatten(), primitive=("transpose", "reshape"), shapes=ALONG_AXIS),
    OpCase(name="transpose", fn=np.transpose, primitive="transpose", dtypes=NUMBERS + BOOL, shapes=THREE_D + ALONG_AXIS[:2]),
    OpCase(name="transpose_axes", fn=lambda x: np.transpose(x, (1, 0, 2)), primitive="transpose", shapes=THREE_D),
    OpCase(name="transpose_neg", fn=lambda x: x.transpose(-1, 0, 1), primitive="transpose", shapes=THREE_D),
    OpCase(name="T", fn=lambda x: x.T, primitive="transpose", dtypes=NUMBERS, shapes=ALONG_AXIS + UNARY[1:2] + UNARY[4:]),
    OpCase(name="T_add", fn=lambda x, y: x.T + y, primitive=("transpose", "add"), shapes=(((3, 4), (4, 3)), ((2, 3), (1,)))),
    OpCase(name="swapaxes", fn=lambda x: np.swapaxes(x, 0, -1), primitive="transpose", shapes=THREE_D),
    OpCase(name="swapaxes_method", fn=lambda x: x.swapaxes(1, 2), primitive="transpose", shapes=THREE_D),
    OpCase(name="moveaxis", fn=lambda x: np.moveaxis(x, 0, -1), primitive="transpose", shapes=THREE_D),
    OpCase(name="moveaxis_many", fn=lambda x: np.moveaxis(x, [0, 1], [-1, 0]), primitive="transpose", shapes=THREE_D),
    OpCase(name="expand_dims", fn=lambda x: np.expand_dims(x, 0), primitive="reshape", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="expand_dims_many", fn=lambda x: np.expand_dims(x, (0, -1)), primitive="reshape", shapes=UNARY),
    OpCase(name="squeeze", fn=np.squeeze, primitive="reshape", shapes=(((3, 1, 4),), ((1, 1),), ((1, 2, 1),), ((),))),
    OpCase(name="squeeze_axis", fn=lambda x: x.squeeze(axis=1), primitive="reshape", shapes=(((3, 1, 4),), ((2, 1),), ((0, 1),))),
    OpCase(name="index_none", fn=lambda x: x[None], primitive="reshape", shapes=UNARY),
    OpCase(name="index_ellipsis_none", fn=lambda x: x[..., None], primitive="reshape", shapes=UNARY),
    OpCase(name="index_mid_none", fn=lambda x: x[:, None, :], primitive="reshape", shapes=ALONG_AXIS[:3]),
    OpCase(name="index_ellipsis_int", fn=lambda x: x[..., 0], primitive=("slice", "reshape"), shapes=ALONG_AXIS[:2]),
    OpCase(name="index_none_both", fn=lambda x: x[None, ..., None], primitive="reshape", shapes=UNARY),
    OpCase(name="broadcast_to", fn=lambda x: np.broadcast_to(x, (4, 2, 3)), primitive="broadcast_to", dtypes=NUMBERS + BOOL, shapes=(((2, 3),), ((),), ((1, 3),), ((2, 1),))),
    OpCase(name="broadcast_to_sym", fn=lambda x: np.broadcast_to(x, (2,) + x.shape), primitive="broadcast_to", shapes=UNARY),
    OpCase(name="broadcast_arrays", fn=lambda x, y: np.broadcast_arrays(x, y)[0] - y, primitive=("broadcast_to", "subtract"), shapes=BINARY),
    # --- slicing and flip -----------------------------------------------------------------
    OpCase(name="slice_start", fn=lambda x: x[1:], primitive="slice", dtypes=NUMBERS + BOOL, shapes=ROWS + (((0, 3),), ((1,),))),
    OpCase(name="slice_step", fn=lambda x: x[::2], primitive="slice", shapes=ROWS + (((1,),),)),
    OpCase(name="slice_negative", fn=lambda x: x[-3:-1], primitive="slice", shapes=ROWS + (((2,),),)),
    OpCase(name="slice_reverse", fn=lambda x: x[::-1], primitive="flip", dtypes=NUMBERS, shapes=ROWS + (((0, 3),), ((1,),))),
    OpCase(name="slice_neg_step", fn=lambda x: x[::-2], primitive=("slice", "flip"), shapes=ROWS + (((1,),),)),
    OpCase(name="slice_neg_bounds", fn=lambda x: x[4:0:-2], primitive=("slice", "flip"), shapes=ROWS + (((2,),),)),
    OpCase(name="slice_neg_start", fn=lambda x: x[-1:-5:-1], primitive=("slice", "flip"), shapes=ROWS),
    OpCase(name="slice_out_of_range", fn=lambda x: x[-100:100] * 2, primitive=(), shapes=ROWS + (((0,),),)),  # clamps to the whole axis: no slice
    OpCase(name="slice_empty", fn=lambda x: x[5:2], primitive="slice", shapes=ROWS),
    OpCase(name="slice_2d", fn=lambda x: x[1:-1, ::-2], primitive=("slice", "flip"), shapes=(((6, 3),), ((3, 5),), ((2, 1),))),
    OpCase(name="slice_sym_half", fn=lambda x: x[: x.shape[0] // 2], primitive="slice", shapes=ROWS + (((2, 3),),)),
    OpCase(name="slice_sym_tail", fn=lambda x: x[x.shape[0] - 2 :], primitive="slice", shapes=ROWS + (((2,),),)),
    OpCase(name="slice_big_step", fn=lambda x: x[1::10], primitive="slice", shapes=ROWS + (((1,),),)),
    OpCase(name="index_int", fn=lambda x: x[1], primitive=("slice", "reshape"), dtypes=NUMBERS, shapes=ROWS + (((2,),),)),
    OpCase(name="index_neg_int", fn=lambda x: x[-1], primitive=("slice", "reshape"), shapes=ROWS + (((2,),),)),
    OpCase(name="index_int_slice", fn=lambda x: x[0, 1:3], primitive=("slice", "reshape"), shapes=(((6, 3),), ((2, 5),), ((1, 1),))),
    OpCase(name="index_int_2d", fn=lambda x: x[-2, -1], primitive=("slice", "reshape"), shapes=(((6, 3),), ((2, 5, 1),))),
    OpCase(name="index_np_int", fn=lambda x: x[np.int64(-2)], primitive=("slice", "reshape"), shapes=ROWS),
    OpCase(name="flip", fn=np.flip, primitive="flip", dtypes=NUMBERS + BOOL, shapes=UNARY + THREE_D),
    OpCase(name="flip_axis", fn=lambda x: np.flip(x, 0), primitive="flip", shapes=ALONG_AXIS),
    OpCase(name="flip_axes", fn=lambda x: np.flip(x, (0, -1)), primitive="flip", shapes=THREE_D),
    # --- concatenate and stack ------------------------------------------------------------
    OpCase(name="concatenate", fn=lambda x, y: np.concatenate([x, y]), primitive="concatenate", dtypes=NUMBERS + BOOL, shapes=(((2, 3), (4, 3)), ((0, 3), (2, 3)), ((1, 3), (1, 3)), ((3,), (2,)))),
    OpCase(name="concatenate_axis1", fn=lambda x, y: np.concatenate((x, y), axis=1), primitive="concatenate", shapes=(((2, 3), (2, 1)), ((2, 3), (2, 3)), ((0, 2), (0, 3)))),
    OpCase(name="concatenate_neg", fn=lambda x, y: np.concatenate((x, y), axis=-1), primitive="concatenate", shapes=(((2, 3, 2), (2, 3, 4)),)),
    OpCase(name="concatenate_none", fn=lambda x, y: np.concatenate((x, y), axis=None), primitive=("reshape", "concatenate"), shapes=(((2, 3), (4,)), ((), (2, 2)))),
    OpCase(name="concatenate_three", fn=lambda x, y, z: np.concatenate([x, y, z]), primitive="concatenate", shapes=(((2, 3), (4, 3), (1, 3)), ((3,), (3,), (0,)))),
    OpCase(name="concatenate_mixed", fn=lambda x, y: np.concatenate([x, y]), primitive=("convert", "concatenate"), dtypes=(("int32", "float32"), ("float32", "float64")), shapes=(((2, 3), (4, 3)),)),
    OpCase(name="stack", fn=lambda x, y: np.stack([x, y]), primitive=("reshape", "concatenate"), dtypes=NUMBERS, shapes=(((2, 3), (2, 3)), ((), ()), ((0,), (0,)), ((4,), (4,)))),
    OpCase(name="stack_axis", fn=lambda x, y, z: np.stack((x, y, z), axis=-1), primitive="concatenate", shapes=(((2, 3), (2, 3), (2, 3)), ((1,), (1,), (1,)))),
    OpCase(name="stack_mid", fn=lambda x, y: np.stack((x, y), axis=1), primitive="concatenate", shapes=(((2, 3), (2, 3)), ((3,), (3,)))),
    # --- integer-array indexing (gathers) -------------------------------------------------
    OpCase(name="take_const", fn=lambda x: x[np.array([0, 2, 1, 2])], primitive="take", dtypes=NUMBERS + BOOL, shapes=ROWS),
    OpCase(name="take_neg", fn=lambda x: x[np.array([-1, 0, -6])], primitive="take", shapes=ROWS),
    OpCase(name="take_list", fn=lambda x: x[:, [0, -1]], primitive="take", shapes=(((6, 3),), ((2, 4, 5),))),
    OpCase(name="take_2d_index", fn=lambda x: x[np.array([[0, 1], [3, 2]])], primitive="take", shapes=ROWS),
    OpCase(name="take_traced", fn=lambda x, i: x[i], primitive="take", domain=("real", "shift"), dtypes=NUMBERS, shapes=(((6, 3), (4,)), ((7,), (2, 3)), ((6, 2), ()), ((6,), (0,)))),
    OpCase(name="take_traced_i32", fn=lambda x, i: x[:, i], primitive="take", domain=("real", "shift"), dtypes=(("float32", "int32"),), shapes=(((2, 6), (4,)), ((3, 7, 2), (2, 2)))),
    OpCase(name="take_two_arrays", fn=lambda x: x[np.array([0, 1, 5]), np.array([1, 2, 0])], primitive="take", shapes=(((6, 3),), ((6, 3, 2),))),
    OpCase(name="take_two_broadcast", fn=lambda x: x[np.array([[0], [5]]), np.array([2, -1])], primitive="take", shapes=(((6, 3),), ((6, 4, 2),))),
    OpCase(name="take_two_traced", fn=lambda x, i, j: x[i, j], primitive="take", domain=("real", "shift", "shift"), shapes=(((6, 6), (4,), (4,)), ((7, 6, 2), (2, 1), (3,)))),
    OpCase(name="take_after_slice", fn=lambda x: x[1:, np.array([2, 0])], primitive=("slice", "take"), shapes=(((6, 3),), ((3, 4, 2),))),
    OpCase(name="take_before_slice", fn=lambda x: x[np.array([4, -1]), ::-1], primitive=("take", "flip"), shapes=(((6, 3),), ((6, 2, 2),))),
    OpCase(name="take_non_adjacent", fn=lambda x: x[np.array([0, 1]), :, np.array([1, 0])], primitive=("transpose", "take"), shapes=(((6, 3, 2),), ((2, 4, 3),))),
    OpCase(name="take_int_and_array", fn=lambda x: x[1, np.array([0, 2])], primitive="take", shapes=(((6, 3),), ((6, 3, 2),))),
    OpCase(name="take_none_array", fn=lambda x: x[None, np.array([2, 0])], primitive="take", shapes=ROWS),
    OpCase(name="np_take", fn=lambda x: np.take(x, np.array([2, 0]), axis=-1), primitive="take", shapes=(((6, 3),), ((4,),))),
    OpCase(name="np_take_flat", fn=lambda x: np.take(x, np.array([[5, 0], [1, 3]])), primitive=("reshape", "take"), shapes=ROWS),
    OpCase(name="take_along_axis", fn=lambda x, i: np.take_along_axis(x, i[:, None] - 3, axis=-1), primitive="take_along_axis", domain=("real", "shift"), dtypes=NUMBERS, shapes=(((4, 5), (4,)), ((2, 3, 4), (2, 3)), ((1, 3), (1,)), ((0, 3), (0,)))),
    OpCase(name="take_along_axis0", fn=lambda x: np.take_along_axis(x, np.array([[1], [-2], [0], [1]]), axis=0), primitive="take_along_axis", dtypes=NUMBERS + BOOL, shapes=(((3, 4),), ((2, 1),), ((5, 0),))),
    OpCase(name="take_along_axis_broadcast", fn=lambda x, i: np.take_along_axis(x, i, axis=1), primitive="take_along_axis", domain=("real", "shift"), shapes=(((1, 7), (3, 2)), ((2, 6, 3), (2, 4, 1)), ((4, 6), (1, 0)))),
    OpCase(name="take_along_axis_none", fn=lambda x: np.take_along_axis(x, np.array([0, -1, 3, 3]), axis=None), primitive=("reshape", "take_along_axis"), shapes=ROWS),
    # --- matmul, dot, outer, einsum -------------------------------------------------------
    OpCase(name="matmul", fn=np.matmul, primitive="matmul", dtypes=NUMBERS + BOOL, shapes=MATMUL),
    OpCase(name="matmul_mixed", fn=np.matmul, primitive="matmul", dtypes=(("int32", "float32"), ("float32", "float64")), shapes=MATRICES),
    OpCase(name="dot", fn=np.dot, primitive="matmul", dtypes=NUMBERS, shapes=MATRICES + (((3,), (3,)), ((3,), (3, 2)), ((2, 3, 4), (4,)))),
    OpCase(name="dot_scalar", fn=np.dot, primitive="multiply", shapes=(((), (2, 3)), ((3,), ()))),
    OpCase(name="dot_method", fn=lambda x, y: x.dot(y), primitive="matmul", shapes=MATRICES),
    OpCase(name="outer", fn=np.outer, primitive="multiply", dtypes=NUMBERS, shapes=(((3,), (4,)), ((2, 2), (3,)), ((), (3,)), ((0,), (2,)))),
    OpCase(name="einsum_matmul", fn=lambda x, y: np.einsum("ij,jk->ik", x, y), primitive="matmul", dtypes=NUMBERS, shapes=MATRICES),
    OpCase(name="einsum_transpose", fn=lambda x: np.einsum("ij->ji", x), primitive="transpose", shapes=ALONG_AXIS[:3]),
    OpCase(name="einsum_rowsum", fn=lambda x: np.einsum("ij->i", x), primitive="sum", shapes=ALONG_AXIS[:3]),
    OpCase(name="einsum_total", fn=lambda x: np.einsum("ij->", x), primitive="sum", shapes=ALONG_AXIS[:3]),
    OpCase(name="einsum_dot", fn=lambda x, y: np.einsum("i,i->", x, y), primitive="matmul", shapes=(((4,), (4,)), ((1,), (1,)), ((0,), (0,)))),
    OpCase(name="einsum_implicit", fn=lambda x, y: np.einsum("ij,jk", x, y), primitive="matmul", shapes=MATRICES),
    OpCase(name="einsum_batch", fn=lambda x, y: np.einsum("bij,bjk->bik", x, y), primitive="matmul", shapes=(((2, 3, 4), (2, 4, 5)), ((1, 2, 3), (1, 3, 2)))),
    OpCase(name="einsum_trans_b", fn=lambda x, y: np.einsum("ij,kj->ik", x, y), primitive=("transpose", "matmul"), shapes=(((2, 3), (4, 3)), ((3, 2), (1, 2)))),
    OpCase(name="einsum_outer", fn=lambda x, y: np.einsum("i,j->ij", x, y), primitive="matmul", shapes=(((3,), (4,)), ((1,), (2,)))),
    OpCase(name="einsum_rowdot", fn=lambda x, y: np.einsum("ij,ij->i", x, y), primitive="matmul", shapes=(((3, 4), (3, 4)), ((2, 1), (2, 1)))),
    OpCase(name="einsum_private", fn=lambda x, y: np.einsum("ijk,ik->j", x, y), primitive="matmul", shapes=(((2, 3, 4), (2, 4)),)),
    OpCase(name="einsum_sum_private", fn=lambda x, y: np.einsum("ij,kl->ik", x, y), primitive=("sum", "matmul"), shapes=(((2, 3), (4, 5)),)),
    OpCase(name="einsum_three", fn=lambda x, y, z: np.einsum("ij,jk,kl->il", x, y, z), primitive="matmul", dtypes=NUMBERS, shapes=(((2, 3), (3, 4), (4, 5)), ((1, 2), (2, 2), (2, 1)))),
    OpCase(name="einsum_three_out", fn=lambda x, y, z: np.einsum("ij,j,jk->ki", x, y, z), primitive=("matmul", "transpose"), shapes=(((2, 3), (3,), (3, 4)),)),
    OpCase(name="einsum_mixed", fn=lambda x, y: np.einsum("ij,jk->ik", x, y), primitive="matmul", dtypes=(("int32", "float32"),), shapes=MATRICES),
    # --- creation -------------------------------------------------------------------------
    OpCase(name="zeros_like", fn=np.zeros_like, primitive=("constant", "broadcast_to"), dtypes=NUMBERS + BOOL, shapes=UNARY),
    OpCase(name="ones_like", fn=lambda x: np.ones_like(x, dtype=np.int32) + x, primitive=("constant", "broadcast_to"), dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="full_like", fn=lambda x: np.full_like(x, 2.5), primitive=("constant", "broadcast_to"), dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="zeros_like_shape", fn=lambda x: np.zeros_like(x, shape=(2,) + x.shape) * 0 + x, primitive="broadcast_to", shapes=UNARY),
    OpCase(name="zeros", fn=lambda x: jnp.zeros(x.shape, dtype=np.float32) - x, primitive="broadcast_to", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="ones", fn=lambda x: x + jnp.ones((3,) + x.shape), primitive="broadcast_to", shapes=UNARY),
    OpCase(name="full", fn=lambda x: jnp.full(x.shape[:1], 2, dtype=np.int32) * x.T, primitive="broadcast_to", dtypes=NUMBERS, shapes=ALONG_AXIS[:3] + UNARY[4:]),
    OpCase(name="constant_scalar", fn=lambda x: x + 1.0, primitive="constant", dtypes=NUMBERS, shapes=UNARY),
    OpCase(name="constant_array", fn=lambda x: x * np.array([1.0, -2.0, 0.5]), primitive="constant", dtypes=NUMBERS, shapes=(((2, 3),), ((3,),), ((),), ((0, 1),))),
    OpCase(name="constant_array_f32", fn=lambda x: x - np.arange(3, dtype=np.float32), primitive="constant", dtypes=NUMBERS, shapes=(((2, 3),), ((),))),
    OpCase(name="arange_const", fn=lambda x: x + np.arange(3), primitive="constant", dtypes=NUMBERS, shapes=(((2, 3),), ((),))),
    OpCase(name="arange_sym", fn=lambda x: x + jnp.arange(x.shape[-1]), primitive="iota", dtypes=NUMBERS, shapes=UNARY[:1] + UNARY[2:]),
    OpCase(name="arange_sym_step", fn=lambda x: jnp.arange(1, x.shape[0], 2) * 1.5, primitive="iota", shapes=(((7,),), ((6, 2),), ((2,),))),
    OpCase(name="arange_sym_start", fn=lambda x: jnp.arange(x.shape[0], 2 * x.shape[0] + 1) + x[0], primitive="iota", shapes=(((7,),), ((2,),))),
    OpCase(name="arange_sym_dtype", fn=lambda x: jnp.arange(x.shape[0], dtype=np.float32) - x, primitive=("iota", "convert"), dtypes=NUMBERS, shapes=(((5,),), ((0,),), ((1,),))),
    OpCase(name="arange_sym_down", fn=lambda x: jnp.arange(x.shape[0], 0, -1) * x, primitive="iota", shapes=(((5,),), ((1,),), ((0,),))),
    OpCase(name="iota", fn=lambda x: jnp.arange(x.shape[0]), primitive="iota", shapes=(((4, 3),), ((0,),))),
    OpCase(name="eye_const", fn=lambda x: np.eye(3) @ x, primitive=("constant", "matmul"), shapes=(((3, 2),), ((3,),))),
    OpCase(name="eye_sym", fn=lambda x: jnp.eye(x.shape[0]) @ x, primitive=("iota", "equal", "matmul"), dtypes=NUMBERS, shapes=(((4, 3),), ((1, 2),), ((0, 2),))),
    OpCase(name="eye_rect", fn=lambda x: jnp.eye(x.shape[0], x.shape[1], k=1, dtype=np.int32) + x, primitive=("iota", "equal", "convert"), shapes=(((4, 3),), ((3, 5),), ((2, 1),))),
    # --- control flow (more in tests/transforms/test_control_flow.py) ---------------------
    OpCase(name="cond", fn=lambda x, y: jl.cond(x.sum() > y.sum(), lambda a, b: a * b, lambda a, b: a - np.sin(b), x, y), primitive="cond", shapes=(((2, 3), (2, 3)), ((3, 1), (1, 4)), ((), (4,)), ((0, 3), (1, 3)))),
    OpCase(name="scan", fn=lambda x: jl.scan(lambda c, row: (np.sin(c) * row + 0.5, c * row), x.sum(axis=0), x), primitive="scan", shapes=(((4, 3),), ((5,),), ((1, 2),), ((0, 3),))),
    OpCase(name="while_loop", fn=lambda x: jl.while_loop(lambda c: c[1] < 20.0, lambda c: (c[0] + 1, c[1] * 2.0 + 1.0), (0, np.abs(x).sum()))[0], primitive="while_loop", shapes=(((2, 3),), ((4,),), ((0,),))),
    # --- derivatives ------------------------------------------------------------------------
    OpCase(name="stop_gradient_logsumexp", fn=_logsumexp_stopped, primitive=("stop_gradient", "max"), shapes=NONEMPTY),
]
# fmt: on

# writes (x[i] = v, x += y, out=, ufunc.at, ...), in a file of their own; imported last, as
# they use the records and dtype names above
from ops.write_cases import CASES as WRITE_CASES  # noqa: E402

CASES += WRITE_CASES
from ops.sorting_cases import CASES as SORTING_CASES  # noqa: E402

CASES += SORTING_CASES
from ops.ufunc_method_cases import CASES as UFUNC_METHOD_CASES  # noqa: E402

CASES += UFUNC_METHOD_CASES
from ops.contraction_cases import CASES as CONTRACTION_CASES  # noqa: E402

CASES += CONTRACTION_CASES
from ops.misc_cases import CASES as MISC_CASES  # noqa: E402

CASES += MISC_CASES
from ops.linalg_cases import CASES as LINALG_CASES  # noqa: E402

CASES += LINALG_CASES

# more elementwise, layout and numeric functions (issue 12, item 7), in a file of their own
from ops.more_cases import CASES as MORE_CASES  # noqa: E402

CASES += MORE_CASES
from ops.decomp_cases import CASES as DECOMP_CASES  # noqa: E402

CASES += DECOMP_CASES
from ops.special_cases import CASES as SPECIAL_CASES  # noqa: E402

CASES += SPECIAL_CASES
from ops.statistics_cases import CASES as STATISTICS_CASES  # noqa: E402

CASES += STATISTICS_CASES
from ops.setops_cases import CASES as SETOPS_CASES  # noqa: E402

CASES += SETOPS_CASES
from ops.bits_cases import CASES as BITS_CASES  # noqa: E402

CASES += BITS_CASES
