"""The numpy emitter: readable, valid source that names the user's lines; out= buffer reuse
that never touches the caller's arrays; fresh results on every call; row-blocked execution
that gives the same answers."""

import ast
import re

import numpy as np
import pytest

import jitlib as jl
import jitlib.numpy as jnp
from codegen import numpy_emitter
from ir.passes import optimize

HERE = "test_numpy_emitter.py"


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def line_of(marker: str) -> int:
    with open(__file__) as source:
        lines = [i for i, text in enumerate(source, 1) if text.rstrip().endswith(marker)]
    assert len(lines) == 1, marker
    return lines[0]


def chain(x):
    y = np.exp(x) * 2.0  # <- exp
    y = y + 1.0
    y = np.tanh(y) - x
    return y * y  # <- square


def source_of(fn, *args) -> str:
    return jl.jit(fn).lower(*args).compile().source


def test_source_is_valid_python_with_a_header_naming_the_user_file():
    source = source_of(chain, rand((8, 16)))
    ast.parse(source)
    header = source[: source.index("\ndef ")]
    assert header.startswith("# jitlib numpy backend")
    assert all(line.startswith("#") or " = np." in line for line in header.splitlines())
    assert f"{HERE}:{line_of('# <- exp')}" in header
    assert "#     %1 = exp %0 : f32[s0,s1]" in header  # the IR it came from


def test_each_statement_names_its_user_line():
    code = [line for line in source_of(chain, rand((8, 16))).splitlines() if line[:1] != "#"]
    exp_line = next(line for line in code if "np.exp(" in line)
    assert exp_line.endswith(f"# {HERE}:{line_of('# <- exp')}")
    square = [line for line in code if line.endswith(f"# {HERE}:{line_of('# <- square')}")]
    assert len(square) == 1 and "np.multiply(" in square[0]


def test_elementwise_chain_reuses_buffers_and_is_right():
    x = rand((8, 16))
    before = x.copy()
    source = source_of(chain, x)
    assert source.count("out=") >= 4
    jf = jl.jit(chain)
    first = jf(x)
    np.testing.assert_allclose(first, chain(before), rtol=1e-6)
    np.testing.assert_array_equal(x, before)
    second = jf(x)
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, second)


def two_inputs(x, b):
    y = np.exp(x) + b  # x and b are dead after this line, yet must not be written
    z = np.sqrt(np.abs(b)) * x
    return np.tanh(y) * z - 1.0


def test_no_out_into_parameters_or_their_views():
    x, b = rand((8, 16)), rand((8, 16), seed=1)
    for fn in (two_inputs, lambda x, b: np.negative(x.T).T * b + 1.0):
        source = source_of(fn, x, b)
        assert not re.search(r"out=a\d", source), source
        x_before, b_before = x.copy(), b.copy()
        np.testing.assert_allclose(jl.jit(fn)(x, b), fn(x_before, b_before), rtol=1e-6)
        np.testing.assert_array_equal(x, x_before)
        np.testing.assert_array_equal(b, b_before)


def test_no_out_into_a_buffer_a_live_view_still_reads():
    def fn(x):
        y = np.exp(x)
        view = y.T
        z = np.negative(y)  # y is dead here, but its view is read below
        return z + view.T, view

    x = rand((6, 6))
    got, want = jl.jit(fn)(x), fn(x)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda x: jnp.ones((3,), np.float32) * 2, np.full(3, 2.0, np.float32)),
        (lambda x: np.float32(3.0), np.asarray(np.float32(3.0))),
        (lambda x: np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3)),
        (lambda x: (x, np.zeros(2)), np.zeros(2)),
    ],
    ids=["folded", "scalar", "embedded", "beside_a_param"],
)
def test_constant_result_is_a_fresh_writable_array_each_call(fn, expected):
    jf = jl.jit(fn)
    x = rand((4,))

    def result():
        out = jf(x)
        return out[1] if isinstance(out, tuple) else out

    first = result()
    assert isinstance(first, np.ndarray) and first.flags.writeable
    np.testing.assert_array_equal(first, expected)
    first[...] = -7.0
    second = result()
    np.testing.assert_array_equal(second, expected)
    assert not np.shares_memory(first, second)


def test_results_are_ndarrays_even_for_scalars():
    out = jl.jit(lambda x: (x.sum(), x.max() * 2))(rand((5,)))
    assert all(isinstance(o, np.ndarray) and o.shape == () for o in out)


def test_symbols_come_from_parameter_shapes():
    source = source_of(lambda x: x.reshape(x.shape[0] * x.shape[1]) + 1.0, rand((4, 6)))
    assert "s0 = a0.shape[0]" in source and "s1 = a0.shape[1]" in source
    assert "shape=(s0*s1,)" in source


# --- row-blocked execution ------------------------------------------------------------------

ROWS = 3000  # more rows than one block holds at this width


def softmax_rows(x, b):
    e = np.exp(x - x.max(axis=1, keepdims=True)) * 2.0 + b
    return e / e.sum(axis=1, keepdims=True)


def param_beside_result(x, b):
    return x, np.exp(x) * 2.0 - b


def repeated_result(x, b):
    y = np.tanh(x) * 2.0 + b
    return y, y, y[:, :5]


@pytest.mark.parametrize("fn", [softmax_rows, param_beside_result, repeated_result])
def test_row_blocked_code_matches_numpy(fn):
    x, b = rand((ROWS, 128)), rand((1, 128), seed=1)
    x_before = x.copy()
    lowered = jl.jit(fn).lower(x, b)
    blocked = numpy_emitter.emit(lowered.ir)
    plain = numpy_emitter.emit(lowered.ir, chunk=False)
    assert "rt.run_blocks(" in blocked.source
    want = jl.tree_flatten(fn(x, b))[0]
    for kernel in (blocked, plain):
        got = kernel.fn(x, b)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(x, x_before)
    got = jl.jit(fn)(x, b)
    for g, w in zip(jl.tree_flatten(got)[0], want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_block_length_comes_from_a_blocked_parameter_regression(monkeypatch):
    """t holds the row count on its second axis, ahead of x: the block body took its row
    symbol from t (all the rows), and x's block reshaped to that length failed."""
    monkeypatch.setattr(numpy_emitter, "MIN_CHUNKED_OPS", 0)  # one wide op: block it anyway

    def rows_after_their_transpose(t, x):
        return np.exp(x[:, 0]).reshape(x.shape[0], 1) * 2.0 - x, t * 3.0

    t, x = rand((1, ROWS)), rand((ROWS, 128), seed=1)
    assert (
        "rt.run_blocks("
        in numpy_emitter.emit(jl.jit(rows_after_their_transpose).lower(t, x).ir).source
    )
    got = jl.jit(rows_after_their_transpose)(t, x)
    for g, w in zip(got, rows_after_their_transpose(t, x)):
        np.testing.assert_allclose(g, w, rtol=1e-5)


def test_row_blocked_results_do_not_alias_each_other():
    x, b = rand((ROWS, 128)), rand((1, 128), seed=1)
    first, second, _ = jl.jit(repeated_result)(x, b)
    assert not np.shares_memory(first, second)
    first[...] = 0.0
    np.testing.assert_allclose(second, repeated_result(x, b)[1], rtol=1e-6)


def test_emit_takes_an_optimised_function():
    fn = optimize(jl.make_ir(chain)(rand((8, 16))).ir)
    kernel = numpy_emitter.emit(fn)
    x = rand((8, 16), seed=3)
    (out,) = kernel.fn(x)
    np.testing.assert_allclose(out, chain(x), rtol=1e-6)
    assert kernel.name == "chain_numpy"
