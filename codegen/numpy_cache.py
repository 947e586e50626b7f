"""The numpy backend's persistent cache: the module generated for an optimised function is
kept under $JITLIB_CACHE_DIR/numpy, so a later process compiles it from there instead of
generating it again. codegen.disk_cache decides which entries are trusted.

An entry is the generated source plus one line describing the namespace it runs in:
modules and op implementations by name, the function's array constants by position (they
are taken from the live IR, whose key covers their digest), the rest pickled.
"""

from __future__ import annotations

import base64
import collections
import functools
import glob
import hashlib
import importlib
import io
import os
import pickle
import re
import sys
import types

import numpy as np

from codegen import bound_names, disk_cache, numpy_chunking, numpy_emitter
from codegen.numpy_emitter import NumpyKernel
from ir import Function, as_text
from ir.core import Eqn, sub_functions
from ir.ops import OPS, Literal

_PRIMITIVES = (bool, int, float, complex, str, bytes, type(None), tuple)


@functools.cache
def _generator_version() -> str:
    """A hash of the code that decides the generated text (the emitter, the op table, the
    shape printer: all of codegen/ and ir/): changing any of it retires old entries."""
    digest = hashlib.sha256()
    top = os.path.dirname(os.path.dirname(numpy_emitter.__file__))
    for package in ("codegen", "ir"):
        pattern = os.path.join(top, package, "**", "*.py")
        for path in sorted(glob.glob(pattern, recursive=True)):  # strings: pathlib is slower
            with open(path, "rb") as file:
                digest.update(os.path.relpath(path, top).encode() + b"\0" + file.read())
    return digest.hexdigest()


def _tunables() -> dict:
    """The emitter's module-level settings (tests change some)."""
    simple = (bool, int, float, str)
    return {
        module.__name__: {
            k: v for k, v in vars(module).items() if k.isupper() and type(v) in simple
        }
        for module in (numpy_emitter, numpy_chunking)
    }


def _walk(fn: Function) -> list:
    """Every equation of `fn` and its sub-functions, in printing order (each sub-function
    once)."""
    found, seen = [], set()

    def visit(f: Function) -> None:
        for eqn in f.eqns:
            found.append(eqn)
            for sub in sub_functions(eqn):
                if id(sub) not in seen:
                    seen.add(id(sub))
                    visit(sub)

    visit(fn)
    return found


def _params_text(eqn: Eqn) -> str:
    # the printer shows params with str() and sub-functions in full; the code has repr()
    shown = {}
    for name, value in eqn.params.items():
        if not any(isinstance(item, Function) for item in _items(value)):
            shown[name] = value
    return repr(shown)


def _items(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def key(fn: Function) -> str:
    """The entry's key: the IR text with its source lines and params, the generator's
    version and settings, numpy's and Python's versions."""
    digest = hashlib.sha256()
    parts = [_generator_version(), np.__version__, sys.version, repr(_tunables()), as_text(fn)]
    parts += [f"{eqn.source}\0{_params_text(eqn)}" for eqn in _walk(fn)]
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:24]


def _literals(fn: Function) -> list:
    """The constant equations holding arrays, in printing order."""
    return [
        e for e in _walk(fn) if e.op is OPS["constant"] and isinstance(e.params["value"], Literal)
    ]


def _constant(eqn: Eqn):
    return OPS["constant"].impl(**eqn.params)


class _NotCacheable(Exception):
    """The namespace holds something the entry cannot name."""


