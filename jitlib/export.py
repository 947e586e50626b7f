"""jl.export: a jitted function as a standalone Python module that needs numpy alone (or,
with backend="triton", triton and CuPy on a GPU: its kernels, launcher and runtime modules).

The module holds the numpy backend's generated code for the example arguments' signature
(sizes stay symbolic, so it serves every size of it), the op helpers that code calls, the
function's array constants as exact bytes, and one public function, named as in the printed
IR, that checks its arguments (pytree structure, dtype, rank, which sizes must be equal,
the guards the trace recorded) before it runs: an argument it was not made for raises
TypeError or ValueError naming that argument, never computes garbage. Static arguments are
fixed at their example values and are not parameters of the exported function.

>>> import numpy as np, jitlib as jl
>>> def scale(x, w):
...     return np.tanh(x) * w
>>> exported = jl.export(scale, np.ones((2, 3), np.float32), np.ones(3, np.float32))
>>> namespace = {}
>>> exec(exported.source, namespace)
>>> namespace["scale"](np.zeros((4, 3), np.float32), np.ones(3, np.float32)).shape
(4, 3)
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import keyword
import os
import re
import textwrap
import types
from pathlib import Path

import numpy as np

from codegen import bound_names, numpy_emitter
from ir import shapes
from ir.passes import optimize
from jitlib import pytree
from jitlib.errors import UnsupportedError

_STDLIB = {"math", "functools", "operator", "itertools", "collections", "builtins"}


class Exported:
    """A module's text (`.source`) and its public function's name (`.name`)."""

    def __init__(self, source: str, name: str, backend: str):
        self.source, self.name, self.backend = source, name, backend

    def save(self, path) -> Path:
        """Write the module to `path` (a .py file, or a directory: `<name>.py` in it)."""
        path = Path(path)
        if path.is_dir():
            path = path / f"{self.name}.py"
        path.write_text(self.source)
        return path

    def __repr__(self) -> str:
        return f"Exported({self.name}, backend={self.backend}, {len(self.source)} characters)"


def export(f, *example_args, backend: str | None = None) -> Exported:
    """A standalone module computing `f` for arguments of the example arguments' signature:
    `.source` is its text, `.save(path)` writes it. The numpy backend's module imports numpy
    and Python's standard library only; the Triton backend's imports triton too (and CuPy
    on a GPU)."""
    from jitlib import backends
    from jitlib.api import JitFunction, jit
    from jitlib.transforms import Transformed

    if backend not in (None, "auto", "numpy", "triton"):
        raise UnsupportedError(f"jl.export: unknown backend {backend!r} (numpy or triton)")
    backend = "numpy" if backend in (None, "auto") else backend
    if backend == "triton":
        backends.resolve("triton")  # a clear error where the Triton backend cannot run
    user = getattr(f, "__wrapped__", None) or getattr(f, "fn", f)  # whose signature names
    if isinstance(f, Transformed):
        jf = f._jitted or f._jit()
    elif isinstance(f, JitFunction):
        jf = f
    else:
        jf = jit(f)
    dynamic, statics = jf._split(example_args, {})  # a static that cannot be kept raises
    leaves, treedef = pytree.tree_flatten(dynamic)
    fn, out_tree, _, written = jf._trace(example_args, {})
    if written:
        raise UnsupportedError(
            f"jl.export of {jf.__name__}: it writes to its arguments; export a function that "
            "returns the new values instead"
        )
    optimized = optimize(fn)
    name = optimized.name + ("_" if keyword.iskeyword(optimized.name) else "")
    wrapper = functools.partial(_wrapper, user, name)
    if backend == "triton":
        return _triton_module(
            jf, user, name, optimized, statics, wrapper, leaves, treedef, out_tree
        )
    kernel = numpy_emitter.emit(optimized, chunk=False)
    parts = [
        _header(jf, user, name, optimized, statics, "numpy"),
        "import numpy as np\n",
        _RUNTIME,
        _helpers(kernel),
        kernel.source,
        wrapper(kernel.name, optimized, leaves, treedef, statics, out_tree),
    ]
    return Exported("\n".join(parts), name, "numpy")


# the Triton backend's helper modules the generated code imports, by the name it uses
TRITON_MODULES = {
    "rt": "codegen.triton_runtime",
    "red": "codegen.triton_combine",
    "jl": "codegen.triton_prelude",
    "scatter": "codegen.triton_scatter",
    "sort": "codegen.triton_sort",
}


def _triton_module(jf, user, name, fn, statics, wrapper, leaves, treedef, out_tree) -> Exported:
    """The Triton backend's module: its kernels and launcher, the runtime modules they use
    (their source, made into modules when the exported one is imported), the emitter's few
    launch helpers, and the checking wrapper."""
    import importlib

    from jitlib import backends

    kernel = backends.compile_function(fn, "triton")
    source = kernel.source
    used = set(re.findall(r"^from codegen import (\w+) as (\w+)$", source, re.M))
    body = "\n".join(
        line for line in source.splitlines() if not line.startswith("from codegen import ")
    )
    modules = []
    for alias in ("rt", "red", "jl", "scatter", "sort"):  # rt first: the others import it
        if any(a == alias for _, a in used):
            text = inspect.getsource(importlib.import_module(TRITON_MODULES[alias]))
            modules.append(f"{alias} = _module({alias!r}, {_portable(text)!r})")
    emitter = importlib.import_module("codegen.triton_emitter")
    done: set = set()
    helpers, names = [], sorted(set(re.findall(r"\bte\.(\w+)", body)))
    for attr in names:
        helpers += _definition(f"_te_{attr}", getattr(emitter, attr), done, f"te.{attr}")
    fields = ", ".join(f"{attr}=_te_{attr}" for attr in names)
    helpers.append(f"te = types.SimpleNamespace({fields})")
    bound = bound_names(body) | {alias for _, alias in used} | {"te", "triton", "tl"}
    namespace = inspect.unwrap(kernel.fn).__globals__  # the launcher's, not a wrapper's
    for key, value in namespace.items():
        if key not in bound and not key.startswith("__") and key not in ("np",):
            helpers += _definition(key, value, done, f"the generated code's {key}")
    launcher = re.search(r"^def (\w+_triton)\(", body, re.M).group(1)
    parts = [
        _header(jf, user, name, fn, statics, "triton"),
        "import linecache\nimport sys\nimport types\n\nimport numpy as np\nimport triton",
        "import triton.language as tl\n",
        _MODULE_MAKER,
        *modules,
        "\n".join(helpers),
        body,
        wrapper(launcher, fn, leaves, treedef, statics, out_tree),
    ]
    return Exported("\n".join(parts), name, "triton")


_MODULE_MAKER = '''

def _module(alias, source):
    """A runtime module of jitlib's Triton backend, from its source kept here (Triton reads
    a kernel's source, so linecache holds it under the module's file name)."""
    name = f"_jitlib_exported_{alias}"
    if name in sys.modules:
        return sys.modules[name]
    module = types.ModuleType(name)
    filename = f"<{name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module.__file__ = filename
    sys.modules[name] = module
    exec(compile(source, filename, "exec"), module.__dict__)
    return module
'''


def _portable(text: str) -> str:
    """A runtime module's source without its imports of jitlib's packages: its errors are
    the exported module's own, its sibling modules the ones made beside it."""
    text = text.replace(
        "from ir.errors import UnsupportedError",
        "class UnsupportedError(Exception):\n    pass",
    )
    return re.sub(
        r"^from codegen import triton_runtime as rt$",
        "import sys\nrt = sys.modules['_jitlib_exported_rt']",
        text,
        flags=re.M,
    )


