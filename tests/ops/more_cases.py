"""Op cases for more elementwise, layout and numeric functions (angle conversions, fmod,
frexp, insert/delete, rot90, interp, convolve, gradient, ...). Lengths numpy needs as ints
(a polynomial's degree, a kernel's length) come from a fixed slice such as p[:3], so a
second size of the other dims reuses the trace."""

import numpy as np

import jitlib.numpy as jnp
from ops.cases import INTS, OpCase

F32 = ("float32",)  # rules run in float64 whatever the case's dtypes
SMALL = (((2, 3),), ((),))
PAIRS = (((2, 3), (2, 3)), ((3, 1), (1, 4)))
XP = np.array([-2.0, -0.5, 0.0, 1.0, 2.5])  # increasing sample points for interp


def _cos_sq(x):
    return np.cos(x) ** 2


def _scaled_row(r):
    return r[1:] * r.sum()


def _where_product(a, b):
    return np.where(a > b, a * b, a - b)


def _affine(a, k):
    return a * k[0] + k[-1]


def _complex_helpers(x):
    parts = (np.real(x), np.imag(x), np.conj(x), np.conjugate(x), np.real_if_close(x))
    kinds = (np.isreal(x), np.iscomplex(x), x * np.isrealobj(x) - np.iscomplexobj(x))
    return parts + kinds + (np.angle(x), np.angle(x, deg=True))


def _inserts(x, v):
    appended = (np.append(x, v), np.append(x, x[:, :1], axis=1))
    at_int = (np.insert(x, 2, 7.5, axis=0), np.insert(x, -1, v, axis=1))
    at_many = (np.insert(x, [3, 0, 3, -1], v), np.insert(x, slice(0, 2), v[:3], axis=0))
    return appended + at_int + at_many


def _deletes(x):
    mask = np.array([True, False, True, False])
    return (
        np.delete(x, 1, axis=0),
        np.delete(x, [0, 2, 2], axis=1),
        np.delete(x, [-1, 1]),
        np.delete(x[:4], mask, axis=0),
    )


def _flips(x):
    turns = (np.rot90(x), np.rot90(x, 2), np.rot90(x, -1, axes=(1, 0)), np.rot90(x, 4))
    return (np.flipud(x), np.fliplr(x)) + turns


def _stacks(x, y):
    columns = (np.column_stack([x, y, x]), np.column_stack((np.stack([x, y], 1), y)))
    return columns + (np.dstack([x, y]), jnp.row_stack([x, y]), *np.atleast_3d(x, y[0], x[None]))


def _splits(x):
    uneven = (*np.array_split(x[:5], 3, axis=0), *np.array_split(x, [1, 3], axis=1))
    by_axis = (*np.hsplit(x, [1]), *np.vsplit(x, [2]), *np.dsplit(x, [1]))
    rolled = (np.rollaxis(x, 2), np.rollaxis(x, 0, 3), np.rollaxis(x, -1, -2))
    return uneven + by_axis + rolled


def _takes(x, i):
    return (
        np.take(x, i - 2, axis=0, mode="clip"),
        np.take(x, i * 3 - 7, mode="wrap"),
        np.take(x, [-3, 0, 9], axis=-1, mode="clip"),
    )


def _chooses(i, x, y):
    return (
        np.choose(i % 2, [x, y]),
        np.choose(i - 3, [x, y, -1.5], mode="clip"),
        np.choose(i - 3, (x, y), mode="wrap"),
    )


def _selects(x, y):
    return (
        np.select([x > 1, y < 0], [x * y, np.sin(y)], 0.5),
        np.select([x > 0], [x]),
        np.piecewise(x, [x < 0, x > 1], [_cos_sq, 2.5, lambda t: t * 3.0]),
        np.piecewise(x, [x < 0.5, x >= 0.5], [np.sin, np.exp]),
    )


def _interps(x, xp, fp):
    traced_xp = np.cumsum(np.abs(xp)) - 2.0
    return (
        np.interp(x, XP, fp[:5]),
        np.interp(x, traced_xp, fp, left=-9.0, right=9.0),
        np.interp(x, XP, fp[:5], period=3.0),
    )


