"""Dense linear algebra on stacks of square matrices (the last two axes), each a call of
numpy.linalg: `solve`, `inv`, `det`, `slogdet` and `cholesky`. Inputs are float32 or
float64 (jitlib.numpy converts integers first); the rules are the standard matrix
derivatives (Giles, "Collected matrix derivative results", and Murray 2016 for Cholesky).
"""

import numpy as np

from ir import shapes
from ir.core import Type
from ir.errors import ShapeError
from ir.ops import matrix, rules
from ir.ops.table import Op

FLOAT_DTYPES = ("float32", "float64")


# --- shape rules --------------------------------------------------------------------------
def _check_square(name: str, a: Type) -> None:
    if a.ndim < 2 or not shapes.dims_equal(a.shape[-1], a.shape[-2]):
        raise ShapeError(f"{name} needs square matrices in the last two axes, got {a}")
    if a.dtype not in FLOAT_DTYPES:
        raise ShapeError(f"{name} primitive takes float32 or float64 matrices, got {a}")


def _square_shape(name: str):
    def rule(a: Type) -> Type:
        _check_square(name, a)
        return a

    return rule


def _det_shape(a: Type) -> Type:
    _check_square("det", a)
    return Type(a.dtype, a.shape[:-2])


def _slogdet_shape(a: Type) -> tuple:
    _check_square("slogdet", a)
    return Type(a.dtype, a.shape[:-2]), Type(a.dtype, a.shape[:-2])


def _solve_shape(a: Type, b: Type) -> Type:
    """a (..., n, n) and b (..., n, k), whose stack axes broadcast: numpy 2's matrix form
    (jitlib.numpy makes a vector b a one-column matrix)."""
    _check_square("solve", a)
    if b.ndim < 2 or not shapes.dims_equal(a.shape[-1], b.shape[-2]):
        raise ShapeError(f"solve: {b} is not a stack of matrices with {a.shape[-1]} rows")
    if a.dtype != b.dtype:
        raise ShapeError(f"solve primitive needs a and b of one dtype, got {a} and {b}")
    try:
        batch = shapes.broadcast(a.shape[:-2], b.shape[:-2])
    except ShapeError as error:
        raise ShapeError(f"solve: stack axes of {a} and {b}: {error}") from error
    return Type(a.dtype, batch + b.shape[-2:])


# --- helpers for the rules ----------------------------------------------------------------
def _matrix_shaped(e, x, ndim: int):
    """A per-matrix scalar (shape `...`) with two size-1 axes appended, to scale matrices."""
    return e.reshaped(x, x.type.shape + (1,) * ndim)


def _trace_of_product(e, x, y):
    """tr(x^T y) per matrix: the sum of the elementwise product over the last two axes."""
    last = x.type.ndim
    return e.sum(e.multiply(x, y), axis=(last - 2, last - 1))


def _inverse_transposed(e, a):
    """A^-T, the gradient of log|det A| (computed by one inv)."""
    return matrix.mT(e, e.inv(a))


# --- solve: X = A^-1 B --------------------------------------------------------------------
def _solve_jvp(e, primals, tangents, outs):
    # dX = A^-1 (dB - dA X)
    (a, _), (ta, tb), (x,) = primals, tangents, outs
    rhs = e.add_all([tb, None if ta is None else e.negative(e.matmul(ta, x))])
    return e.solve(a, e.expand(rhs, x.type.shape))


def _solve_vjp(e, cts, primals, outs):
    # ct_B = A^-T ct, ct_A = -ct_B X^T, each summed over the stack axes it was broadcast on
    (ct,), (a, b), (x,) = cts, primals, outs
    ct_b = e.solve(matrix.mT(e, a), ct)
    ct_a = e.negative(e.matmul(ct_b, matrix.mT(e, x)))
    return e.sum_to(ct_a, a.type), e.sum_to(ct_b, b.type)


# --- inv: X = A^-1 ------------------------------------------------------------------------
def _inv_jvp(e, primals, tangents, outs):
    # d(A^-1) = -A^-1 dA A^-1
    (t,), (x,) = tangents, outs
    return e.negative(e.matmul(e.matmul(x, t), x))


def _inv_vjp(e, cts, primals, outs):
    # the transpose of the JVP: ct_A = -X^T ct X^T
    (ct,), (x,) = cts, outs
    x_t = matrix.mT(e, x)
    return (e.negative(e.matmul(e.matmul(x_t, ct), x_t)),)


# --- det and slogdet ----------------------------------------------------------------------
def _det_jvp(e, primals, tangents, outs):
    # Jacobi's formula: d det A = det A tr(A^-1 dA)
    (a,), (t,), (det,) = primals, tangents, outs
    return e.multiply(det, _trace_of_product(e, _inverse_transposed(e, a), t))


