"""Op cases for numpy.linalg's decompositions (ir/ops/linalg_decomp.py): eigh, eigvalsh,
svd, svdvals, qr, and pinv, lstsq, matrix_rank, norm (ord 2, -2, 'nuc' on matrices) and
cond (p None, 2, -2) built on them.

Eigenvectors and singular vectors are fixed only up to sign, so the cases return what the
sign does not change (each column times its first entry, v * v[:1]); finite differences
then compare like with like. QR's signs are fixed (Householder's: R's diagonal follows A
continuously), so its cases return Q and R themselves. Random matrices have distinct
eigenvalues and singular values, where the derivatives exist. The extra columns of
full_matrices=True and mode='complete' are unique up to a rotation: the cases have one
such column (or row), unique up to sign.
"""

import numpy as np

from ops.cases import FLOATS, OpCase


def signless_eigh(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return w, v * v[..., :1, :]


def signless_svd(a, full_matrices=False):
    """s, and U and Vh with each singular pair's sign cancelled (u_k and v_k flip together,
    so U's entries times its first row and Vh's times its first column are fixed)."""
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return s, u * u[..., :1, :], vh * vh[..., :, :1]


def singular_value_norms(x):
    return tuple(np.linalg.norm(x, ord=ord, axis=(-2, -1)) for ord in (2, -2, "nuc"))


def singular_value_norms_kept(x):
    """Over (last, first) axes, kept as size-1 axes."""
    return tuple(np.linalg.norm(x, ord, axis=(-1, 0), keepdims=True) for ord in (2, -2, "nuc"))


def condition_numbers(a):
    return tuple(np.linalg.cond(a, p) for p in (None, 2, -2))


def rank_one(a):
    """A rank-one product of a's first column and row: matrix_rank's tolerance at work."""
    return np.linalg.matrix_rank(a[..., :, :1] * a[..., :1, :])


SQUARE = (((3, 3),), ((2, 4, 4),))
TALL_AND_WIDE = (((4, 3),), ((2, 3, 5),))
LINALG_DTYPES = FLOATS + ("int32",)  # numpy.linalg computes integers in float64

# fmt: off
CASES = [
    OpCase(name="eigh", fn=signless_eigh, primitive="eigh", domain="spd", dtypes=FLOATS, shapes=SQUARE),
    OpCase(name="eigh_upper", fn=lambda a: signless_eigh(a, UPLO="U"), primitive="eigh", shapes=(((3, 3),),)),
    OpCase(name="eigvalsh", fn=np.linalg.eigvalsh, primitive="eigh", domain="spd", dtypes=LINALG_DTYPES, shapes=(((2, 3, 3),), ((4, 4),))),
    OpCase(name="svd", fn=signless_svd, primitive="svd", shapes=TALL_AND_WIDE),
    OpCase(name="svd_full", fn=lambda a: signless_svd(a, full_matrices=True), primitive="svd", shapes=(((4, 3),), ((2, 3, 4),))),
    OpCase(name="svdvals", fn=np.linalg.svdvals, primitive="svd", dtypes=LINALG_DTYPES, shapes=(((3, 4),), ((2, 4, 2),))),
    OpCase(name="qr", fn=np.linalg.qr, primitive="qr", shapes=(((4, 3),), ((2, 3, 5),))),
    OpCase(name="qr_r", fn=lambda a: np.linalg.qr(a, mode="r"), primitive="qr", shapes=(((3, 3),),)),
    OpCase(name="qr_complete", fn=lambda a: np.linalg.qr(a, mode="complete"), primitive="qr", shapes=(((4, 3),), ((2, 2, 3),))),
    OpCase(name="pinv", fn=np.linalg.pinv, primitive="svd", shapes=(((4, 3),), ((2, 2, 3),))),
    OpCase(name="lstsq", fn=np.linalg.lstsq, primitive="svd", shapes=(((3, 4), (3,)), ((2, 2), (2, 3)))),
    OpCase(name="matrix_rank", fn=np.linalg.matrix_rank, primitive="svd", shapes=(((3, 4),), ((2, 3, 3),))),
    OpCase(name="norm_singular_values", fn=singular_value_norms, primitive="svd", shapes=(((2, 3, 2),),)),
    OpCase(name="norm_singular_values_kept", fn=singular_value_norms_kept, primitive=("svd", "transpose"), shapes=(((2, 3, 4),),)),
    OpCase(name="cond_singular_values", fn=condition_numbers, primitive="svd", shapes=(((3, 3),),)),
    OpCase(name="matrix_rank_deficient", fn=rank_one, primitive="svd", shapes=(((3, 4),),)),
]
# fmt: on
