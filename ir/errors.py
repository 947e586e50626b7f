"""Errors raised by IR shape rules; jitlib's user-facing errors subclass these."""


class IRError(Exception):
    """Base of every error the IR raises."""


class ShapeError(IRError, ValueError):
    """Shapes or dtypes that an op does not accept; the message names them. A ValueError,
    as numpy's own shape errors are."""


class DTypeError(ShapeError, TypeError):
    """Dtypes an op does not take (ldexp of a uint64 exponent): a TypeError too, as numpy's
    UFuncTypeError is."""


class UnsupportedError(IRError):
    """An op, dtype or argument the IR cannot express."""


class CheckFailed(IRError, ValueError):
    """A `check` of values found what numpy raises for (a histogram range that is not
    finite), at run time."""
