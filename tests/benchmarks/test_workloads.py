"""The benchmark workloads compute what they claim (checked against plain references), and
jitlib-bench runs end to end and writes its JSON."""

import argparse
import dataclasses
import functools
import json
import math
import sys

import numpy as np
import pytest

import jitlib as jl
from benchmarks import training, workloads
from benchmarks.workloads import BY_NAME, WORKLOADS
from jitlib import bench


def _inputs(name: str, seed: int = 0) -> tuple:
    return BY_NAME[name].make_inputs("small", np.random.default_rng(seed))


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.name)
def test_small_inputs_are_float32_and_outputs_keep_it(workload):
    args = workload.make_inputs("small", np.random.default_rng(0))
    assert all(a.dtype in (np.float32, np.int64) for a in args)
    out = workload.results(workload.fn, workload.fresh_copies(args))
    outputs = workloads.flatten(out)
    assert all(np.asarray(out).dtype == np.float32 for out in outputs)
    assert all(np.isfinite(out).all() for out in outputs)
    assert workload.bytes_moved(args, out) > 0


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.name)
def test_xp_argument_selects_the_array_module(workload):
    args = workload.make_inputs("small", np.random.default_rng(1))
    for got, want in zip(
        workloads.flatten(workload.results(workload.jax_fn(np), workload.fresh_copies(args))),
        workloads.flatten(workload.results(workload.fn, workload.fresh_copies(args))),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)


def test_every_workload_has_every_size():
    tables = [
        workloads.ROWWISE,
        workloads.ADAM,
        workloads.MLP,
        workloads.PER_EXAMPLE,
        workloads.ATTENTION,
    ]
    for table in tables:
        assert set(table) == {*workloads.SIZES, "gpu"}
    assert workloads.resolve_size("default", on_gpu=True) == "gpu"
    assert workloads.resolve_size("small", on_gpu=True) == "small"


def test_softmax_rows_are_distributions():
    (x,) = _inputs("softmax")
    out = workloads.softmax(x)
    assert (out > 0).all()
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(workloads.softmax(x + 3.0), out, rtol=1e-4, atol=1e-7)


