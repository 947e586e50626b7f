"""The numpy backend's run time (codegen/numpy_runtime.py): row blocks on a thread pool,
scratch pools kept across calls, and the caching allocator for results.

- Threaded runs give bit-identical results to one-thread runs: the blocks are the same
  whatever the thread count, and each is computed the same way.
- JITLIB_NUM_THREADS sets the count.
- Pooled memory is never handed out while an array still views it, and is reused once the
  arrays are gone, so a cached call faults in no fresh pages.
"""

import os
import resource
import signal
import threading
import time

import numpy as np
import pytest

import jitlib as jl
from benchmarks import workloads
from codegen import numpy_runtime
from reliability.test_threads import run_together


def rand(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def layernorm_then_scale(x, gamma, beta):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    y = (x - mean) / np.sqrt(var + 1e-5) * gamma + beta
    return y, np.tanh(y).sum(axis=-1)


def adam_in_place(p, g, m, v):
    m *= 0.9
    m += 0.1 * g
    v *= 0.999
    v += 0.001 * g * g
    p -= 0.01 * m / (np.sqrt(v) + 1e-8)
    return p


def relu_rows(x, w):
    return np.maximum(x @ w, 0.0) * 2.0 - 1.0


def mean_cross_entropy(logits, labels):
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(logp, labels[:, None], axis=1).mean()


def labels(n, classes, seed=0):
    return np.random.default_rng(seed).integers(0, classes, n)


CASES = {
    "softmax": (workloads.softmax, lambda: [rand((301, 67))]),
    "layernorm": (layernorm_then_scale, lambda: [rand((301, 67)), rand(67, 1), rand(67, 2)]),
    "adam_in_place": (
        adam_in_place,
        lambda: [rand(5003, i) for i in range(3)] + [np.abs(rand(5003, 3))],
    ),
    "matmul_rows": (relu_rows, lambda: [rand((301, 33)), rand((33, 17), 1)]),
    "float64": (workloads.logsumexp, lambda: [rand((301, 67), dtype=np.float64)]),
    "mean_ce_grad": (jl.grad(mean_cross_entropy), lambda: [rand((301, 67)), labels(301, 67)]),
}


@pytest.fixture
def many_blocks(monkeypatch):
    """Blocks of a few rows, and threads for any amount of work."""
    monkeypatch.setattr(numpy_runtime, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(numpy_runtime, "MIN_PARALLEL_BYTES", 0)


def run(fn, args_of, threads: int, monkeypatch):
    monkeypatch.setenv("JITLIB_NUM_THREADS", str(threads))
    args = args_of()
    out = jl.jit(fn)(*args)
    return [np.array(a) for a in jl.tree_flatten(out)[0]] + args


@pytest.mark.parametrize("name", CASES)
def test_threaded_runs_are_bit_identical_to_one_thread(name, many_blocks, monkeypatch):
    fn, args_of = CASES[name]
    used = []
    real = numpy_runtime._pool
    monkeypatch.setattr(numpy_runtime, "_pool", lambda n: used.append(n) or real(n))
    one = run(fn, args_of, 1, monkeypatch)
    assert not used
    calls_blas = name == "matmul_rows"  # stays on the calling thread: BLAS has threads
    for threads in (2, 3, 5):
        many = run(fn, args_of, threads, monkeypatch)
        if calls_blas:
            assert not used, "blocks that call BLAS went to the thread pool"
        else:
            assert used and used[-1] == threads, "the blocks did not go to the thread pool"
        for a, b in zip(one, many):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)  # bit-identical, nan positions included
    eager = jl.tree_flatten(fn(*args_of()))[0]
    for got, want in zip(one, eager):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-5)


def test_thread_count_override(monkeypatch):
    monkeypatch.delenv("JITLIB_NUM_THREADS", raising=False)
    assert numpy_runtime.thread_count() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("JITLIB_NUM_THREADS", "3")
    assert numpy_runtime.thread_count() == 3
    for bad in ("0", "-2", "two"):
        monkeypatch.setenv("JITLIB_NUM_THREADS", bad)
        with pytest.raises(ValueError, match="JITLIB_NUM_THREADS"):
            numpy_runtime.thread_count()


