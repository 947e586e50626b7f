"""jl.cond, jl.fori_loop, jl.while_loop and jl.scan: values against plain Python, grads
against the unrolled function and finite differences, jvp against finite differences,
vmap against loop-and-stack, closures, nesting, the IR they print, and their errors."""

import numpy as np
import pytest

import ir
import jitlib as jl
from ir.passes import optimize

RNG = np.random.default_rng(1234)


def rand(*shape):
    return RNG.standard_normal(shape)


def check_all(got, want, rtol=1e-10, atol=1e-12):
    got_leaves, got_tree = jl.tree_flatten(got)
    want_leaves, want_tree = jl.tree_flatten(want)
    assert got_tree == want_tree
    for g, w in zip(got_leaves, want_leaves):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def finite_difference(f, args: tuple, direction: tuple, h: float = 1e-6) -> float:
    """d/dh f(args + h * direction) at 0, by central differences (f gives a scalar)."""
    plus = f(*[a + h * d for a, d in zip(args, direction)])
    minus = f(*[a - h * d for a, d in zip(args, direction)])
    return (plus - minus) / (2 * h)


def check_grad(f, args: tuple, unrolled=None):
    """jl.grad of f against finite differences along a random direction, and against the
    gradient of the unrolled Python function."""
    argnums = tuple(range(len(args)))
    grads = jl.grad(f, argnums=argnums)(*args)
    direction = tuple(rand(*np.shape(a)) for a in args)
    analytic = sum(float(np.vdot(g, d)) for g, d in zip(grads, direction))
    assert analytic == pytest.approx(finite_difference(f, args, direction), rel=1e-6, abs=1e-7)
    if unrolled is not None:
        check_all(grads, jl.grad(unrolled, argnums=argnums)(*args))


def check_jvp(f, args: tuple, fixed: tuple = ()):
    """The tangent of f's (summed) output against finite differences; `fixed` (integer)
    arguments follow `args` and get zero tangents."""
    direction = tuple(rand(*np.shape(a)) for a in args)
    zeros = tuple(np.zeros_like(a) for a in fixed)
    out, tangent = jl.jvp(f, (*args, *fixed), (*direction, *zeros))
    check_all(out, f(*args, *fixed))

    def total(*xs):
        return sum(float(np.sum(leaf)) for leaf in jl.tree_flatten(f(*xs, *fixed))[0])

    summed = sum(float(np.sum(leaf)) for leaf in jl.tree_flatten(tangent)[0])
    assert summed == pytest.approx(finite_difference(total, args, direction), rel=1e-6, abs=1e-7)


def loop_and_stack(f, *batched):
    outs = [f(*example) for example in zip(*batched)]
    leaves = [jl.tree_flatten(o)[0] for o in outs]
    tree = jl.tree_flatten(outs[0])[1]
    return jl.tree_unflatten(
        tree, [np.stack([ls[k] for ls in leaves]) for k in range(len(leaves[0]))]
    )


# --- the functions under test, with their unrolled Python twins ---------------------------
def piecewise(x, w):
    return jl.cond(x.sum() > 0, lambda a: np.sin(a) * w, lambda a: a * a - w, x)


def piecewise_py(x, w, positive=None):
    """`positive`: the branch, decided beforehand where x is traced (jl.grad of this twin)."""
    positive = x.sum() > 0 if positive is None else positive
    return np.sin(x) * w if positive else x * x - w


def rnn(xs, w):
    def step(h, x):
        h = np.tanh(h * w + x)
        return h, (h * h).sum()

    return jl.scan(step, w * 0.0, xs)


def rnn_py(xs, w):
    h, ys = w * 0.0, []
    for i in range(xs.shape[0]):
        h = np.tanh(h * w + xs[i])
        ys.append((h * h).sum())
    return h, np.stack(ys)


def power_iteration(x, w):
    return jl.fori_loop(0, 4, lambda i, v: np.sin(v) * w + i * x, x)


def power_iteration_py(x, w):
    v = x
    for i in range(4):
        v = np.sin(v) * w + i * x
    return v


def doubling(x):
    """Doubles x until its sum passes 10: a trip count that depends on the values."""
    return jl.while_loop(lambda v: v.sum() < 10.0, lambda v: v * 2.0 + 0.1, x)


