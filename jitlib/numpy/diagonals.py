"""Diagonals and triangles as composites: diagonal and trace (a gather from the flattened
matrix axes), diag and diagflat (a select against a diagonal mask), tri, identity, vander,
and the index arrays of a triangle (tril_indices, triu_indices and their _from forms)."""

import operator

import numpy as np

from jitlib import inplace
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import canonical_dtype, dims, function, promote, refuse
from jitlib.numpy.creation import arange, eye, zeros
from jitlib.numpy.indexing import _Path
from jitlib.numpy.layout import _axis, reshape
from jitlib.tracer import SymDim, Tracer


def _tracer(x) -> Tracer:
    return promote(x)[1][0]


def _length(n, m, k: int):
    """How many elements the k-th diagonal of an n x m matrix has: max(0, min(n, m - k))
    for k >= 0, max(0, min(n + k, m)) below; comparing sizes records guards."""
    rows, columns = (n, m - k) if k >= 0 else (n + k, m)
    length = rows if rows <= columns else columns
    return length if length > 0 else 0


def diagonal_values(
    x: Tracer, offset: int = 0, axis1: int = 0, axis2: int = 1, read_only: bool = True
) -> Tracer:
    """numpy's diagonal, a view of x: axis1 and axis2 move to the end and merge, and a
    gather picks positions i * (m + 1) + start (start = k above the main diagonal, -k * m
    below), so the diagonal axis comes last as in numpy. np.diagonal's view is read-only;
    einsum's ('ii->i') is writeable, and a write to it scatters into x."""
    if x.ndim < 2:
        raise ShapeMismatchError(f"diagonal needs at least two dimensions, got {x.value.type}")
    a, b = _axis(axis1, x.ndim, "diagonal"), _axis(axis2, x.ndim, "diagonal")
    if a == b:
        raise ShapeMismatchError("diagonal: axis1 and axis2 cannot be the same")
    offset = operator.index(offset)
    rest = [i for i in range(x.ndim) if i not in (a, b)]
    path = _Path(x)
    moved = path.apply("transpose", axes=tuple(rest + [a, b]))
    n, m = moved.shape[-2], moved.shape[-1]
    path.apply("reshape", shape=dims((*moved.shape[:-2], n * m)))
    start = offset if offset >= 0 else -offset * m
    positions = arange(_length(n, m, offset)) * (m + 1) + start
    out = path.apply("take", positions, axis=x.ndim - 2)
    if out.trace is x.trace:  # (a view taken inside a nested trace is a snapshot)
        view = inplace.root(x)
        take = path.steps[-1]
        steps = (*path.steps[:-1], inplace.Step("take", take.params, take.operand, read_only))
        strides = [view.strides[i] for i in rest] + [view.strides[a] + view.strides[b]]
        out.place = inplace.View(view.storage, view.steps + steps, tuple(strides))
    return out


