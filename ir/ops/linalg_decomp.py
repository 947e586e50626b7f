"""Matrix decompositions on stacks of matrices (the last two axes), each one numpy.linalg
call: `eigh` (symmetric eigenproblem), `svd` and `qr`. Derivatives assume distinct
eigenvalues / distinct nonzero singular values (Giles 2008; Townsend 2016 for the SVD;
Walter and Lehmann 2018 for QR), as autograd and JAX do; full_matrices and mode='complete'
are differentiated too, their extra columns up to a rotation (see matrix.complement_tangent).
"""

import numpy as np
import sympy

from ir import shapes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import matrix
from ir.ops.table import Op

FLOAT_DTYPES = ("float32", "float64")


# --- shape rules --------------------------------------------------------------------------
def _check_matrices(name: str, a: Type) -> None:
    if a.ndim < 2:
        raise ShapeError(f"{name} needs a stack of matrices (at least 2-D), got {a}")
    if a.dtype not in FLOAT_DTYPES:
        raise ShapeError(f"{name} primitive takes float32 or float64 matrices, got {a}")


def smaller(m, n):
    """min(m, n) for two dims. For two different symbols the shape oracle settles m <= n:
    while tracing, from the current sizes (recording a guard); later, from the guards."""
    if shapes.dims_equal(m, n):
        return m
    if isinstance(m, int) and isinstance(n, int):
        return min(m, n)
    return m if shapes.decide(sympy.Le(m, n)) else n


def _eigh_shape(a: Type, *, UPLO: str) -> tuple:
    _check_matrices("eigh", a)
    if not shapes.dims_equal(a.shape[-1], a.shape[-2]):
        raise ShapeError(f"eigh needs square matrices in the last two axes, got {a}")
    if UPLO not in ("L", "U"):
        raise ShapeError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return Type(a.dtype, a.shape[:-1]), a


def _svd_shape(a: Type, *, full_matrices: bool) -> tuple:
    _check_matrices("svd", a)
    *batch, m, n = a.shape
    k = smaller(m, n)
    left, right = (m, n) if full_matrices else (k, k)
    batch = tuple(batch)
    return (
        Type(a.dtype, (*batch, m, left)),
        Type(a.dtype, (*batch, k)),
        Type(a.dtype, (*batch, right, n)),
    )


def _qr_shape(a: Type, *, mode: str) -> tuple:
    _check_matrices("qr", a)
    if mode not in ("reduced", "complete"):
        raise ShapeError(f"qr primitive: mode must be 'reduced' or 'complete', got {mode!r}")
    *batch, m, n = a.shape
    rows = m if mode == "complete" else smaller(m, n)
    return Type(a.dtype, (*batch, m, rows)), Type(a.dtype, (*batch, rows, n))


# --- eigh: A = V diag(w) V^T, from one triangle of A ---------------------------------------
# numpy reads only A's lower (UPLO='L') or upper triangle, so the function differentiated is
# of S = tril(A) + tril(A, -1)^T: a tangent dA acts as that symmetric dS, and the cotangent
# of S lands on the triangle read. These are the exact derivatives of what numpy computes
# (so finite differences along any direction agree); along symmetric directions they equal
# JAX's, which symmetrizes A instead.
def _triangle_masks(e, n, dtype, UPLO):
    """(the triangle read, the same without its diagonal), as masks."""
    read, strict = matrix.lower(e, n, dtype, strict=False), matrix.lower(e, n, dtype, strict=True)
    return (read, strict) if UPLO == "L" else (matrix.mT(e, read), matrix.mT(e, strict))


def _symmetric_from_triangle(e, t, UPLO):
    read, strict = _triangle_masks(e, t.type.shape[-1], t.type.dtype, UPLO)
    return e.add(e.multiply(t, read), matrix.mT(e, e.multiply(t, strict)))


def _triangle_from_symmetric(e, g, UPLO):
    """The transpose of _symmetric_from_triangle: ct_A = G o read + G^T o strict."""
    read, strict = _triangle_masks(e, g.type.shape[-1], g.type.dtype, UPLO)
    return e.add(e.multiply(g, read), e.multiply(matrix.mT(e, g), strict))


def _eigh_gaps(e, w):
    """F_ij = 1 / (w_j - w_i) off the diagonal."""
    return matrix.gap_reciprocals(e, matrix.as_row(e, w), matrix.as_column(e, w))


