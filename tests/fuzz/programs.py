"""Random numpy programs for differential fuzzing: hypothesis draws a program step by step,
running each step eagerly as it goes, so every program it returns is valid numpy for its
inputs. A program is Python source over the names F, F2 and H (the float dtypes), so one
program runs in mixed precision for value checks and all in float64 for gradient checks.

Exactness: each value is marked exact when every implementation must compute it bit for bit
(inputs, data movement, integer arithmetic, max/min). Float arithmetic whose rounding may
differ (transcendentals, sums, fused kernels) is inexact. Ops that jump on a tiny change
(comparisons, floor, argmax, //, casts to int) only take exact operands, so a last-bit
rounding difference can never turn into a different answer, and a mismatch is a real bug.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

import jitlib as jl

MAX_STEPS = 30
LIMIT = (
    1e6  # a step whose result exceeds this is redrawn: values stay where float32 is exact enough
)
MODES = {  # what F, F2 and H mean: mixed precision for values, float64 for gradients
    "mixed": {"F": np.float32, "F2": np.float64, "H": np.float16},
    "float64": {"F": np.float64, "F2": np.float64, "H": np.float64},
}
SIZE_NAMES = ("B", "C", "D")


@dataclass(frozen=True)
class Input:
    dtype: str  # F, F2, H, int32, int64, int16, uint8 or bool
    dims: tuple  # each 0, 1 or a size name; B is the batch size


@dataclass
class Program:
    inputs: tuple
    lines: list = field(default_factory=list)  # "v3 = np.tanh(v1)"
    outputs: tuple = ()
    exact: dict = field(default_factory=dict)  # value name -> exact?
    sizes: dict = field(default_factory=dict)  # size name -> size at the first call
    specials: bool = False  # inputs hold NaN, inf and -0.0 at some places
    seed: int = 0

    def source(self, returns: tuple | None = None) -> str:
        params = ", ".join(f"v{i}" for i in range(len(self.inputs)))
        body = [f"    {line}" for line in self.lines]
        names = returns if returns is not None else self.outputs
        return "\n".join([f"def program({params}):", *body, f"    return ({', '.join(names)},)"])

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        shapes = ", ".join(f"v{i}: {x.dtype}{list(x.dims)}" for i, x in enumerate(self.inputs))
        return (
            f"\n# inputs {shapes}; sizes {self.sizes}; seed {self.seed}; "
            f"specials {self.specials}\n{self.source()}\n"
        )

    def function(self, mode: str = "mixed", every_value: bool = False) -> Callable:
        """The program as a Python function; with every_value it returns every value."""
        names = tuple(f"v{i}" for i in range(len(self.inputs) + len(self.lines)))
        namespace = {"np": np, **MODES[mode]}
        exec(self.source(names if every_value else None), namespace)
        return namespace["program"]

    def arguments(self, mode: str = "mixed", sizes: dict | None = None, seed: int = 0) -> list:
        """Random inputs: normal floats, small ints of both signs, bools; NaN/inf/-0.0 at a
        few places when the program asks for specials."""
        sizes = sizes or self.sizes
        rng = np.random.default_rng(self.seed + 1000 * seed)
        return [_random_array(rng, x, sizes, mode, self.specials) for x in self.inputs]


def _random_array(rng, spec: Input, sizes: dict, mode: str, specials: bool) -> np.ndarray:
    shape = tuple(sizes[d] if isinstance(d, str) else d for d in spec.dims)
    dtype = np.dtype(MODES[mode].get(spec.dtype, spec.dtype))
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":  # unsigned: the negatives wrap (251 for -5 in uint8)
        return rng.integers(-9, 10, shape).astype(dtype)
    x = (rng.standard_normal(shape) * 2.0).astype(dtype)
    if specials and x.size:
        flat = x.reshape(-1)
        for value in (np.nan, np.inf, -np.inf, -0.0):
            flat[rng.integers(flat.size)] = value
    return x


def run_eagerly(fn: Callable, args) -> tuple:
    """fn on numpy arrays, with numpy's warnings (overflow, division by zero) silenced."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


# --- the step table -------------------------------------------------------------------------
# A step takes operands (values of the program so far) and renders one expression.
#   arity: how many operands; exact_in: the operands (by position) whose floats must be exact;
#   keeps: the result is exact when its operands are (else only int/bool results are exact);
#   accept(*arrays): whether it applies to these operands at all;
#   render(draw, names, arrays): the expression, drawing any parameters it needs;
#   specials: it may turn finite operands into NaN or inf (division by an exact zero).
@dataclass(frozen=True)
class Step:
    name: str
    arity: int
    render: Callable
    accept: Callable = lambda *xs: True
    exact_in: tuple = ()
    keeps: bool = False
    specials: bool = False


