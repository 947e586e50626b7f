"""The Triton backend's suites run its generated kernels (in Triton's interpreter without a
GPU) and keep their generated modules in a temporary cache directory."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory):
    patcher = pytest.MonkeyPatch()
    patcher.setenv("JITLIB_CACHE_DIR", str(tmp_path_factory.mktemp("jitlib-cache")))
    yield
    patcher.undo()
