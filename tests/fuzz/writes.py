"""Random programs of numpy writes and views for differential fuzzing: 1 to 8 steps over one or
two argument arrays (a0, a1), each a view of a live name (kept as a new live name), a fresh
array, or a write through a live name or an inline view of one: x[i] = v, augmented
assignment, ufunc.at, out=, np.copyto, ndarray.fill, np.put, np.put_along_axis and
np.fill_diagonal. Each step is run eagerly with the program so far and kept only if numpy
accepts it, so every program drawn is valid numpy for its arguments.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from hypothesis import strategies as st

MAX_STEPS = 8
LIMIT = 1e6  # a step whose values exceed this is redrawn: float32 stays exact enough
SCALARS = ("2.5", "-1.5", "3", "-2", "0.5", "7")  # no 0: a divisor, and no nan cast to int


@dataclass(frozen=True)
class Argument:
    dtype: str
    shape: tuple


@dataclass
class Program:
    arguments: tuple  # of Argument, named a0, a1
    lines: list = field(default_factory=list)
    names: list = field(default_factory=list)  # the live names, all returned
    arithmetic: bool = False  # some value is computed with rounding (else: data movement only)
    seed: int = 0

    def source(self) -> str:
        params = ", ".join(f"a{i}" for i in range(len(self.arguments)))
        body = [f"    {line}" for line in self.lines]
        return "\n".join(
            [f"def program({params}):", *body, f"    return ({', '.join(self.names)},)"]
        )

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        shapes = ", ".join(f"a{i}: {x.dtype}{list(x.shape)}" for i, x in enumerate(self.arguments))
        return f"\n# arguments {shapes}; seed {self.seed}\n{self.source()}\n"

    def function(self) -> Callable:
        namespace = {"np": np}
        exec(self.source(), namespace)
        return namespace["program"]

    def inputs(self, shapes: tuple | None = None, seed: int = 0) -> list:
        """Random arguments (at `shapes`, else the program's own): floats of both signs,
        small ints including 0."""
        rng = np.random.default_rng(self.seed + 1000 * seed)
        shapes = shapes or [x.shape for x in self.arguments]
        made = []
        for argument, shape in zip(self.arguments, shapes):
            if argument.dtype == "int64":
                made.append(rng.integers(-5, 6, shape))
            else:
                made.append((rng.standard_normal(shape) * 2).astype(argument.dtype))
        return made

    def values(self) -> dict:
        """Every live name's eager value (views of fresh copies of the inputs); raises what
        numpy raises, and ValueError for a value out of LIMIT or not finite."""
        values = dict(zip(self.names, run_eagerly(self.function(), self.inputs())))
        for value in values.values():
            if not isinstance(value, np.ndarray | np.generic) or value.dtype.kind not in "if":
                raise ValueError("not an array")
            if not np.all(np.abs(value) <= LIMIT):  # nan or inf fail too
                raise ValueError("too big")
        return values


def run_eagerly(fn: Callable, args) -> tuple:
    """fn on numpy arrays (which it may write), with floating-point warnings silenced and any
    other warning (a deprecated index, say) an error: such programs are redrawn."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


# --- values that fit a shape ----------------------------------------------------------------
def _arrays(values: dict) -> list:
    return [name for name, x in values.items() if isinstance(x, np.ndarray)]


def _axis_to(draw, dim: int, size: int) -> str | None:
    """A slice of an axis of length dim giving `size` elements, or None if none does."""
    if dim < size:
        return None
    options = [f":{size}", f"{dim - size}:", f"{size - 1}::-1" if size else ":0"]
    options += [":", "::-1"] if dim == size else []
    options += ["::2"] if (dim + 1) // 2 == size else []
    return draw(st.sampled_from(options))


def _slice_of(draw, values: dict, shape: tuple) -> str | None:
    """A live array indexed down to exactly `shape`: ints on its leading axes, a slice on
    each other one; None if no live array is large enough."""
    fits = [
        name
        for name in _arrays(values)
        if values[name].ndim >= len(shape)
        and all(d >= s for d, s in zip(values[name].shape[values[name].ndim - len(shape) :], shape))
        and all(d > 0 for d in values[name].shape[: values[name].ndim - len(shape)])
    ]
    if not fits:
        return None
    name = draw(st.sampled_from(fits))
    x = values[name]
    lead = x.ndim - len(shape)
    items = [str(draw(st.integers(-d, d - 1))) for d in x.shape[:lead]]
    items += [_axis_to(draw, d, s) for d, s in zip(x.shape[lead:], shape)]
    if all(item == ":" for item in items):
        return name
    return f"{name}[{', '.join(items)}]"


def _broadcastable(draw, shape: tuple) -> tuple:
    """A shape that broadcasts to `shape`: a suffix of it, some axes made 1."""
    suffix = shape[len(shape) - draw(st.integers(0, len(shape))) :]
    return tuple(1 if draw(st.integers(0, 3)) == 0 else d for d in suffix)


EXACT_WRAPS = ("{0}", "{0}", "-{0}", "np.abs({0})", "{0} * 2", "{0}[...]")
ROUNDING_WRAPS = ("{0} + 1.5", "{0} * {1}", "{0} - {1}", "{0}[::-1] * 0.5 + {1}")


def value_for(draw, values: dict, shape: tuple, scalar: bool = True) -> tuple:
    """(expression, rounds): a value that broadcasts to `shape` (a scalar, or live arrays
    sliced to fit and maybe combined), and whether computing it rounds."""
    fitted = None if scalar and draw(st.integers(0, 3)) == 0 else _fitted(draw, values, shape)
    if fitted is None:
        return draw(st.sampled_from(SCALARS)), False
    return fitted


def _fitted(draw, values: dict, shape: tuple) -> tuple | None:
    target = _broadcastable(draw, shape)
    first = _slice_of(draw, values, target)
    if first is None:
        return None
    if draw(st.booleans()):
        return draw(st.sampled_from(EXACT_WRAPS)).format(first), False
    second = _slice_of(draw, values, _broadcastable(draw, target)) or draw(st.sampled_from(SCALARS))
    wrap = draw(st.sampled_from(ROUNDING_WRAPS))
    if "[::-1]" in wrap and not target:
        wrap = "{0} * 0.5 + {1}"
    return wrap.format(f"({first})", f"({second})"), True


# --- indices --------------------------------------------------------------------------------
def _slice(draw, dim: int, text: bool = True) -> str:
    """A slice of an axis of length dim: random start, stop and step (negative too)."""
    bound = st.one_of(st.none(), st.integers(-dim - 1, dim + 1))
    start, stop = draw(bound), draw(bound)
    step = draw(st.sampled_from([None, None, 1, 2, 3, -1, -1, -2]))
    if not text:
        return f"slice({start}, {stop}, {step})"
    parts = ["" if p is None else str(p) for p in (start, stop, step)]
    return ":".join(parts[:2]) + (f":{parts[2]}" if parts[2] else "")


def _basic_item(draw, dim: int) -> str:
    if dim > 0 and draw(st.integers(0, 2)) == 0:
        return str(draw(st.integers(-dim, dim - 1)))
    return _slice(draw, dim)


def basic_index(draw, shape: tuple) -> str:
    """A basic index: ints and slices on some leading axes, or on leading and trailing axes
    around an Ellipsis, with None inserted at random places."""
    count = draw(st.integers(0, len(shape)))
    if draw(st.integers(0, 3)) == 0:
        before = draw(st.integers(0, count))
        items = [_basic_item(draw, d) for d in shape[:before]] + ["..."]
        items += [_basic_item(draw, d) for d in shape[len(shape) - count + before :]]
    else:
        items = [_basic_item(draw, d) for d in shape[:count]]
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        items.insert(draw(st.integers(0, len(items))), "None")
    return ", ".join(items) or draw(st.sampled_from(["...", ":"] if shape else ["...", "()"]))


def _int_array(draw, dim: int, length: int, nested: bool, values: dict) -> str:
    """Integer indices into an axis of length dim, repeats and negatives welcome: constants,
    or at times computed from live data."""
    shape = (2, length // 2) if nested and length % 2 == 0 else (length,)
    data = _slice_of(draw, values, shape) if draw(st.integers(0, 3)) == 0 else None
    if data is not None:
        return f"(np.abs({data}) * 3).astype(np.int64) % {dim}"
    entries = draw(st.lists(st.integers(-dim, dim - 1), min_size=length, max_size=length))
    if len(shape) == 2:
        entries = [entries[: length // 2], entries[length // 2 :]]
    return f"np.array({entries})" if draw(st.booleans()) else str(entries)


def array_index(draw, values: dict, shape: tuple, text: bool = True) -> str | None:
    """One or two integer-array indices (adjacent or not, a 2-d one at times), with slices
    on the axes between and after; None for an array with an empty axis."""
    if not shape or 0 in shape:
        return None
    length = draw(st.integers(1, 4))
    nested = draw(st.integers(0, 4)) == 0
    items = []
    arrays = draw(st.integers(1, min(2, len(shape))))
    axes = sorted(draw(st.permutations(range(len(shape))))[:arrays])
    for axis in range(axes[-1] + 1 + draw(st.integers(0, len(shape) - axes[-1] - 1))):
        if axis in axes:
            items.append(_int_array(draw, shape[axis], length, nested, values))
        elif text:
            items.append(_slice(draw, shape[axis]))
        else:
            items.append(_slice(draw, shape[axis], text=False))
    if len(items) == 1:
        return items[0]
    return ", ".join(items) if text else f"({', '.join(items)})"


def mask_index(draw, values: dict, target: str) -> tuple | None:
    """(index, shape): a boolean mask made from live data (`a1[:2] > 0`) over some axes of
    the target after a prefix of ints and slices, and the shape of the masked part's axes
    after the one the mask's count of True entries makes (a value broadcasting to them fits
    whatever that count is, here and at other sizes)."""
    x = values_of(values, target)
    if x.ndim == 0:
        return None
    prefix = [_basic_item(draw, d) for d in x.shape[: draw(st.integers(0, x.ndim - 1))]]
    rest = x.shape[len(prefix) :]
    covered = rest[: draw(st.integers(1, len(rest)))]
    data = _slice_of(draw, values, covered)
    if data is None:
        return None
    mask = f"{data} {draw(st.sampled_from(['>', '<', '>=']))} 0"
    suffix = []
    if len(rest) > len(covered) and draw(st.integers(0, 3)) == 0:
        suffix = [_basic_item(draw, rest[len(covered)])]
    return ", ".join(prefix + [mask] + suffix), _after_count(x, prefix, covered, suffix)


def _after_count(x: np.ndarray, prefix: list, covered: tuple, suffix: list) -> tuple:
    """The axes of x[prefix, mask, suffix] after the count axis: the count is the axis
    where selecting one entry and selecting none differ."""
    shapes = []
    for count in (1, 0):
        mask = np.zeros(covered, bool)
        mask.reshape(-1)[:count] = True
        index = [eval(f"np.s_[{item}]") for item in prefix] + [mask]
        shapes.append(x[tuple(index + [eval(f"np.s_[{item}]") for item in suffix])].shape)
    axis = next(i for i, (one, none) in enumerate(zip(*shapes)) if one != none)
    return shapes[0][axis + 1 :]


def values_of(values: dict, expression: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return eval(expression, {"np": np}, dict(values))


# --- steps ----------------------------------------------------------------------------------
# A step renders one line from the live values, or None when it does not apply to them:
# Line(text, new) where a new line's text is an expression that becomes a new live name.
@dataclass(frozen=True)
class Line:
    text: str
    new: bool = False
    rounds: bool = False


def _name(draw, values: dict, arrays_only: bool = True) -> str:
    return draw(st.sampled_from(_arrays(values) if arrays_only else list(values)))


def target(draw, values: dict) -> str:
    """A live array, or at times an inline view of one (`a0.T`, `v1[::-1]`)."""
    name = _name(draw, values)
    if values[name].ndim == 0 or draw(st.integers(0, 3)):
        return name
    return draw(st.sampled_from(["{}.T", "{}[::-1]", "{}[1:]", "np.flip({})"])).format(name)


def _reshape(draw, name: str, x: np.ndarray) -> str:
    """A reshape written with x.shape, so it stays valid at other sizes."""
    axis = draw(st.integers(0, max(x.ndim - 1, 0)))
    kind = draw(st.sampled_from(["flat", "merge", "split", "one"]))
    if kind == "merge" and x.ndim >= 2 and axis < x.ndim - 1:
        return f"{name}.reshape({name}.shape[:{axis}] + (-1,) + {name}.shape[{axis + 2}:])"
    if kind == "split" and x.ndim >= 1:
        factor = draw(st.sampled_from([1, 2, 3]))
        return f"{name}.reshape({name}.shape[:{axis}] + ({factor}, -1) + {name}.shape[{axis + 1}:])"
    if kind == "one":
        return f"{name}.reshape({name}.shape[:{axis}] + (1,) + {name}.shape[{axis}:])"
    return draw(st.sampled_from([f"{name}.reshape(-1)", f"{name}.ravel()"]))


def view(draw, values: dict) -> Line | None:
    name = _name(draw, values)
    x = values[name]
    axis = draw(st.integers(-x.ndim, x.ndim - 1)) if x.ndim else 0
    kinds = {
        "index": lambda: f"{name}[{basic_index(draw, x.shape)}]",
        "T": lambda: f"{name}.T",
        "transpose": lambda: f"np.transpose({name}, {tuple(draw(st.permutations(range(x.ndim))))})",
        "swapaxes": lambda: f"{name}.swapaxes({axis}, {draw(st.integers(0, x.ndim - 1))})",
        "flip": lambda: f"np.flip({name}, {axis})",
        "reverse": lambda: f"{name}[::-1]",
        "reshape": lambda: _reshape(draw, name, x),
        "squeeze": lambda: f"np.squeeze({name})",
        "expand_dims": lambda: f"np.expand_dims({name}, {draw(st.integers(0, x.ndim))})",
    }
    kind = draw(st.sampled_from(list(kinds)))
    if x.ndim == 0 and kind not in ("index", "T", "squeeze", "expand_dims", "reshape"):
        return None
    return Line(kinds[kind](), new=True)


def fresh(draw, values: dict) -> Line:
    """A new array that shares nothing: a copy, zeros, or arithmetic of live arrays."""
    name = _name(draw, values)
    kind = draw(st.sampled_from(["copy", "zeros", "arithmetic"]))
    if kind == "arithmetic":
        text, rounds = value_for(draw, values, values[name].shape, scalar=False)
        return Line(f"{name} * 0.5 + {text}", new=True, rounds=True)
    return Line(f"{name}.copy()" if kind == "copy" else f"np.zeros_like({name})", new=True)


def setitem(draw, values: dict) -> Line | None:
    """x[index] = v with a basic, integer-array or boolean-mask index."""
    written = target(draw, values)
    x = values_of(values, written)
    kind = draw(st.sampled_from(["basic", "basic", "array", "mask"]))
    if kind == "mask":
        found = mask_index(draw, values, written)
        if found is None:
            return None
        index, shape = found
    else:
        if kind == "basic":
            index = basic_index(draw, x.shape)
        else:
            index = array_index(draw, values, x.shape)
        if index is None:
            return None
        shape = np.shape(values_of(values, f"({written})[{index}]"))
    text, rounds = value_for(draw, values, shape)
    return Line(f"{written}[{index}] = {text}", rounds=rounds)


def augmented(draw, values: dict) -> Line | None:
    """x op= v, on a live name (a numpy scalar there rebinds it) or through an index."""
    op = draw(st.sampled_from(["+=", "-=", "*=", "+=", "-=", "*=", "/=", "//=", "%=", "**="]))
    whole = draw(st.booleans())
    if whole:
        written, index = _name(draw, values, arrays_only=False), ""
    else:
        written = target(draw, values)
        x = values_of(values, written)
        if draw(st.booleans()):
            index = basic_index(draw, x.shape)
        else:
            index = array_index(draw, values, x.shape)
        if index is None:
            return None
        index = f"[{index}]"
    shape = np.shape(values_of(values, f"({written}){index}"))
    text, rounds = value_for(draw, values, shape)
    if op in ("/=", "//=", "%="):  # by a scalar: an array may hold a 0 (nan cast to int differs)
        text = draw(st.sampled_from(SCALARS if op == "/=" else ("2.5", "3", "7")))
    if op == "**=":
        text = "2"
    return Line(f"{written}{index} {op} {text}", rounds=True)


def ufunc_at(draw, values: dict) -> Line | None:
    """np.add.at and its siblings, with repeated integer-array indices."""
    ufunc = draw(st.sampled_from(["add", "subtract", "multiply", "maximum", "minimum"]))
    written = target(draw, values)
    x = values_of(values, written)
    index = array_index(draw, values, x.shape, text=False)
    if index is None:
        return None
    shape = values_of(values, f"({written})[{index}]").shape
    text, rounds = value_for(draw, values, shape)
    if _shares_memory(values, text, written):
        text = draw(st.sampled_from(SCALARS))  # numpy's ufunc.at does not buffer overlaps
    if not _at_as_a_loop(values, ufunc, written, index, text):
        return None
    return Line(f"np.{ufunc}.at({written}, {index}, {text})", rounds=True)


def _at_as_a_loop(values: dict, ufunc: str, written: str, index: str, value: str) -> bool:
    """Whether numpy's ufunc.at gives what applying it element by element does. numpy 2.4
    does not, for one: a 1-d array, a 2-d index and a value broadcast along the index's
    first axis (np.add.at(a, [[0, 1], [2, 3]], [5.0, 6.0]) adds to a[0] and a[1] only), so
    eager numpy is no oracle there."""
    x, where = np.array(values_of(values, written)), values_of(values, f"np.s_[{index}]")
    positions = np.arange(x.size).reshape(x.shape)[where]
    if positions.ndim > 1 and np.shape(values_of(values, value)) not in ((), positions.shape):
        return False  # (the second call's sizes may meet the bug the first call's miss)
    update = np.broadcast_to(values_of(values, value), positions.shape)
    by_numpy, by_loop = x.copy(), x.copy().reshape(-1)
    with np.errstate(all="ignore"):
        getattr(np, ufunc).at(by_numpy, where, values_of(values, value))
        for k in np.ndindex(positions.shape):
            by_loop[positions[k]] = getattr(np, ufunc)(by_loop[positions[k]], update[k])
    return np.array_equal(by_numpy.reshape(-1), by_loop, equal_nan=True)


def _shares_memory(values: dict, value: str, written: str) -> bool:
    found = values_of(values, value)
    return isinstance(found, np.ndarray) and np.shares_memory(found, values_of(values, written))


def out(draw, values: dict) -> Line:
    """A ufunc written into an array or a view of one with out=, sometimes with where=."""
    written = target(draw, values)
    if draw(st.booleans()) and values_of(values, written).ndim:
        written = f"{written}[{basic_index(draw, values_of(values, written).shape)}]"
    shape = np.shape(values_of(values, written))
    first, _ = value_for(draw, values, shape)
    ufunc = draw(st.sampled_from(["add", "multiply", "maximum", "negative", "abs", "sin", "exp"]))
    operands = first
    if ufunc in ("add", "multiply", "maximum"):
        operands += f", {value_for(draw, values, shape)[0]}"
    where = ""
    if draw(st.integers(0, 3)) == 0:
        data = _slice_of(draw, values, _broadcastable(draw, shape))
        where = "" if data is None else f", where={data} > 0"
    return Line(f"np.{ufunc}({operands}, out={written}{where})", rounds=True)


def function_write(draw, values: dict) -> Line | None:
    """np.copyto, ndarray.fill, np.put, np.put_along_axis, np.fill_diagonal."""
    written = target(draw, values)
    x = values_of(values, written)
    kind = draw(st.sampled_from(["copyto", "fill", "put", "put_along_axis", "fill_diagonal"]))
    if kind == "copyto":
        text, rounds = value_for(draw, values, x.shape)
        data = _slice_of(draw, values, _broadcastable(draw, x.shape))
        where = "" if data is None or draw(st.booleans()) else f", where={data} > 0"
        return Line(f"np.copyto({written}, {text}{where})", rounds=rounds)
    if kind == "fill":
        return Line(f"{written}.fill({draw(st.sampled_from(SCALARS))})")
    if x.size == 0:
        return None
    if kind == "put":
        mode = draw(st.sampled_from(["", "", ", mode='wrap'", ", mode='clip'"]))
        reach = 3 * x.size if mode else x.size  # wrap and clip take any index
        indices = _int_array(draw, reach, draw(st.integers(1, 5)), False, values)
        text, rounds = value_for(draw, values, (draw(st.integers(1, 3)),))
        if _shares_memory(values, text, written):
            return None
        return Line(f"np.put({written}, {indices}, {text}{mode})", rounds=rounds)
    if kind == "put_along_axis" and x.ndim:
        axis = draw(st.integers(-x.ndim, x.ndim - 1))
        shape = list(x.shape)
        shape[axis] = draw(st.integers(1, 3))
        rng = np.random.default_rng(draw(st.integers(0, 99)))
        indices = rng.integers(-x.shape[axis], x.shape[axis], shape).tolist()
        text, rounds = value_for(draw, values, tuple(shape))
        if _shares_memory(values, text, written):
            return None
        return Line(
            f"np.put_along_axis({written}, np.array({indices}), {text}, {axis})", rounds=rounds
        )
    if kind == "fill_diagonal" and x.ndim >= 2:
        wrap = ", wrap=True" if draw(st.booleans()) else ""
        return Line(f"np.fill_diagonal({written}, {draw(st.sampled_from(SCALARS))}{wrap})")
    return None


STEPS = (  # the first is what hypothesis draws most, and shrinks towards
    (setitem, 5),
    (view, 5),
    (augmented, 3),
    (fresh, 1),
    (ufunc_at, 2),
    (out, 2),
    (function_write, 2),
)


# --- drawing programs -----------------------------------------------------------------------
@st.composite
def arguments(draw) -> tuple:
    """One or two arrays of rank 1 to 3: mostly float64, at times int64 or float32; the
    second often shares the first's trailing dims, so the two combine."""
    dtype = st.sampled_from(["float64"] * 6 + ["float32", "int64"])
    shape = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)
    first = Argument(draw(dtype), draw(shape))
    if draw(st.booleans()):
        return (first,)
    second = draw(shape)
    if draw(st.booleans()):
        second = first.shape[len(first.shape) - draw(st.integers(1, len(first.shape))) :]
    return first, Argument(draw(dtype), second)


@st.composite
def programs(draw, max_steps: int = MAX_STEPS) -> Program:
    """A random valid program: each step is drawn, run eagerly with the program so far, and
    kept if numpy accepts it; up to a few redraws per step."""
    program = Program(arguments=draw(arguments()), seed=draw(st.integers(0, 2**16)))
    program.names = [f"a{i}" for i in range(len(program.arguments))]
    values = program.values()
    kinds = [step for step, weight in STEPS for _ in range(weight)]
    count = draw(st.integers(1, max_steps))
    for _ in range(count):
        for _attempt in range(8):
            try:  # numpy may refuse the index or value drawn, or the step as a whole
                line = draw(st.sampled_from(kinds))(draw, values)
                if line is None:
                    continue
                candidate = _extended(program, line)
                values = candidate.values()
            except Exception:  # draw another step
                continue
            program = candidate
            break
    return program


def _extended(program: Program, line: Line) -> Program:
    name = f"v{len(program.names) - len(program.arguments)}"
    return replace(
        program,
        lines=[*program.lines, f"{name} = {line.text}" if line.new else line.text],
        names=[*program.names, name] if line.new else program.names,
        arithmetic=program.arithmetic or line.rounds,
    )


@st.composite
def other_shapes(draw, program: Program) -> tuple:
    """The arguments' shapes at other sizes, same ranks: mostly each distinct size grown by
    one or two (dims equal before stay equal, so more programs stay valid), else every dim
    redrawn."""
    shapes = [x.shape for x in program.arguments]
    if draw(st.integers(0, 2)):
        sizes = sorted({d for shape in shapes for d in shape})
        grown = {d: d + draw(st.integers(1, 2)) for d in sizes}
        return tuple(tuple(grown[d] for d in shape) for shape in shapes)
    redrawn = tuple(tuple(draw(st.integers(1, 5)) for _ in shape) for shape in shapes)
    if redrawn == tuple(shapes):
        return tuple((shape[0] + 1,) + shape[1:] for shape in shapes)
    return redrawn
