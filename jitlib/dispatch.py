"""The tables from numpy callables to their jitlib implementations: HANDLED for numpy's
NEP 13/18 dispatch, OPERATORS for Python's operators on traced arrays."""

import sys
from collections.abc import Callable

HANDLED: dict[Callable, Callable] = {}
# ufunc -> its jitlib version as an operator applies it (x * y, -x): Python scalars alone
# give a weak result (2.0 * 3.0 is a Python float; np.multiply(2.0, 3.0) a float64)
OPERATORS: dict[Callable, Callable] = {}
# callables of optional libraries, by module and name ("scipy.special" -> "erf" -> fn), so
# that jitlib never imports them: `lookup` finds them once the user has
BY_NAME: dict[str, dict[str, Callable]] = {}


def lookup(numpy_function: Callable) -> Callable | None:
    """jitlib's version of a numpy (or optional library's) callable, or None."""
    found = HANDLED.get(numpy_function)
    if found is not None:
        return found
    name = getattr(numpy_function, "__name__", "")
    for module_name, table in BY_NAME.items():
        module = sys.modules.get(module_name)
        if name in table and getattr(module, name, None) is numpy_function:
            return table[name]
    return None


def implements(*numpy_functions: Callable):
    """Register the decorated function as jitlib's version of these numpy callables."""

    def register(fn: Callable) -> Callable:
        for numpy_fn in numpy_functions:
            HANDLED[numpy_fn] = fn
        return fn

    return register


def operator(*ufuncs: Callable):
    """Register the decorated function as what Python's operators apply for these ufuncs."""

    def register(fn: Callable) -> Callable:
        for ufunc in ufuncs:
            OPERATORS[ufunc] = fn
        return fn

    return register


def qualified_name(numpy_function: Callable) -> str:
    """How error messages name a callable: numpy.exp, or scipy.special.gamma."""
    name = getattr(numpy_function, "__name__", repr(numpy_function))
    for module_name in BY_NAME:
        if getattr(sys.modules.get(module_name), name, None) is numpy_function:
            return f"{module_name}.{name}"
    return f"numpy.{name}"
