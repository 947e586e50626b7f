"""Type and shape questions about traced arrays (result_type, can_cast, min_scalar_type,
common_type, broadcast_shapes, shares_memory, ...), answered inside the trace as eager
numpy answers them; and the clear errors where numpy's answer needs the data."""

import numpy as np
import pytest

import jitlib as jl
import jitlib.numpy as jnp

F32 = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
I32 = np.arange(6, dtype=np.int32).reshape(2, 3)


def answers_inside_jit(question, *args):
    """question(*args) asked inside a trace (the arguments traced) and eagerly."""
    seen = []

    def f(*xs):
        seen.append(question(*xs))
        return xs[0]

    jl.jit(f)(*args)
    return seen[0], question(*args)


@pytest.mark.parametrize(
    "question",
    [
        lambda x, y: np.result_type(x, y),
        lambda x, y: np.result_type(x, np.int64, 1.0),
        lambda x, y: np.can_cast(x, np.float64),
        lambda x, y: np.can_cast(y, np.int16, casting="same_kind"),
        lambda x, y: np.min_scalar_type(x),
        lambda x, y: np.common_type(x, y),
        lambda x, y: np.common_type(y),
    ],
)
def test_dtype_questions_match_numpy(question):
    traced, eager = answers_inside_jit(question, F32, I32)
    assert traced == eager


def test_result_type_of_a_python_scalar_argument_is_weak():
    traced, _ = answers_inside_jit(lambda x, s: np.result_type(x, s), F32, 2.0)
    assert traced == np.float32


def test_min_scalar_type_of_a_0d_traced_array_is_refused():
    with pytest.raises(jl.UnsupportedError, match="depends on its value"):
        jl.jit(lambda x: x * 0 + (np.min_scalar_type(x) == np.uint8))(np.float64(3.0))


def test_broadcast_shapes_stays_symbolic():
    def f(x, y):
        shape = jnp.broadcast_shapes(x.shape, (1, y.shape[0]), ())
        return jnp.zeros(shape) + x

    jitted = jl.jit(f)
    for n, m in ((3, 4), (5, 7)):
        x = np.ones((n, 1))
        np.testing.assert_array_equal(jitted(x, np.ones(m)), np.zeros((n, m)) + x)
    assert jitted.cache_info().misses == 1  # no guard on the sizes
    with pytest.raises(jl.JitError, match="broadcast_shapes"):
        jl.jit(lambda x: jnp.zeros(jnp.broadcast_shapes(x.shape, (5,))))(np.ones(3))


def test_broadcast_shapes_as_numpy_wrote_it_guards():
    jitted = jl.jit(lambda x: jnp.zeros(np.broadcast_shapes(x.shape, (1, 4))) + x)
    np.testing.assert_array_equal(jitted(np.ones((3, 1))), np.ones((3, 4)))


def test_shares_memory_follows_views():
    def f(x):
        y = x * 2.0
        view = y[1:]
        answers = (
            np.shares_memory(x, x),
            np.shares_memory(y, view),
            np.may_share_memory(y.T, y),
            np.shares_memory(x, y),
            np.may_share_memory(view, x[0]),
        )
        assert answers == (True, True, True, False, False), answers
        return y

    jl.jit(f)(F32)


def test_shares_memory_refuses_what_tracing_cannot_know():
    with pytest.raises(jl.UnsupportedError, match="caller may pass the same array"):
        jl.jit(lambda x, y: x + np.shares_memory(x, y))(F32, F32)
    with pytest.raises(jl.UnsupportedError, match="two parts of one traced array"):
        jl.jit(lambda x: x + np.shares_memory(x[0], x[1]))(F32)


def test_apply_over_axes_matches_numpy():
    def f(x):
        return np.apply_over_axes(np.sum, x, [0, -1]) + np.apply_over_axes(np.mean, x, 1)

    np.testing.assert_allclose(jl.jit(f)(F32), f(F32), rtol=1e-6)
    np.testing.assert_allclose(
        jl.vmap(f)(np.stack([F32, F32 * 2])[:, None]),
        np.stack([f(F32[None]), f(2 * F32[None])]),
        rtol=1e-5,
    )


def test_isfortran_is_not_traced():
    """np.isfortran reads `.flags`, which a traced array does not have (see the coverage
    page); the error names it."""
    with pytest.raises(jl.UnsupportedError, match="flags"):
        jl.jit(lambda x: x + np.isfortran(x))(F32)
