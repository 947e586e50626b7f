"""How jitlib-bench times a call: samples of back-to-back calls that end in one wait for the
device, measured in interleaved rounds, and the copy bandwidth and exp rate the figures are
compared with.

A sample's clock stops only after the device has finished, so GPU times hold the kernels'
run as well as the host's dispatch of them.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BUDGET_S = 0.4  # time spent measuring one implementation of one workload
MAX_REPEAT = 2000
MAX_CALLS_PER_SAMPLE = 2000
# float32 elements copied by `copy_bandwidth`: 64 MB on the host (past a CPU's caches),
# 256 MB on a GPU (past the 50-60 MB L2 of an H100 or H200)
COPY_ELEMENTS = {"host": 1 << 24, "gpu": 1 << 26}
# float32 elements `exp_rate` takes the exp of: 256 kB on the host (in a core's L2, so memory
# does not limit it), 16 MB on a GPU (in its L2)
EXP_ELEMENTS = {"host": 1 << 16, "gpu": 1 << 22}
EXP_ROUNDS = 20


@dataclass(frozen=True)
class Sample:
    """One timed unit: `run` makes `calls` calls, then waits for the device."""

    run: Callable[[], object]
    calls: int = 1


def no_sync(out) -> None:
    """Host results are ready when the call returns."""


def device_sync(cupy) -> Callable[[object], None]:
    """A wait for everything queued on the current GPU (jitlib's kernels run on the default
    stream; a device-wide wait covers any other too), or `no_sync` when cupy is None."""
    if cupy is None:
        return no_sync
    device = cupy.cuda.Device()

    def sync(out) -> None:
        device.synchronize()

    return sync


def sample(call: Callable[[], object], sync: Callable[[object], None], seconds: float) -> Sample:
    """`call` then `sync(result)` as one sample; with seconds > 0, as many back-to-back calls
    as fill about `seconds` (after one warm-up call), then one sync. Batching lets the GPU run
    each call while the host dispatches the next, as in a program, and pays the sync's
    latency once per sample rather than once per call."""

    def once():
        out = call()
        sync(out)

    if seconds <= 0:
        return Sample(once)
    once()
    start = time.perf_counter()
    once()
    single = time.perf_counter() - start
    calls = max(1, min(MAX_CALLS_PER_SAMPLE, int(seconds / max(single, 1e-9))))

    def run():
        out = None
        for _ in range(calls):
            out = call()
        sync(out)

    return Sample(run, calls)


def median_times(samples: list[Sample], repeat: int | None) -> list[float]:
    """Median seconds per call of each sample after a warm-up, measured in interleaved rounds
    so that drift in the machine's speed hits every sample alike; rounds adapt to BUDGET_S
    unless `repeat` gives their number."""
    firsts = []
    for unit in samples:
        start = time.perf_counter()
        unit.run()
        firsts.append(time.perf_counter() - start)
    count = repeat or max(5, min(MAX_REPEAT, int(BUDGET_S * len(samples) / max(sum(firsts), 1e-7))))
    times: list = [[] for _ in samples]
    for _ in range(count):
        for unit, bucket in zip(samples, times):
            start = time.perf_counter()
            unit.run()
            bucket.append((time.perf_counter() - start) / unit.calls)
    return [statistics.median(bucket) for bucket in times]


def median_time(unit: Sample, repeat: int | None) -> float:
    return median_times([unit], repeat)[0]


def copy_bandwidth(cupy, seconds: float) -> float:
    """GB/s (read + write) of copying one large float32 array into another, timed like the
    workloads: with numpy on the host, or with CuPy on the GPU when cupy is given."""
    gbs = _copy_gbs(cupy or np, COPY_ELEMENTS["gpu" if cupy else "host"], cupy, seconds)
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()  # the workloads run in other processes
    return gbs


def _copy_gbs(xp, size: int, cupy, seconds: float) -> float:
    src = xp.asarray(np.random.default_rng(0).random(size, dtype=np.float32))
    dst = xp.empty_like(src)
    unit = sample(lambda: xp.copyto(dst, src), device_sync(cupy), seconds)
    return 2 * src.nbytes / median_time(unit, repeat=None) / 1e9


def exp_rate(cupy, seconds: float) -> float:
    """float32 exps per second: np.exp on one core (numpy's loops are single-threaded), or
    CuPy's exp on the GPU when cupy is given, into a preallocated array that stays in cache.
    The best of a few rounds: the rate the hardware reaches, not a noisy typical one."""
    xp = cupy or np
    size = EXP_ELEMENTS["gpu" if cupy else "host"]
    src = xp.asarray(np.random.default_rng(0).uniform(-5, 5, size).astype(np.float32))
    dst = xp.empty_like(src)
    unit = sample(lambda: xp.exp(src, out=dst), device_sync(cupy), seconds)
    unit.run()  # warm-up
    best = math.inf
    for _ in range(EXP_ROUNDS):
        start = time.perf_counter()
        unit.run()
        best = min(best, (time.perf_counter() - start) / unit.calls)
    return size / best
