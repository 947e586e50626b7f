"""Each pass: golden IR text before and after it, and that it keeps values, keeps the IR
valid (`ir.verify`) and leaves its input Function untouched."""

from typing import NamedTuple

import numpy as np
import pytest

import ir
import jitlib as jl
import jitlib.numpy as jnp
from ir.passes import PIPELINE, cse, dce, fold, optimize, simplify


class Case(NamedTuple):
    name: str
    fn: object
    shape: tuple
    run_pass: object
    before: str
    after: str


def traced(fn, *args) -> ir.Function:
    return jl.make_ir(fn)(*args).ir


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


CASES = [
    Case(
        "identities",
        lambda x: (x * 1.0 + -0.0 - 0.0) / 1.0,  # x + (-0.0) is exact; x + 0.0 is not
        (3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=1.0, dtype=float32] : f32[]
  %2 = multiply %0, %1 : f32[s0,s1]
  %3 = constant[value=-0.0, dtype=float32] : f32[]
  %4 = add %2, %3 : f32[s0,s1]
  %5 = constant[value=0.0, dtype=float32] : f32[]
  %6 = subtract %4, %5 : f32[s0,s1]
  %7 = constant[value=1.0, dtype=float32] : f32[]
  %8 = divide %6, %7 : f32[s0,s1]
  return %8
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=1.0, dtype=float32] : f32[]
  %2 = constant[value=-0.0, dtype=float32] : f32[]
  %3 = constant[value=0.0, dtype=float32] : f32[]
  %4 = constant[value=1.0, dtype=float32] : f32[]
  return %0
}""",
    ),
    Case(
        "double_negation",
        lambda x: np.negative(np.negative(x)),
        (3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1]) {
  %1 = negative %0 : f32[s0,s1]
  %2 = negative %1 : f32[s0,s1]
  return %2
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = negative %0 : f32[s0,s1]
  return %0
}""",
    ),
    Case(
        "reshape_of_reshape",
        lambda x: x.reshape(-1, 2).reshape(-1),
        (3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1]) {
  %1 = reshape[shape=(-1, 2)] %0 : f32[s0*s1/2,2]
  %2 = reshape[shape=(-1,)] %1 : f32[s0*s1]
  return %2
}
guards: Eq(Mod(s0*s1, 2), 0)""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = reshape[shape=(-1, 2)] %0 : f32[s0*s1/2,2]
  %2 = reshape[shape=(s0*s1,)] %0 : f32[s0*s1]
  return %2
}
guards: Eq(Mod(s0*s1, 2), 0)""",
    ),
    Case(
        "reshape_back",
        lambda x: x.reshape(-1).reshape(x.shape),
        (3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1]) {
  %1 = reshape[shape=(-1,)] %0 : f32[s0*s1]
  %2 = reshape[shape=(s0, s1)] %1 : f32[s0,s1]
  return %2
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = reshape[shape=(-1,)] %0 : f32[s0*s1]
  return %0
}""",
    ),
    Case(
        "transpose_of_transpose",
        lambda x: x.T.T,
        (3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1]) {
  %1 = transpose[axes=(1, 0)] %0 : f32[s1,s0]
  %2 = transpose[axes=(1, 0)] %1 : f32[s0,s1]
  return %2
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = transpose[axes=(1, 0)] %0 : f32[s1,s0]
  return %0
}""",
    ),
    Case(  # transpose(transpose(x, p), q) == transpose(x, p[q]): here (2, 0, 1)
        "transpose_composition",
        lambda x: np.transpose(np.transpose(x, (1, 2, 0)), (1, 2, 0)),
        (2, 3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1,s2]) {
  %1 = transpose[axes=(1, 2, 0)] %0 : f32[s1,s2,s0]
  %2 = transpose[axes=(1, 2, 0)] %1 : f32[s2,s0,s1]
  return %2
}""",
        """func lambda(%0: f32[s0,s1,s2]) {
  %1 = transpose[axes=(1, 2, 0)] %0 : f32[s1,s2,s0]
  %2 = transpose[axes=(2, 0, 1)] %0 : f32[s2,s0,s1]
  return %2
}""",
    ),
    Case(
        "broadcast_scalar_into_elementwise",
        lambda x: jnp.full(x.shape, 2.0, np.float32) * x,
        (3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=2.0, dtype=float32] : f32[]
  %2 = broadcast_to[shape=(s0, s1)] %1 : f32[s0,s1]
  %3 = multiply %2, %0 : f32[s0,s1]
  return %3
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=2.0, dtype=float32] : f32[]
  %2 = broadcast_to[shape=(s0, s1)] %1 : f32[s0,s1]
  %3 = multiply %1, %0 : f32[s0,s1]
  return %3
}""",
    ),
    Case(
        "small_powers",
        lambda x: x**2 + x**3 + x**4,
        (3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=2.0, dtype=float32] : f32[]
  %2 = power %0, %1 : f32[s0,s1]
  %3 = constant[value=3.0, dtype=float32] : f32[]
  %4 = power %0, %3 : f32[s0,s1]
  %5 = add %2, %4 : f32[s0,s1]
  %6 = constant[value=4.0, dtype=float32] : f32[]
  %7 = power %0, %6 : f32[s0,s1]
  %8 = add %5, %7 : f32[s0,s1]
  return %8
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=2.0, dtype=float32] : f32[]
  %2 = multiply %0, %0 : f32[s0,s1]
  %3 = constant[value=3.0, dtype=float32] : f32[]
  %4 = multiply %0, %0 : f32[s0,s1]
  %5 = multiply %4, %0 : f32[s0,s1]
  %6 = add %2, %5 : f32[s0,s1]
  %7 = constant[value=4.0, dtype=float32] : f32[]
  %8 = multiply %0, %0 : f32[s0,s1]
  %9 = multiply %8, %8 : f32[s0,s1]
  %10 = add %6, %9 : f32[s0,s1]
  return %10
}""",
    ),
    Case(  # the gradient of x - m for a reduced m makes sum(ct * -1)
        "negated_sum",
        lambda x: (x * -1.0).sum(axis=1),
        (3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=-1.0, dtype=float32] : f32[]
  %2 = multiply %0, %1 : f32[s0,s1]
  %3 = sum[axis=(1,)] %2 : f32[s0]
  return %3
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=-1.0, dtype=float32] : f32[]
  %2 = negative %0 : f32[s0,s1]
  %3 = sum[axis=(1,)] %0 : f32[s0]
  %4 = negative %3 : f32[s0]
  return %4
}""",
    ),
    Case(  # the gradient of (d * d).mean() makes ct * d + ct * d with ct = 1/n
        "doubling_onto_a_scalar_factor",
        lambda x: (lambda y: y + y)(x.mean() * x),
        (3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1]) {
  %1 = sum[axis=(0, 1)] %0 : f32[]
  %2 = dim[size=s0*s1] : i64[]
  %3 = convert[dtype=float32] %2 : f32[]
  %4 = divide %1, %3 : f32[]
  %5 = multiply %4, %0 : f32[s0,s1]
  %6 = add %5, %5 : f32[s0,s1]
  return %6
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = sum[axis=(0, 1)] %0 : f32[]
  %2 = dim[size=s0*s1] : i64[]
  %3 = convert[dtype=float32] %2 : f32[]
  %4 = divide %1, %3 : f32[]
  %5 = multiply %4, %0 : f32[s0,s1]
  %6 = constant[value=2.0, dtype=float32] : f32[]
  %7 = multiply %4, %6 : f32[]
  %8 = multiply %7, %0 : f32[s0,s1]
  return %8
}""",
    ),
    Case(  # the transforms have run by the time the pipeline does
        "stop_gradient",
        lambda x: jl.stop_gradient(x) * x,
        (3, 4),
        simplify,
        """func lambda(%0: f32[s0,s1]) {
  %1 = stop_gradient %0 : f32[s0,s1]
  %2 = multiply %1, %0 : f32[s0,s1]
  return %2
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = multiply %0, %0 : f32[s0,s1]
  return %1
}""",
    ),
    Case(  # 2 * 3 + 1 == 7
        "fold_scalar_arithmetic",
        lambda x: x * (jnp.full((), 2.0, np.float32) * 3.0 + 1.0),
        (3, 4),
        fold,
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=2.0, dtype=float32] : f32[]
  %2 = broadcast_to[shape=()] %1 : f32[]
  %3 = constant[value=3.0, dtype=float32] : f32[]
  %4 = multiply %2, %3 : f32[]
  %5 = constant[value=1.0, dtype=float32] : f32[]
  %6 = add %4, %5 : f32[]
  %7 = multiply %0, %6 : f32[s0,s1]
  return %7
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=2.0, dtype=float32] : f32[]
  %2 = constant[value=2.0, dtype=float32] : f32[]
  %3 = constant[value=3.0, dtype=float32] : f32[]
  %4 = constant[value=6.0, dtype=float32] : f32[]
  %5 = constant[value=1.0, dtype=float32] : f32[]
  %6 = constant[value=7.0, dtype=float32] : f32[]
  %7 = multiply %0, %6 : f32[s0,s1]
  return %7
}""",
    ),
    Case(  # sum(exp([0, 0])) == 2
        "fold_small_arrays",
        lambda x: x + np.exp(jnp.zeros((2,), np.float32)).sum(),
        (3, 4),
        fold,
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=0.0, dtype=float32] : f32[]
  %2 = broadcast_to[shape=(2,)] %1 : f32[2]
  %3 = exp %2 : f32[2]
  %4 = sum[axis=(0,)] %3 : f32[]
  %5 = add %0, %4 : f32[s0,s1]
  return %5
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=0.0, dtype=float32] : f32[]
  %2 = constant[value=[0.,0.], dtype=float32] : f32[2]
  %3 = constant[value=[1.,1.], dtype=float32] : f32[2]
  %4 = constant[value=2.0, dtype=float32] : f32[]
  %5 = add %0, %4 : f32[s0,s1]
  return %5
}""",
    ),
    Case(
        "cse_duplicate_exp",
        lambda x: np.exp(x) + np.exp(x),
        (3, 4),
        cse,
        """func lambda(%0: f32[s0,s1]) {
  %1 = exp %0 : f32[s0,s1]
  %2 = exp %0 : f32[s0,s1]
  %3 = add %1, %2 : f32[s0,s1]
  return %3
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = exp %0 : f32[s0,s1]
  %2 = add %1, %1 : f32[s0,s1]
  return %2
}""",
    ),
    Case(
        "cse_keeps_different_params",
        lambda x: x.sum(axis=0) + x.sum(axis=1)[:1] + x.sum(axis=0),
        (3, 4),
        cse,
        """func lambda(%0: f32[s0,s1]) {
  %1 = sum[axis=(0,)] %0 : f32[s1]
  %2 = sum[axis=(1,)] %0 : f32[s0]
  %3 = slice[start=(0,), stop=(1,), step=(1,)] %2 : f32[1]
  %4 = add %1, %3 : f32[s1]
  %5 = sum[axis=(0,)] %0 : f32[s1]
  %6 = add %4, %5 : f32[s1]
  return %6
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = sum[axis=(0,)] %0 : f32[s1]
  %2 = sum[axis=(1,)] %0 : f32[s0]
  %3 = slice[start=(0,), stop=(1,), step=(1,)] %2 : f32[1]
  %4 = add %1, %3 : f32[s1]
  %5 = add %4, %1 : f32[s1]
  return %5
}""",
    ),
    Case(
        "dce_unused_value",
        lambda x: (np.sin(x), np.cos(x))[0] * 2.0,
        (3, 4),
        dce,
        """func lambda(%0: f32[s0,s1]) {
  %1 = sin %0 : f32[s0,s1]
  %2 = cos %0 : f32[s0,s1]
  %3 = constant[value=2.0, dtype=float32] : f32[]
  %4 = multiply %1, %3 : f32[s0,s1]
  return %4
}""",
        """func lambda(%0: f32[s0,s1]) {
  %1 = sin %0 : f32[s0,s1]
  %2 = constant[value=2.0, dtype=float32] : f32[]
  %3 = multiply %1, %2 : f32[s0,s1]
  return %3
}""",
    ),
]

