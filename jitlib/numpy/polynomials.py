"""numpy's polynomial helpers on traced coefficient arrays (highest power first), with
static degrees: poly, polyadd, polysub, polymul, polyder, polyint, polydiv.

numpy trims leading zero coefficients in some of these (polymul through poly1d, polydiv's
remainder while its head is within 1e-8 of 0): a data-dependent length that jit cannot
follow, so here every degree is the one nonzero leading coefficients give."""

import operator

import numpy as np

from jitlib.errors import UnsupportedError
from jitlib.numpy._core import astype, function, promote
from jitlib.numpy.arrange import atleast_1d, pad
from jitlib.numpy.creation import ones, zeros
from jitlib.numpy.layout import concatenate, reshape


def _length(p) -> int:
    return operator.index(p.shape[0])


def _coefficients(p):
    """p as a 1-d traced array (a scalar is the constant polynomial)."""
    return atleast_1d(promote(p)[1][0])


def _shift_add(a, b, subtract: bool = False):
    """a + b (or a - b) with the shorter one padded with leading zeros."""
    a, b = _coefficients(a), _coefficients(b)
    extra = _length(b) - _length(a)
    if extra > 0:
        a = pad(a, (extra, 0))
    elif extra < 0:
        b = pad(b, (-extra, 0))
    return a - b if subtract else a + b


@function(np.polyadd)
def polyadd(a1, a2):
    return _shift_add(a1, a2)


@function(np.polysub)
def polysub(a1, a2):
    return _shift_add(a1, a2, subtract=True)


def _convolve(a, b):
    """The full convolution, (a * b)[k] = sum_i a[i] b[k - i]: row i of the outer product,
    shifted right by i, summed over i."""
    n, m = _length(a), _length(b)
    if n == 0 or m == 0:
        raise ValueError("polymul of an empty coefficient array")
    rows = a[:, None] * b[None, :]
    total = pad(rows[0], (0, n - 1))
    for i in range(1, n):
        total = total + pad(rows[i], (i, n - 1 - i))
    return total


@function(np.polymul)
def polymul(a1, a2):
    """The product's coefficients: the convolution of the two coefficient arrays."""
    return _convolve(_coefficients(a1), _coefficients(a2))


@function(np.poly)
def poly(seq_of_zeros):
    """The monic polynomial with these roots: prod_k (x - r_k), one convolution with
    [1, -r_k] per root, in the dtype numpy picks (float64 for integers). A square matrix
    (numpy takes its eigenvalues, complex in general) is refused."""
    roots = _coefficients(seq_of_zeros)
    if roots.ndim != 1:
        raise UnsupportedError(
            "numpy.poly of a matrix needs its eigenvalues (complex in general) and is not "
            "supported inside @jit; pass the roots"
        )
    # numpy's mintypecode: float32 and float64 stay, anything else computes in float64
    dtype = roots.dtype if roots.dtype.char in "fd" else np.dtype("float64")
    roots = astype(roots, dtype)
    if _length(roots) == 0:
        return 1.0
    coefficients = ones((1,), dtype=dtype)
    for k in range(_length(roots)):
        # (a * [1, -r])[j] = a[j] - r a[j - 1]
        scaled = -roots[k] * coefficients
        coefficients = pad(coefficients, (0, 1)) + pad(scaled, (1, 0))
    return coefficients


@function(np.polyder)
def polyder(p, m=1):
    """The m-th derivative: d/dx c x^k = k c x^(k-1), m times."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = promote(p)[1][0]
    for _ in range(m):
        n = _length(p) - 1
        p = p[:-1] * np.arange(n, 0, -1)
    return p


@function(np.polyint)
def polyint(p, m=1, k=None):
    """The m-th antiderivative: c x^k -> c x^(k+1) / (k+1), with integration constants
    k (one per order, or one for all), as numpy orders them."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    constants = np.zeros(m, float) if k is None else k
    constants = atleast_1d(promote(constants)[1][0])
    if _length(constants) == 1 and m > 1:
        constants = constants[0] * ones((m,), dtype=float)
    if _length(constants) < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    p = promote(p)[1][0]
    for order in range(m):
        p = concatenate([p / np.arange(_length(p), 0, -1), constants[order : order + 1]])
    return p


@function(np.polydiv)
def polydiv(u, v):
    """Quotient and remainder by long division (numpy's loop: each step divides by v's
    leading coefficient). The remainder has deg(v) coefficients (one if v is constant),
    the length numpy gives when the remainder's leading coefficient is not within 1e-8
    of 0; numpy drops such coefficients, a data-dependent length jit cannot follow."""
    u, v = _coefficients(u) + 0.0, _coefficients(v) + 0.0
    dtype = np.result_type(u.dtype, v.dtype)
    if dtype != np.float64:
        raise UnsupportedError(
            f"numpy.polydiv in {dtype} is not supported inside @jit: numpy keeps or drops the "
            "remainder's leading coefficients by whether their rounding residue is below 1e-8, "
            "which at this precision depends on the data; use float64 coefficients"
        )
    u, v = astype(u, dtype), astype(v, dtype)
    m, n = _length(u) - 1, _length(v) - 1
    scale = 1.0 / v[0]
    quotient, remainder = [], u
    for k in range(m - n + 1):
        d = scale * remainder[k]
        quotient.append(reshape(d, (1,)))
        # remainder[k : k + n + 1] -= d * v
        remainder = remainder - pad(d * v, (k, m - n - k))
    q = concatenate(quotient) if quotient else zeros((1,), dtype=dtype)
    return q, remainder[max(m - n + 1, 0) :] if n > 0 else remainder[-1:]