def _eigh_jvp(e, primals, tangents, outs, *, UPLO):
    # with M = V^T dS V: dw = diag(M), dV = V (F o M)
    (t,), (w, v) = tangents, outs
    inner = e.matmul(e.matmul(matrix.mT(e, v), _symmetric_from_triangle(e, t, UPLO)), v)
    return matrix.diagonal(e, inner), e.matmul(v, e.multiply(_eigh_gaps(e, w), inner))


def _eigh_vjp(e, cts, primals, outs, *, UPLO):
    # the transpose: ct_S = V (diag(ct_w) + F o (V^T ct_V)) V^T, then onto the triangle
    (ct_w, ct_v), (w, v) = cts, outs
    inner = e.add_all(
        [
            None if ct_w is None else matrix.diag_matrix(e, ct_w),
            None if ct_v is None else e.multiply(_eigh_gaps(e, w), e.matmul(matrix.mT(e, v), ct_v)),
        ]
    )
    ct_s = e.matmul(e.matmul(v, inner), matrix.mT(e, v))
    return (_triangle_from_symmetric(e, ct_s, UPLO),)


# --- svd: A = U diag(s) V^T -------------------------------------------------------------------
def _svd_parts(e, s):
    """(F with F_ij = 1 / (s_j^2 - s_i^2) off the diagonal, s as a row, s as a column)."""
    row, column = matrix.as_row(e, s), matrix.as_column(e, s)
    return matrix.gap_reciprocals(e, e.multiply(row, row), e.multiply(column, column)), row, column


def _reduced_svd_jvp(e, t, u, s, v):
    # Townsend 2016: with dP = U^T dA V, ds = diag(dP),
    # dU = U (F o (dP S + S dP^T)) + (I - U U^T) dA V S^-1,
    # dV = V (F o (S dP + dP^T S)) + (I - V V^T) dA^T U S^-1; the projections vanish for
    # square matrices (and the one of the longer side's basis always does)
    gaps, row, column = _svd_parts(e, s)
    dp = e.matmul(e.matmul(matrix.mT(e, u), t), v)
    dp_s, s_dp = e.multiply(dp, row), e.multiply(column, dp)
    du = e.matmul(u, e.multiply(gaps, e.add(dp_s, matrix.mT(e, dp_s))))
    dv = e.matmul(v, e.multiply(gaps, e.add(s_dp, matrix.mT(e, s_dp))))
    if not shapes.dims_equal(t.type.shape[-1], t.type.shape[-2]):
        s_inv = matrix.as_row(e, matrix.safe_reciprocal(e, s))
        du = e.add(du, e.multiply(matrix.project_out(e, u, e.matmul(t, v)), s_inv))
        dv = e.add(dv, e.multiply(matrix.project_out(e, v, e.matmul(matrix.mT(e, t), u)), s_inv))
    return du, matrix.diagonal(e, dp), dv


def _reduced_svd_vjp(e, a, ct_u, ct_s, ct_v, u, s, v):
    # the transpose of the JVP: ct_A = U ct_P V^T plus the projections' terms, where
    # ct_P = diag(ct_s) + (J + J^T) S + S (K + K^T), J = F o (U^T ct_U), K = F o (V^T ct_V)
    gaps, row, column = _svd_parts(e, s)
    terms = [None if ct_s is None else matrix.diag_matrix(e, ct_s)]
    if ct_u is not None:
        j = e.multiply(gaps, e.matmul(matrix.mT(e, u), ct_u))
        terms.append(e.multiply(e.add(j, matrix.mT(e, j)), row))
    if ct_v is not None:
        k = e.multiply(gaps, e.matmul(matrix.mT(e, v), ct_v))
        terms.append(e.multiply(column, e.add(k, matrix.mT(e, k))))
    ct_a = [e.matmul(e.matmul(u, e.add_all(terms)), matrix.mT(e, v))]
    if not shapes.dims_equal(a.type.shape[-1], a.type.shape[-2]):
        s_inv = matrix.as_row(e, matrix.safe_reciprocal(e, s))
        if ct_u is not None:
            ct_a.append(
                e.matmul(e.multiply(matrix.project_out(e, u, ct_u), s_inv), matrix.mT(e, v))
            )
        if ct_v is not None:
            ct_a.append(
                e.matmul(u, matrix.mT(e, e.multiply(matrix.project_out(e, v, ct_v), s_inv)))
            )
    return e.add_all(ct_a)


