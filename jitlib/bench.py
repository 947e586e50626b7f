"""jitlib-bench: times the workloads in `benchmarks/` eagerly, under jitlib, and optionally
under JAX and torch.compile, then prints a rich table (and `--json FILE` saves the figures),
with each workload's floor from the cost model and the share of it jitlib reaches.

    jitlib-bench --size small --workload softmax --compare jax,torch

On the Triton backend with a CUDA GPU, jitlib and the frameworks compared get GPU arrays and
every timing waits for the device; with TRITON_INTERPRET=1 the kernels run in Triton's CPU
interpreter on numpy arrays (slow: use `--size tiny`). Each workload runs in a new process,
with jitlib's and Triton's code caches in a directory made for this run, so compile times
are those of a first run.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import math
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

import jitlib as jl
from benchmarks import timing
from benchmarks.timing import Sample, device_sync, median_time, median_times, no_sync
from benchmarks.workloads import BY_NAME, SIZES, WORKLOADS, Workload, flatten, resolve_size
from codegen import triton_runtime

DEVICE_SAMPLE_S = 2e-3  # back-to-back GPU calls per timed sample (see timing.sample)
TINY_SAMPLE_S = 2e-2
TRACE_BATCHES = (4, 8, 6, 12, 10)  # rows of 16 columns; none of 16, which would share its symbol


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="jitlib-bench", description=" ".join(__doc__.split("\n\n")[0].split())
    )
    parser.add_argument("--size", choices=SIZES, default="default", help="tiny: smoke tests")
    parser.add_argument("--workload", action="append", choices=sorted(BY_NAME), metavar="NAME")
    parser.add_argument("--backend", choices=("numpy", "triton", "auto"), default=None)
    parser.add_argument("--compare", default="", help="comma list of: jax, torch")
    parser.add_argument("--json", metavar="FILE", help="write all figures to FILE as JSON")
    parser.add_argument(
        "--html", metavar="FILE", help="write a report page: chart, table, kernel plans"
    )
    parser.add_argument("--repeat", type=int, default=None, help="timed runs (default: adaptive)")
    args = parser.parse_args(argv)
    args.compare = [name.strip() for name in args.compare.split(",") if name.strip()]
    unknown = set(args.compare) - set(FRAMEWORKS)
    if unknown:
        parser.error(f"--compare: unknown framework(s) {', '.join(sorted(unknown))}")
    return args


def _to_host(out) -> list:
    return [leaf.get() if hasattr(leaf, "get") else np.asarray(leaf) for leaf in flatten(out)]


# --- frameworks to compare against -------------------------------------------------------


class Runner(NamedTuple):
    """A framework's compiled workload bound to its arguments on the chosen device."""

    call: Callable[[], object]
    sync: Callable[[object], None]  # waits until the device has computed a call's result
    device: str


class Unavailable(Exception):
    """A framework is installed but cannot run where jitlib runs (a CPU-only build)."""


def _jax_call(workload: Workload, args: tuple, on_gpu: bool) -> Runner:
    if workload.writes:  # `m *= b1` on a JAX array rebinds the name: the call would do nothing
        raise Unavailable("jax: immutable arrays")
    # JAX takes 75% of GPU memory on first use unless told not to; CuPy holds jitlib's arrays
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    jax = importlib.import_module("jax")
    try:
        device = jax.devices("gpu" if on_gpu else "cpu")[0]
    except RuntimeError as error:  # no backend of that kind in this jax build
        raise Unavailable(f"jax: {error}") from None
    fn = jax.jit(workload.jax_fn(jax.numpy))
    device_args = tuple(jax.device_put(a, device) for a in args)
    # JAX dispatches asynchronously on the CPU as well: always wait for the result
    return Runner(lambda: fn(*device_args), jax.block_until_ready, str(device))