def _convolutions(a, v):
    """Kernels of fixed lengths (v[:3], v[:2]) on both sides of the signal, every mode."""
    convolved = (
        np.convolve(a, v[:3]),
        np.convolve(a, v[:2], "same"),
        np.convolve(v[:3], a, "valid"),
    )
    correlated = (
        np.correlate(a, v[:3]),
        np.correlate(v[:3], a, "full"),
        np.correlate(a, v[:2], "same"),
    )
    return convolved + correlated + (np.convolve(v[:3], a[:5], "same"),)


def _trapezoids(y, x):
    return np.trapezoid(y), np.trapezoid(y, x, axis=0), np.trapezoid(y, dx=0.25, axis=0)


def _gradients(f, x):
    coordinates = np.cumsum(np.abs(x) + 0.5)
    return np.gradient(f, 2.0, coordinates)


def _gradients_order2(f):
    """Integer samples (float64 results, no derivative to check): the second-order edges."""
    coordinates = np.cumsum(np.abs(f) + 0.5)
    return np.gradient(f, edge_order=2), np.gradient(f, coordinates, edge_order=2)


def _differences(x, y):
    return (
        np.diff(x, prepend=0.5, append=y),
        np.diff(x, n=2, axis=0, prepend=x[:1]),
        np.ediff1d(x, to_end=[2, -1], to_begin=3),
        np.cumulative_sum(x, axis=0, include_initial=True),
        np.cumulative_prod(x[0], include_initial=True),
        np.cumulative_sum(x, axis=-1, dtype=np.float64),
    )


def _mapped(x, y):
    return (
        np.apply_along_axis(_scaled_row, 0, x),
        np.apply_along_axis(np.max, -1, x),
        jnp.vectorize(_where_product)(x, y),
        jnp.vectorize(_affine, excluded={1}, otypes=[np.float64])(x, y[0]),
        jnp.vectorize(np.outer, signature="(n),(m)->(n,m)")(x, y[0, :2]),
    )


