"""What the fusion planner makes of the benchmark workloads: how many kernels, and that
the fused kernels compute what eager numpy computes (in Triton's interpreter)."""

import numpy as np
import pytest

import jitlib as jl
from benchmarks import workloads
from ir.passes import fusion

SEED = 7


def linear_tanh(x, w, b):
    return np.tanh(x @ w + b)


def scaled_linear(x, w, b):
    return 0.5 * (x @ w) + b


# workload -> the kernels one call launches
KERNELS = {
    "softmax": 1,
    "logsumexp": 1,
    "layernorm": 1,
    "rmsnorm": 1,
    "gelu": 1,
    "adam": 1,
    "cross_entropy": 1,  # the picked log-probability's mean is a total over the rows
}


def _inputs(name: str) -> tuple:
    workload = workloads.BY_NAME[name]
    return workload, workload.make_inputs("tiny", np.random.default_rng(SEED))


def _compiled(fn, args):
    return jl.jit(fn, backend="triton").lower(*args).compile()


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_workload_kernel_count(name):
    workload, args = _inputs(name)
    compiled = _compiled(workload.jitlib_source(), args)
    assert compiled.kernel.kernels == KERNELS[name]
    assert compiled.kernel.host_steps == []
    got = jl.tree_flatten(compiled(*args))[0]
    want = jl.tree_flatten(workload.fn(*args))[0]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("fn", [linear_tanh, scaled_linear])
def test_matmul_with_epilogue_is_one_kernel(fn):
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((37, 24)).astype(np.float32)
    w = rng.standard_normal((24, 19)).astype(np.float32)
    b = rng.standard_normal(19).astype(np.float32)
    compiled = _compiled(fn, (x, w, b))
    assert compiled.kernel.kernels == 1
    (got,) = compiled(x, w, b)
    np.testing.assert_allclose(got, fn(x, w, b), rtol=1e-5, atol=1e-5)


def test_looped_rows_match_the_single_block_rows(monkeypatch):
    """Rows longer than a block take the looped kernels (max, sum, then the outputs)."""
    from codegen import triton_emitter

    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((5, 300)).astype(np.float32) * 3
    gamma, beta = (
        rng.standard_normal(300).astype(np.float32),
        rng.standard_normal(300).astype(np.float32),
    )
    monkeypatch.setattr(triton_emitter, "MAX_ROW_BLOCK", 64)
    monkeypatch.setattr(triton_emitter, "LOOP_BLOCK", 64)
    for fn, args in [
        (workloads.softmax, (x,)),
        (workloads.layernorm, (x, gamma, beta)),
        (workloads.logsumexp, (x,)),
    ]:
        got = jl.jit(fn, backend="triton")(*args)
        np.testing.assert_allclose(got, fn(*args), rtol=2e-5, atol=1e-5)


