"""Every combination of slice bounds and steps, at several sizes through one jitted function
(so the shape-symbolic path and its guards are exercised), agrees with numpy."""

import itertools

import numpy as np
import pytest

import jitlib as jl

BOUNDS = [None, -100, -7, -1, 0, 1, 2, 5, 100]
STEPS = [None, 1, 3, -1, -2]
SIZES = (6, 9, 2, 1, 0)


@pytest.mark.parametrize("step", STEPS)
def test_every_slice_matches_numpy_at_every_size(step):
    for start, stop in itertools.product(BOUNDS, BOUNDS):
        index = slice(start, stop, step)
        jitted = jl.jit(lambda x, index=index: x[index] * 2)
        for n in SIZES:
            x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
            got, want = jitted(x), x[index] * 2
            assert got.shape == want.shape, (index, n)
            np.testing.assert_array_equal(got, want, err_msg=f"{index} on {n} rows")
