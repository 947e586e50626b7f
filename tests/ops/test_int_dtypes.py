"""Every integer op case in numpy's other integer dtypes (int8, int16 and the unsigned
ones), on both backends, against eager numpy.

The table's cases try int32 and int64; this walk puts numpy's other integer dtypes in their place
(where a case mixes dtypes, only the integer ones are replaced). The bugs it was written
for were of one class, code that named the integer dtypes it knew: a mean that summed
uint64 in uint64 (numpy sums integers in float64), index arithmetic done in the indices'
own dtype (uint64 + int64 is float64; 300 does not fit in uint8), numpy.linalg's common
dtype (uint8 with float32 is float64 there), and Triton's floor division testing an
unsigned divisor against -1. Regressions for each are named below.
"""

import warnings

import numpy as np
import pytest

import jitlib as jl
from ops.cases import CASES, INTS, OTHER_INTS
from ops.test_forward import _id, assert_matches, check_jitted, make_args

# the numpy backend walks a narrow and a wide dtype of each signedness (int16 and uint16
# behave as their 8-bit neighbours: the suite's time is better spent elsewhere); Triton's
# interpreter a narrow signed and a wide unsigned one
NUMPY_DTYPES = ("int8", "uint8", "uint32", "uint64")
TRITON_DTYPES = ("int8", "uint64")
# stacks of matrices built from wrapped negative entries (4e9 in uint32) are too badly
# conditioned for the float tolerances; their signed forms are walked
MATRIX_DOMAINS = ("spd", "wellcond")
# isin's kind='table' allocates a table over the values' range, which for unsigned inputs
# holding wrapped negatives (2**32 - 5) numpy takes seconds and gigabytes to build, or for
# uint64 refuses ("Maximum allowed dimension exceeded"); jit, which cannot see the values,
# compares. The reference is numpy's on the values in the signed dtype of the same width:
# membership depends on equality alone, which the wrap keeps.
TABLE_RANGES = {"isin_invert"}


def _substituted(case, dtype: str):
    """Each dtype entry of the case with its int32/int64 replaced by `dtype`, once."""
    seen = set()
    for entry in case.dtypes:
        names = (entry,) if isinstance(entry, str) else entry
        if not any(name in INTS for name in names):
            continue
        new = tuple(dtype if name in INTS else name for name in names)
        new = new[0] if isinstance(entry, str) else new
        if new not in seen:
            seen.add(new)
            yield new


def _params(dtypes):
    for case in CASES:
        domains = (case.domain,) if isinstance(case.domain, str) else case.domain
        for dtype in dtypes:
            if dtype.startswith("u") and set(domains) & set(MATRIX_DOMAINS):
                continue
            for entry in _substituted(case, dtype):
                shapes = case.shapes[0]
                yield pytest.param(case, entry, shapes, id=f"{case.name}-{_id(entry, shapes)}")


