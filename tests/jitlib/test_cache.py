"""The shape-signature cache: what retraces, what is reused, and that reused code is right.

`cache_info()` is (hits, misses, entries); misses count traces.
"""

from typing import NamedTuple

import numpy as np
import pytest

import jitlib as jl
import jitlib.numpy as jnp


def rand(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def traces(jf) -> int:
    return jf.cache_info().misses


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x**3)))


# --- one trace per signature --------------------------------------------------------------


def test_new_leading_size_reuses_the_trace():
    jf = jl.jit(gelu)
    for seed, rows in enumerate((32, 64, 48)):
        x = rand((rows, 128), seed=seed)
        np.testing.assert_allclose(jf(x), gelu(x), rtol=1e-6, atol=1e-6)
    assert jf.cache_info() == (2, 1, 1)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32])
def test_new_dtype_retraces(dtype):
    jf = jl.jit(lambda x: x * 3 + x)
    jf(rand((8, 4)))
    x = (rand((8, 4), seed=1) * 10).astype(dtype)
    out = jf(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, x * 3 + x, rtol=1e-3)
    assert traces(jf) == 2


def test_new_rank_retraces():
    jf = jl.jit(lambda x: np.exp(x) - 1.0)
    jf(rand((8, 4)))
    x = rand((8, 4, 2), seed=1)
    np.testing.assert_allclose(jf(x), np.exp(x) - 1.0, rtol=1e-6)
    assert traces(jf) == 2


@pytest.mark.parametrize("rows", [0, 1])
def test_sizes_0_and_1_are_part_of_the_signature(rows):
    jf = jl.jit(lambda x: np.tanh(x) * 2.0)
    jf(rand((32, 128)))
    x = rand((rows, 128), seed=1)
    out = jf(x)
    assert out.shape == (rows, 128)
    np.testing.assert_allclose(out, np.tanh(x) * 2.0, rtol=1e-6)
    assert traces(jf) == 2
    jf(rand((rows, 128), seed=2))
    assert jf.cache_info() == (1, 2, 2)
    assert f"f32[{rows},s0]" in jf.lower(x).as_text()


def test_size_1_dims_broadcast_against_symbolic_ones():
    jf = jl.jit(lambda x, y: x * y)
    x, y = rand((1, 16)), rand((8, 1), seed=1)
    np.testing.assert_allclose(jf(x, y), x * y, rtol=1e-6)
    assert jf(x, y).shape == (8, 16)


def test_square_inputs_keep_their_rows_apart():
    """Equal sizes share a class in the signature (DESIGN.md section 2), so square and tall
    inputs are two signatures. A square input's trace gives its rows a symbol of their own
    (the rows the numpy backend blocks over); the guard equating them always holds within
    the signature, so every square size reuses the trace."""
    jf = jl.jit(lambda x: x + 1.0)
    square, tall = rand((128, 128)), rand((64, 128), seed=1)
    jf(tall)
    np.testing.assert_allclose(jf(square), square + 1.0, rtol=1e-6)
    assert traces(jf) == 2
    jf(rand((96, 96), seed=2))
    assert traces(jf) == 2
    assert "%0: f32[s0,s1]" in jf.lower(square).as_text()
    assert "%0: f32[s0,s1]" in jf.lower(tall).as_text()


def test_a_trace_that_needs_rows_equal_to_columns_is_guarded():
    jf = jl.jit(lambda x: x @ x + x.T)
    for n in (8, 5):
        x = rand((n, n), seed=n)
        np.testing.assert_allclose(jf(x), x @ x + x.T, rtol=1e-5, atol=1e-6)
    assert traces(jf) == 1
    assert jf.lower(rand((8, 8))).as_text().endswith("guards: Eq(s1, s0)")
    add_sums = jl.jit(lambda x: x.sum(axis=0) + x.sum(axis=1))
    x = rand((6, 6))
    np.testing.assert_allclose(add_sums(x), x.sum(axis=0) + x.sum(axis=1), rtol=1e-5)
    with pytest.raises(ValueError):  # (4, 6): the guard fails, and the retrace meets numpy's error
        add_sums(rand((4, 6)))


def test_equal_sizes_across_arguments_share_a_symbol():
    jf = jl.jit(lambda x, y: x @ y)
    text = jf.lower(rand((8, 16)), rand((16, 4))).as_text()
    assert "func lambda(%0: f32[s0,s1], %1: f32[s1,s2])" in text
    jf(rand((8, 16)), rand((16, 4)))
    x, y = rand((5, 7), seed=1), rand((7, 3), seed=2)
    np.testing.assert_allclose(jf(x, y), x @ y, rtol=1e-5)
    assert traces(jf) == 1


