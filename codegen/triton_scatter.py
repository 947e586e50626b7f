"""Scatters on the device: what writes through integer-array indices (`y[i] = v`,
`np.add.at`, `np.multiply.at`, ...) and the gradients of gathers become on the Triton backend.

The launcher copies x into the result (or takes x itself, when nothing reads it
afterwards), then one program per block of updates computes each update's place along the
scattered axis, x seen as (outer, n, inner), and combines it there: `tl.atomic_add`,
`tl.atomic_max` or `tl.atomic_min`, a compare-and-swap loop for a product (there is no
atomic multiply), or a store for a plain write. A plain write keeps numpy's order among
repeated indices (the last write stays): a first kernel finds, per position, the last
update aimed at it (an atomic max of update numbers), and only that update stores. Indices
out of range set an error flag, raised after the call as numpy's IndexError.
"""

import triton
import triton.language as tl

from codegen import triton_runtime as rt

SET, ADD, MAXIMUM, MINIMUM, MULTIPLY = 0, 1, 2, 3, 4
MODES = {("scatter", None): SET, ("scatter_add", None): ADD}
MODES |= {("scatter_reduce", "maximum"): MAXIMUM, ("scatter_reduce", "minimum"): MINIMUM}
MODES |= {("scatter_reduce", "multiply"): MULTIPLY}
DTYPES = ("int32", "int64", "float32", "float64")  # what the atomics take everywhere
BITS = {"int32": "int32", "int64": "int64", "float32": "int32", "float64": "int64"}
BLOCK = 1024


def mode_of(eqn) -> int | None:
    """The device form of a scatter equation, or None where it runs on the host."""
    mode = MODES.get((eqn.op.name, eqn.params.get("combine")))
    return mode if mode is not None and eqn.out.type.dtype in DTYPES else None


@triton.jit
def _place(indices_ptr, k, n, valid):
    """The position along the axis of update number k: numpy's negative indices counted
    from the end; `ok` says it lies inside the axis."""
    at = tl.load(indices_ptr + k, mask=valid, other=0).to(tl.int64)
    at = tl.where(at < 0, at + n, at)
    return at, valid & (at >= 0) & (at < n)


@triton.jit
def _update(e, valid, indices_ptr, updates_ptr, err_ptr, count, n, inner):
    """Update e (of outer * count * inner, in order): its value, its element's offset in the
    result, and whether that lies inside it (an index out of range sets the error flag)."""
    o = e // (count * inner)
    k = (e // inner) % count
    i = e % inner
    at, ok = _place(indices_ptr, k, n, valid)
    bad = tl.max((valid & ~ok).to(tl.int32), axis=0)
    tl.atomic_max(err_ptr, bad)
    return tl.load(updates_ptr + e, mask=valid), (o * n + at) * inner + i, k, at, ok


@triton.jit
def last_writers(indices_ptr, winners_ptr, err_ptr, count, n, BLOCK: tl.constexpr):
    """winners[i] = the number of the last update aimed at position i."""
    k = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    valid = k < count
    at, ok = _place(indices_ptr, k, n, valid)
    tl.atomic_max(winners_ptr + at, k.to(tl.int64), mask=ok)
    bad = tl.max((valid & ~ok).to(tl.int32), axis=0)
    tl.atomic_max(err_ptr, bad)


@triton.jit
def scatter(
    out_ptr,
    indices_ptr,
    updates_ptr,
    winners_ptr,
    err_ptr,
    numel,
    count,
    n,
    inner,
    MODE: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """Update e goes to out[o, indices[k], i], combined as MODE says."""
    e = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    valid = e < numel
    update, offset, k, at, ok = _update(
        e, valid, indices_ptr, updates_ptr, err_ptr, count, n, inner
    )
    target = out_ptr + offset
    if MODE == 0:
        last = tl.load(winners_ptr + at, mask=ok, other=-1)
        tl.store(target, update, mask=ok & (last == k))
    elif MODE == 1:
        tl.atomic_add(target, update, mask=ok)
    elif MODE == 2:
        tl.atomic_max(target, update, mask=ok)
    else:
        tl.atomic_min(target, update, mask=ok)


@triton.jit
def scatter_multiply(
    bits_ptr,
    indices_ptr,
    updates_ptr,
    spare_ptr,
    err_ptr,
    numel,
    count,
    n,
    inner,
    BLOCK: tl.constexpr,
):
    """out[o, indices[k], i] *= update e, on the result's bits seen as integers: each lane
    swaps in its product where the element still holds the bits it multiplied, and tries
    again where another update came first. The swap takes no mask: lanes that are done, or
    out of range, swap on a spare word instead."""
    e = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    valid = e < numel
    update, offset, k, at, ok = _update(
        e, valid, indices_ptr, updates_ptr, err_ptr, count, n, inner
    )
    target = bits_ptr + offset
    seen = tl.load(target, mask=ok, other=0)
    done = ~ok
    while tl.max((~done).to(tl.int32), axis=0) > 0:
        old = seen
        product = (old.to(update.dtype, bitcast=True) * update).to(old.dtype, bitcast=True)
        seen = tl.atomic_cas(tl.where(done, spare_ptr, target), old, product)
        done = done | (seen == old)


def launch(x, indices, updates, axis: int, mode: int, into: bool, source: str | None = None):
    """The scatter of `updates` along `axis` (device arrays) into x itself (`into`: x is a
    buffer of the call that nothing reads afterwards) or into a copy of x; `source`, the
    user's line it came from, goes into the IndexError for an index out of range."""
    out = x if into else rt.copy(x)
    shape = tuple(out.shape)
    n, count = shape[axis], int(indices.size)
    outer, inner = _product(shape[:axis]), _product(shape[axis + 1 :])
    numel = outer * count * inner
    if numel == 0:
        return out
    indices = rt.contiguous(indices.reshape(-1))
    updates = rt.contiguous(updates)
    err = rt.flag()
    winners = rt.full((max(n, 1),), -1, "int64") if mode == SET else err
    blocks = (rt.cdiv(numel, BLOCK),)
    if mode == SET:
        last_writers[(rt.cdiv(count, BLOCK),)](
            rt.ptr(indices), rt.ptr(winners), rt.ptr(err), count, n, BLOCK=BLOCK
        )
    if mode == MULTIPLY:
        bits = BITS[str(out.dtype)]
        scatter_multiply[blocks](
            rt.ptr(out.view(bits)),
            rt.ptr(indices),
            rt.ptr(updates),
            rt.ptr(rt.zeros((1,), bits)),
            rt.ptr(err),
            numel,
            count,
            n,
            inner,
            BLOCK=BLOCK,
        )
    else:
        scatter[blocks](
            rt.ptr(out),
            rt.ptr(indices),
            rt.ptr(updates),
            rt.ptr(winners),
            rt.ptr(err),
            numel,
            count,
            n,
            inner,
            MODE=mode,
            BLOCK=BLOCK,
        )
    where = f" at {source}" if source else ""
    rt.raise_if(err, f"index out of bounds in an integer-array write (scatter){where}")
    return out


def _product(dims) -> int:
    total = 1
    for d in dims:
        total *= int(d)
    return total
