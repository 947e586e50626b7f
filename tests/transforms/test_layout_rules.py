"""Focused checks of the VJP, JVP and batching rules of matmul, the reductions, the scans,
the layout ops and the gather, and of the two primitives only transforms make: `pad` (the
transpose of slice) and `scatter_add` (the transpose of take). The generic walk over the
op-case table is tests/transforms/test_op_rules.py; this file covers the tricky inputs:
zeros in products, ties in max, negative and repeated indices, broadcast batch dims.
"""

import numpy as np
import pytest

import ir
import jitlib as jl
from ir.core import Builder, Type

SEED = 11


def _rng():
    return np.random.default_rng(SEED)


def _normal(*shape):
    return _rng().standard_normal(shape)


# --- checks -------------------------------------------------------------------------------
def check_vjp(f, *args):
    """jl.vjp against central differences along a random direction, and jl.jvp against the
    VJP (<vjp(ct), t> == <ct, jvp(t)>), for float64 arguments."""
    rng = _rng()
    out, vjp_fn = jl.vjp(f, *args)
    ct = rng.standard_normal(np.shape(out))
    grads = vjp_fn(ct)
    direction = [rng.standard_normal(np.shape(a)) for a in args]
    h = 1e-6
    plus = f(*[a + h * v for a, v in zip(args, direction)])
    minus = f(*[a - h * v for a, v in zip(args, direction)])
    numeric = float(np.vdot(ct, (plus - minus) / (2 * h)))
    analytic = sum(float(np.vdot(g, v)) for g, v in zip(grads, direction))
    assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-6)
    _, t_out = jl.jvp(f, args, tuple(direction))
    assert float(np.vdot(ct, t_out)) == pytest.approx(analytic, rel=1e-9, abs=1e-9)


def check_vmap(f, args, in_axes):
    """jl.vmap(f, in_axes) against a loop over the examples and a stack."""
    size = next(np.shape(a)[axis] for a, axis in zip(args, in_axes) if axis is not None)
    expected = np.stack(
        [
            f(*[a if axis is None else np.take(a, i, axis=axis) for a, axis in zip(args, in_axes)])
            for i in range(size)
        ]
    )
    got = jl.vmap(f, in_axes=in_axes)(*args)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# --- matmul -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "x_shape, y_shape",
    [((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)), ((3,), (2, 3, 4))],
)
def test_matmul_with_broadcast_batch_dims(x_shape, y_shape):
    check_vjp(np.matmul, _normal(*x_shape), _normal(*y_shape) + 1.0)


def test_matmul_grad_of_the_float_operand_of_a_mixed_product():
    weights = np.arange(12, dtype=np.int32).reshape(3, 4) - 5
    x = _normal(2, 3)
    grad = jl.grad(lambda x: (x @ weights).sum())(x)
    np.testing.assert_allclose(grad, np.broadcast_to(weights.sum(axis=1), (2, 3)))


@pytest.mark.parametrize(
    "in_axes, y_shape", [((0, 0), (3, 4, 2)), ((1, 2), (4, 2, 3)), ((0, None), (4, 2))]
)
def test_matmul_vmap(in_axes, y_shape):
    check_vmap(np.matmul, (_normal(3, 3, 4), _normal(*y_shape) - 0.5), in_axes)


def test_matmul_vmap_lines_up_batch_dims_of_different_rank():
    x, y = _normal(3, 2, 1, 3, 4), _normal(5, 4, 2)
    check_vmap(np.matmul, (x, y), (0, None))
    check_vmap(np.matmul, (x[0], _normal(3, 5, 4, 2)), (None, 0))


# --- max, min, prod -----------------------------------------------------------------------
def test_max_spreads_the_gradient_over_ties():
    x = np.array([[1.0, 3.0, 3.0, 2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, -4.0, 2.0, 0.0]])
    weights = np.array([1.0, 2.0, 3.0])
    grad = jl.grad(lambda x: (np.max(x, axis=1) * weights).sum())(x)
    expected = [[0, 0.5, 0.5, 0], [0.5, 0.5, 0.5, 0.5], [0, 0, 3, 0]]
    np.testing.assert_array_equal(grad, expected)
    _, tangent = jl.jvp(lambda x: np.min(x, axis=1), (x,), (np.ones_like(x) * np.arange(4),))
    np.testing.assert_array_equal(tangent, [0, 1.5, 1])


@pytest.mark.parametrize("axis", [None, 0, (0, 2)])
@pytest.mark.parametrize("reduce", [np.max, np.min, np.prod])
def test_reductions_numerically(reduce, axis):
    check_vjp(lambda x: reduce(x, axis=axis), _normal(3, 4, 2))
    check_vmap(lambda x: reduce(x, axis=axis), (_normal(2, 3, 4, 2),), (1,))


def _others_product(x: np.ndarray) -> np.ndarray:
    """d prod(x) / d x_i by brute force: the product of every element but x_i."""
    flat = x.ravel()
    return np.array([np.prod(np.delete(flat, i)) for i in range(flat.size)]).reshape(x.shape)


