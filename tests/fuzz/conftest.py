"""The fuzz suites keep generated Triton modules in a temporary cache directory, count what
they tried, and print the counts at the end of the run."""

import pytest

from fuzz.stats import COUNTS


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory):
    patcher = pytest.MonkeyPatch()
    patcher.setenv("JITLIB_CACHE_DIR", str(tmp_path_factory.mktemp("jitlib-cache")))
    yield
    patcher.undo()


def pytest_terminal_summary(terminalreporter):
    if COUNTS:
        terminalreporter.section("differential fuzzing")
        for what, count in sorted(COUNTS.items()):
            terminalreporter.write_line(f"{what}: {count}")