OPTIMIZED = {
    "identities": """func lambda(%0: f32[s0,s1]) {
  return %0
}""",
    "small_powers": """func lambda(%0: f32[s0,s1]) {
  %1 = multiply %0, %0 : f32[s0,s1]
  %2 = multiply %1, %0 : f32[s0,s1]
  %3 = add %1, %2 : f32[s0,s1]
  %4 = multiply %1, %1 : f32[s0,s1]
  %5 = add %3, %4 : f32[s0,s1]
  return %5
}""",
    "broadcast_scalar_into_elementwise": """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=2.0, dtype=float32] : f32[]
  %2 = multiply %1, %0 : f32[s0,s1]
  return %2
}""",
    "fold_scalar_arithmetic": """func lambda(%0: f32[s0,s1]) {
  %1 = constant[value=7.0, dtype=float32] : f32[]
  %2 = multiply %0, %1 : f32[s0,s1]
  return %2
}""",
}


def ids(cases):
    return [case.name for case in cases]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_golden_before_and_after(case):
    fn = traced(case.fn, rand(case.shape))
    assert ir.as_text(fn) == case.before
    assert ir.as_text(case.run_pass(fn)) == case.after


@pytest.mark.parametrize("name", sorted(OPTIMIZED))
def test_golden_pipeline(name):
    case = next(c for c in CASES if c.name == name)
    assert ir.as_text(optimize(traced(case.fn, rand(case.shape)), check=True)) == OPTIMIZED[name]


