"""Every case of the op table through the Triton backend, against eager numpy.

Each case is traced, planned into kernels and run (in Triton's interpreter on a CPU):
values, dtypes and shapes must match numpy's; a second size must reuse the trace.
Ops with no Triton form run as host steps, and that set is the one the README lists.
"""

import numpy as np
import pytest
from ops.cases import CASES
from ops.test_forward import _id, assert_matches, eager, make_args, non_contiguous

import jitlib as jl
from codegen import triton_emitter

# ops no kernel computes (the README's fallback table), as the op-case table meets them;
# scatter_add (only made by gradients) is checked with the transforms
HOST_OPS = {
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "cumsum",
    "cumprod",
    "ldexp",
    "frexp",
    "nextafter",
    "spacing",
    "gcd",
    "lcm",
    "eigh",
    "svd",
    "qr",
    "cond",
    "while_loop",
    "scan",
    "searchsorted",
    "digitize",
    "solve",
    "inv",
    "det",
    "slogdet",
    "cholesky",
    "check",  # a run-time check of values (np.histogram's range): it reads them on the host
}

CASE_SHAPES = [
    pytest.param(case, case.dtypes[0], shapes, id=f"{case.name}-{_id(case.dtypes[0], shapes)}")
    for case in CASES
    for shapes in case.shapes
]
OTHER_DTYPES = [
    pytest.param(case, dtype, case.shapes[0], id=f"{case.name}-{_id(dtype, case.shapes[0])}")
    for case in CASES
    for dtype in case.dtypes[1:]
    if case.shapes
]


def run_triton(fn, args: list):
    jitted = jl.jit(fn, backend="triton")
    got = jitted(*args)
    return jitted, got


def check(case, args: list) -> None:
    pristine = [a.copy() for a in args]
    expected = eager(case, args)
    _, got = run_triton(case.fn, args)
    assert_matches(got, expected)
    for arg, before in zip(args, pristine):
        np.testing.assert_array_equal(arg, before, strict=True)
    for result in jl.tree_flatten(got)[0]:
        if isinstance(result, np.ndarray):  # (on a GPU results are device memory anyway)
            assert not any(np.shares_memory(result, a) for a in args), "a result aliases an input"


@pytest.mark.parametrize("case, dtype, shapes", CASE_SHAPES)
def test_case_matches_numpy(case, dtype, shapes):
    check(case, make_args(case, dtype, shapes))


@pytest.mark.parametrize("case, dtype, shapes", OTHER_DTYPES)
def test_other_dtypes_match_numpy(case, dtype, shapes):
    check(case, make_args(case, dtype, shapes))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES if c.shapes])
def test_non_contiguous_inputs(case):
    shapes = next((s for s in case.shapes if any(len(x) for x in s)), case.shapes[0])
    check(case, [non_contiguous(a) for a in make_args(case, case.dtypes[0], shapes)])


def test_host_steps_are_the_documented_ones():
    """Across the table, the ops that ran on the host are exactly HOST_OPS."""
    seen = set()
    for case in CASES:
        for dtype in case.dtypes:
            if not case.shapes:
                continue
            args = make_args(case, dtype, case.shapes[0])
            try:
                lowered = jl.jit(case.fn, backend="triton").lower(*args)
            except jl.JitError:
                continue
            kernel = triton_emitter.emit(lowered.ir)
            seen |= set(kernel.host_steps)
    # integer matmul and integer power/reciprocal have no kernel form either
    assert seen - {"matmul", "power", "reciprocal"} == HOST_OPS


def test_special_inverses_and_polygamma_run_in_kernels():
    """erfinv, ndtri and polygamma (digamma's derivatives) in kernels, tails included."""
    sp = pytest.importorskip("scipy.special")
    p = np.array([1e-300, 3e-20, 0.02, 0.5, 0.97, 1 - 1e-15, 0.0, 1.0])
    u = np.array([-1 + 1e-16, -0.3, 1e-200, 0.5, 0.999999, 1.0, -1.0, 1.5])
    x = np.array([1e-4, 0.5, 3.0, 1e6, -0.5, -2.7, -1e3 - 0.2, -3.0])

    def fn(p, u, x):
        trigamma = jl.grad(lambda y: sp.digamma(y).sum())
        return sp.ndtri(p), sp.erfinv(u), trigamma(x), jl.grad(lambda y: trigamma(y).sum())(x)

    lowered = jl.jit(fn, backend="triton").lower(p, u, x)
    assert triton_emitter.emit(lowered.ir).host_steps == []
    got = jl.jit(fn, backend="triton")(p, u, x)
    want = sp.ndtri(p), sp.erfinv(u), sp.polygamma(1, x), sp.polygamma(2, x)
    for value, expected in zip(got, want):
        np.testing.assert_allclose(value, expected, rtol=1e-12)
