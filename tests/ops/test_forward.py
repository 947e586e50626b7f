"""Forward values of every op case: jitted (numpy backend) against eager numpy.

Also: non-contiguous inputs, inputs left untouched and never aliased by results, the
row-blocked numpy path, a second size served by the same trace, `ir.verify` after every
pass (plus the reference interpreter), and that the table covers every record of ir.OPS.
"""

import itertools
from typing import NamedTuple

import numpy as np
import pytest

import ir
import jitlib as jl
from codegen import numpy_emitter, numpy_runtime
from ir.passes import optimize

from .cases import CASES, DOMAINS, OpCase

SEED = 20240611

# rtol, atol per result dtype; integer and bool results must match exactly.
TOLERANCE = {"float16": (2e-3, 2e-3), "float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}

INT_RANGE = {
    "real": (-5, 6),
    "int": (-5, 6),
    "positive": (1, 6),
    "ge1": (1, 6),
    "shift": (0, 6),
    "unit": (-1, 2),
}
FLOAT_RANGE = {"positive": (0.5, 3.0), "unit": (-0.9, 0.9), "ge1": (1.1, 3.0)}

# numpy's ufuncs that DESIGN.md lists: each needs a case that calls it by that name.
DESIGN_UFUNCS = """
add subtract multiply divide floor_divide remainder power negative positive absolute sign
exp exp2 expm1 log log2 log10 log1p sqrt cbrt square reciprocal sin cos tan arcsin arccos
arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh floor ceil rint trunc maximum minimum
fmax fmin logical_and logical_or logical_not logical_xor isnan isinf isfinite equal
not_equal less less_equal greater greater_equal
""".split()


# --- inputs -------------------------------------------------------------------------------
class Arg(NamedTuple):
    """What one argument of a case is drawn from."""

    domain: str
    dtype: str
    shape: tuple


def random_array(rng: np.random.Generator, arg: Arg) -> np.ndarray:
    """Random values of `arg.domain` (see cases.py) as an array of its dtype and shape."""
    domain, dtype, shape = arg
    if domain == "bool" or dtype == "bool":
        return rng.random(shape) < 0.5
    if domain in MATRIX_DOMAINS:
        return random_matrices(rng, arg)
    if domain == "shift" and not np.issubdtype(dtype, np.integer):
        dtype = "int64"
    if domain == "nonzero_int":
        values = rng.integers(1, 6, shape) * rng.choice([-1, 1], shape)
    elif np.issubdtype(dtype, np.integer) or domain in ("int", "shift"):
        values = rng.integers(*INT_RANGE[domain], shape)
    elif domain == "real":
        values = rng.standard_normal(shape) * 2.0
    else:
        values = rng.uniform(*FLOAT_RANGE[domain], shape)
    return np.asarray(values, dtype=dtype)


MATRIX_DOMAINS = ("spd", "wellcond")


def random_matrices(rng: np.random.Generator, arg: Arg) -> np.ndarray:
    """A stack of n x n matrices (the last two axes): 'spd' is a @ a^T + n I, symmetric
    positive definite; 'wellcond' is a + (n + 1) I with entries of a in (-1, 1) (integers
    in [-2, 2] and 2n + 1 for integer dtypes), strictly diagonally dominant so never
    singular. `a` is random; integer dtypes get integer matrices."""
    domain, dtype, shape = arg
    assert len(shape) >= 2 and shape[-1] == shape[-2], f"{domain} needs square matrices"
    n = shape[-1]
    integer = np.issubdtype(dtype, np.integer)
    if domain == "spd":
        a = rng.integers(-3, 4, shape) if integer else rng.standard_normal(shape)
        values = a @ np.swapaxes(a, -1, -2) + n * np.eye(n, dtype=a.dtype)
    else:
        a = rng.integers(-2, 3, shape) if integer else rng.uniform(-1.0, 1.0, shape)
        values = a + (2 * n + 1 if integer else n + 1) * np.eye(n, dtype=a.dtype)
    return np.asarray(values, dtype=dtype)


def make_args(case: OpCase, dtype, shapes: tuple) -> list:
    """One random array per argument; `dtype` is one name or one name per argument."""
    rng = np.random.default_rng(SEED)
    count = len(shapes)
    domains = (case.domain,) * count if isinstance(case.domain, str) else case.domain
    dtypes = (dtype,) * count if isinstance(dtype, str) else dtype
    return [random_array(rng, Arg(*spec)) for spec in zip(domains, dtypes, shapes)]


def non_contiguous(x: np.ndarray) -> np.ndarray:
    """The same values as a strided (and, from 2-D on, Fortran-ordered) view."""
    if x.ndim == 0:
        return x
    doubled = np.repeat(x, 2, axis=-1)
    base = np.asfortranarray(doubled) if x.ndim >= 2 else doubled
    return base[..., ::2]


def resizings(shapes: tuple) -> list:
    """Other shapes with the same ranks and the same equality pattern of dims >= 2: all
    such sizes doubled, then each size alone scaled (for cases that pin another size)."""
    sizes = sorted({d for shape in shapes for d in shape if d >= 2})
    changes = [{d: 2 * d for d in sizes}]
    for d in sizes:
        changes.append({d: next(d * k for k in itertools.count(2) if d * k not in sizes)})
    return [tuple(tuple(new.get(d, d) for d in shape) for shape in shapes) for new in changes]


# --- checks -------------------------------------------------------------------------------
def assert_matches(got, expected) -> None:
    """Same dtype, same shape, same values (exact for ints and bools); tuples and lists of
    results are compared item by item."""
    if isinstance(expected, tuple | list):
        assert isinstance(got, tuple | list) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_matches(g, e)
        return
    if type(got).__module__.startswith("cupy"):  # the Triton backend on a GPU
        got = got.get()
    assert isinstance(got, np.ndarray), f"jit returned a {type(got).__name__}"
    expected = np.asarray(expected)
    assert got.dtype == expected.dtype, f"dtype {got.dtype}, numpy gives {expected.dtype}"
    assert got.shape == expected.shape, f"shape {got.shape}, numpy gives {expected.shape}"
    if expected.dtype.name in TOLERANCE:
        rtol, atol = TOLERANCE[expected.dtype.name]
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, expected)