def doubling_py(x):
    while x.sum() < 10.0:
        x = x * 2.0 + 0.1
    return x


# --- values -------------------------------------------------------------------------------
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_values(sign):
    x, w = sign * np.abs(rand(5)), rand(5)
    check_all(jl.jit(piecewise)(x, w), piecewise_py(x, w))
    check_all(piecewise(x, w), piecewise_py(x, w))  # without jit: plain Python


def test_scan_values_and_one_trace_for_two_sizes():
    jitted = jl.jit(rnn)
    for steps in (6, 9):
        xs, w = rand(steps, 3), rand(3)
        check_all(jitted(xs, w), rnn_py(xs, w))
    assert jitted.cache_info().misses == 1


def test_fori_loop_values_with_static_and_traced_bounds():
    x, w = rand(4), rand(4)
    check_all(jl.jit(power_iteration)(x, w), power_iteration_py(x, w))
    traced = jl.jit(lambda x, n: jl.fori_loop(1, n, lambda i, v: v * 0.5 + i, x))
    check_all(traced(x, np.int64(5)), sum_loop(x, 1, 5))
    check_all(traced(x, np.int64(0)), x)


def sum_loop(x, lower, upper):
    for i in range(lower, upper):
        x = x * 0.5 + i
    return x


def test_fori_loop_over_a_symbolic_size():
    def f(x):
        return jl.fori_loop(0, x.shape[0], lambda i, acc: acc + x[i] * i, 0.0)

    jitted = jl.jit(f)
    for n in (5, 8):
        x = rand(n)
        assert jitted(x) == pytest.approx(sum(x[i] * i for i in range(n)))
    assert jitted.cache_info().misses == 1


def test_while_loop_values_and_one_trace_for_two_sizes():
    jitted = jl.jit(doubling)
    for n in (3, 7):
        x = np.abs(rand(n)) * 0.1
        check_all(jitted(x), doubling_py(x))
    assert jitted.cache_info().misses == 1


def test_scan_pytrees_reverse_and_no_xs():
    xs = {"a": rand(5, 2), "b": rand(5)}

    def f(xs):
        def step(carry, x):
            total, count = carry
            return (total + x["a"] * x["b"], count + 1), {"seen": total.sum()}

        return jl.scan(step, (np.zeros(2), 0), xs, reverse=True)

    def f_py(xs):
        total, count, seen = np.zeros(2), 0, [None] * 5
        for i in reversed(range(5)):
            seen[i] = total.sum()
            total, count = total + xs["a"][i] * xs["b"][i], count + 1
        return (total, count), {"seen": np.array(seen)}

    check_all(jl.jit(f)(xs), f_py(xs))
    counted = jl.jit(lambda x: jl.scan(lambda c, _: (c * 2.0, c), x, None, length=4))
    x = rand(2)
    check_all(counted(x), (x * 16.0, np.stack([x * 2.0**k for k in range(4)])))


def test_scan_of_zero_steps():
    xs, w = rand(0, 3), rand(3)
    check_all(jl.jit(rnn)(xs, w), (np.zeros(3), np.zeros(0)))
    check_all(rnn(xs, w), (np.zeros(3), np.zeros(0)))


def test_weak_carry_takes_the_dtype_the_body_gives_it():
    x = rand(4).astype(np.float32)
    out = jl.jit(lambda x: jl.fori_loop(0, 3, lambda i, acc: acc + x.sum(), 0))(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 3 * x.sum(), rtol=1e-6)


def test_closures_over_outer_arrays():
    x, w, b = rand(4), rand(4), rand(4)

    def f(x, w, b):
        branch = jl.cond(x[0] > 0, lambda: x * w, lambda: x + b)  # no operands at all
        return jl.fori_loop(0, 3, lambda i, v: v * w + b, branch)

    def f_py(x, w, b, positive=x[0] > 0):
        v = x * w if positive else x + b
        for _ in range(3):
            v = v * w + b
        return v

    check_all(jl.jit(f)(x, w, b), f_py(x, w, b))
    check_grad(lambda x, w, b: f(x, w, b).sum(), (x, w, b), lambda x, w, b: f_py(x, w, b).sum())


def nested(xs, w):
    """A cond inside a scan, each step choosing by the sign of its input."""

    def step(h, x):
        h = jl.cond(x.sum() > 0, lambda h: np.tanh(h * w + x), lambda h: h * 0.5 - x, h)
        return h, h.sum()

    return jl.scan(step, w, xs)


