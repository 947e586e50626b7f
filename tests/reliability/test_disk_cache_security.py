"""The disk cache never runs code another user could have written ($JITLIB_CACHE_DIR).

Each case plants, where jitlib will look, an entry for exactly the function about to be
compiled: whole and well-framed (key line, closing digest), but whose code writes a marker
file. The marker must never appear, results must be right, and an untrusted directory
means one warning and a private temporary directory instead. A directory or entry is
trusted only when it is this user's own and nobody else may write to it; the Triton
backend, whose source is cheap to generate, never runs what is on disk at all, and no
bytecode cache (__pycache__) is read on either backend.

Cases that give a file to another user need root (chown); elsewhere they are skipped.
"""

import dataclasses
import importlib.util
import marshal
import os
import shutil
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import jitlib as jl
from codegen import disk_cache, numpy_cache
from reliability.conftest import host

NOBODY = 65534
as_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="giving a file to another user (chown) needs root",
)
X = np.random.default_rng(7).standard_normal((5, 4))


def planted_source(marker: Path) -> str:
    return f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')\n"


def victim(x):
    return np.tanh(x) * 2.0 + x.sum(axis=1, keepdims=True)


def compile_as(name: str, backend: str):
    """Compile and run `victim` under `name` with a fresh jitted function; the Triton
    module is dropped from sys.modules first, so its entry is looked up on disk again.
    Returns the compiled object."""
    for module in [m for m in sys.modules if m.startswith(f"jitlib_cache_triton_{name}_")]:
        del sys.modules[module]
    fn = types.FunctionType(victim.__code__, victim.__globals__, name)
    jitted = jl.jit(fn, backend=backend)
    np.testing.assert_allclose(host(jitted(X)), victim(X), rtol=1e-12, atol=1e-12)
    return jitted.lower(X)


def the_entry(cache_dir: Path, backend: str, name: str) -> Path:
    (path,) = (cache_dir / backend).glob(f"{name}_*.py")
    return path


def evil_text(lowered, backend: str, path: Path, marker: Path) -> str:
    """A whole entry for the function, with code that writes `marker` added."""
    text = path.read_text()
    first_line = text.split("\n", 1)[0]
    if backend == "numpy":
        kernel = lowered.compile().kernel
        evil = dataclasses.replace(kernel, source=planted_source(marker) + kernel.source)
        return numpy_cache.entry(first_line, evil, lowered.ir)
    generated = text[: text.rindex(first_line + " (end of entry")]
    head, rest = generated.split("\n", 1)
    return disk_cache.entry_text(first_line, f"{head}\n{planted_source(marker)}{rest}")


@pytest.fixture
def setting(tmp_path, monkeypatch, backend, request):
    """(cache dir, entry path, marker, lowered): the cache directory (mode 0700) holds an
    entry for a function named after the test, replaced by a planted one."""
    cache_dir, marker = tmp_path / "cache", tmp_path / "MARKER"
    monkeypatch.setenv("JITLIB_CACHE_DIR", str(cache_dir))
    monkeypatch.setattr(disk_cache, "_fallback", None)
    name = "victim_" + "".join(c if c.isalnum() else "_" for c in request.node.name)
    lowered = compile_as(name, backend)
    path = the_entry(cache_dir, backend, name)
    path.write_text(evil_text(lowered, backend, path, marker))
    assert disk_cache.read(path, path.read_text().split("\n", 1)[0]) is not None  # well-framed
    yield cache_dir, path, marker, name
    fallback = disk_cache._fallback
    if fallback is not None:
        shutil.rmtree(fallback)


