"""grad, value_and_grad, vjp, jvp, jacfwd, jacrev, hessian and vmap.

Each transform runs inside a trace: it traces the user's function into a nested trace
(whose parameters have the symbolic types of the arguments), applies an IR pass
(ir/passes/autodiff.py, ir/passes/batching.py) to the Function it gets, and inlines the
result into the enclosing trace. Called outside any trace, a transformed function is
compiled with `jit` (one cache per transformed function), so it traces, transforms,
compiles and caches just like `jit` does. Transforms therefore compose in any order.
"""

from __future__ import annotations

import functools
import itertools
import threading
import weakref
from collections.abc import Callable

import ir
import ir.errors
from ir import dtypes, shapes
from ir.ops import OPS
from ir.passes import autodiff, batching, dce
from jitlib import inplace, pickling, pytree
from jitlib.api import jit
from jitlib.errors import (
    ArgumentError,
    JitError,
    ShapeMismatchError,
    TransformError,
    UnsupportedError,
)
from jitlib.numpy._core import as_tracer
from jitlib.trace import current as current_trace
from jitlib.tracer import SymDim, Tracer


def _name(f) -> str:
    return getattr(f, "__name__", type(f).__name__).replace("<lambda>", "lambda")


class Transformed:
    """A function that runs inside a trace. Called outside one, it is jitted: traced once
    per shape signature, compiled and cached."""

    def __init__(self, body: Callable, name: str, wrapped: Callable | None = None, recipe=None):
        self.body = body
        self.name = name
        self._recipe = recipe  # (make, args, kwargs): the public call that made it, to pickle
        self._jitted = None
        self._lock = threading.Lock()
        if wrapped is not None:
            functools.update_wrapper(self, wrapped, updated=())
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        if current_trace() is not None:
            return self.body(*args, **kwargs)
        if self._jitted is None:
            with self._lock:  # threads making the first call share one jitted function
                if self._jitted is None:
                    self._jitted = self._jit()
        return self._jitted(*args, **kwargs)

    def __reduce__(self):
        if self._recipe is None:
            raise TypeError(
                f"{self.name} cannot be pickled: it holds the primal values jl.vjp/jl.jvp "
                "were given; pickle the function and call jl.vjp/jl.jvp where it runs"
            )
        return pickling.reduce(self, *self._recipe)

    def _jit(self):
        body = self.body

        def run(*args, **kwargs):
            return body(*args, **kwargs)

        run.__name__ = self.name
        return jit(run)

    def cache_info(self):
        return self._jitted.cache_info() if self._jitted is not None else None


# --- tracing a function into a sub-Function ---------------------------------------------
def trace_function(f: Callable, args: tuple, kwargs: dict | None = None, name: str = "") -> tuple:
    """Trace f(*args, **kwargs) in a trace nested in the active one.

    Returns (fn, inputs, out_tree): `fn` takes the argument leaves, then the enclosing
    trace's values f closes over; `inputs` are the Tracers to call it with (of the
    active trace); `out_tree` is the structure of f's result.
    """
    outer = current_trace()
    leaves, treedef = pytree.tree_flatten((args, kwargs or {}))
    inputs = [_argument(leaf, outer, i) for i, leaf in enumerate(leaves)]
    types = [(t.value.type, t.weak) for t in inputs]
    fn, captured, out_tree = _trace_child(f, treedef, types, name or _name(f))
    return fn, inputs + captured, out_tree


def _trace_child(f, treedef, types: list, name: str) -> tuple:
    """(fn, captured Tracers, out_tree): f traced in a child of the active trace on
    parameters of `types` ((ir.Type, weak) per leaf of `treedef`, an (args, kwargs) tree)."""
    child = current_trace().child(name)
    params = [child.param(type, weak) for type, weak in types]
    with child.active():
        call_args, call_kwargs = pytree.tree_unflatten(treedef, params)
        out = f(*call_args, **call_kwargs)
        out_leaves, out_tree = pytree.tree_flatten(out)
        results = [_result(child, leaf, f) for leaf in out_leaves]
    inplace.refuse_written_arguments(params, name)
    return child.finish(results), list(child.captured), out_tree


