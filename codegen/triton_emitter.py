"""The Triton backend's code generator: one readable module per optimised ir.Function.

The fusion planner (`ir.passes.fusion`) splits the function into kernels and host steps.
Each kernel becomes one `@triton.jit` function, headed by the IR equations it computes and
the user's source lines; shape symbols are run-time int arguments, so one compile serves
every size of a signature. A launcher, `<name>_triton(*arrays)`, allocates results, picks
block sizes from the sizes of this call and launches the kernels in order; host steps call
numpy-backend code (see `triton_runtime.host_call`).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
import sys
from dataclasses import dataclass

import numpy as np
import sympy

from codegen import (
    disk_cache,
    numpy_emitter,
    triton_combine,
    triton_kernels,
    triton_prelude,
    triton_runtime,
    triton_scatter,
    triton_sort,
)
from codegen.triton_kernels import KernelWriter, code, contracted, supported, total_dtype
from ir import Function, as_text, shapes
from ir.core import Eqn
from ir.passes import fusion, fusion_index, fusion_inplace, fusion_nodes
from ir.passes.fusion import Kernel
from ir.passes.fusion_nodes import Load
from ir.printer import _Printer, numbering

MAX_ROW_BLOCK = 8192  # longest reduced row kept whole in one block; longer rows loop

__all__ = ["MAX_ROW_BLOCK", "TritonKernel", "emit", "supported"]


# --- the module: kernels, host steps and the launcher -------------------------------------------

POINTWISE_BLOCK = 1024
LOOP_BLOCK = 2048


@dataclass
class TritonKernel:
    """Generated source and the launcher compiled from it: `fn(*arrays) -> tuple`."""

    source: str
    fn: object
    name: str
    kernels: int  # how many Triton kernels the function launches
    host_steps: list  # op names run by the host fallback


class _ModuleWriter:
    def __init__(self, fn: Function):
        self.fn = fn
        self.plan = fusion.plan(fn, supported)
        self.numbers, _ = numbering(fn)
        self.printer = _Printer(fn)
        self.shape_symbols = sorted(
            set().union(*[shapes.free_symbols(p.type.shape) for p in fn.params]), key=str
        )
        self.kernel_lines: list = []
        self.launch: list = []
        self.host: dict = {}  # name -> eqn index
        self.literals: dict = {}  # name -> eqn index
        self.kernels = 0
        self.gathers = False
        self.into = _into_parameters(fn, self.plan)
        self.producers = {id(o): e for e in fn.eqns for o in e.outputs}
        self.made_free: set = set()  # free values a device step needed as arrays

    def name(self, value) -> str:
        return f"v{self.numbers[id(value)]}"

    def symbols_of(self, kernel: Kernel, writer: KernelWriter) -> list:
        exprs = list(kernel.domain.shape)
        for node in writer._nodes():
            exprs += list(fusion_nodes.index_exprs(node))
            if isinstance(node, Load):
                exprs += list(node.value.type.shape)
        exprs += [d for v, _ in kernel.outputs for d in v.type.shape]
        exprs += [i for _, index in kernel.into.values() for i in index]
        free = set().union(*[sympy.sympify(e).free_symbols for e in exprs] or [set()])
        return [s for s in self.shape_symbols if s in free]

    def header(self, kernel: Kernel) -> list:
        order = {id(e): i for i, e in enumerate(self.fn.eqns)}
        eqns = sorted(kernel.eqns, key=lambda e: order[id(e)])
        lines = [f"# {self.printer.eqn_text(e)}" for e in eqns]
        sources = dict.fromkeys(e.source for e in eqns if e.source)
        return lines + [f"# traced at {s}" for s in sources]

    def kernel(self, kernel: Kernel) -> None:
        number = self.kernels
        self.kernels += 1
        name = f"k{number}_{kernel.domain.kind}"
        writer = KernelWriter(kernel, name, self.numbers)
        symbols = self.symbols_of(kernel, writer)
        self.kernel_lines += self.header(kernel) + writer.write(symbols) + [""]
        looped = None
        if kernel.domain.kind == "reduction":
            looped = KernelWriter(kernel, f"{name}_loop", self.numbers)
            self.kernel_lines += looped.write(symbols, looped=True) + [""]
        if writer.total_nodes:
            empty = KernelWriter(kernel, f"{name}_empty", self.numbers)
            self.kernel_lines += empty.write(symbols, empty=True) + [""]
        self.gathers |= bool(writer.gathers)
        args = self.buffers(kernel, writer) + [str(s) for s in symbols]
        launch = {"pointwise": self.pointwise, "reduction": self.reduction, "matmul": self.matmul}
        launch[kernel.domain.kind](name, args, writer, looped)

    def buffers(self, kernel: Kernel, writer: KernelWriter) -> list:
        """Allocate the kernel's outputs (and its totals' scratch); its pointer arguments."""
        out = self.launch
        for value, _ in kernel.outputs:
            if id(value) in self.into:  # the argument's own buffer: each lane reads, then writes
                out.append(f"{self.name(value)} = {self.name(self.into[id(value)])}")
                continue
            if id(value) in kernel.into:  # a slice written into a buffer no one reads again
                out.append(f"{self.name(value)} = {self.name(kernel.into[id(value)][0])}")
                continue
            shape = value.type.shape
            dims = ", ".join(code(d) for d in shape) + ("," if len(shape) == 1 else "")
            out.append(f"{self.name(value)} = rt.empty(({dims}), {value.type.dtype!r})")
        args = [f"rt.ptr({self.name(v)})" for v in writer.inputs]
        args += [f"rt.ptr({self.name(v)})" for v, _ in kernel.outputs]
        args += ["rt.ptr(err)"] if writer.gathers else []
        for k, node in enumerate(writer.total_nodes):
            out.append(f"total{k} = rt.zeros((1,), {total_dtype(node.dtype)!r})")
            args.append(f"rt.ptr(total{k})")
        if writer.total_nodes:
            out.append("count = rt.zeros((1,), 'int32')")
            args += ["rt.ptr(count)", code(fusion_index.prod(kernel.domain.rows()))]
        return args

    def pointwise(self, name: str, args: list, writer: KernelWriter, looped) -> None:
        call = ", ".join(args + _sizes(writer))
        self.launch += [
            f"numel = {code(fusion_index.prod(writer.domain.shape))}",
            "block = min(te.POINTWISE_BLOCK, rt.pow2(numel))",
            "if numel:",
            f"    {name}[(rt.cdiv(numel, block),)]({call}, numel, BLOCK=block, num_warps=4)",
        ]

    def reduction(self, name: str, args: list, writer: KernelWriter, looped) -> None:
        """One program per row: the single-block kernel when the row fits, else the loop."""
        d, out = writer.domain, self.launch
        rows, numel = code(fusion_index.prod(d.rows())), code(fusion_index.prod(d.reduced()))
        # (max/argmax over an axis of size 0 never get here: their shape rules refuse them)
        out.append(f"numel, rows = {numel}, {rows}")
        block, loop = ", ".join(args + _sizes(writer)), ", ".join(args + _sizes(looped))
        if writer.total_nodes:  # no program would finish the totals: one stores them
            out += ["if rows == 0:", f"    {name}_empty[(1,)]({block}, numel, BLOCK=1)"]
        out += [
            "if rows and numel <= te.MAX_ROW_BLOCK:",
            "    block = rt.pow2(numel)",
            f"    {name}[(rows,)]({block}, numel, BLOCK=block, num_warps=te.warps(block))",
            "elif rows:",
            f"    {name}_loop[(rows,)]({loop}, numel, BLOCK=te.LOOP_BLOCK, num_warps=8)",
        ]

    def matmul(self, name: str, args: list, writer: KernelWriter, looped) -> None:
        d = writer.domain
        M, N, K = (code(x) for x in (d.shape[-2], d.shape[-1], contracted(d.eqn)))
        batch = code(fusion_index.prod(d.shape[:-2]))
        call = ", ".join(args + _sizes(writer))
        self.launch += [
            f"bm, bn, bk = te.matmul_blocks({M}, {N}, {K})",
            f"tiles = rt.cdiv({M}, bm) * rt.cdiv({N}, bn) * ({batch})",
            "if tiles:",
            f"    {name}[(tiles,)]({call}, BM=bm, BN=bn, BK=bk, num_warps=4 if bm * bn <= 4096 else 8)",
        ]

    def host_step(self, step: fusion.Host, index: int) -> None:
        if triton_sort.handles(step.eqn):
            self.device_sort(step)
            return
        mode = triton_scatter.mode_of(step.eqn)
        if mode is not None:
            self.device_scatter(step, mode, index)
            return
        name = f"host{index}"
        self.host[name] = self.fn.eqns.index(step.eqn)
        outs = ", ".join(self.name(v) for v in step.outputs)
        args = ", ".join(self.name(v) for v in step.inputs)
        self.launch.append(f"# {self.printer.eqn_text(step.eqn)}  (host fallback)")
        self.launch.append(f"{outs}, = rt.host_call({name}{', ' if args else ''}{args})")

    def device_scatter(self, step: fusion.Host, mode: int, index: int) -> None:
        """A scatter run by the library kernels of codegen/triton_scatter.py: into x's own
        buffer where nothing reads x afterwards, else into a copy of x."""
        (out,), (x, indices, updates) = step.outputs, step.eqn.inputs
        self.kernels += 2 if mode == triton_scatter.SET else 1
        names = ", ".join(self.operand(v) for v in (x, indices, updates))
        on_host = functools.partial(fusion.is_host, supported=supported)
        into = (
            fusion_inplace.owned(x, self.fn, self.producers, on_host)
            and not fusion_inplace.read_after(self.plan.steps, index, x)
            and x is not indices
            and x is not updates
        )
        self.launch.append(f"# {self.printer.eqn_text(step.eqn)}")
        self.launch.append(
            f"{self.name(out)} = scatter.launch({names}, axis={step.eqn.params['axis']}, "
            f"mode={mode}, into={into}, source={step.eqn.source!r})"
        )

    def device_sort(self, step: fusion.Host) -> None:
        """An argsort run by codegen/triton_sort.py: its kernel, or the stable library sort."""
        (out,), (x,) = step.outputs, step.eqn.inputs
        self.kernels += 1
        self.launch.append(f"# {self.printer.eqn_text(step.eqn)}")
        axis = step.eqn.params["axis"]
        self.launch.append(f"{self.name(out)} = sort.launch({self.operand(x)}, axis={axis})")

    def operand(self, value) -> str:
        """A device step's operand by name: a scalar constant or a size, which kernels
        compute where they use them, is made an array first (`v17 = rt.full((), s0 - 1, ...)`)."""
        eqn = self.producers.get(id(value))
        if fusion.is_free(eqn) and id(value) not in self.made_free:
            self.made_free.add(id(value))
            number = eqn.params["size"] if eqn.op.name == "dim" else eqn.params["value"]
            scalar = shapes.to_python(number) if eqn.op.name == "dim" else repr(number)
            scalar = f"float({scalar!r})" if scalar in ("inf", "-inf", "nan") else scalar
            self.launch.append(f"{self.name(value)} = rt.full((), {scalar}, {value.type.dtype!r})")
        return self.name(value)

    def _stored_values(self) -> list:
        values = list(self.fn.params)
        for step in self.plan.steps:
            values += [v for v, _ in step.outputs] if isinstance(step, Kernel) else step.outputs
        return values

    def prologue(self) -> list:
        """The launcher's first lines: the symbols' sizes, the int32 limit, the arguments
        on the device (Python ints checked against the dtypes they narrow to), constants."""
        fn, body, seen = self.fn, [], set()
        for i, p in enumerate(fn.params):
            for axis, dim in enumerate(p.type.shape):
                if isinstance(dim, sympy.Symbol) and dim not in seen:
                    seen.add(dim)
                    body.append(f"{dim} = a{i}.shape[{axis}]")
        stored = self._stored_values()
        sizes = {code(fusion_index.prod(v.type.shape)) for v in stored if v.type.shape}
        sizes = sorted(s for s in sizes if not s.isdigit() or int(s) >= 2**31)
        if sizes:
            body.append(f"rt.check_sizes({', '.join(sizes)})")
        for i, p in enumerate(fn.params):
            for dtype in sorted(_narrowed_to(fn, p)):  # numpy's NEP 50 OverflowError
                body.append(f"rt.fits(a{i}, {dtype!r})")
            body.append(f"{self.name(p)} = rt.device(a{i}, {p.type.dtype!r})")
        for name, index in self.literals.items():
            body.append(f"{self.name(fn.eqns[index].out)} = {name}")
        return body

    def write(self) -> str:
        fn = self.fn
        lines = ["# jitlib Triton backend. Generated from this IR:"]
        lines += [f"#   {line}" for line in as_text(fn).splitlines()]
        lines += [
            "import triton",
            "import triton.language as tl",
            "",
            "from codegen import triton_combine as red",
            "from codegen import triton_prelude as jl",
            "from codegen import triton_runtime as rt",
            "from codegen import triton_scatter as scatter",
            "from codegen import triton_sort as sort",
            "from codegen import triton_emitter as te",
            "",
        ]
        for index, eqn in enumerate(fn.eqns):
            if eqn.op.name == "constant" and isinstance(eqn.params["value"], fusion.Literal):
                self.literals[f"c{self.numbers[id(eqn.out)]}"] = index
        for index, step in enumerate(self.plan.steps):
            if isinstance(step, Kernel):
                self.kernel(step)
            else:
                self.host_step(step, index)
        params = [f"a{i}" for i in range(len(fn.params))]
        body = self.prologue()
        if self.gathers:
            body.append("err = rt.flag()")
        body += self.launch
        if self.gathers:
            body.append("rt.raise_if(err, 'index out of bounds in an integer-array index (take)')")
        results = []
        for value in fn.results:
            name = self.name(value)
            results.append(f"rt.copy({name})" if value in fn.params else name)
        body.append(f"return ({', '.join(results)}{',' if len(results) == 1 else ''})")
        lines += self.kernel_lines
        lines.append(f"HOST = {self.host!r}  # host fallback function -> equation index")
        lines.append(f"LITERALS = {self.literals!r}  # array constant -> equation index")
        lines.append("")
        lines.append("")
        lines.append(f"def {fn.name}_triton({', '.join(params)}):")
        lines += [f"    {line}" for line in body]
        return "\n".join(lines) + "\n"


def _into_parameters(fn: Function, plan) -> dict:
    """Written-back results (fn.written) a pointwise kernel can store straight into their
    parameter's buffer: id(result) -> parameter. The kernel must read the parameter only at
    each lane's own index (it loads everything before it stores), and no later step may
    read the parameter at all."""
    found = {}
    for j, k in fn.written:
        param, value = fn.params[k], fn.results[j]
        maker = next(
            (i for i, s in enumerate(plan.steps) if isinstance(s, Kernel) and _makes(s, value)),
            None,
        )
        if maker is None or value in fn.params or param in fn.results or param.type != value.type:
            continue  # (a result that is the parameter is copied out after every step)
        kernel = plan.steps[maker]
        domain = kernel.domain
        if kernel.into:
            continue
        if domain.kind != "pointwise" or not fusion.shapes_equal(domain.shape, value.type.shape):
            continue
        own = fusion_index.normalized(domain.symbols(), domain.shape)
        loads = [
            n
            for n in fusion_nodes.walk_nodes([n for _, n in kernel.outputs])
            if isinstance(n, Load)
        ]
        if any(n.value is param and n.index != own for n in loads):
            continue
        later = plan.steps[maker + 1 :]
        if any(param in (s.inputs() if isinstance(s, Kernel) else s.inputs) for s in later):
            continue
        found[id(value)] = param
    return found


def _makes(kernel: Kernel, value) -> bool:
    return any(v is value for v, _ in kernel.outputs)


def _sizes(writer: KernelWriter) -> list:
    """Python computing the derived size arguments a kernel takes, on the host: Python's
    ints, floor division and max/min (not the kernels' tl.maximum)."""
    return [shapes.to_python(expr) for expr in writer.derived]


def _narrowed_to(fn: Function, param) -> set:
    """The integer dtypes a scalar integer parameter is converted to."""
    if param.type.shape != () or param.type.dtype not in ("int32", "int64"):
        return set()
    return {
        e.out.type.dtype
        for e in fn.eqns
        if e.op.name == "convert" and e.inputs[0] is param and e.out.type.dtype == "int32"
    }


def warps(block: int) -> int:
    return 4 if block <= 1024 else 8 if block <= 4096 else 16


def matmul_blocks(m: int, n: int, k: int) -> tuple:
    """Tile sizes by size bucket: small problems take small tiles."""
    bm = 128 if m >= 128 else max(16, pow2_floor(m))
    bn = 128 if n >= 128 else max(16, pow2_floor(n))
    bk = 32 if k >= 32 else 16
    return bm, bn, bk


def pow2_floor(n: int) -> int:
    return 1 << max(0, int(n).bit_length() - 1) if n > 0 else 1


# --- compiling: the module goes to the cache directory and is imported from there ---------------


@functools.cache
def _generator_version() -> str:
    """A hash of the code that writes the modules: changing it retires old cache entries."""
    digest = hashlib.sha256()
    modules = (triton_combine, triton_kernels, triton_prelude, triton_runtime, triton_scatter)
    modules += (triton_sort,)
    for module in (
        sys.modules[__name__],
        fusion,
        fusion_index,
        fusion_inplace,
        fusion_nodes,
        *modules,
    ):
        digest.update(inspect.getsource(module).encode())
    return digest.hexdigest()[:16]


def _host_function(fn: Function, eqn: Eqn):
    """The numpy-backend function running one equation the kernels cannot compute; the
    scalar constants and sizes it reads are computed inside it. An op that is a numpy
    function CuPy also has (np.cumsum, np.arcsin) runs as a CuPy call where arrays live
    on the GPU; the others go to the host and back (see `triton_runtime.host_call`)."""
    producers = {id(o): e for e in fn.eqns for o in e.outputs}
    free = [producers[id(x)] for x in eqn.inputs if fusion.is_free(producers.get(id(x)))]
    params = tuple(fusion.host_inputs(fn, eqn, producers))
    sub = Function(params, (*dict.fromkeys(free), eqn), eqn.outputs, f"{fn.name}_host", fn.guards)
    xp = triton_runtime.module()
    on_device = xp is not np and runs_on_device(eqn, xp)
    compiled = numpy_emitter.emit(sub, chunk=False, xp=xp if on_device else np).fn
    compiled.on_device = on_device
    return compiled


def runs_on_device(eqn: Eqn, xp) -> bool:
    """Whether the array module `xp` has the numpy function the op is (np.cumsum,
    np.linalg.solve: cupy.cumsum, cupy.linalg.solve)."""
    path = numpy_emitter.numpy_path(eqn.op.impl)
    if path is None:
        return False
    found = xp
    for part in path.split("."):
        found = getattr(found, part, None)
    return found is not None


def emit(fn: Function) -> TritonKernel:
    """Generate (or find in the disk cache), import and bind the module for `fn`."""
    # the module's comments quote the user's source lines, so they are part of the key
    text = as_text(fn) + "\n" + "\n".join(str(e.source) for e in fn.eqns)
    key = hashlib.sha256(f"{_generator_version()}\n{text}".encode()).hexdigest()[:24]
    stem = re.sub(r"\W", "_", fn.name) + "_" + key
    first_line = f"# jitlib-triton {key}"

    def generate() -> str:
        with shapes.assuming(fn.guards):  # the planner and the index maths use the guards
            writer = _ModuleWriter(fn)
            body = writer.write()
        return f"{first_line}\n# kernels: {writer.kernels}\n{body}"

    module = disk_cache.load_module("triton", stem, first_line, generate)
    for name, index in module.HOST.items():
        setattr(module, name, _host_function(fn, fn.eqns[index]))
    for name, index in module.LITERALS.items():
        literal = fn.eqns[index].params["value"].array
        setattr(module, name, triton_runtime.device(literal, fn.eqns[index].out.type.dtype))
    source = inspect.getsource(module)
    kernels = int(source.splitlines()[1].split(":")[1])
    hosts = [fn.eqns[i].op.name for i in module.HOST.values()]
    launcher = triton_runtime.serialized(getattr(module, f"{fn.name}_triton"))
    return TritonKernel(source, launcher, fn.name, kernels, hosts)
