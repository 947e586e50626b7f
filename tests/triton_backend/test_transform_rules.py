"""The op-rule walker of tests/transforms (gradients against finite differences, JVP as
the transpose of VJP, vmap against loop-and-stack) with every function compiled by the
Triton backend: the planner meets the IR that grad and vmap make (padded slices, folded
batch indices, symbolic iota lengths).

Every case of the op-case table is walked here at its first shape, for every transform and
every in_axes variant; the numpy backend's walk (tests/transforms) also takes the second.
Each case costs about 60 ms a check in Triton's interpreter, so the second shape would add
about three minutes of CPU to the suite.
"""

import pytest
from transforms import test_op_rules as rules
from transforms.test_op_rules import (  # noqa: F401  (collected here again)
    test_mixed_jvp_matches_finite_differences,
    test_mixed_vjp_matches_finite_differences,
    test_mixed_vmap_matches_loop_and_stack,
)

SHAPES_PER_CASE = 1
GRAD_CASES = rules.grad_params(SHAPES_PER_CASE)


@pytest.fixture(autouse=True)
def _triton_backend(monkeypatch):
    monkeypatch.setenv("JITLIB_BACKEND", "triton")


@pytest.mark.parametrize("case, dtype, shapes", GRAD_CASES)
def test_vjp_matches_finite_differences(case, dtype, shapes):
    rules.test_vjp_matches_finite_differences(case, dtype, shapes)


@pytest.mark.parametrize("case, dtype, shapes", GRAD_CASES)
def test_jvp_is_the_transpose_of_vjp(case, dtype, shapes):
    rules.test_jvp_is_the_transpose_of_vjp(case, dtype, shapes)


@pytest.mark.parametrize("case, shapes, variant", rules.vmap_params(SHAPES_PER_CASE))
def test_vmap_matches_loop_and_stack(case, shapes, variant):
    rules.test_vmap_matches_loop_and_stack(case, shapes, variant)
