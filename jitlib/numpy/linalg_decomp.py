"""numpy.linalg's decompositions and what is built on them: eigh, eigvalsh, svd, svdvals,
qr (the primitives of ir/ops/linalg_decomp.py), pinv, lstsq and matrix_rank as composites,
the 2-norm, -2-norm and nuclear norm of matrices and cond for p in None, 2, -2. eig and
eigvals are refused: a non-symmetric matrix has complex eigenvalues in general.
"""

import numpy as np

from ir import shapes
from ir.ops import OPS
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import as_tracer, function, is_traced, promote, refuse

# numpy's result types (namedtuples, so `w, v = eigh(a)` and `.eigenvalues` both work)
EighResult = np.linalg._linalg.EighResult
SVDResult = np.linalg._linalg.SVDResult
QRResult = np.linalg._linalg.QRResult


def _matrices(name: str, a):
    """(trace, a) with a float32/float64 stack of matrices, as numpy.linalg takes them:
    integers and bools are computed in float64, float16 is refused as numpy refuses it."""
    trace_, (a,), _ = promote(a)
    if a.ndim < 2:
        raise ShapeMismatchError(
            f"numpy.linalg.{name} needs an array of at least 2 dimensions, got {a.value.type}"
        )
    if a.dtype == np.float16:
        raise UnsupportedError(f"numpy.linalg.{name} does not take float16 arrays (numpy neither)")
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    return trace_, a


def _larger_side(trace_, a):
    """max(m, n) of a stack of m x n matrices, traced (sizes stay symbolic)."""
    m, n = (as_tracer(d, trace_) for d in a.shape[-2:])
    return np.maximum(m, n)


def _per_matrix(tolerance):
    """A scalar, or one tolerance per matrix given an axis to broadcast against s."""
    tolerance = tolerance if is_traced(tolerance) else np.asarray(tolerance)
    return tolerance[..., None] if np.ndim(tolerance) else tolerance


def _matrix_transpose(x):
    return np.swapaxes(x, -1, -2)


