"""numpy.linalg's array-API names (cross, diagonal, trace, tensordot, matrix_norm,
vector_norm), which fix numpy's arguments to the last axes, and tensorinv/tensorsolve, an inv
or a solve of the array seen as a matrix. Each is a composite of jitlib's numpy functions."""

import math

import numpy as np

from jitlib.errors import ShapeMismatchError
from jitlib.numpy._core import function
from jitlib.numpy.contractions import cross, tensordot
from jitlib.numpy.diagonals import diagonal, trace
from jitlib.numpy.linalg_norm import norm
from jitlib.numpy.linalg_numpy import inv, solve


@function(np.linalg.cross)
def linalg_cross(x1, x2, /, *, axis=-1):
    if np.shape(x1)[axis] != 3 or np.shape(x2)[axis] != 3:
        raise ShapeMismatchError(
            "numpy.linalg.cross: both inputs must be 3-vectors along the axis, got "
            f"{np.shape(x1)} and {np.shape(x2)}"
        )
    return cross(x1, x2, axis=axis)


@function(np.linalg.diagonal)
def linalg_diagonal(x, /, *, offset=0):
    return diagonal(x, offset, axis1=-2, axis2=-1)


@function(np.linalg.trace)
def linalg_trace(x, /, *, offset=0, dtype=None):
    return trace(x, offset, axis1=-2, axis2=-1, dtype=dtype)


@function(np.linalg.tensordot)
def linalg_tensordot(x1, x2, /, *, axes=2):
    return tensordot(x1, x2, axes=axes)


@function(np.linalg.matrix_norm)
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


@function(np.linalg.vector_norm)
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The norm of the elements along `axis` (all of them for None) seen as one vector: the
    axes move to the end and merge into one."""
    ndim = np.ndim(x)
    axes = tuple(range(ndim)) if axis is None else (axis,) if np.ndim(axis) == 0 else axis
    axes = tuple(sorted(a % ndim for a in axes))
    kept = [a for a in range(ndim) if a not in axes]
    moved = np.transpose(x, kept + list(axes))
    shape = np.shape(moved)
    merged = np.reshape(moved, (*shape[: len(kept)], -1))
    result = norm(merged, ord=ord, axis=-1)
    if keepdims:
        result = np.reshape(result, [1 if a in axes else np.shape(x)[a] for a in range(ndim)])
    return result


@function(np.linalg.tensorinv)
def tensorinv(a, ind=2):
    """The inverse of `a` seen as a (prod(shape[:ind]), prod(shape[ind:])) matrix, shaped
    shape[ind:] + shape[:ind]."""
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    shape = np.shape(a)
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise ShapeMismatchError(
            f"numpy.linalg.tensorinv: a of shape {shape} is not square as a ({rows}, {cols}) matrix"
        )
    return np.reshape(inv(np.reshape(a, (rows, cols))), (*shape[ind:], *shape[:ind]))


@function(np.linalg.tensorsolve)
def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) == b: a solve of `a` seen as a square matrix with b's
    elements for rows (the `axes` of a move to the end first), as numpy reshapes it."""
    ndim = np.ndim(a)
    if axes is not None:
        moved = [k % ndim for k in axes]
        a = np.transpose(a, [k for k in range(ndim) if k not in moved] + moved)
    solution = np.shape(a)[-(ndim - np.ndim(b)) :]
    size = math.prod(solution)
    if math.prod(np.shape(a)) != size * size:
        raise ShapeMismatchError(
            f"numpy.linalg.tensorsolve: a of shape {np.shape(a)} and b of shape {np.shape(b)} "
            "do not make a square system"
        )
    flat = solve(np.reshape(a, (size, size)), np.reshape(b, (size,)))
    return np.reshape(flat, solution)
