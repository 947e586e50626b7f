"""jl.custom_vjp and jl.custom_jvp: functions that bring their own derivative rule; and
jl.stop_gradient, whose derivative is zero.

Used like JAX's: decorate the function, then give the rule with `defvjp(fwd, bwd)` or
`defjvp(jvp)`. Without an active trace the function simply runs. Traced, it becomes one
`custom_vjp_call` / `custom_jvp_call` equation holding the traced function and the traced
rule (see ir/ops/custom.py); the transforms use the rule, code generation uses the body.
"""

from __future__ import annotations

import contextlib
import functools

import ir
from ir import dtypes
from ir.ops import OPS
from jitlib import inplace, pickling, pytree
from jitlib.errors import TransformError
from jitlib.numpy._core import as_tracer, trace_of
from jitlib.trace import current as current_trace
from jitlib.tracer import Tracer
from jitlib.transforms import _name, trace_function


def _no_captures(f, what: str, inputs: list, explicit: int) -> None:
    """A rule only speaks for the arguments: a traced value the function closes over would
    get no derivative, so it must be passed as an argument instead."""
    if len(inputs) > explicit:
        raise TransformError(
            f"{what} of {_name(f)} uses a traced array it does not take as an argument "
            "(a closure); pass it as an argument so its rule can account for it"
        )


def _check_same(f, what: str, got_tree, want_tree, got: list, want: list) -> None:
    if got_tree != want_tree or any(
        a.type.dtype != b.type.dtype or a.type.ndim != b.type.ndim for a, b in zip(got, want)
    ):
        raise TransformError(
            f"{what} of {_name(f)} must match the function's output: got "
            f"{[str(v.type) for v in got]}, the function gives {[str(v.type) for v in want]}"
        )


class _CustomRule:
    """While its rule is traced, a call of the function inside the rule is the plain
    function (rules usually call it for the primal output)."""

    _in_rule = False
    RULES: tuple = ()  # the attributes holding the user's rules

    def __reduce__(self):
        rules = {name: getattr(self, name) for name in self.RULES}
        return pickling.reduce(self, _rebuilt_rule, (type(self), self.fun, rules), {})

    @contextlib.contextmanager
    def _rule(self):
        self._in_rule = True
        try:
            yield
        finally:
            self._in_rule = False


def _rebuilt_rule(cls, fun, rules: dict):
    """Unpickling a custom_vjp/custom_jvp function: cls(fun) with its rules."""
    rebuilt = cls(fun)
    for name, rule in rules.items():
        setattr(rebuilt, name, rule)
    return rebuilt


class custom_vjp(_CustomRule):
    """A function with a user-given reverse-mode rule.

    >>> import numpy as np, jitlib as jl
    >>> @jl.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> def fwd(x):
    ...     return x, None
    >>> def bwd(residual, ct):
    ...     return (np.clip(ct, -1.0, 1.0),)
    >>> _ = clip_gradient.defvjp(fwd, bwd)
    >>> jl.grad(lambda x: (3.0 * clip_gradient(x)).sum())(np.ones(2))
    array([1., 1.])
    """

    RULES = ("fwd", "bwd")

    def __init__(self, fun):
        self.fun = fun
        self.fwd = None
        self.bwd = None
        functools.update_wrapper(self, fun)

    def defvjp(self, fwd, bwd):
        """fwd(*args) -> (out, residuals); bwd(residuals, ct) -> one cotangent per argument
        (a tuple; None for an argument with no gradient)."""
        self.fwd, self.bwd = fwd, bwd
        return self

    def __call__(self, *args):
        if current_trace() is None or self._in_rule:
            return self.fun(*args)  # eager, or called by its own rule: the plain function
        if self.fwd is None:
            raise TransformError(f"custom_vjp function {_name(self.fun)} has no rule: call defvjp")
        fn, inputs, out_tree = trace_function(self.fun, args)
        with self._rule():
            fwd, fwd_inputs, fwd_tree = trace_function(self.fwd, args)
        n = len(pytree.tree_flatten(args)[0])
        if not (isinstance(fwd_tree, tuple) and fwd_tree[0] is tuple and len(fwd_tree[1]) == 2):
            raise TransformError(f"the fwd of {_name(self.fun)} must return (out, residuals)")
        out_count = len(fn.results)
        _check_same(
            self.fun,
            "fwd's out",
            fwd_tree[1][0],
            out_tree,
            list(fwd.results[:out_count]),
            list(fn.results),
        )
        residuals = [ir.Type(r.type.dtype, r.type.shape) for r in fwd.results[out_count:]]
        res_tree = fwd_tree[1][1]
        with self._rule():
            bwd, captured = self._trace_bwd(args, inputs[:n], residuals, res_tree, fn, out_tree)
        for what, ins in (("custom_vjp", inputs), ("its fwd", fwd_inputs), ("its bwd", captured)):
            _no_captures(self.fun, what, ins, n if what != "its bwd" else 0)
        outs = current_trace().bind(
            OPS["custom_vjp_call"], *inputs, fun=fn, fwd=fwd, bwd=bwd, num_res=len(residuals)
        )
        return pytree.tree_unflatten(out_tree, list(outs))

    def _trace_bwd(self, args, arg_tracers, residuals, res_tree, fn, out_tree) -> tuple:
        """(bwd Function: residuals, cotangents, captures -> one cotangent per argument
        leaf, and the captured Tracers)."""
        outer = current_trace()
        child = outer.child(f"{_name(self.bwd)}")
        res = [child.param(t) for t in residuals]
        cts = [child.param(r.type) for r in fn.results]
        with child.active():
            grads = self.bwd(
                pytree.tree_unflatten(res_tree, res), pytree.tree_unflatten(out_tree, cts)
            )
            if not isinstance(grads, tuple | list) or len(grads) != len(args):
                raise TransformError(
                    f"the bwd of {_name(self.fun)} must return a tuple with one cotangent per "
                    f"argument ({len(args)}), got {type(grads).__name__}"
                )
            leaves = []
            for arg, g in zip(args, grads):
                arg_leaves = pytree.tree_flatten(arg)[0]
                if g is None:
                    leaves += [None] * len(arg_leaves)
                    continue
                g_leaves, _ = pytree.tree_flatten(g)
                if len(g_leaves) != len(arg_leaves):
                    raise TransformError(
                        f"the bwd of {_name(self.fun)} returned a cotangent whose structure "
                        "differs from its argument's"
                    )
                leaves += g_leaves
            values = []
            for tracer, g in zip(arg_tracers, leaves):
                want = tracer.value.type
                values.append(_as_cotangent(child, g, want, self.fun))
        return child.finish(values), list(child.captured)


