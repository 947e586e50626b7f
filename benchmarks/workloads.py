"""The benchmark workloads: one `Workload` record per function, in the list `WORKLOADS`.

Each `fn` is plain numpy written against an `xp` module (default `np`), so the same source runs
eagerly, under `jl.jit`, and under JAX as `functools.partial(fn, xp=jax.numpy)`. Where jitlib
should compile something else (a step built with `jl.value_and_grad` or `jl.vmap`, in
`training.py`), `jit_fn` holds it and `fn` is the hand-written numpy baseline computing the
same numbers. `torch_fn` uses tensor methods only, so this module never imports torch or jax.
A workload with `writes` updates those arguments in place, as optimiser code does; its results
are those arguments after one call (`Workload.results`), and JAX, whose arrays are immutable,
skips it.
"""

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks import training

SIZES = ("tiny", "small", "medium", "default", "large")

# "default" is the 4096x4096 float32 for row-wise workloads (64 MB per array, past
# the CPU caches); "medium" fits in a CPU's L3; "gpu" replaces "default" on the Triton backend.
# "tiny" is for smoke tests in Triton's interpreter, which runs a row-wise kernel at about
# 15 ms per row.
ROWWISE = {
    "tiny": (16, 64),
    "small": (256, 256),
    "medium": (2048, 1024),
    "default": (4096, 4096),
    "gpu": (4096, 4096),
    "large": (8192, 4096),
}
ADAM = {
    "tiny": (1 << 12,),
    "small": (1 << 16,),
    "medium": (1 << 21,),
    "default": (1 << 24,),
    "gpu": (1 << 24,),
    "large": (1 << 24,),
}
# (batch, inputs, hidden, outputs)
MLP = {
    "tiny": (8, 8, 16, 4),
    "small": (64, 32, 64, 16),
    "medium": (512, 512, 1024, 64),
    "default": (512, 512, 1024, 64),
    "gpu": (4096, 1024, 4096, 1024),
    "large": (2048, 1024, 4096, 256),
}
# (examples, features)
PER_EXAMPLE = {
    "tiny": (16, 8),
    "small": (256, 64),
    "medium": (4096, 512),
    "default": (4096, 512),
    "gpu": (16384, 1024),
    "large": (16384, 1024),
}
# (sequence, head dim)
ATTENTION = {
    "tiny": (16, 8),
    "small": (128, 32),
    "medium": (1024, 64),
    "default": (1024, 64),
    "gpu": (4096, 128),
    "large": (4096, 128),
}
# (batch, sequence, width, layers, vocabulary); heads of training.HEAD_DIM = 16, so "default"
# is 8 sequences of 32 tokens through 4 layers of width 64 with 4 heads. No size's batch equals
# another of its dimensions, which would give the batch a symbol of its own on a new size.
TRANSFORMER = {
    "tiny": (2, 8, 32, 2, 64),
    "small": (4, 16, 64, 2, 128),
    "medium": (8, 32, 64, 4, 256),
    "default": (8, 32, 64, 4, 256),
    "gpu": (8, 32, 64, 4, 256),
    "large": (16, 128, 256, 4, 1024),
}


def resolve_size(size: str, on_gpu: bool) -> str:
    """The size key to use: "default" on a GPU means the GPU-sized default ("gpu")."""
    return "gpu" if size == "default" and on_gpu else size


def flatten(out) -> list:
    """The arrays of a result that is an array or a (nested) tuple/list of arrays."""
    if isinstance(out, tuple | list):
        return [leaf for item in out for leaf in flatten(item)]
    return [out]


def io_bytes(args: tuple, out) -> int:
    """Minimum traffic: every input read once and every output written once."""
    return sum(int(x.nbytes) for x in flatten(args) + flatten(out))