def _full_svd_factors(e, u, vh, k):
    """(U_k, B_U, V_k, B_V): the leading k singular vectors and the complements' bases."""
    u_k, u_rest = matrix.split_columns(e, u, k)
    v_k, v_rest = matrix.split_columns(e, matrix.mT(e, vh), k)
    return u_k, u_rest, v_k, v_rest


def _svd_jvp(e, primals, tangents, outs, *, full_matrices):
    (a,), (t,), (u, s, vh) = primals, tangents, outs
    k = s.type.shape[-1]
    if not full_matrices or shapes.dims_equal(*a.type.shape[-2:]):
        du, ds, dv = _reduced_svd_jvp(e, t, u, s, matrix.mT(e, vh))
        return du, ds, matrix.mT(e, dv)
    u_k, u_rest, v_k, v_rest = _full_svd_factors(e, u, vh, k)
    du, ds, dv = _reduced_svd_jvp(e, t, u_k, s, v_k)
    du = matrix.complement_tangent(e, du, u_k, u_rest)
    return du, ds, matrix.mT(e, matrix.complement_tangent(e, dv, v_k, v_rest))


def _svd_vjp(e, cts, primals, outs, *, full_matrices):
    (ct_u, ct_s, ct_vh), (a,), (u, s, vh) = cts, primals, outs
    ct_v = None if ct_vh is None else matrix.mT(e, ct_vh)
    k = s.type.shape[-1]
    if not full_matrices or shapes.dims_equal(*a.type.shape[-2:]):
        return (_reduced_svd_vjp(e, a, ct_u, ct_s, ct_v, u, s, matrix.mT(e, vh)),)
    # the transpose of dB = -U_k dU_k^T B adds -B ct_B^T U_k to dU_k's cotangent
    u_k, u_rest, v_k, v_rest = _full_svd_factors(e, u, vh, k)
    ct_u = matrix.complement_cotangent(e, ct_u, u_k, u_rest, k)
    ct_v = matrix.complement_cotangent(e, ct_v, v_k, v_rest, k)
    return (_reduced_svd_vjp(e, a, ct_u, ct_s, ct_v, u_k, s, v_k),)


# --- qr: A = Q R ------------------------------------------------------------------------------
def _tall_qr_jvp(e, t, q, r):
    # Walter and Lehmann 2018 (m >= n): with X = dA R^-1 and C = Q^T X, Omega = tril(C, -1)
    # minus its transpose (Q^T dQ, antisymmetric): dQ = Q Omega + X - Q C, dR = (C - Omega) R
    x = matrix.mT(e, e.solve(matrix.mT(e, r), matrix.mT(e, t)))  # dA R^-1 = (R^-T dA^T)^T
    c = e.matmul(matrix.mT(e, q), x)
    below = e.multiply(c, matrix.lower(e, c.type.shape[-1], c.type.dtype, strict=True))
    omega = e.subtract(below, matrix.mT(e, below))
    dq = e.add(e.matmul(q, omega), e.subtract(x, e.matmul(q, c)))
    return dq, e.matmul(e.subtract(c, omega), r)


def _tall_qr_vjp(e, ct_q, ct_r, q, r):
    # the transpose of the JVP: ct_C = ct_R R^T - Q^T ct_Q, then through Omega
    # ct_C' = ct_C - tril(ct_C - ct_C^T, -1), ct_X = ct_Q + Q ct_C', ct_A = ct_X R^-T
    ct_c = e.add_all(
        [
            None if ct_r is None else e.matmul(ct_r, matrix.mT(e, r)),
            None if ct_q is None else e.negative(e.matmul(matrix.mT(e, q), ct_q)),
        ]
    )
    strict = matrix.lower(e, ct_c.type.shape[-1], ct_c.type.dtype, strict=True)
    ct_c = e.subtract(ct_c, e.multiply(e.subtract(ct_c, matrix.mT(e, ct_c)), strict))
    ct_x = e.add_all([ct_q, e.matmul(q, ct_c)])
    return matrix.mT(e, e.solve(r, matrix.mT(e, ct_x)))


def _is_complete_tall(a: Type, mode: str) -> bool:
    """mode='complete' for m > n (for m <= n it gives the reduced factors)."""
    m, n = a.shape[-2:]
    return (
        mode == "complete" and not shapes.dims_equal(m, n) and shapes.dims_equal(smaller(m, n), n)
    )


