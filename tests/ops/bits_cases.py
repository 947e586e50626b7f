"""Op cases for bit counting and packing: numpy's bitwise_count, packbits and unpackbits,
in every integer dtype (uint8 for unpackbits, the only one numpy takes)."""

import numpy as np

from ops.cases import BOOL, INTS, OTHER_INTS, OpCase

PACKED = (((2, 11),), ((3, 8),), ((1, 1),), ((2, 0),))


def packbits_forms(x):
    """Flattened, along the last axis little-endian, and down the first axis."""
    return (
        np.packbits(x),
        np.packbits(x, axis=-1, bitorder="little"),
        np.packbits(x, axis=0),
    )


def unpackbits_forms(x):
    """Flattened, and along each axis with counts that pad, trim and drop from the end."""
    return (
        np.unpackbits(x),
        np.unpackbits(x, axis=-1, count=5, bitorder="little"),
        np.unpackbits(x, axis=0, count=-3),
        np.unpackbits(x, axis=1, count=30),
    )


# fmt: off
CASES = [
    OpCase(name="bitwise_count", fn=np.bitwise_count, primitive=("right_shift", "bitwise_and", "multiply"), domain="int", dtypes=OTHER_INTS + INTS + BOOL, shapes=(((2, 3),), ((),), ((0, 3),), ((5,),))),
    OpCase(name="packbits", fn=packbits_forms, primitive=("left_shift", "sum", "concatenate"), domain="int", dtypes=("uint8", "int64", "bool", "int8", "uint64"), shapes=PACKED),
    OpCase(name="unpackbits", fn=unpackbits_forms, primitive=("right_shift", "bitwise_and"), domain="int", dtypes=("uint8",), shapes=(((2, 3),), ((1, 5),), ((3, 1),))),
]
# fmt: on