# --- the module's parts -------------------------------------------------------------------
def _header(jf, user, name: str, fn, statics: tuple, backend: str) -> str:
    import jitlib

    code = getattr(inspect.unwrap(user), "__code__", None)
    where = f"{code.co_filename}:{code.co_firstlineno}" if code else "(no source)"
    origin = f"{getattr(user, '__module__', '?')}.{getattr(user, '__qualname__', jf.__name__)}"
    signature = ", ".join(str(p.type) for p in fn.params)
    fixed = ", ".join(f"{where_}={value!r}" for where_, value, _ in statics) or "none"
    lines = [
        f'"""{name}: exported by jitlib {jitlib.__version__} from {origin} ({where}).',
        "",
        f"Signature: {name}({signature}); static arguments fixed: {fixed}.",
        "Sizes named s0, s1, ... are symbolic: any size of at least 2, equal where the names",
        f"are equal. Backend: {backend} ("
        + ("numpy alone" if backend == "numpy" else "triton, and CuPy on a GPU")
        + "); arguments of another pytree structure,",
        'dtype or rank, or sizes the trace did not allow, raise TypeError or ValueError."""',
        "",
        "# The generated code below starts with the function's IR, as a comment.",
    ]
    return "\n".join(lines) + "\n"


_RUNTIME = '''

class rt:
    """The few runtime names the generated code reads (jitlib's pools and threads are
    not part of an exported module: numpy allocates, one thread runs)."""

    MIN_POOLED_BYTES = float("inf")
    SMALL_BYTES = float("inf")
    empty = staticmethod(np.empty)


def scratch(pool, slot, shape, dtype):
    return None


POOLS = {}
'''


