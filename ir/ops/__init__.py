"""The op table: every primitive, one record each, gathered from the family modules."""

from ir.ops import creation, cumulative, elementwise, indexing, layout, linalg, reduction
from ir.ops.creation import Literal
from ir.ops.table import Op

OPS: dict[str, Op] = {
    op.name: op
    for family in (elementwise, reduction, cumulative, layout, indexing, linalg, creation)
    for op in family.OPS
}
assert len(OPS) == sum(
    len(f.OPS) for f in (elementwise, reduction, cumulative, layout, indexing, linalg, creation)
)

__all__ = ["OPS", "Literal", "Op"]
