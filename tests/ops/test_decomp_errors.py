"""What jit refuses among numpy.linalg's decompositions, and that it says why: eig and
eigvals (complex results), lstsq of a tall matrix (residuals of data-dependent shape),
arguments jit does not take. Values are checked in decomp_cases.py's op cases."""

import numpy as np
import pytest

import jitlib as jl

RNG = np.random.default_rng(3)
SQUARE = RNG.standard_normal((3, 3))
TALL = RNG.standard_normal((4, 2))


@pytest.mark.parametrize("fn", [np.linalg.eig, np.linalg.eigvals], ids=["eig", "eigvals"])
def test_eig_is_refused_naming_eigh(fn):
    with pytest.raises(jl.UnsupportedError, match="complex.*eigh"):
        jl.jit(fn)(SQUARE)


def test_lstsq_of_a_tall_matrix_is_refused_naming_pinv():
    with pytest.raises(jl.UnsupportedError, match="data-dependent shape.*pinv"):
        jl.jit(np.linalg.lstsq)(TALL, RNG.standard_normal(4))


@pytest.mark.parametrize(
    "fn, match",
    [
        (lambda a: np.linalg.svd(a, hermitian=True), "hermitian=True"),
        (lambda a: np.linalg.pinv(a, hermitian=True), "hermitian=True"),
        (lambda a: np.linalg.qr(a, mode="raw"), "mode='raw'"),
        (lambda a: np.linalg.eigh(a, UPLO="X"), "UPLO"),
        (lambda a: np.linalg.svd(a.astype(np.float16)), "float16"),
    ],
    ids=["svd_hermitian", "pinv_hermitian", "qr_raw", "eigh_uplo", "svd_float16"],
)
def test_unsupported_arguments_are_refused(fn, match):
    with pytest.raises(jl.UnsupportedError, match=match):
        jl.jit(fn)(SQUARE)


def test_vector_input_is_a_shape_error():
    with pytest.raises(jl.JitError, match="at least 2 dimensions"):
        jl.jit(np.linalg.svd)(RNG.standard_normal(3))


def test_lstsq_of_a_tall_matrix_solves_through_pinv_instead():
    """What the refusal suggests works."""
    b = RNG.standard_normal(4)
    np.testing.assert_allclose(
        jl.jit(lambda a, b: np.linalg.pinv(a) @ b)(TALL, b), np.linalg.lstsq(TALL, b)[0]
    )
