"""Shape signatures, guards and the per-function cache of compiled entries.

The hit path is plain Python over ints: the key is built from dtypes and dims, with each
dim of size >= 2 replaced by its equality class (symbol s<k> is class k); guards are
compiled once to a Python function of the class sizes.
"""

import math
import threading
from collections import namedtuple

import numpy as np

from codegen import PARSE_LOCK
from ir import shapes
from jitlib.errors import ArgumentError, JitError, UnsupportedError

CacheInfo = namedtuple("CacheInfo", "hits misses entries")

_SCALAR_KINDS = {bool: "weak_bool", int: "weak_int64", float: "weak_float64"}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _gpu_array(leaf) -> bool:
    """A GPU array with a numpy dtype (CuPy's, JAX's): keyed like a numpy array of its shape,
    since the Triton backend takes it where it lies."""
    # asked of the type: on an instance the attribute is a property that builds a dict
    return hasattr(type(leaf), "__cuda_array_interface__") and isinstance(
        getattr(leaf, "dtype", None), np.dtype
    )


def square_sizes(leaves: list) -> set:
    """Sizes some array has on its leading axis and on another axis too (a square input).
    The trace gives the leading axes of such a size's arrays of 2 or more dims, the rows the
    numpy backend blocks over, a symbol of their own, apart from its other axes and vectors
    (a bias or a scale over the columns), with a guard wherever the trace needs them equal.
    The signature keeps one class per size: every call it matches has them equal."""
    found = set()
    for leaf in leaves:
        dims = getattr(leaf, "shape", ())
        if len(dims) >= 2 and dims[0] > 1 and dims[0] in dims[1:]:
            found.add(dims[0])
    return found


def signature(leaves: list, dynamic: bool) -> tuple:
    """(key, sizes): the shape signature of the leaves and the size of each symbol class
    (equal sizes share a class; DESIGN.md section 2). Python scalars are passed on as they
    are: weak, as numpy treats them."""
    classes: dict = {}
    key = []
    for index, leaf in enumerate(leaves):
        kind = type(leaf)
        on_gpu = kind is not np.ndarray and not isinstance(leaf, np.generic) and _gpu_array(leaf)
        if kind is np.ndarray or isinstance(leaf, np.generic) or on_gpu:
            dims = leaf.shape
            if dynamic:
                dims = tuple(
                    [d if d < 2 else classes.setdefault(d, -2 - len(classes)) for d in dims]
                )
            # a GPU array keys apart: the numpy backend refuses it when it compiles
            key.append((leaf.dtype, dims, "gpu") if on_gpu else (leaf.dtype, dims))
        elif kind in _SCALAR_KINDS:
            if kind is int and not _INT64_MIN <= leaf <= _INT64_MAX:
                raise ArgumentError(f"argument leaf {index}: Python int {leaf} does not fit int64")
            key.append((_SCALAR_KINDS[kind], ()))
        else:
            raise _not_an_argument(index, leaf)
    return tuple(key), list(classes)


def _not_an_argument(index: int, leaf) -> JitError:
    """The error for an argument leaf that is neither an array nor a Python number."""
    name = type(leaf).__name__
    if isinstance(leaf, complex):
        return UnsupportedError(f"argument leaf {index}: complex numbers are not supported")
    if isinstance(leaf, np.ndarray):  # np.matrix, np.ma.MaskedArray: semantics of their own
        return ArgumentError(
            f"argument leaf {index} is a {name}, a subclass of numpy.ndarray; jit takes plain "
            "arrays: pass np.asarray(...) of it"
        )
    return ArgumentError(
        f"argument leaf {index} is of type {name}, which is neither an array nor a number; "
        "pass it as a static argument (static_argnums/static_argnames)"
    )


def compile_guards(guards: list, symbols: list):
    """A Python function of the symbol sizes that is True where every guard holds."""
    if not guards:
        return None
    names = ", ".join(str(s) for s in symbols)
    body = " and ".join(f"({shapes.to_python(g)})" for g in guards)
    namespace: dict = {"math": math}
    with PARSE_LOCK:
        exec(f"def guard({names}):\n    return bool({body})\n", namespace)
    return namespace["guard"]


class Entry:
    """One compiled specialisation: its guard, its kernel and its output structure."""

    __slots__ = ("guard", "run", "out_tree", "written")

    def __init__(self, guard, run, out_tree, written=()):
        self.guard = guard
        self.run = run
        self.out_tree = out_tree
        self.written = written  # what the call writes back (api.Writes; its values come last)


class Cache:
    """Signature -> list of entries (several when guards split one signature)."""

    def __init__(self) -> None:
        self.entries: dict = {}
        self.hits = 0
        self.misses = 0
        self.lock = threading.Lock()

    def lookup(self, key, sizes: list):
        for entry in self.entries.get(key, ()):
            if entry.guard is None or entry.guard(*sizes):
                self.hits += 1
                return entry
        return None

    def add(self, key, entry: Entry) -> None:
        self.misses += 1
        self.entries.setdefault(key, []).append(entry)

    def info(self) -> CacheInfo:
        return CacheInfo(self.hits, self.misses, sum(len(v) for v in self.entries.values()))