def compile_warned(name: str, backend: str) -> list:
    """Compile the victim again; the jitlib warnings it gave."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        compile_as(name, backend)
    return [str(w.message) for w in record if "jitlib" in str(w.message)]


def test_the_planted_entry_runs_where_it_is_trusted(tmp_path, monkeypatch):
    """The control: a numpy entry of this user's own, in a private directory, is trusted
    (whoever can write it can already run code as this user), so the planted entry is one
    jitlib would run; the cases below are refused for their owner and modes alone."""
    monkeypatch.setenv("JITLIB_CACHE_DIR", str(tmp_path / "cache"))
    lowered = compile_as("victim_control", "numpy")
    path, marker = the_entry(tmp_path / "cache", "numpy", "victim_control"), tmp_path / "MARKER"
    path.write_text(evil_text(lowered, "numpy", path, marker))
    assert compile_warned("victim_control", "numpy") == []
    assert marker.read_text() == "ran"


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1777], ids=oct)
def test_a_directory_others_may_write_is_not_used(setting, backend, mode):
    cache_dir, path, marker, name = setting
    cache_dir.chmod(mode)
    planted = path.read_text()
    (message,) = compile_warned(name, backend) + compile_warned("other_" + name, backend)
    assert f"cannot use the cache directory {cache_dir}" in message
    assert f"group or others may write to it (mode {mode:o})" in message
    assert not marker.exists()
    assert path.read_text() == planted and not list(cache_dir.rglob("other_*"))
    fallback = disk_cache._fallback
    assert fallback.stat().st_mode & 0o777 == 0o700
    assert the_entry(fallback, backend, name).stat().st_mode & 0o777 == 0o600


def test_a_backend_folder_others_may_write_is_not_used(setting, backend):
    cache_dir, path, marker, name = setting
    path.parent.chmod(0o777)
    (message,) = compile_warned(name, backend)
    assert f"cannot use the cache directory {path.parent}" in message
    assert not marker.exists()


@as_root
def test_a_directory_of_another_user_is_not_used(setting, backend):
    cache_dir, path, marker, name = setting
    os.chown(cache_dir, NOBODY, NOBODY)
    (message,) = compile_warned(name, backend)
    assert f"it belongs to uid {NOBODY}" in message
    assert not marker.exists()


@as_root
def test_an_entry_of_another_user_is_rebuilt(setting, backend):
    cache_dir, path, marker, name = setting
    os.chown(path, NOBODY, NOBODY)
    assert compile_warned(name, backend) == []
    assert not marker.exists()
    mine = path.stat()
    assert (mine.st_uid, mine.st_mode & 0o777) == (os.geteuid(), 0o600)
    assert "MARKER" not in path.read_text()


@pytest.mark.parametrize("mode", [0o666, 0o620], ids=oct)
def test_an_entry_others_may_write_is_rebuilt(setting, backend, mode):
    cache_dir, path, marker, name = setting
    path.chmod(mode)
    assert compile_warned(name, backend) == []
    assert not marker.exists()
    assert path.stat().st_mode & 0o777 == 0o600 and "MARKER" not in path.read_text()


@pytest.mark.parametrize("backend", ["triton"])  # numpy trusts its own private entries
def test_a_changed_triton_entry_of_ours_is_not_run(setting):
    """The Triton backend regenerates its source and runs that: a file that differs is
    rewritten, never run, even when it is our own in a private directory."""
    cache_dir, path, marker, name = setting
    assert compile_warned(name, "triton") == []
    assert not marker.exists()
    assert "MARKER" not in path.read_text()


def test_a_planted_bytecode_cache_is_never_read(tmp_path, monkeypatch, backend):
    """Python's import would run __pycache__/<entry>.pyc in place of a matching .py (same
    mtime and size in its header); jitlib compiles the entry's text itself."""
    cache_dir, marker = tmp_path / "cache", tmp_path / "MARKER"
    monkeypatch.setenv("JITLIB_CACHE_DIR", str(cache_dir))
    name = f"victim_pyc_{backend}"
    compile_as(name, backend)
    path = the_entry(cache_dir, backend, name)
    info = path.stat()
    code = compile(planted_source(marker), str(path), "exec")
    header = [0, int(info.st_mtime) & 0xFFFFFFFF, info.st_size & 0xFFFFFFFF]
    pyc = Path(importlib.util.cache_from_source(str(path)))
    pyc.parent.mkdir(mode=0o700)
    flags_mtime_size = b"".join(n.to_bytes(4, "little") for n in header)
    pyc.write_bytes(importlib.util.MAGIC_NUMBER + flags_mtime_size + marshal.dumps(code))
    assert compile_warned(name, backend) == []
    assert not marker.exists()
