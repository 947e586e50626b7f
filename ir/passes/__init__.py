"""The optimisation pipeline: one named list of passes, each a pure Function -> Function."""

from ir.core import Function
from ir.passes.cse import cse
from ir.passes.dce import dce
from ir.passes.fold import fold
from ir.passes.simplify import simplify
from ir.verify import verify

PIPELINE = [
    ("simplify", simplify),
    ("fold", fold),
    ("cse", cse),
    ("dce", dce),
]

ROUNDS = 2  # a second round catches what one pass exposes to an earlier one


def optimize(fn: Function, check: bool = False) -> Function:
    """Run the pipeline; with `check`, verify the IR after every pass."""
    for _ in range(ROUNDS):
        for _name, run_pass in PIPELINE:
            fn = run_pass(fn)
            if check:
                verify(fn)
    return fn


__all__ = ["PIPELINE", "cse", "dce", "fold", "optimize", "simplify"]
