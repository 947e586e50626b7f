"""np.einsum as pairwise batched matmuls (ellipses, repeated indices as diagonals, numpy's
contraction order), np.einsum_path, and the contractions built on einsum: tensordot,
inner, vdot and N-D dot; plus kron and cross, which are elementwise products."""

import operator
import string

import numpy as np

from ir import shapes
from ir.ops import OPS
from jitlib import inplace
from jitlib.errors import ShapeMismatchError, UnsupportedError
from jitlib.numpy._core import astype, function, promote, refuse, same_dtype
from jitlib.numpy.diagonals import diagonal_values
from jitlib.numpy.layout import _axis, moveaxis, reshape, transpose
from jitlib.tracer import Tracer

_OPTIMIZE = (False, True, "greedy", "optimal")


# --- parsing ------------------------------------------------------------------------------
def _from_sublists(args: tuple) -> tuple:
    """numpy's interleaved form einsum(x, [0, 1], y, [1, 2], [0, 2]) as a subscript string
    and the operands (sublist entries are ints below 52, or Ellipsis)."""

    def letters(sublist) -> str:
        return "".join("..." if s is Ellipsis else string.ascii_letters[s] for s in sublist)

    pairs, output = (args[:-1], args[-1]) if len(args) % 2 else (args, None)
    operands, sublists = pairs[0::2], pairs[1::2]
    spec = ",".join(letters(s) for s in sublists)
    return (spec if output is None else f"{spec}->{letters(output)}"), operands


def _expand_ellipsis(spec: str, terms: list, output: str | None, ranks: list) -> tuple:
    """Terms and output with `...` replaced by letters of their own, right-aligned as the
    dims broadcast; implicit output is the ellipsis then the letters used once, sorted."""
    spare = [c for c in string.ascii_letters if c not in spec]
    widths = []
    for term, rank in zip(terms, ranks):
        named = len(term.replace("...", ""))
        if ("..." in term and named > rank) or ("..." not in term and named != rank):
            raise ShapeMismatchError(f"einsum '{spec}': '{term}' for an operand of rank {rank}")
        widths.append(rank - named if "..." in term else 0)
    extra = "".join(spare[: max(widths, default=0)])
    terms = [t.replace("...", extra[len(extra) - w :]) for t, w in zip(terms, widths)]
    if output is None:
        letters = "".join(terms)
        singles = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in extra)
        return terms, extra + "".join(singles)
    if "..." not in output and extra:
        raise ShapeMismatchError(
            f"einsum '{spec}': the operands have dims for '...' but the output has no '...'"
        )
    return terms, output.replace("...", extra)


def _parse(spec: str, ranks: list) -> tuple:
    spec = spec.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ranks):
        raise ShapeMismatchError(f"einsum '{spec}' names {len(terms)} operands, got {len(ranks)}")
    allowed = set(string.ascii_letters)
    for term in terms + [output]:
        if not set(term.replace("...", "")) <= allowed:
            raise ShapeMismatchError(f"einsum '{spec}': invalid subscript in '{term}'")
    terms, output = _expand_ellipsis(spec, terms, output if arrow else None, ranks)
    if len(set(output)) != len(output) or not set(output) <= set("".join(terms)):
        raise ShapeMismatchError(f"einsum '{spec}': output '{output}' repeats or invents a letter")
    return terms, output


# --- one operand --------------------------------------------------------------------------
def _distinct(spec: str, x: Tracer, term: str) -> tuple:
    """x with each repeated letter's axes replaced by their diagonal (numpy's 'ii->i');
    the diagonal's axis goes last, as np.diagonal puts it."""
    while len(set(term)) != len(term):
        letter = next(c for c in term if term.count(c) > 1)
        first = term.index(letter)
        second = term.index(letter, first + 1)
        a, b = x.value.type.shape[first], x.value.type.shape[second]
        if not shapes.dims_equal(a, b):
            current = x.trace.current_type(x.value.type)
            raise ShapeMismatchError(
                f"einsum '{spec}': repeated index '{letter}' spans axes of different "
                f"sizes in operand {current}"
            )
        x = diagonal_values(x, 0, first, second, read_only=False)  # numpy's is writeable
        term = "".join(c for i, c in enumerate(term) if i not in (first, second)) + letter
    return x, term


def _sum_private(x: Tracer, term: str, needed: set) -> tuple:
    """Sum out the letters of `term` that nothing else needs, in x's dtype as einsum does
    (int32 wraps the same summed in int64 then cast; a bool sum is any: count != 0)."""
    drop = tuple(i for i, c in enumerate(term) if c not in needed)
    if drop:
        total = x.trace.bind(OPS["sum"], x, axis=drop)
        x = astype(total, x.value.type.dtype)
        term = "".join(c for c in term if c in needed)
    return x, term


