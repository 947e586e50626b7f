"""The reliability suites run each check on both backends: numpy, and Triton (in Triton's
interpreter without a GPU)."""

import pytest
from triton_backend.conftest import host  # noqa: F401  (re-exported for the suites here)

BACKENDS = ("numpy", "triton")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The backend name to pass to jl.jit(..., backend=...)."""
    return request.param
