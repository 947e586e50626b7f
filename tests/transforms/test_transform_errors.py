"""What users get when a transform cannot apply: a jl.JitError subclass whose message names
the function, the argument and the shapes, and the user's source line. Never a wrong result.
"""

import numpy as np
import pytest

import jitlib as jl


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def raises(error, *fragments):
    """pytest.raises for `error` whose message holds every fragment and this file's name
    (the user's line); `error` must be a JitError subclass."""
    assert issubclass(error, jl.JitError)

    class Check:
        def __enter__(self):
            self.context = pytest.raises(error)
            self.info = self.context.__enter__()
            return self.info

        def __exit__(self, *exc):
            suppressed = self.context.__exit__(*exc)
            message = str(self.info.value)
            for fragment in (*fragments, "test_transform_errors.py"):
                assert fragment in message, f"{fragment!r} not in {message!r}"
            return suppressed

    return Check()


def elementwise_loss(x):
    return np.tanh(x) * 2.0  # not a scalar


def counts(x):
    return (x > 0).sum()


def weighted(x, w):
    return (np.sin(x) * w).sum()


X = rand(4, 3)


# --- grad: outputs ------------------------------------------------------------------------
@pytest.mark.parametrize("wrap", [lambda f: f, jl.jit], ids=["eager", "jit"])
def test_grad_of_non_scalar_output(wrap):
    with raises(jl.TransformError, "grad of elementwise_loss", "scalar", "f64[4,3]"):
        wrap(jl.grad(elementwise_loss))(X)


def test_value_and_grad_of_non_scalar_output():
    with raises(jl.TransformError, "value_and_grad of elementwise_loss", "f64[4,3]"):
        jl.value_and_grad(elementwise_loss)(X)


def test_grad_of_integer_output():
    with raises(jl.TransformError, "grad of counts", "i64[]"):
        jl.grad(counts)(X)


def test_grad_of_complex_output():
    with raises(jl.UnsupportedError, "complex"):
        jl.grad(lambda x: (x * 1j).sum())(X)


def test_grad_of_complex_input():
    with raises(jl.UnsupportedError, "complex128"):
        jl.grad(lambda x: x.sum())(X.astype(np.complex128))


def test_grad_of_tuple_output_without_has_aux():
    with raises(jl.TransformError, "grad of pair", "tuple", "has_aux"):

        def pair(x):
            return x.sum(), x

        jl.grad(pair)(X)


def test_has_aux_needs_a_pair():
    with raises(jl.TransformError, "grad of weighted", "has_aux", "(value, aux)"):
        jl.grad(weighted, has_aux=True)(X, X)


def test_has_aux_value_must_be_an_array():
    with raises(jl.TransformError, "(value, aux)"):
        jl.grad(lambda x: ((x.sum(), x.sum()), x), has_aux=True)(X)


def test_grad_of_function_returning_a_string():
    with raises(jl.ArgumentError, "str"):
        jl.grad(lambda x: "loss")(X)


# --- grad: inputs -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "transform",
    [jl.grad, jl.value_and_grad, jl.jacfwd, jl.jacrev, jl.hessian],
    ids=["grad", "value_and_grad", "jacfwd", "jacrev", "hessian"],
)
def test_differentiating_an_integer_input(transform):
    name = transform.__name__
    with raises(jl.TransformError, f"{name} of weighted", "argument 1", "i64[3]", "float"):
        transform(weighted, argnums=1)(rand(3), np.arange(3))


def test_grad_of_integer_input_names_the_input_not_the_output():
    with raises(jl.TransformError, "grad of lambda", "argument 0", "i32[5]"):
        jl.grad(lambda x: x.sum())(np.arange(5, dtype=np.int32))


def test_grad_of_python_int_argument():
    with raises(jl.TransformError, "argument 1", "i64[]"):
        jl.grad(weighted, argnums=(0, 1))(X, 2)


def test_integer_input_outside_argnums_is_fine():
    g = jl.grad(lambda x, n: (x * n).sum())(X, np.arange(3))
    np.testing.assert_allclose(g, np.broadcast_to(np.arange(3.0), X.shape))


