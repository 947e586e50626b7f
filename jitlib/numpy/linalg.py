"""matmul (with numpy's 1-D rules), dot, outer, and einsum as a composite of matmuls."""

import numpy as np

from ir import shapes
from ir.ops import OPS
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import function, promote, refuse
from jitlib.numpy.layout import transpose
from jitlib.tracer import Tracer


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
        raise UnsupportedError(
            f"numpy.dot of {x.value.type} and {y.value.type} (N-D by N-D) is not supported "
            "inside @jit; use np.matmul or np.einsum"
        )
    return matmul(x, y)


@function(np.outer)
def outer(x, y, out=None):
    refuse("outer", {"out=": out is not None})
    return np.multiply(np.ravel(x)[:, None], np.ravel(y)[None, :])


def _parse(spec: str, count: int) -> tuple:
    spec = spec.replace(" ", "")
    if "." in spec:
        raise UnsupportedError(f"einsum '{spec}': ellipsis is not supported inside @jit")
    inputs, _, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != count:
        raise ShapeMismatchError(f"einsum '{spec}' names {len(terms)} operands, got {count}")
    if "->" not in spec:
        letters = "".join(terms)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for term in terms:
        if len(set(term)) != len(term):
            raise UnsupportedError(f"einsum '{spec}': repeated index in one operand (diagonal)")
    return terms, output


def _sum_private(x: Tracer, term: str, needed: set) -> tuple:
    """Sum out the letters of `term` that nothing else needs."""
    drop = tuple(i for i, c in enumerate(term) if c not in needed)
    if drop:
        x = x.trace.bind(OPS["sum"], x, axis=drop)
        term = "".join(c for c in term if c in needed)
    return x, term


def _contract(x: Tracer, xs: str, y: Tracer, ys: str, keep: set) -> tuple:
    """x (letters xs) times y (letters ys), summing shared letters not in `keep`, as one
    batched matmul: (batch, x_free, shared) @ (batch, shared, y_free)."""
    batch = [c for c in xs if c in ys and c in keep]
    shared = [c for c in xs if c in ys and c not in keep]
    x_free = [c for c in xs if c not in ys]
    y_free = [c for c in ys if c not in xs]
    x = transpose(x, [xs.index(c) for c in batch + x_free + shared])
    y = transpose(y, [ys.index(c) for c in batch + shared + y_free])
    size = {c: d for c, d in zip(batch + x_free + shared, x.value.type.shape)}
    size.update({c: d for c, d in zip(batch + shared + y_free, y.value.type.shape)})
    group = [size[c] for c in batch]
    x = x.trace.bind(OPS["reshape"], x, shape=(*group, _prod(size, x_free), _prod(size, shared)))
    y = y.trace.bind(OPS["reshape"], y, shape=(*group, _prod(size, shared), _prod(size, y_free)))
    out = x.trace.bind(OPS["matmul"], x, y)
    shape = (*group, *[size[c] for c in x_free], *[size[c] for c in y_free])
    return out.trace.bind(OPS["reshape"], out, shape=shape), "".join(batch + x_free + y_free)


def _prod(size: dict, letters: list):
    return shapes.size([size[c] for c in letters])


def _broadcast_letters(spec: str, terms: list, tracers: list) -> list:
    """The operands with each letter's size-1 axes broadcast to its size elsewhere, as
    numpy does; a letter with two other sizes is an error naming both operands."""
    size, seen = {}, {}
    for i, (term, x) in enumerate(zip(terms, tracers)):
        current = x.trace.current_type(x.value.type)
        for letter, dim, now in zip(term, x.value.type.shape, current.shape):
            if shapes.is_one(dim):
                continue
            if letter in size and not shapes.dims_equal(size[letter], dim):
                raise ShapeMismatchError(
                    f"einsum '{spec}': index '{letter}' is {seen[letter]} and {now} in "
                    f"operand {i} ({current})"
                )
            size[letter] = dim
            seen[letter] = seen.get(letter, f"{now} in operand {i} ({current})")
    out = []
    for term, x in zip(terms, tracers):
        shape = tuple(size.get(letter, 1) for letter in term)
        same = shapes.equal(shape, x.value.type.shape)
        out.append(x if same else x.trace.bind(OPS["broadcast_to"], x, shape=shape))
    return out


@function(np.einsum)
def einsum(spec, *operands, optimize=False, out=None):
    if not isinstance(spec, str):
        raise UnsupportedError("numpy.einsum with interleaved operand lists is not supported")
    refuse("einsum", {"out=": out is not None})
    trace_, tracers, _ = promote(*operands)
    terms, output = _parse(spec, len(tracers))
    for term, x in zip(terms, tracers):
        if len(term) != x.ndim:
            raise ShapeMismatchError(f"einsum '{spec}': '{term}' for an operand {x.value.type}")
    tracers = _broadcast_letters(spec, terms, tracers)
    pending = list(zip(tracers, terms))
    x, xs = pending.pop(0)
    needed = set(output) | {c for _, t in pending for c in t}
    x, xs = _sum_private(x, xs, needed)
    while pending:
        y, ys = pending.pop(0)
        keep = set(output) | {c for _, t in pending for c in t}
        y, ys = _sum_private(y, ys, keep | set(xs))
        x, xs = _contract(x, xs, y, ys, keep)
    return transpose(x, [xs.index(c) for c in output]) if xs != output else x


@function(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """The 2-norm (Frobenius for a matrix with axis=None): sqrt(sum(x * x))."""
    if ord not in (None, 2, "fro") or (ord == 2 and (axis is None or not isinstance(axis, int))):
        raise UnsupportedError(f"numpy.linalg.norm with ord={ord!r} is not supported inside @jit")
    trace_, (x,), _ = promote(x)
    if not np.issubdtype(x.dtype, np.inexact):
        x = x.astype(np.float64)  # as numpy: integers are normed in float64, never overflow
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
