"""Walks the op table and the op-case table: every primitive's VJP, JVP and batching rules.

- every record of ir.OPS has all three rules, or no array inputs (so no pass can reach it);
- VJP against float64 central differences along a random direction;
- JVP against VJP: <vjp(ct), t> == <ct, jvp(t)>;
- vmap against a loop over the examples and a stack, for in_axes 0, 1 and None.
"""

import inspect

import numpy as np
import pytest
from ops.cases import CASES
from ops.test_forward import assert_matches, make_args

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
    ("std", ((),)): "the std of one element is sqrt(0), whose derivative is infinite",
    ("norm_keepdims", ((0, 4),)): "the norm of an empty array is sqrt(0)",
}
INTEGER_DOMAINS = ("int", "nonzero_int", "shift")


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


def _grad_params():
    for case in CASES:
        dtype = _grad_dtype(case)
        if dtype is None:
            continue
        for shapes in case.shapes[:SHAPES_PER_CASE]:
            if (case.name, shapes) in NOT_DIFFERENTIABLE:
                continue
            with np.errstate(all="ignore"):
                args = _grad_args(case, dtype, shapes)
                if not _checkable(case, args):
                    continue
            dims = ",".join("x".join(map(str, s)) or "()" for s in shapes)
            yield pytest.param(case, dtype, shapes, id=f"{case.name}-{dims}")


GRAD_CASES = list(_grad_params())


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


def _vmap_params():
    for case in CASES:
        for shapes in case.shapes[:SHAPES_PER_CASE]:
            dims = ",".join("x".join(map(str, s)) or "()" for s in shapes)
            for variant in ("0", "1", "none"):
                if variant == "none" and len(shapes) < 2:
                    continue
                yield pytest.param(case, shapes, variant, id=f"{case.name}-{dims}-axes{variant}")


@pytest.mark.parametrize("case, shapes, variant", list(_vmap_params()))
def test_vmap_matches_loop_and_stack(case, shapes, variant):
    dtype = case.dtypes[0]
    examples = [make_args(case, dtype, shapes) for _ in range(BATCH)]
    if BATCH > 1:  # distinct examples: redraw with other seeds
        rng = np.random.default_rng(SEED)
        examples = [
            [np.asarray(rng.permutation(a.ravel()).reshape(a.shape), a.dtype) for a in ex]
            for ex in examples
        ]
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
