"""jitlib.numpy.coverage: its tables agree with numpy and with what jitlib registers, and
each function it says works as numpy wrote it really runs under jit on a traced array."""

import warnings

import numpy as np
import pytest

import jitlib as jl
from jitlib import dispatch
from jitlib.numpy import coverage

X = np.random.default_rng(3).standard_normal((3, 4))


def _probe_windows(x):
    windows = np.hamming(4) + np.hanning(4) + np.bartlett(4) + np.blackman(4) + np.kaiser(4, 2.0)
    return x * windows


def _probe_dtypes(x):
    # numpy's answers, from the traced array's static dtype, steer the computation
    if np.isdtype(x.dtype, "real floating") and np.issubdtype(x.dtype, np.floating):
        return x.astype(np.promote_types(x.dtype, np.int32)) * 2
    return x


def _probe_mintypecode(x):
    return x.astype(np.mintypecode([x.dtype.char, "f"]))


def _probe_typename(x):
    # the description of the traced array's static type code steers the computation
    return x * 2 if np.typename(x.dtype.char) == "double precision" else x


def _probe_scalar(x):
    # a traced array is not a scalar and is iterable, as a numpy array of rank >= 1
    return x * (0.5 if np.isscalar(x) else 2.0) + (1.0 if np.iterable(x) else 0.0)


def _probe_mask_indices(x):
    rows, columns = np.mask_indices(3, np.triu, 1)
    return x[rows, columns]


def _probe_row_stack(x):
    # numpy 2's deprecated alias warns, then calls np.vstack, which dispatches
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.row_stack((x, x[0] * 2))


# one probe per WORKS_AS_IS entry: a function of a traced array that calls it
PROBES = {
    "bartlett": _probe_windows,
    "blackman": _probe_windows,
    "hamming": _probe_windows,
    "hanning": _probe_windows,
    "kaiser": _probe_windows,
    "isdtype": _probe_dtypes,
    "issubdtype": _probe_dtypes,
    "promote_types": _probe_dtypes,
    "isscalar": _probe_scalar,
    "iterable": _probe_scalar,
    "mask_indices": _probe_mask_indices,
    "mintypecode": _probe_mintypecode,
    "row_stack": _probe_row_stack,
    "typename": _probe_typename,
}


def test_every_works_as_is_entry_has_a_probe():
    assert sorted(PROBES) == sorted(coverage.WORKS_AS_IS)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_works_as_is_under_jit(name):
    probe = PROBES[name]
    assert getattr(np, name) not in dispatch.HANDLED, f"{name} is registered: unlist it"
    expected = probe(X.copy())
    got = jl.jit(probe)(X)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_iterable_of_a_0d_traced_array_is_false():
    seen = []
    jl.jit(lambda x: seen.append(np.iterable(x)) or x)(np.float64(2.0))
    assert seen == [False]


def test_no_name_is_traced_and_left_out():
    traced = set(coverage.traced())
    assert sorted(traced & set(coverage.reason_of())) == []
    assert sorted(traced & set(coverage.left_out())) == []
    assert len(traced) + len(coverage.left_out()) == len(coverage.public_callables())


def test_reason_tables_name_numpy_callables():
    public = coverage.public_callables()
    names = [name for names in coverage.REASONS.values() for name in names.split()]
    assert len(names) == len(set(names)), "a name has two reasons"
    assert sorted(set(names) - set(public)) == []


def test_numpy_has_what_the_count_says():
    public = coverage.public_callables()
    assert "add" in public and "linalg.solve" in public and "ndarray" not in public
    assert all(not isinstance(fn, type) for fn in public.values())


def _refuse_it(x):
    raise ValueError("no")


def test_functions_that_only_refuse_are_not_counted():
    def refusal(x):
        """Explains why."""
        raise ValueError("no")

    def partial(x):
        if x:
            raise ValueError("no")
        return x

    def through_a_helper(x):
        _refuse_it(x)

    assert coverage.refuses(refusal) and coverage.refuses(through_a_helper)
    assert not coverage.refuses(partial)
    assert coverage.refuses(dispatch.HANDLED[np.linalg.eig])
    assert "linalg.eig" not in coverage.traced()


def test_page_lists_every_callable():
    text = coverage.page()
    for name in coverage.public_callables():
        assert f"`{name}`" in text