def test_argmax_and_reductions_over_leading_axes():
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((6, 5, 4)).astype(np.float32)
    x[2, 1, 3] = np.nan

    def f(x):
        return x.argmax(axis=1), x.max(axis=(0, 2)), x.sum(axis=0), x.argmin(axis=2)

    got = jl.jit(f, backend="triton")(x)
    for g, w in zip(got, f(x)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_planner_stores_a_reduction_needed_at_another_row():
    """x - x.mean(0) inside a row-wise softmax: the column mean is its own kernel."""

    def f(x):
        centred = x - x.mean(axis=0)
        e = np.exp(centred - centred.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    x = np.random.default_rng(SEED).standard_normal((9, 7)).astype(np.float32)
    lowered = jl.jit(f, backend="triton").lower(x)
    from codegen import triton_emitter

    plan = fusion.plan(lowered.ir, triton_emitter.supported)
    kinds = [step.domain.kind for step in plan.steps]
    assert kinds == ["reduction", "reduction"]
    np.testing.assert_allclose(lowered.compile()(x)[0], f(x), rtol=1e-5, atol=1e-6)


def mean_squared_error(pred, target):
    return 0.5 * ((pred - target) ** 2).sum(axis=1).mean()


def test_a_loss_over_rows_is_one_kernel(monkeypatch):
    """Row sums then their mean: each program adds its row to the total, the last one to
    finish scales it (the reduction kernel's totals)."""
    from codegen import triton_emitter

    rng = np.random.default_rng(SEED)
    pred = rng.standard_normal((23, 17)).astype(np.float32)
    target = rng.standard_normal((23, 17)).astype(np.float32)
    compiled = _compiled(mean_squared_error, (pred, target))
    assert compiled.kernel.kernels == 1
    assert "tl.atomic_add(count, 1)" in compiled.source
    want = mean_squared_error(pred.astype(np.float64), target.astype(np.float64))
    np.testing.assert_allclose(compiled(pred, target)[0], want, rtol=1e-5)
    monkeypatch.setattr(triton_emitter, "MAX_ROW_BLOCK", 4)  # the looped kernel too
    monkeypatch.setattr(triton_emitter, "LOOP_BLOCK", 4)
    np.testing.assert_allclose(compiled(pred, target)[0], want, rtol=1e-5)


def test_a_total_over_no_rows_is_stored_by_one_program():
    empty = np.zeros((0, 3), np.float32)
    with np.errstate(invalid="ignore"):
        want = mean_squared_error(empty, empty)
    got = jl.jit(mean_squared_error, backend="triton")(empty, empty)
    np.testing.assert_array_equal(got, want)  # nan: a mean over nothing


def test_long_rows_take_max_and_sum_in_one_pass(monkeypatch):
    """Rows longer than a block: a softmax's max and sum of exponentials share one pass
    (online softmax), and infinities and NaN come out as numpy's."""
    from codegen import triton_emitter

    monkeypatch.setattr(triton_emitter, "MAX_ROW_BLOCK", 64)
    monkeypatch.setattr(triton_emitter, "LOOP_BLOCK", 64)
    rng = np.random.default_rng(SEED)
    x = (rng.standard_normal((6, 300)) * 3).astype(np.float32)
    x[0, :150] = -np.inf  # lanes that see only -inf at first
    x[1, :] = -np.inf
    x[2, 5] = np.inf
    x[3, 9] = np.nan
    for fn in (workloads.softmax, workloads.logsumexp):
        compiled = jl.jit(fn, backend="triton").lower(x).compile()
        loop = compiled.source[compiled.source.index("_loop(") :]
        assert loop.count("for start in range") == (2 if fn is workloads.softmax else 1)
        with np.errstate(all="ignore"):
            want = fn(x)
        np.testing.assert_allclose(compiled(x)[0], want, rtol=2e-5, atol=1e-6)


def test_long_rows_take_mean_and_variance_in_one_pass(monkeypatch):
    """Rows longer than a block: a layernorm's sum and sum of squared deviations share one
    pass (Welford per lane, float64 accumulators, Chan's formula across lanes), and stay
    as accurate as numpy's two passes for rows far from zero."""
    from codegen import triton_emitter

    monkeypatch.setattr(triton_emitter, "MAX_ROW_BLOCK", 64)
    monkeypatch.setattr(triton_emitter, "LOOP_BLOCK", 64)
    rng = np.random.default_rng(SEED)
    x = (rng.standard_normal((5, 300)) * 3 + 1000).astype(np.float32)
    gamma = rng.standard_normal(300).astype(np.float32)
    beta = rng.standard_normal(300).astype(np.float32)
    compiled = jl.jit(workloads.layernorm, backend="triton").lower(x, gamma, beta).compile()
    loop = compiled.source[compiled.source.index("_loop(") :]
    assert loop.count("for start in range") == 2 and "red.welford" in loop
    exact = workloads.layernorm(x.astype(np.float64), gamma, beta)
    numpy_error = np.abs(workloads.layernorm(x, gamma, beta) - exact).max()
    assert np.abs(compiled(x, gamma, beta)[0] - exact).max() <= 2 * numpy_error

    def variance(x):
        return x.var(axis=1)

    got = jl.jit(variance, backend="triton")(x)
    np.testing.assert_allclose(got, variance(x.astype(np.float64)), rtol=1e-6)


def test_row_values_that_need_the_total_read_it_from_memory():
    """A total is known only to the last program of its kernel: rows scaled by it run in a
    later kernel that reads it back (never in the same one)."""

    def shares(x):
        rows = (x * x).sum(axis=1)
        total = rows.sum()
        return rows / total, total, x.max(axis=1) / total

    x = np.random.default_rng(SEED).standard_normal((7, 5)).astype(np.float32)
    got = jl.jit(shares, backend="triton")(x)
    for g, w in zip(got, shares(x)):
        np.testing.assert_allclose(g, w, rtol=1e-5)


def test_elementwise_outputs_join_a_matmul_or_row_kernel_of_their_shape():
    """A pointwise kernel of a matmul's or a row reduction's shape becomes more outputs of
    that kernel: the pre-activation a backward pass keeps and the ReLU after it are one
    matmul kernel; the row losses and the scaled residual are one row kernel."""

    def layer(x, w, b, y):
        h = x @ w + b  # kept: the ReLU's gradient needs it
        a = np.maximum(h, 0.0)
        residual = a - y
        return h, a, (residual * residual).sum(axis=1), residual * 0.5

    rng = np.random.default_rng(SEED)
    args = (
        rng.standard_normal((9, 6)).astype(np.float32),
        rng.standard_normal((6, 5)).astype(np.float32),
        rng.standard_normal(5).astype(np.float32),
        rng.standard_normal((9, 5)).astype(np.float32),
    )
    compiled = _compiled(layer, args)
    assert compiled.kernel.kernels == 2  # matmul (+ h, a), rows (+ the residual)
    for got, want in zip(compiled(*args), layer(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
