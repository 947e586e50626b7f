"""Jitted functions on dask arrays (jitlib.on_dask): blockwise where the function is
row-local, per-chunk partial results joined by a tree of combine tasks where it reduces over
the rows, data-parallel gradients, and clear errors for what cannot be split. Each result
is compared with eager numpy on the whole arrays, on dask's threaded scheduler and on a
LocalCluster of two worker processes."""

import os
import subprocess
import sys

import numpy as np
import pickle_targets as targets
import pytest

import jitlib as jl

da = pytest.importorskip("dask.array", reason="dask is in the test extra")
import dask  # noqa: E402
from dask.distributed import Client, LocalCluster  # noqa: E402

RNG = np.random.default_rng(11)
XN = RNG.standard_normal((103, 6))  # 103 rows in chunks of 25: a ragged last chunk of 3
YN = RNG.standard_normal(103)
LABELS = RNG.integers(0, 6, 103)
W, B = RNG.standard_normal((6, 4)), RNG.standard_normal(4)


def dask_of(a, rows: int = 25):
    return da.from_array(a, chunks=(rows,) + a.shape[1:])


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def logsumexp(x, axis=None):
    top = x.max(axis=axis, keepdims=True)
    return np.log(np.exp(x - top).sum(axis=axis)) + top.reshape(np.shape(x.sum(axis=axis)))


def reductions(x):
    """Each reduction over the chunked axis and over all axes."""
    out = []
    for axis in (0, None):
        out += [x.sum(axis=axis), x.mean(axis=axis), x.max(axis=axis), np.min(x, axis=axis)]
        out += [x.var(axis=axis), x.std(axis=axis, ddof=1), logsumexp(x, axis)]
    return tuple(out)


def mixed(x, y):
    centered = x - x.mean(axis=0)  # rows that need a reduction over all rows
    return centered, centered * y[:, None] + 1.0, np.abs(y).max()


def mse(w, b, x, y):
    return np.mean((np.tanh(x @ w + b).sum(axis=1) - y) ** 2)


def cross_entropy(w, x, labels):
    logits = x @ w[:, :4]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_probs, (labels % 4)[:, None], axis=-1).mean()


CASES = {
    "elementwise": (lambda x: np.tanh(x) * 2.0 + x**2, (XN,), (0,)),
    "softmax": (softmax, (XN,), (0,)),
    "layernorm_by_name": (targets.jitted_layernorm, (XN,), (0,)),
    "with_numpy_weights": (lambda x, w, b: np.maximum(x @ w + b, 0.0), (XN, W, B), (0,)),
    "reductions": (reductions, (XN,), (0,)),
    "mixed_results": (mixed, (XN, YN), (0, 1)),
    "gram": (lambda x: x.T @ x + x.sum(axis=0) @ x.T @ x, (XN,), (0,)),
    "mse": (mse, (W, B, XN, YN), (2, 3)),
    "grad_mse": (jl.value_and_grad(mse, argnums=(0, 1)), (W, B, XN, YN), (2, 3)),
    "grad_cross_entropy": (jl.grad(cross_entropy), (W, XN, LABELS), (1, 2)),
}


def _check(name: str, rows: int = 25) -> None:
    fn, args, chunked = CASES[name]
    given = [dask_of(a, rows) if i in chunked else a for i, a in enumerate(args)]
    jitted = fn if isinstance(fn, jl.JitFunction | type(jl.grad(mse))) else jl.jit(fn)
    lazy = jitted(*given)
    assert all(isinstance(leaf, da.Array) for leaf in jl.tree_flatten(lazy)[0])
    (got,) = dask.compute(lazy)
    want = fn(*args)
    for g, w in zip(jl.tree_flatten(got)[0], jl.tree_flatten(want)[0]):
        assert np.asarray(g).dtype == np.asarray(w).dtype and np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_threaded_scheduler_matches_numpy(name):
    with dask.config.set(scheduler="threads"):
        _check(name)


@pytest.mark.parametrize("rows", [1, 7, 103])
def test_any_chunking_of_the_rows(rows):
    with dask.config.set(scheduler="sync"):
        _check("grad_mse", rows)
        _check("reductions", rows)


def test_float32_gradient_equals_the_whole_array_one_to_rounding():
    args = [a.astype(np.float32) for a in (W, B, XN, YN)]
    given = args[:2] + [dask_of(a, 10) for a in args[2:]]
    grads = jl.grad(mse, argnums=(0, 1))
    with dask.config.set(scheduler="threads"):
        got = dask.compute(grads(*given))[0]
    for g, w in zip(got, grads(*args)):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)