def _argument(leaf, trace, index: int) -> Tracer:
    if isinstance(leaf, Tracer | SymDim) or type(leaf) in (bool, int, float):
        return as_tracer(leaf, trace)
    if hasattr(leaf, "dtype") and hasattr(leaf, "shape"):
        return as_tracer(leaf, trace)
    raise ArgumentError(
        f"argument leaf {index} is a {type(leaf).__name__}, which is neither an array nor a number"
    )


def _result(trace, leaf, f) -> ir.Value:
    if isinstance(leaf, Tracer | SymDim) or type(leaf) in (bool, int, float):
        return as_tracer(leaf, trace).value
    if hasattr(leaf, "dtype"):
        return trace.constant(leaf).value
    raise ArgumentError(f"{_name(f)} returned a {type(leaf).__name__}, which is not an array")


def _apply(f, what: str, run: Callable):
    """Run an IR pass; an op it cannot transform becomes a JitError naming f and the op."""
    try:
        return run()
    except ir.errors.UnsupportedError as error:
        raise UnsupportedError(f"{what} of {_name(f)}: {error} is not supported") from None
    except ir.IRError as error:
        raise TransformError(f"{what} of {_name(f)}: {error}") from None


def _leaf_ranges(args: tuple) -> list:
    """(start, stop, treedef) of each positional argument's leaves in the flattened
    ((args, kwargs)) order."""
    ranges, start = [], 0
    for arg in args:
        leaves, treedef = pytree.tree_flatten(arg)
        ranges.append((start, start + len(leaves), treedef))
        start += len(leaves)
    return ranges


def _argnums(f, argnums, nargs: int, what: str) -> tuple:
    """argnums as a tuple, checked against the number of positional arguments."""
    many = isinstance(argnums, tuple | list)
    nums = tuple(argnums) if many else (argnums,)
    if not nums or not all(isinstance(i, int) and not isinstance(i, bool) for i in nums):
        raise TransformError(
            f"{what} of {_name(f)}: argnums must be an int or a tuple of ints, got {argnums!r}"
        )
    normal = []
    for i in nums:
        if not -nargs <= i < nargs:
            raise TransformError(
                f"{what} of {_name(f)}: argnums {argnums!r} is out of range for "
                f"{nargs} positional argument(s)"
            )
        normal.append(i % nargs)
    return tuple(normal)


def _type_text(tracer: Tracer) -> str:
    return str(tracer.trace.current_type(tracer.value.type))


# --- reverse mode ---------------------------------------------------------------------
def _float_leaves(f, nums: tuple, ranges: list, inputs: list, what: str) -> list:
    """The leaf positions of the arguments in `nums`; each must be a float array. Checked
    before the output, since an integer input is usually why the output is not float."""
    wrt = []
    for i in nums:
        start, stop, _ = ranges[i]
        for leaf in range(start, stop):
            if not dtypes.is_float(inputs[leaf].value.type.dtype):
                raise TransformError(
                    f"{what} of {_name(f)} with respect to argument {i}, of type "
                    f"{_type_text(inputs[leaf])}: only float inputs can be differentiated "
                    "(convert with .astype(np.float32) or leave it out of argnums)"
                )
            wrt.append(leaf)
    return wrt


def _value_and_grad(f, argnums, has_aux, args: tuple, kwargs: dict, what: str):
    nums = _argnums(f, argnums, len(args), what)
    fn, inputs, out_tree = trace_function(f, args, kwargs)
    outer = current_trace()
    ranges = _leaf_ranges(args)
    wrt = _float_leaves(f, nums, ranges, inputs, what)
    if has_aux:
        if not (isinstance(out_tree, tuple) and out_tree[0] is tuple and len(out_tree[1]) == 2):
            raise TransformError(
                f"{what} of {_name(f)} with has_aux=True: the function must return a pair "
                "(value, aux)"
            )
        if out_tree[1][0] != pytree.LEAF:
            raise TransformError(
                f"{what} of {_name(f)}: the value in (value, aux) must be an array"
            )
    elif out_tree != pytree.LEAF:
        raise TransformError(
            f"{what} of {_name(f)}: the function must return one scalar array, got a "
            f"{_structure(out_tree)}; use has_aux=True to return (value, aux)"
        )
    value = fn.results[0]
    value_type = outer.current_type(value.type)
    if value.type.shape != () or not dtypes.is_float(value.type.dtype):
        raise TransformError(
            f"{what} of {_name(f)} needs a scalar float output, got {value_type}; "
            "for non-scalar outputs use jl.vjp, jl.jacrev or sum the output"
        )
    grad_fn = _apply(f, what, lambda: dce(autodiff.vjp(fn, tuple(wrt), of=(0,))))
    seed = outer.constant(1.0, value.type.dtype)
    outs = outer.inline(grad_fn, [*inputs, seed])
    results, grads = outs[: len(fn.results)], outs[len(fn.results) :]
    out = pytree.tree_unflatten(out_tree, results)
    per_arg, k = [], 0
    for i in nums:
        start, stop, treedef = ranges[i]
        per_arg.append(pytree.tree_unflatten(treedef, grads[k : k + stop - start]))
        k += stop - start
    grad = tuple(per_arg) if isinstance(argnums, tuple | list) else per_arg[0]
    return out, grad


