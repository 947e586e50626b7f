"""The user API: jit, lower/compile, cache_info and make_ir."""

from __future__ import annotations

import collections
import functools
import inspect
import linecache
import os
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import sympy

import ir
import ir.errors
from codegen.cost import Cost
from ir import dtypes, shapes
from ir.passes import optimize
from jitlib import backends, inplace, on_dask, pickling, pytree
from jitlib.cache import Cache, Entry, compile_guards, signature, square_sizes
from jitlib.errors import (
    AliasingError,
    ArgumentError,
    IndexOutOfBoundsError,
    UnsupportedError,
    ValueCheckError,
)
from jitlib.numpy._core import as_tracer
from jitlib.trace import Trace
from jitlib.trace import current as current_trace
from jitlib.tracer import SymDim, Tracer

_CHECK_IR = bool(os.environ.get("JITLIB_DEBUG"))
_TRACES: collections.Counter = collections.Counter()  # function name -> traces made here


def trace_counts() -> dict:
    """How many traces this process made, by function name: every jitted function's cache
    misses (on a dask worker: the plans it made, one per signature).

    >>> import numpy as np, jitlib as jl
    >>> def counted_twice(x):
    ...     return x * 2
    >>> _ = jl.jit(counted_twice)(np.ones(3)), jl.jit(counted_twice)(np.ones(5))
    >>> jl.trace_counts()["counted_twice"]  # two jitted functions, one trace each
    2
    """
    return dict(_TRACES)


class Lowered:
    """A traced (and optimised) function for one signature: `.as_text()`, `.compile()`.
    `sizes` maps its shape symbols to the sizes of the arguments it was lowered for."""

    def __init__(self, fn: ir.Function, backend: str, sizes: dict | None = None):
        self.ir = fn
        self.backend = backend
        self.sizes = dict(sizes or {})

    def as_text(self) -> str:
        return ir.as_text(self.ir)

    def __str__(self) -> str:
        return self.as_text()

    def compile(self) -> Compiled:
        return Compiled(backends.compile_function(self.ir, self.backend), self)

    def as_dot(self) -> str:
        """Graphviz text of the IR graph, one cluster per Triton kernel or numpy section."""
        from jitlib import plan_view

        return plan_view.as_dot(self.ir, backends.cost(self.ir, self.backend, self.sizes))


class Compiled:
    """Generated code for one signature: `.source` is the text, calling it runs it. For a
    function that writes to its arguments, the call returns their final values after its
    results, and may already have written them into the arrays it was given."""

    def __init__(self, kernel, lowered: Lowered):
        self.kernel = kernel
        self.source = kernel.source
        self.lowered = lowered

    def __call__(self, *arrays):
        return _run(self.kernel.fn, arrays)

    def cost(self) -> Cost:
        """Bytes read and written, flops and transcendental calls per Triton kernel or numpy
        section, at the sizes it was lowered for (XLA's cost_analysis); print it for a table.

        >>> import numpy as np, jitlib as jl
        >>> f = jl.jit(lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True))
        >>> cost = f.lower(np.ones((256, 64), np.float32)).compile().cost()
        >>> cost.bytes == cost.minimum == 2 * 256 * 64 * 4  # x read once, the result written once
        True
        >>> cost.transcendentals  # one exp per element
        16384
        """
        return backends.cost(self.lowered.ir, self.lowered.backend, self.lowered.sizes)

    def as_html(self) -> str:
        """One self-contained HTML page of the kernel plan: the IR graph coloured by kernel
        or section, each op's source line, each group's cost and generated code."""
        from jitlib import plan_view

        return plan_view.as_html(self.lowered.ir, self.source, self.cost())


def _leaf_type(leaf, dims: tuple) -> tuple:
    """(ir.Type, weak) of an argument leaf."""
    if type(leaf) in (bool, int, float):
        return ir.Type(dtypes.python_scalar_dtype(leaf), ()), True
    try:
        return ir.Type(dtypes.canonical(leaf.dtype), dims), False
    except ir.IRError as error:
        raise UnsupportedError(f"argument of dtype {leaf.dtype}: {error}") from None


def _symbolic_dims(leaves: list, dynamic: bool) -> tuple:
    """Per leaf, its IR dims; and symbol -> size for this trace."""
    classes: dict = {}
    all_dims = []
    square = square_sizes(leaves)
    for leaf in leaves:
        dims = []
        shape = getattr(leaf, "shape", ())
        for axis, d in enumerate(shape):
            if d < 2 or not dynamic:
                dims.append(d)
            else:
                kind = (d, axis == 0 < len(shape) - 1 and d in square)  # as signature() does
                if kind not in classes:
                    classes[kind] = shapes.symbol(len(classes))
                dims.append(classes[kind])
        all_dims.append(tuple(dims))
    return all_dims, {sym: size for (size, _), sym in classes.items()}


