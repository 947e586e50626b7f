"""scipy's array-API functions on traced arrays. scipy.special.logsumexp, softmax and
log_softmax are Python functions that first ask `array_namespace(*arrays)` which array library
to use; unless SCIPY_ARRAY_API=1 was set when scipy was imported, that answers numpy for any
input, and numpy's asarray then asks a traced array for its value. So each root trace has
the name `array_namespace` in the modules below answer traced arrays with their own namespace
(Tracer.__array_namespace__, jitlib.numpy.array_api) and pass every other call to scipy's, and
scipy's own code runs on the tracers. scipy is never imported here: a module is wrapped once
the user has imported it, and the wrapper changes nothing for calls without traced arrays.
"""

import functools
import sys
import threading

from jitlib.tracer import Tracer

# scipy modules whose functions jitlib traces, and those of the helpers they call that ask
# for the namespace of an array themselves (array_api_extra's `at`, for x[mask] = value)
SCIPY_MODULES = ("scipy.special._logsumexp", "scipy._lib.array_api_extra._lib._at")

_install_lock = threading.Lock()


def _first_traced(arrays) -> Tracer | None:
    for x in arrays:
        found = _first_traced(x) if isinstance(x, list | tuple) else x
        if isinstance(found, Tracer):
            return found
    return None


def _answering_traced(scipy_array_namespace):
    """scipy's array_namespace, answering jitlib's namespace where an argument is traced."""

    @functools.wraps(scipy_array_namespace)
    def array_namespace(*arrays):
        traced = _first_traced(arrays)
        if traced is not None:
            return traced.__array_namespace__()
        return scipy_array_namespace(*arrays)

    array_namespace.answers_traced = True
    return array_namespace


def install() -> None:
    """Wrap `array_namespace` in each of SCIPY_MODULES the user has imported (once; a
    reloaded module is wrapped again). Called as a root trace starts; thread-safe."""
    for name in SCIPY_MODULES:
        asks = getattr(sys.modules.get(name), "array_namespace", None)
        if asks is None or getattr(asks, "answers_traced", False):
            continue
        module = sys.modules[name]
        with _install_lock:
            if not getattr(module.array_namespace, "answers_traced", False):
                module.array_namespace = _answering_traced(module.array_namespace)