def _eager(case, args):
    """numpy's results, or the exception numpy raises (NEP 50 refuses -2 for a uint8, and
    an index that wraps to 254 is out of bounds)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return case.fn(*[a.copy() for a in args])
        except Exception as error:
            return error


def _check(case, args, backend: str) -> None:
    if case.name in TABLE_RANGES and args[0].dtype.kind == "u":
        expected = case.fn(*[a.astype(a.dtype.name[1:]) for a in args])  # uint32 -> int32
        np.testing.assert_array_equal(jl.jit(case.fn, backend=backend)(*args), expected)
        return
    expected = _eager(case, args)
    if not isinstance(expected, Exception):
        if backend == "numpy":
            check_jitted(case, args)  # also: inputs untouched, results not aliased
        else:
            assert_matches(jl.jit(case.fn, backend=backend)(*args), expected)
        return
    # where numpy raises, so does jit, with the same class of error (jitlib's are subclasses)
    with pytest.raises(type(expected)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jl.jit(case.fn, backend=backend)(*args)


@pytest.mark.parametrize("case, dtype, shapes", list(_params(NUMPY_DTYPES)))
def test_numpy_backend(case, dtype, shapes):
    _check(case, make_args(case, dtype, shapes), "numpy")


@pytest.mark.parametrize("case, dtype, shapes", list(_params(TRITON_DTYPES)))
def test_triton_backend(case, dtype, shapes):
    _check(case, make_args(case, dtype, shapes), "triton")


def test_walk_reaches_every_dtype():
    """The walk is not empty for any dtype: the table keeps integer cases."""
    for dtype in OTHER_INTS:
        assert len(list(_params((dtype,)))) > 50, dtype


# --- named regressions --------------------------------------------------------------------
def test_mean_of_uint64_sums_in_float64():
    x = np.array([[1, 2**64 - 5, 3], [2**63, 7, 9]], dtype=np.uint64)
    for f in (np.mean, lambda x: np.mean(x, axis=0), np.var, np.std):
        np.testing.assert_allclose(jl.jit(f)(x), f(x), rtol=1e-12)


def test_uint64_and_uint8_indices_are_intp():
    x = np.arange(10.0)
    big = np.array([2**64 - 5, 3], dtype=np.uint64)  # numpy reads it as intp: -5
    np.testing.assert_array_equal(jl.jit(lambda x, i: x[i])(x, big), x[big])
    np.testing.assert_array_equal(jl.jit(np.take)(x, big), np.take(x, big))
    small = np.array([1, 250], dtype=np.uint8)
    for mode in ("wrap", "clip"):
        f = lambda x, i, mode=mode: np.take(np.tile(x, 30), i, mode=mode)  # noqa: E731
        np.testing.assert_array_equal(jl.jit(f)(x, small), f(x, small))


def test_linalg_computes_small_ints_in_float64():
    a = np.array([[3, 1], [1, 2]], dtype=np.uint8)
    b = np.array([1.0, 2.0], dtype=np.float32)
    got = jl.jit(np.linalg.solve)(a, b)
    assert got.dtype == np.linalg.solve(a, b).dtype == np.float64


def test_unsigned_floor_division_on_triton():
    x = np.array([0, 7, 200, 255], dtype=np.uint8)
    y = np.array([3, 0, 7, 255], dtype=np.uint8)
    with np.errstate(divide="ignore"):
        for f in (np.floor_divide, np.remainder, np.fmod):
            assert_matches(jl.jit(f, backend="triton")(x, y), f(x, y))


def test_reductions_return_the_dtype_asked_for():
    x = np.arange(1, 7, dtype=np.int32).reshape(2, 3) * 1000
    for f in (
        lambda x: np.sum(x, dtype=np.int32),
        lambda x: np.prod(x, axis=0, dtype=np.int16),
        lambda x: np.cumsum(x, dtype=np.int8),
        lambda x: np.cumprod(x, axis=1, dtype=np.uint8),
    ):
        assert_matches(jl.jit(f)(x), f(x))


def test_clip_with_python_ints_past_the_dtype():
    x = np.array([1, 200, 3], dtype=np.uint8)
    for f in (lambda x: np.clip(x, -2, 3), lambda x: np.clip(x, 10, 400)):
        assert_matches(jl.jit(f)(x), f(x))


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint8", "uint16"])
def test_triton_sort_kernel_orders_every_narrow_integer(dtype):
    """codegen/triton_sort.py sorts rows of these dtypes in its kernel (their values fit an
    int32 key); the walk above draws small values, so the whole range is tried here."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(3)
    x = rng.integers(info.min, info.max, (5, 37), endpoint=True).astype(dtype)
    x[0, :4] = [info.min, info.max, 0, info.max]  # extremes and ties
    for f in (np.sort, lambda x: np.argsort(x, kind="stable"), lambda x: np.sort(x, axis=0)):
        assert_matches(jl.jit(f, backend="triton")(x), f(x))
