"""Differential fuzzing: random programs over the op table (tests/fuzz/programs.py), each
checked on both backends against eager numpy: jit at the first sizes and at a second batch
size (the shape-symbolic path), grad against float64 finite differences, vmap against a loop
over the examples and a stack.

JITLIB_FUZZ=long tries thousands of programs per check with fresh random draws; the default
(CI) profile replays a fixed set of a few hundred.
"""

import contextlib
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given

import jitlib as jl
from codegen import numpy_emitter, numpy_runtime
from fuzz.programs import Program, assert_same, programs, run_eagerly, tolerance
from fuzz.stats import COUNTS, fuzz

# generated code warns where numpy does (overflow, division by zero); the checks compare values
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
BACKENDS = ("numpy", "triton")
SECOND_BATCH = 6  # larger than every other size a program draws (2..5)
BATCH = 3  # examples per vmap check


def _check_outputs(program: Program, got, want, tolerance: tuple, what: str) -> None:
    assert len(got) == len(want), what
    for name, g, w in zip(program.outputs, got, want):
        assert_same(g, w, program.exact[name], tolerance, f"{what}: {name}")


def _tolerance(program: Program, *examples) -> tuple:
    """The tolerance over every value the program computes on these examples' arguments."""
    every = program.function(every_value=True)
    return tolerance([x for args in examples for x in run_eagerly(every, args)])


@contextlib.contextmanager
def _row_blocks_everywhere(on: bool):
    """The numpy backend's row blocks for every row-local program (not only chains of 3
    ops), one row each, on the thread pool: every blocking rule meets random programs."""
    if not on:
        yield None
        return
    calls = [0]
    run_blocks = numpy_runtime.run_blocks

    def counted(*args, **kwargs):
        calls[0] += 1
        return run_blocks(*args, **kwargs)

    knobs = [
        (numpy_runtime, "run_blocks", counted),
        (numpy_emitter, "MIN_CHUNKED_OPS", 0),
        (numpy_runtime, "BLOCK_BYTES", 1),
        (numpy_runtime, "SMALL_BYTES", 0),
        (numpy_runtime, "MIN_PARALLEL_BYTES", 0),
    ]
    saved = [getattr(module, name) for module, name, _ in knobs]
    for module, name, value in knobs:
        setattr(module, name, value)
    try:
        yield calls
    finally:
        for (module, name, _), value in zip(knobs, saved):
            setattr(module, name, value)


@pytest.mark.parametrize("backend", (*BACKENDS, "numpy-blocked"))
@fuzz(examples=300)
@given(program=programs())
def test_jit_matches_numpy_at_two_batch_sizes(backend, program):
    with _row_blocks_everywhere(backend == "numpy-blocked") as blocked:
        _jit_matches_numpy(backend, program)
    if blocked:
        COUNTS["jit (numpy-blocked): programs run in row blocks"] += blocked[0] > 0


def _jit_matches_numpy(backend: str, program: Program) -> None:
    fn = program.function()
    jitted = jl.jit(fn, backend=backend.removesuffix("-blocked"))
    args = program.arguments()
    _check_outputs(program, jitted(*args), run_eagerly(fn, args), _tolerance(program, args), "jit")
    COUNTS[f"jit ({backend}): programs"] += 1

    second = program.arguments(sizes={**program.sizes, "B": SECOND_BATCH}, seed=1)
    try:
        want = run_eagerly(fn, second)
    except Exception as error:  # valid only at the first sizes (B happened to equal 2C)
        with pytest.raises((jl.JitError, type(error))):
            jitted(*second)
        COUNTS[f"jit ({backend}): second batch sizes numpy refuses, refused too"] += 1
        return
    _check_outputs(program, jitted(*second), want, _tolerance(program, second), "second batch")
    retraced = jitted.cache_info().misses > 1
    COUNTS[f"jit ({backend}): second batch sizes that retraced (a guard failed)"] += retraced


