"""numpy.linalg on stacks of matrices: solve, inv, det, slogdet and cholesky (primitives of
ir/ops/linalg_solve.py), matrix_power and multi_dot (matmul chains), and the array-API
names (linalg.matmul, linalg.outer, vecdot, matvec, vecmat, matrix_transpose). Norms and
condition numbers are in linalg_norm.py."""

import operator
from typing import NamedTuple

import numpy as np

from ir.ops import OPS
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import astype, canonical_dtype, dtype_name, function, promote, refuse
from jitlib.numpy.creation import eye
from jitlib.tracer import Tracer


class SlogdetResult(NamedTuple):
    """np.linalg.slogdet's result: the sign of each determinant and log(|det|)."""

    sign: Tracer
    logabsdet: Tracer


def as_linalg_floats(name: str, *xs) -> tuple:
    """(trace, tracers) in the dtype numpy.linalg computes in: the operands' common float
    dtype, float64 for integers and bools; float16 is refused, as numpy refuses it."""
    trace_, tracers, _ = promote(*xs)
    kinds = [np.dtype(dtype_name(x)) for x in tracers]
    if np.float16 in kinds:
        raise UnsupportedError(f"numpy.linalg.{name}: array type float16 is unsupported in linalg")
    # numpy's _commonType: each operand's float dtype, float64 for every integer and bool
    # (so uint8 with float32 is float64, where np.result_type would give float32)
    common = np.result_type(*[k if k.kind == "f" else np.float64 for k in kinds])
    return trace_, [astype(x, canonical_dtype(common)) for x in tracers]


def check_square(name: str, a: Tracer) -> None:
    """numpy's checks: a stack of matrices (at least 2-D), each square."""
    if a.ndim < 2:
        raise ShapeMismatchError(
            f"numpy.linalg.{name}: {a.ndim}-dimensional array given, "
            "array must be at least two-dimensional"
        )
    if a.shape[-1] != a.shape[-2]:
        shape = a.trace.current_type(a.value.type)
        raise ShapeMismatchError(
            f"numpy.linalg.{name}: last 2 dimensions of {shape} must be square"
        )


def _square_floats(name: str, a) -> tuple:
    trace_, (a,) = as_linalg_floats(name, a)
    check_square(name, a)
    return trace_, a


# --- primitives ---------------------------------------------------------------------------
@function(np.linalg.solve)
def solve(a, b):
    """x with a @ x == b; b is a vector (or a stack of them) only when b.ndim == 1, as in
    numpy 2."""
    trace_, (a, b) = as_linalg_floats("solve", a, b)
    check_square("solve", a)
    if b.ndim == 0:
        raise ShapeMismatchError(f"numpy.linalg.solve: b must be at least 1-D, got {b.value.type}")
    vector = b.ndim == 1
    x = trace_.bind(OPS["solve"], a, np.expand_dims(b, -1) if vector else b)
    return x[..., 0] if vector else x


@function(np.linalg.inv)
def inv(a):
    trace_, a = _square_floats("inv", a)
    return trace_.bind(OPS["inv"], a)


@function(np.linalg.det)
def det(a):
    trace_, a = _square_floats("det", a)
    return trace_.bind(OPS["det"], a)


@function(np.linalg.slogdet)
def slogdet(a):
    trace_, a = _square_floats("slogdet", a)
    return SlogdetResult(*trace_.bind(OPS["slogdet"], a))


