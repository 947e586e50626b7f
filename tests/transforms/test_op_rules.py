"""Walks the op table and the op-case table: every primitive's VJP, JVP and batching rules.

- every record of ir.OPS has all three rules, or no array inputs (so no pass can reach it);
- VJP against float64 central differences along a random direction;
- JVP against VJP: <vjp(ct), t> == <ct, jvp(t)>;
- vmap against a loop over the examples and a stack, for in_axes 0, 1 and None;
- each binary elementwise op (and np.where) with an int32/int64/bool array or Python int as
  the operand not differentiated: VJP and JVP against central differences, vmap of the op
  and of its gradient against loop-and-stack.
"""

import inspect

import numpy as np
import pytest
from ops.cases import CASES
from ops.test_forward import MATRIX_DOMAINS, Arg, assert_matches, make_args, random_matrices

import ir
import jitlib as jl

SEED = 7
BATCH = 3
SHAPES_PER_CASE = 2


# --- the table ----------------------------------------------------------------------------
def _takes_no_arrays(op: ir.Op) -> bool:
    params = inspect.signature(op.shape).parameters.values()
    return all(p.kind == p.KEYWORD_ONLY for p in params)


@pytest.mark.parametrize("name", sorted(ir.OPS))
def test_every_op_has_rules_or_no_inputs(name):
    op = ir.OPS[name]
    missing = [rule for rule in ("jvp", "vjp", "batch") if getattr(op, rule) is None]
    if missing:
        assert _takes_no_arrays(op), f"{name} lacks {missing} and takes array inputs"


# --- cases --------------------------------------------------------------------------------
def _float64(dtype):
    """The case's dtype with float32 (and float16) widened to float64 for numerics."""
    if isinstance(dtype, tuple):
        return tuple(_float64(d) for d in dtype)
    return "float64" if dtype in ("float16", "float32", "float64") else dtype


def _grad_dtype(case):
    """The dtype to differentiate the case at: its float64 (or widened float) one."""
    for dtype in case.dtypes:
        widened = _float64(dtype)
        names = widened if isinstance(widened, tuple) else (widened,)
        if "float64" in names:
            return widened
    return None


def _float_positions(args) -> list:
    return [i for i, a in enumerate(args) if a.dtype == np.float64]


def _float_leaves(out) -> list:
    return [
        i for i, leaf in enumerate(jl.tree_flatten(out)[0]) if np.asarray(leaf).dtype.kind == "f"
    ]


# Points where the function has no derivative: finite differences cannot check a rule there.
NOT_DIFFERENTIABLE = {
    ("norm_keepdims", ((0, 4),)): "the norm of an empty array is sqrt(0)",
}
INTEGER_DOMAINS = ("int", "nonzero_int", "shift")
# Cases whose inputs tie on purpose: unique values and set operations on the 'int' domain.
# A move along a random direction splits each tie, which changes the result's structure
# (how many unique values), so finite differences cannot check them; each has a twin on
# the 'real' domain (no ties), where they can.
TIED_ON_PURPOSE = frozenset(
    "unique_cut unique_padded unique_all_cut unique_all_padded unique_family_cut "
    "unique_family_padded".split()
)


def _grad_args(case, dtype, shapes) -> list:
    """make_args, with integer-valued float arguments moved off the integers, where floor,
    remainder and rounding jump (their derivative is zero on either side)."""
    args = make_args(case, dtype, shapes)
    domains = (case.domain,) * len(args) if isinstance(case.domain, str) else case.domain
    return [  # offsets that no ratio or difference of two arguments turns back into integers
        a + 0.2718 + 0.1414 * i if a.dtype == np.float64 and domain in INTEGER_DOMAINS else a
        for i, (a, domain) in enumerate(zip(args, domains))
    ]


def _checkable(case, args) -> bool:
    """Float64 arguments to differentiate, float64 results, all finite and of moderate size
    (NaN and inf are forward-value cases: nan_to_num's finfo.max overflows the sums here;
    float16/float32 results lose the precision differences need)."""
    out_leaves = [np.asarray(leaf) for leaf in jl.tree_flatten(case.fn(*args))[0]]
    floats = [leaf for leaf in out_leaves if leaf.dtype.kind == "f"]
    return (
        bool(_float_positions(args))
        and bool(floats)
        and all(leaf.dtype == np.float64 and np.abs(leaf).max(initial=0) < 1e100 for leaf in floats)
        and all(np.isfinite(a).all() for a in args if a.dtype == np.float64)
    )