def _guards_by_class(guards: tuple, sizes: dict) -> tuple:
    """(guards, symbols) in terms of the signature's classes, one per size, numbered in
    order of first appearance as cache.signature numbers them: a square input's rows have a
    symbol of their own in the trace (cache.square_sizes), the same class in the key, and
    the guards that equate the two always hold, so they drop out."""
    by_size: dict = {}
    for size in sizes.values():
        by_size.setdefault(size, shapes.symbol(len(by_size)))
    rename = {sym: by_size[size] for sym, size in sizes.items()}
    kept = [g.xreplace(rename) for g in guards]
    return [g for g in kept if g is not sympy.true], list(by_size.values())


class JitFunction:
    """A function compiled per shape signature. Created by `jl.jit`."""

    def __init__(self, fn, static_argnums, static_argnames, backend, dynamic):
        self.fn = fn
        self.static_argnums = tuple(static_argnums)
        self.static_argnames = tuple(static_argnames)
        self.backend = backend
        self.dynamic = dynamic
        self._cache = Cache()
        self._exact: dict = {}  # exact (dtype, shape) of each array argument -> Entry
        functools.update_wrapper(self, fn)

    def __reduce__(self):
        """By name where the module holds this function (`@jit def f`), else as
        jit(fn, ...) with fn pickled by the pickler; the copy's cache starts empty."""
        options = (self.fn, self.static_argnums, self.static_argnames, self.backend, self.dynamic)
        return pickling.reduce(self, JitFunction, options, {})

    # --- arguments ------------------------------------------------------------------
    def _split(self, args: tuple, kwargs: dict) -> tuple:
        """(dynamic pytree, static key): statics are replaced by None in the pytree. The key
        holds each static's type too: 1, 1.0 and True are equal but trace differently."""
        if not self.static_argnums and not self.static_argnames:
            return (args, kwargs) if kwargs else args, ()
        statics = []
        dynamic_args = list(args)
        for i in self.static_argnums:
            if i < len(args):
                statics.append((i, args[i], type(args[i])))
                dynamic_args[i] = None
        dynamic_kwargs = dict(kwargs)
        for name in self.static_argnames:
            if name in kwargs:
                value = dynamic_kwargs.pop(name)
                statics.append((name, value, type(value)))
        try:
            hash(tuple(statics))
        except TypeError:
            raise ArgumentError(
                f"static arguments of {self.__name__} must be hashable, got "
                f"{[(where, value) for where, value, _ in statics]!r}"
            ) from None
        return (tuple(dynamic_args), dynamic_kwargs), tuple(statics)

    def _merge(self, dynamic, statics: tuple, kwargs_given: dict) -> tuple:
        """Rebuild (args, kwargs) for calling the Python function while tracing."""
        if not self.static_argnums and not self.static_argnames:
            return (dynamic[0], dynamic[1]) if kwargs_given else (dynamic, {})
        args, kwargs = list(dynamic[0]), dict(dynamic[1])
        for where, value, _ in statics:
            if isinstance(where, int):
                args[where] = value
            else:
                kwargs[where] = value
        return tuple(args), kwargs

    # --- tracing --------------------------------------------------------------------
    def _trace(self, args: tuple, kwargs: dict) -> tuple:
        """(raw ir.Function, output treedef, symbol -> size, Writes) for these arguments: the
        function's results are followed by the final values of the argument leaves it
        wrote to (Writes lists those leaves), which the call copies back."""
        dynamic, statics = self._split(args, kwargs)
        leaves, treedef = pytree.tree_flatten(dynamic)
        signature(leaves, self.dynamic)  # raises a clear error for non-array leaves
        all_dims, sizes = _symbolic_dims(leaves, self.dynamic)
        trace = Trace(getattr(self.fn, "__name__", "f").replace("<lambda>", "lambda"), sizes)
        _TRACES[trace.name] += 1
        tracers = [trace.param(*_leaf_type(leaf, dims)) for leaf, dims in zip(leaves, all_dims)]
        for leaf, tracer in zip(leaves, tracers):
            if _is_array(leaf):  # numpy scalars and Python numbers cannot be written
                inplace.root(tracer)
        call_args, call_kwargs = self._merge(
            pytree.tree_unflatten(treedef, tracers), statics, kwargs
        )
        with trace.active():
            out = self.fn(*call_args, **call_kwargs)
            out_leaves, out_tree = pytree.tree_flatten(out)
            results = [_result(trace, leaf) for leaf in out_leaves]
            finals = [inplace.written_argument(t) for t in tracers]
            c_order = tuple(i for i, t in enumerate(tracers) if inplace.needs_c_order(t))
        written = tuple(i for i, final in enumerate(finals) if final is not None)
        pairs = tuple((len(results) + n, i) for n, i in enumerate(written))
        results += [finals[i] for i in written]
        fn = trace.finish(results).replace(written=pairs)
        return fn, out_tree, sizes, Writes(written, c_order)

    def lower(self, *args, **kwargs) -> Lowered:
        """Trace and optimise for these arguments; `.as_text()` shows the IR."""
        fn, _, sizes, _ = self._trace(args, kwargs)
        return Lowered(optimize(fn, check=_CHECK_IR), backends.resolve(self.backend), sizes)

    def _compile(self, args: tuple, kwargs: dict) -> Entry:
        backend = backends.resolve(self.backend)
        if backend == "numpy" and any(_on_gpu(x) for x in pytree.tree_flatten((args, kwargs))[0]):
            raise ArgumentError(
                f"{self.__name__} was given a GPU array, but its backend is numpy; use "
                "backend='triton' or move the array to the host (cupy.asnumpy)"
            )
        fn, out_tree, sizes, written = self._trace(args, kwargs)
        lowered = Lowered(optimize(fn, check=_CHECK_IR), backend, sizes)
        compiled = lowered.compile()
        guard = compile_guards(*_guards_by_class(fn.guards, sizes))
        return Entry(guard, compiled.kernel.fn, out_tree, written)

    # --- calling --------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if current_trace() is not None:  # called while tracing another function: inline it
            return self.fn(*args, **kwargs)
        # the usual call, f(*arrays), looks up its exact shapes first: a hit skips the
        # signature's symbol classes and the guards, which gave this entry for them before
        exact = None
        if (
            not kwargs
            and not self.static_argnums
            and not self.static_argnames
            and all(type(a) is np.ndarray for a in args)
        ):
            exact = tuple([(a.dtype, a.shape) for a in args])
            entry = self._exact.get(exact)
            if entry is not None:
                self._cache.hits += 1
                return self._call(entry, list(args))
        dynamic, statics = self._split(args, kwargs)
        leaves, treedef = pytree.tree_flatten(dynamic)
        if on_dask.has_dask(leaves):  # only where dask.array is imported
            return on_dask.call(self, args, kwargs)
        shape_key, sizes = signature(leaves, self.dynamic)
        key = (treedef, shape_key, statics)
        entry = self._cache.lookup(key, sizes)
        if entry is None:
            with self._cache.lock:
                entry = self._cache.lookup(key, sizes)
                if entry is None:
                    entry = self._compile(args, kwargs)
                    self._cache.add(key, entry)
        if exact is not None:
            if len(self._exact) >= _EXACT_ENTRIES:
                self._exact.clear()
            self._exact[exact] = entry
        return self._call(entry, leaves)

    def _call(self, entry: Entry, leaves: list):
        if not entry.written:
            return pytree.tree_unflatten(entry.out_tree, _run(entry.run, leaves))
        _check_written(self.__name__, leaves, entry.written)
        outs = _run(entry.run, leaves)
        kept = len(outs) - len(entry.written.leaves)
        for i, final in zip(entry.written.leaves, outs[kept:]):
            if final is not leaves[i]:  # generated code may have written it there already
                leaves[i][...] = final  # the caller's array (a device array on a GPU)
        return pytree.tree_unflatten(entry.out_tree, outs[:kept])

    def cache_info(self):
        """(hits, misses, entries); misses count traces."""
        return self._cache.info()


