"""Op cases for ufunc methods on traced arrays: `ufunc.reduce`, `accumulate`, `outer` and
`reduceat` (jitlib/numpy/ufunc_methods.py). Ufuncs with a reduction primitive of the same
meaning lower to it; the others to a left fold (the `scan` primitive), numpy's own order."""

import numpy as np

import jitlib.numpy as jnp
from jitlib.tracer import Tracer
from ops.cases import FLOATS, INTS, THREE_D, OpCase

MATRIX = (((3, 4),), ((2, 3, 4),))  # reduced along axis 1
ROWS = (((3, 4),), ((5,),))  # along axis 0
PAIRS = (((3,), (4,)), ((2, 3), (2,)))


def _nan_where_negative(x):
    return np.where(x > 0, x, np.nan)


def _soft_max(a, b):
    """A binary function of scalars, not associative, smooth almost everywhere."""
    return np.maximum(a, b) + 0.5 * np.minimum(a, b) * b


def frompyfunc_forms(x, y):
    """jitlib.numpy.frompyfunc's call, reduce, accumulate and outer; the reference is
    numpy's own frompyfunc, whose object arrays are cast to x's dtype."""
    if isinstance(x, Tracer) or isinstance(y, Tracer):
        f = jnp.frompyfunc(_soft_max, 2, 1)
        cast = lambda r: r  # noqa: E731
    else:
        f = np.frompyfunc(_soft_max, 2, 1)
        cast = lambda r: np.asarray(r, dtype=x.dtype)  # noqa: E731
    results = (f(x, y), f.reduce(x, axis=-1), f.accumulate(y, axis=0), f.outer(x[0], y[..., -1]))
    return tuple(cast(r) for r in results)


# fmt: off
CASES = [
    OpCase(name="add_reduce", fn=lambda x: np.add.reduce(x, axis=1), primitive="sum", dtypes=("float32", "int32", "bool"), shapes=MATRIX + (((1, 5),),)),
    OpCase(name="add_reduce_tuple_keepdims", fn=lambda x: np.add.reduce(x, axis=(0, 2), keepdims=True), primitive="sum", shapes=THREE_D),
    OpCase(name="add_reduce_dtype", fn=lambda x: np.add.reduce(x, dtype=np.float64), primitive=("convert", "sum"), domain="int", dtypes=("int32", "float32"), shapes=ROWS),
    OpCase(name="add_reduce_where_initial", fn=lambda x: np.add.reduce(x, axis=0, initial=1.5, where=x > 0), primitive=("select", "sum"), shapes=ROWS),
    OpCase(name="multiply_reduce_none", fn=lambda x: np.multiply.reduce(x, axis=None), primitive="prod", shapes=ROWS),
    OpCase(name="maximum_reduce_where", fn=lambda x: np.maximum.reduce(x, axis=1, initial=-1.0, where=x < 1.0), primitive=("select", "max"), shapes=MATRIX),
    OpCase(name="logical_and_reduce", fn=lambda x: np.logical_and.reduce(x > -1.0, axis=0), primitive="all", shapes=ROWS),
    OpCase(name="logaddexp_reduce", fn=lambda x: np.logaddexp.reduce(x, axis=-1), primitive="scan", shapes=ROWS[:1] + THREE_D[:1]),
    OpCase(name="subtract_reduce", fn=lambda x: np.subtract.reduce(x, axis=0), primitive="scan", dtypes=("float32", "int64"), shapes=ROWS),
    OpCase(name="divide_reduce", fn=lambda x: np.divide.reduce(x, axis=1), primitive="scan", domain="positive", shapes=(((3, 2),), ((2, 1, 3),))),
    OpCase(name="fmax_reduce_nan", fn=lambda x: np.fmax.reduce(_nan_where_negative(x), axis=0), primitive="scan", shapes=ROWS),
    OpCase(name="bitwise_or_reduce", fn=lambda x: np.bitwise_or.reduce(x, axis=1), primitive="scan", domain="int", dtypes=("int32", "bool"), shapes=MATRIX),
    OpCase(name="add_accumulate", fn=lambda x: np.add.accumulate(x, axis=0), primitive="cumsum", dtypes=("float32", "int32", "bool"), shapes=ROWS),
    OpCase(name="multiply_accumulate", fn=lambda x: np.multiply.accumulate(x, axis=-1), primitive="cumprod", shapes=ROWS),
    OpCase(name="maximum_accumulate", fn=lambda x: np.maximum.accumulate(x, axis=1), primitive="scan", dtypes=("float32", "int32"), shapes=MATRIX),
    OpCase(name="subtract_accumulate", fn=lambda x: np.subtract.accumulate(x), primitive="scan", shapes=ROWS),
    OpCase(name="subtract_outer", fn=np.subtract.outer, primitive="subtract", dtypes=("float32", "int64"), shapes=PAIRS + (((), (3,)),)),
    OpCase(name="logaddexp_outer", fn=np.logaddexp.outer, primitive="logaddexp", shapes=PAIRS),
    OpCase(name="add_reduceat", fn=lambda x: np.add.reduceat(x, [0, 2, 1], axis=-1), primitive=("sum", "concatenate"), dtypes=FLOATS + INTS, shapes=(((2, 3),), ((4,),))),
    OpCase(name="frompyfunc_methods", fn=frompyfunc_forms, primitive=("maximum", "scan"), shapes=(((3, 4), (3, 4)), ((2, 3), (2, 3)))),
    OpCase(name="logaddexp_reduceat", fn=lambda x: np.logaddexp.reduceat(x, [0, 1], axis=0), primitive="concatenate", shapes=(((3, 2),), ((3,),))),
]
# fmt: on