def _loss(fn):
    """A scalar of every float output of fn: out + out**2 / 10 weighs each element by its own
    value (so a gradient landing on the wrong element shows), with no oscillation that finite
    differences could not follow."""

    def loss(*args):
        total = 0.0
        for out in fn(*args):
            if out.dtype.kind == "f":
                total = total + np.sum(out + 0.1 * out * out)
        return total

    return loss


def _has_float_zeros(program: Program, args) -> bool:
    every = run_eagerly(program.function(mode="float64", every_value=True), args)
    return any(x.dtype.kind == "f" and np.any(x == 0) for x in map(np.asarray, every))


@pytest.mark.parametrize("backend", BACKENDS)
@fuzz(examples=200)
@given(program=programs())
def test_grad_matches_float64_finite_differences(backend, program):
    program = replace(program, specials=False)
    fn = program.function(mode="float64")
    args = program.arguments(mode="float64")
    floats = tuple(i for i, x in enumerate(args) if x.dtype.kind == "f")
    loss = _loss(fn)
    value = run_eagerly(loss, args)
    if not floats or type(value) is float or not np.isfinite(value):
        COUNTS[f"grad ({backend}): programs without a finite float loss of float inputs"] += 1
        return
    grads = jl.jit(jl.grad(loss, argnums=floats), backend=backend)(*args)

    rng = np.random.default_rng(program.seed)
    directions = {i: rng.standard_normal(args[i].shape) for i in floats}
    step = 1e-6

    def moved(sign):
        return [
            x + sign * step * directions[i] if i in directions else x for i, x in enumerate(args)
        ]

    numeric = (run_eagerly(loss, moved(1)) - run_eagerly(loss, moved(-1))) / (2 * step)
    analytic = sum(float(np.sum(np.asarray(g) * directions[i])) for i, g in zip(floats, grads))
    size = sum(float(np.sum(np.abs(np.asarray(g) * directions[i]))) for i, g in zip(floats, grads))
    if not np.isfinite(analytic) and _has_float_zeros(program, args):
        # e.g. hypot(0, 0) or sqrt(|0|): no derivative there, and the rules give nan as JAX's do
        COUNTS[f"grad ({backend}): programs at a point with no derivative (an exact 0)"] += 1
        return
    # the difference quotient's own rounding: the loss to float64 precision, over the step
    # (exp of an integer input reaches e^9, whose squares make losses of 1e8)
    rounding = 4 * np.finfo(np.float64).eps * abs(value) / step
    assert abs(analytic - numeric) <= 1e-4 * (abs(numeric) + size) + 1e-6 + rounding, (
        analytic,
        numeric,
    )
    COUNTS[f"grad ({backend}): programs"] += 1


@pytest.mark.parametrize("backend", BACKENDS)
@fuzz(examples=200)
@given(program=programs())
def test_vmap_matches_loop_and_stack(backend, program):
    fn = program.function()
    # the first input is batched; each other one is batched or shared, by the program's seed
    in_axes = tuple(
        0 if i == 0 or (program.seed >> i) & 1 else None for i in range(len(program.inputs))
    )
    examples = [program.arguments(seed=k) for k in range(BATCH)]

    def example(k):
        return [examples[k][i] if axis == 0 else examples[0][i] for i, axis in enumerate(in_axes)]

    batched = [
        np.stack([example(k)[i] for k in range(BATCH)]) if axis == 0 else examples[0][i]
        for i, axis in enumerate(in_axes)
    ]
    outs = [run_eagerly(fn, example(k)) for k in range(BATCH)]
    want = [np.stack([out[j] for out in outs]) for j in range(len(program.outputs))]
    within = _tolerance(program, *[example(k) for k in range(BATCH)])
    got = jl.jit(jl.vmap(fn, in_axes=in_axes), backend=backend)(*batched)
    _check_outputs(program, got, want, within, f"vmap in_axes={in_axes}")
    COUNTS[f"vmap ({backend}): programs"] += 1
