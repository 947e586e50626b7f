"""The transforms (grad, value_and_grad, vjp, jvp, jacfwd, jacrev, hessian, vmap) on whole
functions, alone and composed with each other and with jit in any order and depth.

References are independent of jitlib: float64 central finite differences along random
directions of the eager numpy function, hand-written numpy gradients, and loop-and-stack
for vmap. Inputs are random with fixed seeds.
"""

import numpy as np
import pytest

import jitlib as jl
from ir.passes import dce

EPS = 1e-6
RTOL, ATOL = 1e-6, 1e-8
FD_RTOL, FD_ATOL = 1e-5, 1e-7


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def close(got, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=rtol, atol=atol)


# --- references ---------------------------------------------------------------------------
def directional(f, args: tuple, directions: tuple):
    """d/de f(args + e * directions) at e = 0, by central differences (f evaluated eagerly)."""
    plus = f(*[a + EPS * d for a, d in zip(args, directions)])
    minus = f(*[a - EPS * d for a, d in zip(args, directions)])
    return (np.asarray(plus) - np.asarray(minus)) / (2 * EPS)


def jacobian_fd(f, x):
    """The Jacobian of f at x (shape out + x.shape), one central difference per entry of x."""
    columns = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        columns.append(directional(f, (x,), (e.reshape(x.shape),)))
    out_shape = np.shape(f(x))
    return np.stack(columns, axis=-1).reshape(*out_shape, *x.shape)


def check_grad(f, grads: tuple, args: tuple, seed=1):
    """<grad, v> equals the directional derivative along a random v."""
    directions = tuple(rand(*np.shape(a), seed=seed + i) for i, a in enumerate(args))
    projected = sum(np.sum(g * d) for g, d in zip(grads, directions))
    close(projected, directional(f, args, directions), FD_RTOL, FD_ATOL)


def all_eqns_used(fn) -> bool:
    """Whether every equation has an output that a later equation or a result uses."""
    used = {id(v) for v in fn.results}
    for eqn in reversed(fn.eqns):
        if not any(id(v) in used for v in eqn.outputs):
            return False
        used.update(id(x) for x in eqn.inputs)
    return True


# --- functions under test: elementwise ops, sums, reshapes, transposes, matmul, max --------
def scalar_fn(x):
    """A nonlinear scalar of a (6,) or (n, 3) array."""
    y = np.tanh(x.reshape(-1, 3)).T * np.sin(x.reshape(-1, 3).T)
    return (y**2).sum() + 0.5 * np.exp(0.3 * x).sum() * x.sum()


def vector_fn(x):
    """A nonlinear (6,) -> (6,) function mixing every entry."""
    m = np.tanh(x.reshape(2, 3)).T  # (3, 2)
    return m.reshape(-1) * np.exp(0.2 * x).sum() + np.sin(x) * x[::-1]


def pair_fn(a, b):
    """(3,), (3,) -> (3,) with cross terms."""
    return np.tanh(a * b) + a.sum() * np.cos(b)


def mlp_loss(params, x, y):
    """Squared error of one tanh layer; x: (3,), y: (2,)."""
    w, b = params
    pred = np.tanh(x @ w + b)
    return ((pred - y) ** 2).sum()


def mlp_loss_grad_numpy(params, x, y):
    w, b = params
    pred = np.tanh(x @ w + b)
    dz = 2 * (pred - y) * (1 - pred**2)
    return np.outer(x, dz), dz


def batch_loss(w, x):
    """Mean of a max over a matmul: (3, 4) weights, (n, 3) batch."""
    h = np.tanh(x @ w)
    return (h.max(axis=1) + 0.1 * (h**2).sum(axis=1)).mean()


# --- grad, value_and_grad -----------------------------------------------------------------
def test_grad_matches_finite_differences():
    x = rand(4, 3)
    check_grad(scalar_fn, (jl.grad(scalar_fn)(x),), (x,))


