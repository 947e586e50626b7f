"""ufunc methods and scipy.special beyond the op-case table: what is refused (and how),
numpy's errors kept, second derivatives through digamma, tails of expit and log_ndtr."""

import numpy as np
import pytest

import jitlib as jl

sp = pytest.importorskip("scipy.special")


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda x: np.add.reduce(x, out=np.zeros(4)), "add.reduce with out="),
        (lambda x: np.add.reduce(x, initial=x[0, 0]), "traced initial="),
        (lambda x: np.add.accumulate(x, out=x), "add.accumulate with out="),
        (lambda x: np.add.reduceat(x, (x[0] > 0).astype(int)), "traced indices"),
        (lambda x: sp.beta.outer(x, x), "scipy.special.beta.outer is not supported"),
        (lambda x: sp.erf(x, out=x), "scipy.special.erf with out="),
        (lambda x: sp.gamma(x), "scipy.special.gamma is not supported"),
    ],
)
def test_refused_clearly(fn, words):
    with pytest.raises(jl.UnsupportedError, match=words.replace(".", r"\.")):
        jl.jit(fn)(rand((3, 4)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: np.subtract.reduce(x, axis=(0, 1)),  # not reorderable
        lambda x: np.maximum.reduce(x, where=x > 0),  # no identity, no initial
        lambda x: np.sqrt.reduce(x),  # not binary
        lambda x: np.maximum.reduce(x[:0], axis=0),  # empty, no identity
    ],
)
def test_numpy_errors_are_kept(fn):
    x = rand((3, 4))
    with pytest.raises(ValueError) as eager:
        fn(x)
    with pytest.raises(ValueError) as jitted:
        jl.jit(fn)(x)
    assert str(jitted.value) == str(eager.value)


def test_fold_serves_every_size_with_one_trace():
    jitted = jl.jit(lambda x: np.subtract.reduce(x, axis=0))
    for n in (3, 7, 2):
        x = rand((n, 5), seed=n)
        np.testing.assert_array_equal(jitted(x), np.subtract.reduce(x, axis=0))
    assert jitted.cache_info().misses == 1


def test_second_derivative_of_gammaln_is_trigamma():
    x = np.array([0.7, 1.5, 4.0])
    grad2 = jl.grad(lambda y: jl.grad(lambda z: sp.gammaln(z).sum())(y).sum())(x)
    np.testing.assert_allclose(grad2, sp.polygamma(1, x), rtol=1e-12)
    third = jl.grad(lambda y: jl.grad(lambda z: sp.digamma(z).sum())(y).sum())(x)
    np.testing.assert_allclose(third, sp.polygamma(2, x), rtol=1e-12)


def test_expit_and_log_ndtr_stay_finite_in_the_tails():
    x = np.array([-800.0, -40.0, -1.0, 0.0, 3.0, 40.0, 800.0])
    np.testing.assert_allclose(jl.jit(sp.expit)(x), sp.expit(x), rtol=1e-12, atol=0)
    np.testing.assert_allclose(jl.jit(sp.log_ndtr)(x), sp.log_ndtr(x), rtol=1e-10)
    grad = jl.grad(lambda y: sp.log_ndtr(y).sum())(x)
    # d log Phi = phi / Phi, which tends to -x in the lower tail and to 0 in the upper
    assert np.all(np.isfinite(grad)) and grad[0] == pytest.approx(800.0, rel=1e-5)