def grad_params(shapes_per_case: int = SHAPES_PER_CASE) -> list:
    """The (case, dtype, shapes) whose gradients the walk checks: the first `shapes_per_case`
    shapes of each differentiable case."""
    return list(_grad_params(shapes_per_case))


def _grad_params(shapes_per_case: int):
    for case in CASES:
        dtype = _grad_dtype(case)
        if dtype is None:
            continue
        for shapes in case.shapes[:shapes_per_case]:
            if (case.name, shapes) in NOT_DIFFERENTIABLE or case.name in TIED_ON_PURPOSE:
                continue
            with np.errstate(all="ignore"):
                args = _grad_args(case, dtype, shapes)
                if not _checkable(case, args):
                    continue
            dims = ",".join("x".join(map(str, s)) or "()" for s in shapes)
            yield pytest.param(case, dtype, shapes, id=f"{case.name}-{dims}")


GRAD_CASES = grad_params()


def _scalarized(case, args, positions, cts):
    """<ct, f(args)> as a function of the float arguments: plain numpy, so it runs eagerly
    (finite differences) and traced (jl.grad)."""

    def loss(*floats):
        full = list(args)
        for p, value in zip(positions, floats):
            full[p] = value
        leaves = jl.tree_flatten(case.fn(*full))[0]
        return sum((leaves[i] * ct).sum() for i, ct in cts.items())

    return loss


def _setup(case, dtype, shapes):
    args = _grad_args(case, dtype, shapes)
    positions = _float_positions(args)
    rng = np.random.default_rng(SEED)
    out_leaves = jl.tree_flatten(case.fn(*args))[0]
    cts = {i: rng.standard_normal(np.shape(out_leaves[i])) for i in _float_leaves(case.fn(*args))}
    direction = [rng.standard_normal(args[p].shape) for p in positions]
    return args, positions, cts, direction


@pytest.mark.parametrize("case, dtype, shapes", GRAD_CASES)
def test_vjp_matches_finite_differences(case, dtype, shapes):
    args, positions, cts, direction = _setup(case, dtype, shapes)
    loss = _scalarized(case, args, positions, cts)
    floats = [args[p] for p in positions]
    grads = jl.grad(loss, argnums=tuple(range(len(floats))))(*floats)
    for g, x in zip(grads, floats):
        assert g.shape == x.shape and g.dtype == x.dtype
    h = 1e-6
    plus = loss(*[x + h * v for x, v in zip(floats, direction)])
    minus = loss(*[x - h * v for x, v in zip(floats, direction)])
    numeric = (plus - minus) / (2 * h)
    analytic = sum(float(np.vdot(g, v)) for g, v in zip(grads, direction))
    scale = 1.0 + sum(
        float(np.abs(g).sum() * np.abs(v).max(initial=0)) for g, v in zip(grads, direction)
    )
    assert abs(analytic - numeric) <= 1e-6 * scale, (analytic, numeric)


@pytest.mark.parametrize("case, dtype, shapes", GRAD_CASES)
def test_jvp_is_the_transpose_of_vjp(case, dtype, shapes):
    args, positions, cts, tangents = _setup(case, dtype, shapes)
    loss = _scalarized(case, args, positions, cts)
    floats = [args[p] for p in positions]
    grads = jl.grad(loss, argnums=tuple(range(len(floats))))(*floats)

    def f(*xs):
        full = list(args)
        for p, value in zip(positions, xs):
            full[p] = value
        return case.fn(*full)

    out, t_out = jl.jvp(f, tuple(floats), tuple(tangents))
    assert_matches(out, case.fn(*args))
    t_leaves = jl.tree_flatten(t_out)[0]
    forward = sum(float(np.vdot(ct, t_leaves[i])) for i, ct in cts.items())
    backward = sum(float(np.vdot(g, t)) for g, t in zip(grads, tangents))
    assert forward == pytest.approx(backward, rel=1e-9, abs=1e-9)


# --- vmap ---------------------------------------------------------------------------------
def _axes(variant: str, args) -> tuple | None:
    if variant == "0":
        return tuple(0 for _ in args)
    if variant == "1":
        return tuple(1 if a.ndim >= 1 else 0 for a in args)
    if len(args) < 2:
        return None
    return (None,) + tuple(0 for _ in args[1:])