class _ArrayMark:
    def __repr__(self) -> str:
        return "array"


def _structure_text(treedef) -> str:
    """A pytree structure as Python prints it, each leaf written `array`: (array, {'b': array})."""
    return repr(pytree.tree_unflatten(treedef, itertools.repeat(_ArrayMark())))


def _structure(treedef) -> str:
    if isinstance(treedef, tuple):
        return getattr(treedef[0], "__name__", str(treedef[0]))
    return "None" if treedef is None else "array"


def value_and_grad(f: Callable, argnums=0, has_aux: bool = False) -> Transformed:
    """f's value and its gradient w.r.t. the arguments in `argnums`.

    >>> import numpy as np, jitlib as jl
    >>> jl.value_and_grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    (array(5.), array([2., 4.]))
    """

    def body(*args, **kwargs):
        return _value_and_grad(f, argnums, has_aux, args, kwargs, "value_and_grad")

    return Transformed(
        body, f"value_and_grad_{_name(f)}", f, (value_and_grad, (f, argnums, has_aux), {})
    )


def grad(f: Callable, argnums=0, has_aux: bool = False) -> Transformed:
    """The gradient of scalar-valued f w.r.t. the arguments in `argnums` (with `has_aux`,
    f returns (value, aux) and grad returns (gradient, aux)).

    >>> import numpy as np, jitlib as jl
    >>> jl.grad(lambda x: np.sin(x).sum())(np.array([0.0, np.pi]))
    array([ 1., -1.])
    """

    def body(*args, **kwargs):
        out, g = _value_and_grad(f, argnums, has_aux, args, kwargs, "grad")
        return (g, out[1]) if has_aux else g

    return Transformed(body, f"grad_{_name(f)}", f, (grad, (f, argnums, has_aux), {}))


_MEMO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MEMO_LOCK = threading.Lock()  # threads making the first call share one Transformed


def _memo(f, key, make):
    """One Transformed per (f, key), so repeated jl.vjp/jl.jvp calls share a cache.
    `make(fetch)` builds it with `fetch()` standing for f: a weak reference, since a value
    that held f would keep its key, and all compiled for it, alive for ever. Whoever calls
    the Transformed keeps f alive."""
    with _MEMO_LOCK:
        try:
            table = _MEMO.setdefault(f, {})
        except TypeError:  # not weak-referenceable: no sharing
            return make(lambda: f)
        if key not in table:
            table[key] = make(weakref.ref(f))
        return table[key]


def _calling(fetch) -> Callable:
    def call(*args, **kwargs):
        return fetch()(*args, **kwargs)

    return call


