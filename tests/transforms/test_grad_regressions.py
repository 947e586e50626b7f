"""Derivatives that were silently wrong, kept by name once fixed, each on both backends
against the exact derivative (the walker in test_op_rules.py checks the classes):

- integer operands that are not differentiated (a mask, a count): the divide rule took the
  reciprocal in integers, so 1/2 was 0 and a masked mean's gradient was all zeros;
- x ** 0.0 and x ** 1.0 at 0: a masked 0 * inf made the next derivative nan;
- std over an axis of size 1 (identically 0): sqrt's infinite derivative times 0 was nan.
"""

import numpy as np
import pytest

import jitlib as jl

BACKENDS = ("numpy", "triton")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def mask(shape, dtype, seed=1):
    """A random mask with zeros and ones both present."""
    m = np.random.default_rng(seed).random(shape) < 0.5
    m.flat[:2] = [True, False]
    return m.astype(dtype)


def grad(fn, backend, argnums=0):
    return jl.jit(jl.grad(fn, argnums=argnums), backend=backend)


# --- integer operands -------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_])
def test_masked_mean(dtype, backend):
    x, m = rand(7), mask(7, dtype)
    got = grad(lambda x: (x * m).sum() / m.sum(), backend)(x)
    np.testing.assert_allclose(got, m / m.sum(), rtol=1e-12)
    # the mask as an argument of the gradient, rather than a constant
    got = grad(lambda x, m: (x * m).sum() / m.sum(), backend)(x, m)
    np.testing.assert_allclose(got, m / m.sum(), rtol=1e-12)


COUNTS = {
    "numpy_int64": lambda: np.int64(3),
    "numpy_int32": lambda: np.int32(3),
    "python_int": lambda: 3,
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("count", COUNTS.values(), ids=COUNTS.keys())
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_divide_by_a_count(count, dtype, backend):
    x, ct = rand(5, dtype=dtype), rand(5, seed=2)
    n = count()
    got = grad(lambda x: (ct * (x / n)).sum(), backend)(x)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ct / 3, rtol=1e-6)
    # the count as an argument: a Python int is a weak traced scalar
    got = grad(lambda x, n: (ct * (x / n)).sum(), backend)(x, n)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ct / 3, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_divide_by_an_int_array(dtype, backend):
    rng = np.random.default_rng(3)
    x, ct = rand((2, 4)), rand((2, 4), seed=4)
    counts = (rng.integers(1, 6, 4) * rng.choice([-1, 1], 4)).astype(dtype)
    got = grad(lambda x: (ct * (x / counts)).sum(), backend)(x)
    np.testing.assert_allclose(got, ct / counts, rtol=1e-12)
    got = grad(lambda x: (ct * (counts / x)).sum(), backend)(x)
    np.testing.assert_allclose(got, -ct * counts / x**2, rtol=1e-12)
    _, tangent = jl.jvp(lambda x: x / counts, (x,), (ct,))
    np.testing.assert_allclose(tangent, ct / counts, rtol=1e-12)


# --- x ** y where x = 0 -------------------------------------------------------------------------
def _derivatives(y, order: int):
    """The first `order` derivatives of x ** y, each a function of x."""
    fns, fn = [], lambda x: x**y
    for _ in range(order):
        fn = jl.grad(fn)
        fns.append(fn)
    return fns


def _exact(y: float, k: int, x: float) -> float:
    """d^k/dx^k x^y = y (y-1) ... (y-k+1) x^(y-k), which is 0 when the product is."""
    factor = float(np.prod([y - i for i in range(k)]))
    return 0.0 if factor == 0 else factor * x ** (y - k)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("y", [0.0, 0, 1.0, 2.0, 3.0])
def test_power_derivatives_at_zero(y, backend):
    """x ** 0.0 is constant and x ** 1.0 is linear: every derivative at 0 is finite."""
    for k, fn in enumerate(_derivatives(y, 3), start=1):
        assert jl.jit(fn, backend=backend)(0.0) == _exact(y, k, 0.0), (y, k)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("y", [0.0, 1.0, 2.5, -1.5])
def test_power_derivatives_away_from_zero(y, backend):
    x = float(np.random.default_rng(5).uniform(0.5, 2.0))
    for k, fn in enumerate(_derivatives(y, 3), start=1):
        assert jl.jit(fn, backend=backend)(x) == pytest.approx(_exact(y, k, x), rel=1e-12)


# --- std and var over an axis of size 1 ---------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", [np.std, np.var], ids=["std", "var"])
def test_std_over_an_axis_of_size_one(reduce, backend):
    x = np.random.default_rng(6).random((3, 1))
    got = grad(lambda x: reduce(x, axis=1).sum(), backend)(x)
    np.testing.assert_array_equal(got, np.zeros((3, 1)))
    assert jl.jit(lambda x: reduce(x, axis=1), backend=backend)(x).tolist() == [0.0] * 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_std_gradient_elsewhere_is_unchanged(backend):
    x = rand((3, 4), seed=7)
    got = grad(lambda x: np.std(x, axis=1).sum(), backend)(x)
    centered = x - x.mean(axis=1, keepdims=True)
    want = centered / (4 * np.std(x, axis=1, keepdims=True))
    np.testing.assert_allclose(got, want, rtol=1e-12)
