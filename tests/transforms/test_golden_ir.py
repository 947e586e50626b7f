"""Golden IR of a gradient after the passes: the backward pass as a reviewer reads it."""

import numpy as np

import ir
import jitlib as jl
from ir.passes import dce

GRAD_OF_TANH_LAYER = """\
func grad_layer(%0: f64[s0,s1], %1: f64[s1]) {
  %2 = constant[value=1.0, dtype=float64] : f64[]
  %3 = multiply %0, %1 : f64[s0,s1]
  %4 = tanh %3 : f64[s0,s1]
  %5 = multiply %4, %4 : f64[s0,s1]
  %6 = subtract %2, %5 : f64[s0,s1]
  %7 = multiply %6, %0 : f64[s0,s1]
  %8 = sum[axis=(0,)] %7 : f64[s1]
  return %8
}"""


def layer(x, w):
    return np.tanh(x * w).sum()


def test_grad_ir_after_the_passes():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal(3)
    lowered = jl.jit(jl.grad(layer, argnums=1)).lower(x, w).ir
    assert ir.as_text(lowered) == GRAD_OF_TANH_LAYER
    assert ir.as_text(dce(lowered)) == ir.as_text(lowered)  # no dead code left
    ir.verify(lowered)


def test_raw_grad_ir_keeps_the_forward_then_the_backward():
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    raw = jl.make_ir(jl.grad(lambda x: np.sin(x).sum()))(x).ir
    ops = [eqn.op.name for eqn in raw.eqns]
    assert ops.index("sin") < ops.index("cos")  # the backward pass follows the forward
    ir.verify(raw)