def test_layernorm_rows_have_zero_mean_unit_variance():
    x, gamma, beta = _inputs("layernorm")
    normed = (workloads.layernorm(x, gamma, beta) - beta) / gamma
    np.testing.assert_allclose(normed.mean(axis=-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(normed.var(axis=-1), 1.0, rtol=1e-3)


def test_rmsnorm_rows_have_unit_mean_square():
    x, gamma = _inputs("rmsnorm")
    normed = workloads.rmsnorm(x, gamma) / gamma
    np.testing.assert_allclose((normed * normed).mean(axis=-1), 1.0, rtol=1e-3)


def test_gelu_is_close_to_x_times_normal_cdf():
    (x,) = _inputs("gelu")
    exact = x * 0.5 * (1.0 + np.vectorize(math.erf)(x.astype(np.float64) / math.sqrt(2.0)))
    np.testing.assert_allclose(workloads.gelu(x), exact, atol=2e-3)


def test_logsumexp_matches_float64_and_shifts():
    (x,) = _inputs("logsumexp")
    want = np.log(np.exp(x.astype(np.float64)).sum(axis=-1))
    np.testing.assert_allclose(workloads.logsumexp(x), want, rtol=1e-5)
    np.testing.assert_allclose(workloads.logsumexp(x + 100.0), want + 100.0, rtol=1e-5)


def test_cross_entropy_matches_a_loop():
    logits, labels = _inputs("cross_entropy")
    rows = logits.astype(np.float64)
    pairs = zip(rows, labels, strict=True)
    losses = [np.log(np.exp(row).sum()) - row[label] for row, label in pairs]
    np.testing.assert_allclose(workloads.cross_entropy(logits, labels), np.mean(losses), rtol=1e-5)


def test_adam_matches_the_bias_corrected_update():
    param, grad, m, v = _inputs("adam")
    new_param, new_m, new_v = workloads.adam(param, grad, m, v)
    assert all(a.shape == param.shape for a in (new_param, new_m, new_v))
    lr, b1, b2, t = 1e-3, 0.9, 0.999, 10
    p64, g64, m64, v64 = (a.astype(np.float64) for a in (param, grad, m, v))
    want_m = b1 * m64 + (1 - b1) * g64
    want_v = b2 * v64 + (1 - b2) * g64 * g64
    m_hat, v_hat = want_m / (1 - b1**t), want_v / (1 - b2**t)
    np.testing.assert_allclose(new_m, want_m, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(new_v, want_v, rtol=1e-5, atol=1e-12)
    want_step = lr * m_hat / np.sqrt(v_hat)
    np.testing.assert_allclose(param - new_param, want_step, rtol=1e-3, atol=3e-7)


def test_adam_inplace_writes_the_bias_corrected_update_into_its_arguments():
    args = _inputs("adam_inplace")
    param, grad, m, v = (a.copy() for a in args)
    assert workloads.adam_inplace(param, grad, m, v) is None
    lr, b1, b2, eps, t = 1e-3, 0.9, 0.999, 1e-8, 10
    p64, g64, m64, v64 = (a.astype(np.float64) for a in args)
    want_m = b1 * m64 + (1 - b1) * g64
    want_v = b2 * v64 + (1 - b2) * g64 * g64
    want_p = p64 - lr * (want_m / (1 - b1**t)) / (np.sqrt(want_v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(m, want_m, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(v, want_v, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(param, want_p, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(grad, args[1])


def test_an_in_place_workloads_results_are_the_arguments_it_wrote():
    workload = BY_NAME["adam_inplace"]
    args = workload.make_inputs("tiny", np.random.default_rng(0))
    copies = workload.fresh_copies(args)
    assert all(c is not a and np.array_equal(c, a) for c, a in zip(copies, args))
    out = workload.results(workload.fn, copies)
    assert all(copies[i] is x for i, x in zip((0, 2, 3), out, strict=True))  # param, m, v
    assert workload.bytes_moved(args, out) == 7 * args[0].nbytes  # 4 read, 3 written


def test_adam_inplace_stays_finite_over_many_calls():
    """Timing calls it again and again on the same arrays, with grad fixed."""
    param, grad, m, v = _inputs("adam_inplace")
    start = param.copy()
    for _ in range(3000):
        workloads.adam_inplace(param, grad, m, v)
    assert all(np.isfinite(a).all() for a in (param, m, v))
    np.testing.assert_allclose(m, grad, rtol=1e-4, atol=1e-6)  # 0.9^3000 of the start is left
    assert np.abs(param - start).max() < 3000 * 1e-3 * 1.1  # about lr a call


@pytest.mark.parametrize("backend", ["numpy", "triton"])
@pytest.mark.parametrize("workload", [w for w in WORKLOADS if w.writes], ids=lambda w: w.name)
def test_jitlib_writes_into_the_arguments_what_eager_numpy_writes(workload, backend):
    """After one call from the same inputs (Triton: in its interpreter without a GPU)."""
    args = workload.make_inputs("tiny", np.random.default_rng(3))
    jitted = jl.jit(workload.jitlib_source(), backend=backend)
    got_args = workload.fresh_copies(args)
    assert jitted(*got_args) is None
    want = workload.results(workload.fn, workload.fresh_copies(args))
    for i, w in zip(workload.writes, want, strict=True):
        assert not np.array_equal(w, args[i])  # the call changed it
        np.testing.assert_allclose(got_args[i], w, rtol=1e-5, atol=1e-7)
    unwritten = set(range(len(args))) - set(workload.writes)
    assert all(np.array_equal(got_args[i], args[i]) for i in unwritten)


def test_adam_inplace_is_one_triton_kernel():
    """The three writes fuse with the update into one elementwise kernel with three stores."""
    workload = BY_NAME["adam_inplace"]
    args = workload.make_inputs("tiny", np.random.default_rng(4))
    compiled = jl.jit(workload.jitlib_source(), backend="triton").lower(*args).compile()
    assert compiled.kernel.kernels == 1
    assert compiled.kernel.host_steps == []
    # the compiled function returns the written arguments' final values (after writing
    # them into the arrays it is given, where its kernel can: give it copies)
    finals = compiled(*workload.fresh_copies(args))
    want = workload.results(workload.fn, workload.fresh_copies(args))
    for got, w in zip(finals, want, strict=True):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-7)


def test_mlp_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    x, w1, w2, y = (a.astype(np.float64) for a in _inputs("mlp"))
    loss, grad_w1, grad_w2 = workloads.mlp(x, w1, w2, y)
    d1, d2 = rng.standard_normal(w1.shape), rng.standard_normal(w2.shape)
    h = 1e-6
    plus = workloads.mlp(x, w1 + h * d1, w2 + h * d2, y)[0]
    minus = workloads.mlp(x, w1 - h * d1, w2 - h * d2, y)[0]
    numeric = (plus - minus) / (2 * h)
    analytic = (grad_w1 * d1).sum() + (grad_w2 * d2).sum()
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)
    out = np.tanh(x @ w1) @ w2
    np.testing.assert_allclose(loss, 0.5 * ((out - y) ** 2).sum() / len(x), rtol=1e-12)


def test_per_example_grads_match_a_loop():
    features, targets, w = _inputs("per_example_grads")
    norms = []
    for x, y in zip(features.astype(np.float64), targets.astype(np.float64), strict=True):
        # d/dw log(1 + exp(-y x.w)) = -y x sigmoid(-y x.w)
        grad = -y * x / (1.0 + np.exp(y * (x @ w)))
        norms.append(np.linalg.norm(grad))
    np.testing.assert_allclose(workloads.per_example_grads(features, targets, w), norms, rtol=1e-4)


def _logistic_losses(features, targets, w, b):
    return np.logaddexp(0.0, -targets * (features @ w + b))


def test_per_example_grads_vmap_match_central_differences_per_example():
    rng = np.random.default_rng(0)
    features, targets, w, b = (a.astype(np.float64) for a in _inputs("per_example_grads_vmap"))
    grads_w, grads_b = training.per_example_grads_vmap(features, targets, w, b)
    assert grads_w.shape == features.shape and grads_b.shape == targets.shape
    d_w, d_b, h = rng.standard_normal(w.shape), rng.standard_normal(), 1e-6
    plus = _logistic_losses(features, targets, w + h * d_w, b + h * d_b)
    minus = _logistic_losses(features, targets, w - h * d_w, b - h * d_b)
    np.testing.assert_allclose(grads_w @ d_w + grads_b * d_b, (plus - minus) / (2 * h), rtol=1e-6)


def _mlp_loss64(x, targets, w1, b1, w2, b2):
    logits = np.maximum(x @ w1 + b1, 0.0) @ w2 + b2
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return -(targets * log_probs).sum(axis=-1).mean()


def test_mlp_train_step_is_momentum_sgd_on_the_cross_entropy_gradient():
    rng = np.random.default_rng(0)
    args = [a.astype(np.float64) for a in _inputs("mlp_train_step")]
    x, targets, params, velocity = args[0], args[1], args[2:6], args[6:]
    loss, *out = training.mlp_train_step(*args)
    new_params, new_velocity = out[:4], out[4:]
    grads = [v_new - training.MOMENTUM * v for v_new, v in zip(new_velocity, velocity)]
    for p, p_new, v_new in zip(params, new_params, new_velocity):
        np.testing.assert_allclose(p_new, p - training.LEARNING_RATE * v_new, rtol=1e-12)
    np.testing.assert_allclose(loss, _mlp_loss64(x, targets, *params), rtol=1e-12)
    directions = [rng.standard_normal(p.shape) for p in params]
    h = 1e-6
    plus = _mlp_loss64(x, targets, *[p + h * d for p, d in zip(params, directions)])
    minus = _mlp_loss64(x, targets, *[p - h * d for p, d in zip(params, directions)])
    analytic = sum((g * d).sum() for g, d in zip(grads, directions))
    np.testing.assert_allclose(analytic, (plus - minus) / (2 * h), rtol=1e-5)


@pytest.mark.parametrize("workload", [w for w in WORKLOADS if w.jit_fn], ids=lambda w: w.name)
def test_jitlib_side_computes_the_numbers_of_the_numpy_baseline(workload):
    """jitlib-bench times `jit_fn` under jl.jit against `fn` run eagerly: same results."""
    args = workload.make_inputs("small", np.random.default_rng(2))
    got = workloads.flatten(jl.jit(workload.jit_fn)(*args))
    want = workloads.flatten(workload.fn(*args))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == np.shape(w) and g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)


def test_attention_matches_a_loop_over_queries():
    q, k, v = (a.astype(np.float64) for a in _inputs("attention"))
    rows = []
    for query in q:
        weights = np.exp(k @ query / math.sqrt(q.shape[1]))
        rows.append(weights @ v / weights.sum())
    got = workloads.attention(*_inputs("attention"))
    np.testing.assert_allclose(got, np.array(rows), rtol=1e-4, atol=1e-5)


# --- the CLI ------------------------------------------------------------------------------


def test_bench_main_writes_json(tmp_path):
    path = tmp_path / "b.json"
    assert bench.main(["--size", "small", "--workload", "gelu", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    (row,) = [row for row in report["rows"] if row["workload"] == "gelu"]
    assert row["status"] == "ok"
    assert row["jitlib_ms"] > 0
    assert row["traces"] == 1
    assert report["traces"] == 1
    assert report["copy_bandwidth_gbs"] > 0
    assert report["exp_rate_per_s"] > 0
    assert report["dispatch_us"] == report["tiny_call_us"]["jitlib_us"] > 0
    assert "kernels" not in row  # a Triton figure only
    # the floor: the plan's bytes at the copy bandwidth or its tanh calls at the exp rate
    cost = row["cost"]
    assert cost["transcendentals"] == 256 * 256
    assert cost["minimum_read"] == cost["minimum_written"] == 256 * 256 * 4
    minimum = cost["minimum_read"] + cost["minimum_written"]
    assert row["bytes_vs_minimum"] == (cost["read"] + cost["written"]) / minimum >= 1.0
    floor_s = max(
        (cost["read"] + cost["written"]) / (report["copy_bandwidth_gbs"] * 1e9),
        cost["transcendentals"] / report["exp_rate_per_s"],
    )
    assert row["floor_ms"] == pytest.approx(floor_s * 1e3)
    assert row["pct_floor"] == pytest.approx(100 * row["floor_ms"] / row["jitlib_ms"])


def test_bench_checks_an_in_place_workload_by_the_arguments_it_writes():
    """Eager numpy and jitlib each run on copies of their own: the inputs stay as made."""
    made, given = [], []
    real = BY_NAME["adam_inplace"].make_inputs

    def make_inputs(size, rng):
        made.append(real(size, rng))
        given.append(tuple(a.copy() for a in made[-1]))
        return given[-1]

    workload = dataclasses.replace(BY_NAME["adam_inplace"], make_inputs=make_inputs)
    options = argparse.Namespace(size_key="small", backend="numpy", resolved_backend="numpy")
    options.__dict__.update(cupy=None, on_gpu=False, repeat=3, sample_s=0.0, copy_gbs=1.0)
    options.exp_rate = 1e9
    options.compare = ["jax"]
    row = bench._run(workload, options)
    assert row["status"] == "ok" and row["jitlib_ms"] > 0 and row["traces"] == 1
    assert row["compare"]["jax"]["status"] == "jax: immutable arrays"
    (args,) = made
    assert all(np.array_equal(a, b) for a, b in zip(args, given[0]))
    assert row["gbs"] * row["jitlib_ms"] * 1e6 == pytest.approx(7 * args[0].nbytes)


def _adam_forgetting_param(param, grad, m, v):
    param_copy = param.copy()
    workloads.adam_inplace(param_copy, grad, m, v)


def test_bench_reports_a_write_jitlib_left_out():
    args = _inputs("adam_inplace")
    expected = BY_NAME["adam_inplace"].results(workloads.adam_inplace, [a.copy() for a in args])
    workload = dataclasses.replace(BY_NAME["adam_inplace"], jit_fn=_adam_forgetting_param)
    call = functools.partial(workload.results, jl.jit(workload.jit_fn), workload.fresh_copies(args))
    _, status = bench._first_call(call, bench.no_sync, expected)
    assert status.startswith("mismatch in result 0")  # param; m and v were written


def test_bench_reports_a_missing_framework(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail, installed or not
    path = tmp_path / "b.json"
    argv = ["--size", "small", "--workload", "softmax", "--compare", "torch", "--repeat", "3"]
    assert bench.main([*argv, "--json", str(path)]) == 0
    (row,) = json.loads(path.read_text())["rows"]
    assert row["compare"]["torch"] == {"status": "not installed"}


def test_bench_on_the_triton_backend_counts_kernels(tmp_path):
    """In Triton's interpreter without a GPU (tests/conftest.py), on the GPU with one."""
    path = tmp_path / "b.json"
    argv = ["--backend", "triton", "--size", "tiny", "--workload", "softmax", "--workload", "adam"]
    argv += ["--workload", "adam_inplace"]  # its check compares the arguments it wrote
    assert bench.main([*argv, "--repeat", "1", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    assert report["backend"] == "triton" and "partial" not in report
    assert report["dispatch_us"] > 0
    assert [row["workload"] for row in report["rows"]] == ["softmax", "adam", "adam_inplace"]
    for row in report["rows"]:
        assert row["status"] == "ok"  # the values match eager numpy's
        assert row["kernels"] == 1 and row["host_steps"] == []
        assert row["compile_ms_per_kernel"] == row["compile_ms"]
        assert row["bytes_vs_minimum"] == 1.0  # one kernel: inputs read once, outputs written once
        assert [step["kind"] for step in row["cost"]["steps"]] == ["kernel"]
        assert row["floor_ms"] > 0 and row["pct_floor"] > 0
