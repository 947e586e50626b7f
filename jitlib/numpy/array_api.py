"""The array API namespace of traced arrays, `x.__array_namespace__()`: numpy 2's, whose
functions hand traced arrays to jitlib (NEP 13/18), except asarray, astype and the creation
functions, which numpy would not hand over; these are jitlib.numpy's, with the standard's
signatures. scipy's array-API code (scipy.special.logsumexp, ...) runs on traced arrays here.
"""

import functools
import sys

import numpy as np

from jitlib import dispatch
from jitlib.errors import UnsupportedError
from jitlib.numpy import creation, creation_more
from jitlib.numpy._core import is_traced

__array_api_version__ = np.__array_api_version__
__array_namespace_info__ = np.__array_namespace_info__


def __getattr__(name: str):
    # the rest of the standard is numpy's own names (numpy 2 follows it); dunder names are
    # not forwarded, so that Python's own probes (__path__, __all__) see a plain module
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(np, name)


def _check_device(device) -> None:
    if device not in (None, "cpu"):
        raise UnsupportedError(
            f"device={device!r} is not supported for traced arrays; jitlib places arrays itself"
        )


def asarray(obj, /, *, dtype=None, device=None, copy=None):
    """obj as an array: a traced array stays one (copied when copy=True, so that writes to
    the result do not reach obj); anything else becomes a traced constant while tracing."""
    _check_device(device)
    out = creation.asarray(obj, dtype=dtype)
    if out is obj and copy:
        return out.copy()
    if out is not obj and copy is False and is_traced(obj):
        raise ValueError(f"asarray(copy=False) of a traced {obj.dtype} array as {dtype} copies")
    return out


def astype(x, dtype, /, *, copy=True, device=None):
    _check_device(device)
    if not copy and x.dtype == np.dtype(dtype):
        return x
    return x.astype(dtype)


def _creation(fn):
    """jitlib.numpy's `fn`, which traces while tracing (numpy's makes a numpy array, that a
    traced value cannot be written into), taking the standard's device=."""

    @functools.wraps(fn)
    def create(*args, device=None, **kwargs):
        _check_device(device)
        return fn(*args, **kwargs)

    return create


arange = _creation(creation.arange)
empty = _creation(creation.empty)
eye = _creation(creation.eye)
full = _creation(creation.full)
linspace = _creation(creation_more.linspace)
ones = _creation(creation.ones)
zeros = _creation(creation.zeros)


@dispatch.implements("__array_namespace__")
def _namespace(api_version: str | None = None):
    if api_version not in (None, "2021.12", "2022.12", "2023.12", __array_api_version__):
        raise ValueError(f"jitlib's array API namespace is version {__array_api_version__}")
    return sys.modules[__name__]
