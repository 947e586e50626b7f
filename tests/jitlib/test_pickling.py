"""Pickling jitted and transformed functions (jitlib.pickling): by name where their module
holds them, by value otherwise (cloudpickle for lambdas and closures). A copy computes what
the original does, starts with an empty cache, and in another process reuses the compiled
code of a shared JITLIB_CACHE_DIR."""

import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import cloudpickle
import numpy as np
import pickle_targets as targets
import pytest

import jitlib as jl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RNG = np.random.default_rng(7)
W, X = RNG.standard_normal((4, 3)), RNG.standard_normal((5, 4))


def _same(a, b) -> None:
    for x, y in zip(jl.tree_flatten(a)[0], jl.tree_flatten(b)[0]):
        np.testing.assert_array_equal(x, y)


def _closure_scale():
    scale = RNG.standard_normal(3)
    return lambda w, x: np.sum(np.sin(x @ w) * scale)


# (name, function, arguments): every kind of function jitlib hands out
IMPORTABLE = {
    "jit_module_level": (targets.jitted_layernorm, (X,)),
    "jit_static_argnums": (targets.jitted_power, (X, 3)),
    "jit_of_importable": (jl.jit(targets.loss), (W, X)),
    "grad_module_level": (targets.grad_loss, (W, X)),
    "grad": (jl.grad(targets.loss, argnums=(0, 1)), (W, X)),
    "value_and_grad": (jl.value_and_grad(targets.loss), (W, X)),
    "vmap": (jl.vmap(targets.loss, in_axes=(None, 0)), (W, X[:, None, :])),
    "jacrev": (jl.jacrev(targets.jitted_layernorm), (X[:2, :3],)),
    "jacfwd": (jl.jacfwd(targets.jitted_layernorm), (X[:2, :3],)),
    "hessian": (jl.hessian(targets.loss), (W, X)),
    "custom_vjp": (jl.grad(targets.clipped_loss), (X,)),
    "custom_jvp": (jl.grad(targets.softplus_total), (X,)),
    "jit_of_vmap_of_grad": (jl.jit(jl.vmap(jl.grad(targets.loss), (None, 0))), (W, X[:, None])),
}
BY_VALUE = {
    "lambda": (jl.jit(lambda x: np.exp(x) * 2.0), (X,)),
    "closure": (jl.jit(_closure_scale()), (W, X)),
    "grad_of_closure": (jl.grad(_closure_scale()), (W, X)),
    "vmap_of_lambda": (jl.vmap(lambda r: r @ r, in_axes=1), (X,)),
    "custom_vjp_local": None,  # made below: a custom_vjp in a function's locals
}


def _local_custom_vjp():
    @jl.custom_vjp
    def doubled_gradient(x):
        return x + 0.0

    doubled_gradient.defvjp(lambda x: (x, None), lambda _, ct: (2.0 * ct,))
    return jl.grad(lambda x: doubled_gradient(x).sum()), (X,)


BY_VALUE["custom_vjp_local"] = _local_custom_vjp()


@pytest.mark.parametrize("name", sorted(IMPORTABLE))
@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps], ids=["pickle", "cloudpickle"])
def test_importable_functions_pickle(name, dumps):
    fn, args = IMPORTABLE[name]
    copy = pickle.loads(dumps(fn))
    _same(copy(*args), fn(*args))


@pytest.mark.parametrize("name", sorted(BY_VALUE))
def test_lambdas_and_closures_pickle_with_cloudpickle(name):
    fn, args = BY_VALUE[name]
    copy = cloudpickle.loads(cloudpickle.dumps(fn))
    assert copy is not fn
    _same(copy(*args), fn(*args))


def test_module_level_function_pickles_by_name():
    assert b"jitted_layernorm" in pickle.dumps(targets.jitted_layernorm)
    assert pickle.loads(pickle.dumps(targets.jitted_layernorm)) is targets.jitted_layernorm
    assert pickle.loads(pickle.dumps(targets.clipped)) is targets.clipped


def test_a_copy_starts_with_an_empty_cache():
    f = jl.jit(lambda x: x * 3.0)
    f(X)
    copy = cloudpickle.loads(cloudpickle.dumps(f))
    assert copy.cache_info().entries == 0
    _same(copy(X), f(X))
    assert copy.cache_info().misses == 1


def test_plain_pickle_of_a_lambda_says_why():
    with pytest.raises((pickle.PicklingError, AttributeError), match="lambda"):
        pickle.dumps(jl.jit(lambda x: x))


def test_vjp_closures_refuse_with_a_reason():
    _, vjp_fn = jl.vjp(targets.loss, W, X)
    with pytest.raises((TypeError, pickle.PicklingError, AttributeError)):
        pickle.dumps(vjp_fn)


# another process: loads the pickled functions, checks them, counts its code generations
CHILD = textwrap.dedent(
    """
    import json, pickle, sys
    import numpy as np
    from codegen import numpy_emitter

    generated = []
    real_emit = numpy_emitter.emit
    numpy_emitter.emit = lambda *a, **k: generated.append(1) or real_emit(*a, **k)
    functions, args, expected = pickle.loads(sys.stdin.buffer.read())
    for fn, a, want in zip(functions, args, expected):
        got = fn(*a)
        assert np.array_equal(np.asarray(got), np.asarray(want)), (fn, got, want)
    print(json.dumps({"generated": len(generated)}))
    """
)


def test_another_process_runs_them_and_reuses_the_disk_cache(tmp_path):
    cache = tmp_path / "cache"
    env = dict(
        os.environ,
        JITLIB_CACHE_DIR=str(cache),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]),
    )
    functions = [targets.jitted_layernorm, jl.jit(lambda x: np.exp(x) * 2.0), targets.grad_loss]
    args = [(X,), (X,), (W, X)]
    payload = cloudpickle.dumps((functions, args, [f(*a) for f, a in zip(functions, args)]))

    def child() -> dict:
        done = subprocess.run(
            [sys.executable, "-c", CHILD], input=payload, cwd=ROOT, env=env, capture_output=True
        )
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)

    assert child()["generated"] == 3  # an empty cache directory: every function compiled
    assert child()["generated"] == 0  # the same directory: all three from disk


def test_a_spawned_process_pool_maps_a_jitted_function():
    import concurrent.futures
    import multiprocessing

    batches = [X, X[:3] * 2.0, X[:1] - 1.0]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        got = list(pool.map(targets.jitted_layernorm, batches))
    for g, batch in zip(got, batches):
        _same(g, targets.jitted_layernorm(batch))
