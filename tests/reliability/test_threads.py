"""Thread safety: jitted functions called from many threads at once.

One jitted function called from 8 threads with a mix of signatures traces each signature
exactly once and gives every thread numpy's answer; `cache_info()` counts every call once.
Different functions trace at the same time without seeing each other's tracers (the trace
context is a contextvar, so it is per thread). grad and vmap functions behave the same.
"""

import sys
import threading
import time
import warnings

import numpy as np
import pytest

import jitlib as jl
import jitlib.trace
from codegen import disk_cache
from reliability.conftest import host

N_THREADS = 8


@pytest.fixture(autouse=True)
def _switch_often():
    """Threads switch every 10 µs instead of every 5 ms, so a window between a check and
    the write that depends on it is likely to be hit."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


def run_together(work, n: int = N_THREADS) -> list:
    """work(i) on n threads released together by a barrier; their results, in order. A
    failure in any thread fails the test (the first one is re-raised)."""
    barrier = threading.Barrier(n, timeout=60)
    results: list = [None] * n
    errors: list = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as error:  # handed to the main thread, re-raised below
            errors.append(error)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def rand(shape, dtype, seed: int) -> np.ndarray:
    """Random values of `dtype`; integers in [-50, 50)."""
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-50, 50, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def expected_signature(*arrays) -> tuple:
    """The shape signature as DESIGN.md §2 defines it, computed independently of jitlib:
    per array its dtype and dims, sizes 0 and 1 as they are, other sizes by equality class
    (numbered in order of first appearance)."""
    classes: dict = {}
    key = []
    for x in arrays:
        dims = tuple(d if d < 2 else ("s", classes.setdefault(d, len(classes))) for d in x.shape)
        key.append((x.dtype.str, dims))
    return tuple(key)


def check(got, want, dtype) -> None:
    got = host(got)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want)
    tol = {np.float32: 1e-5, np.float64: 1e-12}.get(np.dtype(dtype).type, 0)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# --- one function, many signatures, many threads ------------------------------------------


def mixed(x, y):
    return x * y - x.sum(axis=-1, keepdims=True) * 3 + y.max()


# (dtype, rows, cols): several share a signature (rows >= 2 and != cols); rows == cols shares
# one symbol; 0 and 1 rows are their own signatures
SHAPES = [
    (np.float32, 2, 4),
    (np.float32, 5, 4),
    (np.float32, 3, 4),
    (np.float32, 4, 4),
    (np.float32, 1, 4),
    (np.float32, 0, 4),
    (np.float64, 3, 4),
    (np.float64, 6, 4),
    (np.int32, 5, 4),
    (np.int32, 2, 4),
]
# each thread makes every call this many times, in its own order; an interpreted Triton
# call costs 5-20 ms, so that backend makes each call once
ROUNDS = {"numpy": 4, "triton": 1}


def test_one_function_from_8_threads_traces_each_signature_once(backend):
    jf = jl.jit(mixed, backend=backend)
    calls = [
        (dtype, rand((rows, cols), dtype, seed=k), rand((cols,), dtype, seed=100 + k))
        for k, (dtype, rows, cols) in enumerate(SHAPES)
    ]
    signatures = {expected_signature(x, y) for _, x, y in calls}
    assert len(signatures) == 6  # the test's premise: a mix of shared and new signatures

    def work(i: int) -> int:
        rounds = ROUNDS[backend]
        order = np.random.default_rng(i).permutation(len(calls) * rounds) % len(calls)
        for k in order:
            dtype, x, y = calls[k]
            check(jf(x, y), mixed(x, y), dtype)
        return len(order)

    total = sum(run_together(work))
    hits, misses, entries = jf.cache_info()
    assert misses == len(signatures) == entries
    assert hits + misses == total


# --- several functions traced at the same time --------------------------------------------


def test_different_functions_trace_concurrently_without_sharing_tracers(backend):
    """Each function waits inside its trace until all 8 are tracing, so the traces overlap;
    each checks that every value it sees belongs to its own trace. A shared jitted helper,
    called while tracing, is inlined into each caller's trace (its own cache stays empty)."""
    inside = threading.Barrier(N_THREADS, timeout=60)
    seen: dict = {}

    @jl.jit(backend=backend)
    def helper(x):
        return np.exp(-x * x)

    def make(i: int):
        def f(x, y):
            trace = jitlib.trace.current()
            z = helper(x) * (i + 1) + y.sum(axis=0) * 0.5
            inside.wait()  # every thread is now inside its own trace
            assert jitlib.trace.current() is trace
            assert all(v.trace is trace for v in (x, y, z))
            seen[i] = trace
            return x[: i + 2] @ z.T if i % 2 else np.tanh(z) - i

        f.__name__ = f"concurrent_{i}"
        return f

    fns = [make(i) for i in range(N_THREADS)]
    jitted = [jl.jit(f, backend=backend) for f in fns]

    def eager(i: int, x, y):
        z = np.exp(-x * x) * (i + 1) + y.sum(axis=0) * 0.5
        return x[: i + 2] @ z.T if i % 2 else np.tanh(z) - i

    def work(i: int):
        # a size of its own per thread: a tracer from another trace would mismatch shapes
        x = rand((10 + i, 3 + i), np.float64, seed=i)
        y = rand((4, 3 + i), np.float64, seed=50 + i)
        out = jitted[i](x, y)
        check(out, eager(i, x, y), np.float64)
        return out

    run_together(work)
    assert len({id(trace) for trace in seen.values()}) == N_THREADS
    assert jitlib.trace.current() is None
    assert helper.cache_info() == (0, 0, 0)
    assert [jf.cache_info() for jf in jitted] == [(0, 1, 1)] * N_THREADS