def test_fold_leaves_large_constants_computed_at_run_time():
    fn = traced(lambda x: x + jnp.zeros((100,), np.float32).sum(), rand((3, 4)))
    assert "broadcast_to[shape=(100,)]" in ir.as_text(fold(fn))
    assert "sum[axis=(0,)]" in ir.as_text(fold(fn))


def test_passes_keep_guards():
    fn = traced(lambda x: x.reshape(-1, 2).reshape(-1) * 1.0, rand((3, 4)))
    for _, run_pass in PIPELINE:
        assert run_pass(fn).guards == fn.guards


# --- value preservation over the golden cases and a few composites --------------------------


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def layernorm(x):
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + 1e-5)


def mixed(x):
    y = np.where(x > 0, x**2, -x) * np.ones_like(x) + 0.0
    z = np.tanh(y).T.T.reshape(-1).reshape(x.shape)
    return z @ z.T * 1.0, (np.exp(y) + np.exp(y)).sum(axis=0)


VALUE_FUNCTIONS = [(case.name, case.fn, case.shape) for case in CASES] + [
    ("softmax", softmax, (5, 7)),
    ("layernorm", layernorm, (5, 7)),
    ("mixed", mixed, (4, 6)),
]
PASSES = PIPELINE + [("optimize", lambda fn: optimize(fn, check=True))]


