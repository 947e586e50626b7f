"""The reliability suites run each check on both backends: numpy, and Triton (in Triton's
interpreter without a GPU). Generated Triton modules go to a temporary cache directory."""

import pytest
from triton_backend.conftest import host  # noqa: F401  (re-exported for the suites here)

BACKENDS = ("numpy", "triton")


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory):
    patcher = pytest.MonkeyPatch()
    patcher.setenv("JITLIB_CACHE_DIR", str(tmp_path_factory.mktemp("jitlib-cache")))
    yield
    patcher.undo()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The backend name to pass to jl.jit(..., backend=...)."""
    return request.param