def vmap_params(shapes_per_case: int = SHAPES_PER_CASE) -> list:
    """The (case, shapes, in_axes variant) the vmap walk checks: the first `shapes_per_case`
    shapes of each case, batched on axis 0, on axis 1, and (two or more arguments) with the
    first argument unbatched."""
    return list(_vmap_params(shapes_per_case))


def _vmap_params(shapes_per_case: int):
    for case in CASES:
        for shapes in case.shapes[:shapes_per_case]:
            dims = ",".join("x".join(map(str, s)) or "()" for s in shapes)
            for variant in ("0", "1", "none"):
                if variant == "none" and len(shapes) < 2:
                    continue
                yield pytest.param(case, shapes, variant, id=f"{case.name}-{dims}-axes{variant}")


def _redrawn(rng, case, a, position: int):
    """Another example like `a`: its values permuted, or, for a matrix domain (whose
    structure a permutation breaks), drawn afresh."""
    domain = case.domain if isinstance(case.domain, str) else case.domain[position]
    if domain in MATRIX_DOMAINS:
        return random_matrices(rng, Arg(domain, a.dtype.name, a.shape))
    return np.asarray(rng.permutation(a.ravel()).reshape(a.shape), a.dtype)


@pytest.mark.parametrize("case, shapes, variant", vmap_params())
def test_vmap_matches_loop_and_stack(case, shapes, variant):
    dtype = case.dtypes[0]
    examples = [make_args(case, dtype, shapes) for _ in range(BATCH)]
    if BATCH > 1:  # distinct examples: redraw with other seeds
        rng = np.random.default_rng(SEED)
        examples = [[_redrawn(rng, case, a, i) for i, a in enumerate(ex)] for ex in examples]
    axes = _axes(variant, examples[0])
    batched = []
    for i, axis in enumerate(axes):
        if axis is None:
            batched.append(examples[0][i])
        else:
            batched.append(np.stack([ex[i] for ex in examples], axis=axis))
    per_example = [
        case.fn(*[examples[0][i] if axis is None else ex[i] for i, axis in enumerate(axes)])
        for ex in examples
    ]
    leaves = [jl.tree_flatten(out)[0] for out in per_example]
    treedef = jl.tree_flatten(per_example[0])[1]
    expected = jl.tree_unflatten(
        treedef, [np.stack([np.asarray(ls[k]) for ls in leaves]) for k in range(len(leaves[0]))]
    )
    got = jl.vmap(case.fn, in_axes=axes)(*batched)
    assert_matches(got, expected)


# --- integer and bool operands that are not differentiated --------------------------------
# Every binary elementwise op of the table whose result is float for a float and an integer
# operand, plus select (np.where), with the other operand an int32, int64 or bool array or a
# Python int, on either side: its rules must compute in the float dtype (an int32 divisor's
# reciprocal in integers is 0).
OTHER_KINDS = ("int32", "int64", "bool", "python_int")
DIVIDES_BY_Y = {"divide", "floor_divide", "remainder", "fmod"}  # y is never 0 (nor False) there
X_SHAPE, OTHER_SHAPE = (3, 1), (4,)  # both broadcast: the result is (3, 4)


def _float_result_binary_ops() -> list:
    ops = []
    for op in ir.OPS.values():
        ufunc = op.numpy[0] if op.numpy else None
        if "elementwise" not in op.tags or not isinstance(ufunc, np.ufunc) or ufunc.nin != 2:
            continue
        try:
            result = ir.dtypes.result_dtype(ufunc, ("float64", "int32"))
        except TypeError:  # bitwise ops and shifts take no floats
            continue
        if ir.dtypes.is_float(result):
            ops.append(op)
    return ops


def _where(cond):
    return lambda x, y: np.where(cond, x, y)


def _mixed_params():
    cond = np.random.default_rng(SEED).random((3, 4)) < 0.5
    fns = [(op.name, op.numpy[0]) for op in _float_result_binary_ops()] + [("where", _where(cond))]
    for name, fn in fns:
        for kind in OTHER_KINDS:
            for other_first in (False, True):
                divisor = name in DIVIDES_BY_Y and not other_first
                base = name == "power" and other_first
                if kind == "bool" and (divisor or base):  # x / False, False ** -x: inf
                    continue
                side = "other_x" if other_first else "x_other"
                yield pytest.param(name, fn, kind, other_first, id=f"{name}-{kind}-{side}")