@pytest.mark.parametrize("run_pass", [p for _, p in PASSES], ids=[n for n, _ in PASSES])
@pytest.mark.parametrize(
    "fn, shape", [v[1:] for v in VALUE_FUNCTIONS], ids=[v[0] for v in VALUE_FUNCTIONS]
)
def test_pass_preserves_values_and_validity(fn, shape, run_pass):
    x = rand(shape, seed=1)
    before = ir.verify(traced(fn, x))
    text = ir.as_text(before)
    after = ir.verify(run_pass(before))
    assert ir.as_text(before) == text  # the input Function is left untouched
    for got, want in zip(ir.interpret(after, x), ir.interpret(before, x), strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for got, want in zip(ir.interpret(before, x), jl.tree_flatten(fn(x))[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("run_pass", [cse, dce, fold], ids=["cse", "dce", "fold"])
def test_pass_is_idempotent(run_pass):
    fn = traced(mixed, rand((4, 6)))
    once = run_pass(fn)
    assert ir.as_text(run_pass(once)) == ir.as_text(once)


def test_float_plus_zero_is_kept_because_it_turns_negative_zero_positive():
    x = np.array([-0.0, 1.5, -2.0], np.float32)
    fn = simplify(traced(lambda x: 1.0 / (x + 0.0), x))
    assert "add" in [eqn.op.name for eqn in fn.eqns]
    with np.errstate(divide="ignore"):  # 1 / +0.0 is the point of the test
        np.testing.assert_array_equal(jl.jit(lambda x: 1.0 / (x + 0.0))(x), 1.0 / (x + 0.0))


def test_int_plus_zero_is_removed():
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    fn = simplify(traced(lambda x: x + 0, x))
    assert "add" not in [eqn.op.name for eqn in fn.eqns]


def test_integer_sum_of_a_negation_is_kept():
    """int32 sums widen to int64, where -x of int32's minimum has already wrapped."""
    x = np.array([[np.iinfo(np.int32).min, 3]], np.int32)
    fn = simplify(traced(lambda x: (-x).sum(axis=1), x))
    assert [eqn.op.name for eqn in fn.eqns] == ["negative", "sum"]
    np.testing.assert_array_equal(jl.jit(lambda x: (-x).sum(axis=1))(x), (-x).sum(axis=1))


def test_scale_moves_only_for_powers_of_two():
    """(s * x) * 3 rounds differently from (s * 3) * x, so only a power of two moves onto s."""
    for factor, moves in ((3.0, False), (0.25, True)):
        fn = simplify(traced(lambda x, k=factor: (x.mean() * x) * k, rand((3, 4))))
        last = fn.eqns[-1]  # moved: (s * k) * x; kept: (s * x) * k
        assert (fn.params[0] in last.inputs) == moves, ir.as_text(fn)


# logical_and/logical_or with a constant operand, on either side, of every shape relation
LOGICAL_CONSTANT_CASES = [
    (op, constant, side, shape)
    for op in (np.logical_and, np.logical_or)
    for constant in (True, False, np.True_, np.False_)
    for side in ("left", "right")
    for shape in ((5,), (3, 4), ())
]


@pytest.mark.parametrize("op, constant, side, shape", LOGICAL_CONSTANT_CASES)
def test_logical_ops_with_a_constant_fold(op, constant, side, shape):
    def f(x):
        mask = x > 0.2
        return op(mask, constant) if side == "right" else op(constant, mask)

    x = np.random.default_rng(5).random(shape)
    jitted = jl.jit(f)
    got = jitted(x)
    np.testing.assert_array_equal(got, f(x))
    assert got.dtype == np.bool_ and np.shape(got) == np.shape(f(x))
    names = [e.op.name for e in jitted.lower(x).ir.eqns]
    assert op.__name__ not in names, names


def test_grad_of_a_square_drops_its_zero_guard():
    """Named regression: grad of (x - y) ** 2 guarded 0 ** 1 with `(d == 0) & False` and a
    select that never chose; both are gone."""
    lowered = jl.jit(jl.grad(lambda x, y: ((x - y) ** 2).sum())).lower(np.ones(4), np.ones(4))
    names = [e.op.name for e in lowered.ir.eqns]
    assert "select" not in names and "logical_and" not in names and "equal" not in names


def _matmul_operand_ranks(lowered) -> list:
    return [
        tuple(x.type.ndim for x in e.inputs) for e in lowered.ir.eqns if e.op.name == "matmul"
    ]


@pytest.mark.parametrize("backend", ["numpy", "triton"])
def test_a_stack_of_matrices_times_one_matrix_is_one_product(backend):
    """(batch, seq, k) @ (k, n), a layer applied to a batch of sequences, is one
    (batch*seq, k) @ (k, n) product: numpy runs a stack as one BLAS call per matrix."""
    x, w = rand((2, 3, 4)), rand((4, 5), seed=1)
    f = jl.jit(lambda x, w: np.tanh(x @ w), backend=backend)
    assert _matmul_operand_ranks(f.lower(x, w)) == [(2, 2)]
    np.testing.assert_allclose(f(x, w), np.tanh(x @ w), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("backend", ["numpy", "triton"])
def test_gradient_of_a_layer_over_a_stack_is_one_product_per_operand(backend):
    """Named regression: the weight gradient of (batch, seq, k) @ (k, n) was a stack of
    x_b^T @ ct_b products and a sum over the batch; it is one x^T @ ct over all rows, and
    the input gradient ct @ w^T one product too. Both against the float64 gradient."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))

    def loss(w, x):
        return np.tanh(x @ w).sum()

    grads = jl.jit(jl.grad(loss, argnums=(0, 1)), backend=backend)
    lowered = grads.lower(w, x)
    assert set(_matmul_operand_ranks(lowered)) == {(2, 2)}
    assert not [e for e in lowered.ir.eqns if e.op.name == "sum"]
    ct = 1.0 - np.tanh(x @ w) ** 2
    want_w = np.einsum("bsk,bsn->kn", x, ct)
    want_x = ct @ w.T
    got_w, got_x = grads(w, x)
    np.testing.assert_allclose(got_w, want_w, rtol=1e-10)
    np.testing.assert_allclose(got_x, want_x, rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("axis", [(0,), (0, 2), (2,)])
def test_a_sum_over_axes_of_size_one_adds_nothing_up(dtype, axis):
    """A sum whose axes all have size 1 is a reshape (plus 0.0 for floats: numpy's sum
    starts at 0, so -0.0 comes out 0.0): no sum is left, and the values, -0.0 included,
    are numpy's."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((1, 3, 1)) * 10).astype(dtype)
    if dtype.startswith("float"):
        x[0, 0, 0] = -0.0
    f = jl.jit(lambda x: x.sum(axis=axis))
    assert "sum" not in [e.op.name for e in f.lower(x).ir.eqns]
    got, want = f(x), x.sum(axis=axis)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_gradient_of_take_along_axis_sums_no_axis_of_size_one():
    """Named regression: the gradient of a cross-entropy's take_along_axis summed its one-hot
    over the gathered axis of size 1, an einsum over a trailing axis of one element."""
    rng = np.random.default_rng(6)
    logits, labels = rng.standard_normal((4, 5)), rng.integers(0, 5, 4)

    def loss(logits):
        return -np.take_along_axis(logits, labels[:, None], axis=-1).mean()

    g = jl.jit(jl.grad(loss))
    for e in g.lower(logits).ir.eqns:
        if e.op.name == "sum":
            assert not all(e.inputs[0].type.shape[a] == 1 for a in e.params["axis"])
    want = np.zeros_like(logits)
    want[np.arange(4), labels] = -1 / 4
    np.testing.assert_allclose(g(logits), want)
