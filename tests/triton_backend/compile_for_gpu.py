"""Compile the generated Triton kernels of some functions for an H100 (sm_90), with no GPU.

Run as a script without TRITON_INTERPRET: each function is lowered, its module generated,
and its launcher run on host arrays with every kernel replaced by a recorder; each recorded
launch is then compiled by Triton down to a cubin for sm_90. This catches kernel source the
interpreter accepts but the compiler rejects. Prints one line per kernel, then `failures N`.
"""

import os
import sys
import traceback

assert os.environ.get("TRITON_INTERPRET") != "1"

import numpy as np  # noqa: E402
import triton  # noqa: E402
from triton.backends.compiler import GPUTarget  # noqa: E402
from triton.compiler import ASTSource  # noqa: E402

import jitlib as jl  # noqa: E402
from benchmarks import workloads  # noqa: E402
from codegen import triton_emitter, triton_runtime, triton_scatter, triton_sort  # noqa: E402

try:
    import scipy.special as sp
except ImportError:  # scipy is optional: no scipy.special case then
    sp = None

TYPES = {
    "float16": "fp16",
    "float32": "fp32",
    "float64": "fp64",
    "int32": "i32",
    "int64": "i64",
    "bool": "i1",
}


class Recorder:
    def __init__(self, fn, launches):
        self.fn, self.launches = fn, launches

    def __getitem__(self, grid):
        return lambda *args, **kwargs: self.launches.append((self.fn, args, kwargs))


def _extra():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5)).astype(np.float32)
    idx = np.array([4, -1, 0, 2])
    ints = rng.integers(-9, 9, (4, 3)).astype(np.int32)
    return [
        ("gather", lambda x, i: np.exp(x[:, i]) + x[i].sum(), (x, idx)),
        ("int_ops", lambda a: (a // 3, a % -4, np.maximum(a, 1), a.argmax(axis=1)), (ints,)),
        ("concat_pad", lambda x: np.concatenate([x, np.pad(x, 1)[1:-1, 1:-1] * 2.0], axis=0), (x,)),
        ("float64", lambda x: np.tanh(x.astype(np.float64)).sum(axis=0), (x,)),
        ("matmul_f64", lambda a, b: np.tanh(a @ b), (x.astype(np.float64), x.T.astype(np.float64))),
        ("matmul_f16", lambda a, b: a @ b + 1.0, (x.astype(np.float16), x.T.astype(np.float16))),
        ("half", lambda h: np.exp(h) * h.max(axis=1, keepdims=True), (x.astype(np.float16),)),
        ("batched", lambda a, b: a @ b, (np.stack([x, x]), x.T.copy())),
        ("scatters", _scatters, (x, idx, x[:4] * 2)),
        ("slice_writes", _slice_writes, (x,)),
        ("int_scatters", _scatters, (ints.astype(np.int64), idx[:3], ints[:3].astype(np.int64))),
        (
            "sorts",
            lambda x, a, h: (np.sort(x, axis=0), np.argsort(a), np.sort(h)),
            (x, ints, x.astype(np.float16)),
        ),
    ] + ([("special", _special, (x, x.astype(np.float64)))] if sp else [])


def _special(x, w):
    """scipy.special's kernel forms in float32 and float64; polygamma of orders 1 and 2
    comes from digamma's derivatives. Helpers appear twice in one kernel, as a nan constant
    shared by two calls once broke the compiler."""
    trigamma = jl.grad(lambda y: sp.digamma(y).sum())
    tetragamma = jl.grad(lambda y: trigamma(y).sum())
    p = 0.5 * sp.erfc(x)
    return (
        sp.erfinv(np.tanh(x)) + sp.ndtri(p) + sp.erf(x) + sp.gammaln(x),
        sp.ndtri(0.5 * sp.erfc(w)) * sp.erfinv(np.tanh(w)) + trigamma(w) + tetragamma(w),
        sp.digamma(w) + sp.digamma(w * w) + np.arccosh(1.0 + w * w) * (w * w) ** w,
    )


def _scatters(x, i, v):
    """Every device scatter: a write with repeated indices, ufunc.at's add, max, min and
    multiply."""
    y = x.copy()
    y[i] = v
    np.add.at(y, i, v)
    np.maximum.at(y, i, v)
    np.minimum.at(y, i, v)
    np.multiply.at(y, i, v)
    return y


def _slice_writes(x):
    """Slice writes stored into a buffer nothing reads afterwards (a masked store)."""
    acc = np.exp(x)
    for i in range(3):
        acc[i] += x[i]
    acc[1:, ::2] = acc[:-1, ::2] * 2.0
    return acc


def cases():
    for workload in workloads.WORKLOADS:
        args = workload.make_inputs("small", np.random.default_rng(0))
        yield workload.name, workload.jitlib_source(), args
    yield from _extra()


def main() -> int:
    target = GPUTarget("cuda", 90, 32)
    failures = 0
    for name, fn, args in cases():
        lowered = jl.jit(fn, backend="numpy").lower(*args)
        for looped in (False, True):
            triton_emitter.MAX_ROW_BLOCK = 8 if looped else 8192
            kernel = triton_emitter.emit(lowered.ir)
            modules = (sys.modules[kernel.fn.__module__], triton_scatter, triton_sort)
            launches = []
            for module in modules:
                for attr, value in list(vars(module).items()):
                    # kernels only: the scatter module's _helpers are called by its kernels
                    if isinstance(value, triton.runtime.jit.JITFunction) and attr[0] != "_":
                        setattr(module, attr, Recorder(value, launches))
            try:
                kernel.fn(*args)
            except Exception:  # the launcher reads results the recorders never wrote
                pass
            for jit_fn, call_args, kwargs in launches:
                failures += _compile(name, jit_fn, call_args, kwargs, target)
            for module in modules:
                for attr, value in list(vars(module).items()):
                    if isinstance(value, Recorder):
                        setattr(module, attr, value.fn)
    print(f"failures {failures}")
    return 0 if failures == 0 else 1


def _compile(name, jit_fn, call_args, kwargs, target) -> int:
    names = [p.name for p in jit_fn.params]
    signature, constexprs = {}, {}
    for i, (param, value) in enumerate(zip(jit_fn.params, list(call_args) + [None] * len(names))):
        if param.is_constexpr:
            signature[param.name] = "constexpr"
            constexprs[(i,)] = kwargs[param.name]
        elif isinstance(value, triton_runtime.HostBuffer):
            signature[param.name] = "*" + TYPES[value.array.dtype.name]
        else:
            signature[param.name] = "i32" if abs(int(value)) < 2**31 else "i64"
    options = {"num_warps": kwargs.get("num_warps", 4)}
    try:
        triton.compile(ASTSource(jit_fn, signature, constexprs), target=target, options=options)
        print(f"ok {name} {jit_fn.__name__}")
        return 0
    except Exception:
        print(f"FAIL {name} {jit_fn.__name__}\n{traceback.format_exc()[-3000:]}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
