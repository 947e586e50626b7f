"""Choosing a backend and compiling an optimised ir.Function with it."""

import os

from codegen import numpy_cache, triton_runtime
from codegen.cost import Cost
from codegen.cost_numpy import numpy_cost
from ir import Function
from jitlib.errors import UnsupportedError

BACKENDS = ("numpy", "triton", "auto")


def check(name: str | None) -> None:
    """Reject unknown backend names (at decoration time)."""
    if name is not None and name not in BACKENDS:
        raise UnsupportedError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")


def resolve(name: str | None) -> str:
    """The backend to use: the argument, else $JITLIB_BACKEND, else auto. `auto` is Triton
    when a CUDA GPU is visible, else numpy."""
    name = name or os.environ.get("JITLIB_BACKEND") or "auto"
    check(name)
    if name == "auto":
        return "triton" if triton_runtime.gpu_available() else "numpy"
    if name == "triton":
        why = triton_runtime.usable()
        if why is not None:
            raise UnsupportedError(f"the Triton backend cannot run here: {why}")
    return name


def compile_function(fn: Function, backend: str):
    """A compiled kernel with `.fn(*arrays) -> tuple` and `.source`."""
    if backend == "triton":
        # imported on first use: importing triton takes about a second, and a numpy-only
        # user never needs it
        from codegen import triton_emitter

        return triton_emitter.emit(fn)
    return numpy_cache.emit(fn)  # numpy_emitter.emit's, from the disk cache where it can be


def cost(fn: Function, backend: str, sizes: dict) -> Cost:
    """The cost model of `fn` compiled by `backend`, at these sizes of its shape symbols."""
    if backend == "triton":
        from codegen import cost_triton  # imports triton, as compile_function does

        return cost_triton.triton_cost(fn, sizes)
    return numpy_cost(fn, sizes)
