"""Shared by jitlib.numpy: registering functions, eager fallback, NEP 50 promotion."""

import functools

import numpy as np

import ir
from ir import dtypes
from ir.ops import OPS
from jitlib import dispatch, trace
from jitlib.errors import UnsupportedError
from jitlib.tracer import SymDim, Tracer

PYTHON_SCALARS = (bool, int, float)
_KIND_EXAMPLE = {"bool": True, "int64": 1, "float64": 1.0}


def is_traced(x) -> bool:
    if isinstance(x, Tracer | SymDim):
        return True
    if isinstance(x, list | tuple):
        return any(is_traced(item) for item in x)
    return False


# creation functions trace even without traced arguments (they check for an active trace);
# asarray too, so that jnp.asarray(table) of a numpy array can be indexed with a traced one
_CREATION = {np.zeros, np.ones, np.full, np.arange, np.eye, np.empty, np.asarray}


def function(*numpy_functions):
    """Register as jitlib's version of these numpy callables. Called without any traced
    argument it simply runs the first of them eagerly (so jitlib.numpy works as numpy)."""

    def register(fn):
        eager = numpy_functions[0] if numpy_functions else None

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            traced = is_traced(args) or is_traced(tuple(kwargs.values()))
            if not traced and eager is not None and eager not in _CREATION:
                return eager(*args, **kwargs)
            out = fn(*args, **kwargs)
            if eager is not np.asarray and any(out is a for a in args):
                # numpy hands back a new array (np.positive(x), x.astype(x.dtype)): a write
                # to it must not reach x
                return Tracer(out.value, out.trace, out.weak)
            return out

        return dispatch.implements(*numpy_functions)(wrapper)

    return register


def trace_of(*args) -> "trace.Trace":
    """The trace an operation on `args` goes to: the active trace when the arguments'
    traces enclose it (closures in a transformed function or loop body), else theirs."""
    active = trace.current()
    found = _first_trace(args)
    if found is None or (active is not None and found.encloses(active)):
        return active
    return found


def _first_trace(args):
    for x in args:
        if isinstance(x, Tracer):
            return x.trace
        if isinstance(x, list | tuple):
            found = _first_trace(x)
            if found is not None:
                return found
    return None


def as_tracer(x, trace_, dtype: str | None = None) -> Tracer:
    """A Tracer for x: Tracers pass through, everything else becomes a constant."""
    if isinstance(x, Tracer):
        if x.trace is not trace_:
            x = trace_.lift(x)  # a value of an enclosing trace; anything else is an error
        return x if dtype is None or x.value.type.dtype == dtype else astype(x, dtype)
    if isinstance(x, SymDim):
        return trace_.dim(x) if dtype is None else astype(trace_.dim(x), dtype)
    if isinstance(x, complex | np.complexfloating):
        raise UnsupportedError("complex numbers are not supported")
    if dtype is None and _is_python_scalar(x):
        return trace_.constant(x, dtypes.python_scalar_dtype(x), weak=True)
    return trace_.constant(x, dtype)


def _is_python_scalar(x) -> bool:
    # type(), not isinstance(): np.float64 subclasses float but is strong under NEP 50
    return type(x) in PYTHON_SCALARS


def _weak(x) -> bool:
    return _is_python_scalar(x) or isinstance(x, SymDim) or (isinstance(x, Tracer) and x.weak)


def _fits(value: int, dtype: str) -> bool:
    info = np.iinfo(dtype)
    return info.min <= value <= info.max


def promote(*args, exact: bool = False, operator: bool = False):
    """NEP 50: Python scalars (and weak tracers) take the dtype of the strong operands.
    With `exact` (comparisons), a Python int outside an integer dtype's range is compared
    exactly, as numpy 2 does, instead of overflowing.
    Returns (trace, tracers, weak) where `weak` says the result is itself weak: only for
    Python's operators (`operator`) on weak operands alone, as 2.0 * 3.0 is a Python
    float; a numpy function of them is strong, of numpy's default dtype (np.log(2.0) is a
    float64)."""
    trace_ = trace_of(*args)
    strong = {i: as_tracer(x, trace_) for i, x in enumerate(args) if not _weak(x)}
    if not strong:
        return trace_, [as_tracer(x, trace_) for x in args], operator
    common = np.result_type(*[np.dtype(dtype_name(t)) for t in strong.values()])
    tracers = []
    for i, x in enumerate(args):
        if i in strong:  # each operand becomes a tracer (a constant, maybe) exactly once
            tracers.append(strong[i])
            continue
        example = x if _is_python_scalar(x) else _example(x, trace_)
        target = dtypes.canonical(np.result_type(common, example))
        if exact and dtypes.is_int(target):
            target = _exact_int_dtype(x, example, target)
        tracers.append(as_tracer(x, trace_, target))
    return trace_, tracers, False


