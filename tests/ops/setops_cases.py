"""Op cases for the functions whose output length depends on the data: jitlib.numpy's
nonzero, flatnonzero, argwhere, extract, unique (and unique_all/_counts/_inverse/_values),
union1d, intersect1d, setdiff1d and setxor1d, each with a static size=.

unique's and nonzero's cases are here; the set operations of two arrays are checked by
tests/jitlib/test_setops.py with the same functions. Each case is its own reference: on numpy arrays it calls numpy's function and pads the
result to `size` as jitlib documents (fill_value, or the smallest value for unique and
union1d); on traced arrays it calls the jitlib.numpy function. Every case runs at a size
below the result's length (cut) and one above it (padded). The 'int' domain makes ties,
so unique values repeat; the '_real' twins have no ties, for the gradient checks
(tests/transforms/test_op_rules.py's TIED_ON_PURPOSE)."""

import numpy as np

import jitlib.numpy as jnp
from jitlib.tracer import Tracer
from ops.cases import INTS, NUMBERS, OpCase

SETS = (((3, 4),), ((7,),), ((2, 3, 2),))
PAIR = (((3, 4), (5,)), ((7,), (2, 3)))
CUT, PADDED = 3, 14  # each case's result is longer than CUT and shorter than PADDED


def _pad(result, size: int, fill):
    result = np.asarray(result)
    if result.shape[0] >= size:
        return result[:size].copy()  # each result its own array, as jit gives
    tail = np.full((size - result.shape[0],) + result.shape[1:], fill, result.dtype)
    return np.concatenate([result, tail])


def _smallest(x):
    flat = np.ravel(x)
    return np.sort(flat)[0] if flat.size else 0


def _traced(args) -> bool:
    return any(isinstance(a, Tracer) for a in args)


def unique_case(size: int):
    def fn(x):
        if _traced((x,)):
            return jnp.unique(x, True, True, True, size=size)
        values, index, inverse, counts = np.unique(x, True, True, True)
        return (
            _pad(values, size, _smallest(x)),
            _pad(index, size, 0),
            inverse,
            _pad(counts, size, 0),
        )

    return fn


def unique_all_case(size: int):
    def fn(x):
        if _traced((x,)):
            return tuple(jnp.unique_all(x * 0.5, size=size, fill_value=-1))
        values, index, inverse, counts = np.unique_all(x * 0.5)
        return _pad(values, size, -1), _pad(index, size, 0), inverse, _pad(counts, size, 0)

    return fn


def _sorted_unique(values, counts, inverse):
    """numpy 2.3+ may give unique_values/_counts/_inverse unsorted (a hash table for
    integers); jitlib's are sorted, as np.unique's: the same sets in sorted order."""
    order = np.argsort(values, kind="stable")
    rank = np.argsort(order)
    return values[order], counts[order], rank[inverse]


def unique_family_case(size: int):
    """unique_values, unique_counts and unique_inverse, and np.unique with fill_value."""

    def fn(x):
        if _traced((x,)):
            counts = jnp.unique_counts(x, size=size)
            inverse = jnp.unique_inverse(x, size=size)
            return (
                jnp.unique_values(x, size=size),
                *counts,
                *inverse,
                jnp.unique(x, size=size, fill_value=9),
            )
        found = np.unique_all(x)
        values, counts, inverse = _sorted_unique(found.values, found.counts, found.inverse_indices)
        assert np.array_equal(np.sort(np.unique_values(x)), values)
        low = _smallest(x)
        return (
            _pad(values, size, low),
            _pad(values, size, low),
            _pad(counts, size, 0),
            _pad(values, size, low),
            inverse,
            _pad(np.unique(x), size, 9),
        )

    return fn


def nonzero_case(size: int):
    def fn(x):
        where = x > 0
        if _traced((x,)):
            return (
                *jnp.nonzero(where, size=size),
                jnp.flatnonzero(where, size=size, fill_value=-1),
                jnp.argwhere(where, size=size),
                jnp.extract(where, x * 2.0, size=size),
            )
        return (
            *[_pad(i, size, 0) for i in np.nonzero(where)],
            _pad(np.flatnonzero(where), size, -1),
            _pad(np.argwhere(where), size, 0),
            _pad(np.extract(where, x * 2.0), size, 0),
        )

    return fn


