"""jitlib.numpy: numpy's names, for code that wants to be explicit or must create arrays.

Each function works on numpy arrays (eagerly) and on traced arrays inside `jl.jit`.
The same implementations serve plain `np.*` calls on traced arrays via NEP 13/18.

>>> import numpy as np, jitlib as jl, jitlib.numpy as jnp
>>> jl.jit(lambda x: jnp.zeros_like(x) + jnp.exp(x))(np.zeros(2))
array([1., 1.])
"""

from jitlib.numpy.arrange import (
    atleast_1d,
    atleast_2d,
    diff,
    hstack,
    pad,
    repeat,
    roll,
    split,
    tile,
    tril,
    triu,
    vstack,
)
from jitlib.numpy.creation import (
    arange,
    asarray,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from jitlib.numpy.indexing import take, take_along_axis
from jitlib.numpy.layout import (
    broadcast_arrays,
    broadcast_to,
    concatenate,
    expand_dims,
    flip,
    moveaxis,
    ravel,
    reshape,
    squeeze,
    stack,
    swapaxes,
    transpose,
)
from jitlib.numpy.linalg import dot, einsum, matmul, outer
from jitlib.numpy.metadata import ndim, shape, size
from jitlib.numpy.reductions import (
    all,
    any,
    argmax,
    argmin,
    cumprod,
    cumsum,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from jitlib.numpy.ufuncs import (
    UFUNCS,
    around,
    clip,
    fabs,
    isclose,
    nan_to_num,
    positive,
    square,
    where,
)
from jitlib.numpy.writes import copy, copyto, fill_diagonal, put, put_along_axis

globals().update(UFUNCS)
amax, amin = max, min
array = asarray
true_divide = UFUNCS["divide"]
abs = UFUNCS["absolute"]
mod = UFUNCS["remainder"]
pow = UFUNCS["power"]
bitwise_not = UFUNCS["invert"]
round = around

__all__ = sorted(
    [name for name in UFUNCS]
    + [
        "abs",
        "copy",
        "copyto",
        "fill_diagonal",
        "put",
        "put_along_axis",
        "cumprod",
        "cumsum",
        "around",
        "atleast_1d",
        "atleast_2d",
        "diff",
        "hstack",
        "isclose",
        "nan_to_num",
        "pad",
        "repeat",
        "roll",
        "round",
        "split",
        "tile",
        "tril",
        "triu",
        "vstack",
        "all",
        "amax",
        "amin",
        "any",
        "arange",
        "argmax",
        "argmin",
        "array",
        "asarray",
        "bitwise_not",
        "broadcast_arrays",
        "broadcast_to",
        "clip",
        "concatenate",
        "dot",
        "einsum",
        "empty",
        "empty_like",
        "expand_dims",
        "eye",
        "fabs",
        "flip",
        "full",
        "full_like",
        "matmul",
        "max",
        "mean",
        "min",
        "mod",
        "moveaxis",
        "ndim",
        "ones",
        "ones_like",
        "outer",
        "positive",
        "pow",
        "prod",
        "ravel",
        "reshape",
        "shape",
        "size",
        "square",
        "squeeze",
        "stack",
        "std",
        "sum",
        "swapaxes",
        "take",
        "take_along_axis",
        "transpose",
        "true_divide",
        "var",
        "where",
        "zeros",
        "zeros_like",
    ]
)