def _prod(size: dict, letters: list):
    return shapes.size([size[c] for c in letters])


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


# --- the order of the contractions --------------------------------------------------------
def _stand_ins(tracers: list) -> list:
    """Zero-memory arrays of the operands' current sizes, for numpy's path search."""
    return [
        np.broadcast_to(np.empty((), np.float64), x.trace.current_type(x.value.type).shape)
        for x in tracers
    ]


def _path(spec: str, tracers: list, optimize) -> list:
    """numpy's pairwise contraction order (its 'greedy' or 'optimal' search on the current
    sizes; the result does not depend on it beyond rounding, so no guard is recorded)."""
    if isinstance(optimize, list | tuple) and optimize and optimize[0] == "einsum_path":
        return [tuple(step) for step in optimize[1:]]
    if len(tracers) == 1:
        return [(0,)]
    mode = "optimal" if optimize == "optimal" else "greedy"
    return list(np.einsum_path(spec, *_stand_ins(tracers), optimize=mode)[0][1:])


def _contract_all(pending: list, output: str, path: list) -> tuple:
    """Follow `path` (numpy's: each step names operands of the current list, which leave
    it; their product joins the end), summing letters as soon as nothing else needs them."""
    for step in path:
        chosen = [pending[i] for i in step]
        pending = [p for i, p in enumerate(pending) if i not in step]
        keep = set(output) | {c for _, term in pending for c in term}
        x, xs = chosen[0]
        for y, ys in chosen[1:]:
            x, xs = _sum_private(x, xs, keep | set(ys))
            y, ys = _sum_private(y, ys, keep | set(xs))
            x, xs = _contract(x, xs, y, ys, keep)
        pending.append(_sum_private(x, xs, keep))
    if len(pending) != 1:
        raise ShapeMismatchError(f"einsum: the path {path} leaves {len(pending)} operands")
    return pending[0]


@function(np.einsum)
def einsum(*operands, optimize=False, out=None, dtype=None, order="K", casting="safe"):
    """numpy's einsum: repeated letters in one operand take its diagonal, `...` broadcasts,
    and several operands contract pairwise, in numpy's order, as batched matmuls.

    >>> import numpy as np, jitlib as jl
    >>> f = jl.jit(lambda x, y: np.einsum("...ij,...jk->...ik", x, y))
    >>> f(np.ones((2, 1, 3)), np.ones((3, 2))).shape
    (2, 1, 2)
    """
    refuse("einsum", {"out=": out is not None, "dtype=": dtype is not None})
    refuse("einsum", {f"order={order!r}": order != "K", f"casting={casting!r}": casting != "safe"})
    if not (optimize in _OPTIMIZE or isinstance(optimize, list | tuple)):
        raise UnsupportedError(f"numpy.einsum with optimize={optimize!r} is not supported")
    spec, operands = (
        (operands[0], operands[1:]) if isinstance(operands[0], str) else _from_sublists(operands)
    )
    tracers = same_dtype(promote(*operands)[1])
    terms, output = _parse(spec, [x.ndim for x in tracers])
    pairs = [_distinct(spec, x, term) for x, term in zip(tracers, terms)]
    terms = [term for _, term in pairs]
    tracers = _broadcast_letters(spec, terms, [x for x, _ in pairs])
    explicit = ",".join(terms) + "->" + output
    x, xs = _contract_all(list(zip(tracers, terms)), output, _path(explicit, tracers, optimize))
    if xs != output:
        return transpose(x, [xs.index(c) for c in output])
    return inplace.alias(x) if any(x is t for t in tracers) else x


@function(np.einsum_path)
def einsum_path(*operands, optimize="greedy", einsum_call=False):
    """numpy's einsum_path on the operands' sizes, which it then depends on: each size is
    read as an int, recording a guard."""
    refuse("einsum_path", {"einsum_call=True": einsum_call})
    stand_ins = [
        np.broadcast_to(np.empty(()), tuple(operator.index(d) for d in x.shape))
        if isinstance(x, Tracer)
        else x
        for x in operands
    ]
    return np.einsum_path(*stand_ins, optimize=optimize)


# --- contractions written as einsum -------------------------------------------------------
def _letters(count: int, skip: int = 0) -> str:
    return string.ascii_letters[skip : skip + count]