def _helpers(kernel) -> str:
    """Source of what the generated code's namespace holds besides numpy and the runtime:
    op helpers (with what they use), array constants as exact bytes, the source map."""
    bound = bound_names(kernel.source)
    namespace = kernel.fn.__globals__
    out: list = []
    done: set = set()
    for key, value in namespace.items():
        if key in bound or key in ("__builtins__", "np", "rt", "scratch", "POOLS"):
            continue
        out += _definition(key, value, done, f"the generated code's {key}")
    return "\n".join(out) + "\n"


def _definition(key: str, value, done: set, what: str) -> list:
    """Lines binding `key` to (a copy of) `value` in the exported module."""
    if key in done:
        return []
    done.add(key)
    if isinstance(value, types.ModuleType):
        module = value.__name__
        if module == "numpy":
            return [] if key == "np" else [f"import numpy as {key}"]
        if module in _STDLIB:
            return [f"import {module} as {key}" if key != module else f"import {module}"]
        raise UnsupportedError(f"jl.export: {what} is the module {module}, not numpy's")
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return [
            f"{key} = np.frombuffer({data.tobytes()!r}, dtype={data.dtype.str!r})"
            f".reshape({data.shape!r}).copy()"
        ]
    if isinstance(value, bool | int | float | str | type(None)) or (
        isinstance(value, tuple | dict) and _plain(value)
    ):
        return [f"{key} = {value!r}"]
    if isinstance(value, np.generic):
        return [f"{key} = np.{value.dtype.name}({value.item()!r})"]
    if isinstance(value, type) and issubclass(value, Exception):
        base = next(b for b in value.__mro__ if b.__module__ == "builtins")
        return [f"class {key}({base.__name__}):", "    pass", ""]
    if isinstance(value, np.ufunc) or getattr(value, "__module__", "").startswith("numpy"):
        attr = getattr(value, "__name__", None)
        if attr is not None and getattr(np, attr, None) is value:
            return [f"{key} = np.{attr}"]
    function = inspect.unwrap(value) if callable(value) else None
    if isinstance(function, types.FunctionType):
        return _function_definition(key, function, done)
    raise UnsupportedError(
        f"jl.export: {what} is a {type(value).__name__}, which an exported module cannot hold"
    )


def _plain(value) -> bool:
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return isinstance(value, bool | int | float | str | type(None))


def _function_definition(key: str, function, done: set) -> list:
    """A helper's source (decorators dropped) preceded by what it uses from its module."""
    source = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(source).body[0]
    if not isinstance(tree, ast.FunctionDef):
        raise UnsupportedError(f"jl.export: the helper {key} is not a plain function")
    body_start = tree.lineno - 1 if not tree.decorator_list else tree.decorator_list[-1].end_lineno
    lines = source.splitlines()[body_start:]
    before: list = []
    for name in sorted(_global_names(function.__code__)):
        if name in function.__globals__ and not hasattr(builtins, name):
            before += _definition(
                name, function.__globals__[name], done, f"{name}, used by the helper {key}"
            )
    alias = [f"{key} = {function.__name__}"] if function.__name__ != key else []
    return before + lines + alias + [""]


def _global_names(code) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


# --- the public function ------------------------------------------------------------------
def _structure(treedef):
    """jitlib's treedef as plain data the module can walk: '*', None, ('dict', keys,
    children), or (kind name, children) for tuples, lists and NamedTuples."""
    if treedef == pytree.LEAF or treedef is None:
        return treedef
    kind = treedef[0]
    if kind is dict:
        return ("dict", treedef[1], tuple(_structure(c) for c in treedef[2]))
    name = kind.__name__ if kind in (tuple, list) else f"namedtuple {kind.__name__}"
    return (name, tuple(_structure(c) for c in treedef[1]))


def _rebuild(treedef, names: list) -> str:
    """A Python expression building the result pytree from the names of its leaves."""
    if treedef == pytree.LEAF:
        return names.pop(0)
    if treedef is None:
        return "None"
    kind = treedef[0]
    if kind is dict:
        items = ", ".join(f"{k!r}: {_rebuild(c, names)}" for k, c in zip(treedef[1], treedef[2]))
        return "{" + items + "}"
    children = [_rebuild(c, names) for c in treedef[1]]
    if kind is list:
        return "[" + ", ".join(children) + "]"
    if kind is tuple:
        return "(" + ", ".join(children) + ("," if len(children) == 1 else "") + ")"
    raise UnsupportedError(
        f"jl.export: the function returns a {kind.__name__}, which an exported module "
        "cannot rebuild without importing its class; return a tuple or dict"
    )


def _parameter_names(user, count: int, statics: tuple) -> list:
    fixed = {where for where, _, _ in statics if isinstance(where, int)}
    try:
        params = list(inspect.signature(inspect.unwrap(user)).parameters.values())
    except (TypeError, ValueError):
        params = []
    named = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [n for i, n in enumerate(named) if i not in fixed]
    names += [f"arg{i}" for i in range(len(names), count)]
    return names[:count]