def _torch_call(workload: Workload, args: tuple, on_gpu: bool) -> Runner:
    # one process per workload: a pool of compile workers would only add its start-up time
    os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")
    torch = importlib.import_module("torch")
    if on_gpu and not torch.cuda.is_available():
        raise Unavailable("torch: no CUDA device (a CPU-only build?)")
    device = "cuda" if on_gpu else "cpu"
    fn = torch.compile(workload.torch_fn)
    tensors = tuple(torch.from_numpy(a).to(device) for a in args)

    def sync(out) -> None:
        torch.cuda.synchronize()

    return Runner(lambda: fn(*tensors), sync if on_gpu else no_sync, device)


FRAMEWORKS = {"jax": _jax_call, "torch": _torch_call}


def _failure(error: Exception) -> dict:
    return {"status": f"error: {type(error).__name__}", "message": str(error)[:2000]}


def _compare(name: str, workload: Workload, args: tuple, options, timed: dict) -> dict:
    """{"ms", "speedup", "device", ...} of the workload under another framework, or
    {"status": why not}. Failures are reported in the table and the JSON, not hidden.

    jitlib and eager numpy were timed before this framework was imported (importing jax
    changes the allocator's state for the whole process); here they are timed again in the
    same interleaved rounds as the framework, and `speedup`, `eager_ms` and `jitlib_ms`
    are those of this shared run, so the three are compared under the same conditions."""
    try:
        runner = FRAMEWORKS[name](workload, workload.fresh_copies(args), options.on_gpu)
    except ImportError:
        return {"status": "not installed"}
    except Unavailable as error:
        return {"status": str(error)}
    except Exception as error:
        return _failure(error)
    try:  # the first call compiles
        other = timing.sample(runner.call, runner.sync, options.sample_s)
        samples = [timed["eager"], *([timed["jitlib"]] if "jitlib" in timed else []), other]
        times = median_times(samples, options.repeat)
    except Exception as error:
        return _failure(error)
    result = {"ms": times[-1] * 1e3, "speedup": times[0] / times[-1], "device": runner.device}
    result["eager_ms"] = times[0] * 1e3
    if "jitlib" in timed:
        result["jitlib_ms"] = times[1] * 1e3
        result["jitlib_vs"] = times[-1] / times[1]  # above 1: jitlib is the faster
    return result


def _faults_per_call(call: Callable[[], object], sync, calls: int = 5) -> float:
    """Minor page faults per call in steady state (after one warm-up call): pages the
    allocator handed out fresh, which the kernel maps in on first touch."""
    sync(call())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        sync(call())
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


# --- one workload ------------------------------------------------------------------------


def _check(out, expected) -> str:
    """Returns "ok", or how jitlib's result differs from eager numpy's."""
    got, want = _to_host(out), _to_host(expected)
    if len(got) != len(want):
        return f"mismatch: {len(got)} results, eager numpy gives {len(want)}"
    for index, (g, w) in enumerate(zip(got, want, strict=True)):
        try:
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
        except AssertionError as error:
            lines = [line.strip() for line in str(error).splitlines()]
            summary = [line for line in lines if line.startswith(("Mismatched", "Max", "(shapes"))]
            return f"mismatch in result {index}: {'; '.join(summary)}"
    return "ok"


def _first_call(call: Callable[[], object], sync, expected) -> tuple[float, str]:
    """Seconds of the first call (trace, code generation, Triton's compile, one run) and
    the check of its result: "ok", a mismatch, or the error that stopped it."""
    start = time.perf_counter()
    try:
        out = call()
        sync(out)
    except Exception as error:  # reported per workload: a run lists every failing workload
        return 0.0, f"error: {type(error).__name__}: {error}"
    return time.perf_counter() - start, _check(out, expected)


