"""The Triton backend's suites run its generated kernels (in Triton's interpreter without a
GPU); results are compared on the host."""

import numpy as np
import pytest


def host(value):
    """A result as a host array: CuPy arrays (the Triton backend on a GPU) are copied back;
    numpy arrays (Triton's interpreter) pass through. Pytrees are mapped."""
    if isinstance(value, tuple | list):
        return type(value)(host(v) for v in value)
    return value.get() if hasattr(value, "get") and hasattr(value, "device") else value


@pytest.fixture(autouse=True)
def _compare_on_the_host(monkeypatch):
    """numpy.testing's comparisons take results where they lie (on a GPU: CuPy arrays)."""
    for name in ("assert_allclose", "assert_array_equal", "assert_equal"):
        original = getattr(np.testing, name)
        monkeypatch.setattr(
            np.testing,
            name,
            lambda a, b, *args, _f=original, **kw: _f(host(a), host(b), *args, **kw),
        )
