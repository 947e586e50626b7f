"""Memory: many calls keep the process flat, a call keeps no reference to its inputs, a
failed trace leaves nothing behind, and deleting a jitted function frees its cache.

Growth is measured with tracemalloc (numpy's array buffers are traced too), between a
snapshot after warm-up calls and one after the counted calls.
"""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import jitlib as jl
import jitlib.trace
from reliability.conftest import host

# calls per backend, and the growth (bytes) they may cause. numpy: 10,000 calls (about
# 50 µs each under tracemalloc), so a leak of 4 bytes a call fails. Triton's interpreter
# costs 5-15 ms a call (more under tracemalloc): 200 calls keep the test near 3 s and still
# fail a leak of 125 bytes a call, less than one leaked array or buffer object.
CALLS = {"numpy": (10_000, 32_000), "triton": (200, 25_000)}
WARM_UP = 20


def rand(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def growth(call, count: int) -> tuple:
    """(bytes still allocated after `count` calls that were not before them, the lines
    that grew most)."""
    for _ in range(WARM_UP):
        call()
    tracemalloc.start()
    try:
        for _ in range(WARM_UP):  # what the first calls under tracemalloc allocate once
            call()
        gc.collect()
        before = tracemalloc.take_snapshot()
        for _ in range(count):
            call()
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    ours = [tracemalloc.Filter(False, tracemalloc.__file__)]
    diff = after.filter_traces(ours).compare_to(before.filter_traces(ours), "lineno")
    return sum(stat.size_diff for stat in diff), [str(stat) for stat in diff[:5]]


# --- many calls ---------------------------------------------------------------------------


def test_many_calls_keep_memory_flat(backend):
    jf = jl.jit(lambda x, y: x * y - 0.5, backend=backend)
    # two sizes of one signature, alternating: every counted call is a cache hit
    inputs = [(rand(6, 4, seed=1), rand(6, 4, seed=2)), (rand(9, 4, seed=3), rand(9, 4, seed=4))]
    count, bound = CALLS[backend]
    calls = iter(range(10**9))

    def call():
        x, y = inputs[next(calls) % 2]
        jf(x, y)

    grew, top = growth(call, count)
    assert grew < bound, top
    hits, misses, entries = jf.cache_info()
    assert (misses, entries) == (1, 1) and hits == 2 * WARM_UP + count - 1


# --- no reference to inputs ---------------------------------------------------------------


def loss(x, w):
    return (np.tanh(x) * w).sum()


def row_scaled(row):
    return row * row.sum() - row.max()


def rows_scaled(x, w):
    return row_scaled(x) * w


# name -> the function of (x, w) to jit, and what it computes. identity, transpose, slice
# and reshape return views of an input in numpy, and may in jitlib; numpy runs them as they are.
PLAIN = {
    "plain": lambda x, w: np.exp(x) * w,
    "identity": lambda x, w: x,
    "transpose": lambda x, w: x.T,
    "slice": lambda x, w: x[1:, ::2],
    "reshape": lambda x, w: (x.reshape(-1), w[0]),
}
JITTED = {**PLAIN, "grad": jl.grad(loss, argnums=(0, 1)), "vmap": jl.vmap(rows_scaled)}
EAGER = {
    **PLAIN,
    "grad": lambda x, w: ((1 - np.tanh(x) ** 2) * w, np.tanh(x)),
    "vmap": lambda x, w: np.stack([row_scaled(row) for row in x]) * w,
}
EAGER["grad, not jitted"] = EAGER["grad"]
EAGER["vmap, not jitted"] = EAGER["vmap"]


def make(kind: str, backend: str):
    """The function to call for `kind`; a transform not wrapped in jit compiles itself on
    its first call, with $JITLIB_BACKEND."""
    if kind.endswith(", not jitted"):
        return jl.grad(loss, argnums=(0, 1)) if kind.startswith("grad") else jl.vmap(rows_scaled)
    return jl.jit(JITTED[kind], backend=backend)


@pytest.mark.parametrize("kind", sorted(EAGER))
def test_a_call_keeps_no_reference_to_its_inputs(backend, kind, monkeypatch):
    """After the call returns and the caller drops the inputs (and the result, which may
    be a view of one), nothing of jitlib's keeps them alive: not the cache, the generated
    code, the trace of the first call, nor the second (cached) call."""
    monkeypatch.setenv("JITLIB_BACKEND", backend)
    jf = make(kind, backend)
    for seed in (0, 1):  # a traced call, then a cached one
        x, w = rand(5, 4, seed=seed), rand(5, 4, seed=10 + seed)
        out = jf(x, w)
        want = EAGER[kind](x, w)
        for got, expected in zip(jl.tree_flatten(out)[0], jl.tree_flatten(want)[0]):
            np.testing.assert_allclose(host(got), expected, rtol=1e-12, atol=1e-12)
        refs = [weakref.ref(x), weakref.ref(w)]
        del x, w, out, want, got, expected
        gc.collect()
        assert [ref() for ref in refs] == [None, None]
    assert jf.cache_info() == (1, 1, 1)


def test_vjp_keeps_its_inputs_only_while_its_pullback_lives(backend, monkeypatch):
    """jl.vjp's pullback holds the primals (it needs them); dropping it frees them, and
    frees the function as well: the cache jl.vjp keeps per function must not hold it."""
    monkeypatch.setenv("JITLIB_BACKEND", backend)

    def f(x):
        return np.sin(x) * x

    x, ct = rand(4, 3, seed=1), rand(4, 3, seed=2)
    out, pull = jl.vjp(f, x)
    (got,) = pull(ct)
    np.testing.assert_allclose(host(out), np.sin(x) * x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(host(got), (np.cos(x) * x + np.sin(x)) * ct, rtol=1e-12, atol=0)
    refs = {"x": weakref.ref(x), "f": weakref.ref(f)}
    del x, out, got
    gc.collect()
    assert refs["x"]() is not None  # the pullback still needs it
    (again,) = pull(ct * 2)  # f is gone from the caller's scope: the pullback keeps it
    assert again.shape == (4, 3)
    del pull, f, again
    gc.collect()
    assert {name: ref() for name, ref in refs.items()} == {"x": None, "f": None}


# --- failed traces ------------------------------------------------------------------------


def picky(x):
    y = np.exp(x) * 2.0
    if x.dtype == np.int32:  # a plain Python error halfway through the trace
        raise ValueError("no int32 here")
    return y @ y  # a JitError at trace time unless y is square


def test_a_failed_trace_leaves_no_entry_and_no_trace(backend):
    jf = jl.jit(picky, backend=backend)
    square = rand(4, 4, seed=1)
    np.testing.assert_allclose(host(jf(square)), picky(square), rtol=1e-12, atol=1e-10)
    assert jf.cache_info() == (0, 1, 1)

    failing = [
        (lambda: rand(4, 3, seed=2), jl.ShapeMismatchError),
        (lambda: (rand(4, 4, seed=3) * 10).astype(np.int32), ValueError),
    ]
    for _ in range(2):  # failing again traces again: a failure is not cached
        for make, error in failing:
            x = make()
            ref = weakref.ref(x)
            with pytest.raises(error):
                jf(x)
            assert jitlib.trace.current() is None
            del x
            gc.collect()
            assert ref() is None, "a failed trace kept its input alive"
    assert jf.cache_info() == (0, 1, 1)  # a failed trace makes no entry and no miss

    # the cached signature and a new one still work
    again, other = rand(6, 6, seed=5), rand(3, 3, seed=6).astype(np.float32)
    np.testing.assert_allclose(host(jf(again)), picky(again), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(host(jf(other)), picky(other), rtol=1e-5, atol=1e-4)
    assert jf.cache_info() == (1, 2, 2)


def test_a_failed_nested_trace_clears_every_level(backend):
    """The error rises from a function traced inside grad inside jit: every trace context
    on the way is left, so the next trace starts from none."""

    def bad_loss(x):
        return (x @ x[:2]).sum()  # (3, 4) @ (2, 4) does not align

    jf = jl.jit(jl.grad(bad_loss), backend=backend)
    with pytest.raises(jl.ShapeMismatchError):
        jf(rand(3, 4, seed=1))
    assert jitlib.trace.current() is None
    assert jf.cache_info() == (0, 0, 0)
    good = jl.jit(jl.grad(loss), backend=backend)
    x, w = rand(3, 4, seed=2), rand(3, 4, seed=3)
    np.testing.assert_allclose(host(good(x, w)), (1 - np.tanh(x) ** 2) * w, rtol=1e-12, atol=0)


# --- deleting a jitted function -----------------------------------------------------------


def jitted_with_entries(backend) -> tuple:
    """Three jitted functions (plain, grad, vmap) of one local function, each called at two
    signatures; and a weak reference to that function."""
    constant = rand(4, seed=9)  # captured: becomes a constant of the generated code

    def f(x):
        return np.tanh(x) * constant + x.sum(axis=0)

    def total(x):
        return f(x).sum()

    jitted = {
        "plain": jl.jit(f, backend=backend),
        "grad": jl.jit(jl.grad(total), backend=backend),
        "vmap": jl.jit(jl.vmap(f), backend=backend),
    }
    for name, jf in jitted.items():
        for seed, rows in enumerate((3, 5, 1)):  # 3 and 5 share a signature
            x = rand(rows, 4, seed=seed)
            out = jf(x[:, None, :] if name == "vmap" else x)
        assert jf.cache_info().entries == 2
    np.testing.assert_allclose(host(jitted["plain"](x)), f(x), rtol=1e-12, atol=1e-12)
    want = (np.tanh(x) * constant + x)[:, None, :]  # x has one row: its sum is itself
    np.testing.assert_allclose(host(out), want, rtol=1e-12, atol=1e-12)
    return jitted, weakref.ref(f)


def test_deleting_a_jitted_function_frees_its_cache(backend):
    """Nothing global holds a jitted function or its Python function (grad/vmap ones
    included): deleting them frees all of it. On the numpy backend that frees the
    generated code too; the Triton backend keeps each generated module in sys.modules for
    the rest of the process (see tests/triton_backend/test_disk_cache.py)."""
    jitted, f = jitted_with_entries(backend)
    refs = {name: weakref.ref(jf) for name, jf in jitted.items()}
    refs["f"] = f
    if backend == "numpy":
        (entry, *_), *_ = jitted["plain"]._cache.entries.values()
        refs["generated code"] = weakref.ref(entry.run)
        del entry
    del jitted
    gc.collect()
    assert {name: ref() for name, ref in refs.items()} == dict.fromkeys(refs)