@dataclass(frozen=True, kw_only=True)
class Workload:
    """One benchmark: the numpy function, its inputs per size, and its reference traffic."""

    name: str
    fn: Callable
    make_inputs: Callable[[str, np.random.Generator], tuple]
    bytes_moved: Callable[[tuple, object], int] = io_bytes
    torch_fn: Callable | None = None
    jit_fn: Callable | None = None  # what jitlib compiles, when it is not `fn` itself
    writes: tuple[int, ...] = ()  # the arguments `fn` updates in place (it returns None)

    def results(self, fn: Callable, args: tuple):
        """What one call `fn(*args)` computes: its value, or the arguments it writes to after
        the call. Such a call changes `args`: give it copies (`fresh_copies`).

        >>> w = BY_NAME["adam_inplace"]
        >>> args = w.make_inputs("tiny", np.random.default_rng(0))
        >>> len(w.results(w.fn, w.fresh_copies(args)))  # param, m and v
        3
        """
        out = fn(*args)
        return tuple(args[i] for i in self.writes) if self.writes else out

    def fresh_copies(self, args: tuple) -> tuple:
        """Copies of the arguments for one run of a workload that writes to them (each run
        changes its own), else `args` themselves."""
        return tuple(a.copy() for a in args) if self.writes else args

    def jitlib_source(self) -> Callable:
        """The function jitlib-bench hands to `jl.jit`."""
        return self.jit_fn or self.fn

    def jax_fn(self, jax_numpy) -> Callable:
        """The same source run on `jax.numpy` (e.g. `jax.jit(w.jax_fn(jax.numpy))`)."""
        return functools.partial(self.fn, xp=jax_numpy)


def _normal(rng: np.random.Generator, shape: tuple, scale: float = 1.0, shift: float = 0.0):
    return (rng.standard_normal(shape, dtype=np.float32) * scale + shift).astype(np.float32)


# --- row-wise ------------------------------------------------------------------------------


def softmax(x, xp=np):
    e = xp.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def layernorm(x, gamma, beta, xp=np):
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / xp.sqrt(var + 1e-5) * gamma + beta


def gelu(x, xp=np):
    return 0.5 * x * (1.0 + xp.tanh(0.7978845608 * (x + 0.044715 * x**3)))


def rmsnorm(x, gamma, xp=np):
    return x / xp.sqrt((x * x).mean(axis=-1, keepdims=True) + 1e-5) * gamma


def logsumexp(x, xp=np):
    m = x.max(axis=-1)
    return xp.log(xp.exp(x - m[:, None]).sum(axis=-1)) + m


def cross_entropy(logits, labels, xp=np):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
    picked = xp.take_along_axis(log_probs, labels[:, None], axis=-1)
    return -picked.mean()


def _rows(size: str, rng) -> tuple:
    return (_normal(rng, ROWWISE[size], scale=3.0),)


def _rows_affine(size: str, rng) -> tuple:
    rows, cols = ROWWISE[size]
    x = _normal(rng, (rows, cols), scale=2.0, shift=0.5)
    return x, _normal(rng, (cols,), 0.1, 1.0), _normal(rng, (cols,), 0.1)


def _rows_scaled(size: str, rng) -> tuple:
    rows, cols = ROWWISE[size]
    return _normal(rng, (rows, cols), scale=2.0, shift=0.5), _normal(rng, (cols,), 0.1, 1.0)


def _logits(size: str, rng) -> tuple:
    rows, classes = ROWWISE[size]
    return _normal(rng, (rows, classes), 2.0), rng.integers(0, classes, rows, dtype=np.int64)


# --- optimiser, training steps, attention ----------------------------------------------------


def adam(param, grad, m, v, xp=np):
    lr, b1, b2, eps, t = 1e-3, 0.9, 0.999, 1e-8, 10
    m = b1 * m + (1.0 - b1) * grad
    v = b2 * v + (1.0 - b2) * grad * grad
    # bias corrections folded into the step size (Kingma & Ba, end of section 2)
    step = lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
    return param - step * m / (xp.sqrt(v) + eps), m, v


def adam_inplace(param, grad, m, v, xp=np):
    """The Adam update written as optimiser code writes it: into param, m and v. Called
    again and again with grad fixed (as the timing does), m tends to grad, v to grad^2 and
    param moves by about lr a call, so every value stays finite."""
    lr, b1, b2, eps, t = 1e-3, 0.9, 0.999, 1e-8, 10
    m *= b1
    m += (1.0 - b1) * grad
    v *= b2
    v += (1.0 - b2) * grad * grad
    m_hat = m / (1.0 - b1**t)
    v_hat = v / (1.0 - b2**t)
    param -= lr * m_hat / (xp.sqrt(v_hat) + eps)


def mlp(x, w1, w2, y, xp=np):
    """Loss 0.5 * mean over rows of |tanh(x @ w1) @ w2 - y|^2, and its (w1, w2) gradients."""
    h = xp.tanh(x @ w1)
    out = h @ w2
    diff = out - y
    loss = 0.5 * (diff * diff).sum(axis=-1).mean()
    ct_out = diff * (1.0 / x.shape[0])
    grad_w2 = h.T @ ct_out
    # d tanh = 1 - tanh^2
    ct_pre = (ct_out @ w2.T) * (1.0 - h * h)
    grad_w1 = x.T @ ct_pre
    return loss, grad_w1, grad_w2


