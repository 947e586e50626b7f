"""Train a small MLP classifier with jitlib: the loss is plain numpy, `jl.value_and_grad`
gives its gradient, `jl.jit` compiles both, and the optimiser (Adam) is plain numpy too.

The data are three interleaved spirals in 2-D, made here; a fifth of the points is held out
to measure accuracy at the end.

Run: python examples/mlp_train.py
"""

import numpy as np

import jitlib as jl

CLASSES = 3


def make_spirals(points_per_class: int, rng: np.random.Generator):
    """Points on CLASSES spiral arms (label = arm), with a little noise."""
    radius = rng.random((CLASSES, points_per_class))
    arm = np.arange(CLASSES)[:, None]
    angle = 5.0 * radius + arm * (2 * np.pi / CLASSES)  # each arm winds 5 radians
    angle += 0.15 * rng.standard_normal(angle.shape)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1).reshape(-1, 2)
    labels = np.repeat(np.arange(CLASSES), points_per_class)
    return x.astype(np.float32), labels


def init_params(sizes: list, rng: np.random.Generator) -> dict:
    """Weights and biases of each layer, in a dict (any pytree of arrays works)."""
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        scale = np.sqrt(2.0 / fan_in)  # He initialisation, for ReLU layers
        params[f"w{i}"] = (scale * rng.standard_normal((fan_in, fan_out))).astype(np.float32)
        params[f"b{i}"] = np.zeros(fan_out, np.float32)
    return params


def predict(params: dict, x):
    """The logits: two ReLU layers, then a linear one."""
    h = np.maximum(x @ params["w0"] + params["b0"], 0.0)
    h = np.maximum(h @ params["w1"] + params["b1"], 0.0)
    return h @ params["w2"] + params["b2"]


def loss(params: dict, x, labels):
    """Mean softmax cross-entropy, written out in numpy."""
    logits = predict(params, x)
    # log-softmax = logits - logsumexp(logits); subtracting the row max keeps exp finite.
    # The result does not depend on that shift, so the max needs no derivative:
    # jl.stop_gradient saves computing one (a no-op when run eagerly)
    top = jl.stop_gradient(logits.max(axis=1, keepdims=True))
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    one_hot = labels[:, None] == np.arange(CLASSES)  # (batch, CLASSES) booleans
    return -(log_probs * one_hot).sum(axis=1).mean()


# The gradient is taken with respect to the first argument, params: a dict of the same keys.
loss_and_grad = jl.jit(jl.value_and_grad(loss))
predict_jit = jl.jit(predict)


def adam(params: dict, grads: dict, state: dict, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
    """One Adam step in plain numpy; returns the new params and optimiser state."""
    step = state["step"] + 1
    m = {k: b1 * state["m"][k] + (1 - b1) * grads[k] for k in params}
    v = {k: b2 * state["v"][k] + (1 - b2) * grads[k] ** 2 for k in params}
    # bias-corrected moments (Kingma & Ba, algorithm 1)
    new = {
        k: params[k] - lr * (m[k] / (1 - b1**step)) / (np.sqrt(v[k] / (1 - b2**step)) + eps)
        for k in params
    }
    return new, {"step": step, "m": m, "v": v}


def main() -> float:
    rng = np.random.default_rng(0)
    x, labels = make_spirals(400, rng)
    order = rng.permutation(len(x))
    train, held_out = order[: 4 * len(x) // 5], order[4 * len(x) // 5 :]

    params = init_params([2, 64, 64, CLASSES], rng)
    zeros = {k: np.zeros_like(p) for k, p in params.items()}
    state = {"step": 0, "m": zeros, "v": dict(zeros)}
    for step in range(301):
        value, grads = loss_and_grad(params, x[train], labels[train])
        params, state = adam(params, grads, state)
        if step % 50 == 0:
            print(f"step {step:4d}  loss {float(value):.4f}")

    predicted = predict_jit(params, x[held_out]).argmax(axis=1)
    accuracy = float((predicted == labels[held_out]).mean())
    print(f"held-out accuracy: {accuracy:.3f} ({len(held_out)} points)")
    print(loss_and_grad.cache_info(), "<- one trace for all the steps")
    return accuracy


if __name__ == "__main__":
    main()