def _as_cotangent(trace, g, want: ir.Type, f) -> ir.Value:
    """A bwd result as a cotangent of type `want` (zeros for None)."""
    if g is None:
        zero = trace.constant(0, want.dtype)
        out = zero if not want.shape else trace.bind(OPS["broadcast_to"], zero, shape=want.shape)
        return out.value
    g = as_tracer(g, trace)
    if g.value.type.ndim != len(want.shape):
        raise TransformError(
            f"the bwd of {_name(f)} returned a cotangent of type {g.value.type} for an argument "
            f"of type {want}"
        )
    if g.value.type.dtype != want.dtype and dtypes.is_float(want.dtype):
        g = trace.bind(OPS["convert"], g, dtype=want.dtype)
    return g.value


class custom_jvp(_CustomRule):
    """A function with a user-given forward-mode rule (reverse mode transposes it).

    >>> import numpy as np, jitlib as jl
    >>> @jl.custom_jvp
    ... def log1pexp(x):
    ...     return np.log1p(np.exp(x))
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t / (1.0 + np.exp(-x))
    >>> float(jl.grad(lambda x: log1pexp(x))(100.0))
    1.0
    """

    RULES = ("jvp",)

    def __init__(self, fun):
        self.fun = fun
        self.jvp = None
        functools.update_wrapper(self, fun)

    def defjvp(self, jvp):
        """jvp(primals, tangents) -> (primal_out, tangent_out); returns jvp (a decorator)."""
        self.jvp = jvp
        return jvp

    def __call__(self, *args):
        if current_trace() is None or self._in_rule:
            return self.fun(*args)  # eager, or called by its own rule: the plain function
        if self.jvp is None:
            raise TransformError(f"custom_jvp function {_name(self.fun)} has no rule: call defjvp")
        n = len(pytree.tree_flatten(args)[0])
        fn, inputs, out_tree = trace_function(self.fun, args)
        with self._rule():
            rule, rule_inputs, rule_tree = trace_function(
                lambda *a: self.jvp(tuple(a[: len(args)]), tuple(a[len(args) :])),
                (*args, *args),  # tangents typed like the primals
                name=_name(self.jvp),
            )
        m = len(fn.results)
        if len(rule.results) != 2 * m:
            raise TransformError(
                f"the jvp rule of {_name(self.fun)} must return (primal_out, tangent_out) "
                "shaped like the function's output"
            )
        _check_same(
            self.fun,
            "the jvp rule's primal_out",
            rule_tree[1][0],
            out_tree,
            list(rule.results[:m]),
            list(fn.results),
        )
        _check_same(
            self.fun,
            "the jvp rule's tangent_out",
            rule_tree[1][1],
            out_tree,
            list(rule.results[m:]),
            list(fn.results),
        )
        _no_captures(self.fun, "custom_jvp", inputs, n)
        _no_captures(self.fun, "the jvp rule", rule_inputs, 2 * n)
        trace = current_trace()
        outs = trace.bind(OPS["custom_jvp_call"], *inputs, fun=fn, jvp=rule)
        return pytree.tree_unflatten(out_tree, list(outs))


def stop_gradient(x):
    """x, with a zero derivative (as jax.lax.stop_gradient): grad, jvp, vjp and the others
    treat it as a constant; vmap and jit keep its value. x may be a pytree. Outside a trace
    (plain arrays, eager numpy) it returns x itself; traced, it is a view of x, so a write
    to either reaches both, as for numpy's x itself. It costs nothing in generated code.

    Subtracting a row's maximum before exp changes neither softmax nor logsumexp, so that
    maximum needs no derivative (the one it would get is zero up to rounding):

    >>> import numpy as np, jitlib as jl
    >>> def logsumexp(x):
    ...     top = jl.stop_gradient(x.max())
    ...     return np.log(np.exp(x - top).sum()) + top
    >>> jl.grad(logsumexp)(np.log(np.array([1.0, 3.0])))
    array([0.25, 0.75])
    >>> jl.grad(lambda x: x * jl.stop_gradient(x))(3.0)
    array(3.)
    """
    return pytree.tree_map(_stop_leaf, x)


def _stop_leaf(x):
    if not isinstance(x, Tracer) or not dtypes.is_float(x.value.type.dtype):
        return x  # a plain array, or an integer one: no derivative to stop
    trace_ = trace_of(x)
    x = as_tracer(x, trace_)
    return inplace.bind_view(trace_, "stop_gradient", x, weak=x.weak)
