"""Errors raised by IR shape rules; jitlib's user-facing errors subclass these."""


class IRError(Exception):
    """Base of every error the IR raises."""


class ShapeError(IRError):
    """Shapes or dtypes that an op does not accept; the message names them."""


class UnsupportedError(IRError):
    """An op, dtype or argument the IR cannot express."""
