"""The tables from numpy callables to their jitlib implementations: HANDLED for numpy's
NEP 13/18 dispatch, OPERATORS for Python's operators on traced arrays."""

from collections.abc import Callable

HANDLED: dict[Callable, Callable] = {}
# ufunc -> its jitlib version as an operator applies it (x * y, -x): Python scalars alone
# give a weak result (2.0 * 3.0 is a Python float; np.multiply(2.0, 3.0) a float64)
OPERATORS: dict[Callable, Callable] = {}


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