def test_small_work_stays_on_the_calling_thread(monkeypatch):
    monkeypatch.setattr(numpy_runtime, "BLOCK_BYTES", 4096)
    monkeypatch.setenv("JITLIB_NUM_THREADS", "4")
    seen = set()

    def record(start, stop, pool):
        seen.add(threading.get_ident())

    pools = numpy_runtime.Pools()
    numpy_runtime.run_blocks(record, 1000, 10, pools, numpy_runtime.MIN_PARALLEL_BYTES - 1)
    assert seen == {threading.get_ident()}
    numpy_runtime.run_blocks(record, 1000, 10, pools, numpy_runtime.MIN_PARALLEL_BYTES)
    assert len(seen) > 1


def test_an_error_in_a_worker_reaches_the_caller_after_every_share_ends(monkeypatch):
    monkeypatch.setenv("JITLIB_NUM_THREADS", "3")
    done = []

    def fail_in_the_last_share(start, stop, pool):
        if start >= 900:
            raise FloatingPointError("block failed")
        done.append(start)

    with pytest.raises(FloatingPointError, match="block failed"):
        numpy_runtime.run_blocks(fail_in_the_last_share, 1000, 10, numpy_runtime.Pools(), 1 << 30)
    assert sorted(done) == list(range(0, 900, 10))


def test_user_threads_share_the_pool_without_sharing_buffers(many_blocks, monkeypatch):
    monkeypatch.setenv("JITLIB_NUM_THREADS", "2")
    f = jl.jit(workloads.softmax)
    inputs = [rand((257, 45), seed=i) for i in range(8)]
    want = [f(x) for x in inputs]
    got = run_together(lambda i: [f(inputs[i]) for _ in range(5)])
    for i, results in enumerate(got):
        for result in results:
            np.testing.assert_array_equal(result, want[i])


# --- pooled memory -----------------------------------------------------------------------


def test_a_pooled_block_is_reused_only_once_no_array_views_it():
    shape = (512, 64)  # 128 KB: pooled
    a = numpy_runtime.empty(shape, np.float32)
    a[...] = 1.0
    view = a[3:]
    del a
    b = numpy_runtime.empty(shape, np.float32)
    assert not np.shares_memory(b, view), "a block still viewed was handed out again"
    address = b.__array_interface__["data"][0]
    del b
    c = numpy_runtime.empty(shape, np.float32)
    assert c.__array_interface__["data"][0] == address, "a free block was not reused"
    np.testing.assert_array_equal(view, 1.0)  # untouched by the later arrays


def test_small_arrays_are_not_pooled():
    a = numpy_runtime.empty((4, 4), np.float64)
    assert a.base is None and a.shape == (4, 4) and a.dtype == np.float64


def test_free_blocks_are_trimmed():
    a = numpy_runtime.empty((1 << 16,), np.float64)  # 512 KB
    numpy_runtime.clear_memory_pool()  # other tests' free blocks
    held = numpy_runtime.ALLOCATOR.stats()["held_bytes"]
    assert held >= a.nbytes  # in use: kept
    del a
    assert numpy_runtime.clear_memory_pool() == 1 << 19
    assert numpy_runtime.ALLOCATOR.stats()["held_bytes"] == held - (1 << 19)


