"""np.shape, np.ndim and np.size of traced arrays: sizes come back symbolic (SymDim) where
the array's are, as `x.shape` does, so they take part in arithmetic without a guard."""

import numpy as np

from ir import shapes
from ir.errors import ShapeError
from jitlib.errors import ShapeMismatchError
from jitlib.numpy._core import as_tracer, function, trace_of


@function(np.shape)
def shape(x) -> tuple:
    """x.shape.

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(lambda x: np.zeros(np.shape(x)) + x)(np.array([1.0, 2.0]))
    array([1., 2.])
    """
    return as_tracer(x, trace_of(x)).shape


@function(np.ndim)
def ndim(x) -> int:
    """x.ndim.

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(lambda x: x * np.ndim(x))(np.ones((2, 2)))
    array([[2., 2.],
           [2., 2.]])
    """
    return as_tracer(x, trace_of(x)).ndim


@function(np.size)
def size(x, axis=None):
    """The number of elements of x, or along `axis` (an int or a tuple of ints).

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(lambda x: x / np.size(x, axis=1))(np.ones((2, 4)))
    array([[0.25, 0.25, 0.25, 0.25],
           [0.25, 0.25, 0.25, 0.25]])
    """
    x = as_tracer(x, trace_of(x))
    try:
        axes = shapes.normalize_axes(axis, x.ndim)
    except ShapeError as error:
        raise ShapeMismatchError(f"size: {error}") from None
    total = 1
    for i in axes:
        total = x.shape[i] * total
    return total
