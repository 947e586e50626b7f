"""Writes under @jit keep numpy's semantics, on both backends: what the caller's arrays hold
after the call, views and what never aliases, casting, read-only and overlapping
arguments, writes inside control flow, transforms through writes, and the errors.

Every check runs the same function eagerly on copies of the inputs and compares results
and arguments afterwards. The op-case table (tests/ops/write_cases.py) covers each kind of
write's values, VJP, JVP and vmap.
"""

import inspect

import numpy as np
import pytest
from reliability.conftest import BACKENDS, host

import jitlib as jl

RNG = np.random.default_rng(11)


def rand(*shape, dtype=np.float64):
    return (RNG.standard_normal(shape) * 2).astype(dtype)


def same_as_eager(fn, *args, backend="numpy"):
    """Run fn eagerly and jitted on copies of args; results and args must match."""
    eager_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    jit_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    want = fn(*eager_args)
    got = jl.jit(fn, backend=backend)(*jit_args)
    for w, g in zip(jl.tree_flatten(want)[0], jl.tree_flatten(got)[0]):
        g = host(g)
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-12)
    for w, g in zip(eager_args, jit_args):
        if isinstance(w, np.ndarray):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-12)
    return got


# --- the idioms, written into arguments -------------------------------------------------
def set_first(y):
    y[0] = 0


def set_negative(y):
    y[y < 0] = 0


def shift_columns(y, x):
    y[:, 1:] = x[:, :-1]


def double_first_column(y):
    y[..., 0] *= 2


def set_rows(y):
    y[[0, 2]] = 5


def add_at(y):
    np.add.at(y, np.array([0, 0, 1]), 1)


def exp_into(x, y):
    np.exp(x, out=y)


def through_a_view(y):
    v = y[1]
    v[:] = 3


def add_into(x, y):
    x += y
    return x.sum()


def every_augmented(y, x):
    y += x
    y -= 0.5 * x
    y *= 1.5
    y /= 3.0
    y **= 2
    y //= 0.25
    y %= 7.0


def integer_augmented(y, k):
    y += k
    y *= 3
    y //= 2
    y %= 5
    y &= 6
    y |= 1
    y ^= 3
    y <<= 2
    y >>= 1


def matmul_into(y, w):
    y @= w


