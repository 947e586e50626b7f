"""The numpy backend's disk cache (codegen.numpy_cache): one entry per compiled function under
$JITLIB_CACHE_DIR/numpy, which a new process compiles from instead of generating the code
again; its array constants come from the live IR, bit for bit; a damaged or other-version
entry is rebuilt whole. What the cache trusts is tested in
tests/reliability/test_disk_cache_security.py.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import jitlib as jl
from codegen import numpy_emitter

ROOT = Path(__file__).resolve().parents[2]

# run in a fresh interpreter: counts the code generations, checks the results bit for bit
PROGRAM = textwrap.dedent(
    """
    import json
    import numpy as np
    import jitlib as jl
    from codegen import numpy_emitter

    generated = []
    real_emit = numpy_emitter.emit
    numpy_emitter.emit = lambda *args, **kwargs: generated.append(1) or real_emit(*args, **kwargs)

    # constants with nan, -0.0, inf and subnormals, of three dtypes, kept in the closure
    table = np.array([np.nan, -0.0, np.inf, 5e-324, 1.5, -2.25], np.float64)
    counts = np.arange(6, dtype=np.int64) * 3 - 7
    flags = np.array([True, False, True, True, False, False])

    def cached_across_processes(x):
        # (max, not sum: a row sum is einsum's, whose rounding is not numpy's pairwise sum's)
        return np.tanh(x) * table + np.where(flags, counts, x.max(axis=1, keepdims=True))

    x = np.random.default_rng(5).standard_normal((4, 6))
    got = jl.jit(cached_across_processes, backend="numpy")(x)
    want = cached_across_processes(x)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    compiled = jl.jit(cached_across_processes, backend="numpy").lower(x).compile()
    print(json.dumps({"generated": len(generated), "source": compiled.source}))
    """
)


def run_program(cache_dir: Path) -> dict:
    env = dict(os.environ, JITLIB_CACHE_DIR=str(cache_dir))
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def entries(cache_dir: Path) -> list:
    return sorted(p for p in cache_dir.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple:
    """(cache directory holding the one entry a first run of PROGRAM wrote, its report)."""
    cache_dir = tmp_path_factory.mktemp("pristine-numpy-cache")
    return cache_dir, run_program(cache_dir)


def test_a_new_process_compiles_from_the_entry(pristine, tmp_path):
    first_dir, first = pristine
    assert first["generated"] == 1
    cache_dir = tmp_path / "cache"
    shutil.copytree(first_dir, cache_dir)
    (path,) = entries(cache_dir)
    assert path.parent == cache_dir / "numpy" and path.name.startswith("cached_across_processes_")
    before, text = path.stat(), path.read_text()
    second = run_program(cache_dir)
    assert second == {"generated": 0, "source": first["source"]}
    assert entries(cache_dir) == [path]
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert path.read_text() == text
    assert "nan" not in text.split("\n", 2)[2]  # the constants are not in the file


# --- damaged entries are rebuilt (in this process: a new jitted function reads the disk) -----
def with_constant(x):
    return np.exp(-x) * np.linspace(-1.0, 1.0, 7) + x.max(axis=1, keepdims=True)


def compile_counting(monkeypatch) -> tuple:
    """(result, how many times the code was generated) for with_constant, compiled by a new
    jitted function."""
    generated = []
    real_emit = numpy_emitter.emit
    monkeypatch.setattr(
        numpy_emitter, "emit", lambda *a, **k: generated.append(1) or real_emit(*a, **k)
    )
    x = np.random.default_rng(2).standard_normal((3, 7))
    got = jl.jit(with_constant, backend="numpy")(x)
    monkeypatch.setattr(numpy_emitter, "emit", real_emit)
    np.testing.assert_array_equal(got, with_constant(x))
    return got, len(generated)


def truncated_mid_line(text: str) -> str:
    return text[: len(text) // 2 + 7]


def truncated_after_a_whole_line(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:-2])


def garbage(text: str) -> str:
    return "\x00\x89 garbage " * 40


def one_changed_character(text: str) -> str:
    at = text.index("np.exp")
    return text[:at] + "np.log" + text[at + 6 :]


def another_key(text: str) -> str:
    key = text.splitlines()[0].split()[-1]
    return text.replace(key, "0" * len(key))


@pytest.mark.parametrize(
    "damage",
    [truncated_mid_line, truncated_after_a_whole_line, garbage, one_changed_character, another_key],
)
def test_a_damaged_entry_is_rebuilt_whole(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("JITLIB_CACHE_DIR", str(tmp_path))
    assert compile_counting(monkeypatch)[1] == 1
    (path,) = entries(tmp_path)
    text = path.read_text()
    assert compile_counting(monkeypatch)[1] == 0  # whole: used
    path.write_text(damage(text))
    assert compile_counting(monkeypatch)[1] == 1
    assert entries(tmp_path) == [path]
    assert path.read_text() == text


def test_the_emitter_settings_are_part_of_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("JITLIB_CACHE_DIR", str(tmp_path))
    x = np.random.default_rng(4).standard_normal((3, 7))
    blocked = jl.jit(with_constant, backend="numpy").lower(x).compile().source
    monkeypatch.setattr(numpy_emitter, "MIN_CHUNKED_OPS", 1000)
    whole = jl.jit(with_constant, backend="numpy").lower(x).compile().source
    assert "blocks of rows" in blocked and "blocks of rows" not in whole
    assert len(entries(tmp_path)) == 2
