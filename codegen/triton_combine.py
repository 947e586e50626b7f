"""Combine functions for the reductions of generated Triton kernels (`red.<name>`).

Each works elementwise, for a loop's running accumulator, and as the combiner of
`tl.reduce`, for the final reduction of a block. They follow numpy: a NaN wins max and min,
and argmax/argmin pick the first NaN, else the first of equal extremes.
"""

import triton
import triton.language as tl


@triton.jit
def add(a, b):
    return a + b


@triton.jit
def mul(a, b):
    return a * b


@triton.jit
def max_nan(a, b):
    return tl.where((a > b) | (a != a), a, b)


@triton.jit
def min_nan(a, b):
    return tl.where((a < b) | (a != a), a, b)


@triton.jit
def logical_or(a, b):
    return a | b


@triton.jit
def logical_and(a, b):
    return a & b


@triton.jit
def _first(v1, i1, v2, i2, better):
    """(value, index) of the winner: NaN first, then `better`, then the lower index."""
    nan1 = v1 != v1
    nan2 = v2 != v2
    earlier = i1 < i2
    tie = (v1 == v2) & earlier
    take1 = (nan1 & (~nan2 | earlier)) | (~nan1 & ~nan2 & (better | tie))
    return tl.where(take1, v1, v2), tl.where(take1, i1, i2)


@triton.jit
def argmax(v1, i1, v2, i2):
    return _first(v1, i1, v2, i2, v1 > v2)


@triton.jit
def argmin(v1, i1, v2, i2):
    return _first(v1, i1, v2, i2, v1 < v2)


@triton.jit
def rescale(old, new):
    """exp(old - new), the factor a running sum kept against max `old` takes when the max
    becomes `new`; 1 where they are equal (so -inf against -inf is not NaN)."""
    return tl.where(old == new, 1.0, tl.exp(old - new)).to(old.dtype)


@triton.jit
def welford(n1, mean1, m2_1, n2, mean2, m2_2):
    """Two (count, mean, sum of squared deviations) summaries as one (Chan et al.)."""
    n = n1 + n2
    share = tl.where(n == 0, 0.0, n2 / tl.maximum(n, 1.0)).to(mean1.dtype)
    delta = mean2 - mean1
    return n, mean1 + delta * share, m2_1 + m2_2 + delta * delta * n1 * share
