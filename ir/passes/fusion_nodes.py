"""The data of a fusion plan: the expression nodes a kernel computes at the indices of its
domain (loads of materialised values, constants, index arithmetic, elementwise ops,
checked gather indices, reductions, totals and matmul tiles), the domains, and the plan's
steps (kernels and host steps). The planner that makes them is `ir.passes.fusion`."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ir import shapes
from ir.core import Eqn, Function, Value
from ir.errors import ShapeError
from ir.passes.cse import param_key

# --- expression nodes: what a kernel computes, at indices of its domain -------------------


@dataclass(frozen=True)
class Load:
    """A materialised value read at `index` (sympy expressions, one per axis)."""

    value: Value
    index: tuple
    dtype: str
    deps: tuple = ()


@dataclass(frozen=True)
class Const:
    """A scalar. Nodes compare by the value's `param_key`, so -0.0 is not 0.0: a kernel
    computes equal nodes once, and would otherwise give both constants one sign."""

    value: object = field(compare=False)
    dtype: str
    key: tuple = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "key", param_key(self.value))


@dataclass(frozen=True)
class IndexValue:
    """An integer computed from indices and shape symbols (iota, a symbolic size)."""

    expr: sympy.Expr
    dtype: str
    deps: tuple = ()


@dataclass(frozen=True)
class Pred:
    """A condition on indices (concatenate and pad select between sources with it)."""

    expr: sympy.Basic
    dtype: str = "bool"
    deps: tuple = ()


@dataclass(frozen=True)
class Apply:
    """An elementwise op applied to nodes."""

    op: str
    params: tuple
    args: tuple
    dtype: str


@dataclass(frozen=True)
class Checked:
    """A gather index made non-negative (numpy's negative indexing) and checked against
    `length`; an index out of range makes the call raise IndexError, as numpy does. Its
    value enters index expressions as `symbol`."""

    index: object
    length: object
    symbol: sympy.Symbol
    dtype: str = "int32"


@dataclass(frozen=True)
class Reduce:
    """A reduction over the domain's reduced axes, evaluated once per row. `over` is the
    domain's (shape, axes): a body that reads no index (an empty or broadcast operand)
    is the same in every domain, but reductions of it over different domains differ."""

    op: str
    body: object
    dtype: str
    over: tuple = ()


@dataclass(frozen=True)
class Total:
    """The sum over every row of a row-level value (a loss averaged over the batch): each
    program adds its row's share atomically, and the last program to finish computes what
    depends on the total. Only values of shape () use it. `over` as for `Reduce`."""

    body: object
    dtype: str
    over: tuple = ()


@dataclass(frozen=True)
class Dot:
    """The matmul tile: `a` at (batch, m, k) times `b` at (batch, k, n), summed over k."""

    a: Load
    b: Load
    dtype: str


def children(node) -> tuple:
    if isinstance(node, Load | IndexValue | Pred):
        return node.deps
    if isinstance(node, Apply):
        return node.args
    if isinstance(node, Checked):
        return (node.index,)
    if isinstance(node, Reduce | Total):
        return (node.body,)
    if isinstance(node, Dot):
        return (node.a, node.b)
    return ()


def index_exprs(node) -> tuple:
    """The sympy expressions a node reads directly."""
    if isinstance(node, Load):
        return node.index
    if isinstance(node, IndexValue | Pred):
        return (node.expr,)
    if isinstance(node, Checked):
        return (sympy.sympify(node.length),)
    return ()


def walk_nodes(roots: list) -> list:
    """Every node under `roots`, children before parents, each once."""
    seen: dict = {}

    def visit(node) -> None:
        if node in seen:
            return
        for child in children(node):
            visit(child)
        seen[node] = None

    for root in roots:
        visit(root)
    return list(seen)


# --- domains ------------------------------------------------------------------------------


def index_symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, integer=True, nonnegative=True)


@dataclass(frozen=True)
class Domain:
    """The index space of one kernel. `shape` is the output shape (pointwise, matmul) or
    the reduced input's shape (reduction); `axes` the reduced axes; `eqn` the matmul."""

    kind: str
    shape: tuple
    axes: tuple = ()
    eqn: Eqn | None = None

    def symbols(self) -> tuple:
        """One index symbol per axis of `shape` (a reduction's kept axes are rows `r`,
        reduced ones columns `c`; a matmul's are batch `b`, then `m` and `n`)."""
        if self.kind == "reduction":
            return tuple(
                index_symbol(f"{'c' if a in self.axes else 'r'}{a}") for a in range(len(self.shape))
            )
        if self.kind == "matmul":
            batch = len(self.shape) - 2
            names = [f"b{a}" for a in range(batch)] + ["m", "n"]
            return tuple(index_symbol(n) for n in names)
        return tuple(index_symbol(f"i{a}") for a in range(len(self.shape)))

    def rows(self) -> tuple:
        """A reduction's kept shape (the shape of its row-level values)."""
        return tuple(d for a, d in enumerate(self.shape) if a not in self.axes)

    def row_index(self) -> tuple:
        return tuple(s for a, s in enumerate(self.symbols()) if a not in self.axes)

    def reduced(self) -> tuple:
        return tuple(d for a, d in enumerate(self.shape) if a in self.axes)

    def col_symbols(self) -> tuple:
        return tuple(s for a, s in enumerate(self.symbols()) if a in self.axes)

    def index_for(self, value: Value) -> tuple | None:
        """The index at which `value` is an output of this domain, or None."""
        shape = value.type.shape
        if shapes_equal(shape, self.shape):
            return self.symbols()
        if self.kind == "reduction" and shapes_equal(shape, self.rows()):
            return self.row_index()
        if self.kind == "reduction" and shape == () and self.rows():
            return ()  # a total over the rows
        return None

    def same(self, other: Domain) -> bool:
        if self.kind != other.kind or self.kind == "matmul":
            return False
        return self.axes == other.axes and shapes_equal(self.shape, other.shape)


def shapes_equal(a: tuple, b: tuple) -> bool:
    try:
        return shapes.equal(a, b)
    except ShapeError:
        return False


# --- plans: the steps a function becomes --------------------------------------------------


@dataclass
class Kernel:
    """One fused kernel: `outputs` are (materialised value, node) pairs over `domain`;
    `eqns` are the IR equations it computes (for the header comment)."""

    domain: Domain
    outputs: list
    eqns: list = field(default_factory=list)
    anchor_values: dict = field(default_factory=dict)  # Reduce/Dot node -> its value
    into: dict = field(default_factory=dict)  # id(output) -> (buffer it is written into, index)

    def inputs(self) -> list:
        """The materialised values the kernel reads, in first-read order."""
        found: dict = {}
        for node in walk_nodes([n for _, n in self.outputs]):
            if isinstance(node, Load):
                found.setdefault(id(node.value), node.value)
        return list(found.values())


@dataclass
class Host:
    """An equation the kernels cannot compute, run by the host fallback."""

    eqn: Eqn
    inputs: list
    outputs: list


def reads(step) -> list:
    """The materialised values a step of a plan reads."""
    return step.inputs() if isinstance(step, Kernel) else step.inputs


@dataclass
class Plan:
    fn: Function
    steps: list
    materialised: set  # ids
