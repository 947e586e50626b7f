"""ir.verify accepts well-formed Functions and rejects malformed ones, naming the problem."""

import dataclasses

import numpy as np
import pytest
import sympy

import ir
from ir import OPS, Builder, Function, Type, Value

S0 = sympy.Symbol("s0", integer=True, positive=True)
F32 = Type("float32", (S0, 4))


def exp_add() -> Function:
    """%1 = exp %0; %2 = add %1, %0; return %2."""
    builder = Builder()
    x = builder.param(F32)
    e = builder.bind(OPS["exp"], x)
    return builder.build([builder.bind(OPS["add"], e, x)], "exp_add")


def test_well_formed_function_passes_and_is_returned():
    fn = exp_add()
    assert ir.verify(fn) is fn
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    (out,) = ir.interpret(fn, x)
    np.testing.assert_allclose(out, np.exp(x) + x, rtol=1e-6)


def test_use_before_definition():
    fn = exp_add()
    swapped = fn.replace(eqns=fn.eqns[::-1])
    with pytest.raises(ir.IRError, match="before it is defined"):
        ir.verify(swapped)


def test_value_from_another_function():
    other = exp_add()
    fn = exp_add()
    stray = dataclasses.replace(fn.eqns[1], inputs=(other.eqns[0].out, fn.params[0]))
    with pytest.raises(ir.IRError, match=r"equation 1 \(add\): uses a value before"):
        ir.verify(fn.replace(eqns=(fn.eqns[0], stray)))


@pytest.mark.parametrize(
    "wrong", [Type("float64", (S0, 4)), Type("float32", (S0, 5)), Type("float32", (4,))]
)
def test_output_typed_differently_from_its_shape_rule(wrong):
    fn = exp_add()
    bad = dataclasses.replace(fn.eqns[0], outputs=(Value(wrong),))
    add = dataclasses.replace(fn.eqns[1], inputs=(bad.out, fn.params[0]))
    with pytest.raises(ir.IRError, match=r"equation 0 \(exp\): typed .*its rule gives f32\[s0,4\]"):
        ir.verify(fn.replace(eqns=(bad, add), results=(add.out,)))


def test_inputs_the_shape_rule_rejects():
    builder = Builder()
    x = builder.param(F32)
    y = builder.param(Type("float32", (5,)))
    fn = builder.build([x])
    out = Value(F32)
    bad = ir.Eqn(OPS["add"], (x, y), {}, (out,))
    with pytest.raises(ir.ShapeError):
        ir.verify(fn.replace(eqns=(bad,), results=(out,)))


def test_value_defined_twice():
    fn = exp_add()
    with pytest.raises(ir.IRError, match="defines a value twice"):
        ir.verify(fn.replace(eqns=(fn.eqns[0], fn.eqns[0], fn.eqns[1])))


def test_parameter_redefined_by_an_equation():
    fn = exp_add()
    clash = dataclasses.replace(fn.eqns[0], outputs=fn.params)
    with pytest.raises(ir.IRError, match="defines a value twice"):
        ir.verify(fn.replace(eqns=(clash,), results=fn.params))


def test_parameter_listed_twice():
    fn = exp_add()
    with pytest.raises(ir.IRError, match="parameter is listed twice"):
        ir.verify(fn.replace(params=fn.params * 2))


def test_result_never_defined():
    fn = exp_add()
    with pytest.raises(ir.IRError, match="returns an undefined value"):
        ir.verify(fn.replace(results=(Value(F32),)))


def test_wrong_number_of_outputs():
    fn = exp_add()
    extra = dataclasses.replace(fn.eqns[0], outputs=(fn.eqns[0].out, Value(F32)))
    with pytest.raises(ir.IRError, match="has 2 outputs, its rule gives 1"):
        ir.verify(fn.replace(eqns=(extra, fn.eqns[1])))


def test_guards_settle_symbolic_questions():
    s1 = sympy.Symbol("s1", integer=True, positive=True)
    builder = Builder()
    x = builder.param(Type("float32", (S0,)))
    y = builder.param(Type("float32", (s1,)))
    out = Value(Type("float32", (S0,)))
    add = ir.Eqn(OPS["add"], (x, y), {}, (out,))
    fn = builder.build([out]).replace(eqns=(add,))
    with pytest.raises(ir.ShapeError, match="cannot decide"):
        ir.verify(fn)
    assert ir.verify(fn.replace(guards=(sympy.Eq(S0, s1),))) is not None
