"""The fuzz suites count what they tried, and print the counts at the end of the run. Under
pytest-xdist each worker sends its counts to the controller, which prints their sum."""

import pytest

from fuzz.stats import COUNTS


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
