"""Pickling jitted and transformed functions, so that multiprocessing and dask can ship
them to other processes.

A function is pickled by name where its module holds this very object (`@jl.jit def f` at
module level): the other process imports it. Otherwise it is pickled by value, as the call
that made it (`jl.jit(fn, ...)`, `jl.grad(f, argnums=...)`), and `fn` is pickled by the
pickler: by name when importable, by value under cloudpickle (lambdas, closures, and the
functions of a script's __main__, which another machine cannot import). Compiled code is
never pickled: a copy starts with an empty cache, and reuses JITLIB_CACHE_DIR's entries.

>>> import pickle, jitlib as jl
>>> f = pickle.loads(pickle.dumps(jl.jit(abs)))
>>> f(-2.0), f.cache_info().misses
(array(2.), 1)
"""

import sys


def _by_name(obj) -> str | None:
    """obj's qualified name where its module holds this very object, else None."""
    qualname = getattr(obj, "__qualname__", None)
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    if module is None or not qualname or "<locals>" in qualname:
        return None
    found = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return qualname if found is obj else None


def _cloudpickle_on_stack() -> bool:
    """Whether cloudpickle is the pickler: its Pickler.dump is Python code below us."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("cloudpickle"):
            return True
        frame = frame.f_back
    return False


def reduce(obj, rebuild, args: tuple):
    """What obj.__reduce__ returns: its name when pickle can import it (and, for a script's
    __main__, only under plain pickle: multiprocessing's spawn runs the script again, a
    dask worker does not), else `rebuild(*args)`."""
    name = _by_name(obj)
    if name is not None and not (obj.__module__ == "__main__" and _cloudpickle_on_stack()):
        return name
    return rebuild, args


def call(make, args: tuple, kwargs: dict):
    """Unpickling: make(*args, **kwargs), the call that made the pickled function."""
    return make(*args, **kwargs)