def test_the_pool_stays_within_its_bound(monkeypatch):
    numpy_runtime.clear_memory_pool()
    held = numpy_runtime.ALLOCATOR.stats()["held_bytes"]
    monkeypatch.setattr(numpy_runtime, "POOL_BYTES", held + (1 << 20))
    live = [numpy_runtime.empty((1 << 16,), np.float32) for _ in range(8)]  # 2 MB in all
    assert numpy_runtime.ALLOCATOR.stats()["held_bytes"] <= held + (1 << 20)
    assert len({a.__array_interface__["data"][0] for a in live}) == 8


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@pytest.mark.parametrize("name", ["softmax", "adam_in_place"])
def test_a_cached_call_faults_in_no_fresh_pages(name, monkeypatch):
    """36 MB results (9216 pages), above glibc's largest mmap threshold (32 MB), so a call
    that allocated them afresh would fault each page in; in steady state a cached call
    reuses pooled, already-faulted memory."""
    monkeypatch.setenv("JITLIB_NUM_THREADS", "1")
    fn, _ = CASES[name]
    n = 9 << 20  # float32 elements in 36 MB
    args = [rand((n // 2048, 2048))] if name == "softmax" else [rand(n, i) for i in range(4)]
    if name == "adam_in_place":
        args[3] = np.abs(args[3])
    f = jl.jit(fn)
    for _ in range(3):
        f(*args)
    before = minor_faults()
    for _ in range(5):
        f(*args)
    per_call = (minor_faults() - before) / 5
    assert per_call < 100, f"{per_call} page faults per cached call"


def test_labels_of_a_square_input_are_sliced_with_its_rows_regression(many_blocks):
    """A (n,) labels vector beside (n, n) logits takes the columns' symbol; the row blocks
    gathered with the whole vector (shapes (21,1) and (4096,1) at the bench's default)."""
    fn = workloads.cross_entropy
    args = (rand((48, 48)), labels(48, 48))
    np.testing.assert_allclose(jl.jit(fn)(*args), fn(*args), rtol=2e-5)
    np.testing.assert_allclose(jl.jit(jl.grad(fn))(*args), jl.grad(fn)(*args), rtol=2e-5)


@pytest.mark.parametrize("name", ["softmax", "layernorm", "rmsnorm", "logsumexp"])
def test_square_inputs_run_wholly_in_row_blocks_regression(name, many_blocks):
    """At 4096x4096 the bench's row-wise workloads traced as f32[s0,s0]: rows and columns
    shared a symbol, so nothing was row-blocked; then a (n,) scale of a square input took
    the rows' symbol, and layernorm's `* gamma + beta` ran on whole arrays."""
    workload = workloads.BY_NAME[name]
    args = workload.make_inputs("tiny", np.random.default_rng(0))
    n = 48
    args = tuple(rand((n,) * a.ndim, seed=i) for i, a in enumerate(args))
    jf = jl.jit(workload.fn)
    source = jf.lower(*args).compile().source
    assert "rt.run_blocks(" in source and "_rest(" not in source
    np.testing.assert_allclose(jf(*args), workload.fn(*args), rtol=2e-5, atol=1e-5)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_runs_blocks_on_threads_of_its_own(many_blocks, monkeypatch):
    """The parent's pool threads do not exist in a forked child: submitting to them would
    wait forever. The child starts its own pool (multiprocessing's fork start, dask)."""
    monkeypatch.setenv("JITLIB_NUM_THREADS", "2")
    f = jl.jit(workloads.softmax)
    x = rand((301, 67))
    want = f(x)  # the parent's pool is running now
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the threaded call finishes with the same result
        code = 1
        try:
            code = 0 if np.array_equal(f(x), want) else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the forked child's call hung: it waited on the parent's pool threads")


def test_a_mean_over_the_rows_does_not_keep_its_gradient_out_of_the_blocks_regression():
    """A mean's 1/n reads the row count as a value (`dim`): that counted as mixing rows, so
    the whole backward of a mean cross-entropy ran on whole arrays, on one thread. The
    block body now gets the whole count (`rows_total`)."""
    args = [rand((301, 67)), labels(301, 67)]
    source = jl.jit(jl.grad(mean_cross_entropy)).lower(*args).compile().source
    block = source.split("def grad_mean_cross_entropy_numpy_block(")[1].split("\ndef ")[0]
    assert "dim(size=rows_total)" in block and "np.exp(" in block and "np.equal(" in block


def test_blocking_needs_busy_ops_on_the_widest_rows_regression():
    """Per-example logistic gradients (a matrix-vector product, per-example scalars, one
    multiply of the features) were cut into row blocks for their many ops on one number a
    row; only the one multiply moves the features, and the blocks' Python calls made it
    0.82x of eager numpy. Blocking counts the busy ops on the widest rows."""
    from benchmarks import training

    args = workloads.BY_NAME["per_example_grads_vmap"].make_inputs(
        "small", np.random.default_rng(0)
    )
    source = jl.jit(training.vmap_grad_logistic).lower(*args).compile().source
    assert "rt.run_blocks(" not in source
    x = rand((301, 67))
    assert "rt.run_blocks(" in jl.jit(workloads.softmax).lower(x).compile().source