def per_example_grads(features, targets, w, xp=np):
    """Norms of each example's gradient of the logistic loss log(1 + exp(-y x.w)) in w."""
    margin = targets * (features @ w)
    # d/dw log(1 + exp(-m)) = -y x / (1 + exp(m))
    coef = -targets / (1.0 + xp.exp(margin))
    grads = coef[:, None] * features
    return xp.sqrt((grads * grads).sum(axis=-1))


def attention(q, k, v, xp=np):
    scores = (q @ k.T) * (1.0 / math.sqrt(q.shape[-1]))
    e = xp.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v


def _adam_inputs(size: str, rng) -> tuple:
    shape = ADAM[size]
    v = _normal(rng, shape, 0.01) ** 2
    return _normal(rng, shape), _normal(rng, shape, 0.1), _normal(rng, shape, 0.01), v


def _mlp_inputs(size: str, rng) -> tuple:
    batch, inputs, hidden, outputs = MLP[size]
    w1 = _normal(rng, (inputs, hidden), 1.0 / math.sqrt(inputs))
    w2 = _normal(rng, (hidden, outputs), 1.0 / math.sqrt(hidden))
    return _normal(rng, (batch, inputs)), w1, w2, _normal(rng, (batch, outputs))


def _per_example_inputs(size: str, rng) -> tuple:
    examples, features = PER_EXAMPLE[size]
    targets = np.where(rng.random(examples) < 0.5, -1.0, 1.0).astype(np.float32)
    w = _normal(rng, (features,), 1.0 / math.sqrt(features))
    return _normal(rng, (examples, features)), targets, w


def _per_example_vmap_inputs(size: str, rng) -> tuple:
    features, targets, w = _per_example_inputs(size, rng)
    return features, targets, w, np.asarray(0.1, dtype=np.float32)


def _train_step_inputs(size: str, rng) -> tuple:
    batch, inputs, hidden, outputs = MLP[size]
    x = _normal(rng, (batch, inputs))
    targets = np.eye(outputs, dtype=np.float32)[rng.integers(0, outputs, batch)]
    params = (
        _normal(rng, (inputs, hidden), math.sqrt(2.0 / inputs)),
        _normal(rng, (hidden,), 0.1),
        _normal(rng, (hidden, outputs), 1.0 / math.sqrt(hidden)),
        _normal(rng, (outputs,), 0.1),
    )
    velocity = tuple(_normal(rng, p.shape, 0.01) for p in params)
    return (x, targets, *params, *velocity)


def transformer_weights(width: int, seq: int, layers: int, vocab: int, rng) -> tuple:
    """Weights in `training.transformer_params` order: matrices scaled by 1 / sqrt(fan-in),
    layernorm scales about 1, biases about 0."""

    def matrix(rows: int, cols: int):
        return _normal(rng, (rows, cols), 1.0 / math.sqrt(rows))

    def norm() -> tuple:
        return _normal(rng, (width,), 0.1, 1.0), _normal(rng, (width,), 0.1)

    def layer() -> tuple:
        attention = tuple(matrix(width, width) for _ in range(4))  # wq, wk, wv, wo
        mlp_in = (matrix(width, 4 * width), _normal(rng, (4 * width,), 0.1))
        mlp_out = (matrix(4 * width, width), _normal(rng, (width,), 0.1))
        return (*norm(), *attention, *norm(), *mlp_in, *mlp_out)

    embeddings = (_normal(rng, (vocab, width)), _normal(rng, (seq, width), 0.1))
    final = (*norm(), matrix(width, vocab))
    return (*embeddings, *final, *[w for _ in range(layers) for w in layer()])


def _transformer_inputs(size: str, rng) -> tuple:
    batch, seq, width, layers, vocab = TRANSFORMER[size]
    # random text: each target is the token after its input token
    text = rng.integers(0, vocab, (batch, seq + 1), dtype=np.int64)
    weights = transformer_weights(width, seq, layers, vocab, rng)
    return (text[:, :-1].copy(), text[:, 1:].copy(), *weights)


def _attention_inputs(size: str, rng) -> tuple:
    shape = ATTENTION[size]
    return _normal(rng, shape), _normal(rng, shape), _normal(rng, shape)


# --- the same workloads as torch tensor methods (no torch import needed here) ----------------


