"""The dtypes the IR knows, their short printed names, and numpy's result-type rules."""

from functools import cache

import numpy as np

from ir.errors import UnsupportedError

# IR dtypes are numpy dtype names; bfloat16 exists only on the GPU backend.
SHORT = {
    "bool": "bool",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "float16": "f16",
    "bfloat16": "bf16",
    "float32": "f32",
    "float64": "f64",
}
FLOATS = frozenset({"float16", "bfloat16", "float32", "float64"})
INTS = frozenset({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"})
UNSIGNED = frozenset({"uint8", "uint16", "uint32", "uint64"})


def canonical(dtype) -> str:
    """The IR name of a numpy dtype (or dtype-like); unsupported dtypes raise."""
    name = np.dtype(dtype).name if not isinstance(dtype, str) or dtype != "bfloat16" else dtype
    if name not in SHORT:
        raise UnsupportedError(f"dtype {name} is not supported (supported: {', '.join(SHORT)})")
    return name


def is_float(dtype: str) -> bool:
    return dtype in FLOATS


def is_int(dtype: str) -> bool:
    return dtype in INTS


def _probe(dtype: str) -> np.ndarray:
    # A one-element array of the dtype, so numpy's own rules give result dtypes.
    return np.ones((1,), dtype="float32" if dtype == "bfloat16" else dtype)


@cache
def result_dtype(fn, dtypes: tuple, params: tuple = ()) -> str:
    """The dtype numpy's `fn` gives for inputs of these dtypes: numpy is the spec."""
    with np.errstate(all="ignore"):
        out = fn(*[_probe(d) for d in dtypes], **dict(params))
    name = canonical(np.asarray(out).dtype)
    if "bfloat16" in dtypes and name == "float32":
        return "bfloat16"
    return name


def python_scalar_dtype(scalar) -> str:
    """The dtype numpy gives a Python scalar alone (bool, int64, float64)."""
    if isinstance(scalar, bool):
        return "bool"
    if isinstance(scalar, int):
        return "int64"
    if isinstance(scalar, float):
        return "float64"
    raise UnsupportedError(f"{type(scalar).__name__} scalars are not supported")
