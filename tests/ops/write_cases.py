"""Op cases for writes (`x[i] = v`, `x += y`, `out=`, `ufunc.at`, np.copyto, np.put, ...):
each case writes into a copy of its first argument and returns it, so the forward, VJP,
JVP and vmap tables check the functionalised IR the write becomes. Writes to the
arguments themselves (what the caller sees) are checked in tests/jitlib/test_inplace.py.
"""

import numpy as np

from ops.cases import INTS, NUMBERS, OpCase

# fmt: off
ROW_WRITES = (((4, 3), (3,)), ((4, 3), ()), ((2, 5, 2), (1, 2)))


def set_row(x, v):
    y = x.copy()
    y[1] = v
    return y


def set_strided(x, v):
    y = x.copy()
    y[1:, ::2] = v
    return y


def set_through_flip(x, v):
    y = x.copy()
    y[::-1][:2] = v  # a write through a view of a view
    return y


def set_through_transpose(x, v):
    y = x.copy()
    t = y.T
    t[0] = v
    return y


def set_mask(x):
    y = x * 2.0
    y[y < 0] = 0.5
    return y


def set_mask_rows(x, v):
    y = x.copy()
    y[x[:, 0] > 0] = v  # whole rows where the mask holds; v broadcasts along them
    return y


def set_constant_indices(x, v):
    y = x.copy()
    y[[0, 2, 0]] = v  # repeated: the last write stays, as in numpy
    return y


def set_traced_indices(x, i, v):
    y = x.copy()
    y[i] = v
    return y


def set_two_indices(x, i, j, v):
    y = x.copy()
    y[i, j] = v
    return y


def multiply_last_column(x, v):
    y = x.copy()
    y[..., -1] *= v
    return y


def augmented_whole(x, v):
    y = x.copy()
    y += v
    y -= v * v
    y /= 2.0
    return y


def augmented_gathered(x, v):
    y = x.copy()
    y[[1, 1, 0]] += v  # read, add, write: repeated indices do not accumulate
    return y


def exp_out(x):
    y = np.empty_like(x)
    np.exp(x, out=y)
    return y


def multiply_out_view(x, v):
    y = x.copy()
    np.multiply(x[0], v, out=y[1])
    return y


def add_where_out(x, v):
    y = x.copy()
    np.add(x, v, out=y, where=x > 0)
    return y


def _at(ufunc):
    def apply(x, i, v):
        y = x.copy()
        ufunc.at(y, i, v)
        return y

    apply.__name__ = f"{ufunc.__name__}_at"
    return apply


def copyto(x, v):
    y = x.copy()
    np.copyto(y, v)
    return y


def copyto_where(x, v):
    y = x.copy()
    np.copyto(y, v, where=x > 0)
    return y


def put(x, v):
    y = x.copy()
    np.put(y, [0, 5, -1], v)
    return y


def put_along_axis(x, i, v):
    y = x.copy()
    np.put_along_axis(y, i, v, axis=1)
    return y


def fill_diagonal(x):
    y = x.copy()
    np.fill_diagonal(y, 2.5)
    return y


def fill_rows(x):
    y = x.copy()
    y[1:].fill(1.5)
    return y


TRACED_INDEX = (((6, 3), (4,), (4, 3)), ((7,), (2, 3), ()), ((6, 2), (), (2,)))
AT_SHAPES = (((6, 3), (4,), (4, 3)), ((7,), (2, 3), (2, 3)), ((6, 2), (5,), ()))