# fmt: off
CASES = [
    # --- elementwise ----------------------------------------------------------------------
    OpCase(name="angle_units", fn=lambda x: (np.rad2deg(x), np.degrees(x), np.deg2rad(x), np.radians(x)), primitive="multiply", dtypes=("float32", "int32"), shapes=SMALL),
    OpCase(name="sinc", fn=np.sinc, primitive=("sin", "divide"), domain="int", dtypes=("float32", "int32"), shapes=SMALL[:1]),
    OpCase(name="logaddexp2", fn=lambda x, y: (np.logaddexp2(x, y), np.logaddexp2(x, x[..., ::-1])), primitive=("exp2", "log1p"), dtypes=F32, shapes=PAIRS[:1]),
    OpCase(name="heaviside", fn=np.heaviside, primitive="select", domain=("int", "real"), dtypes=F32, shapes=PAIRS),
    OpCase(name="divmod_fmod", fn=lambda x, y: (*np.divmod(x, y), np.fmod(x, y), np.fmod(x, -1.5)), primitive=("floor_divide", "remainder", "fmod"), domain=("real", "nonzero_int"), dtypes=("float32", "int32"), shapes=PAIRS),
    OpCase(name="modf_frexp_ldexp", fn=lambda x, i: (*np.modf(x), *np.frexp(x), np.ldexp(x, i), np.ldexp(x, 3)), primitive=("trunc", "copysign", "frexp", "ldexp"), domain=("real", "int"), dtypes=(("float32", "int32"), ("float64", "int64")), shapes=PAIRS[:1] + (((), ()),)),
    OpCase(name="float_power_nextafter", fn=lambda x, y: (np.float_power(x, y), np.nextafter(x, y), np.spacing(y)), primitive=("power", "nextafter", "spacing"), domain=("positive", "real"), dtypes=("float32",), shapes=PAIRS[:1]),
    OpCase(name="gcd_lcm", fn=lambda x, y: (np.gcd(x, y), np.lcm(x, y)), primitive=("gcd", "lcm"), domain="int", dtypes=INTS, shapes=PAIRS[1:]),
    OpCase(name="complex_helpers", fn=_complex_helpers, primitive=("signbit", "select"), dtypes=("float32", "int32"), shapes=SMALL),
    # --- construction and layout ----------------------------------------------------------
    OpCase(name="meshgrid", fn=lambda x, y, z: (*np.meshgrid(x, y), *np.meshgrid(x, y, z, indexing="ij", sparse=True, copy=False), *np.meshgrid(x, y, z)), primitive=("reshape", "broadcast_to"), dtypes=F32, shapes=(((3,), (2,), (4,)),)),
    OpCase(name="indices", fn=lambda x: (jnp.indices(x.shape, dtype=np.int32), jnp.indices(x.shape, sparse=True)[1] * x), primitive=("iota", "concatenate"), dtypes=F32, shapes=(((2, 3),),)),
    OpCase(name="append_insert", fn=_inserts, primitive="concatenate", dtypes=F32, shapes=(((4, 3), (4,)),)),
    OpCase(name="delete", fn=_deletes, primitive=("slice", "concatenate"), dtypes=F32, shapes=(((5, 6),),)),
    OpCase(name="flips_rot90", fn=_flips, primitive=("flip", "transpose"), dtypes=F32, shapes=(((2, 3, 2),),)),
    OpCase(name="stacks", fn=_stacks, primitive="concatenate", dtypes=F32, shapes=(((3,), (3,)),)),
    OpCase(name="splits_rollaxis", fn=_splits, primitive=("slice", "transpose"), dtypes=F32, shapes=(((6, 4, 3),),)),
    OpCase(name="take_modes", fn=_takes, primitive=("take", "remainder"), domain=("real", "shift"), dtypes=(("float32", "int32"),), shapes=(((4, 3), (5,)),)),
    OpCase(name="choose", fn=_chooses, primitive="take_along_axis", domain=("shift", "real", "real"), dtypes=F32, shapes=(((2, 3), (2, 3), (3,)),)),
    # --- numeric helpers ------------------------------------------------------------------
    OpCase(name="select_piecewise", fn=_selects, primitive="select", dtypes=F32, shapes=(((2, 3), (2, 3)),)),
    OpCase(name="interp", fn=_interps, primitive=("take", "select"), dtypes=("float64",), shapes=(((2, 3), (6,), (6,)),)),
    OpCase(name="convolve_correlate", fn=_convolutions, primitive=("pad", "flip"), dtypes=F32, shapes=(((6,), (4,)),)),
    OpCase(name="trapezoid", fn=_trapezoids, primitive="sum", dtypes=F32, shapes=(((4, 3), (4,)),)),
    OpCase(name="polyval", fn=lambda p, x: np.polyval(p[:3], x), primitive="multiply", dtypes=("float32", "int32"), shapes=(((4,), (2, 3)),)),
    OpCase(name="polyfit", fn=lambda x, y, w: (np.polyfit(x, y, 2), np.polyfit(x, y[:, None] * w, 1, w=np.abs(w) + 0.5)), primitive=("power", "svd"), dtypes=F32, shapes=(((6,), (6,), (6,)),)),
    OpCase(name="gradient", fn=_gradients, primitive="concatenate", dtypes=F32, shapes=(((4, 5), (5,)),)),
    OpCase(name="gradient_order2", fn=_gradients_order2, primitive="concatenate", dtypes=("int32",), shapes=(((5,),),)),
    OpCase(name="diff_ediff1d_cumulative", fn=_differences, primitive=("concatenate", "cumsum", "cumprod"), dtypes=("float32", "int32"), shapes=(((3, 4), (3, 1)),)),
    OpCase(name="apply_along_axis_vectorize", fn=_mapped, primitive=("sum", "max", "select"), dtypes=F32, shapes=(((3, 4), (3, 4)),)),
]
# fmt: on