def _vjp_apply(fetch, has_aux: bool) -> Transformed:
    def body(primals, cts):
        f = fetch()
        fn, inputs, out_tree = trace_function(f, primals)
        outer = current_trace()
        n = len(pytree.tree_flatten(primals)[0])
        value_tree = out_tree[1][0] if has_aux else out_tree
        ct_leaves, ct_tree = pytree.tree_flatten(cts)
        value_count = len(ct_leaves)
        if ct_tree != value_tree:
            raise TransformError(
                f"the cotangent given to the vjp of {_name(f)} has structure "
                f"{_structure_text(ct_tree)}, the output has {_structure_text(value_tree)}"
            )
        of = tuple(i for i in range(value_count) if dtypes.is_float(fn.results[i].type.dtype))
        seeds = []
        for i in of:
            ct = as_tracer(ct_leaves[i], outer)
            want = fn.results[i].type
            if not shapes_match(ct.value.type.shape, want.shape):
                raise ShapeMismatchError(
                    f"the cotangent given to the vjp of {_name(f)} has shape "
                    f"{_type_text(ct)}, the output is {outer.current_type(want)}"
                )
            seeds.append(_conform(ct, want))
        wrt = tuple(i for i in range(n) if dtypes.is_float(inputs[i].value.type.dtype))
        grad_fn = _apply(f, "vjp", lambda: dce(autodiff.vjp(fn, wrt, of=of)))
        outs = outer.inline(grad_fn, [*inputs, *seeds])
        grads = iter(outs[len(fn.results) :])
        leaves = []
        for i in range(n):
            if i in wrt:
                leaves.append(next(grads))
            else:
                leaves.append(_zeros_like(inputs[i]))
        return tuple(pytree.tree_unflatten(pytree.tree_flatten(primals)[1], leaves))

    return Transformed(body, f"vjp_{_name(fetch())}")


def shapes_match(a: tuple, b: tuple) -> bool:
    return shapes.equal(a, b)


def _conform(x: Tracer, want: ir.Type) -> Tracer:
    """x (already checked to match `want` under the trace's guards) with exactly that
    dtype and shape as written: a parameter the inlined function types as `f64[2,3]` gets
    an argument typed so, even where x's shape is `s0,s1` under the guard s0 == 2."""
    x = _cast(x, want.dtype)
    if x.value.type.shape != want.shape:
        x = x.trace.bind(OPS["reshape"], x, shape=want.shape)
    return x


def _cast(x: Tracer, dtype: str) -> Tracer:
    if x.value.type.dtype == dtype:
        return x
    return x.trace.bind(OPS["convert"], x, dtype=dtype)


def _zeros_like(x: Tracer) -> Tracer:
    zero = x.trace.constant(0, x.value.type.dtype)
    if not x.value.type.shape:
        return zero
    return x.trace.bind(OPS["broadcast_to"], zero, shape=x.value.type.shape)


def vjp(f: Callable, *primals, has_aux: bool = False):
    """(f(*primals), vjp_fn): vjp_fn(cotangent) gives the cotangent of each primal (a
    tuple). With `has_aux`, f returns (out, aux) and vjp returns (out, vjp_fn, aux).

    >>> import numpy as np, jitlib as jl
    >>> out, pull = jl.vjp(np.sin, np.array([0.0, 1.0]))
    >>> pull(np.array([1.0, 2.0]))[0]
    array([1.        , 1.08060461])
    """
    forward = _memo(f, ("call",), lambda fetch: Transformed(_calling(fetch), _name(f)))
    out = forward(*primals)

    def vjp_fn(cotangent):
        # looked up here, so that vjp_fn holds f (the Transformed holds it weakly)
        apply = _memo(f, ("vjp", has_aux), lambda fetch: _vjp_apply(fetch, has_aux))
        return apply(primals, cotangent)

    if has_aux:
        return out[0], vjp_fn, out[1]
    return out, vjp_fn


# --- forward mode ---------------------------------------------------------------------
def _jvp_apply(fetch) -> Transformed:
    def body(primals, tangents):
        f = fetch()
        p_leaves, p_tree = pytree.tree_flatten(primals)
        t_leaves, t_tree = pytree.tree_flatten(tangents)
        if p_tree != t_tree:
            raise TransformError(
                f"jvp of {_name(f)}: primals and tangents differ in structure "
                f"({_structure_text(p_tree)} vs {_structure_text(t_tree)})"
            )
        fn, inputs, out_tree = trace_function(f, primals)
        outer = current_trace()
        wrt, ts = [], []
        for i, (p, t) in enumerate(zip(inputs, t_leaves)):
            t = as_tracer(t, outer)
            if not shapes_match(t.value.type.shape, p.value.type.shape):
                raise ShapeMismatchError(
                    f"jvp of {_name(f)}: tangent {i} is {_type_text(t)}, its primal is "
                    f"{_type_text(p)}"
                )
            if dtypes.is_float(p.value.type.dtype):
                wrt.append(i)
                ts.append(_conform(t, p.value.type))
        jvp_fn = _apply(f, "jvp", lambda: dce(autodiff.jvp(fn, tuple(wrt))))
        outs = outer.inline(jvp_fn, [*inputs, *ts])
        n = len(fn.results)
        out = pytree.tree_unflatten(out_tree, outs[:n])
        return out, pytree.tree_unflatten(out_tree, outs[n:])

    return Transformed(body, f"jvp_{_name(fetch())}")


