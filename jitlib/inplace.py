"""Writes into traced arrays, functionalised at the edge (PyTorch's functionalization is the
model): which Tracers share memory (views), what a write becomes in pure IR, and which
arguments the caller must see written after the call.

A traced array that has been viewed or written has a `place` (a `View`): the `Storage` it
lies in (the current value of the whole array, replaced by every write) and the layout steps
(slice, reshape, transpose, flip) from that whole array to it. Reading a Tracer whose storage
was written since replays its steps on the new value. A write rebuilds the whole array by
walking its steps backwards, each step's `put` (update_slice for a slice, scatter for an
integer-array index, select for a boolean mask, the inverse layout op otherwise). No pass
or emitter knows a write happened: they only see immutable values.
"""

from __future__ import annotations

import sympy

from ir import shapes
from ir.ops import OPS
from jitlib import trace as trace_module
from jitlib.errors import TransformError, UnsupportedError, user_location
from jitlib.tracer import Tracer


class Storage:
    """The memory of one array and its views: `base` is the current value of the whole
    array (an ir.Value), `version` counts the writes to it."""

    __slots__ = ("base", "version", "trace", "reshaped")

    def __init__(self, base, trace):
        self.base = base
        self.version = 0
        self.trace = trace
        # a reshape of it was judged a view or a copy assuming a C-contiguous argument
        self.reshaped = False


class Step:
    """One layout step from an array to a part of it: an op of the table, its params, and
    the extra operand some steps read (a take's indices, a mask). A `read_only` step makes
    a view numpy refuses writes to (np.diagonal's), and so every view taken of it."""

    __slots__ = ("name", "params", "operand", "read_only")

    def __init__(self, name: str, params: dict, operand=None, read_only: bool = False):
        self.name = name
        self.params = params
        self.operand = operand  # an ir.Value, or None
        self.read_only = read_only

    def forward(self, builder, value, source):
        inputs = (value,) if self.operand is None else (value, self.operand)
        return builder.bind(OPS[self.name], *inputs, source=source, **self.params)


class View:
    """Where a Tracer lies: its storage, the steps from the storage's whole array, the
    storage version its value was computed at, and its strides (in elements, of a
    C-contiguous whole array) for deciding whether numpy's reshape would be a view."""

    __slots__ = ("storage", "steps", "version", "strides")

    def __init__(self, storage: Storage, steps: tuple, strides: tuple):
        self.storage = storage
        self.steps = steps
        self.version = storage.version
        self.strides = strides

    def current(self):
        """The Tracer's value at the storage's current version (its steps replayed)."""
        storage = self.storage
        value = storage.base
        for step in self.steps:
            value = step.forward(storage.trace.builder, value, user_location())
        self.version = storage.version
        return value


def contiguous_strides(shape: tuple) -> tuple:
    """The strides, in elements, of a C-contiguous array of `shape` (IR dims)."""
    strides, total = [], 1
    for d in reversed(shape):
        strides.append(total)
        total = shapes.canon(total * d) if isinstance(d, sympy.Basic) else total * d
    return tuple(reversed(strides))


def _same(a, b) -> bool:
    """Equal as expressions (no guard: a structural answer)."""
    return a == b or sympy.expand(a - b) == 0


def root(x: Tracer) -> View:
    """x's view, making x the whole array of a new storage if it has none."""
    if x.place is None:
        storage = Storage(x.value, x.trace)
        x.place = View(storage, (), contiguous_strides(x.value.type.shape))
    return x.place


def alias(x: Tracer) -> Tracer:
    """A new Tracer for x's memory (numpy's x[...], x.view()): writes to either reach both."""
    view = root(x)
    out = Tracer(x.value, x.trace, x.weak)
    out.place = View(view.storage, view.steps, view.strides)
    return out


def is_contiguous(x: Tracer) -> bool:
    """Whether x is known C-contiguous (structurally, without a guard)."""
    view = root(x)
    return all(_same(a, b) for a, b in zip(view.strides, contiguous_strides(x.value.type.shape)))


def bind_view(trace_, name: str, x: Tracer, weak: bool = False, **params) -> Tracer:
    """The layout op `name` applied to x, made a view of x's storage where numpy's is."""
    out = trace_.bind(OPS[name], x, weak=weak, **params)
    derive(x, out, name, params)
    return out


def derive(x: Tracer, out: Tracer, name: str, params: dict) -> None:
    """Make `out` (the op `name` applied to x) a view of x's storage where numpy's result
    is a view: slices, transposes and flips always, reshapes where the strides allow."""
    if name not in _STRIDES or x.trace is not out.trace:
        return  # a view taken inside a nested trace is a snapshot: outer writes cannot happen
    view = root(x)
    old, new = x.value.type.shape, out.value.type.shape
    if name == "reshape" and _without_ones(old) != _without_ones(new):
        view.storage.reshaped = True
    strides = _STRIDES[name](view.strides, params, old, new)
    if strides is not None:  # None: numpy copies
        out.place = View(view.storage, view.steps + (Step(name, params),), strides)


def _without_ones(shape: tuple) -> tuple:
    """The shape's dims other than 1: a reshape that only adds or drops size-1 axes is a
    view whatever the strides."""
    return tuple(d for d in shape if not shapes.is_one(d))


# per layout op whose result numpy gives as a view of its operand (reshape where strides
# allow): (strides, params, old shape, new shape) -> the view's strides, or None
_STRIDES = {
    "slice": lambda strides, p, old, new: tuple(s * k for s, k in zip(strides, p["step"])),
    "transpose": lambda strides, p, old, new: tuple(strides[a] for a in p["axes"]),
    "flip": lambda strides, p, old, new: tuple(
        -s if a in p["axis"] else s for a, s in enumerate(strides)
    ),
    "reshape": lambda strides, p, old, new: reshaped_strides(old, strides, new),
    "stop_gradient": lambda strides, p, old, new: strides,  # x itself, as numpy sees it
}


