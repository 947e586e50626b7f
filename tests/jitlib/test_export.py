"""jl.export: the saved module (numpy backend, and Triton's in its interpreter) runs in a
process where importing jitlib, ir, codegen, sympy or scipy fails, and gives eager numpy's
results at three sizes for a forward function (with
a pytree argument, constants, a sort and a static argument), a jl.grad and a jl.vmap. In
this process: the header, the argument checks (structure, dtype, rank, equal sizes, the
trace's guards) and what cannot be exported."""

import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jitlib as jl

TABLE = np.array([0.5, -1.25, 2.0, np.nan, -0.0], np.float32)


def affine_norm(x, params, k):
    centered = x - x.mean(axis=-1, keepdims=True)
    normed = centered / np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + 1e-5)
    smallest = np.sort(x, axis=-1)[:, :k]  # k is static
    lookup = np.take_along_axis(np.nan_to_num(TABLE), np.argmax(x, axis=-1) % 5, axis=0)
    return {"y": normed * params["scale"] + params["shift"], "low": smallest, "pick": lookup}


def loss(w, x, y):
    return np.mean((np.tanh(x @ w).sum(axis=1) - y) ** 2)


def row_softmax(row, temperature):
    e = np.exp((row - row.max()) / temperature)
    return e / e.sum()


def _affine_args(n: int, d: int = 5):
    rng = np.random.default_rng(n)
    params = {"scale": rng.standard_normal(d).astype(np.float32), "shift": np.float32(0.5)}
    return rng.standard_normal((n, d)).astype(np.float32), params


def _loss_args(n: int):
    rng = np.random.default_rng(n + 100)
    return rng.standard_normal((4, 3)), rng.standard_normal((n, 4)), rng.standard_normal(n)


def _softmax_args(n: int):
    return np.random.default_rng(n + 200).standard_normal((n, 7)), 0.7


EXPORTS = {
    "forward": (jl.jit(affine_norm, static_argnums=2), lambda n: (*_affine_args(n), 2)),
    "grad": (jl.grad(loss), _loss_args),
    "vmap": (jl.vmap(row_softmax, in_axes=(0, None)), _softmax_args),
}
SIZES = (6, 9, 17)  # the example's size, then two others (none equal to another dim)


def _expected(name: str, args) -> dict:
    if name == "forward":
        return affine_norm(*args)
    if name == "grad":
        return jl.jit(jl.grad(loss))(*args)  # itself checked against finite differences below
    rows, temperature = args
    return np.stack([row_softmax(r, temperature) for r in rows])


# runs in a process that cannot import jitlib (or ir, codegen, sympy, scipy)
CHILD = textwrap.dedent(
    """
    import importlib.abc, importlib.util, json, pickle, sys

    class Blocked(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in ("jitlib", "ir", "codegen", "sympy", "scipy"):
                raise ImportError(f"{name} is blocked here")

    sys.meta_path.insert(0, Blocked())
    import numpy as np

    module_path, name, args_path = sys.argv[1:]
    spec = importlib.util.spec_from_file_location("exported", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    calls = pickle.load(open(args_path, "rb"))
    results = [getattr(module, name)(*args) for args in calls]
    pickle.dump(results, open(args_path + ".out", "wb"))
    print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("jitlib", "sympy"))))
    """
)


def _leaves(tree) -> list:
    return jl.tree_flatten(tree)[0]