@pytest.mark.parametrize("zeros", [[], [5], [1, 5]])
def test_prod_gradient_is_exact_with_zeros(zeros):
    x = _normal(2, 4)
    x.ravel()[zeros] = 0.0
    grad = jl.grad(lambda x: np.prod(x))(x)
    np.testing.assert_allclose(grad, _others_product(x), rtol=1e-12, atol=0)
    rows = jl.grad(lambda x: np.prod(x, axis=1).sum())(x)
    np.testing.assert_allclose(rows, np.stack([_others_product(r) for r in x]), rtol=1e-12)


def test_prod_hessian_with_a_zero():
    x = np.array([0.0, 2.0, 3.0])
    expected = [[0, 3, 2], [3, 0, 0], [2, 0, 0]]  # d2 (x0 x1 x2) / dxi dxj, i != j
    np.testing.assert_allclose(jl.hessian(np.prod)(x), expected)


# --- cumsum, cumprod ----------------------------------------------------------------------
def _cumprod_jacobian(x: np.ndarray) -> np.ndarray:
    """J[i, k] = d cumprod(x)_i / d x_k by brute force."""
    n = x.size
    return np.array(
        [[np.prod(np.delete(x[: i + 1], k)) if k <= i else 0.0 for k in range(n)] for i in range(n)]
    )


@pytest.mark.parametrize("zeros", [[], [1], [1, 3]])
def test_cumprod_jacobian_is_exact_with_zeros(zeros):
    x = _normal(5)
    x[zeros] = 0.0
    expected = _cumprod_jacobian(x)
    np.testing.assert_allclose(jl.jacrev(np.cumprod)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(jl.jacfwd(np.cumprod)(x), expected, rtol=1e-12)


@pytest.mark.parametrize("scan", [np.cumsum, np.cumprod])
@pytest.mark.parametrize("axis", [0, 2])
def test_scans_numerically(scan, axis):
    x = _normal(3, 2, 4)
    x[1, 0, 2] = 0.0
    check_vjp(lambda x: scan(x, axis=axis), x)
    check_vmap(lambda x: scan(x, axis=axis), (_normal(2, 3, 2, 4),), (2,))


def test_cumsum_gradient_sums_from_the_end():
    grad = jl.grad(lambda x: (np.cumsum(x) * np.array([1.0, 2.0, 3.0])).sum())(_normal(3))
    np.testing.assert_array_equal(grad, [6.0, 5.0, 3.0])


# --- take and scatter_add -----------------------------------------------------------------
INDICES = np.array([[0, -1, 2], [4, 4, -5]])  # negative and repeated


def test_take_gradient_adds_up_repeated_and_negative_indices():
    x = _normal(5, 2)
    grad = jl.grad(lambda x: (x[INDICES] * 2.0).sum())(x)
    counts = np.bincount(INDICES.ravel() % 5, minlength=5)
    np.testing.assert_array_equal(grad, np.broadcast_to(2.0 * counts[:, None], (5, 2)))


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_take_numerically(axis):
    check_vjp(lambda x: np.take(x, INDICES, axis=axis), _normal(5, 5, 5))


@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (0, None), (2, 1)])
@pytest.mark.parametrize("axis", [0, 1])
def test_take_vmap_with_per_example_indices(in_axes, axis):
    rng = _rng()
    x = rng.standard_normal((4, 4, 4))
    indices = rng.integers(-4, 4, (4, 4, 3))
    check_vmap(lambda x, i: np.take(x, i, axis=axis), (x, indices), in_axes)


def test_take_vmap_keeps_index_errors():
    x, indices = _normal(3, 4), np.array([[0], [4], [1]])  # 4 is out of range of 4 columns
    with pytest.raises(IndexError):
        jl.vmap(lambda x, i: np.take(x, i, axis=0))(x, indices)


def _gather_loss(x, indices):
    return (np.take(x, indices, axis=1) ** 2).sum()


@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (0, None)])
def test_scatter_add_vmap_through_grad_of_a_gather(in_axes):
    rng = _rng()
    x, indices = rng.standard_normal((3, 5, 5)), rng.integers(-5, 5, (3, 7))
    check_vmap(jl.grad(_gather_loss), (x, indices), in_axes)


def test_scatter_add_vjp_and_jvp_through_grad_of_a_gather():
    """The VJP of take is a scatter_add, so differentiating the gradient runs scatter_add's
    own rules: its VJP (a take) and JVP (a scatter_add of tangents)."""
    indices = np.array([3, -1, 0, 3])
    x = _normal(2, 5)
    check_vjp(lambda x: jl.grad(_gather_loss)(x, indices), x)
    hessian = jl.hessian(lambda x: _gather_loss(x, indices))(x)
    counts = np.bincount(indices % 5, minlength=5)
    expected = np.diag(np.tile(2.0 * counts, 2)).reshape(2, 5, 2, 5)
    np.testing.assert_allclose(hessian, expected)


