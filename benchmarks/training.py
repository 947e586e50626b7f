"""Training workloads: each as a hand-written numpy baseline (forward and backward written
out, run eagerly), as jitlib should run it (the backward pass left to `jl.value_and_grad` or
`jl.vmap(jl.grad(...))`), and as torch tensor methods (the transformer: torch's autograd).
`workloads.py` registers them.
"""

import functools
import importlib
import math

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
    # log-softmax does not depend on the shift, so the max needs no derivative (as torch's
    # log_softmax and the hand-written step above compute none)
    shifted = logits - jl.stop_gradient(logits.max(axis=-1, keepdims=True))
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


# --- a transformer's training step -----------------------------------------------------------
# A pre-norm decoder: token and position embeddings, then per layer x += attention(ln(x)) and
# x += mlp(ln(x)) (causal softmax attention, a 4x-wide tanh-GELU MLP), a final layernorm and a
# projection to the vocabulary; the loss is the mean cross-entropy of the next tokens. The
# weights are a dict (`transformer_params`); the benchmark passes them as positional arrays.

HEAD_DIM = 16  # a model of width d has d // 16 heads
GLOBAL_KEYS = ("embed", "pos", "final_scale", "final_bias", "unembed")
LAYER_KEYS = ("ln1_scale", "ln1_bias", "wq", "wk", "wv", "wo")
LAYER_KEYS += ("ln2_scale", "ln2_bias", "w1", "b1", "w2", "b2")
GELU_C = 0.7978845608  # sqrt(2 / pi)


def transformer_params(weights) -> dict:
    """The dict of weights laid out in order as GLOBAL_KEYS then each layer's LAYER_KEYS."""
    rest = weights[len(GLOBAL_KEYS) :]
    layers = [
        dict(zip(LAYER_KEYS, rest[i : i + len(LAYER_KEYS)]))
        for i in range(0, len(rest), len(LAYER_KEYS))
    ]
    return {**dict(zip(GLOBAL_KEYS, weights)), "layers": layers}


def transformer_weights(params: dict) -> tuple:
    """The inverse of `transformer_params`."""
    layers = [layer[key] for layer in params["layers"] for key in LAYER_KEYS]
    return (*[params[key] for key in GLOBAL_KEYS], *layers)


def _layernorm(x, scale, bias, xp=np):
    centred = x - x.mean(axis=-1, keepdims=True)
    return centred / xp.sqrt((centred * centred).mean(axis=-1, keepdims=True) + 1e-5) * scale + bias


def _split_heads(x):
    """(batch, seq, width) -> (batch, heads, seq, HEAD_DIM)."""
    batch, seq, _ = x.shape
    return x.reshape(batch, seq, -1, HEAD_DIM).transpose(0, 2, 1, 3)


def _merge_heads(x):
    batch, _, seq, _ = x.shape
    return x.transpose(0, 2, 1, 3).reshape(batch, seq, -1)


def _causal_softmax(scores, xp=np):
    """Softmax over the last axis, each query seeing itself and the keys before it."""
    seq = scores.shape[-1]
    scores = xp.where(xp.tril(xp.ones((seq, seq), dtype=bool)), scores, -xp.inf)
    e = xp.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _attention(x, layer: dict, xp=np):
    q, k, v = (_split_heads(x @ layer[key]) for key in ("wq", "wk", "wv"))
    probs = _causal_softmax((q @ k.transpose(0, 1, 3, 2)) * (1.0 / math.sqrt(HEAD_DIM)), xp)
    return _merge_heads(probs @ v) @ layer["wo"]


def _mlp(x, layer: dict, xp=np):
    u = x @ layer["w1"] + layer["b1"]
    gelu = 0.5 * u * (1.0 + xp.tanh(GELU_C * (u + 0.044715 * u**3)))
    return gelu @ layer["w2"] + layer["b2"]


def transformer_loss(params: dict, tokens, targets, xp=np):
    """Mean cross-entropy of predicting `targets` (batch, seq) from `tokens` (batch, seq)."""
    x = params["embed"][tokens] + params["pos"]
    for layer in params["layers"]:
        x = x + _attention(_layernorm(x, layer["ln1_scale"], layer["ln1_bias"], xp), layer, xp)
        x = x + _mlp(_layernorm(x, layer["ln2_scale"], layer["ln2_bias"], xp), layer, xp)
    logits = _layernorm(x, params["final_scale"], params["final_bias"], xp) @ params["unembed"]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
    return -xp.take_along_axis(log_probs, targets[..., None], axis=-1).mean()


_transformer_loss_and_grads = jl.value_and_grad(transformer_loss)