ALL = (0, 1, 2)


def _is(kinds: str) -> Callable:
    return lambda *xs: all(x.dtype.kind in kinds for x in xs)


def _ranked(n: int) -> Callable:
    return lambda x, *rest: x.ndim >= n


def _axis(draw, x: np.ndarray) -> int:
    return draw(st.integers(-x.ndim, x.ndim - 1))


def _axes(draw, x: np.ndarray):
    """None, one axis (maybe negative), or a tuple of distinct axes."""
    if x.ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "one", "tuple"]))
    if kind == "none":
        return None
    if kind == "one":
        return _axis(draw, x)
    return tuple(draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, unique=True)))


def _reduce(method: str, **kwargs) -> Step:
    def render(draw, names, xs):
        keepdims = draw(st.booleans())
        return f"np.{method}({names[0]}, axis={_axes(draw, xs[0])!r}, keepdims={keepdims})"

    return Step(name=method, arity=1, render=render, **kwargs)


def _unary(template: str, **kwargs) -> Step:
    return Step(name=template, arity=1, render=lambda draw, n, xs: template.format(*n), **kwargs)


def _binary(template: str, **kwargs) -> Step:
    return Step(name=template, arity=2, render=lambda draw, n, xs: template.format(*n), **kwargs)


def _scalar(draw, x: np.ndarray) -> str:
    """A Python number, or for floats also a Python int or numpy int (a strong int64 scalar
    widens float32 to float64)."""
    if x.dtype.kind in "biu":
        return str(draw(st.sampled_from([-3, 2, 3, 7])))
    return str(draw(st.sampled_from([-1.5, 0.5, 2.0, 3.25, 3, "np.int64(2)"])))


def _int_scalar(draw, x: np.ndarray) -> str:
    """A Python or numpy int: a divisor whose derivative rules must compute in floats."""
    return str(draw(st.sampled_from([2, 3, "np.int64(2)", "np.int32(3)"])))


def _with_scalar(op: str, right: bool, scalar: Callable = _scalar) -> Step:
    def render(draw, names, xs):
        number = scalar(draw, xs[0])
        return f"{number} {op} {names[0]}" if right else f"{names[0]} {op} {number}"

    return Step(name=f"scalar {op}", arity=1, render=render, accept=_is("iuf"))


def _transpose(draw, names, xs):
    perm = draw(st.permutations(range(xs[0].ndim)))
    return f"np.transpose({names[0]}, {tuple(perm)!r})"


def _basic_index(draw, names, xs):
    """A basic index on one axis: a slice with a step, a reversal, an int, or a new axis."""
    x = xs[0]
    axis = draw(st.integers(0, x.ndim - 1))
    kind = draw(st.sampled_from(["slice", "reverse", "int", "newaxis"]))
    if kind == "slice":
        start, step = draw(st.sampled_from([0, 1])), draw(st.sampled_from([1, 2]))
        item = f"{start}::{step}"
    elif kind == "reverse":
        item = "::-1"
    elif kind == "int":
        if x.shape[axis] == 0:
            item = ":"
        else:
            item = str(draw(st.sampled_from([0, -1])))
    else:
        item = "None"
    return f"{names[0]}[{', '.join([':'] * axis + [item])}]"


def _reshape(draw, names, xs):
    x = xs[0]
    kind = draw(st.sampled_from(["flat", "merge", "split"]))
    if kind == "flat" or x.ndim < 2:
        return f"{names[0]}.reshape(-1)"
    if kind == "merge":  # the last two axes into one
        return f"{names[0]}.reshape({names[0]}.shape[:-2] + (-1,))"
    return f"{names[0]}.reshape({names[0]}.shape + (1,))"


def _concatenate(draw, names, xs):
    axis = draw(st.integers(-xs[0].ndim, xs[0].ndim - 1)) if xs[0].ndim else 0
    return f"np.concatenate([{names[0]}, {names[1]}], axis={axis})"


def _stack(draw, names, xs):
    axis = draw(st.integers(0, xs[0].ndim))
    return f"np.stack([{names[0]}, {names[1]}], axis={axis})"


def _pad(draw, names, xs):
    width = draw(st.sampled_from([1, 2]))
    return f"np.pad({names[0]}, {width})"


def _roll(draw, names, xs):
    shift = draw(st.sampled_from([-1, 1, 2]))
    return f"np.roll({names[0]}, {shift}, axis={_axis(draw, xs[0])})"