def jvp(f: Callable, primals, tangents):
    """(f(*primals), the tangent of the output along `tangents`).

    >>> import numpy as np, jitlib as jl
    >>> jl.jvp(np.exp, (np.array([0.0, 1.0]),), (np.array([1.0, 1.0]),))[1]
    array([1.        , 2.71828183])
    """
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise TransformError("jvp takes primals and tangents as tuples, like jax.jvp")
    if len(primals) != len(tangents):
        raise TransformError(
            f"jvp of {_name(f)}: {len(primals)} primals but {len(tangents)} tangents"
        )
    apply = _memo(f, ("jvp",), _jvp_apply)
    return apply(tuple(primals), tuple(tangents))


# --- batching -------------------------------------------------------------------------
def _prefix_axes(f, prefix, tree, what: str, where: str) -> list:
    """The axis (int or None) of each leaf of `tree`, from `prefix`: an int/None for the
    whole tree, or a container matching the tree's structure down to some depth."""
    if prefix is None or (isinstance(prefix, int) and not isinstance(prefix, bool)):
        return [prefix] * len(pytree.tree_flatten(tree)[0])
    kind = type(prefix)
    if kind in (tuple, list) and type(tree) in (tuple, list) and len(prefix) == len(tree):
        return [a for p, t in zip(prefix, tree) for a in _prefix_axes(f, p, t, what, where)]
    if kind is dict and type(tree) is dict and set(prefix) == set(tree):
        return [a for k in sorted(tree) for a in _prefix_axes(f, prefix[k], tree[k], what, where)]
    raise TransformError(
        f"vmap of {_name(f)}: {what} {prefix!r} does not match the structure of {where}; "
        "give an int, None, or a tuple/dict with one entry per item"
    )


def _leaf_name(args: tuple, index: int) -> str:
    """How an error names leaf `index` of the flattened arguments: `argument 1`, or
    `leaf 0 of argument 1` inside a pytree argument."""
    for i, (start, stop, treedef) in enumerate(_leaf_ranges(args)):
        if start <= index < stop and treedef == pytree.LEAF:
            return f"argument {i}"
        if start <= index < stop:
            return f"leaf {index - start} of argument {i}"
    return f"keyword argument leaf {index - len(pytree.tree_flatten(args)[0])}"


def _dim_text(tracer: Tracer, axis: int) -> str:
    return str(tracer.trace.current_type(tracer.value.type).shape[axis])


def _axis_in_range(f, what: str, axis: int, t: Tracer, where: str) -> int:
    """`axis` of t as a non-negative int; out of range is an error naming where it is."""
    ndim = t.value.type.ndim
    if not -ndim <= axis < ndim:
        raise TransformError(
            f"vmap of {_name(f)}: {what} {axis} is out of range for {where}, of type "
            f"{_type_text(t)}"
        )
    return axis % ndim


