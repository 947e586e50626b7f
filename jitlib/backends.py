"""Choosing a backend and compiling an optimised ir.Function with it."""

import os

from codegen import numpy_emitter
from ir import Function
from jitlib.errors import UnsupportedError

BACKENDS = ("numpy", "triton", "auto")


def resolve(name: str | None) -> str:
    """The backend to use: the argument, else $JITLIB_BACKEND, else auto."""
    name = name or os.environ.get("JITLIB_BACKEND") or "auto"
    if name not in BACKENDS:
        raise UnsupportedError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if name == "triton":
        raise UnsupportedError(
            "the Triton backend is not built yet (it is planned work); use backend='numpy'"
        )
    # 'auto' means Triton on a CUDA GPU once that backend exists; until then numpy.
    return "numpy"


def compile_function(fn: Function, backend: str):
    """A compiled kernel with `.fn(*arrays) -> tuple` and `.source`."""
    assert backend == "numpy", backend
    return numpy_emitter.emit(fn)
