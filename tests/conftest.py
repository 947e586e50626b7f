"""Shared by every test directory: pytest puts this directory on sys.path, so suites can
import the op-case table as `ops.cases` and its input helpers from `ops.test_forward`.
Generated Triton modules go to a temporary cache directory, never the user's."""

import os
import shutil

import pytest

# Without a CUDA GPU, Triton kernels run in Triton's interpreter. Triton reads the variable
# when a kernel is decorated, so it is set here, before any test module imports triton.
if not shutil.which("nvidia-smi"):
    os.environ.setdefault("TRITON_INTERPRET", "1")


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory):
    patcher = pytest.MonkeyPatch()
    patcher.setenv("JITLIB_CACHE_DIR", str(tmp_path_factory.mktemp("jitlib-cache")))
    yield
    patcher.undo()
