"""Op cases for contractions (einsum with ellipses, diagonals and numpy's pairwise order,
tensordot, N-D dot, inner, vdot, kron, cross) and for diagonals and triangles (diagonal,
trace, diag, diagflat, tri, identity, vander, the tril/triu index arrays)."""

import numpy as np

import jitlib.numpy as jnp
from ops.cases import FLOATS, NUMBERS, OpCase

# float32 first (the dtype most checks use), one integer dtype beside it
SOME_NUMBERS = ("float32", "int64")
SQUARE = (((3, 3),), ((0, 0),))
RECTANGLES = (((3, 4),), ((4, 2),))
VECTORS = (((4,),), ((0,),))


def _tri(x):
    return jnp.tri(x.shape[0], x.shape[1], 1) * x


def _tri_int(x):
    return jnp.tri(x.shape[0], k=-1, dtype=np.int32) + x.sum()


def _identity(x):
    return np.identity(3) @ x


def _tril_from(x):
    return x[np.tril_indices_from(x, -1)]


def _triu_from(x):
    return x[np.triu_indices_from(x, 1)]


def _tril_const(x):
    return x[np.triu_indices(3, -1, 4)]


# fmt: off
CASES = [
    # --- einsum -----------------------------------------------------------------------------
    OpCase(name="einsum_diagonal", fn=lambda x: np.einsum("ii->i", x), primitive="take", dtypes=SOME_NUMBERS, shapes=SQUARE),
    OpCase(name="einsum_trace", fn=lambda x: np.einsum("ii", x), primitive=("take", "sum"), dtypes=("float32", "int32", "bool"), shapes=SQUARE),
    OpCase(name="einsum_repeat_mixed", fn=lambda x, y: np.einsum("iji,jk->ik", x, y), primitive=("take", "matmul"), shapes=(((3, 2, 3), (2, 4)), ((1, 2, 1), (2, 1)))),
    OpCase(name="einsum_ellipsis", fn=lambda x, y: np.einsum("...ij,...jk->...ik", x, y), primitive="matmul", shapes=(((2, 3, 4), (4, 2)), ((1, 2, 3), (2, 3, 2)))),
    OpCase(name="einsum_ellipsis_implicit", fn=lambda x, y: np.einsum("...i,...i", x, y), primitive="matmul", shapes=(((2, 3), (3,)), ((4, 1), (1, 2)))),
    OpCase(name="einsum_ellipsis_sum", fn=lambda x: np.einsum("i...->...", x), primitive="sum", shapes=(((3, 2),), ((2, 1, 3),))),
    OpCase(name="einsum_four_optimal", fn=lambda w, x, y, z: np.einsum("ij,jk,kl,l->i", w, x, y, z, optimize="optimal"), primitive="matmul", shapes=(((2, 3), (3, 4), (4, 2), (2,)), ((1, 2), (2, 3), (3, 1), (1,)))),
    OpCase(name="einsum_greedy", fn=lambda x, y, z: np.einsum("ab,bc,ca->", x, y, z, optimize=True), primitive="matmul", shapes=(((2, 3), (3, 4), (4, 2)), ((3, 1), (1, 2), (2, 3)))),
    OpCase(name="einsum_sublists", fn=lambda x, y: np.einsum(x, [0, 1], y, [2, 1], [2, 0]), primitive="matmul", shapes=(((2, 3), (4, 3)), ((1, 2), (3, 2)))),
    # --- tensordot, dot, inner, vdot, kron, cross -------------------------------------------
    OpCase(name="tensordot", fn=np.tensordot, primitive="matmul", dtypes=SOME_NUMBERS, shapes=(((2, 3, 4), (3, 4, 2)), ((1, 2, 3), (2, 3)))),
    OpCase(name="tensordot_pairs", fn=lambda x, y: np.tensordot(x, y, axes=([0, 2], [1, 0])), primitive="matmul", shapes=(((2, 3, 4), (4, 2, 5)), ((3, 1, 2), (2, 3, 1)))),
    OpCase(name="tensordot_zero", fn=lambda x, y: np.tensordot(x, y, axes=0), primitive="matmul", shapes=(((2, 3), (4,)), ((3,), (1, 2)))),
    OpCase(name="dot_nd", fn=np.dot, primitive="matmul", dtypes=SOME_NUMBERS, shapes=(((2, 3, 4), (2, 4, 3)), ((3, 2), (1, 2, 4)))),
    OpCase(name="inner", fn=np.inner, primitive="matmul", dtypes=SOME_NUMBERS, shapes=(((2, 3), (4, 3)), ((3,), (2, 1, 3)))),
    OpCase(name="inner_scalar", fn=np.inner, primitive="multiply", shapes=(((), (2, 3)), ((3,), ()))),
    OpCase(name="vdot", fn=np.vdot, primitive="matmul", dtypes=SOME_NUMBERS, shapes=(((2, 3), (3, 2)), ((0,), (0,)))),
    OpCase(name="kron", fn=np.kron, primitive="multiply", dtypes=SOME_NUMBERS, shapes=(((2, 3), (2, 2)), ((2, 1, 2), (3,)))),
    OpCase(name="cross", fn=np.cross, primitive=("multiply", "subtract"), dtypes=SOME_NUMBERS, shapes=(((4, 3), (4, 3)), ((3,), (2, 3)))),
    OpCase(name="cross_two_three", fn=np.cross, primitive="multiply", shapes=(((4, 2), (4, 3)), ((2, 3), (2,)))),
    OpCase(name="cross_two", fn=np.cross, primitive="subtract", shapes=(((4, 2), (4, 2)), ((2,), (3, 2)))),
    OpCase(name="cross_axes", fn=lambda x, y: np.cross(x, y, axisa=0, axisb=1, axisc=0), primitive="subtract", shapes=(((3, 4), (4, 3)), ((3, 1), (2, 3)))),
    OpCase(name="cross_axis", fn=lambda x, y: np.cross(x, y, axis=0), primitive="subtract", shapes=(((3, 4), (3, 4)), ((3, 2, 1), (3, 1, 2)))),
    # --- diagonals and triangles ------------------------------------------------------------
    OpCase(name="diagonal", fn=np.diagonal, primitive="take", dtypes=SOME_NUMBERS + ("bool",), shapes=RECTANGLES + SQUARE[1:]),
    OpCase(name="diagonal_offset", fn=lambda x: np.diagonal(x, 1), primitive="take", shapes=RECTANGLES),
    OpCase(name="diagonal_below", fn=lambda x: np.diagonal(x, -2, 2, 0), primitive="take", shapes=(((4, 2, 5),), ((3, 1, 6),))),
    OpCase(name="diagonal_method", fn=lambda x: x.diagonal(0, -1, -2), primitive="take", shapes=(((2, 3, 4),), ((2, 2, 2),))),
    OpCase(name="trace", fn=np.trace, primitive=("take", "sum"), dtypes=NUMBERS + ("bool",), shapes=RECTANGLES + SQUARE[1:]),
    OpCase(name="trace_offset", fn=lambda x: np.trace(x, -1, 1, 2, dtype=np.float64), primitive=("take", "sum"), dtypes=SOME_NUMBERS, shapes=(((2, 3, 4),), ((1, 3, 3),))),
    OpCase(name="diag_vector", fn=lambda x: np.diag(x, 1), primitive="select", dtypes=SOME_NUMBERS, shapes=VECTORS),
    OpCase(name="diag_vector_below", fn=lambda x: np.diag(x, -2), primitive="select", shapes=VECTORS),
    OpCase(name="diag_matrix", fn=lambda x: np.diag(x, -1), primitive="take", shapes=RECTANGLES),
    OpCase(name="diagflat", fn=lambda x: np.diagflat(x, -1), primitive="select", dtypes=SOME_NUMBERS, shapes=(((2, 3),), ((),))),
    OpCase(name="tri", fn=_tri, primitive=("iota", "greater_equal"), shapes=RECTANGLES),
    OpCase(name="tri_int", fn=_tri_int, primitive=("iota", "convert"), dtypes=SOME_NUMBERS, shapes=(((3,),), ((4, 2),))),
    OpCase(name="identity", fn=_identity, primitive="matmul", dtypes=FLOATS, shapes=(((3, 2),), ((3,),))),
    OpCase(name="vander", fn=np.vander, primitive="power", dtypes=SOME_NUMBERS, shapes=VECTORS),
    OpCase(name="vander_increasing", fn=lambda x: np.vander(x, 3, increasing=True), primitive="power", shapes=VECTORS),
    OpCase(name="tril_indices_from", fn=_tril_from, primitive="take", dtypes=("float64",), shapes=(((3, 4),), ((0, 0),))),
    OpCase(name="triu_indices_from", fn=_triu_from, primitive="take", dtypes=("float64",), shapes=(((5, 3),),)),
    OpCase(name="triu_indices_const", fn=_tril_const, primitive="take", dtypes=("float64",), shapes=(((3, 4),), ((3, 5, 2),))),
]
# fmt: on
