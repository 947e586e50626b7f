"""scipy.special.logsumexp, softmax and log_softmax (Python functions, not ufuncs) under jit:
scipy's own code runs on the traced arrays through the array API (jitlib.scipy_array_api).
Values and dtypes against eager scipy on the same input, gradients against float64 central
differences, vmap against loop-and-stack; the numpy backend and Triton's interpreter."""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import jitlib as jl

sp = pytest.importorskip("scipy.special")
# bound at import, before any trace, as a user's module binds them: calls reach scipy's own
# functions, never a replacement
from scipy.special import log_softmax, logsumexp, softmax  # noqa: E402


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def host(x):
    return np.asarray(x.get() if hasattr(x, "get") else x)


B = rand(3, 4, seed=1)  # weights of both signs
B_ROW = rand(4, seed=2)

CASES = {
    "softmax": lambda x: softmax(x),
    "softmax_axis": lambda x: softmax(x, axis=1),
    "softmax_axes": lambda x: sp.softmax(x, axis=(0, 1)),
    "log_softmax_axis": lambda x: log_softmax(x, axis=0),
    "log_softmax_axes": lambda x: sp.log_softmax(x, axis=(-1, 0)),
    "logsumexp": lambda x: logsumexp(x),
    "logsumexp_axis": lambda x: logsumexp(x, axis=1),
    "logsumexp_keepdims": lambda x: sp.logsumexp(x, axis=(0, 1), keepdims=True),
    "logsumexp_b": lambda x: logsumexp(x, axis=0, b=np.abs(B)),
    "logsumexp_b_sign": lambda x: logsumexp(x, axis=1, b=B_ROW, return_sign=True),
    "logsumexp_b_sign_keepdims": lambda x: logsumexp(
        x, axis=0, b=B, keepdims=True, return_sign=True
    ),
}
TRITON_CASES = ("softmax_axis", "log_softmax_axes", "logsumexp_b_sign_keepdims")


def as_input(dtype):
    x = rand(3, 4) * 3
    return x.astype(dtype)  # int64: whole numbers, which scipy promotes to float64


def check_same(got, want, rtol):
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = host(g), np.asarray(w)
        assert (g.dtype, g.shape) == (w.dtype, w.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_dtypes_match_scipy(name, dtype):
    x = as_input(dtype)
    want = CASES[name](x)
    check_same(
        jl.jit(CASES[name], backend="numpy")(x), want, 2e-6 if dtype == np.float32 else 1e-12
    )


@pytest.mark.parametrize("name", TRITON_CASES)
def test_values_match_scipy_in_triton(name):
    x = as_input(np.float32)
    check_same(jl.jit(CASES[name], backend="triton")(x), CASES[name](x), 2e-6)


# rows: huge, tiny, all -inf, +inf, nan where its weight is 0, a sum that is negative
EDGES = np.array(
    [
        [1000.0, 999.0, -1000.0],
        [-800.0, -801.0, -802.0],
        [-np.inf, -np.inf, -np.inf],
        [np.inf, 1.0, 2.0],
        [np.nan, 0.5, 1.0],
        [1.0, 2.0, 0.5],
    ]
)
EDGE_B = np.array(
    [[1.0, -1.0, 0.5], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0], [0.0, 1.0, -1.0], [0.0, 2.0, 1.0]]
    + [[1.0, -3.0, 0.5]]
)
EDGE_CASES = (
    lambda x: logsumexp(x, axis=1),
    lambda x: logsumexp(x, axis=1, b=EDGE_B, return_sign=True),
    lambda x: logsumexp(x, axis=1, b=EDGE_B),  # nan where the weighted sum is negative
    lambda x: softmax(x, axis=1),
    lambda x: log_softmax(x, axis=1),
)


@pytest.mark.parametrize("backend", ["numpy", "triton"])
def test_stable_at_the_edges_as_scipy(backend):
    for fn in EDGE_CASES if backend == "numpy" else EDGE_CASES[1:2]:
        with np.errstate(all="ignore"):
            want = fn(EDGES)
            got = jl.jit(fn, backend=backend)(EDGES)
        check_same(got, want, 1e-12)  # nan where scipy has nan, inf where it has inf


