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
    peak1 = tl.full([BLOCK], tl.full([], float("-inf"), tl.float32), tl.float32)
    acc2 = tl.zeros([BLOCK], tl.float32)
    for start in range(0, numel, BLOCK):
        c = start + tl.arange(0, BLOCK)
        cmask = c < numel
        c1 = c
        t3 = tl.load(x0 + c1 + r0*s1, mask=cmask)
        grown = red.max_nan(peak1, tl.where(cmask, t3, tl.full([], float("-inf"), tl.float32)))
        acc2 = acc2 * red.rescale(peak1, grown) + tl.where(cmask & (grown != tl.full([], float("-inf"), tl.float32)), tl.exp(t3 - grown), tl.full([], 0.0, tl.float32))
        peak1 = grown
    t4 = tl.reduce(peak1, 0, red.max_nan)
    t5 = tl.where(t4 == tl.full([], float("-inf"), tl.float32), tl.full([], float("nan"), tl.float32), tl.sum(acc2 * red.rescale(peak1, t4), axis=0))
    for start in range(0, numel, BLOCK):
        c = start + tl.arange(0, BLOCK)
        cmask = c < numel
        c1 = c
        t6 = tl.load(x0 + c1 + r0*s1, mask=cmask)
        t7 = (t6 - t4)
        t8 = tl.exp(t7)
        t9 = tl.div_rn(t8, t5)
        tl.store(y7 + c1 + r0*s1, t9, mask=cmask)
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
