"""jitlib's SSA IR: typed values, one op table, printer, verifier, interpreter and passes."""

from ir.core import Builder, Eqn, Function, Type, Value
from ir.errors import DTypeError, IRError, ShapeError
from ir.interpret import interpret
from ir.ops import OPS, Op
from ir.printer import as_text
from ir.verify import verify

__all__ = [
    "OPS",
    "Builder",
    "Eqn",
    "Function",
    "IRError",
    "Op",
    "DTypeError",
    "ShapeError",
    "Type",
    "Value",
    "as_text",
    "interpret",
    "verify",
]