def test_dynamic_false_retraces_per_shape():
    jf = jl.jit(lambda x: x * 2.0 + 1.0, dynamic=False)
    for rows in (3, 4, 3, 5):
        x = rand((rows, 6), seed=rows)
        np.testing.assert_allclose(jf(x), x * 2.0 + 1.0, rtol=1e-6)
    assert jf.cache_info() == (1, 3, 3)
    assert "%0: f32[3,6]" in jf.lower(rand((3, 6))).as_text()


# --- guards ------------------------------------------------------------------------------


def branchy(x):
    if x.shape[0] > 40:
        return x * 2.0
    return x - 1.0


def test_shape_branch_is_right_on_both_sides_and_retraces_when_the_guard_flips():
    jf = jl.jit(branchy)
    expected_traces = {32: 1, 64: 2, 48: 2, 40: 2, 41: 2, 33: 2}
    for rows, count in expected_traces.items():
        x = rand((rows, 8), seed=rows)
        np.testing.assert_allclose(jf(x), branchy(x), rtol=1e-6)
        assert traces(jf) == count, rows
    assert jf.cache_info().entries == 2


def test_shape_branch_records_its_guard():
    jf = jl.jit(branchy)
    assert jf.lower(rand((32, 8))).as_text().endswith("guards: s0 <= 40")
    assert jf.lower(rand((64, 8))).as_text().endswith("guards: s0 > 40")


def test_comparing_two_symbols_guards_their_order():
    def longer(x, y):
        return x[:1] if x.shape[0] > y.shape[0] else y[:1]

    jf = jl.jit(longer)
    a, b = rand((5,)), rand((3,), seed=1)
    np.testing.assert_array_equal(jf(a, b), a[:1])
    np.testing.assert_array_equal(jf(b, a), a[:1])
    np.testing.assert_array_equal(
        jf(rand((4,), seed=2), rand((9,), seed=3)), rand((9,), seed=3)[:1]
    )
    assert jf.cache_info() == (1, 2, 2)


def row_sum(x):
    acc = x[0]
    for i in range(1, x.shape[0]):
        acc = acc + x[i]
    return acc


def test_range_over_a_size_unrolls_with_a_guard():
    jf = jl.jit(row_sum)
    for rows, count in [(3, 1), (4, 2), (3, 2), (5, 3), (4, 3)]:
        x = rand((rows, 6), seed=rows)
        np.testing.assert_allclose(jf(x), x.sum(0), rtol=1e-5, atol=1e-6)
        assert traces(jf) == count
    text = jf.lower(rand((3, 6))).as_text()
    assert text.count("add ") == 2
    assert "Eq(s0, 3)" in text.splitlines()[-1]


# --- static arguments ----------------------------------------------------------------------


def scaled(x, n, mode="mul"):
    return x * n if mode == "mul" else x + n


def test_static_argnums_retrace_for_new_values_only():
    jf = jl.jit(scaled, static_argnums=1)
    x = rand((4, 5))
    for n, count in [(3, 1), (3, 1), (4, 2), (3, 2), (4, 2)]:
        np.testing.assert_allclose(jf(x, n), x * n, rtol=1e-6)
        assert traces(jf) == count
    assert jf(x, 3).dtype == np.float32


def test_static_argnames_retrace_for_new_values_only():
    jf = jl.jit(scaled, static_argnames="mode")
    x = rand((4, 5))
    for mode, count in [("mul", 1), ("add", 2), ("mul", 2), ("add", 2)]:
        np.testing.assert_allclose(jf(x, 2.0, mode=mode), scaled(x, 2.0, mode), rtol=1e-6)
        assert traces(jf) == count


def test_static_argnames_also_apply_to_positional_calls():
    def power(x, n):
        for _ in range(n):  # needs a concrete n
            x = x * 2.0
        return x

    jf = jl.jit(power, static_argnames="n")
    x = rand((4, 3))
    np.testing.assert_allclose(jf(x, 2), x * 4, rtol=1e-6)
    np.testing.assert_allclose(jf(x, n=3), x * 8, rtol=1e-6)
    np.testing.assert_allclose(jf(x, 2), x * 4, rtol=1e-6)
    assert traces(jf) == 2


def test_static_argnums_also_apply_to_keyword_calls():
    jf = jl.jit(scaled, static_argnums=2)
    x = rand((4, 5))
    np.testing.assert_allclose(jf(x, 2.0, mode="add"), x + 2.0, rtol=1e-6)
    np.testing.assert_allclose(jf(x, 2.0, "add"), x + 2.0, rtol=1e-6)


def test_equal_static_values_of_different_types_trace_separately():
    # 1 == 1.0 == True, but x * n has a different dtype for each
    jf = jl.jit(lambda x, n: x * n, static_argnums=1)
    x = np.arange(1, 5, dtype=np.int64)
    for n in (1, 1.0, True, 1):
        assert jf(x, n).dtype == (x * n).dtype
    assert jf.cache_info() == (1, 3, 3)


