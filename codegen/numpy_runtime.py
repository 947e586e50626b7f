"""What generated numpy code calls while it runs: a thread pool that runs row blocks on
every core, scratch pools that live across calls, and a caching allocator for results.

Why own the memory: on Linux, glibc hands every array of more than a few hundred KB fresh
pages from mmap, and the kernel faults each page in on first touch. A call that makes its
temporaries and results afresh pays those faults on every call; a pool pays them once.

- `run_blocks` splits the blocks of rows into one contiguous share per thread. Each block is
  computed exactly as on one thread (the block boundaries do not depend on the thread count),
  so results are bit-identical whatever the number of threads.
- `Pools` keeps the scratch dicts of one generated function. A call takes one out and gives it
  back, so concurrent and re-entrant calls never share a buffer.
- `empty` gives results from pooled blocks. A block is free again once no array views it: its
  reference count is back to the pool's own (numpy's views keep the owning array as `.base`).
  Free blocks idle for `IDLE_SECONDS` are dropped, and the pool never holds more than
  `POOL_BYTES` of free memory.

`JITLIB_NUM_THREADS` sets the thread count (default: the cores this process may run on).
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# --- threads ------------------------------------------------------------------------------


def thread_count() -> int:
    """JITLIB_NUM_THREADS, else the cores this process may run on."""
    text = os.environ.get("JITLIB_NUM_THREADS", "").strip()
    if text:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(
                f"JITLIB_NUM_THREADS must be a positive integer, not {text!r}"
            ) from None
        if value < 1:
            raise ValueError(f"JITLIB_NUM_THREADS must be a positive integer, not {text!r}")
        return value
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _l2_bytes() -> int:
    """The per-core L2 cache, from sysfs; 1 MB where it cannot be read."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for index in sorted(os.listdir(base)):
            with open(f"{base}/{index}/level") as f:
                level = f.read().strip()
            with open(f"{base}/{index}/type") as f:
                kind = f.read().strip()
            if level == "2" and kind in ("Unified", "Data"):
                with open(f"{base}/{index}/size") as f:
                    text = f.read().strip()
                scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1], 1)
                return int(text.rstrip("KM")) * scale
    except (OSError, ValueError):
        pass
    return 1 << 20


L2_BYTES = _l2_bytes()
# a block's working set (its rows of every input, temporary and result): 4x the per-core L2.
# Its temporaries, the data read more than once, then fit in L2, while the rows streamed in
# and out pass through; a block of one L2 made 4-5x as many blocks, and their Python cost
# (about 1.5 us per numpy call) made softmax, layernorm and Adam 1.7-2x slower at the bench's
# default sizes on the 2-core VM this was tuned on (JITLIB_BLOCK_BYTES overrides it)
BLOCK_BYTES = int(os.environ.get("JITLIB_BLOCK_BYTES", "0") or 0) or 4 * L2_BYTES
# below this many bytes of work a call stays on the calling thread: on the 2-core VM this was
# tuned on, a second thread gained nothing below about 16 MB (python -m benchmarks.threads;
# memory-bound updates like Adam gain little at any size, the two cores share the bandwidth)
MIN_PARALLEL_BYTES = 16 << 20
# a call whose working set is smaller runs as one block on numpy's own allocations: the
# pools' bookkeeping would cost more than the few page faults it saves
SMALL_BYTES = 1 << 20

_executor: ThreadPoolExecutor | None = None
_executor_threads = 0
_executor_lock = threading.Lock()
_in_worker = threading.local()


def _pool(threads: int) -> ThreadPoolExecutor:
    global _executor, _executor_threads
    with _executor_lock:
        if _executor is None or _executor_threads < threads:
            if _executor is not None:
                _executor.shutdown(wait=False)
            _executor = ThreadPoolExecutor(threads, thread_name_prefix="jitlib")
            _executor_threads = threads
        return _executor


