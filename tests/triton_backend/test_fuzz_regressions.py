"""Programs differential fuzzing found wrong on the Triton backend, kept by name once fixed.
Each runs in Triton's kernels and is compared with eager numpy (jit, vmap against
loop-and-stack) or with the numpy backend (grad), on random inputs with fixed seeds."""

import numpy as np

import jitlib as jl

RTOL, ATOL = 1e-10, 1e-12  # float64 on both sides


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def close(got, want, rtol=RTOL, atol=ATOL):
    got_leaves, want_leaves = jl.tree_flatten(got)[0], jl.tree_flatten(want)[0]
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def grads_agree(loss, args: tuple):
    """grad of every argument: the Triton backend against the numpy backend."""
    argnums = tuple(range(len(args)))
    want = jl.jit(jl.grad(loss, argnums=argnums), backend="numpy")(*args)
    close(jl.jit(jl.grad(loss, argnums=argnums), backend="triton")(*args), want)


def sum_of_sines(program):
    def loss(*args):
        return sum(np.sum(np.sin(y)) for y in program(*args))

    return loss


# --- a rank-0 value of a reduction's only row was written as a total over the rows: the
# kernel stored it after the totals' counter, but had no totals (NameError: count) --------


def std_of_the_only_row_as_a_scalar(x):
    return np.std(x, axis=(0, 1)).reshape(())


def stack_of_a_one_row_std_and_a_scalar(v0, v1, v2):
    std = np.std(v2, axis=(0, 1), keepdims=False)
    return np.stack([std, v1.reshape(-1)], axis=1), np.tanh(v0), v0


def test_scalar_from_the_only_row_of_a_reduction():
    jitted = jl.jit(std_of_the_only_row_as_a_scalar, backend="triton")
    for x in (rand(2, 3, 1), rand(4, 5, 1, seed=1)):
        close(jitted(x), std_of_the_only_row_as_a_scalar(x))


def test_grad_of_a_one_row_std_stacked_with_a_scalar():
    args = (rand(3), rand(), rand(2, 3, 1, seed=1))
    grads_agree(sum_of_sines(stack_of_a_one_row_std_and_a_scalar), args)


# --- a sum over every element of a reduction to one value was planned as a total in that
# reduction's kernel, which has no rows to sum: the planner would loop -------------------


def sum_of_a_full_sum_kept_as_one_element(x):
    return np.sum(np.sum(x, keepdims=True))


def mean_of_a_mean_over_every_axis_plus_x(x):
    return np.mean(np.mean(x, axis=(0, 1), keepdims=True)) + x


def sums_of_sums_of_a_broadcast_constant(x, y):
    ones = np.zeros_like(x) + 1
    return (np.tanh(np.sum(np.sum(ones, axis=None, keepdims=True), axis=None, keepdims=True)),)


def hypot_of_a_scalar_and_a_rolled_mean(v1, v2):
    mean = np.mean(np.roll(v2, 1, axis=0), axis=(0, 1, 2), keepdims=True)
    return (np.hypot(v1, mean),)


def test_sum_of_a_reduction_to_one_value():
    for program in (sum_of_a_full_sum_kept_as_one_element, mean_of_a_mean_over_every_axis_plus_x):
        jitted = jl.jit(program, backend="triton")
        for x in (rand(3, 2), rand(5, 4, seed=1)):
            close(jitted(x), program(x))


def test_vmap_of_sums_of_sums_of_a_broadcast_constant():
    xs, y = rand(3, 2).astype(np.float32), np.float32(0.5)
    program = sums_of_sums_of_a_broadcast_constant
    got = jl.jit(jl.vmap(program, in_axes=(0, None)), backend="triton")(xs, y)
    want = (np.stack([program(x, y)[0] for x in xs]),)
    close(got, want, rtol=1e-6, atol=0)


def test_grad_of_hypot_of_a_scalar_and_a_rolled_mean():
    grads_agree(sum_of_sines(hypot_of_a_scalar_and_a_rolled_mean), (rand(), rand(2, 3, 1)))
