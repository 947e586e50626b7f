"""numpy's frompyfunc, traced: a ufunc-like object made from a Python function of scalars.

Called on traced arrays it applies the function elementwise through jl.vmap, as
jitlib.numpy.vectorize does; `reduce` and `accumulate` are left folds with jl.scan, numpy's
own order of operations, and `outer` broadcasts. np.frompyfunc itself gives a ufunc whose
Python function a trace cannot reach, so call jitlib.numpy.frompyfunc inside @jit.

Eagerly (no traced argument) each call is numpy's own, which returns object arrays; under
jit the results have the dtype the function computes in, as JAX's frompyfunc does.

>>> import numpy as np, jitlib as jl, jitlib.numpy as jnp
>>> hypot = jnp.frompyfunc(lambda a, b: np.sqrt(a * a + b * b), 2, 1)
>>> jl.jit(lambda x: (hypot(x, 4.0), hypot.reduce(x)))(np.array([3.0, 4.0]))
(array([5.        , 5.65685425]), array(5.))
"""

import numpy as np

from jitlib import dispatch
from jitlib.errors import UnsupportedError
from jitlib.numpy._core import astype, is_traced, promote, refuse
from jitlib.numpy.numeric import vectorize
from jitlib.numpy.reductions import reduction_axes
from jitlib.numpy.ufunc_methods import _NO_VALUE, _empty, _fold, _front, accumulated, on_pairs


@dispatch.implements(np.frompyfunc)
class frompyfunc:
    """numpy's frompyfunc(func, nin, nout, identity=...): see the module docstring."""

    def __init__(self, func, /, nin, nout, *, identity=_NO_VALUE):
        self.nin, self.nout, self.identity = int(nin), int(nout), identity
        options = {} if identity is _NO_VALUE else {"identity": identity}
        self.eager = np.frompyfunc(func, self.nin, self.nout, **options)
        self.mapped = vectorize(func)
        self.__name__ = self.eager.__name__

    def __call__(self, *args):
        if len(args) != self.nin:
            raise TypeError(f"{self.__name__} takes {self.nin} arguments, got {len(args)}")
        if not is_traced(args):
            return self.eager(*args)
        out = self.mapped(*args)
        results = out if isinstance(out, tuple) else (out,)
        if len(results) != self.nout:
            raise ValueError(
                f"{self.__name__}: the function returned {len(results)} values, nout is {self.nout}"
            )
        return out

    def _binary(self, method: str) -> None:
        if self.nin != 2 or self.nout != 1:
            raise ValueError(f"{method} only supported for binary functions")

    def _identity(self, initial):
        """The value an empty fold gives: `initial`, else the identity; numpy raises
        where there is neither."""
        value = self.identity if initial is _NO_VALUE else initial
        if value is _NO_VALUE or value is None:
            raise ValueError(
                f"zero-size array to reduction operation {self.__name__} which has no identity"
            )
        return value

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False, initial=_NO_VALUE):
        self._binary("reduce")
        if not is_traced((array,)):
            options = {} if initial is _NO_VALUE else {"initial": initial}
            return self.eager.reduce(array, axis, dtype, out, keepdims, **options)
        refuse(f"{self.__name__}.reduce", {"out=": out is not None})
        _, (x,), _ = promote(array)
        if dtype is not None:
            x = astype(x, dtype, f"{self.__name__}.reduce")
        axes = reduction_axes(x, axis)
        if len(axes) > 1:  # numpy's reduce of a Python function folds one axis only
            raise ValueError(
                f"reduction operation '{self.__name__}' is not reorderable, so at most one "
                "axis may be specified"
            )
        moved = _front(x, axes)
        identity = self._identity(initial) if _empty(moved, 0) else None
        result = _fold(self.mapped, moved, initial, False, identity)
        if keepdims:
            result = np.reshape(result, [1 if i in axes else d for i, d in enumerate(x.shape)])
        return result

    def accumulate(self, array, axis=0, dtype=None, out=None):
        self._binary("accumulate")
        if not is_traced((array,)):
            return self.eager.accumulate(array, axis, dtype, out)
        refuse(f"{self.__name__}.accumulate", {"out=": out is not None})
        _, (x,), _ = promote(array)
        if dtype is not None:
            x = astype(x, dtype, f"{self.__name__}.accumulate")
        return accumulated(self.mapped, x, int(axis) % max(x.ndim, 1))

    def outer(self, a, b):
        self._binary("outer")
        if not is_traced((a, b)):
            return self.eager.outer(a, b)
        _, (a, b), _ = promote(a, b)
        return on_pairs(self.mapped, a, b)

    def at(self, *args, **kwargs):
        raise UnsupportedError(
            f"{self.__name__}.at is not supported inside @jit; write the update with "
            "np.where or an index assignment"
        )

    def reduceat(self, *args, **kwargs):
        raise UnsupportedError(
            f"{self.__name__}.reduceat is not supported inside @jit; reduce each piece with "
            f"{self.__name__}.reduce"
        )