class _Pickler(pickle.Pickler):
    """Pickles a namespace, naming modules, op implementations, module attributes and the
    function's array constants instead of copying them."""

    def __init__(self, file, fn: Function, namespace: dict):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.literals = _literals(fn)
        self.ops = {id(e.op): e.op for e in _walk(fn)}
        modules = [m for m in namespace.values() if isinstance(m, types.ModuleType)]
        self.modules = [numpy_emitter, *modules]

    def persistent_id(self, obj):
        if isinstance(obj, types.ModuleType):
            return ("module", obj.__name__)
        if isinstance(obj, _PRIMITIVES) or type(obj) in (dict, list):
            return None
        if isinstance(obj, np.ndarray):
            for index, eqn in enumerate(self.literals):
                if _same(_constant(eqn), obj):
                    return ("constant", index)
            raise _NotCacheable("an array that is none of the function's constants")
        for op in self.ops.values():
            for attr in ("impl", "inplace"):
                if getattr(op, attr) is obj:
                    return ("op", op.name, attr)
        for module in self.modules:
            for attr, value in list(vars(module).items()):  # imports may add names
                if value is obj:
                    return ("attr", module.__name__, attr)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, fn: Function):
        super().__init__(file)
        self.fn = fn

    def persistent_load(self, pid):
        kind, *rest = pid
        if kind == "module":
            return importlib.import_module(rest[0])
        if kind == "constant":
            return _constant(_literals(self.fn)[rest[0]])
        if kind == "op":
            return getattr(OPS[rest[0]], rest[1])
        if kind == "attr":
            return getattr(importlib.import_module(rest[0]), rest[1])
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")


def _same(a, b) -> bool:
    """Whether `a` stands for `b` in a namespace: the same object, or an equal one."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, collections.defaultdict) and a.default_factory is not b.default_factory:
        return False
    equal = a == b
    return isinstance(equal, bool) and equal


def _given(kernel: NumpyKernel) -> dict:
    """The namespace the emitter gave the source: the function's globals less what the
    source itself binds (its functions and scalar constants)."""
    bound = bound_names(kernel.source)
    namespace = kernel.fn.__globals__
    return {k: v for k, v in namespace.items() if k not in bound and k != "__builtins__"}


def entry(first_line: str, kernel: NumpyKernel, fn: Function) -> str | None:
    """The entry's text, or None where the namespace cannot be written down faithfully."""
    if not isinstance(kernel.fn, types.FunctionType):
        return None
    namespace = _given(kernel)
    payload = {"function": kernel.name, "characters": len(kernel.source), "namespace": namespace}
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, fn, namespace).dump(payload)
    except (_NotCacheable, pickle.PicklingError, TypeError, AttributeError):
        return None
    loaded = _Unpickler(io.BytesIO(buffer.getvalue()), fn).load()["namespace"]
    if loaded.keys() != namespace.keys() or not all(_same(loaded[k], namespace[k]) for k in loaded):
        return None
    line = "# namespace " + base64.b64encode(buffer.getvalue()).decode()
    return disk_cache.entry_text(first_line, f"{first_line}\n{line}\n{kernel.source}")


def _load(text: str, fn: Function) -> NumpyKernel:
    _, line, rest = text.split("\n", 2)
    data = base64.b64decode(line.removeprefix("# namespace "), validate=True)
    payload = _Unpickler(io.BytesIO(data), fn).load()
    name, source = payload["function"], rest[: payload["characters"]]
    compiled = numpy_emitter.compile_source(source, name, payload["namespace"])
    return NumpyKernel(source=source, fn=compiled, name=name)


def location(fn: Function) -> tuple:
    """(path, first line) of the entry for `fn`."""
    entry_key = key(fn)
    stem = re.sub(r"\W", "_", fn.name) + "_" + entry_key
    return disk_cache.folder("numpy") / f"{stem}.py", f"# jitlib-numpy {entry_key}"


def emit(fn: Function) -> NumpyKernel:
    """numpy_emitter.emit(fn), from the disk cache where it holds a trusted entry."""
    path, first_line = location(fn)
    text = disk_cache.read(path, first_line)
    if text is not None:
        try:
            return _load(text, fn)
        except Exception:  # a whole entry that no longer loads (a module moved): rebuild it
            pass
    kernel = numpy_emitter.emit(fn)
    text = entry(first_line, kernel, fn)
    if text is not None:
        disk_cache.write(path, text)
    return kernel
