"""Composites written as plain user numpy code under jl.jit, against eager numpy; and the
jitlib.numpy creation functions inside and outside jit."""

import numpy as np
import pytest

import jitlib as jl
import jitlib.numpy as jnp

TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def logsumexp(x):
    m = np.max(x, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True)))[..., 0]


def layernorm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def rmsnorm(x, gamma, eps=1e-6):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * gamma


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x**3)))


def cross_entropy(logits, labels):
    n = logits.shape[0]
    m = logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0]
    return np.mean(lse - logits[np.arange(n), labels])


def adam(p, g, m, v, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, t=3):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def attention(q, k, v):
    scores = q @ k.T / np.sqrt(q.shape[-1])
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ v


def inputs(name, dtype, rows=6, seed=0):
    rng = np.random.default_rng(seed)

    def r(*shape):
        return rng.standard_normal(shape).astype(dtype)

    width = 16
    return {
        "softmax": (r(rows, width) * 3,),
        "logsumexp": (r(rows, width) * 3,),
        "layernorm": (r(rows, width), r(width), r(width)),
        "rmsnorm": (r(rows, width), r(width)),
        "gelu": (r(rows, width) * 2,),
        "cross_entropy": (r(rows, width), rng.integers(0, width, rows)),
        "adam": (r(rows, 3), r(rows, 3), r(rows, 3), np.abs(r(rows, 3))),
        "attention": (r(rows, 8), r(rows + 1, 8), r(rows + 1, 4)),
    }[name]


COMPOSITES = [softmax, logsumexp, layernorm, rmsnorm, gelu, cross_entropy, adam, attention]


def assert_matches_numpy(got, want, dtype):
    got_leaves, got_tree = jl.tree_flatten(got)
    want_leaves, want_tree = jl.tree_flatten(want)
    assert got_tree == want_tree
    for g, w in zip(got_leaves, want_leaves):
        w = np.asarray(w)
        assert isinstance(g, np.ndarray)
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("fn", COMPOSITES, ids=lambda f: f.__name__)
def test_composite_matches_numpy(fn, dtype):
    jf = jl.jit(fn)
    for rows, seed in [(6, 0), (9, 1)]:
        args = inputs(fn.__name__, dtype, rows, seed)
        assert_matches_numpy(jf(*args), fn(*args), dtype)


@pytest.mark.parametrize(
    "fn", [softmax, layernorm, gelu, adam, attention], ids=lambda f: f.__name__
)
def test_composite_serves_new_row_counts_without_retracing(fn):
    jf = jl.jit(fn)
    for rows in (6, 9, 13):
        jf(*inputs(fn.__name__, np.float32, rows))
    assert jf.cache_info() == (2, 1, 1)


def test_attention_scale_follows_numpy_promotion():
    # np.sqrt(int) is a strong float64 scalar in numpy 2, so float32 scores become float64
    q, k, v = inputs("attention", np.float32)
    assert jl.jit(attention)(q, k, v).dtype == attention(q, k, v).dtype == np.float64


def cross_entropy_symbolic(logits, labels):
    rows = jnp.arange(logits.shape[0])  # jnp.arange stays symbolic; np.arange is concrete
    m = logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0]
    return np.mean(lse - logits[rows, labels])


def test_cross_entropy_with_jnp_arange_traces_once():
    jf = jl.jit(cross_entropy_symbolic)
    for rows in (6, 9, 13):
        args = inputs("cross_entropy", np.float32, rows, seed=rows)
        assert_matches_numpy(jf(*args), cross_entropy(*args), np.float32)
    assert jf.cache_info().misses == 1


def test_cross_entropy_with_np_arange_guards_the_row_count():
    jf = jl.jit(cross_entropy)
    for rows in (6, 9, 6):
        args = inputs("cross_entropy", np.float32, rows, seed=rows)
        assert_matches_numpy(jf(*args), cross_entropy(*args), np.float32)
    assert jf.cache_info() == (1, 2, 2)


def test_gather_out_of_range_label_raises_like_numpy():
    logits, labels = inputs("cross_entropy", np.float32)
    labels = labels.copy()
    labels[2] = 99
    with pytest.raises(IndexError):
        jl.jit(cross_entropy)(logits, labels)


# --- jitlib.numpy creation -----------------------------------------------------------------


CREATIONS = [
    ("zeros", lambda: jnp.zeros((2, 3)), lambda: np.zeros((2, 3))),
    ("zeros_i32", lambda: jnp.zeros(4, np.int32), lambda: np.zeros(4, np.int32)),
    ("ones", lambda: jnp.ones((3,), np.float32), lambda: np.ones((3,), np.float32)),
    ("full_int", lambda: jnp.full((2, 2), 7), lambda: np.full((2, 2), 7)),
    ("full_float", lambda: jnp.full((2,), -2.5), lambda: np.full((2,), -2.5)),
    ("full_bool", lambda: jnp.full((3,), True), lambda: np.full((3,), True)),
    ("arange", lambda: jnp.arange(5), lambda: np.arange(5)),
    ("arange_step", lambda: jnp.arange(1, 10, 3), lambda: np.arange(1, 10, 3)),
    ("arange_float", lambda: jnp.arange(0.0, 1.0, 0.25), lambda: np.arange(0.0, 1.0, 0.25)),
    ("eye", lambda: jnp.eye(3), lambda: np.eye(3)),
    ("eye_rect", lambda: jnp.eye(3, 4, k=1, dtype=np.float32), lambda: np.eye(3, 4, 1, np.float32)),
]


def assert_same_array(got, want):
    assert isinstance(got, np.ndarray)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "make, expected", [c[1:] for c in CREATIONS], ids=[c[0] for c in CREATIONS]
)
def test_creation_outside_jit_is_numpy(make, expected):
    assert_same_array(make(), expected())


@pytest.mark.parametrize(
    "make, expected", [c[1:] for c in CREATIONS], ids=[c[0] for c in CREATIONS]
)
def test_creation_inside_jit_matches_numpy(make, expected):
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    assert_same_array(jl.jit(lambda x: make())(x), expected())


def test_creation_with_traced_sizes():
    def fn(x):
        rows, cols = x.shape
        return (
            x
            + jnp.zeros((rows, cols), np.float32)
            + jnp.ones((cols,), np.float32)
            + jnp.full((rows, 1), 2.5, np.float32)
            + jnp.eye(rows, cols, dtype=np.float32)
            + jnp.arange(cols).astype(np.float32)
        )

    jf = jl.jit(fn)
    for rows, cols in [(3, 4), (5, 2), (4, 7)]:
        x = np.random.default_rng(rows).standard_normal((rows, cols)).astype(np.float32)
        want = x + 1.0 + 2.5 + np.eye(rows, cols, dtype=np.float32) + np.arange(cols)
        assert_same_array(jf(x), want.astype(np.float32))
    assert jf.cache_info().misses == 1


def test_like_functions_inside_jit():
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    out = jl.jit(
        lambda x: jnp.zeros_like(x) + jnp.ones_like(x, dtype=np.int32) * jnp.full_like(x, 2)
    )(x)
    assert_same_array(out, np.zeros_like(x) + np.ones_like(x, dtype=np.int32) * np.full_like(x, 2))