# --- symmetric eigenproblem ---------------------------------------------------------------
@function(np.linalg.eigh)
def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of each symmetric matrix, read from its
    lower (UPLO='L') or upper triangle, as numpy does.

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(lambda a: np.linalg.eigh(a)[0])(np.diag([2.0, 1.0]))
    array([1., 2.])
    """
    trace_, a = _matrices("eigh", a)
    if UPLO not in ("L", "U"):
        raise UnsupportedError(f"numpy.linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return EighResult(*trace_.bind(OPS["eigh"], a, UPLO=UPLO))


@function(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    return eigh(a, UPLO=UPLO).eigenvalues


def _refuse_eig(name: str):
    raise UnsupportedError(
        f"numpy.linalg.{name} is not supported inside @jit: a non-symmetric real matrix has "
        "complex eigenvalues in general, and jitlib has no complex dtypes; use "
        "numpy.linalg.eigh or eigvalsh for symmetric matrices; eager numpy still works "
        "without @jit"
    )


@function(np.linalg.eig)
def eig(a):
    _refuse_eig("eig")


@function(np.linalg.eigvals)
def eigvals(a):
    _refuse_eig("eigvals")


# --- singular values ------------------------------------------------------------------------
@function(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """U, S, Vh with a = U diag(S) Vh (S descending); S alone with compute_uv=False.

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(lambda a: np.linalg.svd(a, compute_uv=False))(np.diag([1.0, 3.0]))
    array([3., 1.])
    """
    refuse("linalg.svd", {"hermitian=True": bool(hermitian)})
    trace_, a = _matrices("svd", a)
    full = bool(full_matrices) and compute_uv
    u, s, vh = trace_.bind(OPS["svd"], a, full_matrices=full)
    return SVDResult(u, s, vh) if compute_uv else s


@function(np.linalg.svdvals)
def svdvals(x):
    return svd(x, compute_uv=False)


# --- qr -----------------------------------------------------------------------------------
@function(np.linalg.qr)
def qr(a, mode="reduced"):
    """Q, R with a = Q R (mode 'reduced' or 'complete'); R alone with mode='r'."""
    if mode not in ("reduced", "complete", "r"):
        raise UnsupportedError(
            f"numpy.linalg.qr with mode={mode!r} is not supported inside @jit (modes "
            "'reduced', 'complete' and 'r' are); eager numpy still works without @jit"
        )
    trace_, a = _matrices("qr", a)
    m, n = a.shape[-2:]
    # for m <= n the complete factors are the reduced ones (and keep their derivative)
    primitive_mode = "complete" if mode == "complete" and m > n else "reduced"
    q, r = trace_.bind(OPS["qr"], a, mode=primitive_mode)
    return r if mode == "r" else QRResult(q, r)


# --- built on the SVD -----------------------------------------------------------------------
def _reciprocals_above(s, cutoff):
    """1 / s where s > cutoff, else 0 (the inner where keeps 1 / 0 out of gradients)."""
    large = s > cutoff
    return np.where(large, 1.0 / np.where(large, s, 1.0), 0.0).astype(s.dtype)


@function(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    """The Moore-Penrose pseudo-inverse V diag(1/s) U^T, singular values at most
    rcond * max(s) counted as zero (numpy's defaults for rcond and rtol)."""
    refuse("linalg.pinv", {"hermitian=True": bool(hermitian)})
    if rcond is not None and rtol is not np._NoValue:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    trace_, a = _matrices("pinv", a)
    if rcond is None:
        rcond = 1e-15 if rtol is np._NoValue else rtol
    if rcond is None:  # rtol=None: numpy's size-scaled default
        rcond = _larger_side(trace_, a) * np.finfo(a.dtype).eps
    u, s, vh = svd(a, full_matrices=False)
    cutoff = _per_matrix(rcond) * np.max(s, axis=-1, keepdims=True)
    s_inv = _reciprocals_above(s, cutoff)
    return np.matmul(_matrix_transpose(vh), s_inv[..., None] * _matrix_transpose(u))


@function(np.linalg.matrix_rank)
def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """The number of singular values above tol (default: max(s) * max(m, n) * eps)."""
    refuse("linalg.matrix_rank", {"hermitian=True": bool(hermitian)})
    trace_, (A,), _ = promote(A)
    if A.ndim < 2:  # a vector has rank 1 unless it is all zeros
        return np.any(A != 0).astype(np.int64)
    s = svdvals(A)
    if tol is None:
        if rtol is None:
            rtol = _larger_side(trace_, A) * np.finfo(s.dtype).eps
        tol = np.max(s, axis=-1, keepdims=True) * _per_matrix(rtol)
    else:
        tol = _per_matrix(tol)
    return np.count_nonzero(s > tol, axis=-1)


@function(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """numpy's least-squares solution, residuals, rank and singular values of a (2-D),
    computed in float64 as numpy does and through the SVD. For m > n the residuals have
    one entry per column of b when a has full rank and none otherwise: a shape that
    depends on the data, which jit refuses (x = np.linalg.pinv(a) @ b works there)."""
    trace_, a = _matrices("lstsq", a)
    _, (b,), _ = promote(b)
    if a.ndim != 2 or b.ndim not in (1, 2):
        raise ShapeMismatchError(
            f"numpy.linalg.lstsq takes a 2-D a and a 1-D or 2-D b, got {a.value.type} "
            f"and {b.value.type}"
        )
    m, n = a.shape
    if m > n:
        raise UnsupportedError(
            "numpy.linalg.lstsq of a tall matrix (m > n) inside @jit: its residuals are "
            "empty or not depending on the rank, a data-dependent shape; use "
            "np.linalg.pinv(a) @ b for the solution and compute the residuals from it"
        )
    result_dtype = np.result_type(a.dtype, b.dtype)
    if rcond is None:
        rcond = np.finfo(np.float64).eps * _larger_side(trace_, a)
    u, s, vh = svd(a.astype(np.float64), full_matrices=False)
    s_inv = _reciprocals_above(s, rcond * np.max(s, axis=-1, keepdims=True))
    rhs = b.astype(np.float64)
    x = np.matmul(_matrix_transpose(vh), (s_inv[:, None] if b.ndim == 2 else s_inv) * (u.T @ rhs))
    rank = np.count_nonzero(s_inv).astype(np.int32)
    residuals = np.zeros((0,), dtype=result_dtype)
    return x.astype(result_dtype), residuals, rank, s.astype(result_dtype)


# --- norms and condition numbers (jitlib/numpy/linalg_norm.py's norm and cond call these) -
def singular_value_norm(x, ord, row_axis: int, col_axis: int):
    """norm(x, ord, axis=(row_axis, col_axis)) for ord 2 (the largest singular value), -2
    (the smallest) and 'nuc' (their sum), over the matrices spanned by the two axes."""
    s = svdvals(np.moveaxis(x, (row_axis, col_axis), (-2, -1)))
    reduce = {2: np.max, -2: np.min, "nuc": np.sum}[ord]
    return reduce(s, axis=-1)


def singular_value_cond(x, p):
    """cond(x, p) for p None or 2 (the largest over the smallest singular value) and -2
    (the inverse); NaN (0 / 0) becomes inf unless the matrix holds a NaN, as numpy does."""
    _, x = _matrices("cond", x)
    if any(shapes.dims_equal(d, 0) for d in x.value.type.shape[-2:]):
        raise np.linalg.LinAlgError("cond is not defined on empty arrays")
    s = svdvals(x)
    ratio = s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
    nan_here = np.isnan(ratio) & ~np.any(np.isnan(x), axis=(-2, -1))
    return np.where(nan_here, np.inf, ratio).astype(ratio.dtype)
