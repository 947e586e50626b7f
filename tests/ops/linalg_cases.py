"""Op cases for numpy.linalg, part A: solve, inv, det, slogdet, cholesky, norm, cond,
matrix_power, multi_dot and the array-API names (linalg.matmul, linalg.outer, vecdot,
matvec, vecmat, matrix_transpose). Matrices come from the 'wellcond' and 'spd' domains.
Several orders of one function share a case (a tuple of results) to keep the table small.
"""

import numpy as np

from ops.cases import FLOATS, OpCase

# --- argument shapes: stacks of square matrices ------------------------------------------
SQUARE = (((3, 3),), ((2, 4, 4),), ((1, 1),), ((0, 0),))
SOLVE_VECTOR = (((3, 3), (3,)), ((2, 4, 4), (4,)), ((1, 1), (1,)))
SOLVE_MATRIX = (((3, 3), (3, 2)), ((2, 3, 3), (1, 3, 4)), ((4, 4), (2, 4, 1)), ((3, 3), (3, 0)))
VECTORS = (((2, 3), (3,)), ((4,), (2, 1, 4)), ((1, 3), (2, 3)))
MATVEC = (((2, 3), (3,)), ((2, 3, 4), (1, 4)), ((1, 2), (5, 2)))
VECMAT = (((3,), (3, 2)), ((1, 4), (2, 4, 3)), ((2,), (5, 2, 1)))
MATRIX_AXES = (((3, 4),), ((2, 3, 4),), ((1, 5),))
CHAIN3 = (((2, 3), (3, 4), (4, 2)), ((3,), (3, 5), (5,)), ((5, 2), (2, 6), (6,)))
CHAIN4 = (((2, 3), (3, 4), (4, 5), (5, 2)), ((3,), (3, 2), (2, 4), (4, 3)))
LINALG_DTYPES = FLOATS + ("int32",)  # numpy.linalg computes integers in float64

VECTOR_ORDS = (None, np.inf, -np.inf, 0, 1, 2, 3, -1.5, 0.5)
MATRIX_ORDS = (None, "fro", np.inf, -np.inf, 1, -1)
COND_ORDS = ("fro", np.inf, -np.inf, 1, -1)


def _symmetric(a):
    """(a + a^T) / 2: cholesky reads the lower triangle alone, so finite differences along
    a non-symmetric direction would disagree with the symmetric derivative."""
    return (a + np.linalg.matrix_transpose(a)) / 2


def _cholesky(a):
    return np.linalg.cholesky(_symmetric(a))


def _cholesky_upper(a):
    return np.linalg.cholesky(_symmetric(a), upper=True)


def _vector_norms(x):
    return tuple(np.linalg.norm(x, ord=ord, axis=-1) for ord in VECTOR_ORDS)


def _vector_norms_keepdims(x):
    return tuple(np.linalg.norm(x, ord=ord, axis=0, keepdims=True) for ord in VECTOR_ORDS[1:4])


def _matrix_norms(x):
    return tuple(np.linalg.norm(x, ord=ord, axis=(-2, -1)) for ord in MATRIX_ORDS)


def _matrix_norms_swapped(x):
    """Matrix norms over (last, first) axes, kept as size-1 axes."""
    return tuple(np.linalg.norm(x, ord=ord, axis=(-1, 0), keepdims=True) for ord in MATRIX_ORDS)


def _whole_norms(x):
    """axis=None: 'fro' (and the other matrix orders) on a 2-D array."""
    return tuple(np.linalg.norm(x, ord=ord) for ord in MATRIX_ORDS)


def _conds(a):
    return tuple(np.linalg.cond(a, p) for p in COND_ORDS)


def _powers(a):
    return tuple(np.linalg.matrix_power(a, n) for n in (0, 1, 2, 3, 5))


def _inverse_powers(a):
    return tuple(np.linalg.matrix_power(a, n) for n in (-1, -2, -5))


def _chain(*arrays):
    return np.linalg.multi_dot(list(arrays))


def _last_axes(x, y):
    """numpy.linalg's array-API names, on the last axes."""
    return (
        np.linalg.cross(x, y),
        np.linalg.diagonal(x, offset=1),
        np.linalg.trace(y, offset=-1),
        np.linalg.tensordot(x, y, axes=1),
    )


def _array_api_norms(x):
    return (
        np.linalg.matrix_norm(x, ord=1, keepdims=True),
        np.linalg.matrix_norm(x),
        np.linalg.vector_norm(x, axis=(0, 2), ord=3, keepdims=True),
        np.linalg.vector_norm(x),
    )


def _tensor_inverse_and_solve(a, b):
    return np.linalg.tensorinv(a.reshape(2, 3, 6)), np.linalg.tensorsolve(a.reshape(2, 3, 6), b)