def nested_py(xs, w, positive=None):
    """`positive`: each step's branch, decided beforehand where xs is traced."""
    positive = [x.sum() > 0 for x in xs] if positive is None else positive
    h, ys = w, []
    for x, chosen in zip(xs, positive):
        h = np.tanh(h * w + x) if chosen else h * 0.5 - x
        ys.append(h.sum())
    return h, np.stack(ys)


def test_nested_control_flow():
    xs, w = rand(7, 3), rand(3)
    check_all(jl.jit(nested)(xs, w), nested_py(xs, w))
    positive = [x.sum() > 0 for x in xs]
    assert any(positive) and not all(positive)

    def unrolled(xs, w):
        return nested_py(xs, w, positive)[1].sum()

    check_grad(lambda xs, w: nested(xs, w)[1].sum(), (xs, w), unrolled)
    batch = rand(4, 7, 3)
    got = jl.vmap(nested, in_axes=(0, None))(batch, w)
    check_all(got, loop_and_stack(lambda xs: nested_py(xs, w), batch))


# --- reverse mode -------------------------------------------------------------------------
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_grad_through_cond(sign):
    x, w = sign * np.abs(rand(5)), rand(5)

    def unrolled(x, w):
        return (piecewise_py(x, w, positive=sign > 0) ** 2).sum()

    check_grad(lambda x, w: (piecewise(x, w) ** 2).sum(), (x, w), unrolled)


def test_grad_through_scan():
    xs, w = rand(6, 3), rand(3)

    def loss(xs, w):
        h, ys = rnn(xs, w)
        return h.sum() + (ys * np.arange(1.0, 7.0)).sum()

    def loss_py(xs, w):
        h, ys = rnn_py(xs, w)
        return h.sum() + (ys * np.arange(1.0, 7.0)).sum()

    check_grad(loss, (xs, w), loss_py)


def test_grad_through_fori_loop():
    x, w = rand(4), rand(4)
    check_grad(
        lambda x, w: power_iteration(x, w).sum(),
        (x, w),
        lambda x, w: power_iteration_py(x, w).sum(),
    )


def test_second_derivatives_through_scan():
    xs, w = rand(4, 2), rand(2)

    def loss(w):
        return rnn(xs, w)[1].sum()

    def loss_py(w):
        return rnn_py(xs, w)[1].sum()

    check_all(jl.hessian(loss)(w), jl.hessian(loss_py)(w), rtol=1e-8)


def test_while_loop_has_no_reverse_mode():
    with pytest.raises(jl.UnsupportedError, match="while_loop.*fori_loop"):
        jl.grad(lambda x: doubling(x).sum())(np.abs(rand(3)))


# --- forward mode -------------------------------------------------------------------------
def test_jvp_of_cond():
    for sign in (1.0, -1.0):
        check_jvp(piecewise, (sign * np.abs(rand(5)), rand(5)))


def test_jvp_of_scan():
    check_jvp(rnn, (rand(5, 3), rand(3)))


def test_jvp_of_fori_loop():
    check_jvp(power_iteration, (rand(4), rand(4)))
    traced_bound = jl.jit(lambda x, n: jl.fori_loop(0, n, lambda i, v: np.sin(v) * x, x))
    check_jvp(traced_bound, (rand(3),), fixed=(np.int64(3),))


def test_jvp_of_while_loop():
    # the trip count is locally constant, so its derivative is the unrolled one's
    check_jvp(doubling, (np.abs(rand(3)) * 0.3,))


# --- batching -----------------------------------------------------------------------------
def test_vmap_of_cond_with_a_batched_predicate():
    xs, w = rand(6, 4), rand(4)
    xs[::2] = np.abs(xs[::2])  # both branches are taken
    check_all(
        jl.vmap(piecewise, in_axes=(0, None))(xs, w),
        loop_and_stack(lambda x: piecewise_py(x, w), xs),
    )


def test_vmap_of_cond_with_an_unbatched_predicate():
    x, ws = rand(4), rand(5, 4)
    for sign in (1.0, -1.0):
        got = jl.vmap(piecewise, in_axes=(None, 0))(sign * np.abs(x), ws)
        check_all(got, loop_and_stack(lambda w, s=sign: piecewise_py(s * np.abs(x), w), ws))


