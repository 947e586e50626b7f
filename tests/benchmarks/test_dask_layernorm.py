"""benchmarks/dask_layernorm.py runs at a small size on a LocalCluster: jitlib's result
matches dask.array's eager one (the script checks it) and each timing is reported."""

import pytest

pytest.importorskip("dask.distributed", reason="dask is in the test extra")

from benchmarks import dask_layernorm  # noqa: E402


def test_small_run_reports_the_three_timings(capsys):
    argv = ["--rows", "3000", "--features", "64", "--chunk-rows", "700", "--repeats", "1"]
    timings = dask_layernorm.main(argv)
    assert set(timings) == {"generate", "dask eager", "jitlib"}
    assert all(seconds > 0 for seconds in timings.values())
    out = capsys.readouterr().out
    assert "jitlib / dask eager speedup" in out and "traces per worker" in out