def _plan_figures(workload: Workload, args: tuple, options, row: dict) -> dict:
    """The cost model's figures: the floor (the plan's bytes at the copy bandwidth, or its
    transcendental calls at the exp rate, whichever takes longer), the share of it jitlib's
    time reaches, and the plan's traffic against the minimum (every input read once, every
    output written once). On the Triton backend also the kernels one call launches, the ops
    left to the host and compile ms per kernel."""
    lowered = jl.jit(workload.jitlib_source(), backend=options.backend).lower(*args)
    compiled = lowered.compile()
    cost = compiled.cost()
    floor_s = cost.floor_s(options.copy_gbs * 1e9, options.exp_rate)
    figures = {
        "floor_ms": floor_s * 1e3,
        "pct_floor": 100 * floor_s * 1e3 / row["jitlib_ms"],
        "bytes_vs_minimum": cost.bytes / max(cost.minimum, 1),
        "cost": cost.as_dict(),
    }
    if options.resolved_backend == "triton":
        kernel = compiled.kernel
        figures.update(kernels=kernel.kernels, host_steps=list(kernel.host_steps))
        if kernel.kernels:
            figures["compile_ms_per_kernel"] = row["compile_ms"] / kernel.kernels
    return figures


def _time_both(workload: Workload, options, args: tuple, expected, row: dict) -> dict:
    """Adds eager and jitlib figures to `row` (only eager's and the status when jitlib fails
    the check), page faults per call included; returns the timed samples by name. A
    workload that writes to its arguments runs eagerly and under jitlib on copies of its
    own, checked after one call from `args`."""
    if options.cupy:
        device_args = tuple(options.cupy.asarray(a) for a in args)
    else:
        device_args = workload.fresh_copies(args)
    sync = device_sync(options.cupy)
    jitted = jl.jit(workload.jitlib_source(), backend=options.backend)
    first_call = functools.partial(workload.results, jitted, device_args)
    first_s, row["status"] = _first_call(first_call, sync, expected)
    eager_args = workload.fresh_copies(args)
    eager = Sample(lambda: workload.fn(*eager_args))
    row["eager_faults"] = _faults_per_call(eager.run, no_sync)
    if row["status"] != "ok":
        eager_s = median_time(eager, options.repeat)
        row["eager_ms"] = eager_s * 1e3
        return {"eager": eager}
    jitlib = timing.sample(lambda: jitted(*device_args), sync, options.sample_s)
    eager_s, jitlib_s = median_times([eager, jitlib], options.repeat)
    row["eager_ms"] = eager_s * 1e3
    row["jitlib_ms"] = jitlib_s * 1e3
    row["speedup"] = row["eager_ms"] / row["jitlib_ms"]
    row["gbs"] = workload.bytes_moved(args, expected) / jitlib_s / 1e9
    row["pct_copy"] = 100 * row["gbs"] / options.copy_gbs
    row["traces"] = jitted.cache_info().misses
    # the first call compiled, then ran once as a cached call does
    row["compile_ms"] = max(first_s - jitlib_s, 0.0) * 1e3
    row["jitlib_faults"] = _faults_per_call(lambda: jitted(*device_args), sync)
    row.update(_plan_figures(workload, args, options, row))
    return {"eager": eager, "jitlib": jitlib}


def _run(workload: Workload, options) -> dict:
    """All figures of one workload as a JSON-ready dict."""
    args = workload.make_inputs(options.size_key, np.random.default_rng(0))
    expected = workload.results(workload.fn, workload.fresh_copies(args))
    row = {"workload": workload.name, "shape": _shape(args)}
    timed = _time_both(workload, options, args, expected, row)
    row["compare"] = {
        name: _compare(name, workload, args, options, timed) for name in options.compare
    }
    if getattr(options, "html", None):
        row["plan_html"] = _plan_section(workload, args, options)
    return row


def _plan_section(workload: Workload, args: tuple, options) -> str:
    """The workload's kernel-plan view for the --html report (jitlib.plan_view)."""
    from jitlib import plan_view

    try:
        jitted = jl.jit(workload.jitlib_source(), backend=options.backend)
        device_args = tuple(options.cupy.asarray(a) for a in args) if options.cupy else args
        compiled = jitted.lower(*device_args).compile()
        title = f"{workload.name}: kernel plan"
        return plan_view.section(compiled.lowered.ir, compiled.source, compiled.cost(), title)
    except Exception as error:  # the report still has the figures
        return f"<h2>{workload.name}</h2><p>no plan view: {type(error).__name__}: {error}</p>"


