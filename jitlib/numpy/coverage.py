"""Which of numpy's public functions jitlib traces, and why each other one is left out.

`python -m jitlib.numpy.coverage` prints the count and writes docs/numpy-coverage.md.

>>> from jitlib.numpy import coverage
>>> "add" in coverage.traced() and "save" in coverage.left_out()
True
"""

import ast
import importlib
import inspect
import pkgutil
import sys
import textwrap
from pathlib import Path

import numpy as np

import jitlib.numpy
from jitlib import dispatch

# Functions numpy does not hand to jitlib (no __array_function__ dispatch) that still run
# on traced arrays as numpy wrote them: they only read dtypes, shapes or static sizes.
# tests/jitlib/test_coverage.py runs each one under jit on a traced array.
WORKS_AS_IS = (
    "bartlett",
    "blackman",
    "hamming",
    "hanning",
    "isdtype",
    "isscalar",
    "issubdtype",
    "iterable",
    "kaiser",
    "mask_indices",
    "mintypecode",
    "promote_types",
    "row_stack",
    "typename",
)

# Why the others are left out: one reason per group, names as numpy spells them
# (numpy.linalg's with the "linalg." prefix).
REASONS = {
    "file and buffer I/O": (
        "frombuffer fromfile fromregex fromstring genfromtxt load loadtxt save "
        "savetxt savez savez_compressed"
    ),
    "printing and formatting": (
        "array2string array_repr array_str base_repr binary_repr format_float_positional "
        "format_float_scientific get_include get_printoptions info printoptions "
        "set_printoptions show_config show_runtime"
    ),
    "complex results": "linalg.eig linalg.eigvals roots sort_complex",
    "datetime": "busday_count busday_offset datetime_as_string datetime_data is_busday isnat",
    "process state": ("getbufsize geterr geterrcall linalg.test setbufsize seterr seterrcall test"),
    "Python-level helpers with no array semantics": "nested_iters",
    "numpy.matrix, a class jitlib does not trace": "asmatrix bmat",
    "memory layout flags, which a traced array does not have": "isfortran",
}
REFUSED = "refused inside @jit with an error that says why"
NOT_YET = "not yet supported"


def _public(module, prefix: str = "") -> dict:
    """Public callables of `module` that are not classes, by (prefixed) name."""
    found = {}
    for name in dir(module):
        obj = getattr(module, name)
        if not name.startswith("_") and callable(obj) and not isinstance(obj, type):
            found[prefix + name] = obj
    return found


def public_callables() -> dict:
    """numpy's and numpy.linalg's public functions (ufuncs included), by name."""
    return _public(np) | _public(np.linalg, "linalg.")


def _import_all() -> None:
    """Every jitlib.numpy module, so every registration is in dispatch.HANDLED."""
    for module in pkgutil.iter_modules(jitlib.numpy.__path__):
        importlib.import_module(f"jitlib.numpy.{module.name}")


def traced() -> list:
    """Names of the public callables jitlib traces: registered for NEP 13/18 dispatch (and
    not only to refuse), or in WORKS_AS_IS."""
    _import_all()
    return sorted(
        name
        for name, fn in public_callables().items()
        if name in WORKS_AS_IS or (_registered(fn) and not refuses(dispatch.HANDLED[fn]))
    )


def refuses(fn) -> bool:
    """Whether a jitlib function does nothing but raise, itself or through one call to a
    `*refuse*` helper: registered to give a clearer error than the default (as for
    np.linalg.eig), so it traces nothing."""
    try:
        source = textwrap.dedent(inspect.getsource(inspect.unwrap(fn)))
    except (OSError, TypeError):  # no Python source: not a plain function of ours
        return False
    body = ast.parse(source).body[0].body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1:
        return False
    statement = body[0]
    if isinstance(statement, ast.Raise):
        return True
    call = statement.value if isinstance(statement, ast.Expr) else None
    name = getattr(getattr(call, "func", None), "id", "")
    return isinstance(call, ast.Call) and "refuse" in name


def _registered(fn) -> bool:
    try:
        return fn in dispatch.HANDLED
    except TypeError:  # an unhashable callable: never registered
        return False


def reason_of() -> dict:
    """name -> its reason, for every name in REASONS."""
    return {name: reason for reason, names in REASONS.items() for name in names.split()}


def left_out() -> dict:
    """The public callables jitlib does not trace, each with its reason."""
    done, reasons = set(traced()), reason_of()
    refused = {name for name, fn in public_callables().items() if _registered(fn)}
    return {
        name: reasons.get(name, REFUSED if name in refused else NOT_YET)
        for name in sorted(public_callables())
        if name not in done
    }


def page() -> str:
    """docs/numpy-coverage.md: the count, the traced names, the others by reason."""
    names, skipped = traced(), left_out()
    total = len(public_callables())
    lines = [
        "# numpy coverage",
        "",
        f"jitlib traces {len(names)} of the {total} public functions of numpy {np.__version__} "
        "and numpy.linalg (ufuncs included, classes not), as `python -m "
        "jitlib.numpy.coverage` counts them (it writes this page).",
        "",
        "Under `@jit`, `np.array_equal`, `np.array_equiv` and `np.allclose` return a 0-d bool "
        "traced array (numpy returns a Python bool), as JAX does: branching on it with `if` "
        "raises a ConcretizationError; use `np.where` or `jl.cond`. Some numpy functions do not "
        "dispatch to jitlib (`np.asanyarray`, `np.ascontiguousarray`, `np.asfortranarray`, "
        "`np.asarray_chkfinite`, `np.require`, `np.fromfunction`, `np.broadcast_shapes`, "
        "`np.diag_indices`, `np.indices`, `np.fromiter`, `np.frompyfunc`, `np.from_dlpack`): "
        "their `jitlib.numpy` versions trace (symbolic sizes "
        "included); `np.indices(x.shape)` itself runs under jit on the current sizes, guarded, "
        "so each new size traces again. `np.bincount` needs a static `minlength` under jit "
        "(its length otherwise depends on the data). The functions whose output length depends "
        "on the data (`np.nonzero`, `np.flatnonzero`, `np.argwhere`, `np.extract`, `np.unique` "
        "and `np.unique_all`/`_counts`/`_inverse`/`_values`, `np.union1d`, `np.intersect1d`, "
        "`np.setdiff1d`, `np.setxor1d`, `np.trim_zeros` of a 1-d array) raise UnsupportedError "
        "under jit when numpy's own "
        "function is called; their `jitlib.numpy` versions take a static `size=` (and "
        "`fill_value=`), as JAX's do, keep the first `size` results and pad the rest. Where numpy raises because of the values "
        "(`np.asarray_chkfinite` of inf or nan, `np.bincount` of a value outside "
        "[0, minlength), `np.average` of weights summing to 0, negative or fractional "
        "`np.cov` weights, histograms whose data range is not finite), the jitted function "
        "raises `jl.ValueCheckError` (a ValueError) when it runs.",
        "",
        f"## Traced ({len(names)})",
        "",
        ", ".join(f"`{name}`" for name in names),
        "",
        f"## Left out ({len(skipped)})",
    ]
    for reason in [*REASONS, REFUSED, NOT_YET]:
        group = [name for name, why in skipped.items() if why == reason]
        if group:
            lines += ["", f"### {reason} ({len(group)})", "", ", ".join(f"`{n}`" for n in group)]
    return "\n".join(lines) + "\n"


def main() -> None:
    text = page()
    path = Path(__file__).resolve().parents[2] / "docs" / "numpy-coverage.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    print(f"jitlib traces {len(traced())} of {len(public_callables())} numpy callables")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
