"""The fuzz suites count what they tried, and print the counts at the end of the run."""

from fuzz.stats import COUNTS


def pytest_terminal_summary(terminalreporter):
    if COUNTS:
        terminalreporter.section("differential fuzzing")
        for what, count in sorted(COUNTS.items()):
            terminalreporter.write_line(f"{what}: {count}")