def _along_axis(template: str) -> Callable:
    """A renderer for `template` over one operand ({0}) and one drawn axis ({axis})."""
    return lambda draw, names, xs: template.format(*names, axis=_axis(draw, xs[0]))


def _take(draw, names, xs):
    index = draw(st.lists(st.sampled_from([0, 1, -1]), min_size=1, max_size=3))
    return f"{names[0]}[np.array({index})]"


def _take_along(draw, names, xs):
    axis = _axis(draw, xs[0])
    name = names[0]
    return f"np.take_along_axis({name}, np.argmax({name}, axis={axis}, keepdims=True), axis={axis})"


def _cast(draw, names, xs):
    dtype = draw(
        st.sampled_from(["F", "F2", "np.int32", "np.int64", "bool", "np.uint8", "np.int8"])
    )
    return f"{names[0]}.astype({dtype})"


def _float_cast(draw, names, xs):
    return f"{names[0]}.astype({draw(st.sampled_from(['F', 'F2']))})"


def _broadcast(draw, names, xs):
    return f"np.broadcast_to({names[0]}, np.broadcast_shapes({names[0]}.shape, {names[1]}.shape))"


def _matmul_self(draw, names, xs):
    return f"{names[0]} @ np.swapaxes({names[0]}, -1, -2)"


def _einsum(draw, names, xs):
    """A product summed over the last axis, written out (jitlib's einsum takes no ellipsis)."""
    letters = "abc"[: xs[0].ndim]
    return f"np.einsum('{letters},{letters}->{letters[:-1]}', {names[0]}, {names[1]})"


def _where(draw, names, xs):
    return f"np.where({names[0]}, {names[1]}, {names[2]})"


def _masked_mean(draw, names, xs):
    """The mean of {0} where {1} > 0 along the last axis: an integer count divides."""
    x, m = names
    return f"np.sum({x} * ({m} > 0), axis=-1) / (np.sum({m} > 0, axis=-1) + 1)"