def _after_fork_in_child() -> None:
    """A forked child has none of its parent's threads: start a pool of its own when needed
    (submitting to the parent's would wait forever), and take fresh locks."""
    global _executor, _executor_threads, _executor_lock
    _executor, _executor_threads = None, 0
    _executor_lock = threading.Lock()
    ALLOCATOR.lock = threading.Lock()
    ALLOCATOR.trimmer = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def block_rows(rows: int, row_bytes: int) -> int:
    """Rows per block: as many as keep one block's working set within BLOCK_BYTES."""
    return max(1, min(rows, BLOCK_BYTES // max(1, row_bytes)))


def run_blocks(run, rows: int, block: int, pools: Pools, work_bytes: int, blas=False) -> None:
    """Call `run(start, stop, pool)` for each block of rows; blocks go to threads in
    contiguous shares when there is enough work. A block that calls BLAS (`blas`: a matmul)
    stays on this thread: BLAS runs on every core already, and our threads calling it at
    once made per-example gradients 1.5x slower. The first error raised is re-raised."""
    starts = range(0, rows, block)
    threads = min(thread_count(), len(starts)) if len(starts) > 1 else 1
    if threads > 1 and (
        blas or work_bytes < MIN_PARALLEL_BYTES or getattr(_in_worker, "on", False)
    ):
        threads = 1

    def share(t: int) -> None:
        mine = starts[t * len(starts) // threads : (t + 1) * len(starts) // threads]
        pool = pools.take()
        try:
            for start in mine:
                run(start, min(start + block, rows), pool)
        finally:
            pools.give(pool)

    if threads == 1:
        share(0)
        return

    def worker(t: int) -> None:
        _in_worker.on = True
        try:
            share(t)
        finally:
            _in_worker.on = False

    futures = [_pool(threads).submit(worker, t) for t in range(1, threads)]
    error = None
    try:
        share(0)
    except BaseException as e:  # still wait for the others: they write into our buffers
        error = e
    for future in futures:
        try:
            future.result()
        except BaseException as e:
            error = error or e
    if error is not None:
        raise error


# --- scratch pools --------------------------------------------------------------------------

POOL_BYTES = int(os.environ.get("JITLIB_POOL_BYTES", "0") or 0) or (1 << 30)
SCRATCH_BYTES = 256 << 20  # a scratch dict holding more than this is not kept after a call


class Pools:
    """The scratch dicts of one generated function, kept across its calls. `take` gives a
    dict no other call is using; `give` returns it (dropped when it has grown too big)."""

    def __init__(self, keep: int | None = None):
        self.free: list = []
        self.keep = keep or thread_count() + 1

    def take(self) -> dict:
        try:
            return self.free.pop()
        except IndexError:
            return {}

    def give(self, pool: dict) -> None:
        if len(self.free) < self.keep and _scratch_bytes(pool) <= SCRATCH_BYTES:
            self.free.append(pool)


def _scratch_bytes(pool: dict) -> int:
    return sum(raw.nbytes for raw, _ in pool.values())


def scratch(pool: dict | None, slot: int, shape: tuple, dtype: str):
    """A buffer for a temporary, from `pool` (None: let numpy allocate). A slot's memory is
    kept when a later call asks for the same or a smaller size."""
    if pool is None:
        return None
    held = pool.get(slot)
    if held is not None:
        raw, view = held
        if view.shape == shape and view.dtype.name == dtype:
            return view
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * math.prod(shape)
    if held is None or held[0].nbytes < nbytes:
        raw = np.empty(max(nbytes, 1), np.uint8)
    view = np.ndarray(shape, dtype, raw)
    pool[slot] = (raw, view)
    return view


# --- a max-shifted exp-sum without the shift ------------------------------------------------


def exp_sum_shifted(x, top, top_kept, buffer=None):
    """sum(exp(x - top_kept), axis=-1), where `top` is x's max along its last axis and
    `top_kept` the same with that axis kept as 1 (logsumexp's shifted sum). Where every
    row's max lies within +-limit, exp(x) neither overflows (a row of up to 2**63 terms of
    at most e**limit stays finite) nor loses the row to underflow (its largest term is at
    least e**-limit, a normal number), so sum(exp(x)) * exp(-top) is the same sum up to
    rounding, without the subtraction's pass over x. Else (nan, inf, large values) it is
    numpy's own shifted sum. `buffer` (or None) takes the exponentials."""
    limit = {"float32": 40.0, "float64": 650.0}[x.dtype.name]
    if top.size and -limit < top.min() and top.max() < limit:
        return np.einsum("...i->...", np.exp(x, out=buffer)) * np.exp(-top)
    shifted = np.subtract(x, top_kept, out=buffer)
    return np.einsum("...i->...", np.exp(shifted, out=shifted))


# --- the caching allocator for results ----------------------------------------------------

MIN_POOLED_BYTES = 64 << 10  # smaller arrays come from malloc's heap, which does not fault
IDLE_SECONDS = 5.0


class _Allocator:
    """Blocks of memory by size class. A block is in use while some array views it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.classes: dict = {}  # size class -> list of [block, last_used]
        # size class -> where the next search for a free block starts: one past the last
        # block handed out. A call takes its blocks in the same order each time and frees
        # them together, so the search finds the next block at once; from the start it
        # passed every block the call already holds (48 on average in a transformer step)
        self.cursors: dict = {}
        self.held = 0  # bytes in all blocks, free or in use
        self.trimmer: threading.Thread | None = None
        # references to a free block: the list entry, getrefcount's argument, the loop name
        self.base = None

    @staticmethod
    def size_class(nbytes: int) -> int:
        """Round up to a quarter of the power of two below: at most 25% over."""
        if nbytes <= 4096:
            return 4096
        step = 1 << (nbytes.bit_length() - 3)
        return (nbytes + step - 1) // step * step

    def empty(self, shape: tuple, dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        nbytes = dtype.itemsize * math.prod(shape)
        if nbytes < MIN_POOLED_BYTES:
            return np.empty(shape, dtype)
        size = self.size_class(nbytes)
        now = time.monotonic()
        with self.lock:
            entries = self.classes.setdefault(size, [])
            start = self.cursors.get(size, 0)
            count = len(entries)
            for step in range(count):
                entry = entries[(start + step) % count]
                if sys.getrefcount(entry[0]) == _FREE_REFS:
                    entry[1] = now
                    self.cursors[size] = (start + step + 1) % count
                    return np.ndarray(shape, dtype, entry[0])
            if self.held + size > POOL_BYTES:
                self._trim(now, idle=0.0)
                if self.held + size > POOL_BYTES:
                    return np.empty(shape, dtype)
            block = np.empty(size, np.uint8)
            entries.append([block, now])
            self.cursors[size] = 0  # past the new block, the list's end: wrap around
            self.held += size
            self._start_trimmer()
            return np.ndarray(shape, dtype, block)

    def _trim(self, now: float, idle: float) -> int:
        """Drop free blocks unused for `idle` seconds; the bytes dropped. Holds the lock."""
        dropped = 0
        for size, entries in list(self.classes.items()):
            keep = []
            for entry in entries:
                if now - entry[1] >= idle and sys.getrefcount(entry[0]) == _FREE_REFS:
                    dropped += size
                else:
                    keep.append(entry)
            if keep:
                self.classes[size] = keep
            else:
                del self.classes[size]
            self.cursors.pop(size, None)
        self.held -= dropped
        return dropped

    def trim(self, idle: float = 0.0) -> int:
        with self.lock:
            return self._trim(time.monotonic(), idle)

    def _start_trimmer(self) -> None:
        if self.trimmer is None or not self.trimmer.is_alive():
            self.trimmer = threading.Thread(target=self._trim_when_idle, daemon=True)
            self.trimmer.name = "jitlib-trim"
            self.trimmer.start()

    def _trim_when_idle(self) -> None:
        while True:
            time.sleep(IDLE_SECONDS)
            with self.lock:
                self._trim(time.monotonic(), IDLE_SECONDS)
                if not self.classes:
                    self.trimmer = None
                    return

    def stats(self) -> dict:
        with self.lock:
            blocks = [e for entries in self.classes.values() for e in entries]
            free = [e for e in blocks if sys.getrefcount(e[0]) == _FREE_REFS]
            return {
                "held_bytes": self.held,
                "blocks": len(blocks),
                "free_blocks": len(free),
            }


def _free_refs() -> int:
    """sys.getrefcount of a block no array views, as `empty` calls it: held by its entry
    list, the loop's `entry[0]` temporary and getrefcount's own argument."""
    block = np.empty(1, np.uint8)
    entry = [block, 0.0]
    del block
    return sys.getrefcount(entry[0])


_FREE_REFS = _free_refs()
ALLOCATOR = _Allocator()
empty = ALLOCATOR.empty


def clear_memory_pool() -> int:
    """Drop every free pooled block now; the bytes given back."""
    return ALLOCATOR.trim(0.0)