def _exact_int_dtype(x, example, target: str) -> str:
    """The dtype a weak operand is compared in against integers of dtype `target`: a Python
    int that does not fit it keeps its value (numpy 2 compares it exactly). The value of a
    traced int (an int argument, a size) is known only when called: int64, where it fits."""
    if type(x) is int:
        return target if _fits(x, target) else "int64" if _fits(x, "int64") else "float64"
    return "int64" if type(example) is int else target


def _example(x, trace_):
    kind = "int64" if isinstance(x, SymDim) else as_tracer(x, trace_).value.type.dtype
    return _KIND_EXAMPLE[kind]


def dtype_name(x: Tracer) -> str:
    dtype = x.value.type.dtype
    return "float32" if dtype == "bfloat16" else dtype


def astype(x: Tracer, dtype, op: str = "") -> Tracer:
    """x converted to dtype; `op` names the numpy function asked for it, for the error."""
    dtype = canonical_dtype(dtype, op)
    if x.value.type.dtype == dtype:
        return x
    return x.trace.bind(OPS["convert"], x, dtype=dtype)


def index_array(index, trace_, what: str) -> Tracer:
    """An integer array used as indices, as numpy uses it: converted to intp (int64), so
    arithmetic on it (wrapping negatives, flat offsets) neither overflows a narrow dtype
    nor promotes uint64 to float64. `what` names the numpy function, for the error."""
    index = as_tracer(index, trace_)
    dtype = index.value.type.dtype
    if not dtypes.is_int(dtype):
        raise UnsupportedError(f"{what} needs integer indices, got {dtype}")
    return astype(index, "int64")


def checked(x: Tracer, bad, message: str) -> Tracer:
    """x, once the run has found no True in `bad`; else the call raises jl.ValueCheckError
    (a ValueError) with `message`. For where numpy raises because of the values."""
    return x.trace.bind(OPS["check"], x, as_tracer(bad, x.trace), message=message)


def same_dtype(tracers: list) -> list:
    """The tracers converted to numpy's common dtype, for ops whose inputs share one dtype
    (select, concatenate), where promote() leaves strong operands as they are."""
    if len({t.value.type.dtype for t in tracers}) <= 1:
        return list(tracers)
    target = canonical_dtype(np.result_type(*[np.dtype(dtype_name(t)) for t in tracers]))
    return [astype(t, target) for t in tracers]


def refuse(name: str, given: dict) -> None:
    """Raise for numpy.`name` called with arguments jit does not take: `given` maps each
    argument as the message shows it (`out=`, `order='F'`) to whether it was passed."""
    passed = [text for text, present in given.items() if present]
    if passed:
        raise UnsupportedError(
            f"numpy.{name} with {', '.join(passed)} is not supported inside @jit; "
            "eager numpy still works without @jit"
        )


def canonical_dtype(dtype, op: str = "") -> str:
    if dtype is float or dtype is int or dtype is bool:  # `in` would match np.dtype("int64")
        dtype = {float: "float64", int: "int64", bool: "bool"}[dtype]
    try:
        return dtypes.canonical(dtype)
    except ir.IRError as error:
        raise UnsupportedError(f"numpy.{op}: {error}" if op else str(error)) from None


def bind(op_name: str, *args, operator: bool = False, **params) -> Tracer:
    """Promote `args` as numpy would and apply the primitive `op_name` (for a Python
    `operator`, weak operands alone give a weak result; see promote)."""
    op = OPS[op_name]
    trace_, tracers, weak = promote(*args, exact="comparison" in op.tags, operator=operator)
    return trace_.bind(op, *tracers, weak=weak, **params)


def dims(shape) -> tuple:
    """A user's shape (ints, SymDims, numpy ints) as IR dims."""
    if isinstance(shape, int | np.integer | SymDim):
        shape = (shape,)
    out = []
    for d in shape:
        if isinstance(d, SymDim):
            out.append(d.expr)
        elif isinstance(d, int | np.integer):
            out.append(int(d))
        else:
            raise UnsupportedError(f"shape entries must be ints or sizes of arrays, got {d!r}")
    return tuple(out)
