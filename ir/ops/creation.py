"""Ops with no array inputs: constants, iota (arange) and the value of a symbolic dim."""

import hashlib

import numpy as np

from ir import dtypes, shapes
from ir.core import Type
from ir.ops.table import Op


class Literal:
    """A constant array as a hashable op param (hashed and compared by dtype, shape, bytes)."""

    __slots__ = ("array", "_digest")

    def __init__(self, array: np.ndarray):
        self.array = np.array(array)  # a private copy the user cannot mutate later
        self.array.flags.writeable = False
        data = self.array.dtype.str.encode() + str(self.array.shape).encode()
        self._digest = hashlib.sha1(data + self.array.tobytes()).hexdigest()[:10]

    def __hash__(self) -> int:
        return hash(self._digest)

    def __eq__(self, other) -> bool:
        return isinstance(other, Literal) and self._digest == other._digest

    def __repr__(self) -> str:
        if self.array.size <= 4:
            return np.array2string(self.array, separator=",").replace("\n", "")
        return f"<{self.array.dtype}{list(self.array.shape)} #{self._digest}>"


def _constant_shape(*, value, dtype: str) -> Type:
    shape = value.array.shape if isinstance(value, Literal) else ()
    return Type(dtypes.canonical(dtype), shape)


def constant(*, value, dtype: str):
    """The constant as an array of its IR dtype."""
    array = value.array if isinstance(value, Literal) else value
    return np.asarray(array, dtype=dtype)


def _iota_shape(*, length, dtype: str) -> Type:
    return Type(dtypes.canonical(dtype), (shapes.canon(length),))


def iota(*, length, dtype: str):
    """0, 1, ..., length - 1."""
    return np.arange(length, dtype=dtype)


def _dim_shape(*, size) -> Type:
    return Type("int64", ())


def dim(*, size):
    """A symbolic size as an int64 scalar (for mean, var, and shape arithmetic in values)."""
    return np.int64(size)


# No jvp, vjp or batch rules: these ops take no array inputs, so nothing can be batched or
# differentiated through them and no pass ever asks for a rule (their values are never
# batched, and their tangents and cotangents are always zero).
OPS = [
    Op(
        name="constant",
        shape=_constant_shape,
        impl=constant,
        triton="index",
        tags=frozenset({"constant"}),
    ),
    Op(name="iota", shape=_iota_shape, impl=iota, triton="index"),
    Op(name="dim", shape=_dim_shape, impl=dim, triton="index"),
]
