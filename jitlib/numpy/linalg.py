"""matmul (with numpy's 1-D rules), dot and outer; einsum and the other
contractions live in jitlib/numpy/contractions.py."""

import numpy as np

from ir.ops import OPS
from jitlib.errors import ShapeMismatchError
from jitlib.numpy._core import function, promote, refuse
from jitlib.numpy.contractions import dot_nd
from jitlib.numpy.linalg_api import (  # noqa: F401
    matrix_norm,
    tensorinv,
    tensorsolve,
    vector_norm,
)

# numpy.linalg's names live here too, so jitlib.numpy.linalg.solve works as np.linalg.solve
from jitlib.numpy.linalg_decomp import (  # noqa: F401
    eig,
    eigh,
    eigvals,
    eigvalsh,
    lstsq,
    matrix_rank,
    pinv,
    qr,
    svd,
    svdvals,
)
from jitlib.numpy.linalg_norm import cond, norm  # noqa: F401
from jitlib.numpy.linalg_numpy import (  # noqa: F401
    cholesky,
    det,
    inv,
    matrix_power,
    matrix_transpose,
    multi_dot,
    slogdet,
    solve,
    vecdot,
)


@function(np.matmul)
def matmul(x, y, out=None, **kwargs):
    refuse("matmul", {"out=": out is not None} | {f"{keyword}=": True for keyword in kwargs})
    trace_, (x, y), weak = promote(x, y)
    if x.ndim == 0 or y.ndim == 0:
        raise ShapeMismatchError(
            f"matmul: operands must not be scalars, got {x.value.type} and {y.value.type}"
        )
    x2 = np.reshape(x, (1, *x.shape)) if x.ndim == 1 else x
    y2 = np.reshape(y, (*y.shape, 1)) if y.ndim == 1 else y
    result = trace_.bind(OPS["matmul"], x2, y2, weak=weak)
    if x.ndim == 1 or y.ndim == 1:
        shape = result.shape[:-2] + result.shape[-2:][x.ndim == 1 : 2 - (y.ndim == 1)]
        result = np.reshape(result, shape)
    return result


@function(np.dot)
def dot(x, y, out=None):
    refuse("dot", {"out=": out is not None})
    trace_, (x, y), _ = promote(x, y)
    if x.ndim == 0 or y.ndim == 0:
        return np.multiply(x, y)
    if y.ndim > 2 and x.ndim > 1:
        return dot_nd(x, y)  # x's last axis against y's second to last, as einsum
    return matmul(x, y)


@function(np.outer)
def outer(x, y, out=None):
    refuse("outer", {"out=": out is not None})
    return np.multiply(np.ravel(x)[:, None], np.ravel(y)[None, :])
