"""Training workloads: each as a hand-written numpy baseline (forward and backward written
out, run eagerly), as jitlib should run it (the backward pass left to `jl.value_and_grad` or
`jl.vmap(jl.grad(...))`), and as torch tensor methods. `workloads.py` registers them.
"""

import numpy as np

import jitlib as jl


def per_example_grads_vmap(features, targets, w, b, xp=np):
    """Each example's gradient in (w, b) of the logistic loss log(1 + exp(-y (x.w + b))), as
    `vmap_grad_logistic` computes it: written out, vectorised over the examples."""
    margin = targets * (features @ w + b)
    # d/dz log(1 + exp(-y z)) = -y / (1 + exp(y z))
    coef = -targets / (1.0 + xp.exp(margin))
    return coef[:, None] * features, coef


def _logistic_loss(params, x, y):
    """The loss of one example (x a row, y = -1 or 1); jitlib differentiates it."""
    w, b = params
    return np.logaddexp(0.0, -y * (x @ w + b))


# params unbatched, one example per row of features and targets
_per_example_grad = jl.vmap(jl.grad(_logistic_loss), in_axes=(None, 0, 0))


def vmap_grad_logistic(features, targets, w, b):
    return _per_example_grad((w, b), features, targets)


LEARNING_RATE, MOMENTUM = 0.1, 0.9


def _sgd_momentum(params, velocity, grads) -> tuple:
    """The new parameters and velocities: v <- momentum * v + g; p <- p - lr * v."""
    velocity = [MOMENTUM * v + g for v, g in zip(velocity, grads)]
    return (*[p - LEARNING_RATE * v for p, v in zip(params, velocity)], *velocity)


def mlp_train_step(x, targets, w1, b1, w2, b2, v_w1, v_b1, v_w2, v_b2, xp=np):
    """One SGD-with-momentum step of a ReLU MLP classifier under softmax cross-entropy
    (targets one-hot), forward and backward written by hand. Returns the loss, the new
    parameters and the new velocities."""
    pre = x @ w1 + b1
    h = xp.maximum(pre, 0.0)
    logits = h @ w2 + b2
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = xp.exp(shifted)
    total = e.sum(axis=-1, keepdims=True)
    loss = -(targets * (shifted - xp.log(total))).sum(axis=-1).mean()
    # d loss / d logits = (softmax - targets) / batch, as each row of targets sums to 1
    ct_logits = (e / total - targets) * (1.0 / x.shape[0])
    ct_pre = (ct_logits @ w2.T) * (pre > 0.0)
    grads = (x.T @ ct_pre, ct_pre.sum(axis=0), h.T @ ct_logits, ct_logits.sum(axis=0))
    return (loss, *_sgd_momentum((w1, b1, w2, b2), (v_w1, v_b1, v_w2, v_b2), grads))


def _mlp_loss(params, x, targets):
    w1, b1, w2, b2 = params
    h = np.maximum(x @ w1 + b1, 0.0)
    logits = h @ w2 + b2
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -(targets * log_probs).sum(axis=-1).mean()


_mlp_loss_and_grads = jl.value_and_grad(_mlp_loss)


def value_and_grad_mlp_step(x, targets, w1, b1, w2, b2, v_w1, v_b1, v_w2, v_b2):
    """mlp_train_step with the backward pass left to jl.value_and_grad."""
    loss, grads = _mlp_loss_and_grads((w1, b1, w2, b2), x, targets)
    return (loss, *_sgd_momentum((w1, b1, w2, b2), (v_w1, v_b1, v_w2, v_b2), grads))


# --- torch tensor methods (no torch import needed here) ---------------------------------------


def torch_per_example_grads_vmap(features, targets, w, b):
    coef = -targets / (1.0 + (targets * (features @ w + b)).exp())
    return coef[:, None] * features, coef


def torch_mlp_train_step(x, targets, w1, b1, w2, b2, v_w1, v_b1, v_w2, v_b2):
    pre = x @ w1 + b1
    h = pre.relu()
    log_probs = (h @ w2 + b2).log_softmax(-1)
    loss = -(targets * log_probs).sum(-1).mean()
    ct_logits = (log_probs.exp() - targets) * (1.0 / x.shape[0])
    ct_pre = (ct_logits @ w2.T) * (pre > 0.0)
    grads = (x.T @ ct_pre, ct_pre.sum(0), h.T @ ct_logits, ct_logits.sum(0))
    return (loss, *_sgd_momentum((w1, b1, w2, b2), (v_w1, v_b1, v_w2, v_b2), grads))