def test_separately_jitted_copies_of_one_function_compile_together(backend):
    """8 JitFunctions of one Python function, first called at the same moment: each has its
    own cache and lock, and (Triton) all of them load the same generated module at once;
    none sees it half-imported, and none falls back from the cache directory."""

    def same_everywhere(x):
        return np.sin(x) * 2.0 - x.mean(axis=1, keepdims=True)

    jitted = [jl.jit(same_everywhere, backend=backend) for _ in range(N_THREADS)]
    x = rand((6, 5), np.float64, seed=3)

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        outs = run_together(lambda i: jitted[i](x))
    assert not [w for w in record if "jitlib" in str(w.message)]
    for out in outs:
        check(out, same_everywhere(x), np.float64)
    assert [jf.cache_info() for jf in jitted] == [(0, 1, 1)] * N_THREADS


# --- grad and vmap ------------------------------------------------------------------------


def loss(x, w):
    return (np.tanh(x) * w).sum()


def row_scaled(row):
    return row * row.sum() - row.max()


def test_grad_and_vmap_from_threads(backend):
    grad = jl.jit(jl.grad(loss), backend=backend)
    batched = jl.jit(jl.vmap(row_scaled), backend=backend)
    sizes = (3, 5, 8, 3, 5, 8, 2, 6)  # one signature each (all >= 2, rows != cols)
    cols = 4

    def work(i: int) -> None:
        x = rand((sizes[i], cols), np.float64, seed=i)
        w = rand((sizes[i], cols), np.float64, seed=20 + i)
        for _ in range(3):
            check(grad(x, w), (1 - np.tanh(x) ** 2) * w, np.float64)
            stacked = np.stack([row_scaled(row) for row in x])
            check(batched(x), stacked, np.float64)

    run_together(work)
    calls = N_THREADS * 3
    for jf in (grad, batched):
        hits, misses, entries = jf.cache_info()
        assert (misses, entries) == (1, 1)
        assert hits + misses == calls


def test_a_transform_first_called_from_threads_compiles_once(backend, monkeypatch):
    """An un-jitted grad function compiles itself on its first call (jl.grad(f)(x)): 8
    threads making that first call together share one compiled cache."""
    monkeypatch.setenv("JITLIB_BACKEND", backend)
    traced = []

    def counted_loss(x, w):
        traced.append(1)  # the Python body runs only while tracing
        return loss(x, w)

    grad = jl.grad(counted_loss)
    x = rand((5, 3), np.float64, seed=1)
    w = rand((5, 3), np.float64, seed=2)

    outs = run_together(lambda i: grad(x, w))
    for out in outs:
        check(out, (1 - np.tanh(x) ** 2) * w, np.float64)
    assert len(traced) == 1
    hits, misses, entries = grad.cache_info()
    assert (misses, entries) == (1, 1)
    assert hits + misses == N_THREADS


def test_vjp_first_called_from_threads_traces_once(backend, monkeypatch):
    """jl.vjp(f, x) shares one compiled cache per function across calls; 8 threads making
    the first call together trace f once (its Python body runs only while tracing)."""
    monkeypatch.setenv("JITLIB_BACKEND", backend)
    traced = []

    def shared_by_vjp(x):
        traced.append(1)
        return np.sin(x) * x

    x = rand((4, 3), np.float64, seed=7)
    ct = rand((4, 3), np.float64, seed=8)

    def work(i: int):
        out, pull = jl.vjp(shared_by_vjp, x)
        check(out, np.sin(x) * x, np.float64)
        return pull(ct)[0]

    for got in run_together(work):
        check(got, (np.cos(x) * x + np.sin(x)) * ct, np.float64)
    assert len(traced) == 2  # once for the forward call, once for the pullback


# --- the disk cache (both backends') ------------------------------------------------------


def test_threads_probing_the_cache_directory_all_get_it(tmp_path, monkeypatch):
    """Each compile probes that the cache directory is writable; probes from threads at
    once must not collide (one thread removing another's probe file) and fall back."""
    monkeypatch.setenv("JITLIB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(disk_cache, "_fallback", None)

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        found = run_together(lambda i: {disk_cache.directory() for _ in range(200)})
    assert not [w for w in record if "jitlib" in str(w.message)]
    assert set().union(*found) == {tmp_path}
    assert disk_cache._fallback is None
    assert list(tmp_path.iterdir()) == []


def test_threads_loading_one_new_module_all_get_it_whole(tmp_path, monkeypatch):
    """Thread 0 generates and imports a module whose import takes 0.2 s; the others ask
    for it meanwhile. They must wait for the whole module, not take the half-run one that
    sys.modules holds during the import, and nobody generates it twice."""
    monkeypatch.setenv("JITLIB_CACHE_DIR", str(tmp_path))
    stem = f"slow_{tmp_path.name}"
    first_line = f"# reliability-test {stem}"
    generated = []

    def generate() -> str:
        generated.append(threading.get_ident())
        return f"{first_line}\nimport time\n\ntime.sleep(0.2)\nVALUE = 42\n"

    def work(i: int):
        if i:
            time.sleep(0.05)  # thread 0 is importing by now
        module = disk_cache.load_module("reliability", stem, first_line, generate)
        return module, getattr(module, "VALUE", None)  # as the thread got it, not later

    try:
        modules, values = zip(*run_together(work))
        assert values == (42,) * N_THREADS
        assert len({id(m) for m in modules}) == 1
        assert len(generated) == 1
    finally:
        sys.modules.pop(f"jitlib_cache_reliability_{stem}", None)
