"""Argsort on the device: what the `argsort` primitive (np.sort, np.argsort, partition,
lexsort) becomes on the Triton backend.

The sorted axis is moved last and the array seen as rows; a row that fits one block
(n <= MAX_BLOCK) is sorted inside one program with `tl.sort` on packed 64-bit keys: the
high 32 bits are the value mapped to an unsigned integer in the same order, the low 32
bits its column. Sorting the packed keys sorts by value and breaks ties by column, which
is numpy's stable order. The map puts every NaN last (numpy's order) and -0.0 with 0.0
(equal in numpy's order, so their columns decide). 64-bit values leave no room for the
column, and longer rows do not fit a block: those run numpy's (CuPy's, on a GPU) stable
argsort instead.
"""

import triton
import triton.language as tl

from codegen import triton_runtime as rt

MAX_BLOCK = 4096  # the longest row sorted in one program
# values whose order an int32 or float32 keeps: they fit 32 bits of a key
PACKED = ("bool", "int8", "int16", "int32", "uint8", "uint16", "float16", "float32")
ROW_ELEMENTS = 1024  # keys per program, several short rows sharing one program


def packs(dtype: str, n: int) -> bool:
    """Whether rows of n values of `dtype` are sorted by the kernel."""
    return dtype in PACKED and n <= MAX_BLOCK


@triton.jit
def _order_key(x, IS_FLOAT: tl.constexpr):
    """x (int32 or float32) as a uint32 in the same order: a float's bits with the sign
    bit set for non-negatives and every bit flipped for negatives (so more negative is
    smaller); -0.0 first made 0.0, and NaN made the largest key. An int's sign bit
    flipped."""
    if IS_FLOAT:
        x = tl.where(x == 0.0, 0.0, x)  # -0.0 == 0.0 in numpy's order
        bits = x.to(tl.uint32, bitcast=True)
        negative = (bits >> 31) == 1
        key = tl.where(negative, ~bits, bits | 0x80000000)
        key = tl.where(x != x, 0xFFFFFFFF, key)
    else:
        key = x.to(tl.uint32, bitcast=True) ^ 0x80000000
    return key


@triton.jit
def argsort_rows(
    x_ptr,
    out_ptr,
    rows,
    n,
    IS_FLOAT: tl.constexpr,
    ROWS: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """out[r] = the stable argsort of row r of x (rows x n, C-contiguous), ROWS rows per
    program. Padding columns get the largest key and columns past n, so they sort after
    every real entry (NaNs included) and are not stored."""
    row = tl.program_id(0).to(tl.int64) * ROWS + tl.arange(0, ROWS)
    cols = tl.arange(0, BLOCK)
    valid = (row[:, None] < rows) & (cols[None, :] < n)
    offsets = row[:, None] * n + cols[None, :]
    x = tl.load(x_ptr + offsets, mask=valid, other=0)
    x = x.to(tl.float32) if IS_FLOAT else x.to(tl.int32)
    key = tl.where(valid, _order_key(x, IS_FLOAT), 0xFFFFFFFF)
    packed = (key.to(tl.uint64) << 32) | cols[None, :].to(tl.uint64)
    packed = tl.sort(packed, dim=1)
    order = (packed & 0xFFFFFFFF).to(tl.int64)
    tl.store(out_ptr + offsets, order, mask=valid)


def launch(x, axis: int):
    """The stable argsort of the device array x along `axis` (int64, C-contiguous)."""
    xp = rt.module()
    n = int(x.shape[axis]) if x.ndim else 1
    dtype = str(x.dtype)
    if x.ndim == 0 or x.size == 0 or not packs(dtype, n):
        return rt.contiguous(xp.argsort(x, axis=axis, kind="stable"))
    rows_first = rt.contiguous(xp.moveaxis(x, axis, -1))
    rows = x.size // n
    out = rt.empty(rows_first.shape, "int64")
    block = rt.pow2(n)
    per_program = max(1, min(ROW_ELEMENTS // block, rt.pow2(rows)))
    argsort_rows[(rt.cdiv(rows, per_program),)](
        rt.ptr(rows_first),
        rt.ptr(out),
        rows,
        n,
        IS_FLOAT=dtype.startswith("float"),
        ROWS=per_program,
        BLOCK=block,
    )
    return rt.contiguous(xp.moveaxis(out, -1, axis))


def handles(eqn) -> bool:
    """Whether the equation is an argsort, which runs here rather than on the host."""
    return "sort" in eqn.op.tags