@pytest.mark.parametrize("backend", ["numpy", "triton"])
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_saved_module_runs_without_jitlib_at_three_sizes(name, backend, tmp_path):
    import os
    import pickle

    fn, make = EXPORTS[name]
    exported = jl.export(fn, *make(SIZES[0]), backend=backend)
    assert exported.backend == backend
    path = exported.save(tmp_path)
    calls = [make(n) for n in SIZES]
    if name == "forward":  # the exported function takes the dynamic arguments only
        calls = [args[:2] for args in calls]
    args_path = tmp_path / "args.pkl"
    args_path.write_bytes(pickle.dumps(calls))
    env = dict(os.environ, TRITON_INTERPRET="1")  # the Triton module in the interpreter
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), exported.name, str(args_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []  # nothing of jitlib or sympy was imported
    results = pickle.loads((tmp_path / "args.pkl.out").read_bytes())
    for n, got in zip(SIZES, results):
        want = _expected(name, make(n))
        assert jl.tree_flatten(got)[1] == jl.tree_flatten(want)[1]
        for g, w in zip(_leaves(got), _leaves(want)):
            assert g.dtype == np.asarray(w).dtype and g.shape == np.shape(w)
            # the op-case table's tolerances (tests/ops/test_forward.py): row sums are
            # einsum's, whose rounding is not numpy's pairwise sum's
            if g.dtype == np.float32:
                np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
            else:
                np.testing.assert_allclose(g, w, rtol=1e-12)


def test_exported_gradient_matches_finite_differences(tmp_path):
    namespace: dict = {}
    exported = jl.export(jl.grad(loss), *_loss_args(6))
    exec(exported.source, namespace)
    w, x, y = _loss_args(9)
    grad = namespace[exported.name](w, x, y)
    direction = np.random.default_rng(4).standard_normal(w.shape)
    eps = 1e-6
    numeric = (loss(w + eps * direction, x, y) - loss(w - eps * direction, x, y)) / (2 * eps)
    np.testing.assert_allclose(np.sum(grad * direction), numeric, rtol=1e-6)


def test_header_names_the_origin_version_and_signature():
    exported = jl.export(jl.grad(loss), *_loss_args(6))
    head = exported.source.split('"""', 2)[1]
    assert exported.name == "grad_loss"
    assert "test_export.py:" in head and f"jitlib {jl.__version__}" in head
    assert "grad_loss(f64[s0,s1], f64[s2,s0], f64[s2])" in head
    assert "#   func grad_loss(" in exported.source  # the IR, as a comment
    assert "import jitlib" not in exported.source and "sympy" not in exported.source


@pytest.fixture(scope="module")
def forward():
    namespace: dict = {}
    exported = jl.export(jl.jit(affine_norm, static_argnums=2), *_affine_args(4), 2)
    exec(exported.source, namespace)
    return namespace[exported.name]


BAD = {
    "dtype": (lambda x, p: (x.astype(np.float64), p), TypeError, r"x must have dtype float32"),
    "rank": (lambda x, p: (x[0], p), ValueError, r"x must have 2 dimensions"),
    "sizes": (
        lambda x, p: (x, {**p, "scale": p["scale"][:4]}),
        ValueError,
        r"params\['scale'\] has size 4 on axis 0, which must equal the size 5 of x on axis 1",
    ),
    "structure": (lambda x, p: (x, {"scale": p["scale"]}), TypeError, r"params must be a dict"),
    "not an array": (lambda x, p: (x.tolist(), p), TypeError, r"x must be a numpy array"),
    "size 1": (lambda x, p: (x[:1], p), ValueError, r"x has size 1 on axis 0"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_wrong_arguments_raise_naming_the_argument(forward, case):
    change, error, message = BAD[case]
    with pytest.raises(error, match=message):
        forward(*change(*_affine_args(6)))


def test_the_trace_guards_are_checked():
    def wide_or_tall(x):
        if x.shape[0] > x.shape[1]:  # a guard on the sizes
            return x.sum(axis=0)
        return x.sum(axis=1)

    namespace: dict = {}
    exported = jl.export(wide_or_tall, np.ones((5, 3)))
    exec(exported.source, namespace)
    run = namespace[exported.name]
    np.testing.assert_array_equal(run(np.ones((7, 2))), np.full(2, 7.0))
    with pytest.raises(ValueError, match="assumption"):
        run(np.ones((2, 7)))


def test_a_static_argument_that_cannot_be_kept_is_refused():
    with pytest.raises(jl.JitError, match="hashable"):
        jl.export(jl.jit(affine_norm, static_argnums=2), *_affine_args(4), [2])


def test_an_unknown_backend_is_refused():
    with pytest.raises(jl.UnsupportedError, match="unknown backend"):
        jl.export(loss, *_loss_args(6), backend="cuda")


def test_the_triton_module_holds_its_kernels_and_runtime():
    source = jl.export(jl.grad(loss), *_loss_args(6), backend="triton").source
    assert "@triton.jit" in source and "import triton" in source
    imports = re.findall(r"^\s*(?:from|import) (\w+)", source, re.M)
    assert set(imports) <= {
        "linecache",
        "sys",
        "types",
        "numpy",
        "triton",
        "math",
        "functools",
        "os",
        "threading",
        "__future__",
        "cupy",
        "builtins",
    }, set(imports)
    assert "Backend: triton" in source
