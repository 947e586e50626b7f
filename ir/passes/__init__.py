"""The optimisation pipeline: one named list of passes, each a pure Function -> Function."""

from ir.core import Function, map_sub_functions
from ir.passes.cse import cse
from ir.passes.dce import dce
from ir.passes.fold import fold
from ir.passes.inline_custom import inline_custom
from ir.passes.simplify import simplify
from ir.verify import verify

PIPELINE = [
    ("inline_custom", inline_custom),
    ("simplify", simplify),
    ("fold", fold),
    ("cse", cse),
    ("dce", dce),
]

ROUNDS = 2  # a second round catches what one pass exposes to an earlier one


def optimize(fn: Function, check: bool = False) -> Function:
    """Run the pipeline, on sub-functions (branches, loop bodies) first; with `check`, verify
    the IR after every pass."""
    fn = map_sub_functions(fn, lambda sub: optimize(_under(sub, fn.guards), check))
    for _ in range(ROUNDS):
        for _name, run_pass in PIPELINE:
            fn = run_pass(fn)
            if check:
                verify(fn)
    return fn


def _under(sub: Function, guards: tuple) -> Function:
    """A sub-function runs where its enclosing function's guards hold: its passes (and its
    verification) may use them to decide shape questions."""
    return sub.replace(guards=tuple(dict.fromkeys((*guards, *sub.guards))))


__all__ = ["PIPELINE", "cse", "dce", "fold", "inline_custom", "optimize", "simplify"]
