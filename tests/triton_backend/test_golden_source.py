"""Golden Triton source for two small fused groups, so changes to the emitter are reviewed
as text: a pointwise group with a broadcast operand, and a row-wise softmax (its single-block
kernel and its looped kernel for rows longer than a block)."""

import numpy as np

import jitlib as jl

SCALE_SHIFT = """\
@triton.jit
def k0_pointwise(x0, x1, y5, s0, s1, numel, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < numel
    i1 = offs % (s1)
    i0 = (offs // (s1))
    t1 = tl.load(x0 + offs, mask=mask)
    t2 = tl.exp(t1)
    t3 = tl.load(x1 + i1, mask=mask)
    t4 = (t2 * t3)
    t5 = tl.full([], 1.0, tl.float32)
    t6 = (t4 + t5)
    tl.store(y5 + offs, t6, mask=mask)
"""

SOFTMAX = """\
@triton.jit
def k0_reduction(x0, y7, s0, s1, numel, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    r0 = row
    c = tl.arange(0, BLOCK)
    cmask = c < numel
    c1 = c
    t1 = tl.load(x0 + c1 + r0*s1, mask=cmask)
    t2 = tl.reduce(tl.where(cmask, t1, tl.full([], float("-inf"), tl.float32)), 0, red.max_nan)
    t3 = (t1 - t2)
    t4 = tl.exp(t3)
    t5 = tl.sum(tl.where(cmask, t4, tl.full([], 0.0, tl.float32)), axis=0)
    t6 = tl.div_rn(t4, t5)
    tl.store(y7 + c1 + r0*s1, t6, mask=cmask)

@triton.jit
def k0_reduction_loop(x0, y7, s0, s1, numel, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    r0 = row
    acc1 = tl.full([BLOCK], tl.full([], float("-inf"), tl.float32), tl.float32)
    for start in range(0, numel, BLOCK):
        c = start + tl.arange(0, BLOCK)
        cmask = c < numel
        c1 = c
        t2 = tl.load(x0 + c1 + r0*s1, mask=cmask)
        acc1 = red.max_nan(acc1, tl.where(cmask, t2, tl.full([], float("-inf"), tl.float32)))
    t3 = tl.reduce(acc1, 0, red.max_nan)
    acc4 = tl.full([BLOCK], tl.full([], 0.0, tl.float32), tl.float32)
    for start in range(0, numel, BLOCK):
        c = start + tl.arange(0, BLOCK)
        cmask = c < numel
        c1 = c
        t5 = tl.load(x0 + c1 + r0*s1, mask=cmask)
        t6 = (t5 - t3)
        t7 = tl.exp(t6)
        acc4 += tl.where(cmask, t7, tl.full([], 0.0, tl.float32))
    t8 = tl.sum(acc4, axis=0)
    for start in range(0, numel, BLOCK):
        c = start + tl.arange(0, BLOCK)
        cmask = c < numel
        c1 = c
        t9 = tl.load(x0 + c1 + r0*s1, mask=cmask)
        t10 = (t9 - t3)
        t11 = tl.exp(t10)
        t12 = tl.div_rn(t11, t8)
        tl.store(y7 + c1 + r0*s1, t12, mask=cmask)
"""


def scale_shift(x, b):
    return np.exp(x) * b + 1.0


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _kernels(source: str) -> str:
    """The kernel definitions of a generated module (its header names the traced file)."""
    body = source[source.index("@triton.jit") : source.index("HOST = ")]
    return body.rstrip() + "\n"


def test_golden_pointwise_group():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal(3).astype(np.float32)
    compiled = jl.jit(scale_shift, backend="triton").lower(x, b).compile()
    assert _kernels(compiled.source) == SCALE_SHIFT
    np.testing.assert_allclose(compiled(x, b)[0], scale_shift(x, b), rtol=1e-6)


def test_golden_row_softmax():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    compiled = jl.jit(softmax, backend="triton").lower(x).compile()
    assert _kernels(compiled.source) == SOFTMAX
    assert "# %5 = sum[axis=(1,)] %4 : f32[s0]" in compiled.source  # the IR group header
    assert "test_golden_source.py" in compiled.source  # and the user's source lines
    np.testing.assert_allclose(compiled(x)[0], softmax(x), rtol=1e-6)