_NUMBERS, _FLOATS, _INTS = _is("iuf"), _is("f"), _is("biu")
STEPS = [
    # elementwise, float arithmetic (inexact)
    _unary("np.tanh({0})", accept=_NUMBERS),
    _unary("np.sin({0})", accept=_NUMBERS),
    _unary("np.cos({0})", accept=_FLOATS),
    _unary("np.exp({0})", accept=_NUMBERS),
    _unary("np.log(np.abs({0}) + 1.0)", accept=_NUMBERS),
    _unary("np.log1p(np.abs({0}))", accept=_FLOATS),
    _unary("np.expm1({0})", accept=_FLOATS),
    _unary("np.sqrt(np.abs({0}))", accept=_NUMBERS, exact_in=ALL),
    _unary("np.arctan({0})", accept=_FLOATS),
    _unary("np.arcsinh({0})", accept=_FLOATS),
    _unary("{0} ** 2", accept=_NUMBERS, keeps=True),
    _unary("{0} ** 3", accept=_NUMBERS),
    _unary("1.0 / ({0} * {0} + 1.0)", accept=_NUMBERS),
    _binary("{0} + {1}", accept=_NUMBERS),
    _binary("{0} - {1}", accept=_NUMBERS),
    _binary("{0} * {1}", accept=_NUMBERS),
    _binary("{0} / {1}", accept=_NUMBERS, exact_in=(1,), specials=True),
    _binary("{0} / (np.abs({1}) + 1)", accept=_NUMBERS),  # an int divisor stays an int
    _binary("np.logaddexp({0}, {1})", accept=_FLOATS),
    _binary("np.hypot({0}, {1})", accept=_FLOATS),
    _binary("np.arctan2({0}, {1})", accept=_FLOATS, exact_in=ALL),
    _binary("np.power(np.abs({0}) + 0.5, np.tanh({1}))", accept=_FLOATS),
    _with_scalar("+", right=False),
    _with_scalar("-", right=True),
    _with_scalar("*", right=False),
    _with_scalar("/", right=False, scalar=_int_scalar),
    _unary("{0} / np.arange(1, {0}.shape[-1] + 1)", accept=_ranked(1)),  # an int array
    # elementwise, exact
    _unary("-{0}", accept=_NUMBERS, keeps=True),
    _unary("np.abs({0})", accept=_NUMBERS, keeps=True),
    _unary("np.floor({0})", accept=_NUMBERS, exact_in=ALL, keeps=True),
    _unary("np.rint({0})", accept=_FLOATS, exact_in=ALL, keeps=True),
    _unary("np.sign({0})", accept=_NUMBERS, exact_in=ALL, keeps=True),
    _unary("np.isnan({0})", accept=_FLOATS),
    _unary("np.isfinite({0})", accept=_FLOATS),
    _unary("np.logical_not({0})", exact_in=ALL),
    _unary("~{0}", accept=_INTS),
    _binary("np.maximum({0}, {1})", accept=_NUMBERS, keeps=True),
    _binary("np.minimum({0}, {1})", accept=_NUMBERS, keeps=True),
    _binary("np.fmax({0}, {1})", accept=_FLOATS, keeps=True),
    _binary("{0} // {1}", accept=_NUMBERS, exact_in=ALL, keeps=True, specials=True),
    _binary("{0} % {1}", accept=_NUMBERS, exact_in=ALL, keeps=True, specials=True),
    _binary("{0} < {1}", exact_in=ALL),
    _binary("{0} >= {1}", exact_in=ALL),
    _binary("{0} == {1}", exact_in=ALL),
    _binary("{0} != {1}", exact_in=ALL),
    _binary("np.logical_and({0}, {1})", exact_in=ALL),
    _binary("{0} ^ {1}", accept=_INTS),
    _binary("{0} | {1}", accept=_INTS),
    _binary("{0} << ({1} & 7)", accept=_is("i")),
    _binary("{0} >> ({1} & 7)", accept=_is("i")),
    Step(name="where", arity=3, render=_where, exact_in=(0,), keeps=True),
    Step(
        name="masked mean",
        arity=2,
        render=_masked_mean,
        accept=lambda x, m: x.dtype.kind in "iuf" and x.ndim >= 1 and m.ndim >= 1,
        exact_in=(1,),
    ),
    Step(name="cast", arity=1, render=_cast, exact_in=ALL, keeps=True),
    Step(name="float cast", arity=1, render=_float_cast, keeps=True),
    _unary("{0} // 3", accept=_is("i"), keeps=True),
    _unary("{0} % 3", accept=_is("i"), keeps=True),
    # reductions
    _reduce("sum"),
    _reduce("mean", accept=_NUMBERS),
    _reduce("max", keeps=True),
    _reduce("min", keeps=True),
    _reduce("prod", accept=_INTS),
    _reduce("argmax", exact_in=ALL),
    _reduce("argmin", exact_in=ALL),
    _reduce("std", accept=_FLOATS),
    _reduce("var", accept=_FLOATS),
    _reduce("any", exact_in=ALL),
    _reduce("all", exact_in=ALL),
    _unary("np.exp({0} - np.max({0}, axis=-1, keepdims=True))", accept=_FLOATS),
    # layout and data movement
    _unary("{0}.T", keeps=True),
    Step(name="transpose", arity=1, render=_transpose, keeps=True),
    Step(name="index", arity=1, render=_basic_index, accept=_ranked(1), keeps=True),
    Step(name="reshape", arity=1, render=_reshape, keeps=True),
    Step(name="concatenate", arity=2, render=_concatenate, keeps=True),
    Step(name="stack", arity=2, render=_stack, keeps=True),
    Step(name="pad", arity=1, render=_pad, keeps=True),
    Step(name="roll", arity=1, render=_roll, accept=_ranked(1), keeps=True),
    Step(
        name="repeat",
        arity=1,
        render=_along_axis("np.repeat({0}, 2, axis={axis})"),
        accept=_ranked(1),
        keeps=True,
    ),
    Step(
        name="flip",
        arity=1,
        render=_along_axis("np.flip({0}, axis={axis})"),
        accept=_ranked(1),
        keeps=True,
    ),
    Step(name="take", arity=1, render=_take, accept=_ranked(1), keeps=True),
    Step(name="take_along_axis", arity=1, render=_take_along, accept=_ranked(1), exact_in=ALL),
    Step(name="broadcast_to", arity=2, render=_broadcast, keeps=True),
    _unary("np.zeros_like({0}) + 1", keeps=True),
    # matmul
    _binary("{0} @ {1}", accept=lambda x, y: x.ndim >= 1 and y.ndim >= 1),
    Step(name="matmul self", arity=1, render=_matmul_self, accept=_ranked(2)),
    # equal shapes: numpy factors out an axis of size 1 (a different order for inf and nan)
    Step(name="einsum", arity=2, render=_einsum, accept=lambda x, y: x.shape == y.shape and x.ndim),
]