def _det_vjp(e, cts, primals, outs):
    # ct_A = ct det A A^-T
    (ct,), (a,), (det,) = cts, primals, outs
    scale = _matrix_shaped(e, e.multiply(ct, det), 2)
    return (e.multiply(scale, _inverse_transposed(e, a)),)


def _slogdet_jvp(e, primals, tangents, outs):
    # d log|det A| = tr(A^-1 dA); the sign is piecewise constant (no tangent)
    (a,), (t,) = primals, tangents
    return None, _trace_of_product(e, _inverse_transposed(e, a), t)


def _slogdet_vjp(e, cts, primals, outs):
    # ct_A = ct_logabsdet A^-T (a cotangent of the sign contributes nothing)
    (_, ct), (a,) = cts, primals
    if ct is None:
        return (None,)
    return (e.multiply(_matrix_shaped(e, ct, 2), _inverse_transposed(e, a)),)


# --- cholesky: A = L L^T ------------------------------------------------------------------
def _symmetrized(e, x):
    """(x + x^T) / 2: numpy reads only A's lower triangle, so the rules take the derivative
    along symmetric directions, as autograd and JAX do."""
    half = e.const(0.5, x.type.dtype)
    return e.multiply(e.add(x, matrix.mT(e, x)), half)


def _phi(e, x):
    """Phi(x): the lower triangle of each matrix with its diagonal halved."""
    n = x.type.shape[-1]
    rows = e.reshaped(e.iota(length=n, dtype="int64"), (n, 1))
    cols = e.reshaped(e.iota(length=n, dtype="int64"), (1, n))
    below = e.cast(e.greater(rows, cols), x.type.dtype)
    diagonal = e.multiply(e.cast(e.equal(rows, cols), x.type.dtype), e.const(0.5, x.type.dtype))
    return e.multiply(x, e.add(below, diagonal))


def _cholesky_jvp(e, primals, tangents, outs):
    # dL = L Phi(L^-1 dA L^-T) for symmetric dA (Murray 2016, eq. 9)
    (t,), (lower,) = tangents, outs
    left = e.solve(lower, _symmetrized(e, t))  # L^-1 dA
    inner = matrix.mT(e, e.solve(lower, matrix.mT(e, left)))  # (L^-1 (L^-1 dA)^T)^T = L^-1 dA L^-T
    return e.matmul(lower, _phi(e, inner))


def _cholesky_vjp(e, cts, primals, outs):
    # the transpose of the JVP: ct_A = sym(L^-T Phi(L^T ct) L^-1)
    (ct,), (lower,) = cts, outs
    lower_t = matrix.mT(e, lower)
    inner = _phi(e, e.matmul(lower_t, ct))
    right = e.solve(lower_t, inner)  # L^-T Phi
    return (_symmetrized(e, matrix.mT(e, e.solve(lower_t, matrix.mT(e, right)))),)


# --- batching -----------------------------------------------------------------------------
def _solve_batch(e, args, batched, size):
    """Stack axes broadcast as elementwise operands do: size-1 axes after a batch axis
    line the two operands' stacks up."""
    return rules.elementwise_batch(e, args, batched, size)


OPS = [
    Op(
        name="solve",
        shape=_solve_shape,
        impl=np.linalg.solve,
        jvp=_solve_jvp,
        vjp=_solve_vjp,
        batch=_solve_batch,
        tags=frozenset({"linalg"}),
    ),
    Op(
        name="inv",
        shape=_square_shape("inv"),
        impl=np.linalg.inv,
        jvp=_inv_jvp,
        vjp=_inv_vjp,
        batch=matrix.stack_batch,
        tags=frozenset({"linalg"}),
    ),
    Op(
        name="det",
        shape=_det_shape,
        impl=np.linalg.det,
        jvp=_det_jvp,
        vjp=_det_vjp,
        batch=matrix.stack_batch,
        tags=frozenset({"linalg"}),
    ),
    Op(
        name="slogdet",
        shape=_slogdet_shape,
        impl=np.linalg.slogdet,
        jvp=_slogdet_jvp,
        vjp=_slogdet_vjp,
        batch=matrix.stack_batch,
        tags=frozenset({"linalg"}),
    ),
    Op(
        name="cholesky",
        shape=_square_shape("cholesky"),
        impl=np.linalg.cholesky,
        jvp=_cholesky_jvp,
        vjp=_cholesky_vjp,
        batch=matrix.stack_batch,
        tags=frozenset({"linalg"}),
    ),
]