def _vmap_body(f, in_axes, out_axes, args: tuple, kwargs: dict):
    outer = current_trace()
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if isinstance(in_axes, tuple) and len(in_axes) != len(args):
        raise TransformError(
            f"vmap of {_name(f)}: in_axes has {len(in_axes)} entries for {len(args)} "
            "positional argument(s)"
        )
    axes = _prefix_axes(f, in_axes, args, "in_axes", "the arguments")
    axes += [None] * len(pytree.tree_flatten(kwargs)[0])  # keyword arguments are not mapped
    leaves, treedef = pytree.tree_flatten((args, kwargs))
    tracers = [_argument(leaf, outer, i) for i, leaf in enumerate(leaves)]
    size, sizes = None, []
    moved = []
    for i, (t, axis) in enumerate(zip(tracers, axes)):
        if axis is None:
            moved.append(t)
            continue
        axis = _axis_in_range(f, "in_axes", axis, t, _leaf_name(args, i))
        dim = t.value.type.shape[axis]
        sizes.append(
            f"{_leaf_name(args, i)} ({_type_text(t)}) has {_dim_text(t, axis)} along axis {axis}"
        )
        if size is None:
            size = dim
        elif not shapes.dims_equal(size, dim):
            raise TransformError(
                f"vmap of {_name(f)}: mapped axes have different sizes: {'; '.join(sizes)}"
            )
        order = (axis, *[a for a in range(t.value.type.ndim) if a != axis])
        moved.append(t if axis == 0 else outer.bind(OPS["transpose"], t, axes=order))
    if size is None:
        raise TransformError(f"vmap of {_name(f)}: in_axes maps no argument (all None)")
    example = []  # per-example types: the mapped axis (now axis 0) dropped
    for t, axis in zip(moved, axes):
        type = t.value.type
        if axis is not None:
            type = ir.Type(type.dtype, type.shape[1:])
        example.append((type, t.weak))
    fn, captured, out_tree = _trace_child(f, treedef, example, _name(f))
    flags = tuple(a is not None for a in axes) + (False,) * len(captured)
    batched_fn, out_flags = _apply(f, "vmap", lambda: batching.vmap(fn, flags, size))
    outs = outer.inline(batched_fn, [*moved, *captured])
    out_axes_flat = _prefix_axes(
        f, out_axes, pytree.tree_unflatten(out_tree, outs), "out_axes", "the output"
    )
    final = []
    for i, (o, flag, axis) in enumerate(zip(outs, out_flags, out_axes_flat)):
        if axis is None:
            if flag:
                raise TransformError(
                    f"vmap of {_name(f)}: out_axes is None for output leaf {i}, but that "
                    "output depends on the mapped arguments"
                )
            final.append(o)
            continue
        if not flag:
            shape = (size, *o.value.type.shape)
            o = outer.bind(OPS["broadcast_to"], o, shape=shape)
        ndim = o.value.type.ndim
        axis = _axis_in_range(f, "out_axes", axis, o, f"output leaf {i}")
        if axis:
            order = (*range(1, axis + 1), 0, *range(axis + 1, ndim))
            o = outer.bind(OPS["transpose"], o, axes=order)
        final.append(o)
    return pytree.tree_unflatten(out_tree, final)


def vmap(f: Callable, in_axes=0, out_axes=0) -> Transformed:
    """f mapped over an axis of its arguments (`in_axes`: an int, None, or a tuple/pytree of
    those per argument); results are stacked along `out_axes`.

    >>> import numpy as np, jitlib as jl
    >>> jl.vmap(lambda row: row @ row)(np.arange(6.0).reshape(3, 2))
    array([ 1., 13., 41.])
    """

    def body(*args, **kwargs):
        return _vmap_body(f, in_axes, out_axes, args, kwargs)

    return Transformed(body, f"vmap_{_name(f)}", f, (vmap, (f, in_axes, out_axes), {}))


# --- Jacobians ------------------------------------------------------------------------
def _with_args(f, args: tuple, nums: tuple):
    """f as a function of the arguments at positions `nums`, the others fixed."""

    def g(*chosen):
        full = list(args)
        for i, value in zip(nums, chosen):
            full[i] = value
        return f(*full)

    g.__name__ = _name(f)
    return g


def _check_array_args(f, args, nums, what):
    for i in nums:
        if pytree.tree_flatten(args[i])[1] != pytree.LEAF:
            raise TransformError(f"{what} of {_name(f)}: argument {i} must be an array")


def _eye(outer, n, dtype: str) -> Tracer:
    rows = outer.bind(OPS["iota"], length=n, dtype="int64")
    column = outer.bind(OPS["reshape"], rows, shape=(n, 1))
    eq = outer.bind(OPS["equal"], column, rows)
    return outer.bind(OPS["convert"], eq, dtype=dtype)


def _float_dtype(f, t: Tracer, what: str, i: int) -> str:
    dtype = t.value.type.dtype
    if not dtypes.is_float(dtype):
        raise TransformError(
            f"{what} of {_name(f)} with respect to argument {i}, of type {_type_text(t)}: "
            "only float inputs can be differentiated"
        )
    return dtype


