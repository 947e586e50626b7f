"""jl.custom_vjp and jl.custom_jvp: the user's rule is what the transforms use."""

import numpy as np
import pytest

import jitlib as jl

RNG = np.random.default_rng(11)


def stable_logsumexp(x):
    peak = np.max(x, axis=-1, keepdims=True)
    return np.log(np.sum(np.exp(x - peak), axis=-1)) + peak[..., 0]


@jl.custom_vjp
def logsumexp(x):
    return stable_logsumexp(x)


def _lse_fwd(x):
    out = stable_logsumexp(x)
    return out, (x, out)


def _lse_bwd(residuals, ct):
    x, out = residuals
    return (ct[..., None] * np.exp(x - out[..., None]),)


logsumexp.defvjp(_lse_fwd, _lse_bwd)


@jl.custom_jvp
def softplus(x):
    return np.log1p(np.exp(x))


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t / (1.0 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_custom_vjp_values_and_gradient():
    x = RNG.standard_normal((4, 5))
    np.testing.assert_allclose(jl.jit(logsumexp)(x), stable_logsumexp(x))
    g = jl.grad(lambda x: (logsumexp(x) * np.arange(1.0, 5.0)).sum())(x)
    np.testing.assert_allclose(g, softmax(x) * np.arange(1.0, 5.0)[:, None], rtol=1e-12)


def test_custom_vjp_rule_is_used_where_plain_autodiff_overflows():
    x = np.array([1000.0, 0.0, -1000.0])

    def naive(x):
        return np.log(np.sum(np.exp(x)))

    @jl.custom_vjp
    def lse(x):
        return naive(x - 1000.0) + 1000.0

    lse.defvjp(lambda x: (lse(x), x), lambda x, ct: (ct * softmax(x),))
    np.testing.assert_allclose(jl.grad(lse)(x), softmax(x))
    with np.errstate(all="ignore"):
        assert np.isnan(jl.grad(naive)(x)).any()  # what the rule saves us from


def test_custom_vjp_rule_drives_the_gradient():
    """A rule that deliberately differs from the true derivative (gradient clipping):
    the gradient is the rule's, not the function's."""

    @jl.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda _, ct: (np.clip(ct, -1.0, 1.0),))
    x = RNG.standard_normal(6)
    scale = np.array([0.5, -3.0, 2.0, 0.1, -0.2, 7.0])
    g = jl.grad(lambda x: (scale * clip_gradient(x)).sum())(x)
    np.testing.assert_array_equal(g, np.clip(scale, -1.0, 1.0))


def test_custom_vjp_under_vmap_jit_and_second_order():
    xs = RNG.standard_normal((3, 5))
    per_row = jl.jit(jl.vmap(jl.grad(logsumexp)))(xs)
    np.testing.assert_allclose(per_row, softmax(xs), rtol=1e-12)
    # the Hessian of logsumexp is diag(p) - p p^T: grad of the rule (which is plain IR)
    x = xs[0]
    h = jl.jacfwd(jl.grad(logsumexp))(x)
    p = softmax(x)
    np.testing.assert_allclose(h, np.diag(p) - np.outer(p, p), atol=1e-12)


def test_custom_jvp_forward_and_reverse():
    x = RNG.standard_normal(7) * 3
    expected = 1.0 / (1.0 + np.exp(-x))
    _, t = jl.jvp(softplus, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t, expected, rtol=1e-12)
    g = jl.grad(lambda x: softplus(x).sum())(x)  # reverse mode transposes the jvp rule
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    np.testing.assert_allclose(jl.vmap(jl.grad(softplus))(x), expected, rtol=1e-12)


def test_custom_jvp_rule_avoids_overflow():
    assert float(jl.grad(softplus)(800.0)) == 1.0  # exp(800) overflows in the naive form


def test_custom_functions_run_eagerly_without_a_trace():
    x = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(logsumexp(x), stable_logsumexp(x))
    np.testing.assert_allclose(softplus(x), np.log1p(np.exp(x)))


def test_generated_code_holds_the_body_not_the_call():
    x = RNG.standard_normal((2, 3))
    text = jl.jit(jl.grad(lambda x: logsumexp(x).sum())).lower(x).as_text()
    assert "custom_vjp_call" not in text and "exp" in text
    raw = jl.make_ir(lambda x: logsumexp(x))(x).as_text()
    assert "custom_vjp_call" in raw


def test_rule_errors():
    @jl.custom_vjp
    def f(x):
        return x * 2.0

    with pytest.raises(jl.TransformError, match="defvjp"):
        jl.grad(lambda x: f(x).sum())(np.ones(2) * 0.5)
    f.defvjp(lambda x: (x * 2.0, None), lambda _, ct: (ct, ct))
    with pytest.raises(jl.TransformError, match="one cotangent per argument"):
        jl.grad(lambda x: f(x).sum())(np.ones(2) * 0.5)

    w = np.array([0.3, 0.7])

    def closes_over(x, w):
        @jl.custom_vjp
        def g(x):
            return x * w

        g.defvjp(lambda x: (x * w, None), lambda _, ct: (ct * w,))
        return g(x).sum()

    with pytest.raises(jl.TransformError, match="closure"):
        jl.grad(closes_over, argnums=1)(np.ones(2) * 0.5, w)
