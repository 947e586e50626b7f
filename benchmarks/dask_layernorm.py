"""jitlib on a dask cluster against dask.array running the same numpy code eagerly.

A layernorm over float32 rows of an array several times larger than one worker's memory
limit: the chunks are generated inside the workers and never held whole. Three timings of
the same reduction of the result (its column sums, so that nothing large comes back):

- generate: the random chunks alone (the floor both share);
- dask eager: `layernorm(x)` on the dask array, numpy's functions dispatched to
  dask.array (one task per numpy call per chunk);
- jitlib: `jl.jit(layernorm)(x)`, one compiled task per chunk.

    python -m benchmarks.dask_layernorm [--rows 524288 --features 1024 --chunk-rows 8192]
        [--workers 2 --memory-limit 600MB --repeats 2]
"""

import argparse
import time

import numpy as np

import jitlib as jl


def layernorm(x):
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    return centered / np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + 1e-5)


def _best(compute, repeats: int) -> tuple:
    """(best seconds, result) over `repeats` runs after one warm-up."""
    result = compute()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = compute()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=524288)
    parser.add_argument("--features", type=int, default=1024)
    parser.add_argument("--chunk-rows", type=int, default=8192)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="600MB")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    import dask.array as da
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=args.memory_limit,
        dashboard_address=None,
    )
    with Client(cluster) as client:
        x = da.random.default_rng(0).standard_normal(
            (args.rows, args.features), chunks=(args.chunk_rows, args.features), dtype=np.float32
        )
        gigabytes = x.nbytes / 1e9
        jitted = jl.jit(layernorm)
        timings = {
            "generate": _best(lambda: x.sum(axis=0).compute(), args.repeats),
            "dask eager": _best(lambda: layernorm(x).sum(axis=0).compute(), args.repeats),
            "jitlib": _best(lambda: jitted(x).sum(axis=0).compute(), args.repeats),
        }
        np.testing.assert_allclose(
            timings["jitlib"][1], timings["dask eager"][1], rtol=1e-3, atol=1e-1
        )
        traces = client.run(lambda: jl.trace_counts().get("layernorm", 0))
    cluster.close()

    print(
        f"layernorm of {args.rows}x{args.features} float32 ({gigabytes:.2f} GB) in chunks of "
        f"{args.chunk_rows} rows on {args.workers} workers of {args.memory_limit}"
    )
    print(f"{'':12} {'seconds':>8} {'GB/s':>6}")
    for name, (seconds, _) in timings.items():
        print(f"{name:12} {seconds:8.2f} {gigabytes / seconds:6.2f}")
    floor, eager, ours = (timings[k][0] for k in ("generate", "dask eager", "jitlib"))
    print(f"jitlib / dask eager speedup: {eager / ours:.2f}x; traces per worker: {traces}")
    print(
        f"beyond generating the data: dask eager {eager - floor:.2f} s, jitlib "
        f"{ours - floor:.2f} s ({(eager - floor) / max(ours - floor, 1e-9):.2f}x)"
    )
    return {name: seconds for name, (seconds, _) in timings.items()}


if __name__ == "__main__":
    main()
