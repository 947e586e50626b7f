"""The persistent cache of generated code, under $JITLIB_CACHE_DIR (default ~/.cache/jitlib).

An entry is a text file whose first line names its key and whose last line closes it with
a digest of the rest: an unreadable, truncated, altered or other-version entry is rebuilt,
never trusted. Entries are code that jitlib runs, so a directory or entry is used only
when it is the current user's own and nobody else can write to it (as ssh and ccache
check); otherwise, or where the directory cannot be used at all, entries go to a private
temporary directory for this process, and jitlib says so once.
"""

from __future__ import annotations

import hashlib
import linecache
import os
import stat
import sys
import tempfile
import threading
import types
import warnings
from pathlib import Path

from codegen import PARSE_LOCK

_lock = threading.Lock()
_fallback: Path | None = None
# A module is in sys.modules from the start of its import (inspect.getsource needs it there):
# one thread loads modules at a time, so none takes another's half-run module.
_import_lock = threading.RLock()


def distrust(info: os.stat_result) -> str | None:
    """Why a file or directory with this stat must not be trusted (None: it may be): it
    belongs to another user, or group or others may write to it."""
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return f"it belongs to uid {info.st_uid}, not to this user (uid {os.geteuid()})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"group or others may write to it (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def _make_private(path: Path) -> None:
    """Create `path` and any missing parents with mode 0700 (Path.mkdir gives parents the
    default mode)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # another thread or process made it meanwhile
            pass


def _fall_back(root: Path, why: str) -> Path:
    """The private temporary directory that replaces `root` for the rest of the process;
    the first call warns."""
    global _fallback
    with _lock:
        if _fallback is None:
            _fallback = Path(tempfile.mkdtemp(prefix="jitlib-"))  # mode 0700, ours
            warnings.warn(
                f"jitlib: cannot use the cache directory {root} ({why}); "
                f"generated code goes to {_fallback} for this process only",
                stacklevel=4,
            )
    return _fallback


def directory() -> Path:
    """The cache root, created (mode 0700) if needed; a private temporary one if it cannot
    be created or written, or is not this user's own."""
    root = Path(os.environ.get("JITLIB_CACHE_DIR") or Path.home() / ".cache" / "jitlib")
    try:
        _make_private(root)
        why = distrust(root.stat())
        if why is None:
            # a name of its own: threads (and processes with one pid, in containers) probe at once
            fd, probe = tempfile.mkstemp(dir=root, prefix=".probe-")
            os.close(fd)
            os.unlink(probe)
            return root
    except OSError as error:
        why = error.strerror or str(error)
    return _fall_back(root, why)


def folder(kind: str) -> Path:
    """The directory holding one kind of entry (`triton`, `numpy`), checked like the root."""
    path = directory() / kind
    try:
        _make_private(path)
        why = distrust(path.stat())
    except OSError as error:
        why = error.strerror or str(error)
    if why is None:
        return path
    path = _fall_back(path, why) / kind
    _make_private(path)
    return path


def _closing_line(text: str, first_line: str) -> str:
    # a file cut short after any whole line can still be valid Python: this line proves it is
    # not, and its digest that nothing between was changed or lost
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"{first_line} (end of entry, sha256 {digest})"


def entry_text(first_line: str, generated: str) -> str:
    """The whole entry for `generated` (which starts with `first_line`)."""
    text = f"{generated.rstrip()}\n"
    assert text.startswith(first_line + "\n"), "an entry starts with its key line"
    return f"{text}{_closing_line(text, first_line)}\n"


def _read_own(path: Path) -> str | None:
    """The file's text, when it is a regular file of ours that nobody else can write (checked
    on the open file, so it cannot be swapped between the check and the read)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or distrust(info) is not None:
            return None
        data = file.read()
    try:
        return data.decode()
    except UnicodeDecodeError:
        return None


def read(path: Path, first_line: str) -> str | None:
    """The entry at `path` if it is trusted and whole for `first_line`, else None."""
    text = _read_own(path)
    if text is None or not text.startswith(first_line + "\n"):
        return None
    body, _, closing = text[:-1].rpartition("\n")
    whole = text.endswith("\n") and closing == _closing_line(body + "\n", first_line)
    return text if whole else None


def write(path: Path, text: str) -> None:
    """Write through a private temporary file and a rename: readers never see half an
    entry, and two processes writing the same entry both leave a whole one. A failed write
    (a full disk) only means the next process generates the entry again."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def _module(name: str, path: Path, text: str) -> types.ModuleType:
    """Run `text` as module `name` whose file is `path`. The code is compiled from this
    text, not imported from the file, so no bytecode cache (__pycache__) is read or
    written; linecache holds the text, so inspect.getsource (which triton.jit uses) gives
    exactly what runs."""
    module = types.ModuleType(name)
    module.__file__ = str(path)
    linecache.cache[str(path)] = (len(text), None, text.splitlines(True), str(path))
    sys.modules[name] = module  # inspect.getsource looks here
    try:
        with PARSE_LOCK:
            exec(compile(text, str(path), "exec"), module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_module(kind: str, stem: str, first_line: str, generate):
    """The module `kind/stem.py` for text this process generates (`generate()`, starting
    with `first_line`), for the rest of the process. For code that is cheap to generate:
    the file on disk is rewritten unless it holds exactly that text, and is never run."""
    name = f"jitlib_cache_{kind}_{stem}"
    with _import_lock:
        if name in sys.modules:
            return sys.modules[name]
        text = entry_text(first_line, generate())
        path = folder(kind) / f"{stem}.py"
        if read(path, first_line) != text:
            write(path, text)
        return _module(name, path, text)