def test_non_array_argument():
    with raises(jl.ArgumentError, "str"):
        jl.grad(lambda x, mode: x.sum())(X, "mean")


# --- argnums ------------------------------------------------------------------------------
@pytest.mark.parametrize("argnums", [2, -3, (0, 2)])
@pytest.mark.parametrize(
    "transform",
    [jl.grad, jl.value_and_grad, jl.jacfwd, jl.jacrev, jl.hessian],
    ids=["grad", "value_and_grad", "jacfwd", "jacrev", "hessian"],
)
def test_argnums_out_of_range(transform, argnums):
    name = transform.__name__
    with raises(jl.TransformError, f"{name} of weighted", str(argnums), "2 positional"):
        transform(weighted, argnums=argnums)(rand(3), rand(3, seed=1))


@pytest.mark.parametrize("argnums", ["x", 0.0, True, (), (0, None)])
def test_argnums_of_the_wrong_type(argnums):
    with raises(jl.TransformError, "grad of weighted", "argnums", repr(argnums)):
        jl.grad(weighted, argnums=argnums)(X, X)


def test_jacobian_of_a_pytree_argument():
    with raises(jl.TransformError, "jacrev of lambda", "argument 0"):
        jl.jacrev(lambda p: p[0] * p[1])((rand(3), rand(3)))


# --- vmap: in_axes ------------------------------------------------------------------------
def add_rows(x, y):
    return x + y


@pytest.mark.parametrize(
    "in_axes, fragments",
    [
        (2, ("in_axes 2", "argument 0", "f64[4,3]")),
        (-3, ("in_axes -3", "argument 0", "f64[4,3]")),
        ((0, 0, 0), ("3 entries", "2 positional")),
        ((0,), ("1 entries",)),
        ("0", ("in_axes '0'",)),
        (0.0, ("in_axes 0.0",)),
        (True, ("in_axes True",)),
        ((0, {"a": 0}), ("{'a': 0}",)),
        (None, ("maps no argument",)),
        ((None, None), ("maps no argument",)),
    ],
)
def test_bad_in_axes(in_axes, fragments):
    with raises(jl.TransformError, "vmap of add_rows", *fragments):
        jl.vmap(add_rows, in_axes=in_axes)(X, X)


def test_in_axes_dict_with_other_keys():
    with raises(jl.TransformError, "vmap of lambda", "{'b': 0}"):
        jl.vmap(lambda p: p["a"], in_axes=({"b": 0},))({"a": X})


def test_mapping_a_scalar_argument():
    with raises(jl.TransformError, "vmap of add_rows", "argument 1", "f64[]"):
        jl.vmap(add_rows)(X, 2.0)


# --- vmap: batch sizes --------------------------------------------------------------------
def test_mismatched_batch_sizes():
    with raises(
        jl.TransformError,
        "vmap of add_rows",
        "different sizes",
        "argument 0 (f64[4,3]) has 4 along axis 0",
        "argument 1 (f64[5,3]) has 5 along axis 0",
    ):
        jl.vmap(add_rows)(X, rand(5, 3))


def test_mismatched_batch_sizes_along_other_axes():
    with raises(jl.TransformError, "argument 0 (f64[4,3]) has 3 along axis 1", "has 4"):
        jl.vmap(add_rows, in_axes=(1, 0))(X, X)


def test_mismatched_batch_sizes_inside_a_pytree():
    with raises(jl.TransformError, "leaf 0 of argument 0 (f64[4,3])", "leaf 1 of argument 0"):
        jl.vmap(lambda p: p[0].sum() + p[1].sum())((X, rand(5, 2)))


def test_jitted_vmap_rejects_mismatched_sizes_after_a_matching_call():
    jitted = jl.jit(jl.vmap(add_rows))
    np.testing.assert_allclose(jitted(X, 2 * X), 3 * X)
    with raises(jl.TransformError, "vmap of add_rows", "f64[5,3]"):
        jitted(X, rand(5, 3))
    np.testing.assert_allclose(jitted(X[:2], X[:2]), 2 * X[:2])


