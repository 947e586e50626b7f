"""Where the numpy backend's row blocks start to gain from threads: times a jitted softmax
and an Adam update at growing sizes on one thread and on every core, with the cut-over
(`numpy_runtime.MIN_PARALLEL_BYTES`) lifted, and prints each size's working set and the
ratio. The smallest working set where every core wins is the threshold to use.

    python -m benchmarks.threads
"""

from __future__ import annotations

import os

import numpy as np

import jitlib as jl
from benchmarks import timing, workloads
from codegen import numpy_runtime

ROWS = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
COLUMNS = 1024


def _adam(p, g, m, v):
    m = 0.9 * m + 0.1 * g
    v = 0.999 * v + 0.001 * g * g
    return p - 0.001 * m / (np.sqrt(v) + 1e-8), m, v


def _time(fn, args, threads: int) -> float:
    os.environ["JITLIB_NUM_THREADS"] = str(threads)
    jitted = jl.jit(fn)
    jitted(*args)
    return timing.median_time(timing.sample(lambda: jitted(*args), timing.no_sync, 0.02), None)


def main() -> None:
    cores = numpy_runtime.thread_count()
    numpy_runtime.MIN_PARALLEL_BYTES = 0
    rng = np.random.default_rng(0)
    print(f"{cores} threads against 1; L2 {numpy_runtime.L2_BYTES >> 10} KB")
    print(
        f"{'workload':10} {'rows':>6} {'work KB':>9} {'1 thread us':>12} {'all us':>9} {'gain':>6}"
    )
    for name, fn, make in (
        ("softmax", workloads.softmax, lambda r: (rng.standard_normal((r, COLUMNS), np.float32),)),
        ("adam", _adam, lambda r: tuple(rng.random(r * COLUMNS, np.float32) for _ in range(4))),
    ):
        for rows in ROWS:
            args = make(rows)
            work = sum(a.nbytes for a in args) * 3  # inputs, a temporary and a result per row
            one, every = _time(fn, args, 1), _time(fn, args, cores)
            print(
                f"{name:10} {rows:6} {work >> 10:9} {one * 1e6:12.0f} {every * 1e6:9.0f} "
                f"{one / every:5.2f}x"
            )


if __name__ == "__main__":
    main()