CASES = [
    OpCase(name="set_row", fn=set_row, primitive="update_slice", dtypes=NUMBERS, shapes=ROW_WRITES),
    OpCase(name="set_strided", fn=set_strided, primitive="update_slice", shapes=(((4, 5), (3, 3)), ((3, 4), (1,)), ((2, 3, 2), (2, 2)))),
    OpCase(name="set_through_flip", fn=set_through_flip, primitive=("update_slice", "flip"), shapes=(((4, 3), (2, 3)), ((5,), ()))),
    OpCase(name="set_through_transpose", fn=set_through_transpose, primitive=("update_slice", "transpose"), shapes=(((3, 4), (3,)), ((2, 3, 2), (3, 2)))),
    OpCase(name="set_mask", fn=set_mask, primitive="select", dtypes=NUMBERS, shapes=(((3, 4),), ((5,),), ((0, 2),))),
    OpCase(name="set_mask_rows", fn=set_mask_rows, primitive="select", shapes=(((4, 3), (3,)), ((5, 2), ()), ((3, 2), (1, 2)))),
    OpCase(name="set_constant_indices", fn=set_constant_indices, primitive="scatter", dtypes=NUMBERS, shapes=(((6, 3), (3, 3)), ((6,), ()), ((4, 2), (2,)))),
    OpCase(name="set_traced_indices", fn=set_traced_indices, primitive="scatter", domain=("real", "shift", "real"), dtypes=NUMBERS, shapes=TRACED_INDEX),
    OpCase(name="set_two_indices", fn=set_two_indices, primitive="scatter", domain=("real", "shift", "shift", "real"), shapes=(((6, 6), (4,), (4,), (4,)), ((7, 6, 2), (2, 1), (3,), (2,)))),
    OpCase(name="multiply_last_column", fn=multiply_last_column, primitive="update_slice", dtypes=NUMBERS, shapes=(((3, 4), (3,)), ((2, 3, 2), ()), ((4,), ()))),
    OpCase(name="augmented_whole", fn=augmented_whole, primitive="divide", shapes=(((3, 4), (4,)), ((2,), ()), ((0, 3), (1, 3)))),
    OpCase(name="augmented_gathered", fn=augmented_gathered, primitive="scatter", dtypes=NUMBERS, shapes=(((3, 4), (3, 4)), ((4,), ()))),
    OpCase(name="exp_out", fn=exp_out, primitive="exp", shapes=(((3, 4),), ((),), ((0, 2),))),
    OpCase(name="multiply_out_view", fn=multiply_out_view, primitive=("multiply", "update_slice"), dtypes=NUMBERS, shapes=(((3, 4), (4,)), ((2, 3), ()))),
    OpCase(name="add_where_out", fn=add_where_out, primitive=("add", "select"), shapes=(((3, 4), (4,)), ((5,), ()))),
    OpCase(name="add_at", fn=_at(np.add), primitive="scatter_add", domain=("real", "shift", "real"), dtypes=NUMBERS, shapes=AT_SHAPES),
    OpCase(name="subtract_at", fn=_at(np.subtract), primitive="scatter_add", domain=("real", "shift", "real"), shapes=AT_SHAPES),
    OpCase(name="multiply_at", fn=_at(np.multiply), primitive="scatter_reduce", domain=("real", "shift", "real"), dtypes=NUMBERS, shapes=AT_SHAPES),
    OpCase(name="maximum_at", fn=_at(np.maximum), primitive="scatter_reduce", domain=("real", "shift", "real"), dtypes=NUMBERS, shapes=AT_SHAPES),
    OpCase(name="minimum_at", fn=_at(np.minimum), primitive="scatter_reduce", domain=("real", "shift", "real"), dtypes=INTS + ("float32", "float64"), shapes=AT_SHAPES),
    OpCase(name="copyto", fn=copyto, primitive="broadcast_to", dtypes=NUMBERS, shapes=(((3, 4), (4,)), ((2,), ()))),
    OpCase(name="copyto_where", fn=copyto_where, primitive="select", shapes=(((3, 4), (4,)), ((5,), ()))),
    OpCase(name="put", fn=put, primitive="scatter", dtypes=NUMBERS, shapes=(((2, 3), (3,)), ((6,), ()), ((3, 2), (1,)))),
    OpCase(name="put_along_axis", fn=put_along_axis, primitive="scatter", domain=("real", "shift", "real"), dtypes=NUMBERS, shapes=(((3, 6), (3, 2), (3, 2)), ((2, 6, 2), (2, 3, 1), ()))),
    OpCase(name="fill_diagonal", fn=fill_diagonal, primitive="scatter", dtypes=NUMBERS, shapes=(((4, 4),), ((5, 3),), ((3, 5),))),
    OpCase(name="fill_rows", fn=fill_rows, primitive="update_slice", dtypes=NUMBERS, shapes=(((3, 4),), ((2,),))),
]
# fmt: on