def reshaped_strides(old: tuple, strides: tuple, new: tuple) -> tuple | None:
    """The strides of `old` reshaped to `new` without a copy, or None where numpy copies
    (numpy's attempt at a no-copy reshape, on symbolic dims: decisions become guards)."""
    contiguous = contiguous_strides(old)
    if any(d == 0 for d in old) or all(_same(a, b) for a, b in zip(strides, contiguous)):
        return contiguous_strides(new)  # always a view, decided without a guard
    kept = [(d, s) for d, s in zip(old, strides) if not shapes.is_one(d)]
    new_strides = [None] * len(new)
    i = j = 0  # positions in kept and in new
    while i < len(kept) and j < len(new):
        if shapes.is_one(new[j]):
            j += 1
            continue
        i_end, j_end = i + 1, j + 1
        old_size, new_size = kept[i][0], new[j]
        while not shapes.dims_equal(old_size, new_size):
            if shapes.decide(sympy.Lt(new_size, old_size)):
                new_size, j_end = new_size * new[j_end], j_end + 1
            else:
                old_size, i_end = old_size * kept[i_end][0], i_end + 1
        for k in range(i, i_end - 1):  # the merged old axes must be contiguous
            if not shapes.dims_equal(kept[k][1], kept[k + 1][0] * kept[k + 1][1]):
                return None
        stride = kept[i_end - 1][1]
        for k in reversed(range(j, j_end)):
            new_strides[k] = shapes.canon(stride)
            stride = stride * new[k]
        i, j = i_end, j_end
    last = kept[-1][1] if kept else 1
    return tuple(last if s is None else s for s in new_strides)


# --- writes ---------------------------------------------------------------------------------
def _inverse(axes: tuple) -> tuple:
    return tuple(sorted(range(len(axes)), key=lambda i: axes[i]))


# per step: (bind, step, old, new) -> the whole of `old` with the part `step` picks out of
# it replaced by `new` (bind(op_name, *inputs, **params) binds into the storage's trace)
_PUTS = {
    "slice": lambda bind, step, old, new: bind("update_slice", old, new, **step.params),
    "reshape": lambda bind, step, old, new: bind("reshape", new, shape=old.type.shape),
    "transpose": lambda bind, step, old, new: bind(
        "transpose", new, axes=_inverse(step.params["axes"])
    ),
    "flip": lambda bind, step, old, new: bind("flip", new, **step.params),
    "stop_gradient": lambda bind, step, old, new: new,
    "take": lambda bind, step, old, new: bind("scatter", old, step.operand, new, **step.params),
    # a mask's `new` has size-1 axes where the mask's are: it broadcasts along the selection
    "mask": lambda bind, step, old, new: bind("select", step.operand, new, old),
}


def check_writable(x: Tracer) -> None:
    """Writes go to arrays of the trace being built: a nested trace (a loop body, a
    transformed function) cannot change an array of the trace around it."""
    active = trace_module.current()
    if active is not None and active is not x.trace:
        raise UnsupportedError(
            f"a write to an array {x.trace.current_type(x.value.type)} from outside the "
            "jl.cond/jl.scan/jl.fori_loop body or transformed function being traced; pass it "
            "in as an operand or carry and return the written array"
        )


def write(x: Tracer, steps: list, update: Tracer, combine=None) -> None:
    """Replace the part of x that `steps` pick out with `update` (a Tracer of that part's
    shape and dtype), or, with `combine(bind, step, old, update) -> value`, with what
    it makes of the old part and the update (ufunc.at's scatter_add, for one)."""
    check_writable(x)
    view = root(x)
    if any(step.read_only for step in view.steps):
        raise ValueError("assignment destination is read-only (a view numpy makes read-only)")
    storage = view.storage
    builder, source = storage.trace.builder, user_location()

    def bind(name: str, *inputs, **params):
        return builder.bind(OPS[name], *inputs, source=source, **params)

    chain = view.steps + tuple(steps)
    values = [storage.base]
    for step in chain:
        if step.name == "mask":
            break
        values.append(step.forward(builder, values[-1], source))
    new = update.value
    puts = list(zip(chain, values))
    if combine is not None:
        step, old = puts.pop()
        new = combine(bind, step, old, new)
    for step, old in reversed(puts):
        new = _PUTS[step.name](bind, step, old, new)
    storage.base = new
    storage.version += 1


def written_argument(x: Tracer):
    """The final value of an argument's array if the function wrote to it, else None."""
    if x.place is None or x.place.storage.version == 0:
        return None
    return x.place.storage.base


def needs_c_order(x: Tracer) -> bool:
    """Whether the function wrote to argument x after deciding how numpy would reshape it,
    which assumed x C-contiguous (the call checks that it is)."""
    return written_argument(x) is not None and x.place.storage.reshaped


def refuse_written_arguments(params: list, what: str) -> None:
    """Transforms differentiate and batch functions of their inputs: a write to an input
    has no place in the result, so it is refused rather than lost."""
    for i, p in enumerate(params):
        if written_argument(p) is not None:
            raise TransformError(
                f"{what} writes to its argument {i} ({p.trace.current_type(p.value.type)}); "
                "writes to arguments are not supported under jl.grad/jl.vmap and the other "
                "transforms: write into a copy (x = x.copy()) and return it"
            )
