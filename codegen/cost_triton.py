"""The cost model of the Triton backend: per kernel of the fusion plan, the bytes of the
values it loads and stores and the work of the equations fused into it; host steps and
device calls (scatters, sorts) read their inputs and write their outputs. Names follow the
generated module's (`k0_reduction`, `host3`).
"""

from codegen import triton_scatter, triton_sort
from codegen.cost import Cost, Dims, Step, loaded, minimum, named_sizes, op_names, work_of
from codegen.triton_kernels import supported
from ir import Function, shapes
from ir.passes import fusion
from ir.passes.fusion_nodes import Dot, Host, Kernel, walk_nodes


def _kernel(kernel: Kernel, name: str, dims: Dims, order: dict) -> Step:
    """A value a kernel loads is read once (caches serve its repeated and broadcast loads),
    at most as many elements as the domain has (a slice reads no more than the kernel
    covers; a matmul reads its operands whole); an output is written once, or only where
    its slice lies when it is written into another buffer. (A reduction over rows longer
    than one block reads them once per pass over them: this counts one.)"""
    domain = dims.numel(kernel.domain.shape)
    dots = [n for n in walk_nodes([node for _, node in kernel.outputs]) if isinstance(n, Dot)]
    operands = {id(n.a.value) for n in dots} | {id(n.b.value) for n in dots}
    read = 0
    for value in kernel.inputs():
        elements = dims.numel(value.type.shape)
        read += dims.nbytes(value, elements if id(value) in operands else min(elements, domain))
    written = sum(
        dims.nbytes(value, domain) if id(value) in kernel.into else dims.nbytes(value)
        for value, _ in kernel.outputs
    )
    eqns = sorted(kernel.eqns, key=lambda e: order[id(e)])
    work = work_of(eqns, dims)
    ops = op_names(eqns)
    return Step(name, "kernel", read, written, work.flops, work.transcendentals, ops, tuple(eqns))


def _host(step: Host, name: str, kind: str, dims: Dims, producers: dict) -> Step:
    read = sum(map(dims.nbytes, loaded(step.inputs, producers)))
    written = sum(map(dims.nbytes, step.outputs))
    work = work_of([step.eqn], dims)
    ops = op_names([step.eqn])
    return Step(name, kind, read, written, work.flops, work.transcendentals, ops, (step.eqn,))


def _launches(step: Host) -> int | None:
    """Kernels a device call launches (the emitter numbers kernels past them), or None for
    a host fallback."""
    if triton_sort.handles(step.eqn):
        return 1
    mode = triton_scatter.mode_of(step.eqn)
    if mode is None:
        return None
    return 2 if mode == triton_scatter.SET else 1


def triton_cost(fn: Function, sizes: dict) -> Cost:
    """Per step of the fusion plan the Triton emitter writes."""
    with shapes.assuming(fn.guards):
        plan = fusion.plan(fn, supported)
    dims = Dims(sizes)
    producers = {id(o): e for e in fn.eqns for o in e.outputs}
    order = {id(e): i for i, e in enumerate(fn.eqns)}
    steps, kernels = [], 0
    for index, step in enumerate(plan.steps):
        if isinstance(step, Kernel):
            steps.append(_kernel(step, f"k{kernels}_{step.domain.kind}", dims, order))
            kernels += 1
            continue
        launches = _launches(step)
        if launches is None:
            steps.append(_host(step, f"host{index}", "host", dims, producers))
        else:
            steps.append(_host(step, step.eqn.op.name, "device", dims, producers))
            kernels += launches
    return Cost("triton", fn.name, named_sizes(sizes), tuple(steps), *minimum(fn, dims))
