"""The cost model of the numpy backend, by section of the generated code: the row-blocked
part, whose temporaries stay in cache, reads its inputs once and writes its results once;
elsewhere each numpy call is a pass over memory, reading its inputs and writing its output.
"""

from codegen import numpy_chunking, numpy_emitter
from codegen.cost import (
    Cost,
    Dims,
    Step,
    function_work,
    is_literal,
    loaded,
    minimum,
    named_sizes,
    op_names,
    producers_of,
)
from ir import Function
from ir.passes import fusion


def _passes(fn: Function, name: str, dims: Dims, copied: set) -> Step:
    """Unblocked code: each numpy call is a pass over memory, reading its inputs and
    writing its outputs (views cost nothing); a result that is a parameter of the whole
    function in `copied` is copied out."""
    producers = producers_of(fn)
    read = written = 0
    for eqn in fn.eqns:
        if fusion.is_free(eqn) or "view" in eqn.op.tags or is_literal(eqn):
            continue
        read += sum(map(dims.nbytes, loaded(eqn.inputs, producers)))
        written += sum(map(dims.nbytes, eqn.outputs))
    copies = [v for v in dict.fromkeys(fn.results) if id(v) in copied]
    read += sum(map(dims.nbytes, copies))
    written += sum(map(dims.nbytes, copies))
    work = function_work(fn, dims)
    ops = op_names(fn.eqns)
    return Step(name, "passes", read, written, work.flops, work.transcendentals, ops, fn.eqns)


def _blocked(fn: Function, name: str, dims: Dims) -> Step:
    """Row blocks: temporaries stay in cache, so memory sees the inputs read once and the
    results written once."""
    read, written = minimum(fn, dims)
    work = function_work(fn, dims)
    ops = op_names(fn.eqns)
    return Step(name, "row blocks", read, written, work.flops, work.transcendentals, ops, fn.eqns)


def blocked_split(fn: Function) -> numpy_chunking.Split | None:
    """The split the numpy emitter runs on blocks of rows."""
    return numpy_emitter.blocked_split(fn)


def numpy_cost(fn: Function, sizes: dict) -> Cost:
    """The numpy backend's sections: the row-blocked part and the rest, or one section of
    passes where nothing is blocked. Names are those of the generated functions."""
    dims, name = Dims(sizes), f"{fn.name}_numpy"
    copied = {id(p) for p in fn.params}
    found = blocked_split(fn)
    if found is None:
        steps = [_passes(fn, name, dims, copied)]
    else:
        steps = [_blocked(found.blocked, f"{name}_block", dims)]
        if found.rest is not None:
            steps.append(_passes(found.rest, f"{name}_rest", dims, copied))
    return Cost("numpy", fn.name, named_sizes(sizes), tuple(steps), *minimum(fn, dims))
