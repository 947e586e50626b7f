"""IR-builder helpers the rules of the matrix ops share (matmul, ir/ops/linalg_solve.py,
ir/ops/linalg_decomp.py): transposes, masks and diagonals of stacks of matrices, the batch
rule of an op on stacks, and the tangent of the extra columns of full_matrices /
mode='complete' factors.
"""

from ir import shapes


def mT(e, x):
    """Each matrix of the stack transposed."""
    axes = tuple(range(x.type.ndim - 2)) + (x.type.ndim - 1, x.type.ndim - 2)
    return e.transposed(x, axes)


def stack_batch(e, args, batched, size, **params):
    """The batch axis is one more stack axis: the op applies as it is."""
    (a,) = args
    return e.bind(e.op, a, **params)


def index_grid(e, n):
    rows = e.reshaped(e.iota(length=n, dtype="int64"), (n, 1))
    cols = e.reshaped(e.iota(length=n, dtype="int64"), (1, n))
    return rows, cols


def eye(e, n, dtype):
    rows, cols = index_grid(e, n)
    return e.cast(e.equal(rows, cols), dtype)


def lower(e, n, dtype, strict: bool):
    """The mask of the lower triangle (below the diagonal only, when `strict`)."""
    rows, cols = index_grid(e, n)
    return e.cast(e.greater(rows, cols) if strict else e.greater_equal(rows, cols), dtype)


def diagonal(e, x):
    """The diagonal of each square matrix of the stack, shape (..., n)."""
    n = x.type.shape[-1]
    return e.sum(e.multiply(x, eye(e, n, x.type.dtype)), axis=(x.type.ndim - 1,))


def as_row(e, v):
    """(..., k) as (..., 1, k): entry [i, j] is v_j."""
    return e.reshaped(v, (*v.type.shape[:-1], 1, v.type.shape[-1]))


def as_column(e, v):
    """(..., k) as (..., k, 1): entry [i, j] is v_i."""
    return e.reshaped(v, (*v.type.shape, 1))


def diag_matrix(e, v):
    n = v.type.shape[-1]
    return e.multiply(as_row(e, v), eye(e, n, v.type.dtype))


def gap_reciprocals(e, row, column):
    """F_ij = 1 / (row_ij - column_ij) off the diagonal and 0 on it, where the difference
    is 0 (it is never 0 elsewhere for distinct eigen/singular values)."""
    n = row.type.shape[-1]
    identity = eye(e, n, row.type.dtype)
    gaps = e.add(e.subtract(row, column), identity)
    return e.divide(e.subtract(e.const(1.0, row.type.dtype), identity), gaps)


def safe_reciprocal(e, s):
    """1 / s, with 0 where s is 0 (a zero singular value adds no correction term)."""
    zero = e.cast(e.equal(s, e.const(0.0, s.type.dtype)), s.type.dtype)
    return e.subtract(e.divide(e.const(1.0, s.type.dtype), e.add(s, zero)), zero)


def project_out(e, basis, x):
    """x - B (B^T x): x without its component in the span of B's orthonormal columns."""
    return e.subtract(x, e.matmul(basis, e.matmul(mT(e, basis), x)))


# With full_matrices, U (V) of a tall (wide) matrix has columns beyond k = min(m, n): an
# orthonormal basis B of the complement, unique only up to a rotation. Its tangent is the
# one with no rotation inside the complement: B^T dB = 0 and U_k^T dB = -dU_k^T B (from
# U_k^T B = 0), so dB = -U_k dU_k^T B. Functions of B that do not depend on that rotation
# (B B^T; B itself when it is one column, up to sign) get their exact derivative.
def split_columns(e, x, k):
    """(x's first k columns, the rest or None when there are none)."""
    *batch, rows, cols = x.type.shape
    if shapes.dims_equal(cols, k):
        return x, None
    start, step = (0,) * x.type.ndim, (1,) * x.type.ndim
    first = e.slice(x, start=start, stop=(*batch, rows, k), step=step)
    rest = e.slice(x, start=(*start[:-1], k), stop=tuple(x.type.shape), step=step)
    return first, rest


def complement_tangent(e, d_k, basis_k, rest):
    """[dX_k, dB] with dB = -X_k dX_k^T B (B, the complement's basis, may be None)."""
    if rest is None:
        return d_k
    d_rest = e.negative(e.matmul(basis_k, e.matmul(mT(e, d_k), rest)))
    return e.concatenate(d_k, d_rest, axis=d_k.type.ndim - 1)


def complement_cotangent(e, ct, basis_k, rest, k):
    """The transpose of _complement_tangent: ct_k - B ct_B^T X_k."""
    if ct is None or rest is None:
        return ct
    ct_k, ct_rest = split_columns(e, ct, k)
    return e.subtract(ct_k, e.matmul(rest, e.matmul(mT(e, ct_rest), basis_k)))


def split_rows(e, x, k):
    """(x's first k rows, the rest or None)."""
    first, rest = split_columns(e, mT(e, x), k)
    return mT(e, first), None if rest is None else mT(e, rest)
