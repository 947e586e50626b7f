"""jitlib: a tracing JIT from plain numpy code to fused kernels.

>>> import numpy as np, jitlib as jl
>>> double = jl.jit(lambda x: x * 2)
>>> double(np.arange(3))
array([0, 2, 4])
"""

from jitlib import numpy  # noqa: F401  (fills the numpy dispatch table)
from jitlib.api import Compiled, JitFunction, Lowered, jit, make_ir, trace_counts
from jitlib.control import cond, fori_loop, scan, while_loop
from jitlib.custom import custom_jvp, custom_vjp, stop_gradient
from jitlib.errors import (
    AliasingError,
    ArgumentError,
    ConcretizationError,
    ControlFlowError,
    DTypeError,
    IndexOutOfBoundsError,
    JitError,
    ShapeMismatchError,
    TransformError,
    UnsupportedError,
    ValueCheckError,
)
from jitlib.export import Exported, export
from jitlib.pytree import tree_flatten, tree_map, tree_unflatten
from jitlib.transforms import grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp, vmap

__version__ = "0.1.0"

__all__ = [
    "AliasingError",
    "ArgumentError",
    "Compiled",
    "ConcretizationError",
    "ControlFlowError",
    "DTypeError",
    "IndexOutOfBoundsError",
    "JitError",
    "JitFunction",
    "Lowered",
    "ShapeMismatchError",
    "TransformError",
    "UnsupportedError",
    "ValueCheckError",
    "cond",
    "custom_jvp",
    "custom_vjp",
    "grad",
    "hessian",
    "jacfwd",
    "jacrev",
    "fori_loop",
    "jvp",
    "scan",
    "stop_gradient",
    "value_and_grad",
    "vjp",
    "vmap",
    "while_loop",
    "jit",
    "make_ir",
    "export",
    "Exported",
    "trace_counts",
    "tree_flatten",
    "tree_map",
    "tree_unflatten",
]
