"""np.linalg.norm (every vector and matrix order numpy takes for real input) and
np.linalg.cond, as composites of reductions and inv. The orders that need singular values
(2, -2 and 'nuc' on matrices, cond's None, 2 and -2) come from linalg_decomp's SVD."""

import numpy as np

from ir import shapes
from ir.errors import ShapeError
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import function, promote
from jitlib.numpy.linalg_decomp import singular_value_cond, singular_value_norm
from jitlib.numpy.linalg_numpy import as_linalg_floats, check_square, inv
from jitlib.tracer import Tracer

FROBENIUS = (None, "fro", "f")


def _is_one_of(value, choices) -> bool:
    """`value in choices` by ==, as numpy compares ord (2.0 == 2; strings equal only
    strings)."""
    return any(value is choice or (value is not None and value == choice) for choice in choices)


def _normalized(axis: int, ndim: int) -> int:
    try:
        return shapes.normalize_axis(axis, ndim)
    except ShapeError as error:
        raise ShapeMismatchError(f"numpy.linalg.norm: axis {axis}: {error}") from None


def _axes(axis, ndim: int) -> tuple:
    """numpy's `axis` forms: None (every axis), an int, or a tuple of ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, tuple):
        return axis
    try:
        return (int(axis),)
    except TypeError as error:
        raise TypeError("'axis' must be None, an integer or a tuple of integers") from error


# --- vectors ------------------------------------------------------------------------------
def _vector_norm(x: Tracer, ord, axis: tuple, keepdims: bool):
    absolute = np.abs(x)
    if ord == np.inf:
        return np.max(absolute, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(absolute, axis=axis, keepdims=keepdims)
    if ord == 0:  # the count of nonzero entries, in x's float dtype
        return np.sum((x != 0).astype(x.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return np.sum(absolute, axis=axis, keepdims=keepdims)
    if ord is None or ord == 2:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    # the p-norm (sum |x|^p)^(1/p); numpy raises to float(ord) in x's dtype
    total = np.sum(absolute ** float(ord), axis=axis, keepdims=keepdims)
    return total ** (1.0 / float(ord))


# --- matrices -----------------------------------------------------------------------------
def _matrix_norm(x: Tracer, ord, axis: tuple, keepdims: bool):
    row_axis, col_axis = (_normalized(a, x.ndim) for a in axis)
    if row_axis == col_axis:
        raise ValueError("Duplicate axes given.")
    absolute = np.abs(x)
    if _is_one_of(ord, (2, -2, "nuc")):
        result = singular_value_norm(x, ord, row_axis, col_axis)
    elif _is_one_of(ord, (1, -1)):  # the largest (smallest) column sum
        reduce = np.max if ord == 1 else np.min
        after = col_axis - 1 if col_axis > row_axis else col_axis
        result = reduce(np.sum(absolute, axis=row_axis), axis=after)
    elif _is_one_of(ord, (np.inf, -np.inf)):  # the largest (smallest) row sum
        reduce = np.max if ord == np.inf else np.min
        after = row_axis - 1 if row_axis > col_axis else row_axis
        result = reduce(np.sum(absolute, axis=col_axis), axis=after)
    elif _is_one_of(ord, FROBENIUS):
        result = np.sqrt(np.sum(x * x, axis=(row_axis, col_axis)))
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        kept = [1 if i in (row_axis, col_axis) else d for i, d in enumerate(x.shape)]
        result = np.reshape(result, kept)
    return result


@function(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """numpy.linalg.norm: a vector norm along one axis, a matrix norm over two.

    >>> import numpy as np, jitlib as jl
    >>> float(jl.jit(lambda x: np.linalg.norm(x, ord=1))(np.array([3.0, -4.0])))
    7.0
    """
    if isinstance(ord, Tracer) or isinstance(axis, Tracer):
        raise UnsupportedError("numpy.linalg.norm: ord and axis must be static inside @jit")
    _, (x,), _ = promote(x)
    if not np.issubdtype(x.dtype, np.inexact):
        x = x.astype(np.float64)  # as numpy: integers are normed in float64, never overflow
    ndim = x.ndim
    whole = ord is None or (_is_one_of(ord, ("f", "fro")) and ndim == 2) or (ord == 2 and ndim == 1)
    if axis is None and whole:  # numpy's fast path: the 2-norm of every entry
        result = np.sqrt(np.sum(x * x))
        return np.reshape(result, (1,) * ndim) if keepdims else result
    axis = _axes(axis, ndim)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


# --- condition numbers --------------------------------------------------------------------
@function(np.linalg.cond)
def cond(x, p=None):
    """norm(x, p) * norm(inv(x), p) per matrix, for p 'fro', 1, -1, inf, -inf; NaN results
    become inf unless the matrix itself holds a NaN, as numpy does."""
    if isinstance(p, Tracer):
        raise UnsupportedError("numpy.linalg.cond: p must be static inside @jit")
    if p is None or _is_one_of(p, (2, -2)):
        return singular_value_cond(x, p)
    _, (x,) = as_linalg_floats("cond", x)
    if any(shapes.dims_equal(d, 0) for d in x.value.type.shape[-2:]):
        raise np.linalg.LinAlgError("cond is not defined on empty arrays")
    check_square("cond", x)
    matrix = (-2, -1)
    result = norm(x, p, axis=matrix) * norm(inv(x), p, axis=matrix)
    nan_here = np.isnan(result) & ~np.any(np.isnan(x), axis=matrix)
    return np.where(nan_here, np.inf, result).astype(result.dtype)
