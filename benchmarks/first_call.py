"""A new process's first call of a workload under jitlib or JAX (trace, compile, one run)
and its second, cached call; the cache directories are empty, so it is a cold first call.

    python -m benchmarks.first_call jitlib transformer_train_step
    python -m benchmarks.first_call jax transformer_train_step
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np

from benchmarks import workloads


def main(argv: list[str]) -> None:
    framework, name = argv[0], argv[1] if len(argv) > 1 else "transformer_train_step"
    workload = workloads.BY_NAME[name]
    args = workload.make_inputs("default", np.random.default_rng(0))
    os.environ["JITLIB_CACHE_DIR"] = tempfile.mkdtemp(prefix="jitlib-first-")
    if framework == "jax":
        import jax

        fn = jax.jit(workload.jax_fn(jax.numpy))
        args = [jax.device_put(a) for a in args]
        wait = jax.block_until_ready
    else:
        import jitlib as jl

        fn = jl.jit(workload.jitlib_source())
        wait = lambda out: out  # noqa: E731 (numpy results are ready when the call returns)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        wait(fn(*args))
        times.append(time.perf_counter() - start)
    print(f"{framework} {name}: first call {times[0]:.3f} s, cached call {times[1] * 1e3:.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
