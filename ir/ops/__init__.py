"""The op table: every primitive, one record each, gathered from the family modules."""

from ir.ops import (
    control,
    creation,
    cumulative,
    custom,
    elementwise,
    indexing,
    layout,
    linalg,
    reduction,
    scan,
)
from ir.ops.creation import Literal
from ir.ops.table import Op

FAMILIES = (
    elementwise,
    reduction,
    cumulative,
    layout,
    indexing,
    linalg,
    creation,
    custom,
    control,
    scan,
)

OPS: dict[str, Op] = {op.name: op for family in FAMILIES for op in family.OPS}
assert len(OPS) == sum(len(family.OPS) for family in FAMILIES), "two ops share a name"

__all__ = ["FAMILIES", "OPS", "Literal", "Op"]
