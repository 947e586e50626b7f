"""np.gradient: second-order central differences inside, one-sided ones at the ends, on
uniform (scalar) or coordinate-array spacings, as a composite of slices and arithmetic."""

import numpy as np

from ir.shapes import dims_equal as shapes_equal
from jitlib.numpy._core import astype, function, promote
from jitlib.numpy.arrange import _along, diff
from jitlib.numpy.layout import _axis, concatenate, reshape
from jitlib.tracer import Tracer


def _tracer(x) -> Tracer:
    return promote(x)[1][0]


def _spacing(spacing, n):
    """A scalar spacing (a strong float64, as numpy's 0-d array of it is; None: the weak
    default 1.0), or the differences of a coordinate array of length n as float64."""
    if spacing is None:
        return None, 1.0
    if np.ndim(spacing) == 0:
        return None, np.float64(spacing) if not isinstance(spacing, Tracer) else spacing
    coordinates = _tracer(spacing)
    if coordinates.ndim != 1:
        raise ValueError("distances must be either scalars or 1d")
    if not shapes_equal(coordinates.value.type.shape[0], n):
        raise ValueError("when 1d, distances must match the length of the corresponding dimension")
    if not np.issubdtype(coordinates.dtype, np.inexact):
        coordinates = astype(coordinates, "float64")
    return diff(coordinates), None


def _gradient_along(f, axis: int, spacing, edge_order: int):
    """numpy's second-order central differences inside, one-sided ones of `edge_order`
    at the two ends; uniform steps where `spacing` is a scalar, else the non-uniform
    three-point formulas (Fornberg's weights) in the steps dx1, dx2 either side."""
    n = f.shape[axis]
    if n < edge_order + 1:
        raise ValueError(
            "Shape of array too small to calculate a numerical gradient, "
            "at least (edge_order + 1) elements are required."
        )
    steps, h = _spacing(spacing, f.value.type.shape[axis])

    def part(start, stop=None):
        return f[_along(f, axis, slice(start, stop))]

    def line(d):  # a 1-d run of steps laid along `axis`
        shape = [1] * f.ndim
        shape[axis] = d.shape[0]
        return reshape(d, tuple(shape))

    if steps is None:
        inside = (part(2) - part(None, -2)) / (2.0 * h)
        if edge_order == 1:
            first, last = (part(1, 2) - part(0, 1)) / h, (part(-1) - part(-2, -1)) / h
        else:
            first = -1.5 / h * part(0, 1) + 2.0 / h * part(1, 2) - 0.5 / h * part(2, 3)
            last = 0.5 / h * part(-3, -2) - 2.0 / h * part(-2, -1) + 1.5 / h * part(-1)
        return concatenate([first, inside, last], axis=axis)
    dx1, dx2 = line(steps[:-1]), line(steps[1:])
    a = -dx2 / (dx1 * (dx1 + dx2))
    b = (dx2 - dx1) / (dx1 * dx2)
    c = dx1 / (dx2 * (dx1 + dx2))
    inside = a * part(None, -2) + b * part(1, -1) + c * part(2)
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / line(steps[:1])
        last = (part(-1) - part(-2, -1)) / line(steps[-1:])
        return concatenate([first, inside, last], axis=axis)
    d1, d2 = line(steps[:1]), line(steps[1:2])
    first = (
        -(2.0 * d1 + d2) / (d1 * (d1 + d2)) * part(0, 1)
        + (d1 + d2) / (d1 * d2) * part(1, 2)
        - d1 / (d2 * (d1 + d2)) * part(2, 3)
    )
    d1, d2 = line(steps[-2:-1]), line(steps[-1:])
    last = (
        d2 / (d1 * (d1 + d2)) * part(-3, -2)
        - (d2 + d1) / (d1 * d2) * part(-2, -1)
        + (2.0 * d2 + d1) / (d2 * (d1 + d2)) * part(-1)
    )
    return concatenate([first, inside, last], axis=axis)


@function(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """numpy's gradient: one array per axis (a tuple when there are several), in f's float
    dtype (float64 for integers)."""
    f = _tracer(f)
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    axes = list(range(f.ndim)) if axis is None else axis
    axes = [_axis(a, f.ndim, "gradient") for a in ((axes,) if isinstance(axes, int) else axes)]
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    if not varargs:
        spacings = [None] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError("invalid number of arguments")
    dtype = f.dtype if np.issubdtype(f.dtype, np.inexact) else np.dtype("float64")
    f = astype(f, dtype)
    out = [astype(_gradient_along(f, a, s, edge_order), dtype) for a, s in zip(axes, spacings)]
    return out[0] if len(out) == 1 else tuple(out)
