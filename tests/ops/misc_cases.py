"""Op cases for the rest of numpy's namespace (issue 12): linspace/logspace/geomspace,
fromfunction, resize, block, unstack, index helpers, windows, elementwise tests,
whole-array comparisons, putmask, compress, conversions and the polynomial helpers.

Functions that numpy needs a Python int for (a polynomial's degree, the number of
arrays unstack returns) get their argument sliced to a static length in the case
(x[:3]), so a second size reuses the trace as it must.
"""

import numpy as np

import jitlib.numpy as jnp
from ops.cases import FLOATS, INTS, OpCase

F64 = ("float64",)
PAIRS = (((3,), (3,)), ((), (2, 1)))
ONE = (((2, 3),), ((4,),))
COEFFICIENTS = (((5,), (3,)), ((6,), (4,)))  # two coefficient arrays, sliced in the case


def _putmask(x, v):
    y = x.copy()
    np.putmask(y, y > 0, v)
    return y


def _putmask_one(x, v):
    y = x.copy()
    np.putmask(y, y < 0, v[:1])
    return y


def _kaiser(beta):
    return (
        np.kaiser(6, 3.0) * beta + np.hamming(6) - np.hanning(6) + np.bartlett(6) * np.blackman(6)
    )


# fmt: off
CASES = [
    # --- creation -------------------------------------------------------------------------
    OpCase(name="fromiter", fn=lambda x: (jnp.fromiter((np.ravel(x)[i] * (i + 1) for i in range(3)), x.dtype), jnp.fromiter(iter([np.ravel(x)[0], 2, np.ravel(x)[1]]), np.int64, count=2)), primitive="concatenate", dtypes=FLOATS + INTS, shapes=(((5,),), ((3, 2),))),
    OpCase(name="from_dlpack", fn=lambda x: (jnp.from_dlpack(x) * 2, jnp.from_dlpack(x, copy=True) - x), primitive="multiply", dtypes=FLOATS + INTS, shapes=(((5,),), ((3, 2),), ((),))),
    OpCase(name="linspace", fn=lambda a, b: np.linspace(a, b, 5), primitive=("select", "any"), dtypes=FLOATS, shapes=PAIRS),
    OpCase(name="linspace_options", fn=lambda a, b: np.linspace(a, b, 4, endpoint=False, retstep=True, axis=-1), primitive="divide", dtypes=F64, shapes=PAIRS),
    OpCase(name="linspace_one", fn=lambda a: np.linspace(a, 2.0, 1), primitive="add", dtypes=F64, shapes=ONE),
    OpCase(name="linspace_int", fn=lambda a: np.linspace(a, 9, 6, dtype=np.int32), primitive="floor", domain="int", dtypes=INTS, shapes=ONE),
    OpCase(name="logspace", fn=lambda a, b: np.logspace(a, b, 4), primitive="power", domain="unit", dtypes=F64, shapes=PAIRS),
    OpCase(name="logspace_base", fn=lambda a, b: np.logspace(a, b, 3, base=np.array([2.0, 3.0]), axis=1), primitive="power", domain="unit", dtypes=F64, shapes=(((2,), (2,)),)),
    OpCase(name="geomspace", fn=lambda a, b: np.geomspace(a, b, 5), primitive=("log10", "sign"), domain="positive", dtypes=F64, shapes=PAIRS),
    OpCase(name="geomspace_negative", fn=lambda a, b: np.geomspace(-a, -b, 4, endpoint=False, axis=-1), primitive="log10", domain="positive", dtypes=F64, shapes=PAIRS[:1]),
    OpCase(name="fromfunction", fn=lambda x: jnp.fromfunction(lambda i, j: i - 2.0 * j + x, x.shape), primitive=("iota", "broadcast_to"), dtypes=F64, shapes=(((3, 4),), ((1, 2),))),
    OpCase(name="resize", fn=lambda x: np.resize(x, (3, 5)), primitive="take", dtypes=("float64", "int32"), shapes=ONE),
    OpCase(name="resize_sym", fn=lambda x: np.resize(x, (2,) + x.shape), primitive=("take", "remainder"), dtypes=F64, shapes=ONE),
    OpCase(name="block_nested", fn=lambda x, y: np.block([[x, y], [y, x]]), primitive="concatenate", dtypes=F64, shapes=(((2, 3), (2, 3)), ((1, 2), (1, 2)))),
    OpCase(name="block_ranks", fn=lambda x, y: np.block([x, y[0]]), primitive=("concatenate", "reshape"), dtypes=("float64", "int64"), shapes=(((3,), (2, 2)), ((), (1, 4)))),
    OpCase(name="unstack", fn=lambda x: np.unstack(x[:2], axis=0), primitive="slice", dtypes=F64, shapes=(((3, 4),), ((2, 3, 2),))),
    OpCase(name="windows", fn=_kaiser, primitive="multiply", dtypes=F64, shapes=(((6,),), ((2, 1),))),
    # --- index helpers --------------------------------------------------------------------
    OpCase(name="ix_", fn=lambda x, i, j: x[np.ix_(i, j)], primitive="take", domain=("real", "shift", "shift"), dtypes=F64, shapes=(((6, 7), (3,), (2,)), ((7, 6), (1,), (4,)))),
    OpCase(name="diag_indices_from", fn=lambda x: x[np.diag_indices_from(x)], primitive=("iota", "take"), dtypes=F64, shapes=(((3, 3),), ((2, 2, 2),))),
    OpCase(name="diag_indices_sym", fn=lambda x: x[jnp.diag_indices(x.shape[0])] * 2, primitive="iota", dtypes=F64, shapes=(((3, 3),), ((1, 1),))),
    OpCase(name="unravel_index", fn=lambda i: np.unravel_index(i, (2, 3, 4)), primitive="remainder", domain="shift", dtypes=INTS, shapes=(((5,),), ((2, 3),))),
    OpCase(name="unravel_index_sym", fn=lambda i, x: np.unravel_index(i, x.shape, order="F"), primitive=("dim", "floor_divide"), domain=("shift", "real"), dtypes=(("int64", "float64"),), shapes=(((4,), (3, 4)), ((2,), (4, 2)))),
    OpCase(name="ravel_multi_index", fn=lambda i, j: np.ravel_multi_index((i, j), (4, 7), mode=("clip", "wrap")), primitive=("minimum", "remainder"), domain=("shift", "int"), dtypes=INTS, shapes=(((5,), (5,)), ((2, 1), (3,)))),
    # --- elementwise tests and whole-array comparisons ------------------------------------
    OpCase(name="fix_round", fn=np.fix, primitive=("floor", "ceil"), dtypes=("float64", "int64"), shapes=ONE),
    OpCase(name="isposinf", fn=lambda x: np.isposinf(np.where(x > 1, np.inf, np.where(x < -1, -np.inf, x))), primitive="isinf", dtypes=F64, shapes=ONE),
    OpCase(name="isneginf", fn=lambda x: np.isneginf(np.where(x > 0, x, -np.inf)), primitive="signbit", dtypes=F64, shapes=ONE),
    OpCase(name="unwrap", fn=lambda x: np.unwrap(x * 3), primitive="cumsum", dtypes=F64, shapes=(((2, 5),),)),
    OpCase(name="unwrap_options", fn=lambda x: np.unwrap(x * 3, discont=4.0, axis=0, period=5.0), primitive="remainder", dtypes=F64, shapes=(((5, 2),),)),
    OpCase(name="unwrap_int", fn=lambda x: np.unwrap(x * 3, period=6), primitive="remainder", domain="int", dtypes=INTS, shapes=(((6,),),)),
    OpCase(name="isin_membership", fn=lambda x, y: np.isin(x, y), primitive=("equal", "any"), domain="int", dtypes=("int64", "float64"), shapes=(((2, 3), (4,)), ((5,), (2, 2)))),
    OpCase(name="isin_invert", fn=lambda x, y: np.isin(x, y, invert=True, kind="table"), primitive="invert", domain="int", dtypes=INTS, shapes=(((2, 3), (4,)),)),
    OpCase(name="count_nonzero", fn=np.count_nonzero, primitive="sum", domain="int", dtypes=("float64", "int64"), shapes=ONE),
    OpCase(name="count_nonzero_axis", fn=lambda x: np.count_nonzero(x, axis=-1, keepdims=True), primitive="sum", domain="int", dtypes=F64, shapes=ONE),
    OpCase(name="array_equal", fn=lambda x, y: (np.array_equal(x, y), np.array_equal(x, x), np.array_equal(x, x[:1])), primitive="all", domain="int", dtypes=INTS, shapes=(((2, 3), (2, 3)), ((3,), (3,)))),
    OpCase(name="array_equal_nan", fn=lambda x: np.array_equal(np.where(x > 0, np.nan, x), np.where(x > 0, np.nan, x), equal_nan=True), primitive="isnan", dtypes=F64, shapes=ONE),
    OpCase(name="array_equiv", fn=lambda x, y: (np.array_equiv(x, y), np.array_equiv(x, x[:1]), np.array_equiv(x, y[:0])), primitive="all", domain="int", dtypes=INTS, shapes=(((2, 3), (3,)), ((2, 1), (2,)))),
    OpCase(name="allclose", fn=lambda x, y: (np.allclose(x, y), np.allclose(x, x + 1e-9), np.allclose(x, y, atol=9.0)), primitive="all", dtypes=F64, shapes=(((2, 3), (2, 3)), ((3,), ()))),
    # --- writes and conversions -----------------------------------------------------------
    OpCase(name="putmask", fn=_putmask, primitive="select", dtypes=("float64", "int64"), shapes=(((2, 3), (2, 3)), ((4,), (3,)))),
    OpCase(name="putmask_one", fn=_putmask_one, primitive="select", dtypes=F64, shapes=(((2, 3), (2,)), ((5,), (1,)))),
    OpCase(name="compress", fn=lambda x: np.compress([True, False, True], x, axis=-1), primitive="take", dtypes=("float64", "int64"), shapes=(((2, 3),), ((4, 5),))),
    OpCase(name="compress_flat", fn=lambda x: np.compress(np.array([False, True, True]), x), primitive=("reshape", "take"), dtypes=F64, shapes=(((2, 3),), ((4,),))),
    OpCase(name="astype_function", fn=lambda x: np.astype(x, np.int32) + np.astype(x, np.float64, copy=False) * 2, primitive="convert", dtypes=F64, shapes=ONE),
    OpCase(name="conversions", fn=lambda x: jnp.ascontiguousarray(x) + jnp.asfortranarray(x.T).T * jnp.asanyarray(x, np.float64) - jnp.require(x, np.int64, "C"), primitive="convert", dtypes=F64, shapes=ONE),
    # --- polynomials (static degrees: each coefficient array is sliced to a fixed length) -
    OpCase(name="polyadd", fn=lambda a, b: (np.polyadd(a[:4], b[:2]), np.polyadd(b[:2], a[:3]), np.polyadd(a[:2], b[:2])), primitive="pad", dtypes=F64, shapes=COEFFICIENTS),
    OpCase(name="polysub", fn=lambda a, b: (np.polysub(a[:4], b[:2]), np.polysub(b[:1], a[:3])), primitive="subtract", dtypes=F64, shapes=COEFFICIENTS),
    OpCase(name="polymul", fn=lambda a, b: np.polymul(a[:4], b[:2]), primitive=("multiply", "pad"), domain="nonzero_int", dtypes=("float64", "int64"), shapes=COEFFICIENTS),
    OpCase(name="polydiv", fn=lambda a, b: np.polydiv(a[:4], b[:2]) + np.polydiv(b[:2], a[:1]) + np.polydiv(b[:1], a[:3]), primitive="divide", domain=("real", "positive"), dtypes=("float64",), shapes=COEFFICIENTS),
    OpCase(name="poly_roots", fn=lambda a: np.poly(a[:3]), primitive="pad", dtypes=F64, shapes=(((4,),), ((3,),))),
    OpCase(name="polyder", fn=lambda a: (np.polyder(a[:4]), np.polyder(a[:4], 2), np.polyder(a[:4], 0)), primitive="multiply", dtypes=("float64", "int64"), shapes=(((5,),), ((6,),))),
    OpCase(name="polyint", fn=lambda a, b: (np.polyint(a[:3]), np.polyint(a[:3], 2, k=b[:2]), np.polyint(a[:2], 3, k=2.5)), primitive="concatenate", dtypes=F64, shapes=COEFFICIENTS),
]
# fmt: on