def test_value_and_grad():
    x = rand(4, 3)
    value, g = jl.value_and_grad(scalar_fn)(x)
    close(value, scalar_fn(x))
    close(g, jl.grad(scalar_fn)(x))


def test_grad_with_matmul_and_max():
    w, x = rand(3, 4), rand(5, 3, seed=2)
    g = jl.grad(batch_loss)(w, x)
    assert g.shape == w.shape
    check_grad(lambda w: batch_loss(w, x), (g,), (w,))


def test_grad_argnums_tuple():
    a, b = rand(3), rand(3, seed=2)

    def f(a, b):
        return (pair_fn(a, b) ** 2).sum()

    ga, gb = jl.grad(f, argnums=(0, 1))(a, b)
    check_grad(f, (ga, gb), (a, b))
    close(jl.grad(f, argnums=1)(a, b), gb)
    close(jl.grad(f, argnums=-1)(a, b), gb)


def test_grad_of_pytree_arguments():
    params = {"w": rand(3, 2), "layer": (rand(2, seed=2), rand(2, 2, seed=3))}
    x = rand(3, seed=4)

    def f(p, x):
        h = np.tanh(x @ p["w"] + p["layer"][0])
        return (np.sin(h @ p["layer"][1]) ** 2).sum()

    g = jl.grad(f)(params, x)
    assert set(g) == {"w", "layer"} and isinstance(g["layer"], tuple)
    leaves, tree = jl.tree_flatten(params)
    g_leaves, g_tree = jl.tree_flatten(g)
    assert g_tree == tree
    flat = lambda *ls: f(jl.tree_unflatten(tree, list(ls)), x)  # noqa: E731
    check_grad(flat, tuple(g_leaves), tuple(leaves))


def test_grad_has_aux():
    x = rand(4, 3)

    def f(x):
        return scalar_fn(x), {"double": 2 * x, "total": x.sum()}

    g, aux = jl.grad(f, has_aux=True)(x)
    close(g, jl.grad(scalar_fn)(x))
    close(aux["double"], 2 * x)
    close(aux["total"], x.sum())
    (value, aux), g = jl.value_and_grad(f, has_aux=True)(x)
    close(value, scalar_fn(x))
    close(aux["double"], 2 * x)


def test_grad_wrt_python_scalar_argument():
    x = rand(4, 3)

    def f(x, scale):
        return (np.tanh(scale * x) ** 2).sum()

    gx, gs = jl.grad(f, argnums=(0, 1))(x, 0.7)
    check_grad(f, (gx, gs), (x, 0.7))
    assert np.shape(gs) == ()


def test_grad_of_python_scalar_function():
    f = lambda s: np.sin(s) * s**2  # noqa: E731
    close(jl.grad(f)(1.3), np.cos(1.3) * 1.3**2 + 2 * 1.3 * np.sin(1.3))


def test_grad_of_grad():
    f = lambda s: np.sin(s) * s**3  # noqa: E731
    s = 0.8
    second = jl.grad(jl.grad(f))(s)
    close(second, -np.sin(s) * s**3 + 6 * np.cos(s) * s**2 + 6 * s * np.sin(s), 1e-10, 1e-12)
    third = jl.grad(jl.grad(jl.grad(f)))(s)
    close(third, directional(jl.grad(jl.grad(f)), (s,), (1.0,)), FD_RTOL, FD_ATOL)


def test_grad_of_grad_of_array_function():
    x = rand(6)

    def g_norm(x):
        return (jl.grad(scalar_fn)(x) ** 2).sum()

    g = jl.grad(g_norm)(x)
    check_grad(g_norm, (g,), (x,))


def test_grad_of_lambda_closing_over_a_traced_array_in_jit():
    x, y = rand(4, 3), rand(4, 3, seed=2)

    @jl.jit
    def f(x, y):
        scale = np.exp(y).sum()
        return jl.grad(lambda z: (np.sin(z * y) * scale).sum())(x)

    close(f(x, y), np.cos(x * y) * y * np.exp(y).sum())


