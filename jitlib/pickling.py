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

import collections
import sys
import threading
import uuid

# token -> the function unpickled in this process for it: every task of a dask graph that
# holds the same function finds one object, and the plans and code it compiled. Held (not
# weakly: a worker drops each task's copy between tasks), the least recently used dropped
# beyond KEPT.
_UNPICKLED: collections.OrderedDict = collections.OrderedDict()
_LOCK = threading.Lock()
KEPT = 256


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


def reduce(obj, make, args: tuple, kwargs: dict):
    """What obj.__reduce__ returns: its name when pickle can import it (and, for a script's
    __main__, only under plain pickle: multiprocessing's spawn runs the script again, a
    dask worker does not), else the call make(*args, **kwargs), tagged with obj's token."""
    name = _by_name(obj)
    if name is not None and not (obj.__module__ == "__main__" and _cloudpickle_on_stack()):
        return name
    token = obj.__dict__.get("_pickle_token")
    if token is None:
        token = obj.__dict__.setdefault("_pickle_token", uuid.uuid4().hex)
    return call, (token, make, args, kwargs)


def call(token: str, make, args: tuple, kwargs: dict):
    """Unpickling: the function this process already unpickled for `token`, else
    make(*args, **kwargs), the call that made the pickled function."""
    with _LOCK:
        found = _UNPICKLED.get(token)
        if found is None:
            found = make(*args, **kwargs)
            found._pickle_token = token
            _UNPICKLED[token] = found
            if len(_UNPICKLED) > KEPT:
                _UNPICKLED.popitem(last=False)
        _UNPICKLED.move_to_end(token)
        return found