MIXED_CASES = list(_mixed_params())
# vmap batches x alone, or x and the other operand (an array: a Python int is never batched)
MIXED_VMAP_CASES = [
    pytest.param(*case.values, batched, id=f"{case.id}-{batched}")
    for case in MIXED_CASES
    for batched in ("x", "both")
    if batched == "x" or case.values[2] != "python_int"
]


def _other(rng, name: str, kind: str, batch: int | None = None):
    """The non-differentiated operand: nonzero integers of both signs (positive as a power's
    base or exponent, so no 0 ** -y), random bools, or a Python int."""
    if kind == "python_int":
        return int(rng.integers(2, 5))
    shape = OTHER_SHAPE if batch is None else (batch, *OTHER_SHAPE)
    if kind == "bool":
        return rng.random(shape) < 0.5
    values = rng.integers(1, 5, shape)
    if name != "power":
        values = values * rng.choice([-1, 1], shape)
    return values.astype(kind)


def _x(rng, name: str, batch: int | None = None):
    """The differentiated operand, away from 0 (it may be a divisor, and m // x jumps ever
    more often near 0); positive as a power's base."""
    shape = X_SHAPE if batch is None else (batch, *X_SHAPE)
    x = rng.uniform(0.5, 2.5, shape)
    return x if name == "power" else x * rng.choice([-1, 1], shape)


def _mixed_setup(name, kind):
    rng = np.random.default_rng(SEED)
    x, other = _x(rng, name), _other(rng, name, kind)
    ct = rng.standard_normal(np.broadcast_shapes(X_SHAPE, np.shape(other)))
    return rng, x, other, ct


def _applied(fn, other, other_first: bool):
    return (lambda x: fn(other, x)) if other_first else (lambda x: fn(x, other))


@pytest.mark.parametrize("name, fn, kind, other_first", MIXED_CASES)
def test_mixed_vjp_matches_finite_differences(name, fn, kind, other_first):
    rng, x, other, ct = _mixed_setup(name, kind)
    f = _applied(fn, other, other_first)

    def loss(x):
        return (f(x) * ct).sum()

    grad = jl.grad(loss)(x)
    assert grad.dtype == np.float64 and grad.shape == x.shape
    direction = rng.standard_normal(x.shape)
    h = 1e-6
    numeric = (loss(x + h * direction) - loss(x - h * direction)) / (2 * h)
    analytic = float(np.vdot(grad, direction))
    scale = 1.0 + float(np.abs(grad).sum() * np.abs(direction).max())
    assert abs(analytic - numeric) <= 1e-6 * scale, (analytic, numeric)
    # differentiated in float32, the gradient is float32 and agrees with the float64 one
    grad32 = jl.grad(loss)(x.astype(np.float32))
    assert grad32.dtype == np.float32
    np.testing.assert_allclose(grad32, grad, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("name, fn, kind, other_first", MIXED_CASES)
def test_mixed_jvp_matches_finite_differences(name, fn, kind, other_first):
    rng, x, other, _ = _mixed_setup(name, kind)
    f = _applied(fn, other, other_first)
    tangent = rng.standard_normal(x.shape)
    out, t_out = jl.jvp(f, (x,), (tangent,))
    assert_matches(out, f(x))
    h = 1e-6
    numeric = (f(x + h * tangent) - f(x - h * tangent)) / (2 * h)
    assert t_out.dtype == np.float64
    np.testing.assert_allclose(t_out, numeric, rtol=1e-6, atol=1e-6 * (1 + np.abs(numeric).max()))


@pytest.mark.parametrize("name, fn, kind, other_first, batched", MIXED_VMAP_CASES)
def test_mixed_vmap_matches_loop_and_stack(name, fn, kind, other_first, batched):
    """vmap of the op and of its gradient, against a loop over the examples and a stack."""
    rng = np.random.default_rng(SEED)
    xs = _x(rng, name, BATCH)
    both = batched == "both"
    others = _other(rng, name, kind, BATCH) if both else _other(rng, name, kind)
    ct = rng.standard_normal((3, 4))

    def f(x, other):
        return fn(other, x) if other_first else fn(x, other)

    def loss(x, other):
        return (f(x, other) * ct).sum()

    in_axes = (0, 0 if both else None)
    examples = [(xs[i], others[i] if both else others) for i in range(BATCH)]
    for g in (f, jl.grad(loss)):
        want = np.stack([np.asarray(g(*example)) for example in examples])
        assert_matches(jl.vmap(g, in_axes=in_axes)(xs, others), want)