_EXACT_ENTRIES = 64  # exact shapes remembered per function; the signature cache holds the rest


def _run(compiled, arrays):
    """Call generated code; what it refuses at run time (an array too large for the Triton
    backend's int32 indices) reaches the user as jl.UnsupportedError, and an index out of
    range (numpy's IndexError in a gather or scatter) as jl.IndexOutOfBoundsError, still an
    IndexError, and a failed `check` of values as jl.ValueCheckError, still a ValueError,
    each naming the user's line it came from."""
    try:
        return compiled(*arrays)
    except ir.errors.UnsupportedError as error:
        raise UnsupportedError(str(error)) from None
    except ir.errors.CheckFailed as error:
        raise ValueCheckError(str(error), _generated_source(error)) from None
    except IndexError as error:
        if isinstance(error, IndexOutOfBoundsError):
            raise
        raise IndexOutOfBoundsError(str(error), _generated_source(error)) from None


def _generated_source(error: Exception) -> str | None:
    """The user's line behind the innermost generated statement the error passed through
    (the numpy backend's code maps its source comments back: its SOURCES)."""
    found, tb = None, error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        sources = frame.f_globals.get("SOURCES")
        if frame.f_code.co_filename.startswith("<jitlib:") and sources is not None:
            line = linecache.getline(frame.f_code.co_filename, tb.tb_lineno)
            found = sources.get(line.rpartition("  # ")[2].strip(), found)
        tb = tb.tb_next
    return found