def value_and_grad_transformer_step(tokens, targets, *weights):
    """The loss and its gradient in each weight, by jl.value_and_grad of `transformer_loss`."""
    loss, grads = _transformer_loss_and_grads(transformer_params(weights), tokens, targets)
    return (loss, *transformer_weights(grads))


def transformer_train_step(tokens, targets, *weights, xp=np):
    """The loss and its gradient in each weight, in the order of `weights`. numpy has no
    autodiff, so on numpy the backward pass is written out (`_transformer_backward`); on
    another array module (jax.numpy) it is that framework's value_and_grad of the loss, as
    its users write it."""
    params = transformer_params(weights)
    if xp is np:
        loss, grads = _transformer_backward(params, tokens, targets)
    else:
        framework = importlib.import_module(xp.__name__.partition(".")[0])
        loss_fn = functools.partial(transformer_loss, xp=xp)
        loss, grads = framework.value_and_grad(loss_fn)(params, tokens, targets)
    return (loss, *transformer_weights(grads))


# --- its backward pass written out, the eager numpy baseline ----------------------------------


def _weight_grad(x, ct):
    """The gradient of `x @ w` in w, for x (batch, seq, n) and ct (batch, seq, m)."""
    return x.reshape(-1, x.shape[-1]).T @ ct.reshape(-1, ct.shape[-1])


def _layernorm_forward(x, scale, bias) -> tuple:
    centred = x - x.mean(axis=-1, keepdims=True)
    inv_std = 1.0 / np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + 1e-5)
    normed = centred * inv_std
    return normed * scale + bias, (normed, inv_std, scale)


def _layernorm_backward(ct, cache) -> tuple:
    """(ct_x, ct_scale, ct_bias); d normed / dx = inv_std (I - 1/n - normed normed^T / n)."""
    normed, inv_std, scale = cache
    ct_normed = ct * scale
    mean_ct = ct_normed.mean(axis=-1, keepdims=True)
    mean_ct_normed = (ct_normed * normed).mean(axis=-1, keepdims=True)
    ct_x = inv_std * (ct_normed - mean_ct - normed * mean_ct_normed)
    return ct_x, (ct * normed).sum(axis=(0, 1)), ct.sum(axis=(0, 1))


def _attention_forward(x, layer: dict) -> tuple:
    q, k, v = (_split_heads(x @ layer[key]) for key in ("wq", "wk", "wv"))
    probs = _causal_softmax((q @ k.transpose(0, 1, 3, 2)) * (1.0 / math.sqrt(HEAD_DIM)))
    merged = _merge_heads(probs @ v)
    return merged @ layer["wo"], (x, q, k, v, probs, merged)


def _attention_backward(ct, layer: dict, cache) -> tuple:
    x, q, k, v, probs, merged = cache
    grads = {"wo": _weight_grad(merged, ct)}
    ct_heads = _split_heads(ct @ layer["wo"].T)
    ct_probs = ct_heads @ v.transpose(0, 1, 3, 2)
    # softmax: ct_scores = p * (ct_p - sum(ct_p * p)); masked keys have p = 0
    ct_scores = probs * (ct_probs - (ct_probs * probs).sum(axis=-1, keepdims=True))
    ct_scores *= 1.0 / math.sqrt(HEAD_DIM)
    cts = {
        "wq": _merge_heads(ct_scores @ k),
        "wk": _merge_heads(ct_scores.transpose(0, 1, 3, 2) @ q),
        "wv": _merge_heads(probs.transpose(0, 1, 3, 2) @ ct_heads),
    }
    grads.update({key: _weight_grad(x, ct_key) for key, ct_key in cts.items()})
    return sum(ct_key @ layer[key].T for key, ct_key in cts.items()), grads


def _mlp_forward(x, layer: dict) -> tuple:
    u = x @ layer["w1"] + layer["b1"]
    t = np.tanh(GELU_C * (u + 0.044715 * u**3))
    gelu = 0.5 * u * (1.0 + t)
    return gelu @ layer["w2"] + layer["b2"], (x, u, t, gelu)


def _mlp_backward(ct, layer: dict, cache) -> tuple:
    x, u, t, gelu = cache
    grads = {"w2": _weight_grad(gelu, ct), "b2": ct.sum(axis=(0, 1))}
    # d gelu / du = (1 + t) / 2 + u (1 - t^2) c (1 + 3 * 0.044715 u^2) / 2
    slope = 0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * GELU_C * (1.0 + 0.134145 * u * u)
    ct_u = (ct @ layer["w2"].T) * slope
    grads.update(w1=_weight_grad(x, ct_u), b1=ct_u.sum(axis=(0, 1)))
    return ct_u @ layer["w1"].T, grads


