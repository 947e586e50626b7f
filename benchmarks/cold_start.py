"""What a new process pays before its first result: `import jitlib`, and the first call of a
jitted layernorm with an empty disk cache (cold) and with the entry a previous process
wrote (warm), on the numpy backend and on the Triton backend in Triton's interpreter.

Every figure comes from a fresh interpreter with its own temporary JITLIB_CACHE_DIR (and
TRITON_CACHE_DIR); the median and the fastest of `--repeats` runs are shown. The first
call is split into code generation (`backends.compile_function`: the emitter, or the disk
cache) and the rest (tracing, passes, the run itself).

    python -m benchmarks.cold_start [--repeats 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# one fresh process: times the import and the first call, prints them as JSON
CHILD = textwrap.dedent(
    """
    import json, sys, time
    started = time.perf_counter()
    import jitlib as jl
    imported = time.perf_counter()

    import numpy as np
    from benchmarks.workloads import layernorm
    from jitlib import backends

    codegen = []
    real_compile = backends.compile_function

    def timed_compile(*args):
        begin = time.perf_counter()
        try:
            return real_compile(*args)
        finally:
            codegen.append(time.perf_counter() - begin)

    backends.compile_function = timed_compile
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 64)).astype(np.float32)
    gamma, beta = rng.standard_normal((2, 64)).astype(np.float32)
    jitted = jl.jit(layernorm, backend=sys.argv[1])
    begin = time.perf_counter()
    jitted(x, gamma, beta)
    first = time.perf_counter() - begin
    print(json.dumps({"import": imported - started, "first": first, "codegen": sum(codegen)}))
    """
)

BACKENDS = {"numpy": {}, "triton (interpreter)": {"TRITON_INTERPRET": "1"}}


def run_child(backend: str, env: dict, cache_dir: str) -> dict:
    env = dict(os.environ, **env, JITLIB_CACHE_DIR=cache_dir)
    env["TRITON_CACHE_DIR"] = os.path.join(cache_dir, "triton-own")
    name = backend.split()[0]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, name], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {backend} child failed:\n{done.stderr}")
    return json.loads(done.stdout)


def measure(backend: str, env: dict, repeats: int) -> dict:
    """Per state (cold, warm): the runs' figures, in seconds."""
    runs: dict = {"cold": [], "warm": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="jitlib-cold-start-") as cache_dir:
            runs["cold"].append(run_child(backend, env, cache_dir))
            runs["warm"].append(run_child(backend, env, cache_dir))
    return runs


def summary(runs: list, field: str) -> str:
    values = [1e3 * run[field] for run in runs]
    return f"{statistics.median(values):8.1f} ({min(values):6.1f})"


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="save every run's figures here")
    args = parser.parse_args(argv)
    results = {backend: measure(backend, env, args.repeats) for backend, env in BACKENDS.items()}
    print(f"ms, median (fastest) of {args.repeats} fresh processes; layernorm 16x64 float32")
    print(
        f"{'backend':22} {'cache':5} {'import jitlib':>17} {'first call':>17} {'of it codegen':>17}"
    )
    for backend, runs in results.items():
        for state, state_runs in runs.items():
            figures = [summary(state_runs, f) for f in ("import", "first", "codegen")]
            print(f"{backend:22} {state:5} {figures[0]:>17} {figures[1]:>17} {figures[2]:>17}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
