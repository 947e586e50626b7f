"""Tracer (a traced array standing in for a numpy array) and SymDim (a symbolic size).

A Tracer forwards every operator and method to numpy, whose NEP 13/18 hooks come back to
`__array_ufunc__`/`__array_function__`, which look the callable up in `dispatch.HANDLED`.
"""

import operator

import numpy as np
import sympy

from jitlib import dispatch
from jitlib.errors import ConcretizationError, UnsupportedError


def _unsupported(name: str) -> UnsupportedError:
    return UnsupportedError(
        f"numpy.{name} is not supported inside @jit; eager numpy still works without @jit"
    )


class SymDim:
    """A size known only symbolically (e.g. `s0 * 2`). Arithmetic stays symbolic; Python
    asking for a concrete value (int(), range(), comparisons) gets the current size and
    records a guard, so the cache entry is reused only where the answer is the same."""

    __slots__ = ("expr", "trace")

    def __init__(self, expr, trace):
        self.expr = expr
        self.trace = trace

    @staticmethod
    def wrap(expr, trace):
        expr = sympy.sympify(expr)
        return int(expr) if expr.is_Integer else SymDim(expr, trace)

    def _binary(self, other, fn):
        if isinstance(other, SymDim):
            other = other.expr
        elif isinstance(other, Tracer):
            return NotImplemented  # the Tracer's reflected op keeps the size symbolic (`dim`)
        elif not isinstance(other, int | np.integer):
            return fn(int(self), other)
        return SymDim.wrap(
            fn(self.expr, int(other) if isinstance(other, np.integer) else other), self.trace
        )

    def __add__(self, other):
        return self._binary(other, operator.add)

    def __radd__(self, other):
        return self._binary(other, lambda a, b: b + a)

    def __sub__(self, other):
        return self._binary(other, operator.sub)

    def __rsub__(self, other):
        return self._binary(other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._binary(other, operator.mul)

    def __rmul__(self, other):
        return self._binary(other, lambda a, b: b * a)

    def __floordiv__(self, other):
        return self._binary(other, lambda a, b: sympy.floor(a / b))

    def __rfloordiv__(self, other):
        return self._binary(other, lambda a, b: sympy.floor(b / a))

    def __mod__(self, other):
        return self._binary(other, sympy.Mod)

    def __neg__(self):
        return SymDim.wrap(-self.expr, self.trace)

    def __truediv__(self, other):
        return NotImplemented if isinstance(other, Tracer) else int(self) / other

    def __rtruediv__(self, other):
        return NotImplemented if isinstance(other, Tracer) else other / int(self)

    def __pow__(self, other):
        if isinstance(other, int | np.integer) and other >= 0:
            return SymDim.wrap(self.expr ** int(other), self.trace)
        return int(self) ** other  # d ** -0.5 and the like: a float of the current size

    def __rpow__(self, other):
        return other ** int(self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # np.sqrt(x.shape[-1]): like `/`, a size meeting a float function becomes its current
        # value (guarded). With a traced array among the inputs, the Tracer handles the call.
        if any(isinstance(x, Tracer) for x in (*inputs, *kwargs.get("out", ()))):
            return NotImplemented
        concrete = [int(x) if isinstance(x, SymDim) else x for x in inputs]
        return getattr(ufunc, method)(*concrete, **kwargs)

    def _compare(self, other, relation):
        other = other.expr if isinstance(other, SymDim) else other
        return self.trace.decide(relation(self.expr, other))

    def __eq__(self, other):
        if not isinstance(other, int | np.integer | SymDim):
            return NotImplemented
        return self._compare(other, sympy.Eq)

    def __ne__(self, other):
        if not isinstance(other, int | np.integer | SymDim):
            return NotImplemented
        return not self._compare(other, sympy.Eq)

    def __lt__(self, other):
        return self._compare(other, sympy.Lt)

    def __le__(self, other):
        return self._compare(other, sympy.Le)

    def __gt__(self, other):
        return self._compare(other, sympy.Gt)

    def __ge__(self, other):
        return self._compare(other, sympy.Ge)

    def __hash__(self):
        return hash(self.expr)

    def __index__(self) -> int:
        return self.trace.concrete(self.expr)

    __int__ = __index__

    def __float__(self) -> float:
        return float(int(self))

    def __array__(self, dtype=None, copy=None):
        # numpy's arange finds its dtype by array coercion, which makes an unknown object
        # dtype=object; as a 0-d int64 (guarded) a size gets numpy's int64
        return np.asarray(int(self), dtype=dtype)

    def __repr__(self) -> str:
        return str(self.expr)


class Tracer:
    """A traced array: an IR value plus the trace it belongs to. `weak` marks a Python
    scalar argument, which takes the dtype of what it meets (NEP 50). `place` says which
    memory it shares with other Tracers once it has been viewed or written (see
    jitlib/inplace.py); its value then follows the writes to that memory."""

    __slots__ = ("_value", "trace", "weak", "place")
    __array_priority__ = 1000
    __hash__ = None  # like numpy arrays: mutable-looking, compared elementwise

    def __init__(self, value, trace, weak: bool = False):
        self._value = value
        self.trace = trace
        self.weak = weak
        self.place = None

    @property
    def value(self):
        view = self.place
        if view is not None and view.version != view.storage.version:
            self._value = view.current()
        return self._value

    # --- metadata -----------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return tuple(SymDim.wrap(d, self.trace) for d in self.value.type.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.value.type.dtype)

    @property
    def ndim(self) -> int:
        return self.value.type.ndim

    @property
    def size(self):
        total = 1
        for dim in self.shape:
            total = dim * total
        return total

    def __len__(self) -> int:
        if not self.ndim:
            raise TypeError("len() of a 0-d array")
        return operator.index(self.shape[0])

    def __repr__(self) -> str:
        return f"Tracer({self.value.type})"

    def __getattr__(self, name: str):
        # an ndarray method the tracer lacks (x.cumsum()) is unsupported, not a typo
        if not name.startswith("_") and hasattr(np.ndarray, name):
            raise _unsupported(f"ndarray.{name}")
        raise AttributeError(f"'Tracer' object has no attribute {name!r}")

    def nonzero(self):
        """ndarray.nonzero() is np.nonzero(x): inside @jit, an error that names the sized
        alternative (the result's length depends on the data)."""
        return np.nonzero(self)

    # --- numpy protocols ----------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":  # at, reduce, accumulate, outer, reduceat
            handler = dispatch.HANDLED.get(f"ufunc.{method}")
            if handler is None:
                raise _unsupported(f"{ufunc.__name__}.{method}")
            return handler(ufunc, *inputs, **kwargs)
        fn = dispatch.lookup(ufunc)
        if fn is None:
            raise UnsupportedError(
                f"{dispatch.qualified_name(ufunc)} is not supported inside @jit; eager numpy "
                "still works without @jit"
            )
        return fn(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        fn = dispatch.HANDLED.get(func)
        if fn is None:  # named with its submodule: numpy.fft.fft, not numpy.fft
            module = (getattr(func, "__module__", None) or "numpy").removeprefix("numpy")
            raise _unsupported(f"{module}.{func.__name__}".lstrip("."))
        return fn(*args, **kwargs)

    # the array API's device: numpy's arrays all give "cpu", and jitlib places the data itself
    device = "cpu"

    def __array_namespace__(self, *, api_version=None):
        # the array API standard's hook (array_api_compat, scipy's array-API code):
        # jitlib.numpy.array_api
        return dispatch.HANDLED["__array_namespace__"](api_version)

    def _current_type(self):
        """The type with this trace's sizes (f32[3,4]), as the user knows the array."""
        return self.trace.current_type(self.value.type)

    def _concretize(self, what: str):
        raise ConcretizationError(
            f"{what} of a traced array {self._current_type()} needs its value, which is not known "
            "while tracing. Use np.where(cond, a, b) or jl.cond for data-dependent choices, "
            "or mark the argument static (static_argnums)."
        )

    def __bool__(self):
        self._concretize("branching on the truth value")

    def __dlpack__(self, *args, **kwargs):
        # np.from_dlpack(x) asks for this and does not hand the call to jitlib
        raise UnsupportedError(
            f"np.from_dlpack of a traced array {self._current_type()}: numpy does not hand "
            "the call to jitlib; inside @jit use jitlib.numpy.from_dlpack(x), or x itself"
        )

    def __array__(self, dtype=None, copy=None):
        # numpy calls this, without dispatching, for np.asarray(x)/np.array(x), to index a
        # numpy array with x (table[x]) and to write x into one; all pass the same arguments,
        # so one message names them all
        raise ConcretizationError(
            f"numpy asked for the value of a traced array {self._current_type()}, which is not "
            "known while tracing. numpy asks for it, and does not hand the call to jitlib, in "
            "np.asarray(x), np.array(x), np.float32(x), np.array([x, y]), when a numpy array "
            "is indexed with a traced one (table[x]) and when x is written into a numpy array "
            "(acc[i] = x); none of these can be traced. Instead:\n"
            "  - np.asarray(x), np.array(x), np.float32(x): use x itself, x.astype(dtype) or "
            "jnp.asarray(x) (import jitlib.numpy as jnp)\n"
            "  - np.array([x, y]): use np.stack([x, y])\n"
            "  - table[x], a numpy array indexed with a traced array (numpy's indexing does not "
            "dispatch to jitlib): use jnp.asarray(table)[x], or np.take_along_axis(table, x, "
            "axis=0) for a 1-d table (not np.take, which numpy dispatches on `table` alone)\n"
            "  - acc[i] = x into an array numpy made (np.zeros(shape), np.empty(...)): make it "
            "from a traced array, np.zeros_like(x, shape=...), or with jnp.zeros(shape); then "
            "writes into it are traced"
        )

    def __float__(self):
        self._concretize("float()")

    def __int__(self):
        self._concretize("int()")

    def __index__(self):
        self._concretize("using as an index")

    def item(self):
        self._concretize(".item()")

    def tolist(self):
        self._concretize(".tolist()")

    def __format__(self, spec: str) -> str:
        if not spec:  # f"{x}" shows the tracer, as print(x) does
            return repr(self)
        self._concretize(f"formatting with {spec!r}")

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # --- indexing -----------------------------------------------------------------------
    def __getitem__(self, index):
        return dispatch.HANDLED[operator.getitem](self, index)

    def __setitem__(self, index, value):
        dispatch.HANDLED["setitem"](self, index, value)

    # --- methods ------------------------------------------------------------------------
    @property
    def T(self):
        return np.transpose(self)

    # Methods take numpy's arguments in numpy's order; out=, where=, initial= and the like go
    # on to the numpy function, which refuses them by name (a TypeError would not say why).
    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        # numpy's check, on the dtypes alone (not asked for "unsafe": bfloat16 has no np.dtype)
        if casting != "unsafe" and not np.can_cast(self.dtype, dtype, casting):
            raise TypeError(
                f"Cannot cast array data from {self.dtype!r} to {np.dtype(dtype)!r} according "
                f"to the rule {casting!r}"
            )
        out = dispatch.HANDLED["astype"](self, dtype)
        if out is self and copy:  # a new array, which a write must not share with x
            out = Tracer(self.value, self.trace, self.weak)
        return out

    def reshape(self, *shape, order="C"):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
        return np.reshape(self, shape, order=order)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], tuple | list) else axes
        return np.transpose(self, axes or None)

    def ravel(self, order="C"):
        return np.ravel(self, order)

    def flatten(self, order="C"):
        return np.copy(np.ravel(self, order))  # always a copy, unlike ravel

    def squeeze(self, axis=None):
        return np.squeeze(self, axis)

    def swapaxes(self, a, b):
        return np.swapaxes(self, a, b)

    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        return np.sum(self, axis, dtype, out, keepdims=keepdims, **kwargs)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        return np.mean(self, axis, dtype, out, keepdims=keepdims, **kwargs)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        return np.prod(self, axis, dtype, out, keepdims=keepdims, **kwargs)

    def max(self, axis=None, out=None, keepdims=False, **kwargs):
        return np.max(self, axis, out, keepdims=keepdims, **kwargs)

    def min(self, axis=None, out=None, keepdims=False, **kwargs):
        return np.min(self, axis, out, keepdims=keepdims, **kwargs)

    def argmax(self, axis=None, out=None, keepdims=False):
        return np.argmax(self, axis, out, keepdims=keepdims)

    def argmin(self, axis=None, out=None, keepdims=False):
        return np.argmin(self, axis, out, keepdims=keepdims)

    def argsort(self, axis=-1, kind=None, order=None, *, stable=None):
        return np.argsort(self, axis, kind, order, stable=stable)

    def sort(self, axis=-1, kind=None, order=None, *, stable=None):
        """In place, as numpy's: the sorted array is written into this one."""
        dispatch.HANDLED["ndarray.sort"](self, axis, kind, order, stable=stable)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
        return np.var(self, axis, dtype, out, ddof, keepdims=keepdims, **kwargs)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
        return np.std(self, axis, dtype, out, ddof, keepdims=keepdims, **kwargs)

    def all(self, axis=None, out=None, keepdims=False, **kwargs):
        return np.all(self, axis, out, keepdims=keepdims, **kwargs)

    def any(self, axis=None, out=None, keepdims=False, **kwargs):
        return np.any(self, axis, out, keepdims=keepdims, **kwargs)

    def clip(self, min=None, max=None, **kwargs):
        return np.clip(self, min, max, **kwargs)

    def cumsum(self, axis=None, dtype=None, out=None):
        return np.cumsum(self, axis, dtype, out)

    def cumprod(self, axis=None, dtype=None, out=None):
        return np.cumprod(self, axis, dtype, out)

    def dot(self, other, out=None):
        return np.dot(self, other, out)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return np.diagonal(self, offset, axis1, axis2)

    def view(self, dtype=None, type=None):
        """ndarray.view(): the same memory, as a new array object."""
        if (dtype is not None and np.dtype(dtype) != self.dtype) or type is not None:
            raise _unsupported("ndarray.view with another dtype or type")
        return dispatch.HANDLED["alias"](self)

    def copy(self, order="C"):
        return np.copy(self, order)

    def fill(self, value):
        dispatch.HANDLED["fill"](self, value)


def _operator(ufunc, *operands):
    """Python's operator: the ufunc, except that weak operands alone give a weak result
    (2.0 * 3.0 is a Python float, np.multiply(2.0, 3.0) a float64)."""
    return dispatch.OPERATORS.get(ufunc, ufunc)(*operands)


def _binary(ufunc):
    def forward(self, other):
        return _operator(ufunc, self, other)

    def reflected(self, other):
        return _operator(ufunc, other, self)

    return forward, reflected


_ARITHMETIC = [
    ("add", np.add),
    ("sub", np.subtract),
    ("mul", np.multiply),
    ("truediv", np.divide),
    ("floordiv", np.floor_divide),
    ("mod", np.remainder),
    ("pow", np.power),
    ("matmul", np.matmul),
    ("and", np.bitwise_and),
    ("or", np.bitwise_or),
    ("xor", np.bitwise_xor),
    ("lshift", np.left_shift),
    ("rshift", np.right_shift),
]

for _name, _ufunc in _ARITHMETIC:
    _forward, _reflected = _binary(_ufunc)
    setattr(Tracer, f"__{_name}__", _forward)
    setattr(Tracer, f"__r{_name}__", _reflected)

for _name, _ufunc in [
    ("eq", np.equal),
    ("ne", np.not_equal),
    ("lt", np.less),
    ("le", np.less_equal),
    ("gt", np.greater),
    ("ge", np.greater_equal),
]:
    setattr(Tracer, f"__{_name}__", _binary(_ufunc)[0])


def _in_place(ufunc):
    def update(self, other):
        if self.weak:  # a Python number: `a += b` is `a = a + b`, as weak as Python's
            return _operator(ufunc, self, other)
        return dispatch.HANDLED["augmented"](ufunc, self, other)

    return update


for _name, _ufunc in _ARITHMETIC:
    setattr(Tracer, f"__i{_name}__", _in_place(_ufunc))

Tracer.__neg__ = lambda self: _operator(np.negative, self)
Tracer.__pos__ = lambda self: _operator(np.positive, self)
Tracer.__abs__ = lambda self: _operator(np.absolute, self)
Tracer.__invert__ = lambda self: _operator(np.invert, self)
