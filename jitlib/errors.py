"""The errors users see. Each names the user's source line, the op, and shapes/dtypes."""

import linecache
import os
import sys

import ir

_PACKAGES = tuple(
    os.path.dirname(os.path.dirname(os.path.abspath(module.__file__))) + os.sep + name + os.sep
    for module, name in ((ir, "ir"), (ir, "jitlib"), (ir, "codegen"))
)
_NUMPY = os.path.dirname(os.path.abspath(sys.modules["numpy"].__file__)) + os.sep


def user_location() -> str | None:
    """`file:line: code` of the innermost frame outside jitlib, ir, codegen and numpy."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGES) and not filename.startswith(_NUMPY):
            code = linecache.getline(filename, frame.f_lineno).strip()
            return f"{filename}:{frame.f_lineno}" + (f": {code}" if code else "")
        frame = frame.f_back
    return None


class JitError(Exception):
    """Base of every error jitlib raises for a user's problem."""

    def __init__(self, message: str, location: str | None = None):
        location = location if location is not None else user_location()
        super().__init__(f"{message}\n  at {location}" if location else message)


class ConcretizationError(JitError):
    """Python asked for the concrete value of a traced array (`if x.sum() > 0`, `float(x)`)."""


class ShapeMismatchError(JitError, ir.ShapeError):
    """Shapes that do not broadcast, align (matmul) or reshape; both shapes are named."""


class DTypeError(ShapeMismatchError, ir.DTypeError):
    """Dtypes a numpy function does not take (also a TypeError, as numpy's is)."""


class IndexOutOfBoundsError(ShapeMismatchError, IndexError):
    """An index outside the array (also an IndexError, as numpy's is)."""


class ValueCheckError(JitError, ValueError):
    """Values numpy raises for, found at run time (a histogram range from data holding inf
    or nan); also a ValueError, as numpy's is."""


class AliasingError(JitError):
    """A jitted function that writes to an argument was given arguments sharing memory."""


class UnsupportedError(JitError):
    """A numpy function, argument or dtype that jitlib does not support."""


class ArgumentError(JitError):
    """An argument of the jitted function that is neither an array nor static."""


class TransformError(JitError):
    """A transform applied to something it cannot transform: grad of a non-scalar output
    or w.r.t. an integer input, bad argnums, in_axes or out_axes, mismatched batch sizes."""


class ControlFlowError(JitError):
    """jl.cond, jl.fori_loop, jl.while_loop or jl.scan used with functions or values that do
    not fit: branches of different types, a loop body that changes its carry's type, a
    predicate that is not a scalar; the message names the user's function and the types."""
