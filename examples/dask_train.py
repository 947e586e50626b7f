"""Data-parallel training of the spirals MLP of examples/mlp_train.py on a dask cluster.

The points are a dask array, split into chunks of rows that live on the workers; the
parameters stay numpy arrays. `mlp_train.loss_and_grad` is the same jitted function as in
that example: given dask arrays it returns dask arrays. Each chunk computes its part of
the loss and of every gradient sum, and a tree of tasks adds the parts, so the step's
gradient equals the one on the whole arrays to float rounding. Each worker traces the
function once, whatever the chunk sizes (the last chunk is ragged here).

Run: python examples/dask_train.py
"""

import time

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster

import jitlib as jl

try:  # run as a script from anywhere, or imported with examples/ on sys.path
    import mlp_train as mlp
except ImportError:  # pragma: no cover
    from examples import mlp_train as mlp


def main(steps: int = 300, workers: int = 2, rows_per_chunk: int = 500) -> float:
    rng = np.random.default_rng(0)
    x, labels = mlp.make_spirals(1000, rng)  # 3000 points
    order = rng.permutation(len(x))
    train, held_out = order[: 4 * len(x) // 5], order[4 * len(x) // 5 :]

    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with Client(cluster) as client:
        # the training points go to the workers once and stay there
        points = da.from_array(x[train], chunks=(rows_per_chunk, 2))
        classes = da.from_array(labels[train], chunks=rows_per_chunk)
        points, classes = client.persist([points, classes])
        print(f"{len(train)} training points in chunks of {points.chunks[0]} rows")

        params = mlp.init_params([2, 64, 64, mlp.CLASSES], rng)
        zeros = {k: np.zeros_like(p) for k, p in params.items()}
        state = {"step": 0, "m": zeros, "v": dict(zeros)}
        start = time.perf_counter()
        for step in range(steps):
            value, grads = dask.compute(mlp.loss_and_grad(params, points, classes))[0]
            if step == 0:  # the data-parallel gradient is the whole-array one
                _, whole = mlp.loss_and_grad(params, x[train], labels[train])
                worst = max(float(np.abs(grads[k] - whole[k]).max()) for k in grads)
                print(f"step 0: largest difference from the whole-array gradient {worst:.1e}")
            params, state = mlp.adam(params, grads, state)
            if step % 50 == 0 or step == steps - 1:
                print(f"step {step:4d}  loss {float(value):.4f}")
        elapsed = time.perf_counter() - start
        traces = client.run(lambda: jl.trace_counts().get("value_and_grad_loss", 0))
        print(f"{steps} steps in {elapsed:.1f} s; traces per worker: {sorted(traces.values())}")
    cluster.close()

    predicted = mlp.predict_jit(params, x[held_out]).argmax(axis=1)
    accuracy = float((predicted == labels[held_out]).mean())
    print(f"held-out accuracy: {accuracy:.3f} ({len(held_out)} points)")
    return accuracy


if __name__ == "__main__":
    main()
