"""Shape arithmetic over ints and sympy expressions: broadcasting, reductions, reshape.

Dims are ints or sympy expressions of shape symbols. When two dims cannot be compared
symbolically, the question goes to the active oracle: while tracing, jitlib installs one
that answers from the current sizes and records a guard; otherwise it is an error.
"""

import contextlib
import contextvars
import functools
import math
from collections.abc import Callable, Sequence

import sympy
from sympy.printing.pycode import PythonCodePrinter

from ir.errors import ShapeError

Dim = int | sympy.Expr
Shape = tuple

# Answers a sympy condition that symbolic reasoning alone cannot settle.
_oracle: contextvars.ContextVar[Callable | None] = contextvars.ContextVar("oracle", default=None)


def symbol(index: int) -> sympy.Symbol:
    """The shape symbol `s<index>`: a positive integer, never 0 or 1 (those stay concrete)."""
    return sympy.Symbol(f"s{index}", integer=True, positive=True)


@contextlib.contextmanager
def oracle(answer: Callable):
    """Answer undecidable shape questions with `answer(condition) -> bool` in this block."""
    token = _oracle.set(answer)
    try:
        yield
    finally:
        _oracle.reset(token)


def variants(condition) -> tuple:
    """The condition and its mirror image (Eq(a, b) and Eq(b, a)), which sympy keeps apart."""
    if isinstance(condition, sympy.Eq | sympy.Ne):
        return condition, type(condition)(condition.rhs, condition.lhs, evaluate=False)
    return (condition,)


def assuming(facts: Sequence):
    """An oracle that answers from known facts (the guards of a traced function)."""
    facts = set(facts)

    def answer(condition):
        for variant in variants(condition):
            if variant in facts:
                return True
            if sympy.Not(variant) in facts:
                return False
        raise ShapeError(f"cannot decide {condition} from the guards {sorted(map(str, facts))}")

    return oracle(answer)


def canon(dim) -> Dim:
    """A dim as an int when it is a number, else a simplified sympy expression."""
    if isinstance(dim, int):
        return dim
    dim = sympy.sympify(dim)
    return int(dim) if dim.is_Integer else dim


def decide(condition) -> bool:
    """True or False for a sympy condition on dims, asking the oracle when needed."""
    condition = sympy.sympify(condition)
    if condition in (sympy.true, sympy.false):
        return bool(condition)
    known = _settled(condition)
    if known is not None:
        return known
    answer = _oracle.get()
    if answer is None:
        raise ShapeError(f"cannot decide {condition} for symbolic shapes")
    return answer(condition)


@functools.lru_cache(maxsize=65536)
def _settled(condition) -> bool | None:
    """The condition's truth for every size of 2 or more, None when it depends on the
    sizes (pure algebra, so cached: sympy's assumptions are slow)."""
    known = at_least_two(condition)
    return bool(known) if known in (sympy.true, sympy.false) else None


def at_least_two(expr):
    """`expr` with every symbol written as 2 + (a non-negative integer): symbols stand for
    sizes of 2 or more, so this settles questions like s0 >= 2 or s0 == 1."""
    symbols = getattr(expr, "free_symbols", set())
    if not symbols:
        return expr
    offsets = {s: sympy.Symbol(f"_{s}", integer=True, nonnegative=True) + 2 for s in symbols}
    return expr.xreplace(offsets) if isinstance(expr, sympy.Basic) else expr


def dims_equal(a: Dim, b: Dim) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if a == b:  # the same expression (sympy's structural equality): no algebra needed
        return True
    known = _symbolically_equal(sympy.sympify(a), sympy.sympify(b))
    return known if known is not None else decide(sympy.Eq(a, b))


@functools.lru_cache(maxsize=65536)
def _symbolically_equal(a, b) -> bool | None:
    """Whether a == b for every size the symbols may take (2 or more), None when that
    depends on the sizes. Pure algebra, so it is cached: sympy's expand dominated the
    tracing of large gradients (a transformer step asked it 3,800 times)."""
    difference = sympy.expand(a - b)
    if difference == 0:
        return True
    if difference.is_number:
        return False
    shifted = sympy.expand(at_least_two(difference))
    if shifted.is_positive or shifted.is_negative:
        return False
    return None