def _shape(args: tuple) -> str:
    return ", ".join("x".join(map(str, a.shape)) for a in args)


def _first_shape(shape: str) -> str:
    """The table shows the first argument's shape; the JSON keeps all of them."""
    return shape.split(", ")[0]


# --- whole-run figures ---------------------------------------------------------------------


def _tiny(x):
    return x * 2.0 + 1.0


def _tiny_call(options) -> dict:
    """µs per cache-hit call of a tiny jitted function (the dispatch cost: signature, guard,
    launcher and kernel launch), and of the same function run eagerly on numpy."""
    x = np.random.default_rng(0).random(8, dtype=np.float32)
    device_x = options.cupy.asarray(x) if options.cupy else x
    jitted = jl.jit(_tiny, backend=options.backend)
    jitlib = timing.sample(lambda: jitted(device_x), device_sync(options.cupy), TINY_SAMPLE_S)
    eager = timing.sample(lambda: _tiny(x), no_sync, TINY_SAMPLE_S)
    jitlib_s, eager_s = median_times([jitlib, eager], repeat=7)
    return {"jitlib_us": jitlib_s * 1e6, "eager_us": eager_s * 1e6}


def _trace_count(options) -> int:
    """Traces after calling one jitted function at several batch sizes of one signature."""
    jitted = jl.jit(lambda x: x * 2.0 + x.sum(axis=-1, keepdims=True), backend=options.backend)
    rng = np.random.default_rng(0)
    for batch in TRACE_BATCHES:
        x = rng.random((batch, 16), dtype=np.float32)
        jitted(options.cupy.asarray(x) if options.cupy else x)
    return jitted.cache_info().misses


def _geomean(rows: list[dict]) -> float | None:
    speedups = [row["speedup"] for row in rows if row.get("speedup")]
    return math.exp(statistics.fmean(map(math.log, speedups))) if speedups else None


def _array_module(backend: str):
    """CuPy when jitlib's results live on a GPU, else None."""
    xp = triton_runtime.module() if backend == "triton" else np
    return None if xp is np else xp


def _resolve_options(options) -> argparse.Namespace:
    """Adds the backend jitlib picks, where it runs, and the size key."""
    probe = jl.jit(lambda x: x + 1.0, backend=options.backend).lower(np.ones(4, np.float32))
    options.resolved_backend = probe.backend
    options.cupy = _array_module(probe.backend)
    options.on_gpu = options.cupy is not None
    options.interpreted = probe.backend == "triton" and triton_runtime.interpreting()
    options.sample_s = DEVICE_SAMPLE_S if options.on_gpu else 0.0
    options.size_key = resolve_size(options.size, options.on_gpu)
    return options


def _device_name(options) -> str:
    if options.cupy is None:
        return "CPU (Triton interpreter)" if options.interpreted else "CPU"
    cuda = options.cupy.cuda
    name = cuda.runtime.getDeviceProperties(cuda.Device().id)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


# --- output ------------------------------------------------------------------------------