@function(np.tensordot)
def tensordot(a, b, axes=2):
    """Sum over a's `axes[0]` and b's `axes[1]` (an int n: a's last n, b's first n)."""
    a, b = same_dtype(promote(a, b)[1])
    if isinstance(axes, int | np.integer):
        n = operator.index(axes)
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        axes_a, axes_b = ([ax] if isinstance(ax, int | np.integer) else list(ax) for ax in axes)
    axes_a = [_axis(ax, a.ndim, "tensordot") for ax in axes_a]
    axes_b = [_axis(ax, b.ndim, "tensordot") for ax in axes_b]
    if len(axes_a) != len(axes_b) or any(
        not shapes.dims_equal(a.value.type.shape[i], b.value.type.shape[j])
        for i, j in zip(axes_a, axes_b)
    ):
        raise ShapeMismatchError(
            f"tensordot: shape-mismatch for sum over axes {axes_a} of {a.value.type} "
            f"and {axes_b} of {b.value.type}"
        )
    xs = _letters(a.ndim)
    ys = list(_letters(b.ndim, a.ndim))
    for i, j in zip(axes_a, axes_b):
        ys[j] = xs[i]
    ys = "".join(ys)
    output = "".join(c for c in xs if c not in ys) + "".join(c for c in ys if c not in xs)
    return einsum(f"{xs},{ys}->{output}", a, b)


def dot_nd(x: Tracer, y: Tracer) -> Tracer:
    """numpy's dot for N-D operands: x's last axis against y's second to last."""
    return tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 2]))


@function(np.inner)
def inner(a, b):
    """Sum over the last axes: the result has a's other axes, then b's."""
    a, b = same_dtype(promote(a, b)[1])
    if a.ndim == 0 or b.ndim == 0:
        return np.multiply(a, b)
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


@function(np.vdot)
def vdot(a, b):
    """The dot product of the flattened operands (real dtypes: no conjugation)."""
    a, b = same_dtype(promote(a, b)[1])
    a, b = reshape(a, (-1,)), reshape(b, (-1,))
    if not shapes.dims_equal(a.value.type.shape[0], b.value.type.shape[0]):
        raise ShapeMismatchError(f"vdot: vectors of different lengths, {a.shape} and {b.shape}")
    return einsum("i,i->", a, b)


@function(np.kron)
def kron(a, b):
    """The Kronecker product: each axis of a, interleaved with the matching axis of b, in
    one broadcast multiply, then each pair of axes merged."""
    _, (a, b), _ = promote(a, b)
    rank = max(a.ndim, b.ndim)
    a = reshape(a, (1,) * (rank - a.ndim) + a.shape)
    b = reshape(b, (1,) * (rank - b.ndim) + b.shape)
    spread_a = [d for dim in a.shape for d in (dim, 1)]
    spread_b = [d for dim in b.shape for d in (1, dim)]
    product = np.multiply(reshape(a, spread_a), reshape(b, spread_b))
    return reshape(product, [x * y for x, y in zip(a.shape, b.shape)])


def _components(v: Tracer, name: str) -> list:
    size = v.shape[-1]
    if not (size == 2 or size == 3):
        raise ShapeMismatchError(
            f"cross: incompatible dimensions for cross product (dimension must be 2 or 3), "
            f"got {name} of {v.shape}"
        )
    return [v[..., i] for i in range(operator.index(size))]


@function(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """a x b along their vector axes; 2-vectors have a zero third component, and two
    2-vectors give the scalar z component, as numpy does."""
    if axis is not None:
        axisa = axisb = axisc = axis
    _, (a, b), _ = promote(a, b)
    a = moveaxis(a, _axis(axisa, a.ndim, "cross"), -1)
    b = moveaxis(b, _axis(axisb, b.ndim, "cross"), -1)
    xa, xb = _components(a, "a"), _components(b, "b")
    z = np.subtract(xa[0] * xb[1], xa[1] * xb[0])
    if len(xa) == 2 and len(xb) == 2:
        return z
    if len(xa) == 2:  # a = (a0, a1, 0)
        x, y = xa[1] * xb[2], np.negative(xa[0] * xb[2])
    elif len(xb) == 2:  # b = (b0, b1, 0)
        x, y = np.negative(xa[2] * xb[1]), xa[2] * xb[0]
    else:
        x, y = xa[1] * xb[2] - xa[2] * xb[1], xa[2] * xb[0] - xa[0] * xb[2]
    result = np.stack(np.broadcast_arrays(x, y, z), axis=-1)
    return moveaxis(result, -1, _axis(axisc, result.ndim, "cross"))