def _layer_forward(x, layer: dict) -> tuple:
    normed, ln1 = _layernorm_forward(x, layer["ln1_scale"], layer["ln1_bias"])
    out, attention = _attention_forward(normed, layer)
    x = x + out
    normed, ln2 = _layernorm_forward(x, layer["ln2_scale"], layer["ln2_bias"])
    out, mlp = _mlp_forward(normed, layer)
    return x + out, (ln1, attention, ln2, mlp)


def _layer_backward(ct_x, layer: dict, cache) -> tuple:
    ln1, attention, ln2, mlp = cache
    ct_normed, grads = _mlp_backward(ct_x, layer, mlp)
    ct_in, grads["ln2_scale"], grads["ln2_bias"] = _layernorm_backward(ct_normed, ln2)
    ct_x = ct_x + ct_in
    ct_normed, attention_grads = _attention_backward(ct_x, layer, attention)
    ct_in, grads["ln1_scale"], grads["ln1_bias"] = _layernorm_backward(ct_normed, ln1)
    return ct_x + ct_in, {**grads, **attention_grads}


def _cross_entropy_forward(logits, targets) -> tuple:
    """The mean cross-entropy and its gradient in the logits, (softmax - one_hot) / rows."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    loss = -np.take_along_axis(log_probs, targets[..., None], axis=-1).mean()
    one_hot = targets[..., None] == np.arange(logits.shape[-1])
    return loss, (np.exp(log_probs) - one_hot) * (1.0 / targets.size)


def _transformer_backward(params: dict, tokens, targets) -> tuple:
    """`transformer_loss` and its gradient (a dict like params), forward and backward by hand."""
    x = params["embed"][tokens] + params["pos"]
    caches = []
    for layer in params["layers"]:
        x, cache = _layer_forward(x, layer)
        caches.append(cache)
    normed, final = _layernorm_forward(x, params["final_scale"], params["final_bias"])
    loss, ct_logits = _cross_entropy_forward(normed @ params["unembed"], targets)
    grads = {"unembed": _weight_grad(normed, ct_logits), "layers": []}
    ct_x, grads["final_scale"], grads["final_bias"] = _layernorm_backward(
        ct_logits @ params["unembed"].T, final
    )
    for layer, cache in reversed(list(zip(params["layers"], caches))):
        ct_x, layer_grads = _layer_backward(ct_x, layer, cache)
        grads["layers"].insert(0, layer_grads)
    grads["pos"] = ct_x.sum(axis=0)
    grads["embed"] = np.zeros_like(params["embed"])
    np.add.at(grads["embed"], tokens, ct_x)
    return loss, grads


def _torch_layernorm(x, scale, bias):
    centred = x - x.mean(-1, keepdim=True)
    return centred * (centred.square().mean(-1, keepdim=True) + 1e-5).rsqrt() * scale + bias


def _torch_attention(x, layer: dict):
    batch, seq, _ = x.shape
    q, k, v = (
        (x @ layer[key]).reshape(batch, seq, -1, HEAD_DIM).permute(0, 2, 1, 3)
        for key in ("wq", "wk", "wv")
    )
    scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(HEAD_DIM))
    causal = scores.new_ones(seq, seq).tril().bool()
    probs = scores.masked_fill(~causal, float("-inf")).softmax(-1)
    return (probs @ v).permute(0, 2, 1, 3).reshape(batch, seq, -1) @ layer["wo"]


def _torch_transformer_loss(params: dict, tokens, targets):
    x = params["embed"][tokens] + params["pos"]
    for layer in params["layers"]:
        x = x + _torch_attention(_torch_layernorm(x, layer["ln1_scale"], layer["ln1_bias"]), layer)
        u = _torch_layernorm(x, layer["ln2_scale"], layer["ln2_bias"]) @ layer["w1"] + layer["b1"]
        gelu = 0.5 * u * (1.0 + (GELU_C * (u + 0.044715 * u**3)).tanh())
        x = x + gelu @ layer["w2"] + layer["b2"]
    normed = _torch_layernorm(x, params["final_scale"], params["final_bias"])
    log_probs = (normed @ params["unembed"]).log_softmax(-1)
    return -log_probs.gather(-1, targets[..., None]).mean()


def torch_transformer_train_step(tokens, targets, *weights):
    """transformer_train_step by torch's autograd (`loss.backward()`, as torch users write it)."""
    leaves = [w.detach().requires_grad_() for w in weights]
    loss = _torch_transformer_loss(transformer_params(leaves), tokens, targets)
    loss.backward()
    return (loss.detach(), *[w.grad for w in leaves])
