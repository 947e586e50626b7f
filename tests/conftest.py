"""Shared by every test directory: pytest puts this directory on sys.path, so suites can
import the op-case table as `ops.cases` and its input helpers from `ops.test_forward`.
Generated Triton modules go to a temporary cache directory, never the user's. The fuzz
suites' counts of what they tried are printed at the end of the run (under pytest-xdist
each worker sends its counts to the controller, which prints their sum)."""

import os
import shutil

import pytest
from fuzz.stats import COUNTS

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


def pytest_sessionfinish(session):
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # an xdist worker
        output["fuzz_counts"] = dict(COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    for what, count in getattr(node, "workeroutput", {}).get("fuzz_counts", {}).items():
        COUNTS[what] += count


def pytest_terminal_summary(terminalreporter):
    if COUNTS:
        terminalreporter.section("differential fuzzing")
        for what, count in sorted(COUNTS.items()):
            terminalreporter.write_line(f"{what}: {count}")