def eager(case: OpCase, args: list):
    return case.fn(*[a.copy() for a in args])


def check_jitted(case: OpCase, args: list) -> None:
    """jit(case.fn) agrees with numpy, leaves the caller's arrays as they were, and returns
    memory of its own (writing to the result never changes an input)."""
    pristine = [a.copy() for a in args]
    expected = eager(case, args)
    got = jl.jit(case.fn)(*args)
    assert_matches(got, expected)
    results, _ = jl.tree_flatten(got)
    for arg, before in zip(args, pristine):
        np.testing.assert_array_equal(arg, before, strict=True)
        for result in results:
            assert not np.shares_memory(result, arg), "a result aliases an input"


def _id(dtype, shapes: tuple) -> str:
    names = dtype if isinstance(dtype, str) else "+".join(dtype)
    dims = ",".join("x".join(map(str, shape)) or "()" for shape in shapes)
    return f"{names}-{dims}"


def _has_symbolic_dim(shapes: tuple) -> bool:
    return any(d >= 2 for shape in shapes for d in shape)


ALL = [
    pytest.param(case, dtype, shapes, id=f"{case.name}-{_id(dtype, shapes)}")
    for case in CASES
    for dtype in case.dtypes
    for shapes in case.shapes
]
FIRST_DTYPE = [
    pytest.param(case, case.dtypes[0], shapes, id=f"{case.name}-{_id(case.dtypes[0], shapes)}")
    for case in CASES
    for shapes in case.shapes
]
BY_CASE = [pytest.param(case, id=case.name) for case in CASES]


# --- forward values -----------------------------------------------------------------------
@pytest.mark.parametrize("case, dtype, shapes", ALL)
def test_forward_matches_numpy(case, dtype, shapes):
    check_jitted(case, make_args(case, dtype, shapes))


# cases with an input that has a dimension to take a strided view of
WITH_DIMS = [
    pytest.param(case, shapes, id=case.name)
    for case in CASES
    for shapes in [next((s for s in case.shapes if any(len(shape) for shape in s)), None)]
    if shapes is not None
]


@pytest.mark.parametrize("case, shapes", WITH_DIMS)
def test_non_contiguous_inputs(case, shapes):
    check_jitted(case, [non_contiguous(a) for a in make_args(case, case.dtypes[0], shapes)])


