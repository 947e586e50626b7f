"""The Triton runtime's pieces that the op tables do not reach: the int32 size limit, the
interpreter's host adapter, and backend selection."""

import types

import numpy as np
import pytest

import jitlib as jl
from codegen import triton_runtime
from jitlib import backends


class _Huge:
    """Stands for an array too large to allocate here: the launcher checks sizes first."""

    shape = (1 << 16, 1 << 15)
    dtype = np.dtype("float32")


def test_arrays_of_2_31_elements_are_refused():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    compiled = jl.jit(lambda x: np.exp(x) + 1.0, backend="triton").lower(x).compile()
    assert "rt.check_sizes(" in compiled.source
    np.testing.assert_allclose(compiled(x)[0], np.exp(x) + 1.0, rtol=1e-6)
    with pytest.raises(jl.UnsupportedError, match="2\\*\\*31"):
        compiled(_Huge())


def test_host_buffer_points_at_the_array():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    buffer = triton_runtime.ptr(x)
    assert buffer.data_ptr() == x.ctypes.data
    assert buffer.dtype == np.float64
    assert buffer.untyped_storage() is buffer and buffer.cpu() is buffer


def test_device_arrays_are_contiguous_copies_of_their_dtype_in_interpreter_mode():
    x = np.asfortranarray(np.random.default_rng(1).standard_normal((3, 4)))
    moved = triton_runtime.device(x[:, ::2], "float32")
    assert moved.flags.c_contiguous and moved.dtype == np.float32
    np.testing.assert_array_equal(moved, x[:, ::2].astype(np.float32))
    assert triton_runtime.device(np.float64(2.5), "float64").shape == ()


def test_backend_selection(monkeypatch):
    assert backends.resolve("numpy") == "numpy"
    assert backends.resolve("triton") == "triton"  # the interpreter is on in this suite
    monkeypatch.setattr(triton_runtime, "gpu_available", lambda: False)
    assert backends.resolve("auto") == "numpy"  # auto means Triton only on a GPU
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    monkeypatch.setattr(triton_runtime, "_cupy", lambda: None)
    with pytest.raises(jl.UnsupportedError, match="no CUDA GPU"):
        backends.resolve("triton")
    with pytest.raises(jl.UnsupportedError, match="unknown backend"):
        jl.jit(lambda x: x, backend="cuda")


def test_fallbacks_that_cupy_has_run_as_cupy_calls():
    """On a GPU an op with no kernel form runs as a CuPy call when CuPy has its numpy
    function (cumsum, arcsin), else on the host; checked with a stand-in module."""
    from codegen import triton_emitter

    class ArrayModule:  # has cumsum and arcsin, not add.at (scatter_add's impl)
        cumsum = np.cumsum
        arcsin = np.arcsin

    x = np.random.default_rng(2).standard_normal((4, 3))
    ops = {}
    for fn in (lambda x: np.cumsum(x, axis=0), lambda x: np.arcsin(np.tanh(x))):
        lowered = jl.jit(fn, backend="numpy").lower(x).ir
        host = [e for e in lowered.eqns if not triton_emitter.supported(e)]
        ops.update({e.op.name: triton_emitter.runs_on_device(e, ArrayModule) for e in host})
    index = jl.jit(jl.grad(lambda x: x[np.array([0, 2, 2])].sum()), backend="numpy")
    scatter = [e for e in index.lower(x).ir.eqns if e.op.name == "scatter_add"]
    ops["scatter_add"] = triton_emitter.runs_on_device(scatter[0], ArrayModule)
    assert ops == {"cumsum": True, "arcsin": True, "scatter_add": False}


def test_linalg_fallbacks_run_as_cupy_calls_where_the_module_has_them():
    """A numpy.linalg primitive (solve) runs on the device when the array module's
    `linalg` has the function, and on the host when the module lacks it."""
    from codegen import triton_emitter

    class WithLinalg:  # as cupy: a linalg submodule holding solve
        linalg = types.SimpleNamespace(solve=np.linalg.solve)

    class WithoutLinalg:
        cumsum = np.cumsum

    class LinalgWithoutSolve:
        linalg = types.SimpleNamespace(inv=np.linalg.inv)

    a = np.random.default_rng(3).standard_normal((3, 3)) + 3 * np.eye(3)
    lowered = jl.jit(np.linalg.solve, backend="numpy").lower(a, a[0]).ir
    (solve,) = [e for e in lowered.eqns if not triton_emitter.supported(e)]
    assert solve.op.name == "solve"
    assert triton_emitter.runs_on_device(solve, WithLinalg)
    assert not triton_emitter.runs_on_device(solve, WithoutLinalg)
    assert not triton_emitter.runs_on_device(solve, LinalgWithoutSolve)
