"""Property tests: random shapes (with 0- and 1-sized dims) through elementwise chains and
reductions agree with numpy, and a second shape of the same signature reuses the trace."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import jitlib as jl

dims = st.sampled_from([0, 1, 2, 3, 5])
shapes = st.lists(dims, min_size=0, max_size=3).map(tuple)


def _broadcastable(shape: tuple, draw) -> tuple:
    """A shape that broadcasts against `shape`: a suffix with some dims set to 1."""
    keep = draw(st.integers(0, len(shape)))
    suffix = shape[len(shape) - keep :]
    return tuple(1 if draw(st.booleans()) else d for d in suffix)


@st.composite
def operands(draw):
    shape = draw(shapes)
    other = _broadcastable(shape, draw)
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.standard_normal(other).astype(np.float32) + 2.0
    return x, y


def chain(x, y):
    z = np.tanh(x * y + 0.5) - y / 3.0
    return np.maximum(z, x) * z, np.exp(-np.abs(z))


@settings(max_examples=60, deadline=None)
@given(operands())
def test_elementwise_chains_match_numpy(pair):
    x, y = pair
    for got, want in zip(jl.jit(chain)(x, y), chain(x, y)):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(operands(), st.booleans())
def test_reductions_match_numpy(pair, keepdims):
    x, _ = pair
    if x.ndim == 0 or 0 in x.shape:
        x = np.ones((2, 3), np.float32) * np.arange(3, dtype=np.float32)
    axis = -1

    def f(x):
        centered = x - x.mean(axis=axis, keepdims=True)
        return centered.sum(axis=axis, keepdims=keepdims), x.max(axis=axis, keepdims=keepdims)

    for got, want in zip(jl.jit(f)(x), f(x)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(2, 40), min_size=2, max_size=5, unique=True))
def test_distinct_batch_sizes_of_one_signature_trace_once(batches):
    jitted = jl.jit(lambda x, w: np.tanh(x @ w).sum(axis=-1))
    w = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)
    batches = [b for b in batches if b not in (3, 7)]  # equal to a weight dim: another signature
    for batch in batches:
        x = np.random.default_rng(batch).standard_normal((batch, 7)).astype(np.float32)
        np.testing.assert_allclose(jitted(x, w), np.tanh(x @ w).sum(axis=-1), rtol=1e-5)
    assert jitted.cache_info().misses == (1 if batches else 0)