def test_vmap_of_scan():
    xs, ws = rand(4, 6, 3), rand(4, 3)
    check_all(jl.vmap(rnn)(xs, ws), loop_and_stack(rnn_py, xs, ws))
    check_all(
        jl.vmap(rnn, in_axes=(None, 0))(xs[0], ws), loop_and_stack(lambda w: rnn_py(xs[0], w), ws)
    )


def test_vmap_of_fori_loop():
    xs, ws = rand(5, 4), rand(5, 4)
    check_all(jl.vmap(power_iteration)(xs, ws), loop_and_stack(power_iteration_py, xs, ws))


def test_vmap_of_while_loop_with_per_lane_trip_counts():
    xs = np.abs(rand(6, 3)) * np.array([[0.01], [0.1], [1.0], [3.0], [0.5], [5.0]])
    check_all(jl.vmap(doubling)(xs), loop_and_stack(doubling_py, xs))
    trips = jl.vmap(
        lambda x: jl.while_loop(
            lambda c: c[1].sum() < 10.0, lambda c: (c[0] + 1, c[1] * 2.0), (0, x)
        )
    )(xs)
    check_all(trips, loop_and_stack(lambda x: count_doublings(x), xs))


def count_doublings(x):
    count = 0
    while x.sum() < 10.0:
        count, x = count + 1, x * 2.0
    return np.int64(count), x


def test_per_example_gradients_through_scan():
    xs, w = rand(3, 5, 2), rand(2)

    def loss(xs, w):
        return rnn(xs, w)[1].sum()

    per_example = jl.vmap(jl.grad(loss, argnums=1), in_axes=(0, None))(xs, w)
    check_all(
        per_example, loop_and_stack(lambda x: jl.grad(lambda w: rnn_py(x, w)[1].sum())(w), xs)
    )


# --- the IR -------------------------------------------------------------------------------
def test_printed_ir_shows_sub_functions_after_their_equation():
    text = jl.make_ir(lambda x: jl.cond(x.sum() > 0, np.sin, np.cos, x))(rand(3)).as_text()
    assert text == "\n".join(
        [
            "func lambda(%0: f64[s0]) {",
            "  %1 = sum[axis=(0,)] %0 : f64[]",
            "  %2 = constant[value=0.0, dtype=float64] : f64[]",
            "  %3 = greater %1, %2 : bool[]",
            "  %4 = cond[branches=(@0, @1)] %3, %0 : f64[s0]",
            "    @0 = func cos(%5: f64[s0]) {",
            "      %6 = cos %5 : f64[s0]",
            "      return %6",
            "    }",
            "    @1 = func sin(%7: f64[s0]) {",
            "      %8 = sin %7 : f64[s0]",
            "      return %8",
            "    }",
            "  return %4",
            "}",
        ]
    )


def test_transformed_ir_verifies_and_interprets():
    xs, w = rand(5, 3), rand(3)

    def loss(xs, w):
        return nested(xs, w)[1].sum()

    cases = [
        (nested, (xs, w)),
        (jl.grad(loss, argnums=(0, 1)), (xs, w)),
        (jl.vmap(nested, in_axes=(0, None)), (rand(2, 5, 3), w)),
    ]
    for f, args in cases:
        raw = jl.make_ir(f)(*args).ir
        ir.verify(raw)
        optimized = optimize(raw, check=True)
        check_all(ir.interpret(raw, *args), ir.interpret(optimized, *args))
        check_all(list(ir.interpret(optimized, *args)), jl.tree_flatten(f(*args))[0])


def test_verify_checks_sub_functions():
    fn = jl.make_ir(lambda xs: jl.scan(lambda c, x: (c + x, c), xs[0], xs))(rand(4, 2)).ir
    (loop,) = [eqn for eqn in fn.eqns if eqn.op.name == "scan"]
    body = loop.params["body"]
    broken = body.replace(results=(body.results[0], ir.Value(body.results[1].type)))
    eqns = tuple(
        ir.Eqn(e.op, e.inputs, {**e.params, "body": broken}, e.outputs) if e is loop else e
        for e in fn.eqns
    )
    with pytest.raises(ir.IRError, match="lambda: returns an undefined value"):
        ir.verify(fn.replace(eqns=eqns))