def test_one_trace_for_every_chunk_shape():
    f = jl.jit(softmax)
    with dask.config.set(scheduler="threads"):
        f(dask_of(XN, 10)).compute()
        f(dask_of(XN[:50], 7)).compute()
    assert f.cache_info().misses == 1


def test_a_retried_task_gives_the_same_result():
    lazy = jl.jit(jl.grad(mse))(W, B, dask_of(XN), dask_of(YN))
    with dask.config.set(scheduler="sync"):
        first, second = lazy.compute(), lazy.compute()
    np.testing.assert_array_equal(first, second)


# --- what cannot be split -------------------------------------------------------------------
MIXES_ROWS = {
    "sort": lambda x: np.sort(x, axis=0),
    "cumsum": lambda x: np.cumsum(x, axis=0),
    "argmax": lambda x: x.argmax(axis=0),
    "flatten": lambda x: x.reshape(-1) * 2.0,
    "shift": lambda x: x[1:] - x[:-1],
}


@pytest.mark.parametrize("name", sorted(MIXES_ROWS))
def test_mixing_rows_names_the_axis_and_the_rechunk(name):
    with pytest.raises(jl.UnsupportedError, match=r"axis 0.*x\.rechunk\(\{0: -1\}\)"):
        jl.jit(MIXES_ROWS[name])(dask_of(XN))


def test_one_chunk_of_rows_is_still_refused_the_same_way():
    with pytest.raises(jl.UnsupportedError, match="mixes the rows"):
        jl.jit(MIXES_ROWS["sort"])(dask_of(XN, 103))


def test_chunks_along_another_axis_are_refused():
    x = da.from_array(XN, chunks=(25, 3))
    with pytest.raises(jl.UnsupportedError, match=r"axis 1.*x\.rechunk\(\{1: -1\}\)"):
        jl.jit(softmax)(x)


def test_dask_arguments_must_share_their_rows():
    with pytest.raises(jl.ArgumentError, match="share their rows"):
        jl.jit(lambda x, y: x.sum() + y.sum())(dask_of(XN), dask_of(YN[:50]))


def test_differently_chunked_rows_are_aligned():
    got = jl.jit(mixed)(dask_of(XN, 25), dask_of(YN, 40))
    for g, w in zip(dask.compute(got, scheduler="sync")[0], mixed(XN, YN)):
        np.testing.assert_allclose(g, w, rtol=1e-12)


class FakeDeviceArray:
    """Looks like a CuPy array to jitlib (it has __cuda_array_interface__)."""

    __cuda_array_interface__ = {}
    shape, dtype, ndim = (6,), np.dtype("float64"), 1


def test_a_device_array_beside_a_dask_array_is_refused():
    with pytest.raises(jl.ArgumentError, match="CuPy"):
        jl.jit(lambda x, v: x * v)(dask_of(XN), FakeDeviceArray())


def test_writing_to_a_dask_argument_is_refused():
    def add_in_place(x):
        x += 1.0
        return x.sum()

    with pytest.raises(jl.UnsupportedError, match="immutable"):
        jl.jit(add_in_place)(dask_of(XN))


def test_jitlib_imports_dask_only_when_given_a_dask_array():
    code = (
        "import sys, numpy as np, jitlib as jl; "
        "jl.jit(lambda x: x * 2)(np.ones(3)); "
        "assert 'dask' not in sys.modules, 'dask imported'"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- a cluster of worker processes ------------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with Client(cluster) as connected:
        yield connected
    cluster.close()


@pytest.mark.parametrize("name", sorted(CASES))
def test_local_cluster_matches_numpy(client, name):
    _check(name, rows=11)  # ten chunks: both workers get some


def test_each_worker_traces_once_per_signature(client):
    scale = RNG.standard_normal(6)

    def scaled_softmax_per_worker(x):
        return softmax(x * scale)

    f = jl.jit(scaled_softmax_per_worker)
    for rows in (7, 11, 13):  # chunkings with ragged last chunks, one signature
        got = f(dask_of(XN, rows)).compute()
        np.testing.assert_allclose(got, softmax(XN * scale), rtol=1e-12)
    counts = client.run(lambda: jl.trace_counts().get("scaled_softmax_per_worker", 0))
    assert len(counts) == 2 and all(n <= 1 for n in counts.values()), counts
    assert sum(counts.values()) >= 1