def test_per_example_gradient_with_mismatched_batches():
    def loss(w, x, y):
        return ((x @ w - y) ** 2).sum()

    with raises(jl.TransformError, "vmap of grad_loss", "f64[8,3]", "f64[6,2]"):
        jl.vmap(jl.grad(loss), in_axes=(None, 0, 0))(rand(3, 2), rand(8, 3), rand(6, 2))


# --- vmap: out_axes -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "out_axes, fragments",
    [
        (3, ("out_axes 3", "output leaf 0", "f64[4,3]")),
        ((0, 0), ("out_axes (0, 0)", "the output")),
        ("1", ("out_axes '1'",)),
        (None, ("out_axes is None", "depends on the mapped")),
    ],
)
def test_bad_out_axes(out_axes, fragments):
    with raises(jl.TransformError, "vmap of lambda", *fragments):
        jl.vmap(lambda x: np.sin(x), out_axes=out_axes)(X)


def test_out_axes_none_for_one_mapped_leaf_of_several():
    with raises(jl.TransformError, "output leaf 1", "depends on the mapped"):
        jl.vmap(lambda x, w: (w * 2.0, x * w), in_axes=(0, None), out_axes=(None, None))(X, X[0])


# --- vjp cotangents, jvp tangents ---------------------------------------------------------
def two_outputs(x):
    return np.sin(x), x.sum()


def test_cotangent_of_the_wrong_structure():
    _, pull = jl.vjp(two_outputs, X)
    with raises(jl.TransformError, "vjp of two_outputs", "(array,)", "(array, array)"):
        pull((X,))
    with raises(jl.TransformError, "vjp of two_outputs", "structure array"):
        pull(X)


def test_cotangent_with_other_dict_keys():
    _, pull = jl.vjp(lambda x: {"a": x}, X)
    with raises(jl.TransformError, "{'b': array}", "{'a': array}"):
        pull({"b": X})


def test_cotangent_of_the_wrong_shape():
    _, pull = jl.vjp(two_outputs, X)
    with raises(jl.ShapeMismatchError, "vjp of two_outputs", "f64[3]", "f64[4,3]"):
        pull((X[0], 1.0))


def test_cotangent_of_the_wrong_shape_inside_jit():
    @jl.jit
    def f(x, ct):
        return jl.vjp(np.sin, x)[1](ct)

    with raises(jl.ShapeMismatchError, "f64[4]", "f64[4,3]"):
        f(X, X[:, 0])


def test_tangent_of_the_wrong_shape():
    with raises(jl.ShapeMismatchError, "jvp of two_outputs", "tangent 0", "f64[3]", "f64[4,3]"):
        jl.jvp(two_outputs, (X,), (X[0],))


def test_tangents_of_the_wrong_structure():
    with raises(jl.TransformError, "jvp of weighted", "2 primals but 1 tangents"):
        jl.jvp(weighted, (X, X), (X,))
    with raises(jl.TransformError, "jvp of weighted", "differ in structure", "(array, array)"):
        jl.jvp(weighted, (X, X), (X, (X,)))


def test_primals_must_be_a_tuple():
    with raises(jl.TransformError, "tuples"):
        jl.jvp(np.sin, X, X)


# --- errors inside compositions still name the user's function ----------------------------
def test_grad_of_vmap_of_non_scalar():
    with raises(jl.TransformError, "grad of vmap_lambda", "f64[4]"):
        jl.grad(jl.vmap(lambda row: np.sin(row).sum()))(X)


def test_vmap_of_grad_of_non_scalar_names_the_per_example_shape():
    with raises(jl.TransformError, "grad of elementwise_loss", "f64[3]"):
        jl.vmap(jl.grad(elementwise_loss))(X)


def test_error_in_nested_jit_names_the_user_line():
    @jl.jit
    def outer(x):
        return jl.grad(lambda x: jl.grad(elementwise_loss)(x).sum())(x)

    with raises(jl.TransformError, "grad of elementwise_loss", "f64[4,3]"):
        outer(X)
