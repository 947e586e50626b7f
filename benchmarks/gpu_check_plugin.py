"""A pytest plugin for `benchmarks/gpu_check.sh`. With PYTEST_SHARD=i/n, it keeps every n-th
collected test from the i-th on, so that the suites can run in n processes at once without
pytest-xdist. With PYTEST_DEADLINE_S, it stops after the test running when that many
seconds have passed, so pytest still prints its summary and writes its JUnit XML.

    PYTEST_SHARD=2/8 PYTEST_DEADLINE_S=150 python -m pytest -p benchmarks.gpu_check_plugin tests
"""

import os
import time

_START = time.monotonic()


def pytest_collection_modifyitems(config, items: list) -> None:
    shard = os.environ.get("PYTEST_SHARD")
    if not shard:
        return
    index, count = (int(part) for part in shard.split("/"))
    # round-robin: neighbouring cases (one op's dtypes, say) go to different processes
    config.hook.pytest_deselected(
        items=[item for position, item in enumerate(items) if position % count != index]
    )
    items[:] = items[index::count]


def pytest_runtest_teardown(item, nextitem) -> None:
    deadline = os.environ.get("PYTEST_DEADLINE_S")
    if deadline and nextitem is not None and time.monotonic() - _START > float(deadline):
        item.session.shouldstop = f"deadline of {deadline} s reached (PYTEST_DEADLINE_S)"
