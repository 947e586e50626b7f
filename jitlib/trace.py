"""The trace context: the function being built, current symbol sizes, and recorded guards.

This module holds jitlib's one piece of global state: the active trace (a contextvar).
"""

import contextlib
import contextvars

import numpy as np
import sympy

import ir
from ir import dtypes, shapes
from ir.ops import OPS, Literal
from jitlib import scipy_array_api
from jitlib.errors import DTypeError, ShapeMismatchError, UnsupportedError, user_location
from jitlib.tracer import SymDim, Tracer

_current: contextvars.ContextVar = contextvars.ContextVar("trace", default=None)


def current():
    """The active Trace, or None outside tracing."""
    return _current.get()


class Trace:
    """Builds one ir.Function from a Python function run on Tracers."""

    def __init__(self, name: str, sizes: dict, parent: "Trace | None" = None):
        self.name = name
        self.builder = ir.Builder()
        self.sizes = sizes  # symbol -> the size it has in this trace
        self.guards: list = []
        self.decided: dict = {}  # condition -> its answer (a large gradient asks thousands)
        # A trace nested in another (the function a transform or a loop body traces) takes
        # the outer trace's values it uses as extra parameters: `captured` lists the outer
        # Tracers, in the order of those parameters (after the explicit ones).
        self.parent = parent
        self.captured: list = []
        self._lifted: dict = {}  # id(outer Value) -> the parameter Tracer standing for it
        if parent is None:  # before the user's code runs: scipy's array-API functions trace
            scipy_array_api.install()

    def __call__(self, *args, **kwargs):
        # a traced array's `trace` attribute is this object, so ndarray.trace() lands here
        raise UnsupportedError(
            "the ndarray.trace() method is not supported inside @jit (a traced array's "
            "`trace` attribute is its trace); call np.trace(x, ...) instead"
        )

    def child(self, name: str) -> "Trace":
        """A trace nested in this one, for a function that a transform or control flow
        turns into a sub-Function; its guards go to this trace when it finishes."""
        return Trace(name, self.sizes, parent=self)

    def encloses(self, other: "Trace") -> bool:
        """Whether `other` is nested (at any depth) in this trace."""
        while other is not None:
            if other is self:
                return True
            other = other.parent
        return False

    def lift(self, x: Tracer) -> Tracer:
        """A Tracer of this trace for `x`, a Tracer of an enclosing trace (a closure)."""
        if x.trace is self:
            return x
        if self.parent is None or not x.trace.encloses(self):
            raise UnsupportedError("a traced value escaped its trace (was it stored globally?)")
        outer = self.parent.lift(x)
        found = self._lifted.get(id(outer.value))
        if found is None:
            found = self._lifted[id(outer.value)] = self.param(outer.value.type, outer.weak)
            self.captured.append(outer)
        return found

    @contextlib.contextmanager
    def active(self):
        token = _current.set(self)
        try:
            with shapes.oracle(self.decide):
                yield self
        finally:
            _current.reset(token)

    # --- shapes ---------------------------------------------------------------------
    def decide(self, condition) -> bool:
        """Answer a condition on symbolic sizes from the current sizes; record a guard."""
        condition = sympy.sympify(condition)
        result = self.decided.get(condition)
        if result is not None:  # asked before: answered and guarded already
            return result
        result = bool(condition.subs(self.sizes))
        self.decided[condition] = result
        if condition not in (sympy.true, sympy.false):
            known = any(
                v in self.guards or sympy.Not(v) in self.guards for v in shapes.variants(condition)
            )
            if not known:
                self.guards.append(condition if result else sympy.Not(condition))
        return result

    def current_type(self, type: ir.Type) -> ir.Type:
        """`type` with its dims at the sizes of this trace: what the user's arrays are."""
        dims = tuple(shapes.canon(sympy.sympify(d).subs(self.sizes)) for d in type.shape)
        return ir.Type(type.dtype, dims)

    def concrete(self, expr) -> int:
        """The current int value of a size expression, guarded to stay that value."""
        value = int(sympy.sympify(expr).subs(self.sizes))
        self.decide(sympy.Eq(expr, value))
        return value

    # --- building -------------------------------------------------------------------
    def param(self, type: ir.Type, weak: bool = False) -> Tracer:
        return Tracer(self.builder.param(type), self, weak)

    def bind(self, op: ir.Op, *args: Tracer, weak: bool = False, **params):
        """Apply a primitive to Tracers of this trace; shape errors name the user's line.
        While a nested trace is active, the equation goes there and outer values are lifted
        into it, so code that closes over outer arrays traces into the inner function."""
        inner = _current.get()
        if inner is not None and inner is not self and self.encloses(inner):
            return inner.bind(op, *args, weak=weak, **params)
        args = tuple(a if a.trace is self else self.lift(a) for a in args)
        location = user_location()
        try:
            out = self.builder.bind(op, *[a.value for a in args], source=location, **params)
        except ir.ShapeError as error:
            types = ", ".join(str(self.current_type(a.value.type)) for a in args)
            symbols = set().union(*[shapes.free_symbols(a.value.type.shape) for a in args])
            where = ", ".join(f"{s}={self.sizes[s]}" for s in sorted(symbols, key=str))
            where = f" (here {where})" if where else ""
            kind = DTypeError if isinstance(error, ir.DTypeError) else ShapeMismatchError
            raise kind(f"{op.name}({types}): {error}{where}", location) from None
        if isinstance(out, tuple):
            return tuple(Tracer(v, self, weak) for v in out)
        return Tracer(out, self, weak)

    def constant(self, value, dtype: str | None = None, weak: bool = False) -> Tracer:
        """A scalar or array constant in the IR."""
        array = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
        if array.dtype == object:  # e.g. np.arange(x.shape[0]): sizes become concrete
            items = [int(v) if isinstance(v, SymDim) else v for v in array.ravel().tolist()]
            # int64 when empty too, as numpy's np.arange(0) is (an index, say)
            array = np.array(items, dtype=None if items else np.int64).reshape(array.shape)
        try:
            dtype = dtypes.canonical(array.dtype if dtype is None else dtype)
        except ir.IRError as error:
            raise UnsupportedError(f"constant of dtype {array.dtype}: {error}") from None
        literal = array.item() if array.ndim == 0 else Literal(array)
        return self.bind(OPS["constant"], value=literal, dtype=dtype, weak=weak)

    def dim(self, size) -> Tracer:
        """A (possibly symbolic) size as a weak int scalar."""
        size = size.expr if isinstance(size, SymDim) else size
        if isinstance(size, int):
            return self.constant(size, weak=True)
        return self.bind(OPS["dim"], size=size, weak=True)

    def finish(self, results: list) -> ir.Function:
        if self.parent is not None:
            self.parent.guards.extend(g for g in self.guards if g not in self.parent.guards)
        return self.builder.build(results, self.name, tuple(self.guards))

    def inline(self, fn: ir.Function, args: list) -> list:
        """Bind fn's equations into this trace with `args` (Tracers) for its parameters;
        returns Tracers of its results (weak where the result is a weak argument)."""
        args = [a if a.trace is self else self.lift(a) for a in args]
        weak = {id(p): a.weak for p, a in zip(fn.params, args)}
        results = self.builder.inline(fn, [a.value for a in args])
        return [Tracer(v, self, weak.get(id(r), False)) for v, r in zip(results, fn.results)]