def test_empty_reduction_gives_minus_infinity():
    x = np.zeros((0, 3))
    check_same(jl.jit(lambda y: logsumexp(y, axis=0))(x), logsumexp(x, axis=0), 0)


# --- derivatives and vmap -----------------------------------------------------------------
EPS = 1e-6
W = rand(3, 4, seed=3)
SCALAR_CASES = {
    "softmax": lambda x, b: (softmax(x, axis=1) * W).sum(),
    "softmax_axes": lambda x, b: (softmax(x, axis=(0, 1)) * W).sum(),
    "log_softmax": lambda x, b: (log_softmax(x, axis=0) * W).sum(),
    "logsumexp": lambda x, b: logsumexp(x),
    "logsumexp_b": lambda x, b: (logsumexp(x, axis=0, b=np.abs(b)) * W[0]).sum(),
    "logsumexp_sign": lambda x, b: logsumexp(x, axis=(0, 1), b=b, return_sign=True)[0],
    "logsumexp_keepdims": lambda x, b: (logsumexp(x, axis=1, b=b, keepdims=True) * W[:, :1]).sum(),
}


def directional(f, args, directions):
    plus = f(*[a + EPS * d for a, d in zip(args, directions)])
    minus = f(*[a - EPS * d for a, d in zip(args, directions)])
    return (plus - minus) / (2 * EPS)


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_grad_matches_finite_differences(name):
    f = SCALAR_CASES[name]
    args = (rand(3, 4, seed=4), B + 3.0)  # weights whose sums stay well above 0
    grads = jl.jit(jl.grad(f, argnums=(0, 1)), backend="numpy")(*args)
    directions = (rand(3, 4, seed=5), rand(3, 4, seed=6))
    projected = sum(np.sum(g * d) for g, d in zip(grads, directions))
    np.testing.assert_allclose(projected, directional(f, args, directions), rtol=1e-6)


def test_grad_of_logsumexp_is_softmax_in_triton():
    x = rand(3, 4, seed=7).astype(np.float32)
    got = jl.jit(jl.grad(lambda y: logsumexp(y, axis=1).sum()), backend="triton")(x)
    np.testing.assert_allclose(host(got), softmax(x, axis=1), rtol=1e-5)


# Named regression: scipy's logsumexp also computes log(sum(b * exp(a))) unshifted and picks
# it with where() where its shifted result is not finite; reverse mode sent that branch a
# zero cotangent, and 0 / 0 (the sum underflows) or 0 * inf (exp overflows) made the whole
# gradient NaN. Cotangents below a select now carry its condition (ir/passes/autodiff.py).
EXTREME_ROWS = {
    "underflow": np.array([-800.0, -801.0, -802.0]),
    "overflow": np.array([800.0, 801.0, 799.5]),
    "float32 underflow": np.array([-120.0, -121.0, -119.0], np.float32),
    "float32 overflow": np.array([95.0, 96.5, 94.0], np.float32),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("backend", ["numpy", "triton"])
@pytest.mark.parametrize("name", sorted(EXTREME_ROWS))
def test_grad_of_logsumexp_at_extreme_ranges_is_softmax(name, backend):
    x = EXTREME_ROWS[name]
    got = host(jl.jit(jl.grad(lambda y: logsumexp(y)), backend=backend)(x))
    assert got.dtype == x.dtype
    rtol = 1e-12 if x.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, softmax(x), rtol=rtol)


VMAP_CASES = (
    (lambda r: softmax(r), 0),
    (lambda r: log_softmax(r, axis=0), 1),
    (lambda r: logsumexp(r, b=np.abs(B_ROW[:3])), 1),
    (lambda r: logsumexp(r, b=B_ROW, return_sign=True), 0),
)