def _number(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _short(value) -> str:
    """Three significant digits for small values (a tiny size's floor is microseconds)."""
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 10 else f"{value:,.1f}"


def _ratio(value) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _compare_cell(result: dict) -> str:
    if "ms" not in result:
        return escape(result["status"])
    cell = f"{result['ms']:.2f} ms ({result['speedup']:.2f}x)"
    if "jitlib_vs" in result:
        cell += f" jitlib {result['jitlib_vs']:.2f}x"
    return cell


def _faults_cell(row: dict) -> str:
    """jitlib's page faults per cached call / eager numpy's."""
    if "jitlib_faults" not in row:
        return "-"
    return f"{row['jitlib_faults']:.0f}/{row['eager_faults']:.0f}"


def _kernels_cell(row: dict) -> str:
    if "kernels" not in row:
        return "-"
    hosts = len(row["host_steps"])
    return f"{row['kernels']} +{hosts} host" if hosts else str(row["kernels"])


def _table(rows: list[dict], compare: list[str], backend: str) -> Table:
    triton = backend == "triton"
    table = Table(title=f"jitlib-bench ({backend} backend)")
    table.add_column("workload", no_wrap=True)
    table.add_column("size", no_wrap=True)
    numbers = ["eager ms", "jitlib ms", "speedup", "GB/s", "% copy BW"]
    numbers += ["floor ms", "% floor", "bytes/min", "faults/call"]
    numbers += ["kernels", "compile ms", "ms/kernel"] if triton else ["compile ms"]
    for column in (*numbers, *compare):
        table.add_column(column, justify="right")
    for row in rows:
        jitlib_cell = _number(row.get("jitlib_ms"))
        if row["status"] != "ok":
            jitlib_cell = f"[red]{escape(row['status'].split(':')[0])}[/red]"
        speedup = row.get("speedup")
        cells = [row["workload"], _first_shape(row["shape"]), _number(row["eager_ms"]), jitlib_cell]
        cells += [f"{speedup:.2f}x" if speedup else "-", _number(row.get("gbs"), 1)]
        cells += [_number(row.get("pct_copy"), 0), _short(row.get("floor_ms"))]
        cells += [_number(row.get("pct_floor"), 0), _ratio(row.get("bytes_vs_minimum"))]
        cells += [_faults_cell(row)]
        cells += [_kernels_cell(row)] if triton else []
        cells += [_number(row.get("compile_ms"), 0)]
        cells += [_number(row.get("compile_ms_per_kernel"), 0)] if triton else []
        cells += [
            _compare_cell(row.get("compare", {}).get(name, {"status": "-"})) for name in compare
        ]
        table.add_row(*cells)
    return table


def _print_summary(console: Console, report: dict) -> None:
    console.print(_table(report["rows"], report["compare"], report["backend"]))
    for row in report["rows"]:
        if row["status"] != "ok":
            console.print(f"[red]{row['workload']}[/red]: {escape(row['status'])}")
        for name, result in row.get("compare", {}).items():
            if "message" in result:
                console.print(f"{row['workload']} under {name}: {escape(result['message'][:300])}")
    tiny = report["tiny_call_us"]
    where = " (Triton interpreter: the kernel runs on the CPU)" if report["interpreted"] else ""
    console.print(
        f"dispatch: {report['dispatch_us']:.1f} µs per cached call of a tiny jitted function"
        f"{where}; the same function eagerly in numpy: {tiny['eager_us']:.1f} µs"
    )
    batches = ", ".join(map(str, TRACE_BATCHES))
    console.print(f"traces after batch sizes {batches}: {report['traces']} (expected 1)")
    console.print(f"copy bandwidth of {report['device']}: {report['copy_bandwidth_gbs']:.1f} GB/s")
    exps = "CuPy's exp on the GPU" if report["on_gpu"] else "np.exp on one core"
    console.print(
        f"exp rate ({exps}): {report['exp_rate_per_s'] / 1e9:.2f} G/s\n"
        "floor: the plan's bytes at the copy bandwidth or its transcendental calls at the exp "
        "rate, whichever takes longer (jf.lower(*args).compile().cost());\nbytes/min: the "
        "plan's traffic over the minimum, every input read once and every output written once"
    )
    console.print(
        "faults/call: minor page faults per cached call, jitlib/eager (fresh pages the "
        "allocator handed out)"
    )
    console.print(f"geometric mean speedup: {_number(report['geomean_speedup'])}x")
    for name in report["compare"]:
        pairs = [
            (
                r["compare"][name]["speedup"],
                r["compare"][name]["eager_ms"] / r["compare"][name]["jitlib_ms"],
            )
            for r in report["rows"]
            if "jitlib_ms" in r["compare"].get(name, {})
        ]
        if pairs:
            theirs = math.exp(statistics.fmean(math.log(p[0]) for p in pairs))
            ours = math.exp(statistics.fmean(math.log(p[1]) for p in pairs))
            console.print(
                f"{name}, timed after the jitlib and eager columns in shared rounds with them "
                f"({len(pairs)} workloads): geometric mean speedup {theirs:.2f}x, jitlib's in "
                f"the same rounds {ours:.2f}x; 'jitlib Nx' is {name}'s time over jitlib's"
            )


def _run_in_fresh_process(name: str, options) -> dict:
    """One workload in a new process: what earlier workloads did to the allocator (its
    thresholds, memory it kept) would otherwise tilt this one's eager-vs-jitlib figures, and
    its kernels would already be compiled."""
    plain = {key: value for key, value in vars(options).items() if key != "cupy"}
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_run_by_name, (name, plain))


