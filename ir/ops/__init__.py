"""The op table: every primitive, one record each, gathered from the family modules."""

from ir.ops import (
    check,
    control,
    creation,
    cumulative,
    custom,
    elementwise,
    elementwise_more,
    indexing,
    layout,
    linalg,
    linalg_decomp,
    linalg_solve,
    reduction,
    scan,
    sorting,
    special,
    stop_gradient,
)
from ir.ops.creation import Literal
from ir.ops.table import Op

FAMILIES = (
    elementwise,
    elementwise_more,
    reduction,
    cumulative,
    layout,
    indexing,
    linalg,
    linalg_decomp,
    linalg_solve,
    creation,
    custom,
    control,
    check,
    scan,
    sorting,
    special,
    stop_gradient,
)

OPS: dict[str, Op] = {op.name: op for family in FAMILIES for op in family.OPS}
assert len(OPS) == sum(len(family.OPS) for family in FAMILIES), "two ops share a name"

__all__ = ["FAMILIES", "OPS", "Literal", "Op"]