# mode='complete' of a tall A: Q = [Q1 B] and R = [R1; 0], with B a basis of the
# complement of Q1's columns, given the tangent without rotation inside it, as for the SVD
def _complete_qr_jvp(e, t, q, r):
    n = r.type.shape[-1]
    q1, rest = matrix.split_columns(e, q, n)
    r1, zero_rows = matrix.split_rows(e, r, n)
    dq1, dr1 = _tall_qr_jvp(e, t, q1, r1)
    dr = e.concatenate(dr1, e.zeros(zero_rows.type), axis=r.type.ndim - 2)
    return matrix.complement_tangent(e, dq1, q1, rest), dr


def _complete_qr_vjp(e, ct_q, ct_r, q, r):
    n = r.type.shape[-1]
    q1, rest = matrix.split_columns(e, q, n)
    r1, _ = matrix.split_rows(e, r, n)
    ct_r1 = None if ct_r is None else matrix.split_rows(e, ct_r, n)[0]
    return _tall_qr_vjp(e, matrix.complement_cotangent(e, ct_q, q1, rest, n), ct_r1, q1, r1)


# A wide A (m < n) is [A1 A2] with A1 square: Q R1 = A1 is the square factorization and
# R2 = Q^T A2, so dR2 = Q^T (dA2 - dQ R2) (using Q^T dQ = -dQ^T Q).
def _qr_jvp(e, primals, tangents, outs, *, mode):
    (a,), (t,), (q, r) = primals, tangents, outs
    if _is_complete_tall(a.type, mode):
        return _complete_qr_jvp(e, t, q, r)
    r1, r2 = matrix.split_columns(e, r, q.type.shape[-1])
    if r2 is None:
        return _tall_qr_jvp(e, t, q, r)
    t1, t2 = matrix.split_columns(e, t, q.type.shape[-1])
    dq, dr1 = _tall_qr_jvp(e, t1, q, r1)
    dr2 = e.matmul(matrix.mT(e, q), e.subtract(t2, e.matmul(dq, r2)))
    return dq, e.concatenate(dr1, dr2, axis=r.type.ndim - 1)


def _qr_vjp(e, cts, primals, outs, *, mode):
    (ct_q, ct_r), (a,), (q, r) = cts, primals, outs
    if _is_complete_tall(a.type, mode):
        return (_complete_qr_vjp(e, ct_q, ct_r, q, r),)
    m = q.type.shape[-1]
    r1, r2 = matrix.split_columns(e, r, m)
    if r2 is None:
        return (_tall_qr_vjp(e, ct_q, ct_r, q, r),)
    if ct_r is None:
        ct_a1 = _tall_qr_vjp(e, ct_q, None, q, r1)
        return (e.concatenate(ct_a1, e.zeros(r2.type), axis=r.type.ndim - 1),)
    ct_r1, ct_r2 = matrix.split_columns(e, ct_r, m)
    # dR2 = Q^T dA2 - Q^T dQ R2: ct_A2 = Q ct_R2, and ct_Q gains -Q ct_R2 R2^T
    ct_q = e.add_all([ct_q, e.negative(e.matmul(e.matmul(q, ct_r2), matrix.mT(e, r2)))])
    ct_a1 = _tall_qr_vjp(e, ct_q, ct_r1, q, r1)
    return (e.concatenate(ct_a1, e.matmul(q, ct_r2), axis=r.type.ndim - 1),)


# --- batching -----------------------------------------------------------------------------
OPS = [
    Op(
        name="eigh",
        shape=_eigh_shape,
        impl=np.linalg.eigh,
        jvp=_eigh_jvp,
        vjp=_eigh_vjp,
        batch=matrix.stack_batch,
        tags=frozenset({"linalg"}),
    ),
    Op(
        name="svd",
        shape=_svd_shape,
        impl=np.linalg.svd,
        jvp=_svd_jvp,
        vjp=_svd_vjp,
        batch=matrix.stack_batch,
        tags=frozenset({"linalg"}),
    ),
    Op(
        name="qr",
        shape=_qr_shape,
        impl=np.linalg.qr,
        jvp=_qr_jvp,
        vjp=_qr_vjp,
        batch=matrix.stack_batch,
        tags=frozenset({"linalg"}),
    ),
]