def set_pair_case(size: int):
    def fn(a, b):
        if _traced((a, b)):
            both = jnp.intersect1d(a, b, return_indices=True, size=size)
            return (
                jnp.union1d(a, b, size=size),
                *both,
                jnp.setdiff1d(a, b, size=size),
                jnp.setdiff1d(a, b, assume_unique=True, size=size, fill_value=-2),
                jnp.setxor1d(a, b, size=size),
            )
        values, in_a, in_b = np.intersect1d(a, b, return_indices=True)
        low = min(_smallest(a), _smallest(b))
        return (
            _pad(np.union1d(a, b), size, low),
            _pad(values, size, 0),
            _pad(in_a, size, 0),
            _pad(in_b, size, 0),
            _pad(np.setdiff1d(a, b), size, 0),
            _pad(np.setdiff1d(a, b, assume_unique=True), size, -2),
            _pad(np.setxor1d(a, b), size, 0),
        )

    return fn


def setxor_unique_case(size: int):
    """setxor1d with assume_unique, on inputs that are unique (numpy's contract): real
    values, b sharing two of a's."""

    def fn(a, b):
        a = np.ravel(a)
        b = np.concatenate([np.ravel(b), a[:2]])
        if _traced((a, b)):
            return jnp.setxor1d(a, b, assume_unique=True, size=size)
        return _pad(np.setxor1d(a, b, assume_unique=True), size, 0)

    return fn


def trim_zeros_case(size: int):
    """trim_zeros of x with zeros around it (and of an all-zero row), each trim side."""

    def fn(x):
        x = np.ravel(x)
        zeros = np.zeros(2, x.dtype)
        framed = np.concatenate([zeros, x, zeros[:1]])
        if _traced((x,)):
            return tuple(
                jnp.trim_zeros(v, trim, size=size, fill_value=-1)
                for v in (framed, x * 0)
                for trim in ("fb", "f", "b")
            )
        return tuple(
            _pad(np.trim_zeros(v, trim), size, -1)
            for v in (framed, x * 0)
            for trim in ("fb", "f", "b")
        )

    return fn


SORTS = ("argsort", "searchsorted")
# fmt: off
CASES = [
    OpCase(name=f"unique_{kind}", fn=unique_case(size), primitive=SORTS, domain="int", dtypes=NUMBERS, shapes=SETS)
    for kind, size in (("cut", CUT), ("padded", PADDED))
] + [
    OpCase(name=f"unique_all_{kind}", fn=unique_all_case(size), primitive=SORTS, domain="int", shapes=SETS)
    for kind, size in (("cut", CUT), ("padded", PADDED))
] + [
    OpCase(name=f"unique_family_{kind}", fn=unique_family_case(size), primitive=SORTS, domain="int", dtypes=INTS + ("float64",), shapes=SETS)
    for kind, size in (("cut", CUT), ("padded", PADDED))
] + [
    OpCase(name=f"nonzero_{kind}", fn=nonzero_case(size), primitive="searchsorted", shapes=SETS)
    for kind, size in (("cut", CUT), ("padded", PADDED))
] + [
    # one size cuts some results and pads others: the framed row is longer than 5, the
    # all-zero row trims to nothing
    OpCase(name="trim_zeros", fn=trim_zeros_case(5), primitive="argmax", domain="int", dtypes=NUMBERS, shapes=SETS[:2])
] + [
    OpCase(name=f"{name}_real", fn=make(PADDED), primitive=SORTS, shapes=shapes)
    for name, make, shapes in (("unique", unique_case, SETS), ("unique_all", unique_all_case, SETS))
]
# The set operations of two arrays (set_pair_case, setxor_unique_case) sort three or four
# times; under vmap in Triton's interpreter each case took ten seconds, so they are checked
# in tests/jitlib/test_setops.py instead: values on both backends, grad and vmap on numpy,
# vmap once on Triton
# fmt: on
