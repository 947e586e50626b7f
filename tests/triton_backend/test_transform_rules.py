"""The op-rule walker of tests/transforms (gradients against finite differences, JVP as
the transpose of VJP, vmap against loop-and-stack) with every function compiled by the
Triton backend: the planner meets the IR that grad and vmap make (padded slices, folded
batch indices, symbolic iota lengths)."""

import pytest
from transforms.test_op_rules import (  # noqa: F401  (collected here again)
    test_jvp_is_the_transpose_of_vjp,
    test_mixed_jvp_matches_finite_differences,
    test_mixed_vjp_matches_finite_differences,
    test_mixed_vmap_matches_loop_and_stack,
    test_vjp_matches_finite_differences,
    test_vmap_matches_loop_and_stack,
)


@pytest.fixture(autouse=True)
def _triton_backend(monkeypatch):
    monkeypatch.setenv("JITLIB_BACKEND", "triton")
