"""Faults around the disk cache of generated code ($JITLIB_CACHE_DIR), beyond the damaged
entries and unusable paths of tests/triton_backend/test_disk_cache.py and
tests/codegen/test_numpy_disk_cache.py: several processes filling one entry at once, a cache
directory that does not exist yet, and a read-only one. Both backends keep their entries
there (`triton/`, `numpy/`); what the cache trusts is tested in test_disk_cache_security.py.
"""

import json
import os
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import jitlib as jl
from reliability.conftest import host

ROOT = Path(__file__).resolve().parents[2]

# shared by the programs below, which run in fresh interpreters
PRELUDE = textwrap.dedent(
    """
    import json, sys, time, warnings
    from pathlib import Path

    import numpy as np
    import jitlib as jl

    def host(value):  # a CuPy result (on a GPU) as a numpy array
        return value.get() if hasattr(value, "get") and hasattr(value, "device") else value

    def check(got, want):
        np.testing.assert_allclose(host(got), want, rtol=1e-12, atol=1e-12)

    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 3))
    y = rng.standard_normal((3,))
    """
)

# started several times at once on one empty cache directory; a file barrier releases them
FILL_AT_ONCE = PRELUDE + textwrap.dedent(
    """
    def filled_at_once(x, y):
        return np.exp(-x * x) * y - x.max(axis=1, keepdims=True)

    from codegen import triton_emitter  # noqa: F401  (imports Triton before the barrier)

    barrier, me = Path(sys.argv[1]), sys.argv[2]
    (barrier / f"ready-{me}").touch()
    deadline = time.monotonic() + 60
    while not (barrier / "go").exists():
        assert time.monotonic() < deadline, "never released"
        time.sleep(0.001)
    check(jl.jit(filled_at_once, backend="triton")(x, y), filled_at_once(x, y))
    print("ok")
    """
)

# several functions compiled with an unusable cache directory; reports what it was told
UNUSABLE = PRELUDE + textwrap.dedent(
    """
    from codegen import disk_cache

    def on_numpy(x, y):
        return np.sin(x) + y

    def first(x, y):
        return np.cos(x) * y

    def second(x, y):
        return x.sum(axis=0) - y

    def third(x, y):
        return np.tanh(x) + x.min(axis=1, keepdims=True)

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        check(jl.jit(on_numpy, backend="numpy")(x, y), on_numpy(x, y))
        after_numpy = len(record)
        for fn in (first, second, third):
            check(jl.jit(fn, backend="triton")(x, y), fn(x, y))
            check(jl.jit(fn, backend="triton")(x * 2, y), fn(x * 2, y))
    fallback = disk_cache._fallback
    print(json.dumps({
        "after_numpy": after_numpy,
        "messages": [str(w.message) for w in record],
        "fallback": str(fallback),
        "written": sorted(f"{p.parent.name}/{p.name.split('_')[0]}" for p in fallback.rglob("*.py")),
    }))
    """
)


def run(program: str, cache_dir: Path, tmp: Path, *args: str) -> subprocess.Popen:
    """Start `program` in a fresh interpreter; its temporary files go under `tmp`."""
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, JITLIB_CACHE_DIR=str(cache_dir), TMPDIR=str(tmp))
    return subprocess.Popen(
        [sys.executable, "-c", program, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return stdout


def files(directory: Path) -> list:
    return sorted(p for p in directory.rglob("*") if p.is_file())


# --- several processes fill one entry at once ---------------------------------------------


def test_processes_filling_one_entry_at_once_leave_one_whole_entry(tmp_path):
    cache_dir, barrier = tmp_path / "cache", tmp_path / "barrier"
    barrier.mkdir()
    processes = [
        run(FILL_AT_ONCE, cache_dir, tmp_path / "tmp", str(barrier), str(i)) for i in range(3)
    ]
    deadline = time.monotonic() + 90
    while len(list(barrier.glob("ready-*"))) < len(processes):
        assert time.monotonic() < deadline, "the processes never got ready"
        assert all(p.poll() is None for p in processes), finish(processes[0])
        time.sleep(0.01)
    (barrier / "go").touch()  # all of them are waiting: release them together

    assert [finish(p) for p in processes] == ["ok\n"] * len(processes)
    (entry,) = files(cache_dir)  # one module, no temporary file left behind
    assert entry.parent == cache_dir / "triton" and entry.name.startswith("filled_at_once_")
    lines = entry.read_text().splitlines()
    assert lines[0].startswith("# jitlib-triton ")
    assert lines[-1].startswith(f"{lines[0]} (end of entry, sha256 ")


# --- a cache directory that does not exist yet --------------------------------------------


def test_a_missing_cache_directory_is_created_and_used(tmp_path, monkeypatch, backend):
    """Either backend creates the missing directories (mode 0700) and writes its module
    there, without a warning."""
    cache_dir = tmp_path / "not" / "there" / "yet"
    monkeypatch.setenv("JITLIB_CACHE_DIR", str(cache_dir))

    def made_on_demand(x):
        return np.sqrt(np.abs(x)) * 1.5 - x.mean(axis=0)

    made_on_demand.__name__ = f"made_on_demand_{backend}_{tmp_path.name}"  # not in sys.modules
    x = np.random.default_rng(3).standard_normal((6, 4))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = jl.jit(made_on_demand, backend=backend)(x)
    np.testing.assert_allclose(host(got), made_on_demand(x), rtol=1e-12, atol=1e-12)
    assert not [w for w in record if "jitlib" in str(w.message)]
    (entry,) = files(cache_dir)
    assert entry.parent == cache_dir / backend
    assert entry.name.startswith(made_on_demand.__name__)
    for made in (tmp_path / "not", tmp_path / "not" / "there", cache_dir, entry.parent):
        assert made.stat().st_mode & 0o777 == 0o700


# --- a read-only cache directory ----------------------------------------------------------


def can_create_files_in(directory: Path) -> bool:
    probe = directory / "probe"
    try:
        probe.write_text("")
    except OSError:
        return False
    probe.unlink()
    return True


@pytest.fixture
def read_only_directory(tmp_path):
    """An existing directory this process cannot create files in: one with mode 0o500,
    or, where that does not stop us (root ignores file modes), sysfs's /sys/kernel, which
    refuses new files even to root."""
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        if not can_create_files_in(directory):
            yield directory
        else:
            sysfs = Path("/sys/kernel")
            assert sysfs.is_dir() and not can_create_files_in(sysfs), "no read-only directory"
            yield sysfs
    finally:
        directory.chmod(0o700)


def test_a_read_only_directory_works_without_it_and_warns_once(read_only_directory, tmp_path):
    """In a fresh process: a numpy-backend function, then three compiled with the Triton
    backend (each called at two sizes), give right answers from a temporary directory, with
    exactly one warning, at the first compile, that names the configured directory."""
    before = files(read_only_directory) if read_only_directory.is_relative_to(tmp_path) else None
    report = json.loads(finish(run(UNUSABLE, read_only_directory, tmp_path / "tmp")))

    assert report["after_numpy"] == 1
    (message,) = [m for m in report["messages"] if "jitlib" in m]
    assert f"cannot use the cache directory {read_only_directory}" in message
    assert report["fallback"] in message
    assert Path(report["fallback"]).is_relative_to(tmp_path / "tmp")
    assert report["written"] == ["numpy/on", "triton/first", "triton/second", "triton/third"]
    if before is not None:
        assert files(read_only_directory) == before == []