def test_scatter_add_runs_in_the_interpreter_and_the_numpy_backend():
    indices = np.array([1, 1, -1])
    x = _normal(2, 4)
    grad = jl.jit(jl.grad(lambda x: (x[:, indices] * 3.0).sum()))
    lowered = grad.lower(x)
    ir.verify(lowered.ir)
    assert "scatter_add" in ir.as_text(lowered.ir)
    assert "scatter_add(" in lowered.compile().source
    expected = np.broadcast_to([0.0, 6.0, 0.0, 3.0], (2, 4))
    np.testing.assert_array_equal(grad(x), expected)
    np.testing.assert_array_equal(ir.interpret(lowered.ir, x)[0], expected)


# --- pad ----------------------------------------------------------------------------------
def _pad_fn(length: int, **params) -> ir.Function:
    builder = Builder()
    x = builder.param(Type("float64", (length,)))
    return builder.build([builder.bind(ir.OPS["pad"], x, **params)])


def test_pad_puts_zeros_around_and_between_elements():
    fn = _pad_fn(3, lo=(1,), hi=(2,), interior=(2,))
    (out,) = ir.interpret(fn, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [0, 1, 0, 0, 2, 0, 0, 3, 0, 0])
    assert fn.results[0].type.shape == (10,)
    empty = _pad_fn(0, lo=(1,), hi=(3,), interior=(2,))  # the transpose of an empty slice
    assert ir.interpret(empty, np.zeros(0))[0].tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    "params",
    [
        dict(lo=(-1,), hi=(0,), interior=(0,)),
        dict(lo=(0,), hi=(0,), interior=(-1,)),
        dict(lo=(0, 0), hi=(0, 0), interior=(0, 0)),
        dict(lo=(0,), hi=(0,), interior=(0.5,)),
    ],
)
def test_pad_shape_rule_rejects_bad_params(params):
    with pytest.raises(ir.ShapeError):
        _pad_fn(3, **params)


def test_np_pad_is_the_pad_primitive():
    raw = jl.make_ir(lambda x: np.pad(x, ((1, 2), (0, 3))))(_normal(3, 4)).ir
    assert [eqn.op.name for eqn in raw.eqns] == ["pad"]


def test_pad_rules_through_a_strided_slice():
    """A strided slice's VJP pads with interior zeros; differentiating and batching that
    VJP runs pad's own rules (its VJP is a strided slice)."""
    x = _normal(7, 5)
    _, slice_vjp = jl.vjp(lambda x: x[1::3, ::-2], x)
    cotangent = _normal(2, 3)
    expected = np.zeros((7, 5))
    expected[1::3, ::-2] = cotangent
    np.testing.assert_array_equal(slice_vjp(cotangent)[0], expected)

    def pad_of(ct):
        return jl.grad(lambda x: (x[1::3, ::-2] * ct).sum())(x)

    check_vjp(pad_of, cotangent)
    check_vmap(pad_of, (_normal(4, 2, 3),), (0,))


def test_pad_rules_through_np_pad():
    check_vjp(lambda x: np.pad(x, ((1, 2), (0, 3)), constant_values=1.5), _normal(3, 4))
    check_vmap(lambda x: np.pad(x, ((1, 2), (2, 0))), (_normal(3, 2, 4),), (1,))


# --- slice, flip, concatenate, and integer results ----------------------------------------
def test_layout_ops_numerically():
    x = _normal(6, 5)
    check_vjp(lambda x: np.concatenate([x[:2], 2.0 * x, np.flip(x[3:], axis=1)], axis=0), x)
    check_vjp(lambda x: x[-3:, 1::2], x)


@pytest.mark.parametrize(
    "in_axes, x_shape, y_shape",
    [
        ((0, None), (3, 3, 4), (3, 2)),
        ((None, 1), (3, 4), (3, 3, 2)),
        ((1, 0), (3, 3, 4), (3, 3, 2)),
    ],
)
def test_concatenate_vmap_with_unbatched_operands(in_axes, x_shape, y_shape):
    x, y = _normal(*x_shape), _normal(*y_shape)
    check_vmap(lambda x, y: np.concatenate([x, y], axis=1), (x, y), in_axes)


def test_integer_results_have_no_derivative():
    x = _normal(3, 4)

    def pick_max(x):
        return np.take(x, np.argmax(x, axis=1), axis=1).sum() + np.any(x > 0)

    counts = np.bincount(np.argmax(x, axis=1), minlength=4)
    expected = np.broadcast_to(counts.astype(float), (3, 4))
    np.testing.assert_array_equal(jl.grad(pick_max)(x), expected)
    _, tangent = jl.jvp(lambda x: np.argmin(x, axis=0), (x,), (np.ones_like(x),))
    assert tangent.dtype == np.int64 and not tangent.any()
    check_vmap(lambda x: np.argmax(x, axis=1), (x[None] + _normal(2, 3, 4),), (0,))
    check_vmap(lambda x: np.all(x > 0, axis=0), (x[None] + _normal(2, 3, 4),), (1,))
