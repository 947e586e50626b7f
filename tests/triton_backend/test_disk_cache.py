"""The disk cache of generated Triton modules (codegen.disk_cache) as the Triton backend uses
it: one module per compiled function under $JITLIB_CACHE_DIR/triton, reused as is by a fresh
process, rebuilt whole when damaged, and a temporary directory (with one warning) when the
configured one cannot be used.

Modules are also kept in `sys.modules` for the rest of a process, so reuse and rebuilds are
checked in fresh Python processes; in-process tests use functions no other test compiles.
"""

import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import jitlib as jl
from codegen import disk_cache

ROOT = Path(__file__).resolve().parents[2]

# run in a fresh interpreter: compiles one function with the Triton backend and checks it
PROGRAM = textwrap.dedent(
    """
    import numpy as np
    import jitlib as jl

    def cached_across_processes(x, y):
        return np.tanh(x) * y.sum(axis=0) + 1.5

    x = np.random.default_rng(5).standard_normal((4, 3))
    y = np.random.default_rng(6).standard_normal((2, 3))
    got = jl.jit(cached_across_processes, backend="triton")(x, y)
    np.testing.assert_allclose(got, np.tanh(x) * y.sum(axis=0) + 1.5, rtol=1e-12, atol=0)
    print("ok")
    """
)


def run_program(cache_dir: Path) -> None:
    env = dict(os.environ, JITLIB_CACHE_DIR=str(cache_dir))
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"


def entries(cache_dir: Path) -> list:
    """Every file under the cache directory (temporary files included)."""
    return sorted(p for p in cache_dir.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A cache directory holding the one entry a first run of PROGRAM wrote."""
    cache_dir = tmp_path_factory.mktemp("pristine-cache")
    run_program(cache_dir)
    return cache_dir


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# --- writing and reusing ------------------------------------------------------------------
def written_once(x):
    return np.sin(x) * 3.0 - x.max(axis=1, keepdims=True)


def test_compiling_writes_one_module_whose_text_is_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv("JITLIB_CACHE_DIR", str(tmp_path))
    x = rand(4, 3)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        compiled = jl.jit(written_once, backend="triton").lower(x).compile()
    assert not [w for w in record if "jitlib" in str(w.message)]
    (path,) = entries(tmp_path)
    assert path.parent == tmp_path / "triton" and path.name.startswith("written_once_")
    assert path.read_text() == compiled.source
    assert compiled.source.startswith("# jitlib-triton ")
    (got,) = compiled(x)
    np.testing.assert_allclose(got, written_once(x), rtol=1e-12, atol=1e-12)


def test_a_fresh_process_reuses_the_entry_unchanged(pristine, tmp_path):
    cache_dir = tmp_path / "cache"
    shutil.copytree(pristine, cache_dir)
    (path,) = entries(cache_dir)
    before, text = path.stat(), path.read_text()
    run_program(cache_dir)
    assert entries(cache_dir) == [path]
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert path.read_text() == text


# --- damaged entries are rebuilt ----------------------------------------------------------
def truncated_mid_line(text: str) -> bytes:
    return text[: len(text) // 2 + 7].encode()


def truncated_before_the_return(text: str) -> bytes:
    # cut after a whole line and still valid Python: the launcher just lacks its `return`
    lines = text.splitlines(keepends=True)
    last_return = max(i for i, line in enumerate(lines) if line.startswith("    return "))
    return "".join(lines[:last_return]).encode()


def garbage(text: str) -> bytes:
    return b"\x89\xff\xfe garbage" + bytes(np.random.default_rng(0).integers(0, 256, 300))


def right_lines_around_a_broken_body(text: str) -> bytes:
    lines = text.splitlines(keepends=True)
    return (lines[0] + "def launcher(:\n" + lines[-1]).encode()


def another_key(text: str) -> bytes:
    # a whole, valid entry for a different key (another version or IR)
    key = text.splitlines()[0].split()[-1]
    return text.replace(key, "0" * len(key)).encode()


@pytest.mark.parametrize(
    "damage",
    [
        truncated_mid_line,
        truncated_before_the_return,
        garbage,
        right_lines_around_a_broken_body,
        another_key,
    ],
)
def test_a_damaged_entry_is_rebuilt_whole(pristine, tmp_path, damage):
    cache_dir = tmp_path / "cache"
    shutil.copytree(pristine, cache_dir)
    (path,) = entries(cache_dir)
    text = path.read_text()
    path.write_bytes(damage(text))
    run_program(cache_dir)  # right answers, not an error or a stale module
    assert entries(cache_dir) == [path]
    assert path.read_text() == text


# --- an unusable cache directory ----------------------------------------------------------
def fresh(fn, name: str):
    """fn under a name no other compile in this process used, so that its module is not
    already in sys.modules and compiling it goes to the cache directory."""
    fn.__name__ = name
    return fn


@pytest.mark.parametrize("where", ["under_a_file", "a_file"])
def test_an_unusable_directory_falls_back_with_one_warning(tmp_path, monkeypatch, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    configured = blocker / "cache" if where == "under_a_file" else blocker
    monkeypatch.setenv("JITLIB_CACHE_DIR", str(configured))
    monkeypatch.setattr(disk_cache, "_fallback", None)
    first = fresh(lambda x: np.exp(-x) + 0.25, f"first_{where}")
    second = fresh(lambda x: np.cos(x) * x.sum(), f"second_{where}")
    x = rand(3, 4)
    with pytest.warns(UserWarning, match="cannot use the cache directory") as record:
        got_first = jl.jit(first, backend="triton")(x)
        got_second = jl.jit(second, backend="triton")(x)
    fallback = disk_cache._fallback
    try:
        assert sum("cannot use the cache directory" in str(w.message) for w in record) == 1
        np.testing.assert_allclose(got_first, first(x), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got_second, second(x), rtol=1e-12, atol=1e-12)
        names = sorted(p.name.split(f"_{where}_")[0] for p in entries(fallback))
        assert names == ["first", "second"]
        assert blocker.read_text() == "not a directory"
    finally:
        shutil.rmtree(fallback)