@function(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """The lower factor L (a = L L^T, read from a's lower triangle); with upper=True, L^T."""
    trace_, a = _square_floats("cholesky", a)
    lower = trace_.bind(OPS["cholesky"], a)
    return matrix_transpose(lower) if upper else lower


# --- matmul chains ------------------------------------------------------------------------
def _static_int(name: str, n) -> int:
    if isinstance(n, Tracer):
        raise UnsupportedError(f"numpy.linalg.{name}: the exponent must be a static int")
    try:
        return operator.index(n)
    except TypeError:
        raise TypeError("exponent must be an integer") from None


@function(np.linalg.matrix_power)
def matrix_power(a, n):
    """a multiplied by itself n times by binary powering (numpy's order of products);
    n = 0 gives identities of a's dtype, negative n powers the inverse."""
    n = _static_int("matrix_power", n)
    trace_, (a,), _ = promote(a)
    check_square("matrix_power", a)
    if n == 0:
        identity = eye(a.shape[-1], dtype=a.value.type.dtype)
        return np.copy(np.broadcast_to(identity, a.shape))
    if n < 0:
        a, n = inv(a), -n
    if n == 1:
        return np.positive(a)
    if n <= 3:
        product = np.matmul(a, a)
        return product if n == 2 else np.matmul(product, a)
    square = result = None
    while n > 0:
        square = a if square is None else np.matmul(square, square)
        n, bit = divmod(n, 2)
        if bit:
            result = square if result is None else np.matmul(result, square)
    return result


def _chain_order(sizes: list) -> dict:
    """numpy's matrix-chain dynamic programme: for each span (i, j) of matrices, the k
    after which the cheapest parenthesisation splits it. `sizes` are the p_0..p_n of
    matrix i being p_i x p_(i+1); comparing symbolic costs records guards."""
    count = len(sizes) - 1
    cost, split = {(i, i): 0 for i in range(count)}, {}
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            for k in range(i, j):
                candidate = cost[i, k] + cost[k + 1, j] + sizes[i] * sizes[k + 1] * sizes[j + 1]
                if (i, j) not in cost or candidate < cost[i, j]:
                    cost[i, j], split[i, j] = candidate, k
    return split


def _chain_product(arrays: list, split: dict, i: int, j: int):
    if i == j:
        return arrays[i]
    k = split[i, j]
    return np.matmul(_chain_product(arrays, split, i, k), _chain_product(arrays, split, k + 1, j))


@function(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """The product of a chain of matrices in the cheapest order; the first may be a row
    vector and the last a column vector (1-D), as in numpy."""
    refuse("linalg.multi_dot", {"out=": out is not None})
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    _, tracers, _ = promote(*arrays)
    first, last = tracers[0].ndim, tracers[-1].ndim
    if len(tracers) == 2:
        return np.dot(tracers[0], tracers[1])
    matrices = list(tracers)
    if first == 1:  # a row vector
        matrices[0] = np.expand_dims(matrices[0], 0)
    if last == 1:  # a column vector
        matrices[-1] = np.expand_dims(matrices[-1], 1)
    for x in matrices:
        if x.ndim != 2:
            raise ShapeMismatchError(
                f"numpy.linalg.multi_dot: {x.ndim}-dimensional array given, array must be 2-D"
            )
    if len(matrices) == 3:  # numpy compares the two orders' costs directly
        (a0, a1b0), (b1c0, c1) = matrices[0].shape, matrices[2].shape
        left_first = a0 * b1c0 * (a1b0 + c1) < a1b0 * c1 * (a0 + b1c0)
        split = {(0, 2): 1 if left_first else 0, (0, 1): 0, (1, 2): 1}
    else:
        sizes = [x.shape[0] for x in matrices] + [matrices[-1].shape[1]]
        split = _chain_order(sizes)
    result = _chain_product(matrices, split, 0, len(matrices) - 1)
    if first == 1 and last == 1:
        return result[0, 0]
    return np.ravel(result) if first == 1 or last == 1 else result


# --- array-API names ----------------------------------------------------------------------
@function(np.linalg.matrix_transpose, np.matrix_transpose)
def matrix_transpose(x, /):
    """Each matrix of the stack transposed (a view, as in numpy)."""
    if np.ndim(x) < 2:
        raise ShapeMismatchError(
            f"matrix_transpose: input array must be at least 2-dimensional, got {np.ndim(x)}"
        )
    return np.swapaxes(x, -1, -2)


@function(np.linalg.matmul)
def linalg_matmul(x1, x2, /):
    return np.matmul(x1, x2)


@function(np.linalg.outer)
def linalg_outer(x1, x2, /):
    if np.ndim(x1) != 1 or np.ndim(x2) != 1:
        raise ShapeMismatchError(
            f"numpy.linalg.outer: input arrays must be one-dimensional, got {np.ndim(x1)}-D "
            f"and {np.ndim(x2)}-D"
        )
    return np.outer(x1, x2)


def _refuse_gufunc(name: str, kwargs: dict) -> None:
    refuse(name, {f"{keyword}=": True for keyword in kwargs})


def _dot_last(x1, x2, axis: int = -1):
    """sum(x1 * x2) along `axis` of each (the gufunc's core axis, which must agree; the
    other axes broadcast). Bools give numpy's any(x1 and x2)."""
    x1, x2 = np.moveaxis(x1, axis, -1), np.moveaxis(x2, axis, -1)
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeMismatchError(
            f"vecdot: core dimensions of {x1.value.type} and {x2.value.type} do not match"
        )
    if x1.value.type.dtype == "bool" and x2.value.type.dtype == "bool":
        return np.any(np.logical_and(x1, x2), axis=-1)
    product = np.multiply(x1, x2)
    # np.sum widens small integers; the gufunc keeps the product's dtype (sums wrap alike)
    return np.sum(product, axis=-1).astype(product.dtype)


@function(np.linalg.vecdot)
def linalg_vecdot(x1, x2, /, *, axis=-1):
    return vecdot(x1, x2, axis=axis)


@function(np.vecdot)
def vecdot(x1, x2, /, *, axis=-1, **kwargs):
    """The dot product of vectors along `axis` (real inputs: no conjugation)."""
    _refuse_gufunc("vecdot", kwargs)
    _, (x1, x2), _ = promote(x1, x2)
    return _dot_last(x1, x2, axis)


@function(np.matvec)
def matvec(x1, x2, /, **kwargs):
    """Each matrix of x1 times the matching vector of x2, stacks broadcasting."""
    _refuse_gufunc("matvec", kwargs)
    _, (x1, x2), _ = promote(x1, x2)
    if x1.ndim < 2 or x2.ndim < 1:
        raise ShapeMismatchError(f"matvec of {x1.value.type} and {x2.value.type}")
    return _dot_last(x1, np.expand_dims(x2, -2))


@function(np.vecmat)
def vecmat(x1, x2, /, **kwargs):
    """Each vector of x1 times the matching matrix of x2, stacks broadcasting."""
    _refuse_gufunc("vecmat", kwargs)
    _, (x1, x2), _ = promote(x1, x2)
    if x1.ndim < 1 or x2.ndim < 2:
        raise ShapeMismatchError(f"vecmat of {x1.value.type} and {x2.value.type}")
    return _dot_last(np.expand_dims(x1, -1), x2, axis=-2)
