"""The table from numpy callables to their jitlib implementations (NEP 13/18 dispatch)."""

from collections.abc import Callable

HANDLED: dict[Callable, Callable] = {}


def implements(*numpy_functions: Callable):
    """Register the decorated function as jitlib's version of these numpy callables."""

    def register(fn: Callable) -> Callable:
        for numpy_fn in numpy_functions:
            HANDLED[numpy_fn] = fn
        return fn

    return register
