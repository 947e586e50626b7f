"""Differential fuzzing of writes and views (programs from tests/fuzz/writes.py): each program
runs under jl.jit on both backends and eagerly on copies of the same arguments; the returned
values (every live name), their dtypes, and the arguments after the call must equal numpy's,
bit for bit for data movement and within rounding for arithmetic. A second call at other
sizes (same ranks) must match numpy too, or raise the same kind of error numpy does.

JITLIB_FUZZ=long tries ten times as many programs with fresh random draws; the default (CI)
profile replays a fixed set.
"""

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import jitlib as jl
from fuzz.stats import COUNTS, fuzz
from fuzz.writes import Program, other_shapes, programs, run_eagerly

# generated programs may overflow or divide by zero where numpy does; the checks compare values
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
RTOL = {np.dtype("float32"): 1e-5, np.dtype("float64"): 1e-12}
# writes numpy takes and jit refuses with a clear error (README, "In-place updates"): ufunc.at
# of floats into ints (numpy casts after every update), a mask apart from an integer index
DOCUMENTED_REFUSALS = ("cast the values first", "index in two steps")


def _host(x) -> np.ndarray:
    """A result as a numpy array (a CuPy one is copied from the GPU)."""
    return np.asarray(x.get() if hasattr(x, "get") and hasattr(x, "device") else x)


def _assert_same(got, want, rounds: bool, what: str) -> None:
    got, want = _host(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != numpy's {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != numpy's {want.shape}"
    if rounds and want.dtype.kind == "f":
        scale = float(np.max(np.abs(want), initial=1.0))
        rtol = RTOL[want.dtype]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


def _check_call(program: Program, jitted, inputs: list, what: str) -> str:
    """One call of `jitted` on copies of `inputs` against numpy on other copies: "matched",
    or "refused" when numpy raises and the jitted call raises the same kind of error."""
    eager_args = [x.copy() for x in inputs]
    jit_args = [x.copy() for x in inputs]
    try:
        want = run_eagerly(program.function(), eager_args)
    except Exception as error:  # numpy refuses these sizes: jit must refuse them as well
        try:
            jitted(*jit_args)
        except _builtin_kinds(type(error)):
            return "refused"
        except (IndexError, ValueError):
            if not isinstance(error, IndexError | ValueError):
                raise
            # two faults, found in another order: numpy checks an index array's range before
            # a later shape, jitlib checks shapes while tracing and ranges when running
            return "refused (IndexError and ValueError swapped)"
        raise AssertionError(f"{what}: numpy raised {error!r}, jit did not") from error
    try:
        got = jitted(*jit_args)
    except jl.UnsupportedError as error:
        if not any(reason in str(error) for reason in DOCUMENTED_REFUSALS):
            raise
        return "refused by jit (documented)"
    assert len(got) == len(want), what
    for name, g, w in zip(program.names, got, want):
        _assert_same(g, w, program.arithmetic, f"{what}: returned {name}")
    for i, (g, w) in enumerate(zip(jit_args, eager_args)):
        _assert_same(g, w, program.arithmetic, f"{what}: argument a{i} after the call")
    return "matched"


def _builtin_kinds(kind: type) -> tuple:
    """The builtin exceptions numpy's error is (TypeError for a UFuncTypeError, ValueError
    and IndexError for an AxisError): what jitlib's own error classes subclass too."""
    general = (Exception, BaseException, object)
    return tuple(c for c in kind.__mro__ if c.__module__ == "builtins" and c not in general)


@contextmanager
def _explained(program: Program, backend: str, inputs: list):
    """A failure names the backend, the program's source and the argument shapes."""
    try:
        yield
    except Exception as error:
        shapes = ", ".join(f"{x.dtype}{list(x.shape)}" for x in inputs)
        raise AssertionError(
            f"backend {backend}, arguments {shapes}:\n{program.source()}\n{type(error).__name__}: "
            f"{error}"
        ) from error


def _fuzz_writes(backend: str, program: Program, data) -> None:
    jitted = jl.jit(program.function(), backend=backend)
    inputs = program.inputs()
    with _explained(program, backend, inputs):
        first = _check_call(program, jitted, inputs, "first call")
    COUNTS[f"writes ({backend}): programs"] += 1
    if first != "matched":
        COUNTS[f"writes ({backend}): first calls {first}"] += 1
        return

    second = program.inputs(shapes=data.draw(other_shapes(program)), seed=1)
    with _explained(program, backend, second):
        outcome = _check_call(program, jitted, second, "second call at other sizes")
    COUNTS[f"writes ({backend}): second sizes {outcome} as numpy"] += 1


@fuzz(examples=200, shrink=False)
@given(program=programs(), data=st.data())
def test_writes_match_numpy_on_the_numpy_backend(program, data):
    _fuzz_writes("numpy", program, data)


@fuzz(examples=80, shrink=False)
@given(program=programs(), data=st.data())
def test_writes_match_numpy_on_triton(program, data):
    _fuzz_writes("triton", program, data)