@pytest.mark.parametrize("case", range(len(VMAP_CASES)))
def test_vmap_matches_loop_and_stack(case):
    fn, axis = VMAP_CASES[case]
    x = rand(3, 4, seed=8)
    rows = [fn(r) for r in np.moveaxis(x, axis, 0)]
    if isinstance(rows[0], tuple):  # logsumexp's (value, sign)
        want = tuple(np.stack(parts) for parts in zip(*rows))
    else:
        want = np.stack(rows)
    check_same(jl.jit(jl.vmap(fn, in_axes=axis))(x), want, 1e-12)


def test_vmap_of_grad_with_mapped_weights():
    x, b = rand(5, 4, seed=9), np.abs(rand(5, 4, seed=10)) + 0.1
    got = jl.vmap(jl.grad(lambda r, w: logsumexp(r, b=w)))(x, b)
    # d/dx log sum b e^x = b e^x / sum b e^x
    want = b * np.exp(x) / (b * np.exp(x)).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(host(got), want, rtol=1e-12)


# --- errors, and scipy unchanged ----------------------------------------------------------
def test_scalar_log_softmax_branches_on_the_value():
    # scipy's `elif not xp.isfinite(x_max)` for a 0-d input needs the traced value
    with pytest.raises(jl.ConcretizationError, match="_logsumexp.py"):
        jl.jit(lambda x: log_softmax(x[0]))(rand(3))


def test_shape_errors_are_scipy_s():
    x = rand(3, 4)
    with pytest.raises(ValueError) as eager:
        logsumexp(x, b=np.ones(3))
    with pytest.raises(ValueError) as jitted:
        jl.jit(lambda y: logsumexp(y, b=np.ones(3)))(x)
    assert str(jitted.value) == str(eager.value)


def test_untraced_calls_reach_scipy_unchanged():
    jl.jit(lambda x: softmax(x))(rand(3))  # a trace has wrapped scipy's array_namespace
    module = sys.modules["scipy.special._logsumexp"]
    x = rand(3, 4)
    assert module.array_namespace(x) is module.array_namespace.__wrapped__(x)
    exp = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(softmax(x, axis=1), exp / exp.sum(axis=1, keepdims=True))


def test_namespace_copies_when_asked():
    # scipy's x[mask] = value (array_api_extra's `at`) writes into xp.asarray(x, copy=True):
    # the write must not reach the caller's array, as jitlib writes arguments back
    def write_a_copy(x):
        xp = x.__array_namespace__()
        y = xp.asarray(x, copy=True)
        y[0] = 0.0
        return xp.sum(y), xp.astype(y, xp.float32)

    x = rand(3)
    before = x.copy()
    total, as_float32 = jl.jit(write_a_copy)(x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(host(total), before[1:].sum(), rtol=1e-12)
    assert host(as_float32).dtype == np.float32


def test_threads_trace_and_run_eagerly_at_once():
    errors = []

    def work(seed):
        try:
            x = rand(seed + 2, 3, seed=seed)
            for _ in range(3):
                got = jl.jit(lambda y: logsumexp(y, axis=0))(x)
                np.testing.assert_allclose(host(got), logsumexp(x, axis=0), rtol=1e-12)
        except Exception as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def test_array_api_route_without_wrapping_and_no_scipy_import():
    """With SCIPY_ARRAY_API=1 scipy asks x.__array_namespace__() itself: no wrapper needed.
    jitlib never imports scipy."""
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import jitlib as jl
        import jitlib.scipy_array_api

        jl.jit(lambda x: x + 1)(np.ones(2))
        assert not any(name.split(".")[0] == "scipy" for name in sys.modules)
        jitlib.scipy_array_api.SCIPY_MODULES = ()
        from scipy.special import logsumexp, softmax
        x = np.random.default_rng(0).standard_normal((3, 4))
        got = jl.jit(lambda y: (logsumexp(y, axis=1, return_sign=True), softmax(y)))(x)
        np.testing.assert_allclose(got[0][0], logsumexp(x, axis=1), rtol=1e-12)
        np.testing.assert_allclose(got[1], softmax(x), rtol=1e-12)
        module = sys.modules["scipy.special._logsumexp"]
        assert not hasattr(module.array_namespace, "answers_traced")
        """
    )
    env = dict(os.environ, SCIPY_ARRAY_API="1", JITLIB_BACKEND="numpy")
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