def _torch_layernorm(x, gamma, beta):
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).square().mean(-1, keepdim=True)
    return (x - mean) * (var + 1e-5).rsqrt() * gamma + beta


def _torch_gelu(x):
    return 0.5 * x * (1.0 + (0.7978845608 * (x + 0.044715 * x**3)).tanh())


def _torch_rmsnorm(x, gamma):
    return x * (x.square().mean(-1, keepdim=True) + 1e-5).rsqrt() * gamma


def _torch_adam(param, grad, m, v):
    lr, b1, b2, eps, t = 1e-3, 0.9, 0.999, 1e-8, 10
    m = b1 * m + (1.0 - b1) * grad
    v = b2 * v + (1.0 - b2) * grad * grad
    step = lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
    return param - step * m / (v.sqrt() + eps), m, v


def _torch_adam_inplace(param, grad, m, v):
    lr, b1, b2, eps, t = 1e-3, 0.9, 0.999, 1e-8, 10
    m.mul_(b1).add_(grad, alpha=1.0 - b1)
    v.mul_(b2).addcmul_(grad, grad, value=1.0 - b2)
    m_hat = m / (1.0 - b1**t)
    v_hat = v / (1.0 - b2**t)
    param.sub_(lr * m_hat / (v_hat.sqrt() + eps))


def _torch_mlp(x, w1, w2, y):
    h = (x @ w1).tanh()
    diff = h @ w2 - y
    ct_out = diff * (1.0 / x.shape[0])
    ct_pre = (ct_out @ w2.T) * (1.0 - h * h)
    return 0.5 * diff.square().sum(-1).mean(), x.T @ ct_pre, h.T @ ct_out


def _torch_cross_entropy(logits, labels):
    return -logits.log_softmax(-1).gather(1, labels[:, None]).mean()


def _torch_per_example_grads(features, targets, w):
    coef = -targets / (1.0 + (targets * (features @ w)).exp())
    return (coef[:, None] * features).norm(dim=-1)


def _torch_attention(q, k, v):
    return ((q @ k.T) * (1.0 / math.sqrt(q.shape[-1]))).softmax(-1) @ v


WORKLOADS: list[Workload] = [
    Workload(name="softmax", fn=softmax, make_inputs=_rows, torch_fn=lambda x: x.softmax(-1)),
    Workload(name="layernorm", fn=layernorm, make_inputs=_rows_affine, torch_fn=_torch_layernorm),
    Workload(name="gelu", fn=gelu, make_inputs=_rows, torch_fn=_torch_gelu),
    Workload(name="rmsnorm", fn=rmsnorm, make_inputs=_rows_scaled, torch_fn=_torch_rmsnorm),
    Workload(name="logsumexp", fn=logsumexp, make_inputs=_rows, torch_fn=lambda x: x.logsumexp(-1)),
    Workload(
        name="cross_entropy",
        fn=cross_entropy,
        make_inputs=_logits,
        torch_fn=_torch_cross_entropy,
    ),
    Workload(name="adam", fn=adam, make_inputs=_adam_inputs, torch_fn=_torch_adam),
    Workload(
        name="adam_inplace",
        fn=adam_inplace,
        make_inputs=_adam_inputs,
        torch_fn=_torch_adam_inplace,
        writes=(0, 2, 3),  # param, m, v
    ),
    Workload(name="mlp", fn=mlp, make_inputs=_mlp_inputs, torch_fn=_torch_mlp),
    Workload(
        name="per_example_grads",
        fn=per_example_grads,
        make_inputs=_per_example_inputs,
        torch_fn=_torch_per_example_grads,
    ),
    Workload(
        name="mlp_train_step",
        fn=training.mlp_train_step,
        make_inputs=_train_step_inputs,
        torch_fn=training.torch_mlp_train_step,
        jit_fn=training.value_and_grad_mlp_step,
    ),
    Workload(
        name="per_example_grads_vmap",
        fn=training.per_example_grads_vmap,
        make_inputs=_per_example_vmap_inputs,
        torch_fn=training.torch_per_example_grads_vmap,
        jit_fn=training.vmap_grad_logistic,
    ),
    Workload(
        name="transformer_train_step",
        fn=training.transformer_train_step,
        make_inputs=_transformer_inputs,
        torch_fn=training.torch_transformer_train_step,
        jit_fn=training.value_and_grad_transformer_step,
    ),
    Workload(
        name="attention", fn=attention, make_inputs=_attention_inputs, torch_fn=_torch_attention
    ),
]

BY_NAME: dict[str, Workload] = {w.name: w for w in WORKLOADS}