IDIOMS = [
    (set_first, lambda: (rand(4, 3),)),
    (set_negative, lambda: (rand(4, 3),)),
    (shift_columns, lambda: (rand(4, 3), rand(4, 3))),
    (double_first_column, lambda: (rand(2, 4, 3),)),
    (set_rows, lambda: (rand(4, 3),)),
    (add_at, lambda: (rand(3, 2),)),
    (exp_into, lambda: (rand(4, 3), rand(4, 3))),
    (through_a_view, lambda: (rand(3, 4),)),
    (add_into, lambda: (rand(4, 3), rand(4, 3))),
    (every_augmented, lambda: (rand(4, 3) + 9, rand(4, 3))),
    (integer_augmented, lambda: (RNG.integers(0, 50, (4, 3)), RNG.integers(0, 9, (3,)))),
    (matmul_into, lambda: (rand(4, 3), rand(3, 3))),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn, make", IDIOMS, ids=[fn.__name__ for fn, _ in IDIOMS])
def test_writes_to_arguments_reach_the_caller(fn, make, backend):
    same_as_eager(fn, *make(), backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_written_argument_keeps_its_identity_and_later_calls_see_it(backend):
    x, y = rand(5, 2), rand(5, 2)
    f = jl.jit(add_into, backend=backend)
    want = x.copy()
    for _ in range(3):  # each call adds to what the last one left
        f(x, y)
        want += y
        np.testing.assert_allclose(x, want)
    assert f.cache_info().misses == 1


# --- views ------------------------------------------------------------------------------
def view_then_write_base(y, make_view):
    v = make_view(y)
    y += 1.0
    return v


def write_view_read_base(y, make_view):
    v = make_view(y)
    v[...] = 7.0
    return y


VIEWS = {  # numpy returns a view for each of these (of a C-contiguous array)
    "slice": lambda y: y[1:, ::2],
    "int": lambda y: y[1],
    "none_and_ellipsis": lambda y: y[None, ..., 0],
    "T": lambda y: y.T,
    "transpose": lambda y: np.transpose(y, (1, 0, 2)),
    "swapaxes": lambda y: y.swapaxes(0, 2),
    "reshape": lambda y: y.reshape(-1, 2),
    "ravel": lambda y: y.ravel(),
    "squeeze_expand": lambda y: np.expand_dims(y[:1], 0).squeeze(1),
    "flip": lambda y: np.flip(y, 1),
    "reshape_of_rows": lambda y: y[1:3].reshape(-1),
    "view_of_view": lambda y: y.T[::-1][1],
}
COPIES = {  # numpy copies for each of these
    "copy": lambda y: y.copy(),
    "np_copy": lambda y: np.copy(y),
    "arithmetic": lambda y: y + 0,
    "positive": lambda y: +y,
    "astype_same": lambda y: y.astype(y.dtype),
    "fancy": lambda y: y[[0, 1]],
    "flatten": lambda y: y.flatten(),
    "reshape_of_transpose": lambda y: y.T.reshape(-1),
    "reshape_of_strided": lambda y: y[:, ::2].reshape(-1),
    "one_element": lambda y: y[1, 2, 0],
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(VIEWS) + sorted(COPIES))
def test_views_and_copies_as_numpy(name, backend):
    make = {**VIEWS, **COPIES}[name]
    same_as_eager(lambda y: view_then_write_base(y, make), rand(4, 3, 2), backend=backend)
    if name != "one_element":  # numpy gives a scalar there, which takes no writes
        same_as_eager(lambda y: write_view_read_base(y, make), rand(4, 3, 2), backend=backend)


def test_a_written_argument_that_is_reshaped_must_be_c_contiguous():
    """Whether numpy's reshape is a view depends on the argument's strides; the trace
    assumes C-contiguous arguments, so a call that breaks the assumption is refused."""

    def reshape_then_write(y):
        return write_view_read_base(y, lambda v: v.reshape(-1))

    same_as_eager(reshape_then_write, rand(3, 4))
    with pytest.raises(jl.UnsupportedError, match="ascontiguousarray"):
        jl.jit(reshape_then_write)(np.asfortranarray(rand(3, 4)))


def test_views_of_non_contiguous_arguments():
    """Slices, transposes and size-1 axes are views whatever the strides: a written
    F-ordered or strided argument gives numpy's result."""

    def write_views(y):
        y.T[0] = 1.0
        v = y[None, 1:]
        v *= 3.0
        return y[:, ::2]

    base = rand(4, 6)
    for make in (lambda: np.asfortranarray(base[:, :3]), lambda: base.copy()[:, ::2]):
        eager, jitted = make(), make()
        want = write_views(eager)
        np.testing.assert_allclose(jl.jit(write_views)(jitted), want)
        np.testing.assert_allclose(jitted, eager)


# --- arguments: read-only, shared memory, scalars ---------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_read_only_argument_raises_numpys_error(backend):
    x = rand(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="assignment destination is read-only"):
        jl.jit(set_first, backend=backend)(x)
    # reading a read-only argument is fine
    np.testing.assert_allclose(host(jl.jit(lambda y: y * 2, backend=backend)(x)), x * 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_arguments_sharing_memory_with_a_written_one_raise(backend):
    x = rand(6, 2)
    f = jl.jit(shift_columns, backend=backend)
    with pytest.raises(jl.AliasingError, match="shares memory"):
        f(x, x)
    with pytest.raises(jl.AliasingError):
        f(x[:4], x[2:])  # overlapping views
    a, b = x[:3], x[3:]  # disjoint views of one array are fine
    same_as_eager(shift_columns, a, b, backend=backend)
    # a function that only reads may take the same array twice
    np.testing.assert_allclose(host(jl.jit(np.add, backend=backend)(x, x)), 2 * x)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scalar_arguments_rebind_rather_than_write(backend):
    def f(x, s, t):
        s += 1.0  # a Python float and a numpy scalar are immutable: += rebinds
        t *= 2
        total = x.sum()
        total += s  # so is a reduction's result
        return total + t

    same_as_eager(f, rand(3), 2.5, np.float32(1.5), backend=backend)


# --- casting ----------------------------------------------------------------------------
CASTS = [
    (lambda y: y.__iadd__(1.5), lambda: RNG.integers(0, 5, 4)),
    (lambda y: y.__imul__(np.ones(4)), lambda: RNG.integers(0, 5, 4)),
    (lambda y: y.__itruediv__(2), lambda: RNG.integers(0, 5, 4)),
    (lambda y: np.exp(y, out=y), lambda: RNG.integers(0, 5, 4)),
    (lambda y: np.copyto(y, np.ones(4)), lambda: RNG.integers(0, 5, 4)),
]


@pytest.mark.parametrize("fn, make", CASTS)
def test_same_kind_casting_raises_numpys_error(fn, make):
    with pytest.raises(Exception) as eager:
        fn(make())
    with pytest.raises(type(eager.value)):
        jl.jit(fn)(make())


@pytest.mark.parametrize("backend", BACKENDS)
def test_setitem_casts_unsafely_as_numpy(backend):
    def f(y, v):
        y[1:] = v  # float into int truncates
        y[0] = 2.9

    same_as_eager(f, RNG.integers(0, 5, 4), rand(3), backend=backend)


def test_ufunc_at_of_floats_into_ints_is_refused():
    """numpy computes each update in floats and casts after it (3 * 2.5 * 2.5 -> 17, not
    the 18 of one cast at the end): refused rather than answered differently."""

    def f(y):
        np.multiply.at(y, [0, 0], 2.5)

    with pytest.raises(jl.UnsupportedError, match="cast the values first"):
        jl.jit(f)(np.array([3, 1]))


# --- control flow and transforms --------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_writes_inside_loop_and_branch_bodies(backend):
    def f(x):
        def body(i, acc):
            acc[i] = x[i] * i
            acc[i, 0] += 1.0
            return acc

        filled = jl.fori_loop(0, x.shape[0], body, np.zeros_like(x))

        def step(carry, row):
            local = row.copy()
            local[row < 0] = 0.0
            carry += local
            return carry, local.sum()

        total, sums = jl.scan(step, np.zeros_like(x[0]), x)

        def positive(a):
            b = a.copy()
            b[0] = 100.0
            return b

        return filled, total, sums, jl.cond(x.sum() > 0, positive, lambda a: a * 2, x)

    def eager(x):  # the loop functions run as plain Python without a trace
        return f(x)

    same_as_eager(eager, rand(5, 3), backend=backend)


def test_write_to_an_outer_array_inside_a_body_is_refused():
    def f(x):
        y = x.copy()

        def body(i, c):
            y[i] = c  # y belongs to the enclosing trace
            return c + 1.0

        jl.fori_loop(0, 3, body, 0.0)
        return y

    with pytest.raises(jl.UnsupportedError, match="operand or carry"):
        jl.jit(f)(rand(4))


def masked_loss(w, x):
    h = x @ w
    h[:, 0] = 0.0  # the overwritten part gets no gradient
    h[h < -1] = -1.0
    return (h**2).sum()


def test_grad_through_writes_matches_finite_differences():
    w, x = rand(3, 4), rand(5, 3)
    got = jl.grad(masked_loss)(w, x)
    direction = rand(3, 4)
    eps = 1e-6
    numeric = (masked_loss(w + eps * direction, x) - masked_loss(w - eps * direction, x)) / (
        2 * eps
    )
    np.testing.assert_allclose((got * direction).sum(), numeric, rtol=1e-6)
    assert np.all(got[:, 0] == 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_vmap_of_writes_to_local_arrays(backend):
    def f(x, i):
        y = np.zeros_like(x)
        y[i] = x[i] * 2
        y[1:] += x[:-1]
        return y

    x, i = rand(4, 6), RNG.integers(0, 6, 4)
    got = jl.jit(jl.vmap(f), backend=backend)(x, i)
    np.testing.assert_allclose(host(got), np.stack([f(a, b) for a, b in zip(x, i)]))


@pytest.mark.parametrize("transform", [jl.grad, jl.vmap])
def test_writes_to_arguments_under_transforms_are_refused(transform):
    def f(x):
        x[0] = 0.0
        return x.sum()

    with pytest.raises(jl.TransformError, match="writes to its argument"):
        transform(f)(rand(3, 2))


# --- in place, not copied ---------------------------------------------------------------
def test_a_loop_of_row_writes_updates_one_buffer():
    """n row writes into a fresh array compile to one copy (of the zeros, which are a
    read-only broadcast) and n - 1 writes into that buffer, not n copies of the array."""

    def rows(x):
        acc = np.zeros_like(x)
        for i in range(x.shape[0]):
            acc[i] = x[i] * i
        return acc

    x = rand(6, 3)
    source = jl.jit(rows).lower(x).compile().source
    assert source.count("update_slice(") == 1
    assert source.count("update_slice_into(") == 5
    same_as_eager(rows, x)


# --- bad input --------------------------------------------------------------------------
def bad_broadcast(y, v):
    y[1:] = v  # <- bad broadcast


def bad_traced_index(y, i):
    y[i] = 1.0  # <- bad index


def bad_static_index(y):
    y[5] = 1.0  # <- static index


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_writes(backend):
    with pytest.raises(jl.ShapeMismatchError, match=r"from shape \(2,\) into shape \(3, 3\)"):
        jl.jit(bad_broadcast, backend=backend)(rand(4, 3), rand(2))
    with pytest.raises(IndexError) as info:
        jl.jit(bad_traced_index, backend=backend)(rand(4, 3), np.array([1, 4]))
    assert isinstance(info.value, jl.JitError) and "bad index" in str(info.value)
    with pytest.raises(IndexError) as info:
        jl.jit(bad_static_index, backend=backend)(rand(4, 3))
    assert isinstance(info.value, jl.JitError) and "static index" in str(info.value)


def test_writing_a_traced_value_into_a_numpy_array_says_what_to_do():
    def f(x):
        acc = np.zeros(x.shape)  # numpy makes this: it cannot hold traced values
        acc[0] = x[0]
        return acc

    with pytest.raises(jl.ConcretizationError, match="zeros_like"):
        jl.jit(f)(rand(3, 2))


# --- every op case: its result shares memory with its input exactly where numpy's does ---
def _write_result(fn):
    def written(x, *rest):
        x = x.copy()
        out = fn(x, *rest)
        jl.tree_flatten(out)[0][0][...] = 7
        return x, out

    return written


def _writable_cases():
    """The op cases whose result numpy lets us write (not a scalar or a read-only view)."""
    from ops.cases import CASES
    from ops.test_forward import make_args

    found = []
    for case in CASES:
        args = make_args(case, case.dtypes[0], case.shapes[0])
        try:
            with np.errstate(all="ignore"):
                _write_result(case.fn)(*args)
        except (ValueError, TypeError, AttributeError, IndexError):
            continue
        found.append((case, args))
    return found


@pytest.mark.parametrize("case, args", _writable_cases(), ids=lambda c: getattr(c, "name", ""))
def test_every_case_result_aliases_its_input_as_numpy(case, args):
    """Writing into a case's result changes its input where numpy's result is a view of
    it (reshape, transpose, slices) and nowhere else (copies, arithmetic, +x, astype)."""
    same_as_eager(_write_result(case.fn), *args)


# --- written arguments computed in place, block by block (numpy backend) -----------------
def adam_in_place(p, g, m, v):
    m *= 0.9
    m += 0.1 * g
    v *= 0.999
    v += 0.001 * g * g
    p -= 1e-3 * m / (np.sqrt(v) + 1e-8)


def old_value_read_after_the_write(x, y):
    old = x.copy()  # the argument's value before the writes, read after them
    x *= 2.0
    x += y
    return old * 3.0 + x * np.tanh(y) - np.exp(-old)


def view_of_the_argument_returned(x, y):
    x += np.sin(y) * np.cos(y) + 1.0
    return x[::2]


@pytest.mark.parametrize(
    "fn", [adam_in_place, old_value_read_after_the_write, view_of_the_argument_returned]
)
def test_written_arguments_over_many_row_blocks(fn):
    """Arrays of more rows than one block: the blocks write straight into a written
    argument where no later equation reads its old value."""
    n = 300_001  # more rows than one block holds, and not a multiple of the block
    args = [rand(n, dtype=np.float32) for _ in range(len(inspect.signature(fn).parameters))]
    args[-1] = np.abs(args[-1])
    same_as_eager(fn, *args)


def returns_the_old_value_too(x, y):
    old = x.copy()
    x += y
    return old


def shifted_read_of_the_argument(x, y):
    x[1:] = x[:-1] + y[1:]  # reads neighbours: no lane may overwrite what another reads


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "fn", [adam_in_place, returns_the_old_value_too, shifted_read_of_the_argument, add_into]
)
def test_written_arguments_computed_into_their_buffers(fn, backend):
    """Where a kernel (or row block) stores a written argument straight into the caller's
    buffer, it is only where nothing later reads the old value."""
    count = len(inspect.signature(fn).parameters)
    args = [rand(2500, dtype=np.float32) for _ in range(count)]  # Triton: several programs
    args[-1] = np.abs(args[-1])
    same_as_eager(fn, *args, backend=backend)


def test_item_assignment_into_a_python_number_raises_as_eagerly():
    def f(x, s):
        s[()] = 1.0
        return x

    with pytest.raises(TypeError, match="'float' object does not support item assignment"):
        f(rand(2), 2.5)
    with pytest.raises(TypeError, match="'float' object does not support item assignment"):
        jl.jit(f)(rand(2), 2.5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_optimizer_writing_a_dict_of_parameters(backend):
    """Optimiser code as it is written: arrays in a pytree updated in place."""

    def sgd_momentum(params, grads, velocity, lr):
        for name in params:
            velocity[name] *= 0.9
            velocity[name] += grads[name]
            params[name] -= lr * velocity[name]

    def make():
        rng = np.random.default_rng(3)
        return [{"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)} for _ in range(3)]

    eager, jitted = make(), make()
    sgd_momentum(*eager, 0.1)
    jl.jit(sgd_momentum, backend=backend)(*jitted, 0.1)
    for want, got in zip(eager, jitted):
        for name in want:
            np.testing.assert_allclose(got[name], want[name], rtol=1e-12)