def _is_array(leaf) -> bool:
    return isinstance(leaf, np.ndarray) or _on_gpu(leaf)


class Writes(NamedTuple):
    """The argument leaves a compiled function writes to (`leaves`), and those of them
    whose writes assumed a C-contiguous array (`c_order`: a reshape of it was traced)."""

    leaves: tuple
    c_order: tuple

    def __bool__(self) -> bool:
        return bool(self.leaves)


def _check_written(name: str, leaves: list, written: Writes) -> None:
    """Before a call that writes to arguments: numpy's error for a read-only one, and a
    clear error where a written argument shares memory with another (the compiled code
    assumed they do not) or is not C-contiguous where its trace assumed it is."""
    for i in written.c_order:
        flags = getattr(leaves[i], "flags", None)
        if flags is not None and not flags.c_contiguous:
            raise UnsupportedError(
                f"{name} writes to argument leaf {i} and reshapes it; whether numpy's reshape "
                "is a view depends on the array's strides, and jit traced it for a "
                "C-contiguous array: pass np.ascontiguousarray(...) of it"
            )
    for i in written.leaves:
        flags = getattr(leaves[i], "flags", None)
        if flags is not None and not flags.writeable:
            raise ValueError(f"assignment destination is read-only (argument leaf {i} of {name})")
        for j, other in enumerate(leaves):
            if j != i and _is_array(other) and _shares_memory(leaves[i], other):
                raise AliasingError(
                    f"{name} writes to argument leaf {i}, which shares memory with argument "
                    f"leaf {j}; jit compiles for arguments that do not overlap: pass a copy"
                )


def _shares_memory(a, b) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return np.may_share_memory(a, b) and np.shares_memory(a, b)
    cupy = sys.modules.get("cupy")  # device arrays: CuPy's own test
    if cupy is not None and isinstance(a, cupy.ndarray) and isinstance(b, cupy.ndarray):
        return bool(cupy.shares_memory(a, b))
    return False


def _on_gpu(leaf) -> bool:
    return not isinstance(leaf, np.ndarray | np.generic) and hasattr(
        type(leaf), "__cuda_array_interface__"
    )


def _result(trace: Trace, leaf) -> ir.Value:
    if isinstance(leaf, Tracer | SymDim):  # a size comes back as an int64 array
        return as_tracer(leaf, trace).value
    if isinstance(leaf, bool | int | float) or hasattr(leaf, "dtype"):
        return trace.constant(leaf).value
    raise ArgumentError(
        f"{trace.name} returned a value of type {type(leaf).__name__}, which is not an array"
    )


def jit(
    fn: Callable | None = None,
    *,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    backend: str | None = None,
    dynamic: bool = True,
):
    """Compile `fn` per shape signature; usable as `@jit`, `@jit(...)` or `jit(fn)`.

    >>> import numpy as np, jitlib as jl
    >>> @jl.jit
    ... def f(x):
    ...     return np.tanh(x) * 2.0
    >>> f(np.zeros(3, np.float32))
    array([0., 0., 0.], dtype=float32)
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)
    backends.check(backend)  # reject unknown backends at decoration time

    def wrap(f: Callable) -> JitFunction:
        if not callable(f):
            raise ArgumentError(f"jit expects a function, got {type(f).__name__}")
        nums, names = _statics(f, static_argnums, static_argnames)
        return JitFunction(f, nums, names, backend, dynamic)

    return wrap if fn is None else wrap(fn)


def _statics(f: Callable, nums: Sequence[int], names: Sequence[str]) -> tuple:
    """(positions, names) of the static arguments, each completed from the other through
    f's signature, so a static argument is static however it is passed."""
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return tuple(nums), tuple(names)
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    all_nums = [*nums, *[positional.index(n) for n in names if n in positional]]
    all_names = [*names, *[positional[i] for i in nums if i < len(positional)]]
    return tuple(dict.fromkeys(all_nums)), tuple(dict.fromkeys(all_names))


def make_ir(fn: Callable, static_argnums: int | Sequence[int] = ()):
    """The raw traced IR of `fn` for given arguments, like `jax.make_jaxpr`.

    >>> import numpy as np, jitlib as jl
    >>> print(jl.make_ir(lambda x: x + 1.0)(np.ones(3, np.float32)))
    func lambda(%0: f32[s0]) {
      %1 = constant[value=1.0, dtype=float32] : f32[]
      %2 = add %0, %1 : f32[s0]
      return %2
    }
    """
    jitted = jit(fn, static_argnums=static_argnums)

    def trace(*args, **kwargs) -> Lowered:
        traced, _, sizes, _ = jitted._trace(args, kwargs)
        return Lowered(traced, "numpy", sizes)

    return trace
