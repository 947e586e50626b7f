"""Contractions, diagonals and triangles where the op-case table cannot look: diagonal
views (numpy's read-only one, einsum's writeable one) against later writes, einsum's
`optimize` choices and einsum_path, and the errors for bad or unsupported input."""

import numpy as np
import pytest

import jitlib as jl

RNG = np.random.default_rng(12)
SQUARE = RNG.standard_normal((3, 3))


def _diagonal_then_write(x):
    d = np.diagonal(x, 1)
    x[0, 1] = 100.0  # numpy's diagonal is a view: d sees this
    return d + 0


def _write_through_einsum_diagonal(x):
    d = np.einsum("ii->i", x)
    d[1] = -5.0  # einsum's diagonal is a writeable view of x
    d += 1.0
    return x


def _write_argument_diagonal(x):
    np.einsum("ii->i", x)[:] = 0.0


@pytest.mark.parametrize("backend", ["numpy", "triton"])
@pytest.mark.parametrize("fn", [_diagonal_then_write, _write_through_einsum_diagonal])
def test_diagonal_views_follow_writes_as_numpy(fn, backend):
    np.testing.assert_array_equal(jl.jit(fn, backend=backend)(SQUARE.copy()), fn(SQUARE.copy()))


def test_a_write_to_an_argument_through_einsums_diagonal_reaches_the_caller():
    expected, got = SQUARE.copy(), SQUARE.copy()
    _write_argument_diagonal(expected)
    jl.jit(_write_argument_diagonal)(got)
    np.testing.assert_array_equal(got, expected)


def _write_diagonal(x):
    np.diagonal(x)[0] = 1.0


def _write_diag_slice(x):
    d = np.diag(x)[1:]
    d += 1.0


@pytest.mark.parametrize("fn", [_write_diagonal, _write_diag_slice])
def test_writing_to_numpys_read_only_diagonal_raises_as_numpy(fn):
    with pytest.raises(ValueError, match="read-only"):
        fn(SQUARE.copy())
    with pytest.raises(ValueError, match="read-only"):
        jl.jit(fn)(SQUARE.copy())


OPERANDS = [RNG.standard_normal(shape) for shape in [(2, 3), (3, 5), (5, 4), (4,)]]


@pytest.mark.parametrize("optimize", [False, True, "greedy", "optimal", "path"])
def test_einsum_result_does_not_depend_on_optimize(optimize):
    spec = "ij,jk,kl,l->i"
    if optimize == "path":
        optimize = np.einsum_path(spec, *OPERANDS, optimize="optimal")[0]
    expected = np.einsum(spec, *OPERANDS)
    got = jl.jit(lambda *xs: np.einsum(spec, *xs, optimize=optimize))(*OPERANDS)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_einsum_path_under_jit_is_numpys():
    def path(*xs):
        return np.einsum_path("ij,jk,kl,l->i", *xs, optimize="greedy")

    traced = {}

    def capture(*xs):
        traced["path"] = path(*xs)
        return xs[0] * 1.0

    jl.jit(capture)(*OPERANDS)
    assert traced["path"] == path(*OPERANDS)


def _einsum(spec):
    return lambda x: np.einsum(spec, x)


REFUSED = {
    "einsum_out": (lambda x: np.einsum("ij->i", x, out=np.empty(3)), jl.UnsupportedError),
    "einsum_dtype": (lambda x: np.einsum("ij->i", x, dtype=np.float32), jl.UnsupportedError),
    "einsum_optimize": (lambda x: np.einsum("ij->i", x, optimize="fast"), jl.UnsupportedError),
    "einsum_rank": (_einsum("ijk->i"), jl.ShapeMismatchError),
    "einsum_repeat_sizes": (lambda x: np.einsum("ii->i", x[:, :2]), jl.ShapeMismatchError),
    "einsum_no_output_ellipsis": (_einsum("...j->j"), jl.ShapeMismatchError),
    "einsum_output_invents": (_einsum("ij->k"), jl.ShapeMismatchError),
    "tensordot_sizes": (lambda x: np.tensordot(x, x[:2], axes=1), jl.ShapeMismatchError),
    "cross_size": (lambda x: np.cross(x[:, :2], x[:, :1]), jl.ShapeMismatchError),
    "diag_rank": (lambda x: np.diag(x[None]), jl.ShapeMismatchError),
    "trace_method": (lambda x: x.trace(), jl.UnsupportedError),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_bad_or_unsupported_input_raises_a_jit_error(name):
    fn, error = REFUSED[name]
    with pytest.raises(error):
        jl.jit(fn)(SQUARE)
