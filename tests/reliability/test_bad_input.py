"""Bad input on each backend (DESIGN §1, "Errors users get"): every case raises its
jl.JitError subclass naming the user's source line, the op, the shapes/dtypes and the hint;
raises it again on a second call (nothing cached, no trace left active); and the same jitted
function still answers a good call afterwards. An index out of range, which only a run can
find, is an IndexError as in numpy."""

from typing import NamedTuple

import numpy as np
import pytest

import jitlib as jl
from jitlib import trace

HERE = "test_bad_input.py"


def rand(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def line_of(marker: str) -> int:
    """The line of this file that ends with the comment `# <- marker`."""
    with open(__file__) as source:
        found = [i for i, text in enumerate(source, 1) if text.rstrip().endswith(f"# <- {marker}")]
    assert len(found) == 1, marker
    return found[0]


# --- the user's functions; the offending line ends with `# <- <case name>` ------------------
def branch(x):
    if x.sum() > 0:  # <- branch
        return x
    return -x


def to_float(x):
    return x * float(x.sum())  # <- float


def to_int(x):
    return x * int(x[0, 0])  # <- int


def to_bool(x):
    return x * bool(x[0, 0] > 0)  # <- bool


def to_numpy(x):
    return np.asarray(x) * 2.0  # <- asarray


def formatted(x):
    print(f"total {x.sum():.3f}")  # <- format
    return x


def add(x, y):
    return x + y  # <- add


def matmul(x, y):
    return np.tanh(x) @ y  # <- matmul


def reshape(x):
    return x.reshape(5, 3) * 2.0  # <- reshape


def concatenate(x, y):
    return np.concatenate([x, y], axis=0)  # <- concatenate


def stack(x, y):
    return np.stack([x, y])  # <- stack


def contract(x, y):
    return np.einsum("ij,jk->ik", x, y)  # <- einsum


def first_rows(x):
    return x[5]  # <- index


def fft(x):
    return np.fft.fft(x, axis=0) + 1.0  # <- fft


def setxor1d(x):
    return np.setxor1d(x[0], x[1])  # <- setxor1d


def sum_where(x):
    return np.sum(x, where=x > 0)  # <- sum where=


def method_where(x):
    return x.mean(where=x > 0)  # <- mean where=


def max_initial(x):
    return x.max(axis=0, initial=0.0)  # <- max initial=


CLOSED_OVER = np.zeros((3, 4))


def exp_out(x):
    return np.exp(x, out=CLOSED_OVER)  # <- exp out=


def dot_out(x, y):
    buffer = np.zeros((3, 3), dtype=np.float32)
    return np.dot(x, y, out=buffer)  # <- dot out=


def sum_complex(x):
    return x.sum(dtype=np.complex64)  # <- sum dtype=


def reshape_fortran(x):
    return np.reshape(x, (4, 3), order="F")  # <- reshape order=


def concatenate_dtype(x, y):
    return np.concatenate([x, y], dtype=np.float64)  # <- concatenate dtype=


def partition_method(x):
    return x.partition(1, axis=0)  # <- partition method


def mask_index(x):
    return x[x > 0]  # <- mask


def set_item(x):
    x[0] = x[:2]  # <- setitem
    return x


def elementwise_loss(x):
    return np.tanh(x) * 2.0


def square_loss(x):
    return (x * x).sum()


def add_loss(x, y):
    return (x + y).sum()  # <- grad add


def cond_types(x):
    return jl.cond(x.sum() > 0, lambda v: v * 2.0, lambda v: v.sum(), x)  # <- cond types


def cond_vector_predicate(x):
    return jl.cond(x > 0, lambda v: v * 2.0, lambda v: -v, x)  # <- cond predicate


def loop_carry(x):
    return jl.fori_loop(0, 3, lambda i, c: c.sum(axis=0), x)  # <- fori carry


def scan_carry(x):
    return jl.scan(lambda c, row: (c.astype(np.int32), row * c), x[0], x)  # <- scan carry


def scale(x, factor):
    return x * factor


def returns_text(x):
    return "done"


def double(x):
    return x * 2


# --- the table ------------------------------------------------------------------------------
class Case(NamedTuple):
    fn: object  # the user's function (before `transform`)
    args: tuple  # the bad arguments
    error: type  # the jl.JitError subclass
    parts: tuple  # fragments the message must hold
    line: str = ""  # the marker of the line named (default: the case's name; "call": the call)
    good: tuple | None = None  # arguments that work, for a call after the error
    want: object = None  # what the good call gives (default: eager fn(*good))
    transform: object = None  # applied to fn before jl.jit: jl.grad, a vmap...


X = rand(3, 4)
NEEDS_VALUE = ("needs its value", "np.where", "jl.cond")
EAGER = "eager numpy still works without @jit"
STRUCTURED = np.zeros(3, dtype=[("a", "f4"), ("b", "i4")])

CASES = {
    # concretization: Python asks for a value the trace does not have
    "branch": Case(branch, (X,), jl.ConcretizationError, ("branching", "bool[]", *NEEDS_VALUE)),
    "float": Case(to_float, (X,), jl.ConcretizationError, ("float()", "f32[]", *NEEDS_VALUE)),
    "int": Case(to_int, (X,), jl.ConcretizationError, ("int()", "f32[]", *NEEDS_VALUE)),
    "bool": Case(to_bool, (X,), jl.ConcretizationError, ("truth value", "bool[]", *NEEDS_VALUE)),
    "format": Case(formatted, (X,), jl.ConcretizationError, ("formatting", "f32[]", "np.where")),
    "asarray": Case(
        to_numpy, (X,), jl.ConcretizationError, ("np.asarray", "f32[3,4]", "x.astype(dtype)")
    ),
    # shapes that do not fit: both are named
    "add": Case(
        add, (X, rand(5)), jl.ShapeMismatchError, ("add", "f32[3,4]", "f32[5]"), good=(X, rand(4))
    ),
    "add int32": Case(
        add,
        (X.astype(np.int32), rand(2, 1)),
        jl.ShapeMismatchError,
        ("add", "i32[3,4]", "f32[2,1]", "broadcast"),
        line="add",
        good=(X.astype(np.int32), rand(3, 1)),
    ),
    "matmul": Case(
        matmul,
        (X, rand(5, 2)),
        jl.ShapeMismatchError,
        ("matmul", "f32[3,4]", "f32[5,2]"),
        good=(X, rand(4, 2)),
    ),
    "reshape": Case(
        reshape, (X,), jl.ShapeMismatchError, ("reshape", "f32[3,4]", "(5, 3)"), good=(rand(3, 5),)
    ),
    "concatenate": Case(
        concatenate,
        (X, rand(3, 5)),
        jl.ShapeMismatchError,
        ("concatenate", "f32[3,4]", "f32[3,5]"),
        good=(X, rand(2, 4)),
    ),
    "stack": Case(
        stack,
        (X, rand(4, 3)),
        jl.ShapeMismatchError,
        ("stack", "f32[3,4]", "f32[4,3]"),
        good=(X, X),
    ),
    "einsum": Case(
        contract,
        (X, X),
        jl.ShapeMismatchError,
        ("einsum", "'j'", "f32[3,4]", "4", "3"),
        good=(X, X.T),
    ),
    "index": Case(
        first_rows,
        (X,),
        jl.ShapeMismatchError,
        ("index 5", "axis 0", "f32[3,4]"),
        good=(rand(6, 4),),
    ),
    # numpy functions, arguments and methods jitlib does not support
    "fft": Case(fft, (X,), jl.UnsupportedError, ("numpy.fft.fft is not supported", EAGER)),
    "setxor1d": Case(
        setxor1d, (X,), jl.UnsupportedError, ("numpy.setxor1d is not supported", EAGER)
    ),
    "sum where=": Case(sum_where, (X,), jl.UnsupportedError, ("numpy.sum with where=", EAGER)),
    "mean where=": Case(method_where, (X,), jl.UnsupportedError, ("numpy.mean with where=", EAGER)),
    "max initial=": Case(
        max_initial, (X,), jl.UnsupportedError, ("numpy.max with initial=", EAGER)
    ),
    "exp out=": Case(
        exp_out, (rand(3, 4),), jl.UnsupportedError, ("numpy.exp(out=...)", "closes over")
    ),
    "dot out=": Case(dot_out, (X, X.T), jl.UnsupportedError, ("numpy.dot with out=", EAGER)),
    "sum dtype=": Case(
        sum_complex, (X,), jl.UnsupportedError, ("numpy.sum", "complex64", "float32")
    ),
    "reshape order=": Case(
        reshape_fortran, (X,), jl.UnsupportedError, ("numpy.reshape with order='F'", EAGER)
    ),
    "concatenate dtype=": Case(
        concatenate_dtype, (X, X), jl.UnsupportedError, ("numpy.concatenate with dtype=", EAGER)
    ),
    "partition method": Case(
        partition_method, (X,), jl.UnsupportedError, ("ndarray.partition", EAGER)
    ),
    "mask": Case(mask_index, (X,), jl.UnsupportedError, ("boolean mask", "np.where")),
    "setitem": Case(
        set_item, (rand(3, 4),), jl.ShapeMismatchError, ("could not broadcast", "(2, 4)", "(4,)")
    ),
    # transforms, under jit: the transform, the user's function, the argument and its type
    "grad non-scalar": Case(
        elementwise_loss,
        (X,),
        jl.TransformError,
        ("grad of elementwise_loss", "scalar", "f32[3,4]", "jl.vjp"),
        line="call",
        transform=jl.grad,
    ),
    "grad int input": Case(
        square_loss,
        (np.arange(5, dtype=np.int32),),
        jl.TransformError,
        ("grad of square_loss", "argument 0", "i32[5]", "only float inputs"),
        line="call",
        good=(X,),
        want=2 * X,
        transform=jl.grad,
    ),
    "grad argnums": Case(
        add,
        (X, X),
        jl.TransformError,
        ("grad of add", "argnums 2", "2 positional"),
        line="call",
        transform=lambda f: jl.grad(f, argnums=2),
    ),
    "grad add": Case(
        add_loss,
        (X, rand(5)),
        jl.ShapeMismatchError,
        ("add", "f32[3,4]", "f32[5]"),
        good=(X, rand(4)),
        want=np.ones_like(X),
        transform=jl.grad,
    ),
    "vmap in_axes": Case(
        add,
        (X, X),
        jl.TransformError,
        ("vmap of add", "in_axes 2", "argument 0", "f32[3,4]"),
        line="call",
        transform=lambda f: jl.vmap(f, in_axes=2),
    ),
    "vmap out_axes": Case(
        np.sin,
        (X,),
        jl.TransformError,
        ("vmap of sin", "out_axes 3", "output leaf 0", "f32[3,4]"),
        line="call",
        transform=lambda f: jl.vmap(f, out_axes=3),
    ),
    "vmap sizes": Case(
        add,
        (X, rand(5, 4)),
        jl.TransformError,
        ("vmap of add", "different sizes", "f32[3,4]) has 3", "f32[5,4]) has 5"),
        line="call",
        good=(X, X),
        transform=jl.vmap,
    ),
    "vmap matmul": Case(
        matmul,
        (rand(2, 3, 4), rand(2, 5, 2)),
        jl.ShapeMismatchError,
        ("matmul", "f32[3,4]", "f32[5,2]"),
        line="matmul",
        good=(rand(2, 3, 4), rand(2, 4, 2)),
        transform=jl.vmap,
    ),
    # control flow
    "cond types": Case(
        cond_types, (X,), jl.ControlFlowError, ("cond", "branches", "f32[3,4]", "f32[]")
    ),
    "cond predicate": Case(
        cond_vector_predicate, (X,), jl.ControlFlowError, ("cond", "scalar", "bool[3,4]", "x.any()")
    ),
    "fori carry": Case(
        loop_carry, (X,), jl.ControlFlowError, ("fori_loop", "carry", "f32[3,4]", "f32[4]")
    ),
    "scan carry": Case(
        scan_carry, (X,), jl.ControlFlowError, ("scan", "carry", "f32[4]", "i32[4]")
    ),
    # arguments and results
    "str argument": Case(
        scale,
        (X, "mean"),
        jl.ArgumentError,
        ("type str", "static_argnums"),
        line="call",
        good=(X, 3.0),
    ),
    "object argument": Case(
        scale,
        (X, object()),
        jl.ArgumentError,
        ("type object", "static_argnums"),
        line="call",
        good=(X, 3.0),
    ),
    "complex scalar": Case(
        scale, (X, 1j), jl.UnsupportedError, ("complex numbers",), line="call", good=(X, 3.0)
    ),
    "masked array": Case(
        scale,
        (np.ma.masked_array(X, X > 0), 3.0),
        jl.ArgumentError,
        ("MaskedArray", "np.asarray"),
        line="call",
        good=(X, 3.0),
    ),
    "str result": Case(
        returns_text, (X,), jl.ArgumentError, ("returns_text returned", "str"), line="call"
    ),
    "complex64 argument": Case(
        double,
        (X.astype(np.complex64),),
        jl.UnsupportedError,
        ("complex64", "float16"),
        line="call",
        good=(X,),
    ),
    "longdouble argument": Case(
        double,
        (X.astype(np.longdouble),),
        jl.UnsupportedError,
        (np.dtype(np.longdouble).name, "uint8"),
        line="call",
        good=(X,),
    ),
    "structured argument": Case(
        double,
        (STRUCTURED,),
        jl.UnsupportedError,
        ("('a', '<f4')", "float32"),
        line="call",
        good=(X,),
    ),
}


def jitted(case: Case, backend: str):
    fn = case.fn if case.transform is None else case.transform(case.fn)
    return jl.jit(fn, backend=backend)


@pytest.mark.parametrize("name", CASES)
def test_bad_input_raises_a_jit_error_naming_the_line(name, backend):
    case = CASES[name]
    jf = jitted(case, backend)
    for _ in range(2):  # raised again: the failure is not cached
        with pytest.raises(case.error) as info:
            jf(*case.args)  # <- call
        assert isinstance(info.value, jl.JitError)
        message = str(info.value)
        assert f"{HERE}:{line_of(case.line or name)}" in message, message
        for part in case.parts:
            assert part in message, (part, message)
        assert trace.current() is None
    assert jf.cache_info().entries == 0
    if case.good is not None:  # the same jitted function still works
        want = case.fn(*case.good) if case.want is None else case.want
        np.testing.assert_allclose(jf(*case.good), want, rtol=1e-5, atol=1e-6)
        assert jf.cache_info().entries == 1
        with pytest.raises(case.error):  # and the bad call does not reach the good entry
            jf(*case.args)


UNSUPPORTED = [n for n, c in CASES.items() if c.error is jl.UnsupportedError and c.line == ""]


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_what_jit_refuses_runs_in_eager_numpy(name):
    case = CASES[name]
    case.fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in case.args])