# One record per line, as STYLE.md section 6 asks: the formatter would split them.
# fmt: off
CASES = [
    OpCase(name="linalg_solve_vector", fn=np.linalg.solve, primitive="solve", domain=("wellcond", "real"), dtypes=LINALG_DTYPES, shapes=SOLVE_VECTOR),
    OpCase(name="linalg_solve_matrix", fn=np.linalg.solve, primitive="solve", domain=("wellcond", "real"), dtypes=LINALG_DTYPES, shapes=SOLVE_MATRIX),
    OpCase(name="linalg_solve_mixed", fn=np.linalg.solve, primitive=("convert", "solve"), domain=("wellcond", "real"), dtypes=(("float32", "float64"), ("int64", "float32")), shapes=SOLVE_MATRIX[:2]),
    OpCase(name="linalg_inv", fn=np.linalg.inv, primitive="inv", domain="wellcond", dtypes=LINALG_DTYPES, shapes=SQUARE),
    OpCase(name="linalg_det", fn=np.linalg.det, primitive="det", domain="wellcond", dtypes=LINALG_DTYPES, shapes=SQUARE),
    OpCase(name="linalg_slogdet", fn=np.linalg.slogdet, primitive="slogdet", domain="wellcond", dtypes=LINALG_DTYPES, shapes=SQUARE),
    OpCase(name="linalg_slogdet_negative", fn=lambda a: np.linalg.slogdet(-a), primitive="slogdet", domain="wellcond", shapes=SQUARE[:3]),
    OpCase(name="linalg_cholesky", fn=_cholesky, primitive="cholesky", domain="spd", shapes=SQUARE),
    OpCase(name="linalg_cholesky_int", fn=np.linalg.cholesky, primitive=("convert", "cholesky"), domain="spd", dtypes=("int32", "int64"), shapes=SQUARE[:2]),
    OpCase(name="linalg_cholesky_upper", fn=_cholesky_upper, primitive=("cholesky", "transpose"), domain="spd", shapes=SQUARE[:3]),
    OpCase(name="linalg_norm_vector_ords", fn=_vector_norms, primitive=("max", "min", "power", "not_equal"), shapes=(((3, 4),), ((5,),))),
    OpCase(name="linalg_norm_vector_keepdims", fn=_vector_norms_keepdims, primitive=("max", "min", "sum"), dtypes=FLOATS + ("int32",), shapes=(((3, 2),), ((2, 3, 2),))),
    OpCase(name="linalg_norm_matrix_ords", fn=_matrix_norms, primitive=("max", "min", "sqrt"), shapes=MATRIX_AXES),
    OpCase(name="linalg_norm_matrix_swapped", fn=_matrix_norms_swapped, primitive=("max", "min", "reshape"), dtypes=FLOATS + ("int32",), shapes=MATRIX_AXES[:2]),
    OpCase(name="linalg_norm_whole", fn=_whole_norms, primitive=("max", "sqrt"), shapes=(((3, 4),), ((2, 2),))),
    OpCase(name="linalg_cond", fn=_conds, primitive=("inv", "max", "select"), domain="wellcond", dtypes=LINALG_DTYPES, shapes=SQUARE[:3]),
    OpCase(name="linalg_matrix_power", fn=_powers, primitive="matmul", domain="wellcond", dtypes=FLOATS + ("int64",), shapes=SQUARE),
    OpCase(name="linalg_matrix_power_negative", fn=_inverse_powers, primitive=("inv", "matmul"), domain="wellcond", dtypes=LINALG_DTYPES, shapes=SQUARE[:3]),
    OpCase(name="linalg_multi_dot3", fn=_chain, primitive="matmul", dtypes=FLOATS + ("int64",), shapes=CHAIN3),
    OpCase(name="linalg_multi_dot4", fn=_chain, primitive="matmul", shapes=CHAIN4),
    OpCase(name="linalg_matmul", fn=np.linalg.matmul, primitive="matmul", dtypes=FLOATS + ("int32",), shapes=(((2, 3), (3, 4)), ((2, 1, 3, 4), (3, 4, 2)), ((3,), (3, 2)))),
    OpCase(name="linalg_outer", fn=np.linalg.outer, primitive="multiply", dtypes=FLOATS + ("int32",), shapes=(((3,), (4,)), ((1,), (2,)))),
    OpCase(name="vecdot", fn=np.vecdot, primitive=("multiply", "sum"), dtypes=FLOATS + ("int32", "bool"), shapes=VECTORS),
    OpCase(name="vecdot_axis", fn=lambda x, y: np.vecdot(x, y, axis=0), primitive=("multiply", "sum"), shapes=(((3, 2), (3, 1)), ((4,), (4, 2)))),
    OpCase(name="linalg_vecdot", fn=lambda x, y: np.linalg.vecdot(x, y, axis=-2), primitive=("multiply", "sum"), dtypes=FLOATS + ("int64",), shapes=(((3, 2), (3, 2)), ((2, 4, 3), (4, 1)))),
    OpCase(name="matvec", fn=np.matvec, primitive=("multiply", "sum"), dtypes=FLOATS + ("int32",), shapes=MATVEC),
    OpCase(name="vecmat", fn=np.vecmat, primitive=("multiply", "sum"), dtypes=FLOATS + ("int32",), shapes=VECMAT),
    OpCase(name="matrix_transpose", fn=np.matrix_transpose, primitive="transpose", dtypes=FLOATS + ("int32",), shapes=(((2, 3),), ((2, 3, 4),), ((1, 0, 2),))),
    OpCase(name="linalg_matrix_transpose", fn=np.linalg.matrix_transpose, primitive="transpose", shapes=(((3, 2),), ((2, 1, 4, 3),))),
    OpCase(name="linalg_last_axes", fn=_last_axes, primitive=("take", "matmul"), shapes=(((3, 3), (3, 3)), ((2, 3, 3), (3, 3)))),
    OpCase(name="linalg_array_api_norms", fn=_array_api_norms, primitive=("absolute", "sqrt"), shapes=(((2, 3, 4),), ((3, 2, 2),))),
    OpCase(name="linalg_tensor_inverse", fn=_tensor_inverse_and_solve, primitive=("inv", "solve"), domain=("wellcond", "real"), shapes=(((6, 6), (2, 3)),)),
]
# fmt: on