def test_closure_gradient_reaches_the_closed_over_value():
    x, y = rand(4, 3), rand(4, 3, seed=2)

    def outer(y):
        inner = jl.grad(lambda z: (np.sin(z * y)).sum())(x)  # depends on y
        return (inner * x).sum()

    g = jl.grad(outer)(y)
    check_grad(outer, (g,), (y,))


# --- vjp, jvp -----------------------------------------------------------------------------
def test_vjp_matches_finite_differences():
    a, b = rand(3), rand(3, seed=2)
    out, pull = jl.vjp(pair_fn, a, b)
    close(out, pair_fn(a, b))
    ct = rand(3, seed=3)
    ga, gb = pull(ct)
    check_grad(lambda a, b: (pair_fn(a, b) * ct).sum(), (ga, gb), (a, b))


def test_vjp_has_aux():
    x = rand(6)
    out, pull, aux = jl.vjp(lambda x: (vector_fn(x), x.max()), x, has_aux=True)
    close(out, vector_fn(x))
    close(aux, x.max())
    ct = rand(6, seed=2)
    (g,) = pull(ct)
    close(g, ct @ jacobian_fd(vector_fn, x), FD_RTOL, FD_ATOL)


def test_vjp_of_pytree_output():
    x = rand(6)
    out, pull = jl.vjp(lambda x: {"v": vector_fn(x), "s": scalar_fn(x)}, x)
    (g,) = pull({"v": rand(6, seed=2), "s": 0.5})
    expected = rand(6, seed=2) @ jacobian_fd(vector_fn, x) + 0.5 * jl.grad(scalar_fn)(x)
    close(g, expected, FD_RTOL, FD_ATOL)


def test_jvp_matches_finite_differences():
    a, b = rand(3), rand(3, seed=2)
    ta, tb = rand(3, seed=3), rand(3, seed=4)
    out, t_out = jl.jvp(pair_fn, (a, b), (ta, tb))
    close(out, pair_fn(a, b))
    close(t_out, directional(pair_fn, (a, b), (ta, tb)), FD_RTOL, FD_ATOL)


def test_jvp_and_vjp_are_transposes():
    x, t, ct = rand(6), rand(6, seed=2), rand(6, seed=3)
    _, t_out = jl.jvp(vector_fn, (x,), (t,))
    (ct_in,) = jl.vjp(vector_fn, x)[1](ct)
    close(np.dot(ct, t_out), np.dot(ct_in, t), 1e-10, 1e-12)


# --- Jacobians and Hessians ---------------------------------------------------------------
@pytest.mark.parametrize("jacobian", [jl.jacfwd, jl.jacrev])
def test_jacobian_matches_finite_differences(jacobian):
    x = rand(6)
    close(jacobian(vector_fn)(x), jacobian_fd(vector_fn, x), FD_RTOL, FD_ATOL)


def test_jacfwd_equals_jacrev_with_tuple_argnums():
    a, b = rand(3), rand(3, seed=2)
    fwd = jl.jacfwd(pair_fn, argnums=(0, 1))(a, b)
    rev = jl.jacrev(pair_fn, argnums=(0, 1))(a, b)
    for f, r in zip(fwd, rev):
        close(f, r, 1e-10, 1e-12)
    close(fwd[0], jacobian_fd(lambda a: pair_fn(a, b), a), FD_RTOL, FD_ATOL)
    close(fwd[1], jacobian_fd(lambda b: pair_fn(a, b), b), FD_RTOL, FD_ATOL)


def test_jacobian_of_matrix_function_has_shape_out_plus_in():
    x = rand(2, 3)
    f = lambda x: np.tanh(x.T @ x)  # noqa: E731  (3, 3)
    jr, jf = jl.jacrev(f)(x), jl.jacfwd(f)(x)
    assert jr.shape == jf.shape == (3, 3, 2, 3)
    close(jr, jf, 1e-10, 1e-12)
    close(jr, jacobian_fd(f, x), FD_RTOL, FD_ATOL)


