"""The transformer training step (benchmarks/training.py) at the tiny size: jitlib's
value_and_grad of the loss and the hand-written backward pass eager numpy times, against
float64 central differences; JAX's value_and_grad against the hand-written step; one trace
serves every batch size."""

import numpy as np
import pytest

import jitlib as jl
from benchmarks import training
from benchmarks.workloads import BY_NAME, SIZES, TRANSFORMER

WORKLOAD = BY_NAME["transformer_train_step"]
LAYERS = TRANSFORMER["tiny"][3]
# the weights' names in `training.transformer_weights` order, for failure messages
NAMES = [*training.GLOBAL_KEYS]
NAMES += [f"layers[{i}].{key}" for i in range(LAYERS) for key in training.LAYER_KEYS]


def _tiny_inputs(seed: int) -> tuple:
    tokens, targets, *weights = WORKLOAD.make_inputs("tiny", np.random.default_rng(seed))
    return tokens, targets, weights


def _loss64(weights: list, tokens, targets) -> float:
    params = training.transformer_params([w.astype(np.float64) for w in weights])
    return float(training.transformer_loss(params, tokens, targets))


def _central_differences(weights: list, tokens, targets, index: int, coords) -> np.ndarray:
    """d loss / d weights[index][coord] for each coord, in float64 with step 1e-6."""
    weights = [w.astype(np.float64) for w in weights]
    slopes = []
    for coord in coords:
        plus, minus = [w.copy() for w in weights], [w.copy() for w in weights]
        plus[index][coord] += 1e-6
        minus[index][coord] -= 1e-6
        slopes.append((_loss64(plus, tokens, targets) - _loss64(minus, tokens, targets)) / 2e-6)
    return np.array(slopes)


def _check_against_differences(loss, grads, inputs: tuple, rtol: float) -> None:
    """The loss, and three random coordinates of every gradient leaf (in `weights` order)."""
    tokens, targets, weights = inputs
    assert len(grads) == len(weights) == len(NAMES)
    np.testing.assert_allclose(loss, _loss64(weights, tokens, targets), rtol=1e-6)
    rng = np.random.default_rng(7)
    for index, (name, grad, weight) in enumerate(zip(NAMES, grads, weights, strict=True)):
        assert grad.shape == weight.shape and grad.dtype == weight.dtype, name
        coords = [tuple(rng.integers(0, n) for n in weight.shape) for _ in range(3)]
        numeric = _central_differences(weights, tokens, targets, index, coords)
        analytic = np.array([grad[coord] for coord in coords])
        scale = np.abs(grad).max()
        np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=rtol * scale, err_msg=name)


def test_jitlib_value_and_grad_of_the_dict_loss_matches_central_differences():
    """The workload as users write it: jl.jit(jl.value_and_grad(loss))(params, batch...)."""
    tokens, targets, weights = _tiny_inputs(0)
    step = jl.jit(jl.value_and_grad(training.transformer_loss))
    loss, grads = step(training.transformer_params(weights), tokens, targets)
    assert isinstance(grads, dict) and len(grads["layers"]) == LAYERS
    assert loss.dtype == np.float32
    grads = training.transformer_weights(grads)
    _check_against_differences(loss, grads, (tokens, targets, weights), rtol=1e-3)


def test_jitlib_in_float64_matches_central_differences_closely():
    tokens, targets, weights = _tiny_inputs(1)
    weights = [w.astype(np.float64) for w in weights]
    loss, *grads = jl.jit(WORKLOAD.jit_fn)(tokens, targets, *weights)
    _check_against_differences(loss, grads, (tokens, targets, weights), rtol=1e-6)


def test_the_hand_written_backward_matches_central_differences():
    """Eager numpy's baseline in jitlib-bench, which checks jitlib's numbers against it."""
    tokens, targets, weights = _tiny_inputs(2)
    weights = [w.astype(np.float64) for w in weights]
    loss, *grads = WORKLOAD.fn(tokens, targets, *weights)
    _check_against_differences(loss, grads, (tokens, targets, weights), rtol=1e-6)


def test_one_trace_serves_every_batch_size():
    """Batch sizes other than the tiny size's other dimensions (8, 32, 64, 128), each checked
    against the hand-written step."""
    _, _, weights = _tiny_inputs(3)
    params = training.transformer_params(weights)
    step = jl.jit(jl.value_and_grad(training.transformer_loss))
    rng = np.random.default_rng(3)
    vocab, seq = TRANSFORMER["tiny"][4], TRANSFORMER["tiny"][1]
    for batch in (2, 3, 5, 6, 12):
        text = rng.integers(0, vocab, (batch, seq + 1))
        tokens, targets = text[:, :-1], text[:, 1:]
        loss, grads = step(params, tokens, targets)
        want = WORKLOAD.fn(tokens, targets, *weights)
        got = (loss, *training.transformer_weights(grads))
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)
    assert step.cache_info().misses == 1


def test_jax_value_and_grad_gives_the_same_numbers():
    """jitlib-bench --compare jax runs the step as jax.value_and_grad of the same loss."""
    jax = pytest.importorskip("jax")
    tokens, targets, weights = _tiny_inputs(4)
    got = jax.jit(WORKLOAD.jax_fn(jax.numpy))(tokens, targets, *weights)
    want = WORKLOAD.fn(tokens, targets, *weights)
    assert len(got) == len(want) == 1 + len(NAMES)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-4, atol=1e-6)


def test_every_size_is_a_config_and_default_is_the_issues():
    """8 sequences of 32 tokens, width 64 (4 heads of 16), 4 layers, a 256-token vocabulary."""
    assert set(TRANSFORMER) == {*SIZES, "gpu"}
    assert TRANSFORMER["default"] == (8, 32, 64, 4, 256) and training.HEAD_DIM == 16
    tokens, targets, *weights = WORKLOAD.make_inputs("default", np.random.default_rng(0))
    assert tokens.shape == targets.shape == (8, 32) and tokens.dtype == np.int64
    assert np.array_equal(tokens[:, 1:], targets[:, :-1])  # targets are the next tokens
    params = training.transformer_params(weights)
    assert len(params["layers"]) == 4 and params["layers"][0]["w1"].shape == (64, 256)
    assert all(w.dtype == np.float32 for w in weights)