@pytest.mark.parametrize("case, dtype, shapes", FIRST_DTYPE)
def test_row_blocked_matches_numpy(case, dtype, shapes, monkeypatch):
    """The numpy backend's row-blocked loop, forced on with tiny blocks (about 40% of the
    combinations are row-local and take it)."""
    monkeypatch.setattr(numpy_runtime, "BLOCK_BYTES", 1)  # one row per block
    monkeypatch.setattr(numpy_emitter, "MIN_CHUNKED_OPS", 0)  # block every row-local function
    check_jitted(case, make_args(case, dtype, shapes))


def _numpy_accepts(case: OpCase, shapes: tuple) -> bool:
    try:
        eager(case, make_args(case, case.dtypes[0], shapes))
    except ValueError:  # the case pins a size (a constant operand, a fixed target shape)
        return False
    return True


def _resized_pairs():
    """(case, shapes, second shapes) for cases whose sizes can change; cases with no
    symbolic dim (0-d only) or that pin every size (a fixed broadcast target) have none."""
    for case in CASES:
        shapes = next((s for s in case.shapes if _has_symbolic_dim(s)), None)
        if shapes is None:
            continue
        second = next((s for s in resizings(shapes) if _numpy_accepts(case, s)), None)
        if second is not None:
            yield pytest.param(case, shapes, second, id=case.name)


@pytest.mark.parametrize("case, shapes, second", list(_resized_pairs()))
def test_second_size_reuses_the_trace(case, shapes, second):
    jitted = jl.jit(case.fn)
    for size in (shapes, second):
        args = make_args(case, case.dtypes[0], size)
        assert_matches(jitted(*args), eager(case, args))
    info = jitted.cache_info()
    assert (info.misses, info.hits, info.entries) == (1, 1, 1), info


# --- the IR stays well-formed through every pass ------------------------------------------
@pytest.mark.parametrize("case, dtype, shapes", FIRST_DTYPE)
def test_verify_after_every_pass(case, dtype, shapes):
    args = make_args(case, dtype, shapes)
    raw = jl.make_ir(case.fn)(*args).ir
    ir.verify(raw)
    optimized = optimize(raw, check=True)
    lowered = jl.jit(case.fn).lower(*args).ir
    ir.verify(lowered)
    assert ir.as_text(lowered) == ir.as_text(optimized)
    expected = eager(case, args)
    for fn in (raw, optimized):  # the reference interpreter agrees too
        values = ir.interpret(fn, *args)
        assert_matches(values if isinstance(expected, tuple | list) else values[0], expected)


# --- coverage of the op table -------------------------------------------------------------
# Primitives that only transforms create, so no numpy call traces to them, with the reason
# and where they are tested instead.
INTERNAL = {
    "custom_vjp_call": "made by jl.custom_vjp; tested in tests/transforms/test_custom_rules.py",
    "custom_jvp_call": "made by jl.custom_jvp; tested in tests/transforms/test_custom_rules.py",
}


def test_every_op_has_a_case():
    covered = {name for case in CASES for name in case.primitives}
    assert sorted(set(ir.OPS) - covered - set(INTERNAL)) == []
    assert sorted(covered - set(ir.OPS)) == []
    assert sorted(set(INTERNAL) - set(ir.OPS)) == []
    assert sorted(set(INTERNAL) & covered) == [], "an internal primitive has a case: unlist it"


def test_every_design_ufunc_has_a_case():
    called = {case.fn for case in CASES}
    assert [name for name in DESIGN_UFUNCS if getattr(np, name) not in called] == []


def test_case_table_is_well_formed():
    assert len({case.name for case in CASES}) == len(CASES)
    for case in CASES:
        domains = (case.domain,) if isinstance(case.domain, str) else case.domain
        assert set(domains) <= set(DOMAINS), case.name
        assert case.dtypes and case.shapes, case.name
        counts = {len(shapes) for shapes in case.shapes}
        assert len(counts) == 1, f"{case.name}: shapes for different numbers of arguments"
        assert isinstance(case.domain, str) or len(case.domain) == counts.pop(), case.name


@pytest.mark.parametrize("case", BY_CASE)
def test_case_exercises_its_primitive(case):
    args = make_args(case, case.dtypes[0], case.shapes[0])
    used = {eqn.op.name for eqn in jl.make_ir(case.fn)(*args).ir.eqns}
    assert set(case.primitives) <= used, f"raw IR has only {sorted(used)}"