def test_hessian_matches_finite_differences_of_grad():
    x = rand(6)
    hess = jl.hessian(scalar_fn)(x)
    g = jl.grad(scalar_fn)
    expected = np.stack([directional(g, (x,), (e,)) for e in np.eye(6)], axis=-1)
    close(hess, expected, FD_RTOL, FD_ATOL)
    close(hess, hess.T, 1e-10, 1e-12)


def test_hessian_of_matrix_argument():
    x = rand(2, 3)
    hess = jl.hessian(scalar_fn)(x)
    assert hess.shape == (2, 3, 2, 3)
    flat = jl.hessian(scalar_fn)(x.reshape(-1))
    close(hess.reshape(6, 6), flat, 1e-10, 1e-12)


# --- vmap ---------------------------------------------------------------------------------
def loop_and_stack(f, in_axes, args, out_axis=0):
    """f applied per example of the mapped arguments, results stacked along out_axis."""
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = []
    for i in range(size):
        example = [a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)]
        outs.append(f(*example))
    return np.stack(outs, axis=out_axis)


@pytest.mark.parametrize(
    "in_axes, shapes",
    [
        (0, ((5, 3), (5, 3))),
        (1, ((3, 5), (3, 5))),
        (-1, ((3, 5), (3, 5))),
        ((1, None), ((3, 5), (3,))),
        ((None, 0), ((3,), (5, 3))),
        ([0, 1], ((5, 3), (3, 5))),
    ],
)
def test_vmap_in_axes(in_axes, shapes):
    args = [rand(*shape, seed=i) for i, shape in enumerate(shapes)]
    f = lambda a, b: np.tanh(a) * b.sum() + np.sin(b)  # noqa: E731
    axes = tuple(in_axes) if isinstance(in_axes, tuple | list) else (in_axes, in_axes)
    close(jl.vmap(f, in_axes=in_axes)(*args), loop_and_stack(f, axes, args))


def test_vmap_pytree_in_axes():
    params = {"w": rand(3, 2), "b": rand(5, 2, seed=2)}  # b mapped along axis 0
    xs = rand(3, 5, seed=3)  # mapped along axis 1
    f = lambda p, x: np.tanh(x @ p["w"] + p["b"])  # noqa: E731
    got = jl.vmap(f, in_axes=({"w": None, "b": 0}, 1))(params, xs)
    expected = np.stack([f({"w": params["w"], "b": params["b"][i]}, xs[:, i]) for i in range(5)])
    close(got, expected)


def test_vmap_tuple_argument_with_one_axis_for_all_leaves():
    pair = (rand(5, 3), rand(5, seed=2))
    got = jl.vmap(lambda p: np.sin(p[0]) * p[1])(pair)
    close(got, np.sin(pair[0]) * pair[1][:, None])


@pytest.mark.parametrize("out_axes", [0, 1, -1])
def test_vmap_out_axes(out_axes):
    x = rand(5, 3, 2)
    f = lambda x: np.tanh(x).T  # noqa: E731  (3, 2) -> (2, 3)
    close(jl.vmap(f, out_axes=out_axes)(x), loop_and_stack(f, (0,), (x,), out_axes))


def test_vmap_out_axes_pytree_and_none():
    x, w = rand(5, 3), rand(3, 2, seed=2)

    def f(x, w):
        return {"mapped": np.tanh(x @ w), "shared": np.exp(w)}

    got = jl.vmap(f, in_axes=(0, None), out_axes={"mapped": 1, "shared": None})(x, w)
    close(got["mapped"], np.tanh(x @ w).T)
    close(got["shared"], np.exp(w))


def test_vmap_unbatched_output_is_broadcast():
    x, w = rand(5, 3), rand(3, seed=2)
    got = jl.vmap(lambda x, w: (x * w, w * 2.0), in_axes=(0, None))(x, w)
    close(got[1], np.broadcast_to(w * 2.0, (5, 3)))


