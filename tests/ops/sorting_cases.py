"""Op cases for sorting and order: np.sort, argsort, partition, argpartition, lexsort,
searchsorted, digitize, ndarray.sort (in place), and argmax/argmin ties.

Orders with ties are compared with numpy's stable sort (`kind='stable'`), the order jit
gives for every kind; the 'int' domain makes ties, the 'real' one almost never does.
partition and argpartition promise only that the kth entry is in its sorted place, so
their cases return what that promise fixes (the sorted values, the kth entry, and whether
the entries before and after it are on the right side of it), never the raw array.
"""

import numpy as np

from ops.cases import FLOATS, INTS, NUMBERS, OpCase

SORTED = (((3, 4),), ((5,),), ((0, 3),), ((2, 3, 4),))
SORTED_2D = (((3, 4),), ((2, 3, 4),))
FLAT = (((3, 4),), ((),), ((5,),))
SEARCH = (((5,), (2, 3)), ((4,), ()), ((0,), (3,)))  # a 1-d sorted array, the values
KEYS = (((6,), (6,)), ((3, 4), (3, 4)))


def _special(x):
    """NaN, -0.0 and 0.0 among numbers: numpy sorts NaN last and -0.0 equal to 0.0."""
    zeros = np.where(np.abs(x) < 1.0, x * 0.0, np.round(x))
    return np.where(x > 1.5, np.nan, zeros)


def sort_in_place(x):
    y = x.copy()
    y.sort()
    return y


def sort_columns_through_view(x):
    y = x.copy()
    y.T.sort(axis=-1)  # sorts y's columns, written through the transposed view
    return y


def _kept_promise(values, kth: int, axis: int):
    """What partition promises along `axis`: the sorted values, the kth entry, no larger
    entry before it and no smaller one after it."""
    moved = np.moveaxis(values, axis, -1)
    pivot = moved[..., kth : kth + 1]
    before = np.all(moved[..., :kth] <= pivot, axis=-1)
    after = np.all(moved[..., kth + 1 :] >= pivot, axis=-1)
    return np.sort(values, axis=axis), moved[..., kth], before, after


def partition(x):
    return _kept_promise(np.partition(x, 1), 1, -1)


def partition_axis0_kths(x):
    out = np.partition(x, (0, -1), axis=0)
    return _kept_promise(out, 0, 0) + _kept_promise(out, out.shape[0] - 1, 0)[1:]


def argpartition(x):
    order = np.argpartition(x, -3)  # the entry at 1 in the cases' rows of 4
    values = np.take_along_axis(x, order, axis=-1)
    return (np.sort(order, axis=-1),) + _kept_promise(values, 1, -1)


# fmt: off
CASES = [
    OpCase(name="sort", fn=np.sort, primitive=("argsort", "take"), dtypes=NUMBERS, shapes=SORTED),
    OpCase(name="sort_axis0", fn=lambda x: np.sort(x, axis=0), primitive="argsort", shapes=SORTED_2D),
    OpCase(name="sort_flat", fn=lambda x: np.sort(x, axis=None, kind="mergesort"), primitive="argsort", shapes=FLAT),
    OpCase(name="sort_special", fn=lambda x: np.sort(_special(x), axis=0), primitive="argsort", shapes=SORTED_2D),
    OpCase(name="sort_bool", fn=lambda x: np.sort(x, axis=0), primitive="argsort", domain="bool", dtypes=("bool",), shapes=SORTED_2D),
    OpCase(name="argsort", fn=np.argsort, primitive="argsort", shapes=SORTED),
    OpCase(name="argsort_ties", fn=lambda x: np.argsort(x, kind="stable"), primitive="argsort", domain="int", dtypes=NUMBERS, shapes=SORTED),
    OpCase(name="argsort_ties_axis0", fn=lambda x: np.argsort(x, axis=0, stable=True), primitive="argsort", domain="int", shapes=SORTED_2D),
    OpCase(name="argsort_flat", fn=lambda x: np.argsort(x, axis=None, kind="stable"), primitive="argsort", domain="int", dtypes=INTS, shapes=FLAT),
    OpCase(name="argsort_special", fn=lambda x: np.argsort(_special(x), kind="stable"), primitive="argsort", shapes=SORTED_2D),
    OpCase(name="ndarray_sort", fn=sort_in_place, primitive="argsort", dtypes=NUMBERS, shapes=SORTED_2D),
    OpCase(name="ndarray_sort_view", fn=sort_columns_through_view, primitive="argsort", shapes=SORTED_2D),
    OpCase(name="ndarray_argsort", fn=lambda x: x.argsort(axis=0, kind="stable"), primitive="argsort", domain="int", shapes=SORTED_2D),
    OpCase(name="partition", fn=partition, primitive="argsort", dtypes=NUMBERS, shapes=SORTED_2D),
    OpCase(name="partition_axis0_kths", fn=partition_axis0_kths, primitive="argsort", shapes=SORTED_2D),
    OpCase(name="argpartition", fn=argpartition, primitive="argsort", dtypes=NUMBERS, shapes=SORTED_2D),
    OpCase(name="lexsort", fn=lambda a, b: np.lexsort((a, b)), primitive="argsort", domain="int", dtypes=NUMBERS, shapes=KEYS),
    OpCase(name="lexsort_axis0", fn=lambda a, b: np.lexsort((b, a, b * 2), axis=0), primitive="argsort", domain="int", shapes=KEYS[1:]),
    OpCase(name="searchsorted", fn=lambda a, v: np.searchsorted(np.sort(a), v), primitive="searchsorted", dtypes=NUMBERS, shapes=SEARCH),
    OpCase(name="searchsorted_right_ties", fn=lambda a, v: np.searchsorted(np.sort(a), v, side="right"), primitive="searchsorted", domain="int", shapes=SEARCH),
    OpCase(name="searchsorted_sorter", fn=lambda a, v: np.searchsorted(a, v, sorter=np.argsort(a)), primitive=("searchsorted", "take"), domain="int", shapes=SEARCH),
    OpCase(name="searchsorted_special", fn=lambda a, v: np.searchsorted(np.sort(_special(a)), _special(v)), primitive="searchsorted", shapes=SEARCH),
    OpCase(name="digitize", fn=lambda x, bins: np.digitize(x, np.sort(bins)), primitive="digitize", domain="int", dtypes=NUMBERS, shapes=((SEARCH[0][1], SEARCH[0][0]), ((4,), (1,)))),
    OpCase(name="digitize_decreasing_right", fn=lambda x, bins: np.digitize(x, -np.sort(bins), right=True), primitive="digitize", domain="int", shapes=(((2, 3), (5,)), ((), (4,)))),
    OpCase(name="digitize_special", fn=lambda x, bins: np.digitize(_special(x), np.sort(bins)), primitive="digitize", shapes=(((2, 3), (5,)), ((4,), (3,)))),
    OpCase(name="argmax_ties", fn=lambda x: np.argmax(x, axis=-1), primitive="argmax", domain="int", shapes=SORTED_2D),
    OpCase(name="argmin_ties", fn=lambda x: np.argmin(x, axis=0), primitive="argmin", domain="int", shapes=SORTED_2D),
    OpCase(name="argmax_ties_flat", fn=np.argmax, primitive="argmax", domain="int", dtypes=FLOATS + ("bool",), shapes=FLAT[:1] + FLAT[2:]),
]
# fmt: on
