"""jl.stop_gradient: x itself forward, a zero derivative under grad, jvp, vjp and their
compositions, kept by vmap and jit, on both backends (Triton's kernels in its interpreter),
and nothing at all in eager numpy or in the generated code."""

import numpy as np
import pytest

import ir
import jitlib as jl

BACKENDS = ["numpy", "triton"]


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.fixture(params=BACKENDS, autouse=True)
def backend(request, monkeypatch):
    """Transforms called without jl.jit compile on the default backend: set it."""
    monkeypatch.setenv("JITLIB_BACKEND", request.param)
    return request.param


def half_stopped(x):
    """sum(x * stop_gradient(x)): value sum(x^2), gradient x (not 2x)."""
    return (x * jl.stop_gradient(x)).sum()


def logsumexp(x):
    top = jl.stop_gradient(x.max(axis=-1, keepdims=True))
    return np.log(np.exp(x - top).sum(axis=-1)) + top[..., 0]


# --- eager: a no-op ---------------------------------------------------------------------------
def test_eager_returns_its_argument_itself():
    x = rand(3, 4)
    assert jl.stop_gradient(x) is x
    tree = {"a": x, "b": (2.5, np.arange(3))}
    out = jl.stop_gradient(tree)
    assert out["a"] is x and out["b"][0] == 2.5 and out["b"][1] is tree["b"][1]
    np.testing.assert_allclose(logsumexp(x), np.log(np.exp(x).sum(axis=-1)), rtol=1e-14)


# --- values under jit and vmap ------------------------------------------------------------------
def test_jit_keeps_the_value_and_generated_code_has_no_trace_of_it(backend):
    x = rand(5, 7)
    jitted = jl.jit(logsumexp, backend=backend)
    np.testing.assert_allclose(jitted(x), logsumexp(x), rtol=1e-12)
    assert "stop_gradient" in ir.as_text(jl.make_ir(logsumexp)(x).ir)
    assert "stop_gradient" not in jitted.lower(x).as_text()


def test_vmap_matches_loop_and_stack():
    xs = rand(4, 5, 3)
    batched = jl.vmap(logsumexp)(xs)
    np.testing.assert_allclose(batched, np.stack([logsumexp(x) for x in xs]), rtol=1e-12)
    grads = jl.vmap(jl.grad(half_stopped))(xs)
    np.testing.assert_allclose(grads, xs, rtol=1e-12)


def test_vmap_of_a_stopped_closure_over_unbatched_values():
    w, xs = rand(3), rand(4, 3, seed=1)
    out = jl.vmap(lambda x: (x * jl.stop_gradient(w)).sum())(xs)
    np.testing.assert_allclose(out, xs @ w, rtol=1e-12)


# --- derivatives ----------------------------------------------------------------------------
def test_grad_treats_it_as_a_constant(backend):
    x = rand(3, 4)
    np.testing.assert_allclose(jl.grad(half_stopped)(x), x, rtol=1e-12)
    jitted = jl.jit(jl.grad(half_stopped), backend=backend)
    np.testing.assert_allclose(jitted(x), x, rtol=1e-12)
    np.testing.assert_array_equal(jl.grad(lambda x: jl.stop_gradient(x).sum())(x), 0.0 * x)


def test_jvp_and_vjp():
    x, t, ct = rand(6), rand(6, seed=1), rand(6, seed=2)
    out, tangent = jl.jvp(lambda x: x * jl.stop_gradient(x), (x,), (t,))
    np.testing.assert_allclose(out, x * x, rtol=1e-12)
    np.testing.assert_allclose(tangent, t * x, rtol=1e-12)
    out, pull = jl.vjp(lambda x: np.sin(jl.stop_gradient(x)) + x, x)
    np.testing.assert_allclose(out, np.sin(x) + x, rtol=1e-12)
    np.testing.assert_allclose(pull(ct)[0], ct, rtol=1e-12)


def test_second_derivatives_stop_too():
    # f(x) = x^2 * stop(x): f' = 2 x * stop(x), f'' = 2 stop(x) (x^3 would give 6 x)
    f = lambda x: x * x * jl.stop_gradient(x)  # noqa: E731
    np.testing.assert_allclose(jl.grad(jl.grad(f))(1.5), 3.0, rtol=1e-12)
    # the gradient of sum(x * stop(x)) is stop(x) itself: a constant, as in JAX
    np.testing.assert_array_equal(jl.hessian(half_stopped)(rand(3)), np.zeros((3, 3)))


def test_shift_invariant_logsumexp_matches_finite_differences(backend):
    """The row maximum only shifts: a gradient that skips it is still the gradient."""
    x, direction = rand(4, 6), rand(4, 6, seed=3)
    loss = lambda x: (logsumexp(x) * np.arange(1.0, 5.0)).sum()  # noqa: E731
    grad = jl.jit(jl.grad(loss), backend=backend)(x)
    h = 1e-6
    numeric = (loss(x + h * direction) - loss(x - h * direction)) / (2 * h)
    np.testing.assert_allclose(np.vdot(grad, direction), numeric, rtol=1e-7)


def test_integers_and_python_numbers_pass_through():
    def f(x, n):
        return x * jl.stop_gradient(n) + jl.stop_gradient(2.0)

    x, n = rand(3), np.arange(3)
    np.testing.assert_allclose(jl.jit(f)(x, n), x * n + 2.0)
    np.testing.assert_allclose(jl.grad(lambda x: f(x, n).sum())(x), n.astype(float))


# --- writes: the result is x itself, as in eager numpy ---------------------------------------
def writes(x):
    x = x.copy()
    y = jl.stop_gradient(x)
    y[0] = 5.0  # reaches x
    x[1] = 7.0  # reaches y
    return x * 2.0, y + 1.0


def test_a_write_to_either_reaches_the_other(backend):
    x = rand(4)
    expected = writes(x)
    got = jl.jit(writes, backend=backend)(x)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