def _jacrev_body(f, argnums, args: tuple, what: str = "jacrev"):
    nums = _argnums(f, argnums, len(args), what)
    _check_array_args(f, args, nums, what)
    outer = current_trace()
    g = _with_args(f, args, nums)
    diff = [as_tracer(args[i], outer) for i in nums]
    for i, d in zip(nums, diff):
        _float_dtype(f, d, what, i)
    out = g(*diff)
    out_leaves, out_tree = pytree.tree_flatten(out)
    jacobians = []
    for k, o in enumerate(out_leaves):
        o = as_tracer(o, outer)
        shape = o.value.type.shape
        n = shapes.size(shape)

        def leaf_k(*d, k=k):
            return pytree.tree_flatten(g(*d))[0][k]

        _, pull = vjp(leaf_k, *diff)
        basis = outer.bind(OPS["reshape"], _eye(outer, n, o.value.type.dtype), shape=(n, *shape))
        rows = vmap(pull)(basis)  # one tuple entry per differentiated argument: (n, *S_i)
        per_arg = tuple(
            outer.bind(OPS["reshape"], r, shape=(*shape, *d.value.type.shape))
            for r, d in zip(rows, diff)
        )
        jacobians.append(per_arg if isinstance(argnums, tuple | list) else per_arg[0])
    return pytree.tree_unflatten(out_tree, jacobians)


def _jacfwd_body(f, argnums, args: tuple, what: str = "jacfwd", named=None):
    """`named`: the function errors name (the user's, where f is a transform of it)."""
    named = f if named is None else named
    nums = _argnums(named, argnums, len(args), what)
    _check_array_args(named, args, nums, what)
    outer = current_trace()
    diff = [as_tracer(args[i], outer) for i in nums]
    per_arg = []
    out_tree = None
    for pos, (i, x) in enumerate(zip(nums, diff)):
        dtype = _float_dtype(named, x, what, i)
        shape = x.value.type.shape
        n = shapes.size(shape)
        others = list(diff)

        def push(t, pos=pos, others=others):
            ts = [_zeros_like(d) if j != pos else t for j, d in enumerate(others)]
            return jvp(_with_args(f, args, nums), tuple(others), tuple(ts))[1]

        basis = outer.bind(OPS["reshape"], _eye(outer, n, dtype), shape=(n, *shape))
        cols = vmap(push)(basis)  # each output leaf: (n, *O)
        leaves, out_tree = pytree.tree_flatten(cols)
        arranged = []
        for c in leaves:
            c = as_tracer(c, outer)
            out_shape = c.value.type.shape[1:]
            k = len(out_shape)
            t = outer.bind(OPS["transpose"], c, axes=(*range(1, k + 1), 0)) if k else c
            arranged.append(outer.bind(OPS["reshape"], t, shape=(*out_shape, *shape)))
        per_arg.append(arranged)
    jacobians = []
    for k in range(len(per_arg[0])):
        entry = tuple(p[k] for p in per_arg)
        jacobians.append(entry if isinstance(argnums, tuple | list) else entry[0])
    return pytree.tree_unflatten(out_tree, jacobians)


def jacrev(f: Callable, argnums=0) -> Transformed:
    """The Jacobian of f by reverse mode (one vjp per output element, batched with vmap):
    for an output of shape O and an argument of shape S, an array of shape O + S."""

    def body(*args):
        return _jacrev_body(f, argnums, args)

    return Transformed(body, f"jacrev_{_name(f)}", f, (jacrev, (f, argnums), {}))


def jacfwd(f: Callable, argnums=0) -> Transformed:
    """The Jacobian of f by forward mode (one jvp per input element, batched with vmap)."""

    def body(*args):
        return _jacfwd_body(f, argnums, args)

    return Transformed(body, f"jacfwd_{_name(f)}", f, (jacfwd, (f, argnums), {}))


def hessian(f: Callable, argnums=0) -> Transformed:
    """The Hessian of scalar-valued f: jacfwd of jacrev."""
    inner = jacrev(f, argnums)

    def body(*args):
        return _jacfwd_body(inner, argnums, args, "hessian", named=f)

    return Transformed(body, f"hessian_{_name(f)}", f, (hessian, (f, argnums), {}))


__all__ = [
    "JitError",
    "grad",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "value_and_grad",
    "vjp",
    "vmap",
]
