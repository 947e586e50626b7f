"""The cost model against hand counts: bytes read and written, flops and transcendental
calls of softmax, Adam and a matmul with a bias + ReLU epilogue, on both backends (Triton's
plan at the interpreter's small sizes); every op has a cost rule; the steps it reports are
the functions and kernels the emitters write."""

import math

import numpy as np
import pytest

import jitlib as jl
from codegen import cost
from ir.ops import OPS

F32 = 4
BACKENDS = ("numpy", "triton")


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def cost_of(fn, backend, *args) -> cost.Cost:
    return jl.jit(fn, backend=backend).lower(*args).compile().cost()


def test_every_op_has_a_cost_rule():
    """A new op must say what it costs: none falls through to zero by accident."""
    missing = [op.name for op in OPS.values() if cost.rule_for(op) is None]
    assert missing == []


def test_transcendental_ops_cost_calls_and_others_flops():
    assert cost.rule_for(OPS["exp"]) is cost.rule_for(OPS["erf"]) is cost._transcendental
    assert cost.rule_for(OPS["sqrt"]) is cost.rule_for(OPS["add"]) is cost._per_element
    assert cost.rule_for(OPS["transpose"]) is cost._nothing


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_softmax(backend):
    rows, cols = 8, 32
    found = cost_of(softmax, backend, rand((rows, cols)))
    # one pass: x read once, the result written once (a row block, or one reduction kernel)
    assert [step.kind for step in found.steps] == ["row blocks" if backend == "numpy" else "kernel"]
    assert found.read == found.written == rows * cols * F32
    assert found.bytes == found.minimum
    # max and sum: cols - 1 ops per row; subtract and divide: one per element
    assert found.flops == 2 * rows * (cols - 1) + 2 * rows * cols
    assert found.transcendentals == rows * cols  # exp
    assert dict(found.sizes) == {"s0": rows, "s1": cols}


def adam(param, grad, m, v):
    lr, b1, b2, eps, t = 1e-3, 0.9, 0.999, 1e-8, 10
    m = b1 * m + (1.0 - b1) * grad
    v = b2 * v + (1.0 - b2) * grad * grad
    step = lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
    return param - step * m / (np.sqrt(v) + eps), m, v


@pytest.mark.parametrize("backend", BACKENDS)
def test_adam(backend):
    n = 64
    found = cost_of(adam, backend, *(rand(n, seed) for seed in range(4)))
    assert len(found.steps) == 1  # one row block / one pointwise kernel
    assert found.read == 4 * n * F32  # param, grad, m, v
    assert found.written == 3 * n * F32  # param, m, v
    # m: 3 (two multiplies, an add); v: 4; the update: step * m, sqrt, + eps, /, -: 5
    assert found.flops == 12 * n
    assert found.transcendentals == 0  # sqrt is an instruction, not a library call


def dense_relu(x, w, b):
    return np.maximum(x @ w + b, 0.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_matmul_with_a_bias_and_relu_epilogue(backend):
    m, k, n = 8, 16, 32
    x, w, b = rand((m, k)), rand((k, n), 1), rand(n, 2)
    found = cost_of(dense_relu, backend, x, w, b)
    assert found.flops == 2 * m * n * k + 2 * m * n  # the matmul, then + b and the max
    assert found.transcendentals == 0
    assert found.minimum_read == (m * k + k * n + n) * F32
    assert found.minimum_written == m * n * F32
    if backend == "triton":  # one matmul kernel with the epilogue: the minimum
        assert [step.name for step in found.steps] == ["k0_matmul"]
        assert (found.read, found.written) == (found.minimum_read, found.minimum_written)
    else:  # two elementwise ops are too few to block: three passes over memory
        (step,) = found.steps
        assert step.kind == "passes"
        matmul = (m * k + k * n, m * n)
        bias = (m * n + n, m * n)
        relu = (m * n, m * n)  # the 0.0 is a scalar in the call, not an array in memory
        assert found.read == F32 * (matmul[0] + bias[0] + relu[0])
        assert found.written == F32 * (matmul[1] + bias[1] + relu[1])


def centred(x):
    """Row-local work, then a mean over the rows (blocked section and the rest)."""
    y = np.tanh(x) * 2.0 + 1.0
    return y - y.mean(axis=0)


def test_numpy_blocked_rows_then_passes_over_the_rest():
    rows, cols = 16, 8
    found = cost_of(centred, "numpy", rand((rows, cols)))
    blocked, rest = found.steps
    size = rows * cols
    assert (blocked.kind, blocked.read, blocked.written) == ("row blocks", size * F32, size * F32)
    # elements read and written by the mean (a sum, the row count made a float32 scalar, a
    # divide) and the subtraction, each a pass over memory
    sum_, count, divide, subtract = (size, cols), (0, 1), (cols + 1, cols), (size + cols, size)
    passes = (sum_, count, divide, subtract)
    assert rest.read == F32 * sum(read for read, _ in passes)
    assert rest.written == F32 * sum(written for _, written in passes)
    assert found.transcendentals == rows * cols


def test_host_steps_read_their_inputs_and_write_their_outputs():
    found = cost_of(lambda x: np.cumsum(x * 2.0, axis=0), "triton", rand((4, 8)))
    kinds = {step.kind: step for step in found.steps}
    assert set(kinds) == {"kernel", "host"}
    assert kinds["host"].read == kinds["host"].written == 4 * 8 * F32
    assert kinds["host"].flops == 4 * 8


def test_a_scans_body_counts_once_per_step():
    def f(xs):
        return jl.scan(lambda c, x: (c + np.exp(x), c), np.zeros(3, np.float32), xs)

    found = cost_of(f, "numpy", rand((5, 3)))
    assert found.transcendentals == 5 * 3


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn", [softmax, centred, dense_relu, lambda x: np.exp(x) + 1.0])
def test_steps_are_the_generated_functions_and_kernels(fn, backend):
    """Each step is named as the emitter names its code, and the numpy backend blocks rows
    exactly where the cost model says it does."""
    args = (rand((16, 8)), rand((8, 4)), rand(4)) if fn is dense_relu else (rand((16, 8)),)
    compiled = jl.jit(fn, backend=backend).lower(*args).compile()
    found = compiled.cost()
    for step in found.steps:
        assert f"def {step.name}(" in compiled.source
    if backend == "numpy":
        blocked = any(step.kind == "row blocks" for step in found.steps)
        assert blocked == ("_block(" in compiled.source)


def test_floor_is_the_slower_of_traffic_and_transcendental_calls():
    found = cost_of(softmax, "numpy", rand((8, 32)))
    assert found.floor_s(found.bytes, 1e30) == pytest.approx(1.0)
    assert found.floor_s(1e30, found.transcendentals / 2.0) == pytest.approx(2.0)


def test_printed_table_lists_steps_totals_and_minimum():
    found = cost_of(softmax, "triton", rand((8, 32)))
    lines = str(found).splitlines()
    assert lines[0] == "cost of softmax on the triton backend (s0=8, s1=32)"
    assert lines[2].split()[:6] == ["k0_reduction", "kernel", "1024", "1024", "1008", "256"]
    assert lines[3].split()[:6] == ["total", "1024", "1024", "1008", "256", "1.00x"]
    assert lines[4].split()[:3] == ["minimum", "1024", "1024"]
    figures = found.as_dict()
    assert figures["steps"][0]["name"] == "k0_reduction"
    assert figures["minimum_read"] == 1024
