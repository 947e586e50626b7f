"""Writes into dead buffers on the Triton backend (ir/passes/fusion_inplace.py): a slice
write whose operand nothing reads afterwards is a masked store into that buffer, and a
device scatter writes into its operand rather than a copy. Each plan is checked in the
generated launcher, and each value against eager numpy."""

import re

import numpy as np
import pytest

import jitlib as jl
from codegen import triton_emitter

RNG = np.random.default_rng(11)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def launcher(fn, *args) -> str:
    source = jl.jit(fn, backend="triton").lower(*args).compile().source
    return source[source.index(f"def {fn.__name__}_triton") :]


def same_as_eager(fn, *args):
    got = jl.jit(fn, backend="triton")(*args)
    want = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    for g, w in zip(
        got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)
    ):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)


def full_buffers(source: str) -> int:
    """How many arrays of the argument's whole shape the launcher allocates or copies."""
    return len(re.findall(r"rt\.empty\(\(s0, s1\)", source)) + source.count("into=False")


def rows(x):
    acc = np.zeros_like(x)
    for i in range(x.shape[0]):
        acc[i] = x[i] * i
    return acc


def running(x):
    acc = np.exp(x)
    for i in range(x.shape[0]):
        acc[i] += x[i]  # reads each lane's own element, then writes it
    return acc


def recurrence(x, a):
    acc = np.zeros_like(x)
    acc[0] = x[0]
    for i in range(1, x.shape[0]):
        acc[i] = acc[i - 1] * a + x[i]  # reads the row before: the update is stored first
    return acc


def strided_columns(x):
    acc = np.ones_like(x) * 2.0
    acc[:, ::2] = x[:, ::2] * 3.0
    acc[1:, 1::2] -= 1.0
    acc[-1] = 7.0
    return acc


def scatters(x, idx):
    acc = x * 2.0
    for k in range(idx.shape[0]):
        acc[idx[k]] = x[k]
    np.add.at(acc, idx[0], 1.0)
    np.maximum.at(acc, idx[1], 0.5)
    return acc


@pytest.mark.parametrize(
    "fn, args, buffers",
    [
        (rows, (rand(6, 3),), 1),
        (running, (rand(5, 4),), 1),
        (recurrence, (rand(6, 3), np.float32(0.5)), 1),
        (strided_columns, (rand(4, 6),), 1),
        (scatters, (rand(5, 3), np.array([[0, 2], [1, 2], [4, 0]])), 1),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_writes_update_one_buffer(fn, args, buffers):
    """Every write after the first array is made goes into that array's buffer."""
    source = launcher(fn, *args)
    assert full_buffers(source) == buffers, source
    same_as_eager(fn, *args)


def shift_rows(x):
    acc = np.exp(x)
    acc[0] = 1.0
    acc[1:] = acc[:-1] * 2.0  # reads rows other lanes write
    return acc


def test_an_update_read_from_its_own_operand_is_stored_first_regression():
    """Written in place, `acc[1:] = acc[:-1] * 2` would read rows other programs already
    overwrote (1024 lanes per program: the interpreter runs them one after another)."""
    x = rand(3, 1024)
    assert len(re.findall(r"rt\.empty\(\(s0 - 1, s1\)", launcher(shift_rows, x))) == 1
    same_as_eager(shift_rows, x)
    source = launcher(recurrence, rand(6, 3), np.float32(0.5))
    assert len(re.findall(r"rt\.empty\(\(1, s1\)", source)) == 5  # one row per step


def snapshot_read_later(x):
    acc = np.exp(x)
    acc[0] = 0.0
    before = acc.copy()  # numpy copies; the IR shares the value, read after the next write
    acc[1] = 1.0
    return acc, before[::-1] * 2.0  # (read in step with acc, it would join acc's kernel)


def scatter_operand_read_later(x, idx):
    acc = x * 2.0
    acc[idx] = 0.0
    return acc, acc.sum(axis=1), x


def test_a_write_whose_operand_is_read_later_copies_regression():
    """The second write's operand (acc after the first) is read by a later kernel: writing
    into it would change `before`; the write copies instead."""
    x = rand(4, 3)
    assert full_buffers(launcher(snapshot_read_later, x)) == 3
    same_as_eager(snapshot_read_later, x)


def test_a_scatter_into_an_argument_copies():
    x, idx = rand(5, 3), np.array([4, 1])

    def scatter_into_copy_of_argument(x, idx):
        y = x.copy()
        y[idx] = 0.0
        return y

    assert "into=False" in launcher(scatter_into_copy_of_argument, x, idx)
    same_as_eager(scatter_into_copy_of_argument, x, idx)
    assert "into=True" in launcher(scatter_operand_read_later, x, idx)
    same_as_eager(scatter_operand_read_later, x, idx)


def test_in_place_writes_under_grad_and_vmap():
    x = rand(5, 3).astype(np.float64)

    def loss(x):
        return (running(x) ** 2).sum() + (recurrence(x, 0.5) * x).sum()

    got = jl.jit(jl.grad(loss), backend="triton")(x)
    want = jl.jit(jl.grad(loss), backend="numpy")(x)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    batch = rand(3, 5, 3)
    got = jl.jit(jl.vmap(running), backend="triton")(batch)
    np.testing.assert_allclose(got, np.stack([running(b) for b in batch]), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_multiply_at_runs_on_the_device(dtype):
    """A compare-and-swap loop per element (no atomic multiply): 40 updates aimed at three
    rows, negative indices among them."""

    def products(y, i, v):
        np.multiply.at(y, i, v)

    y = (RNG.standard_normal((4, 3)) * 2).astype(dtype)
    i = RNG.choice(np.array([0, 2, -1]), 40)
    v = RNG.choice(np.array([-1.5, 0.5, 2.0, -2.0, 1.0]), (40, 3)).astype(dtype)
    jitted = jl.jit(products, backend="triton")
    assert "mode=4" in launcher(products, y, i, v)
    assert "scatter_reduce" not in triton_emitter.emit(jitted.lower(y, i, v).ir).host_steps
    got, want = y.copy(), y.copy()
    jitted(got, i, v)
    products(want, i, v)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_an_augmented_write_through_a_view_is_one_write_regression():
    """Python runs `acc[i] += v` as `t = acc[i]; t += v; acc[i] = t`: the second write puts
    the view's own values back, which simplify drops (it was a second kernel per row)."""
    source = launcher(running, rand(5, 4))
    assert source.count("_pointwise[") == 5  # the array with row 0 written, then 4 rows


def test_a_device_scatter_at_an_index_made_from_a_size_regression():
    """The gradient of x[n - 1] scatters at the size n - 1, a value kernels compute where
    they use it: the device scatter named it without making it (NameError)."""

    def last_row_energy(x):
        return (np.take(x, x.shape[0] - 1, axis=0) ** 2).sum()

    x = rand(4, 3).astype(np.float64)
    got = jl.jit(jl.grad(last_row_energy), backend="triton")(x)
    want = np.zeros_like(x)
    want[-1] = 2 * x[-1]
    np.testing.assert_allclose(got, want, rtol=1e-12)