# --- drawing programs ----------------------------------------------------------------------
@st.composite
def inputs(draw) -> tuple:
    dtypes = st.sampled_from(["F", "F", "F", "F2", "H", "int32", "int64", "bool", "uint8", "int16"])
    dims = st.sampled_from([0, 1, 1, "B", "B", "B", "C", "C", "D"])
    count = draw(st.integers(1, 4))
    return tuple(Input(draw(dtypes), tuple(draw(st.lists(dims, max_size=3)))) for _ in range(count))


def _exact_enough(step: Step, operands: list, exact: dict) -> bool:
    return all(
        exact[name] or x.dtype.kind in "biu"
        for position, (name, x) in enumerate(operands)
        if position in step.exact_in
    )


def _tame(step: Step, operands: list, result) -> bool:
    """The result stays finite (unless the step may make specials, or they came in) and within
    LIMIT; and it is an array, as every step's result is."""
    if not isinstance(result, np.ndarray) or result.dtype.kind not in "biuf":
        return False
    if result.dtype.kind in "biu" or result.size == 0:
        return True
    finite = np.isfinite(result)
    came_in = any(x.dtype.kind == "f" and not np.isfinite(x).all() for _, x in operands)
    if not finite.all() and not (step.specials or came_in):
        return False
    return bool(np.all(np.abs(result[finite].astype(np.float64)) <= LIMIT))


@st.composite
def programs(draw, max_steps: int = MAX_STEPS) -> Program:
    """A random valid program: each step is drawn, run eagerly, and kept if numpy accepts it
    and its result is tame; up to a few redraws per step."""
    sizes = dict(zip(SIZE_NAMES, draw(st.permutations([2, 3, 4, 5]))))
    program = Program(
        inputs=draw(inputs()),
        sizes=sizes,
        specials=draw(st.integers(0, 9)) == 0,
        seed=draw(st.integers(0, 2**16)),
    )
    values = {f"v{i}": x for i, x in enumerate(program.arguments())}
    program.exact.update(dict.fromkeys(values, True))
    namespace = {"np": np, **MODES["mixed"]}
    for _ in range(draw(st.integers(1, max_steps))):
        for _attempt in range(6):
            step = draw(st.sampled_from(STEPS))
            names = [draw(st.sampled_from(sorted(values))) for _ in range(step.arity)]
            operands = [(name, values[name]) for name in names]
            arrays = [x for _, x in operands]
            if not step.accept(*arrays) or not _exact_enough(step, operands, program.exact):
                continue
            expression = step.render(draw, names, arrays)
            try:
                result = run_eagerly(lambda e=expression: eval(e, namespace, values), ())
            except Exception:  # numpy refuses these operands: draw another step
                continue
            if not _tame(step, operands, result):
                continue
            name = f"v{len(values)}"
            values[name] = result
            program.lines.append(f"{name} = {expression}")
            exactly = all(program.exact[n] or values[n].dtype.kind in "biu" for n in names)
            program.exact[name] = result.dtype.kind in "biu" or (step.keeps and exactly)
            break
    computed = sorted(set(values) - {f"v{i}" for i in range(len(program.inputs))}, key=_number)
    last = computed[-1:] or ["v0"]
    extra = draw(st.lists(st.sampled_from(sorted(values, key=_number)), max_size=2, unique=True))
    program.outputs = tuple(dict.fromkeys(last + extra))
    return program


def _number(name: str) -> int:
    return int(name[1:])


# --- comparing ------------------------------------------------------------------------------
RTOL = {np.float16: 1e-2, np.float32: 2e-4, np.float64: 1e-9}


def tolerance(values) -> tuple:
    """(rtol, scale) for a program's inexact float results: the rounding of its least precise
    float dtype (a float64 result may carry a float32 tanh's last bit), and its largest finite
    magnitude (absolute errors grow with it)."""
    rtol, biggest = RTOL[np.float64], 1.0
    for x in values:
        x = np.asarray(x)
        if x.dtype.kind == "f":
            rtol = max(rtol, RTOL[x.dtype.type])
            finite = x[np.isfinite(x)]
            if finite.size:
                biggest = max(biggest, float(np.max(np.abs(finite.astype(np.float64)))))
    return rtol, biggest


def assert_same(got, want, exact: bool, tolerance: tuple, what: str) -> None:
    """got (a jitlib result) equals numpy's `want`: dtype, shape, and values — bit for bit
    when exact, within `tolerance` (rtol, scale) when not."""
    got = np.asarray(got.get() if hasattr(got, "get") and hasattr(got, "device") else got)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != numpy's {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != numpy's {want.shape}"
    if exact or want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        rtol, scale = tolerance
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=what)


def jit(fn: Callable, backend: str) -> Callable:
    return jl.jit(fn, backend=backend)
