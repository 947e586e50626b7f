"""stop_gradient: x itself, with a zero derivative under every transform (jl.stop_gradient).

The transforms see it (its tangent and cotangent are zero, vmap keeps it), and simplify
drops it once they are done, so code generators never do: it costs nothing at run time.
"""

import numpy as np

from ir.core import Type
from ir.ops import rules
from ir.ops.table import Op


def _identity_shape(x: Type) -> Type:
    return x


def stop_gradient(x):
    """x (a copy: the result is a value of its own, as every op's that is not a view)."""
    return np.array(x, copy=True)


OPS = [
    Op(
        name="stop_gradient",
        shape=_identity_shape,
        impl=stop_gradient,
        jvp=rules.no_jvp,
        vjp=rules.no_vjp,
        batch=rules.elementwise_batch,
        tags=frozenset({"elementwise"}),
    )
]
