"""Writes into dead buffers: an update_slice (or a scatter) whose operand lives in memory
that nothing reads afterwards writes into that memory, instead of copying all of it first.
An update_slice becomes a kernel over the update's shape that stores at the slice's
positions (a masked store into the buffer); a loop of `acc[i] = ...` updates one buffer."""

from __future__ import annotations

from ir.core import Eqn, Function, Value
from ir.passes.fusion_index import normalized
from ir.passes.fusion_nodes import Kernel, Load, reads, walk_nodes

SCATTERS = ("scatter", "scatter_add", "scatter_reduce")


def chain_links(fn: Function, producers: dict) -> set:
    """The values to store so that a run of slice writes updates one buffer: each operand of
    an update_slice that another update_slice made (acc in `for i ...: acc[i] = ...`)."""
    found = set()
    for eqn in fn.eqns:
        if eqn.op.name == "update_slice":
            source = producers.get(id(eqn.inputs[0]))
            if source is not None and source.op.name == "update_slice":
                found.add(id(eqn.inputs[0]))
    return found


def owned(x: Value, fn: Function, producers: dict, on_host) -> bool:
    """Whether x's buffer belongs to this call alone: made by a kernel, by a scatter, or by
    a write into such a buffer. Arguments, results, array constants and what a host step
    returned (numpy may hand back a view of its input) are not."""
    eqn = producers.get(id(x))
    if eqn is None or any(r is x for r in fn.results):
        return False
    if eqn.op.name == "constant":
        return False
    return eqn.op.name in SCATTERS or not on_host(eqn)


def slice_writes(fn: Function, producers: dict, stored: set, refused: set, on_host) -> dict:
    """id(result) -> the update_slice equations planned as stores into their operand."""
    found = {}
    for eqn in fn.eqns:
        if eqn.op.name != "update_slice" or id(eqn.out) in refused:
            continue
        x = eqn.inputs[0]
        if id(eqn.out) in stored and id(x) in stored and owned(x, fn, producers, on_host):
            found[id(eqn.out)] = eqn
    return found


def store_index(eqn: Eqn, index: tuple) -> tuple:
    """Where the update's element at `index` lies in the operand."""
    p = eqn.params
    return tuple(s + i * st for i, s, st in zip(index, p["start"], p["step"]))


def read_after(steps: list, at: int, x: Value) -> bool:
    """Whether a step after step `at` reads x."""
    return any(any(v is x for v in reads(step)) for step in steps[at + 1 :])


def conflicts(steps: list, producers: dict, stored: set) -> tuple:
    """Planned slice writes that would clobber what is still to be read: (ids of results to
    compute by copying after all, values to store first). A later step reading the operand
    refuses the write. Its own kernel reading the operand anywhere but at each lane's own
    position (`acc[i] = acc[i - 1] * a`) stores the update first, in a kernel of its own."""
    refuse, store = set(), []
    for at, step in enumerate(steps):
        for key, (x, _) in step.into.items() if isinstance(step, Kernel) else ():
            eqn, domain = producers[key], step.domain  # (reads on size-1 axes are at 0)
            own = normalized(
                store_index(eqn, normalized(domain.symbols(), domain.shape)), x.type.shape
            )
            loads = [n for n in walk_nodes([n for _, n in step.outputs]) if isinstance(n, Load)]
            update = eqn.inputs[1]
            if read_after(steps, at, x):
                refuse.add(key)
            elif any(n.value is x and n.index != own for n in loads):
                if id(update) in stored:
                    refuse.add(key)
                else:
                    store.append(update)
    return refuse, store
