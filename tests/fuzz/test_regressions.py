"""Programs the fuzzer found wrong, kept by name once fixed: each runs on both backends
against eager numpy. The names say what was wrong."""

import numpy as np
import pytest

import jitlib as jl
from fuzz.programs import assert_same, run_eagerly, tolerance

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def rand(shape, dtype=np.float32, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 2).astype(dtype)


def with_specials(x):
    x = x.copy()
    x.reshape(-1)[:4] = [np.nan, np.inf, -0.0, 0.0]
    return x


def double_logical_not_of_floats(x):
    # simplify cancelled not(not(x)) to the float x itself (it is x != 0, a bool)
    return (np.logical_not(np.logical_not(x)),)


def gather_with_one_index_in_a_pointwise_kernel(x):
    # the gather's index was a scalar, but its read was masked as a block (Triton refused it)
    products = x @ np.swapaxes(x, -1, -2)
    return (products[np.array([-1])] + x,)


def rest_writing_into_a_result_another_result_views(x):
    # the numpy backend's row-mixing rest wrote into tanh(x) in place, which `view` shares
    t = np.tanh(x.reshape(-1))
    view = t.reshape(-1, 1)
    picked = np.take_along_axis(x, np.argmax(x, axis=1, keepdims=True), axis=1).reshape(-1)
    return np.tanh(t + picked), view, np.tanh(t)


def totals_over_zero_rows(x):
    # Triton refused these: a total's last program finishes it, and no rows meant no program
    return x.max(axis=1).sum(), (x * 2.0).sum() / 3.0 + 1.0, np.exp(x).mean(axis=0)


REGRESSIONS = {
    totals_over_zero_rows: [rand((0, 5)), rand((3, 5))],
    double_logical_not_of_floats: [with_specials(rand((6,))), rand((0,)), rand((2, 3))],
    rest_writing_into_a_result_another_result_views: [rand((3, 1)), rand((5, 1), seed=2)],
    gather_with_one_index_in_a_pointwise_kernel: [rand((4, 1, 4)), rand((3, 1, 5), seed=1)],
}


@pytest.mark.parametrize("backend", ["numpy", "triton"])
@pytest.mark.parametrize("program", list(REGRESSIONS), ids=lambda f: f.__name__)
def test_regression(program, backend):
    jitted = jl.jit(program, backend=backend)
    for x in REGRESSIONS[program]:
        for got, want in zip(jitted(x), run_eagerly(program, [x])):
            assert_same(got, want, exact=False, tolerance=tolerance([x, want]), what="")