def test_a_body_may_use_sizes_its_parameters_lack():
    def f(x):
        return jl.scan(lambda c, _: (c + x.shape[0], c * 2), 0, None, length=3)

    jitted = jl.jit(f)
    for n in (5, 7):
        check_all(jitted(rand(n)), ((3 * n), np.array([0, 2 * n, 4 * n])))
    assert jitted.cache_info().misses == 1


def test_unused_loop_outputs_and_dead_loops():
    xs, w = rand(5, 3), rand(3)
    only_ys = jl.jit(lambda xs, w: rnn(xs, w)[1])
    check_all(only_ys(xs, w), rnn_py(xs, w)[1])
    dead = jl.jit(lambda xs, w: (rnn(xs, w), xs * 2.0)[1])
    assert "scan" not in dead.lower(xs, w).as_text()


def test_vmap_of_fori_loop_with_per_lane_traced_bounds():
    xs, ns = rand(4, 3), np.array([0, 3, 1, 5])

    def f(x, n):
        return jl.fori_loop(0, n, lambda i, v: np.sin(v) + i, x)

    got = jl.vmap(f)(xs, ns)
    check_all(got, np.stack([sum_sin(x, n) for x, n in zip(xs, ns)]))


def sum_sin(x, n):
    for i in range(n):
        x = np.sin(x) + i
    return x


# --- errors -------------------------------------------------------------------------------
def test_branching_on_a_traced_value_suggests_cond():
    def f(x):
        return np.sin(x) if x.sum() > 0 else np.cos(x)

    with pytest.raises(jl.ConcretizationError, match="jl.cond"):
        jl.jit(f)(rand(3))


def test_branches_of_different_types():
    x = rand(3)
    with pytest.raises(jl.ControlFlowError, match=r"wide.*f64\[3\].*narrow.*f32\[3\]"):
        jl.jit(lambda x: jl.cond(x[0] > 0, wide, narrow, x))(x)
    with pytest.raises(jl.ControlFlowError, match=r"shapes.*f64\[3\].*f64\[\]"):
        jl.jit(lambda x: jl.cond(x[0] > 0, lambda a: a, lambda a: a.sum(), x))(x)
    with pytest.raises(jl.ControlFlowError, match="structures"):
        jl.jit(lambda x: jl.cond(x[0] > 0, lambda a: (a, a), lambda a: a, x))(x)


def wide(x):
    return x


def narrow(x):
    return x.astype(np.float32)


def test_weak_branch_result_takes_the_other_branchs_dtype():
    x = rand(3).astype(np.float32)
    out = jl.jit(lambda x: jl.cond(x[0] > 0, lambda a: a.sum(), lambda a: 0.0, x))(x)
    assert out.dtype == np.float32


def test_carry_type_changed_by_the_body():
    def grow(i, v):
        return np.concatenate([v, v])

    with pytest.raises(jl.ControlFlowError, match=r"grow.*f64\[3\].*f64\[6\]"):
        jl.jit(lambda x: jl.fori_loop(0, 2, grow, x))(rand(3))

    def widen(c, x):
        return c.astype(np.float32), x

    with pytest.raises(jl.ControlFlowError, match=r"widen.*f64\[\].*f32\[\]"):
        jl.jit(lambda xs: jl.scan(widen, xs.sum(), xs))(rand(3))


def test_predicate_must_be_a_scalar():
    with pytest.raises(jl.ControlFlowError, match=r"scalar, got bool\[3\]"):
        jl.jit(lambda x: jl.cond(x > 0, np.sin, np.cos, x))(rand(3))
    with pytest.raises(jl.ControlFlowError, match=r"scalar"):
        jl.cond(rand(3) > 0, np.sin, np.cos, rand(3))  # eagerly too
    with pytest.raises(jl.ControlFlowError, match=r"scalar, got f64\[2\]"):
        jl.jit(lambda x: jl.while_loop(lambda v: v, lambda v: v * 2.0, x))(rand(2))


def test_scan_errors():
    with pytest.raises(jl.ControlFlowError, match="pair"):
        jl.jit(lambda xs: jl.scan(lambda c, x: c + x, 0.0, xs))(rand(3))
    with pytest.raises(jl.ControlFlowError, match="disagree"):
        jl.jit(lambda xs: jl.scan(lambda c, x: (c, x), 0.0, xs, length=4))(rand(3))