def test_nested_vmap():
    x, y = rand(4, 3, 2), rand(3, seed=2)
    f = lambda a, b: np.tanh(a).sum() * b  # noqa: E731  (2,), () -> ()
    got = jl.vmap(jl.vmap(f, in_axes=(0, 0)), in_axes=(0, None))(x, y)
    expected = np.array([[f(x[i, j], y[j]) for j in range(3)] for i in range(4)])
    close(got, expected)
    inner_on_axis_1 = jl.vmap(jl.vmap(f, in_axes=(1, None)), in_axes=(0, None))(x, y[0])
    close(inner_on_axis_1, np.tanh(x).sum(axis=1) * y[0])


def test_vmap_keyword_arguments_are_not_mapped():
    x, scale = rand(5, 3), rand(3, seed=2)
    got = jl.vmap(lambda x, scale: np.tanh(x) * scale)(x, scale=scale)
    close(got, np.tanh(x) * scale)


# --- compositions -------------------------------------------------------------------------
def test_per_example_gradients_against_a_python_loop():
    params = (rand(3, 2), rand(2, seed=2))
    xs, ys = rand(8, 3, seed=3), rand(8, 2, seed=4)
    gw, gb = jl.vmap(jl.grad(mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    assert gw.shape == (8, 3, 2) and gb.shape == (8, 2)
    for i in range(8):
        ew, eb = mlp_loss_grad_numpy(params, xs[i], ys[i])
        close(gw[i], ew)
        close(gb[i], eb)


def test_jit_vmap_grad():
    params = (rand(3, 2), rand(2, seed=2))
    xs, ys = rand(8, 3, seed=3), rand(8, 2, seed=4)
    jitted = jl.jit(jl.vmap(jl.grad(mlp_loss), in_axes=(None, 0, 0)))
    gw, gb = jitted(params, xs, ys)
    loop = [mlp_loss_grad_numpy(params, xs[i], ys[i]) for i in range(8)]
    close(gw, np.stack([w for w, _ in loop]))
    close(gb, np.stack([b for _, b in loop]))


def test_vmap_jacrev():
    x = rand(5, 6)
    got = jl.vmap(jl.jacrev(vector_fn))(x)
    close(got, np.stack([jacobian_fd(vector_fn, row) for row in x]), FD_RTOL, FD_ATOL)


def test_vmap_jacfwd_and_hessian():
    x = rand(3, 6)
    close(jl.vmap(jl.jacfwd(vector_fn))(x), jl.vmap(jl.jacrev(vector_fn))(x), 1e-10, 1e-12)
    hess = jl.vmap(jl.hessian(scalar_fn))(x)
    close(hess, np.stack([jl.hessian(scalar_fn)(row) for row in x]), 1e-10, 1e-12)


def test_grad_of_jit():
    x = rand(4, 3)
    close(jl.grad(jl.jit(scalar_fn))(x), jl.grad(scalar_fn)(x), 1e-12, 1e-14)


def test_grad_of_vmap():
    x, w = rand(5, 3), rand(3, seed=2)

    def f(w):
        return jl.vmap(lambda row: np.tanh(row @ w) ** 2)(x).sum()

    g = jl.grad(f)(w)
    check_grad(f, (g,), (w,))


def test_grad_of_jit_of_vmap_inside_jit():
    x, w = rand(5, 3), rand(3, seed=2)
    per_row = jl.jit(jl.vmap(lambda row, w: np.sin(row * w).sum(), in_axes=(0, None)))

    @jl.jit
    def outer(w):
        return jl.grad(lambda w: (per_row(x, w) ** 2).sum())(w)

    f = lambda w: (np.sin(x * w).sum(axis=1) ** 2).sum()  # noqa: E731
    check_grad(f, (outer(w),), (w,))


def test_vmap_of_jvp_and_vjp():
    xs, ts = rand(4, 6), rand(4, 6, seed=2)
    t_out = jl.vmap(lambda x, t: jl.jvp(vector_fn, (x,), (t,))[1])(xs, ts)
    ct_in = jl.vmap(lambda x, ct: jl.vjp(vector_fn, x)[1](ct)[0])(xs, ts)
    for i in range(4):
        jac = jacobian_fd(vector_fn, xs[i])
        close(t_out[i], jac @ ts[i], FD_RTOL, FD_ATOL)
        close(ct_in[i], ts[i] @ jac, FD_RTOL, FD_ATOL)


def test_jacfwd_of_grad_equals_hessian():
    x = rand(6)
    close(jl.jacfwd(jl.grad(scalar_fn))(x), jl.hessian(scalar_fn)(x), 1e-10, 1e-12)
    close(jl.jacrev(jl.grad(scalar_fn))(x), jl.hessian(scalar_fn)(x), 1e-10, 1e-12)


def test_grad_of_vmap_of_grad():
    params = (rand(3, 2), rand(2, seed=2))
    xs, ys = rand(6, 3, seed=3), rand(6, 2, seed=4)

    def norm_of_per_example_grads(w):
        gw, _ = jl.vmap(jl.grad(mlp_loss), in_axes=(None, 0, 0))((w, params[1]), xs, ys)
        return (gw**2).sum()

    g = jl.grad(norm_of_per_example_grads)(params[0])

    def reference(w):
        return sum(
            (mlp_loss_grad_numpy((w, params[1]), x, y)[0] ** 2).sum() for x, y in zip(xs, ys)
        )

    check_grad(reference, (g,), (params[0],))


def embedding_loss(table, index, target):
    """Squared error of a looked-up row: table (n, 3), index (), target (3,)."""
    return ((np.tanh(table[index]) - target) ** 2).sum()


def test_per_example_gradients_through_take():
    table, targets = rand(5, 3), rand(4, 3, seed=2)
    index = np.array([0, 3, 3, 1])
    grads = jl.jit(jl.vmap(jl.grad(embedding_loss), in_axes=(None, 0, 0)))(table, index, targets)
    for k in range(4):
        row = np.tanh(table[index[k]])
        expected = np.zeros_like(table)
        expected[index[k]] = 2 * (row - targets[k]) * (1 - row**2)
        close(grads[k], expected)
    total = lambda table: sum(embedding_loss(table, i, t) for i, t in zip(index, targets))  # noqa: E731
    check_grad(total, (grads.sum(axis=0),), (table,))


# --- functions with their own derivative rules ------------------------------------------
@jl.custom_jvp
def softplus(x):
    return np.log1p(np.exp(x))


@softplus.defjvp
def softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t / (1.0 + np.exp(-x))


@jl.custom_vjp
def scaled(x, w):
    return x * w


def scaled_fwd(x, w):
    return x * w, (x, w)


def scaled_bwd(residuals, ct):
    x, w = residuals
    return ct * w, (ct * x).sum(axis=0)


scaled.defvjp(scaled_fwd, scaled_bwd)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_custom_jvp_under_grad_of_grad_and_vmap():
    x = rand(4, 3)
    first = jl.grad(lambda x: softplus(x).sum())
    close(jl.vmap(first)(x), sigmoid(x))
    second = jl.grad(lambda x: first(x).sum())(x)
    close(second, sigmoid(x) * (1 - sigmoid(x)))
    close(jl.jacfwd(softplus)(x[0]), np.diag(sigmoid(x[0])))


def test_custom_vjp_rule_with_concrete_shapes_under_jit_grad():
    """The rule sums over a closed-over numpy array (3 is concrete) while w is f64[s0]:
    the shapes agree under the guard s0 == 3."""
    x, w = rand(4, 3), rand(3, seed=2)
    expected = (np.cos(x * w) * x).sum(axis=0)
    close(jl.grad(lambda w: np.sin(scaled(x, w)).sum())(w), expected)
    close(jl.jit(jl.grad(lambda w: np.sin(scaled(x, w)).sum()))(w), expected)
    per_row = jl.vmap(jl.grad(lambda w, row: np.sin(scaled(row, w)).sum()), in_axes=(None, 0))
    close(per_row(w, x[:, None, :]), np.cos(x * w) * x)


# --- caching and shape symbols ------------------------------------------------------------
def test_jit_grad_traces_once_for_three_batch_sizes():
    w = rand(3, 4)
    jitted = jl.jit(jl.grad(batch_loss))
    for seed, n in enumerate((32, 64, 48)):
        x = rand(n, 3, seed=seed)
        g = jitted(w, x)
        check_grad(lambda w, x=x: batch_loss(w, x), (g,), (w,))
    assert jitted.cache_info() == (2, 1, 1)


def test_jit_grad_is_shape_symbolic_in_the_ir():
    fn = jl.jit(jl.grad(batch_loss)).lower(rand(3, 4), rand(32, 3)).ir
    assert [str(p.type) for p in fn.params] == ["f64[s0,s1]", "f64[s2,s0]"]
    assert str(fn.results[0].type) == "f64[s0,s1]"
    assert all(32 not in eqn.outputs[0].type.shape for eqn in fn.eqns)
    assert not fn.guards


@pytest.mark.parametrize(
    "make",
    [
        lambda: jl.grad(batch_loss),
        lambda: jl.value_and_grad(batch_loss),
        lambda: jl.vmap(lambda w, x: np.tanh(x @ w), in_axes=(None, 0)),
        lambda: jl.jacrev(lambda w, x: np.tanh(x @ w).sum(axis=0)),
    ],
    ids=["grad", "value_and_grad", "vmap", "jacrev"],
)
def test_transforms_outside_jit_cache_like_jit(make):
    transformed = make()
    assert transformed.cache_info() is None  # nothing traced yet
    w = rand(3, 4)
    first = None
    for seed, n in enumerate((32, 64, 48)):
        x = rand(n, 3, seed=seed)
        out = transformed(w, x)
        first = out if first is None else first
        again = transformed(w, x)
        for a, b in zip(jl.tree_flatten(out)[0], jl.tree_flatten(again)[0]):
            close(a, b, 0, 0)
    assert transformed.cache_info() == (5, 1, 1)


def test_per_example_gradients_trace_once_for_three_batch_sizes():
    params = (rand(3, 2), rand(2, seed=2))
    per_example = jl.vmap(jl.grad(mlp_loss), in_axes=(None, 0, 0))
    for seed, n in enumerate((32, 64, 48)):
        xs, ys = rand(n, 3, seed=seed), rand(n, 2, seed=seed + 10)
        gw, gb = per_example(params, xs, ys)
        assert gw.shape == (n, 3, 2)
        ew, eb = mlp_loss_grad_numpy(params, xs[n - 1], ys[n - 1])
        close(gw[n - 1], ew)
        close(gb[n - 1], eb)
    assert per_example.cache_info() == (2, 1, 1)


def test_a_new_dtype_retraces_the_transformed_function():
    g = jl.grad(lambda x: np.tanh(x).sum())
    g(rand(4, 3))
    out = g(rand(4, 3).astype(np.float32))
    assert out.dtype == np.float32
    assert g.cache_info().misses == 2


def test_grad_outside_jit_retraces_only_when_a_shape_guard_flips():
    def branchy(x):
        if x.shape[0] > 5:
            return np.sin(x).sum()
        return (x**2).sum()

    g = jl.grad(branchy)
    small, large, small_again = rand(4, 3), rand(8, 3, seed=1), rand(2, 3, seed=2)
    close(g(small), 2 * small)
    close(g(large), np.cos(large))
    close(g(small_again), 2 * small_again)
    assert g.cache_info().misses == 2 and g.cache_info().hits == 1


# --- the IR of a gradient -----------------------------------------------------------------
def test_lowered_gradient_has_no_dead_code():
    lowered = jl.jit(jl.grad(batch_loss)).lower(rand(3, 4), rand(32, 3))
    fn = lowered.ir
    assert all_eqns_used(fn)
    assert len(dce(fn).eqns) == len(fn.eqns)
    assert lowered.as_text().count("\n") >= len(fn.eqns)