def _wrapper(user, name, kernel_name, fn, leaves, treedef, statics, out_tree) -> str:
    dynamic_tree = treedef[1] if treedef[0] is tuple else (treedef,)
    if statics:  # (args, kwargs) with statics taken out: the positions left are the args
        args_tree = treedef[1][0]
        kept = [c for i, c in enumerate(args_tree[1]) if not _is_static(i, statics)]
        dynamic_tree = tuple(kept)
    names = _parameter_names(user, len(dynamic_tree), statics)
    specs = []
    for leaf, param in zip(leaves, fn.params):
        dims = tuple(d if isinstance(d, int) else str(d) for d in param.type.shape)
        weak = type(leaf) in (bool, int, float)
        specs.append((param.type.dtype, dims, weak))
    guard_lines = [f"        ({shapes.to_python(g)!r}, {str(g)!r})," for g in fn.guards]
    results = [f"r[{i}]" for i in range(len(fn.results))]
    result_expr = _rebuild(out_tree, results)
    signature = ", ".join(names)
    structure = repr(tuple(_structure(c) for c in dynamic_tree))
    return f'''
_STRUCTURE = {structure}
_LEAVES = {specs!r}
_GUARDS = [
{os.linesep.join(guard_lines)}
]
_NAMES = {names!r}


def _flatten(tree, spec, path, out):
    if spec == "*":
        out.append((path, tree))
        return
    if spec is None:
        if tree is not None:
            raise TypeError(f"{{path}} must be None, got {{type(tree).__name__}}")
        return
    if spec[0] == "dict":
        if not isinstance(tree, dict) or sorted(tree) != list(spec[1]):
            raise TypeError(f"{{path}} must be a dict with keys {{list(spec[1])}}")
        for key, child in zip(spec[1], spec[2]):
            _flatten(tree[key], child, f"{{path}}[{{key!r}}]", out)
        return
    kind = list if spec[0] == "list" else tuple
    if not isinstance(tree, kind) or len(tree) != len(spec[1]):
        raise TypeError(f"{{path}} must be a {{spec[0]}} of {{len(spec[1])}} items")
    for i, (child, sub) in enumerate(zip(tree, spec[1])):
        _flatten(child, sub, f"{{path}}[{{i}}]", out)


def _checked(path, x, dtype, dims, weak, sizes):
    if weak:  # a Python number in the example: any real number, in its dtype
        if not isinstance(x, (bool, int, float, np.number, np.bool_)):
            raise TypeError(f"{{path}} must be a number, got {{type(x).__name__}}")
        return np.asarray(x, dtype=dtype)
    if isinstance(x, np.generic):
        x = np.asarray(x)
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{{path}} must be a numpy array of {{dtype}}, got {{type(x).__name__}}")
    if x.dtype != np.dtype(dtype):
        raise TypeError(f"{{path}} must have dtype {{dtype}}, got {{x.dtype}}")
    if x.ndim != len(dims):
        raise ValueError(f"{{path}} must have {{len(dims)}} dimensions, got shape {{x.shape}}")
    for axis, (size, want) in enumerate(zip(x.shape, dims)):
        if isinstance(want, int):
            if size != want:
                raise ValueError(f"{{path}} must have size {{want}} on axis {{axis}}, got {{size}}")
        elif size < 2:
            raise ValueError(
                f"{{path}} has size {{size}} on axis {{axis}}; the module serves sizes of at least 2 "
                "there (export it again with an example of that size)"
            )
        elif sizes.setdefault(want, (size, path, axis))[0] != size:
            first = sizes[want]
            raise ValueError(
                f"{{path}} has size {{size}} on axis {{axis}}, which must equal the size "
                f"{{first[0]}} of {{first[1]}} on axis {{first[2]}}"
            )
    return x


def {name}({signature}):
    """{name}({signature}) as jitlib compiled it; see the module's docstring."""
    found = []
    for arg_name, arg, spec in zip(_NAMES, ({signature}{"," if len(names) == 1 else ""}), _STRUCTURE):
        _flatten(arg, spec, arg_name, found)
    sizes = {{}}
    arrays = [_checked(path, x, *spec, sizes) for (path, x), spec in zip(found, _LEAVES)]
    values = {{symbol: size for symbol, (size, _, _) in sizes.items()}}
    for test, text in _GUARDS:
        if not eval(test, {{"math": __import__("math")}}, dict(values)):
            raise ValueError(f"the sizes {{values}} break the trace's assumption {{text}}")
    r = {kernel_name}(*arrays)
    return {result_expr}
'''


def _is_static(i: int, statics: tuple) -> bool:
    return any(where == i for where, _, _ in statics)


__all__ = ["Exported", "export"]
