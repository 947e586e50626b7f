"""The persistent cache of generated code, under $JITLIB_CACHE_DIR (default
~/.cache/jitlib). An entry is a Python module whose first line names its key and whose last
line closes it; an entry that is unreadable, truncated or from another version is rebuilt,
never trusted. Without a usable directory, entries go to a temporary directory for this
process, and jitlib says so once."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import threading
import warnings
from pathlib import Path

_lock = threading.Lock()
_fallback: Path | None = None
# A module is in sys.modules from the start of its import (inspect.getsource needs it there):
# one thread loads modules at a time, so none takes another's half-run module.
_import_lock = threading.RLock()


def directory() -> Path:
    """The cache root, created if needed; a temporary one if that is not possible."""
    global _fallback
    root = Path(os.environ.get("JITLIB_CACHE_DIR") or Path.home() / ".cache" / "jitlib")
    try:
        root.mkdir(parents=True, exist_ok=True)
        # a name of its own: threads (and processes with one pid, in containers) probe at once
        fd, probe = tempfile.mkstemp(dir=root, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
        return root
    except OSError as error:
        with _lock:
            if _fallback is None:
                _fallback = Path(tempfile.mkdtemp(prefix="jitlib-"))
                warnings.warn(
                    f"jitlib: cannot use the cache directory {root} ({error.strerror}); "
                    f"generated code goes to {_fallback} for this process only",
                    stacklevel=3,
                )
        return _fallback


def _last_line(first_line: str) -> str:
    # a file cut short after any whole line can still be valid Python: this line proves it is not
    return f"{first_line} (end of entry)"


def _read(path: Path, first_line: str) -> str | None:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return None
    whole = text.startswith(first_line + "\n") and text.endswith(f"\n{_last_line(first_line)}\n")
    return text if whole else None


def _write(path: Path, text: str) -> None:
    """Write through a temporary file and a rename: readers never see half an entry, and
    two processes writing the same entry both leave a whole one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


def _import(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # inspect.getsource (which triton.jit uses) looks here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_module(kind: str, stem: str, first_line: str, generate):
    """Import the cached module `kind/stem.py`, generating and writing it first when it is
    missing or not a valid entry for `first_line`."""
    name = f"jitlib_cache_{kind}_{stem}"
    with _import_lock:
        if name in sys.modules:
            return sys.modules[name]
        path = directory() / kind / f"{stem}.py"
        if _read(path, first_line) is not None:
            try:
                return _import(path, name)
            except Exception:  # a corrupt entry: rebuild it below
                pass
        _write(path, f"{generate().rstrip()}\n{_last_line(first_line)}\n")
        return _import(path, name)
