"""The device argsort of codegen/triton_sort.py (in Triton's interpreter): its packed keys
give numpy's stable order for ties, NaN, -0.0, negative numbers and int32 extremes; rows
longer than a block, and 64-bit values, go to the library's stable argsort."""

import numpy as np
import pytest

from codegen import triton_sort

SEED = 11


def _stable(x, axis=-1):
    return np.argsort(x, axis=axis, kind="stable")


def _check(x, axis=-1):
    got = triton_sort.launch(x, axis)
    assert got.dtype == np.int64 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, _stable(x, axis))


@pytest.mark.parametrize("dtype", ["float32", "int32", "float16", "bool"])
def test_ties_keep_their_index_order(dtype):
    x = np.random.default_rng(SEED).integers(-2, 3, (5, 13)).astype(dtype)
    _check(x)
    _check(x, axis=0)


def test_nan_last_and_signed_zeros_equal():
    values = [np.nan, -0.0, 0.0, 1.5, -np.inf, np.inf, -0.0, np.nan, -1.5, 3e38, -3e38, 1e-45]
    x = np.array([values, values[::-1]], dtype=np.float32)
    _check(x)


def test_negative_numbers_order_by_value():
    x = np.random.default_rng(SEED).standard_normal((3, 4, 6)).astype(np.float32) * 100
    for axis in range(3):
        _check(x, axis)


def test_int32_extremes():
    info = np.iinfo(np.int32)
    x = np.array([[info.max, 0, -1, info.min, 1, info.min, info.max, -info.max]], np.int32)
    _check(x)


def test_many_short_rows_share_a_program():
    x = np.random.default_rng(SEED).integers(-4, 4, (37, 3)).astype(np.int32)
    _check(x)
    _check(np.zeros((0, 3), np.float32))
    _check(np.ones((4, 1), np.float32))


class _NoKernel:
    def __getitem__(self, grid):
        raise AssertionError("the kernel ran for rows it cannot sort")


def test_long_rows_and_64_bit_values_use_the_library_sort(monkeypatch):
    rng = np.random.default_rng(SEED)
    monkeypatch.setattr(triton_sort, "MAX_BLOCK", 8)
    monkeypatch.setattr(triton_sort, "argsort_rows", _NoKernel())
    assert not triton_sort.packs("float32", 9) and triton_sort.packs("float32", 8)
    _check(rng.integers(-3, 3, (2, 9)).astype(np.float32))
    for dtype in ("float64", "int64"):
        assert not triton_sort.packs(dtype, 2)
        _check(rng.integers(-3, 3, (2, 5)).astype(dtype))