def _run_by_name(name: str, plain: dict) -> dict:
    # the caches of generated code made for this run: compile times are a first run's
    os.environ["JITLIB_CACHE_DIR"] = os.path.join(plain["cache_root"], "jitlib")
    os.environ["TRITON_CACHE_DIR"] = os.path.join(plain["cache_root"], "triton")
    options = argparse.Namespace(**plain)
    options.cupy = _array_module(options.resolved_backend) if options.on_gpu else None
    # set up CuPy and Triton's driver before anything is timed
    x = np.ones(8, np.float32)
    device_sync(options.cupy)(jl.jit(_tiny, backend=options.backend)(x))
    return _run(BY_NAME[name], options)


def _measure(options, console: Console, on_row: Callable[[list], None]) -> dict:
    """Runs every chosen workload and the whole-run figures, under a progress bar; calls
    `on_row(rows)` after each workload."""
    chosen = [BY_NAME[name] for name in options.workload] if options.workload else WORKLOADS
    options.copy_gbs = timing.copy_bandwidth(options.cupy, options.sample_s)
    options.exp_rate = timing.exp_rate(options.cupy, options.sample_s)
    rows = []
    with (
        Progress(console=console, transient=True) as progress,
        tempfile.TemporaryDirectory(prefix="jitlib-bench-") as cache_root,
    ):
        options.cache_root = cache_root
        task = progress.add_task("benchmarking", total=len(chosen) + 1)
        for workload in chosen:
            progress.update(task, description=f"{workload.name} ({options.size_key})")
            rows.append(_run_in_fresh_process(workload.name, options))
            on_row(rows)
            progress.advance(task)
        progress.update(task, description="dispatch and trace count")
        tiny, traces = _tiny_call(options), _trace_count(options)
        progress.advance(task)
    return {
        "backend": options.resolved_backend,
        "device": _device_name(options),
        "interpreted": options.interpreted,
        "size": options.size_key,
        "sizes": {row["workload"]: row["shape"] for row in rows},
        "compare": options.compare,
        "on_gpu": options.on_gpu,
        "copy_bandwidth_gbs": options.copy_gbs,
        "exp_rate_per_s": options.exp_rate,
        "rows": rows,
        "dispatch_us": tiny["jitlib_us"],
        "tiny_call_us": tiny,
        "traces": traces,
        "geomean_speedup": _geomean(rows),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; e.g. `main(["--size", "small", "--workload", "gelu"])`."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # piped output: wide enough for every column
    try:
        options = _resolve_options(_parse(argv))
    except jl.JitError as error:  # e.g. a backend that cannot run here
        console.print(f"[red]jitlib-bench:[/red] {escape(str(error))}")
        return 2
    report = _measure(
        options, console, lambda rows: _save(options, {"partial": True, "rows": rows})
    )
    _print_summary(console, report)
    _save(options, report)
    if options.html:
        from jitlib import bench_report

        with open(options.html, "w") as file:
            file.write(bench_report.page(report))
        console.print(f"report: {options.html}")
    return 0


def _save(options, report: dict) -> None:
    """Writes `--json` (also after each workload: a run cut short keeps what it measured)."""
    if options.json:
        rows = [{k: v for k, v in r.items() if k != "plan_html"} for r in report["rows"]]
        with open(options.json, "w") as file:
            json.dump({**report, "rows": rows}, file, indent=2)


if __name__ == "__main__":
    raise SystemExit(main())
