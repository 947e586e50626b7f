"""The Triton backend's runtime: where arrays live and how kernels are handed them.

On a CUDA GPU, arrays are CuPy arrays (CuPy's memory pool; kernels run on the default
stream); numpy inputs are copied to the device and GPU arrays of other libraries come in
through DLPack. With `TRITON_INTERPRET=1`, Triton's interpreter runs the same kernels on
the CPU, and arrays stay host numpy arrays.

Triton is handed objects with `data_ptr()` and `dtype`. The interpreter also asks for a few
storage methods (it copies torch tensors to the host and back); for host arrays those are
no-ops, which `HostBuffer` provides, so no torch is needed.
"""

from __future__ import annotations

import functools
import os
import threading

import numpy as np

from ir.errors import UnsupportedError


def interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET") == "1"


_interpreter_lock = threading.Lock()


def serialized(launcher):
    """`launcher` as it may be called from any thread. Triton's interpreter keeps a launch's
    state in globals (the grid index, and `triton.language` patched for the launch and
    restored after it), so two launches at once read each other's: under the interpreter,
    launchers run one at a time."""
    if not interpreting():
        return launcher

    @functools.wraps(launcher)
    def run(*arrays):
        with _interpreter_lock:
            return launcher(*arrays)

    return run


@functools.cache
def _cupy():
    try:
        import cupy
    except ImportError:
        return None
    try:
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:  # no driver, no device
        return None


def gpu_available() -> bool:
    """A CUDA GPU that CuPy can use, and Triton importable."""
    try:
        import triton  # noqa: F401
    except ImportError:
        return False
    return _cupy() is not None


def usable() -> str | None:
    """None when the Triton backend can run here, else why not."""
    try:
        import triton  # noqa: F401
    except ImportError:
        return "Triton is not installed"
    if interpreting() or _cupy() is not None:
        return None
    return "no CUDA GPU with CuPy is visible (set TRITON_INTERPRET=1 to run Triton's interpreter)"


class HostBuffer:
    """A host numpy array as Triton's interpreter wants a tensor argument."""

    __slots__ = ("array", "dtype")

    def __init__(self, array: np.ndarray):
        self.array = array
        self.dtype = array.dtype

    def data_ptr(self) -> int:
        return self.array.ctypes.data

    # the interpreter moves torch storage to the host and back: here it already is
    def untyped_storage(self):
        return self

    def cpu(self):
        return self

    def new_empty(self, *args, **kwargs):
        return self

    def set_(self, *args):
        return self

    def storage_offset(self) -> int:
        return 0

    def size(self) -> tuple:
        return self.array.shape

    def stride(self) -> tuple:
        return self.array.strides

    def copy_(self, other) -> None:
        pass


class DeviceBuffer:
    """A CuPy array as a Triton kernel argument."""

    __slots__ = ("array", "dtype")

    def __init__(self, array):
        self.array = array
        self.dtype = array.dtype

    def data_ptr(self) -> int:
        return self.array.data.ptr


def ptr(array):
    """The kernel argument for an array."""
    return HostBuffer(array) if isinstance(array, np.ndarray) else DeviceBuffer(array)


def device(x, dtype: str):
    """x as a C-contiguous array of `dtype` where the kernels run."""
    cp = None if interpreting() else _cupy()
    if cp is None:
        if type(x).__module__.startswith("cupy"):
            x = x.get()
        return np.asarray(x, dtype=dtype, order="C")
    if isinstance(x, cp.ndarray):
        return cp.asarray(x, dtype=dtype, order="C")
    if not isinstance(x, np.ndarray | np.generic | int | float | bool) and hasattr(x, "__dlpack__"):
        return cp.asarray(cp.from_dlpack(x), dtype=dtype, order="C")
    return cp.asarray(np.asarray(x, dtype=dtype, order="C"))


def module():
    """The array module results live in: numpy when interpreting, else CuPy."""
    cp = None if interpreting() else _cupy()
    return np if cp is None else cp


def empty(shape: tuple, dtype: str):
    return module().empty(shape, dtype=dtype)


def flag():
    """A one-element int32 error flag for gathers, cleared."""
    return zeros((1,), "int32")


def zeros(shape: tuple, dtype: str):
    return module().zeros(shape, dtype=dtype)


def full(shape: tuple, value, dtype: str):
    return module().full(shape, value, dtype=dtype)


def contiguous(x):
    return module().ascontiguousarray(x)


def unsupported(message: str) -> UnsupportedError:
    """The error for a call the kernels cannot serve (jitlib raises it as its own)."""
    return UnsupportedError(message)


def raise_if(flag_array, message: str) -> None:
    if int(flag_array[0]):
        raise IndexError(message)


def copy(x):
    return module().array(x, copy=True)


def host_call(fn, *arrays) -> tuple:
    """Run a fallback function (for ops no kernel computes): directly when it runs where
    the arrays are (numpy on the host, a CuPy call on the GPU), else on the host with the
    arrays copied there and the results copied back."""
    xp = module()
    if xp is np or getattr(fn, "on_device", False):
        return fn(*arrays)
    outs = fn(*[xp.asnumpy(a) for a in arrays])
    return tuple(xp.asarray(o) for o in outs)


def cdiv(a: int, b: int) -> int:
    return -(-a // b)


def pow2(n: int) -> int:
    """The power of two at least n (and at least 1)."""
    return 1 if n <= 1 else 1 << (int(n) - 1).bit_length()


INDEX_LIMIT = 2**31  # kernels index with int32


def check_sizes(*sizes: int) -> None:
    """Refuse arrays whose element offsets would not fit the kernels' int32 indices."""
    if max(sizes, default=0) >= INDEX_LIMIT:
        raise unsupported(
            f"an array of {max(sizes)} elements: the Triton backend indexes with int32, so "
            f"arrays must have fewer than 2**31 elements (use backend='numpy')"
        )


def fits(value, dtype: str) -> None:
    """A Python int argument bound for `dtype` must fit it, as numpy (NEP 50) requires."""
    if type(value) is int:
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise OverflowError(f"Python integer {value} out of bounds for {dtype}")
