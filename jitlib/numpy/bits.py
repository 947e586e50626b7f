"""Bit counting and bit packing: numpy's bitwise_count, packbits and unpackbits, as
composites of shifts, masks and sums in the unsigned integer dtypes."""

import numpy as np

from ir import dtypes
from jitlib.numpy._core import as_tracer, astype, function, promote, trace_of
from jitlib.numpy.creation import zeros
from jitlib.numpy.elementwise_more import _refuse_ufunc_keywords

# the 64-bit masks of the classic SWAR population count (Hacker's Delight, 5-1)
_ODD_BITS = 0x5555555555555555
_BIT_PAIRS = 0x3333333333333333
_NIBBLES = 0x0F0F0F0F0F0F0F0F
_BYTE_SUM = 0x0101010101010101


@function(np.bitwise_count)
def bitwise_count(x, out=None, where=True, **kwargs):
    """The number of 1 bits in |x|, as uint8 (numpy's result dtype for every input).

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(np.bitwise_count)(np.array([0, 7, -8, 255], dtype=np.int16))
    array([0, 3, 1, 8], dtype=uint8)
    """
    _refuse_ufunc_keywords("bitwise_count", out, where, kwargs)
    _, (x,), _ = promote(x)
    dtype = x.value.type.dtype
    if dtype == "bool":
        return astype(x, "uint8")
    if not dtypes.is_int(dtype):
        raise TypeError(
            f"ufunc 'bitwise_count' not supported for the input type {dtype} "
            "(integers and bools only)"
        )
    if dtype not in dtypes.UNSIGNED:
        # |x| in the unsigned dtype of the same width: abs wraps the most negative value
        # to itself, whose bits are one 1 (numpy counts the same)
        x = astype(np.abs(x), "u" + dtype)
    v = astype(x, "uint64")
    v = v - ((v >> 1) & _ODD_BITS)
    v = (v & _BIT_PAIRS) + ((v >> 2) & _BIT_PAIRS)
    v = (v + (v >> 4)) & _NIBBLES
    return astype((v * _BYTE_SUM) >> 56, "uint8")


def _bit_weights(trace_, bitorder: str):
    """The weight of each of a byte's 8 bits, first bit first: 128 down to 1 for 'big'."""
    if bitorder not in ("big", "little"):
        raise ValueError("'order' must be either 'little' or 'big'")
    shifts = np.arange(8, dtype=np.uint8)
    return as_tracer(shifts[::-1].copy() if bitorder == "big" else shifts, trace_)


def _along_last(a, axis):
    """(a with `axis` moved last, or flattened when None; a function moving it back)."""
    if axis is None:
        return np.reshape(a, (-1,)), lambda r: r
    axis = axis % a.ndim if a.ndim else axis
    return np.moveaxis(a, axis, -1), lambda r: np.moveaxis(r, -1, axis)


@function(np.packbits)
def packbits(a, axis=None, bitorder="big"):
    """Each run of 8 elements along `axis` as one uint8, nonzero elements as 1 bits; the last
    byte is padded with 0 bits. `axis=None` packs the flattened array.

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(np.packbits)(np.array([1, 0, 1, 1, 0, 0, 0, 0, 1]))
    array([176, 128], dtype=uint8)
    """
    trace_ = trace_of(a)
    a = as_tracer(a, trace_)
    if a.value.type.dtype != "bool" and not dtypes.is_int(a.value.type.dtype):
        raise TypeError("Expected an input array of integer or boolean data type")
    weights = _bit_weights(trace_, bitorder)
    bits, back = _along_last(a != 0, axis)
    n = bits.shape[-1]
    lead = bits.shape[:-1]
    padding = zeros((*lead, (-n) % 8), dtype=bool)  # n + padding: the bytes' 8 * m bits
    grouped = np.reshape(np.concatenate([bits, padding], axis=-1), (*lead, (n + 7) // 8, 8))
    packed = np.sum(astype(grouped, "uint8") << weights, axis=-1, dtype=np.uint8)
    return back(packed)


@function(np.unpackbits)
def unpackbits(a, axis=None, count=None, bitorder="big"):
    """Each uint8 along `axis` as its 8 bits (0 or 1, uint8), first bit the most significant
    for 'big'. `count` keeps that many bits (padding with 0s past the end); a negative
    count drops bits from the end. `axis=None` unpacks the flattened array.

    >>> import numpy as np, jitlib as jl
    >>> jl.jit(np.unpackbits)(np.array([176, 128], dtype=np.uint8))
    array([1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=uint8)
    """
    trace_ = trace_of(a)
    a = as_tracer(a, trace_)
    if a.value.type.dtype != "uint8":
        raise TypeError("Expected an input array of unsigned byte data type")
    weights = _bit_weights(trace_, bitorder)
    bytes_, back = _along_last(a, axis)
    lead = bytes_.shape[:-1]
    bits = (bytes_[..., None] >> weights) & 1
    bits = np.reshape(bits, (*lead, bytes_.shape[-1] * 8))
    if count is not None:
        count = int(count)
        if count >= 0:  # the first `count` bits, with 0s after the last byte's
            padding = zeros((*lead, count), dtype=np.uint8)
            bits = np.concatenate([bits, padding], axis=-1)[..., :count]
        else:
            if -count > bits.shape[-1]:
                raise ValueError("-count larger than number of elements")
            bits = bits[..., :count]
    return back(bits)
