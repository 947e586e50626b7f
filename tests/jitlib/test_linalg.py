"""numpy.linalg under jit where the op-case table cannot look: singular matrices raise
numpy's LinAlgError on both backends, unsupported arguments are refused with a JitError,
and the Cholesky gradient is the symmetric one."""

import numpy as np
import pytest

import jitlib as jl
import jitlib.numpy as jnp

SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])


def _solve_row(a):
    return np.linalg.solve(a, a[0])


@pytest.mark.parametrize("backend", ["numpy", "triton"])
@pytest.mark.parametrize("fn", [np.linalg.inv, _solve_row, np.linalg.cholesky])
def test_singular_matrices_raise_numpys_error(fn, backend):
    with pytest.raises(np.linalg.LinAlgError):
        fn(SINGULAR)
    with pytest.raises(np.linalg.LinAlgError):
        jl.jit(fn, backend=backend)(SINGULAR)


REFUSED = {
    "float16": (lambda a: np.linalg.inv(a.astype(np.float16)), jl.UnsupportedError),
    "traced_power": (lambda a: np.linalg.matrix_power(a, a[0, 0]), jl.UnsupportedError),
    "vecdot_keepdims": (lambda a: np.vecdot(a, a, keepdims=True), jl.UnsupportedError),
    "not_square": (lambda a: np.linalg.det(a[:, :2]), jl.ShapeMismatchError),
    "solve_rows": (lambda a: np.linalg.solve(a, np.ones(4)), jl.ShapeMismatchError),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_a_jit_error(name):
    fn, error = REFUSED[name]
    a = np.random.default_rng(0).standard_normal((3, 3)) + 3 * np.eye(3)
    with pytest.raises(error):
        jl.jit(fn)(a)


def test_cholesky_gradient_is_symmetric_and_matches_symmetric_differences():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 4))
    a = x @ x.T + 4 * np.eye(4)
    weights = rng.standard_normal((4, 4))

    def loss(a):
        return (np.linalg.cholesky(a) * weights).sum()

    grad = jl.grad(loss)(a)
    np.testing.assert_allclose(grad, grad.T, rtol=1e-12, atol=1e-12)
    direction = rng.standard_normal((4, 4))
    direction = direction + direction.T  # numpy's cholesky reads the lower triangle alone
    h = 1e-6
    numeric = (loss(a + h * direction) - loss(a - h * direction)) / (2 * h)
    assert float(np.vdot(grad, direction)) == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_jitlib_numpy_linalg_has_numpys_names():
    a = np.random.default_rng(2).standard_normal((2, 3, 3)) + 3 * np.eye(3)
    np.testing.assert_allclose(jnp.linalg.solve(a, a[0, 0]), np.linalg.solve(a, a[0, 0]))
    got = jl.jit(lambda a: jnp.linalg.det(a) * jnp.linalg.norm(a, np.inf, axis=(1, 2)))(a)
    np.testing.assert_allclose(got, np.linalg.det(a) * np.linalg.norm(a, np.inf, axis=(1, 2)))