def test_non_hashable_static_argument_raises():
    jf = jl.jit(scaled, static_argnums=1)
    with pytest.raises(jl.JitError, match="hashable"):
        jf(rand((4, 5)), [1, 2])


# --- argument kinds --------------------------------------------------------------------------


class Params(NamedTuple):
    w: np.ndarray
    b: np.ndarray


def tree_fn(tree):
    a, pair, table, nothing, params = tree
    return {
        "sum": a + pair[0] * pair[1],
        "diff": (table["u"] - table["v"], None),
        "params": Params(params.w * 2.0, params.b + 1.0),
        "list": [nothing, a.sum()],
    }


def test_pytrees_round_trip_through_arguments_and_results():
    tree = (
        rand((3, 4)),
        [rand((3, 4), seed=1), rand((4,), seed=2)],
        {"v": rand((2,), seed=3), "u": rand((2,), seed=4)},
        None,
        Params(rand((5,), seed=5), rand((5,), seed=6)),
    )
    jf = jl.jit(tree_fn)
    out, expected = jf(tree), tree_fn(tree)
    assert jl.tree_flatten(out)[1] == jl.tree_flatten(expected)[1]
    assert isinstance(out["params"], Params) and isinstance(out["list"], list)
    assert out["diff"][1] is None and out["list"][0] is None
    for got, want in zip(jl.tree_flatten(out)[0], jl.tree_flatten(expected)[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    jf(tree)
    assert jf.cache_info() == (1, 1, 1)


def test_a_new_pytree_structure_retraces():
    jf = jl.jit(lambda xs: sum(xs[1:], xs[0]))
    a, b, c = rand((3,)), rand((3,), seed=1), rand((3,), seed=2)
    np.testing.assert_allclose(jf([a, b]), a + b, rtol=1e-6)
    np.testing.assert_allclose(jf([a, b, c]), a + b + c, rtol=1e-6)
    np.testing.assert_allclose(jf((a, b)), a + b, rtol=1e-6)
    assert traces(jf) == 3


def test_tree_map_and_flatten_outside_jit():
    tree = {"b": [1, 2], "a": (3, None), "c": Params(4, 5)}
    leaves, treedef = jl.tree_flatten(tree)
    assert sorted(leaves) == [1, 2, 3, 4, 5]
    doubled = jl.tree_map(lambda v: v * 2, tree)
    assert doubled == {"b": [2, 4], "a": (6, None), "c": Params(8, 10)}
    assert jl.tree_unflatten(treedef, leaves) == tree


@pytest.mark.parametrize(
    "dtype, scalar",
    [(np.float32, 2.5), (np.float32, 3), (np.int32, 3), (np.int32, 2.5), (np.float16, 1.5)],
)
def test_python_scalar_arguments_are_weak(dtype, scalar):
    jf = jl.jit(lambda x, a: x * a)
    x = (rand((4, 3)) * 4).astype(dtype)
    out, expected = jf(x, scalar), x * scalar
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-3)


def test_python_int_argument_out_of_range_raises_like_numpy():
    # numpy 2 refuses a Python int that does not fit the array's integer dtype (NEP 50)
    x = np.arange(3, dtype=np.int32)
    with pytest.raises(OverflowError):
        x + 2**40
    jf = jl.jit(lambda x, a: x + a)
    np.testing.assert_array_equal(jf(x, 5), x + 5)
    with pytest.raises((OverflowError, jl.JitError)):
        jf(x, 2**40)  # must not wrap around silently


def test_python_scalar_arguments_share_a_trace_per_type():
    jf = jl.jit(lambda x, a: x * a)
    x = rand((4, 3))
    for a in (2.5, -1.25, 7.0):
        np.testing.assert_allclose(jf(x, a), x * np.float32(a), rtol=1e-6)
    assert traces(jf) == 1
    jf(x, 2)
    assert traces(jf) == 2


def test_numpy_scalar_arguments_are_strong():
    jf = jl.jit(lambda x, a: x * a)
    x = rand((4, 3))
    out = jf(x, np.float64(2.5))
    assert out.dtype == (x * np.float64(2.5)).dtype == np.float64
    np.testing.assert_allclose(out, x * 2.5)


class GpuArray:
    """Stands in for a CuPy array: a shape, a dtype and the CUDA array interface."""

    __cuda_array_interface__ = {}  # on CuPy a property; only its presence is asked about

    def __init__(self, shape: tuple, dtype):
        self.shape, self.dtype = shape, dtype


def scaled_plus_sum(x, y):
    return x * 2.0 + y.sum()


def test_gpu_arrays_trace_like_numpy_arrays_of_their_shape():
    want = jl.jit(scaled_plus_sum).lower(rand((5, 3)), rand((3,), np.float64)).as_text()
    gpu = (GpuArray((5, 3), np.dtype(np.float32)), GpuArray((3,), np.dtype(np.float64)))
    assert jl.jit(scaled_plus_sum).lower(*gpu).as_text() == want


def test_gpu_tensors_without_a_numpy_dtype_are_rejected():
    with pytest.raises(jl.ArgumentError, match="neither an array nor a number"):
        jl.jit(lambda x: x).lower(GpuArray((3,), "torch.float32"))


def test_keyword_arguments():
    jf = jl.jit(lambda x, y, scale=1.0: x * scale + y)
    x, y = rand((3, 4)), rand((3, 4), seed=1)
    np.testing.assert_allclose(jf(x, y=y), x + y, rtol=1e-6)
    np.testing.assert_allclose(jf(x=x, y=y, scale=2.0), 2 * x + y, rtol=1e-6)
    np.testing.assert_allclose(jf(x, y, scale=3.0), 3 * x + y, rtol=1e-6)
    np.testing.assert_allclose(jf(x=x, y=y, scale=-1.5), -1.5 * x + y, rtol=1e-6)
    assert traces(jf) == 3  # the last call reuses the second one's trace


# --- symbolic shapes in the IR ---------------------------------------------------------------


def test_parameter_types_print_with_symbols():
    jf = jl.jit(lambda x, y: np.tanh(x) @ y.T)
    assert jf.lower(rand((32, 128)), rand((16, 128), seed=1)).as_text() == (
        "func lambda(%0: f32[s0,s1], %1: f32[s2,s1]) {\n"
        "  %2 = tanh %0 : f32[s0,s1]\n"
        "  %3 = transpose[axes=(1, 0)] %1 : f32[s1,s2]\n"
        "  %4 = matmul %2, %3 : f32[s0,s2]\n"
        "  return %4\n"
        "}"
    )


def test_reshape_minus_one_gives_a_symbolic_dim():
    text = jl.jit(lambda x: x.reshape(-1, 4) * 2.0).lower(rand((32, 128))).as_text()
    assert "reshape[shape=(-1, 4)] %0 : f32[s0*s1/4,4]" in text
    assert "multiply %1, %2 : f32[s0*s1/4,4]" in text


def test_size_arithmetic_gives_a_symbolic_dim():
    def double_rows(x):
        n = x.shape[0] * 2
        return jnp.zeros((n, x.shape[1]), np.float32) + 1.0

    jf = jl.jit(double_rows)
    text = jf.lower(rand((32, 128))).as_text()
    assert "broadcast_to[shape=(2*s0, s1)]" in text
    assert ": f32[2*s0,s1]" in text
    for rows in (32, 5):
        x = rand((rows, 3), seed=rows)
        np.testing.assert_array_equal(jf(x), np.ones((2 * rows, 3), np.float32))
    assert traces(jf) == 1


def test_symbolic_reshape_serves_every_size_without_retracing():
    jf = jl.jit(lambda x: x.reshape(x.shape[0] * x.shape[1]) * 3.0)
    for rows in (4, 6, 9):
        x = rand((rows, 7), seed=rows)
        np.testing.assert_allclose(jf(x), x.ravel() * 3.0, rtol=1e-6)
    assert traces(jf) == 1


def test_a_jitted_function_called_inside_another_is_inlined():
    inner = jl.jit(lambda x: np.tanh(x) * 2.0)
    outer = jl.jit(lambda x: inner(x) + 1.0)
    x = rand((3, 4))
    np.testing.assert_allclose(outer(x), np.tanh(x) * 2.0 + 1.0, rtol=1e-6)
    ops = [eqn.op.name for eqn in outer.lower(x).ir.eqns]
    assert "tanh" in ops  # one IR, not a call into another compiled function
    assert inner.cache_info().misses == 0  # the inner function was never traced on its own


def test_a_returned_size_is_an_int64_array_for_every_batch():
    jitted = jl.jit(lambda x: (x.sum(), x.shape[0] * 2))
    for batch in (5, 9):
        total, size = jitted(rand((batch, 3)))
        assert size.dtype == np.int64 and int(size) == 2 * batch
    assert traces(jitted) == 1


def test_gpu_arrays_on_the_numpy_backend_say_so():
    """The numpy backend cannot run on GPU arrays: a clear error, also after the same
    function was compiled for host arrays of that shape (GPU arrays key apart)."""
    jf = jl.jit(scaled_plus_sum, backend="numpy")
    jf(rand((5, 3)), rand((3,), np.float64))
    gpu = (GpuArray((5, 3), np.dtype(np.float32)), GpuArray((3,), np.dtype(np.float64)))
    with pytest.raises(jl.ArgumentError, match="GPU array.*backend is numpy"):
        jf(*gpu)