def equal(a: Shape, b: Shape) -> bool:
    """Same rank and equal dims, up to the guards: a rule may give the size a guard pinned
    a symbol to (3 for s0 under s0 == 3) where the trace has the symbol."""
    return len(a) == len(b) and all(dims_equal(x, y) for x, y in zip(a, b))


def is_one(dim: Dim) -> bool:
    if isinstance(dim, int):
        return dim == 1
    if dim.is_Symbol:
        return False  # a symbol stands for a size of 2 or more
    return dims_equal(dim, 1)


def fmt(shape: Shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def broadcast(*shapes: Shape) -> Shape:
    """numpy broadcasting of several shapes; mismatches raise naming every shape."""
    rank = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out = []
    for dims in zip(*padded):
        result = 1
        for dim in dims:
            if is_one(dim):
                continue
            if is_one(result):
                result = dim
            elif not dims_equal(result, dim):
                names = " and ".join(fmt(s) for s in shapes)
                raise ShapeError(f"shapes {names} cannot be broadcast together")
        out.append(result)
    return tuple(out)


def normalize_axis(axis: int, rank: int) -> int:
    if not -rank <= axis < max(rank, 1):
        raise ShapeError(f"axis {axis} is out of bounds for an array of rank {rank}")
    return axis % rank if rank else 0


def normalize_axes(axis, rank: int) -> tuple:
    """None, an int or a tuple of ints, as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(rank))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = tuple(sorted(normalize_axis(a, rank) for a in axes))
    if len(set(out)) != len(out):
        raise ShapeError(f"repeated axis in {axis}")
    return out


def size(shape: Shape) -> Dim:
    return canon(math.prod(shape, start=sympy.Integer(1)))


def reshape(shape: Shape, new: Sequence) -> Shape:
    """Resolve a reshape target (one entry may be -1) against `shape`; sizes must agree."""
    new = [canon(d) for d in new]
    holes = [i for i, d in enumerate(new) if isinstance(d, int) and d == -1]
    if len(holes) > 1:
        raise ShapeError(f"reshape {fmt(shape)} to {fmt(new)}: only one dimension can be -1")
    total = size(shape)
    if holes:
        known = size([d for i, d in enumerate(new) if i != holes[0]])
        if dims_equal(known, 0):
            raise ShapeError(f"cannot reshape {fmt(shape)} to {fmt(new)}")
        if not dims_equal(sympy.Mod(total, known), 0):
            raise ShapeError(f"cannot reshape an array of shape {fmt(shape)} into shape {fmt(new)}")
        new[holes[0]] = canon(sympy.cancel(sympy.sympify(total) / known))
    if not dims_equal(size(new), total):
        raise ShapeError(f"cannot reshape an array of shape {fmt(shape)} into shape {fmt(new)}")
    return tuple(new)


def free_symbols(shape: Shape) -> set:
    out = set()
    for dim in shape:
        if not isinstance(dim, int):
            out |= dim.free_symbols
    return out


class _DimPrinter(PythonCodePrinter):
    """Python source for dim expressions with exact integer division (never floats)."""

    def _operand(self, expr) -> str:
        text = self._print(expr)
        return text if expr.is_Atom else f"({text})"

    def _floor_division(self, numerator, denominator) -> str:
        return f"({self._operand(numerator)} // {self._operand(denominator)})"

    def _print_Mul(self, expr):
        numerator, denominator = sympy.fraction(expr)
        if denominator != 1:
            return self._floor_division(numerator, denominator)
        return super()._print_Mul(expr)

    def _print_floor(self, expr):
        return self._floor_division(*sympy.fraction(sympy.together(expr.args[0])))

    def _print_ceiling(self, expr):
        numerator, denominator = sympy.fraction(sympy.together(expr.args[0]))
        return f"(-({self._operand(-numerator)} // {self._operand(denominator)}))"

    def _print_Mod(self, expr):
        return f"({self._operand(expr.args[0])} % {self._operand(expr.args[1])})"


def to_python(expr) -> str:
    """Python source computing a dim expression (or a condition on dims) from symbols."""
    return _DimPrinter().doprint(expr)