@function(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    return diagonal_values(_tracer(a), offset, axis1, axis2)


@function(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sum of the diagonal, in numpy's sum dtype (int32 and bool sum to int64)."""
    refuse("trace", {"out=": out is not None})
    return np.sum(diagonal_values(_tracer(a), offset, axis1, axis2), axis=-1, dtype=dtype)


def _embed(v: Tracer, k: int) -> Tracer:
    """The square matrix with 1-D v on its k-th diagonal and zeros elsewhere: v, padded to
    the matrix size, broadcast along the rows (k >= 0) or columns (k < 0), then selected
    where column - row == k."""
    size = v.shape[0] + abs(k)
    padded = np.pad(v, (0, abs(k)))
    along = padded[:, None] if k >= 0 else padded[None, :]
    rows, columns = arange(size), arange(size)
    mask = np.equal(columns[None, :] - rows[:, None], k)
    return np.where(mask, along, zeros((), dtype=v.dtype))


@function(np.diag)
def diag(v, k=0):
    v = _tracer(v)
    k = operator.index(k)
    if v.ndim == 1:
        return _embed(v, k)
    if v.ndim == 2:
        return diagonal_values(v, k)
    raise ShapeMismatchError(f"numpy.diag needs a 1-D or 2-D input, got {v.value.type}")


@function(np.diagflat)
def diagflat(v, k=0):
    return _embed(reshape(_tracer(v), (-1,)), operator.index(k))


def _is_size(n) -> bool:
    return isinstance(n, int | np.integer | SymDim) and not isinstance(n, bool)


@function(np.tri)
def tri(N, M=None, k=0, dtype=float, *, like=None):
    """Ones on and below the k-th diagonal of an N x M matrix, of any (symbolic) size."""
    refuse("tri", {"like=": like is not None})
    M = N if M is None else M
    if not (_is_size(N) and _is_size(M)):
        raise UnsupportedError("numpy.tri needs integer sizes (ints or sizes of arrays)")
    rows, columns = arange(N), arange(M)
    below = np.greater_equal(rows[:, None] + operator.index(k), columns[None, :])
    return below.astype(canonical_dtype(dtype, "tri"))


@function(np.identity)
def identity(n, dtype=None, *, like=None):
    refuse("identity", {"like=": like is not None})
    return eye(n, dtype=float if dtype is None else dtype)


@function(np.vander)
def vander(x, N=None, increasing=False):
    """Columns x**0 .. x**(N-1), reversed unless `increasing`, in numpy's dtype (x's
    promoted with int64: float32 gives float64)."""
    x = _tracer(x)
    if x.ndim != 1:
        raise ShapeMismatchError(f"numpy.vander needs a 1-D input, got {x.value.type}")
    x = x.astype(np.promote_types(x.dtype, np.int64))  # numpy's result dtype
    count = x.shape[0] if N is None else N
    powers = np.power(x[:, None], arange(count)[None, :].astype(x.dtype))
    return powers if increasing else np.flip(powers, axis=1)


def _clamp(value, low, high):
    """min(max(value, low), high) of sizes (ints or SymDims; comparisons record guards)."""
    value = low if value < low else value
    return high if value > high else value


def _tril_positions(n, k, m) -> tuple:
    """The rows and columns of the n x m lower triangle (j <= i + k) in row-major order, for
    symbolic sizes: rows -k.. are empty, the next ones grow by one, the last are full.
    Entry t of the growing part lies in row q from its start where
    S(q) = q * c0 + q (q - 1) / 2 <= t < S(q + 1), c0 being its first row's length: the
    root of that quadratic, corrected by one either way for rounding."""
    empty = _clamp(-k, 0, n)
    full = _clamp(m - k - 1, empty, n)  # the first full row
    rows = full - empty
    first = empty + k + 1
    growing = rows * first + rows * (rows - 1) // 2
    t = arange(growing + (n - full) * m)

    def before(q):  # entries of the growing part above its row q
        return q * first + q * (q - 1) // 2

    b = 2 * first - 1
    q = np.floor((np.sqrt(b * b + 8 * t.astype(np.float64)) - b) / 2).astype(np.int64)
    q = np.where(before(q) > t, q - 1, q)
    q = np.where(before(q + 1) <= t, q + 1, q)
    rest = t - growing
    flat_row = rest // m  # (where m = 0 there are no entries at all)
    in_growing = t < growing
    row = np.where(in_growing, empty + q, full + flat_row)
    column = np.where(in_growing, t - before(q), rest - flat_row * m)
    return row, column


@function(np.tril_indices)
def tril_indices(n, k=0, m=None):
    """The indices of the lower triangle; for traced sizes their count is symbolic."""
    return _tril_positions(n, k, n if m is None else m)


@function(np.triu_indices)
def triu_indices(n, k=0, m=None):
    """The upper triangle (j >= i + k) is the lower one of the matrix turned half a turn
    (j' <= i' + m - n - k), listed backwards."""
    m = n if m is None else m
    row, column = _tril_positions(n, m - n - k, m)
    return n - 1 - np.flip(row), m - 1 - np.flip(column)


def _matrix_sizes(arr, name: str) -> tuple:
    x = _tracer(arr)
    if x.ndim != 2:
        raise ShapeMismatchError(f"numpy.{name} needs a 2-D input, got {x.value.type}")
    return x.shape


@function(np.tril_indices_from)
def tril_indices_from(arr, k=0):
    n, m = _matrix_sizes(arr, "tril_indices_from")
    return tril_indices(n, k, m)


@function(np.triu_indices_from)
def triu_indices_from(arr, k=0):
    n, m = _matrix_sizes(arr, "triu_indices_from")
    return triu_indices(n, k, m)