def test_astype_checks_casting_like_numpy(backend):
    jf = jl.jit(lambda x, dtype: x.astype(dtype, casting="safe"), static_argnums=1, backend=backend)
    assert jf(X, np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="'safe'"):
        X.astype(np.int32, casting="safe")
    with pytest.raises(TypeError, match="'safe'"):
        jf(X, np.int32)


def test_reductions_take_numpy_positional_order(backend):
    """Regression: np.max(x, 0, None, True) took None for dtype= and True for out=."""

    def f(x):
        return np.max(x, 0, None, True), np.all(x > 0, 1, None, True), x.var(0, None, None, 1, True)

    for got, want in zip(jl.jit(f, backend=backend)(X), f(X)):
        np.testing.assert_allclose(got, want, rtol=1e-5)
        assert got.shape == want.shape


def test_float16_arguments_are_supported(backend):
    x = rand(3, 4, dtype=np.float16)
    got = jl.jit(lambda x, y: np.tanh(x) * y + 1, backend=backend)(x, x)
    assert got.dtype == np.float16
    np.testing.assert_allclose(got, np.tanh(x) * x + 1, rtol=2e-3, atol=2e-3)


# --- run-time errors: an integer-array index out of range -----------------------------------
def rows(x, index):
    return x[index]


def columns(x, index):
    return x[:, index] * 2.0


def taken(x, index):
    return np.take(x, index * 2, axis=0)


def row_loss(x, index):
    return (np.tanh(x[index]) ** 2).sum()


@pytest.mark.parametrize(
    "fn",
    [rows, columns, taken, jl.grad(row_loss)],
    ids=["rows", "columns", "take", "grad"],
)
@pytest.mark.parametrize(
    "index", [np.array([0, 5]), np.array([-6, 1])], ids=["past_end", "before_start"]
)
def test_an_index_out_of_range_raises_index_error_like_numpy(fn, index, backend):
    x, good = rand(5, 5, dtype=np.float64), np.array([2, -2, 0])
    want = fn(x, good)
    with pytest.raises(IndexError):
        fn(x, index)  # as eager numpy does
    jf = jl.jit(fn, backend=backend)
    np.testing.assert_allclose(jf(x, good), want, rtol=1e-12)
    for _ in range(2):
        with pytest.raises(IndexError):
            jf(x, index)
        assert trace.current() is None
    np.testing.assert_allclose(jf(x, good), want, rtol=1e-12)  # not left failing
