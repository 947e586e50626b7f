"""The op record: everything about one primitive, declared once."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, eq=False)
class Op:
    """One primitive.

    `shape(*types, **params)` types the outputs and raises ShapeError on bad input;
    `impl(*arrays, **params)` is the numpy reference used by the interpreter and the numpy
    emitter; `numpy` lists the numpy callables the tracer maps straight onto this op.
    `triton`, `vjp`, `jvp` and `batch` are filled by later work; None means "no rule yet"
    and whoever needs one raises an error that names the op.
    `inplace(x, *rest, **params)`, where given, does impl's work by writing into x (ops
    that return a changed copy of their first operand): the numpy emitter uses it when
    x's buffer is dead after the op.
    """

    name: str
    shape: Callable
    impl: Callable
    numpy: tuple = ()
    triton: str | None = None
    vjp: Callable | None = None
    jvp: Callable | None = None
    batch: Callable | str | None = None
    tags: frozenset = field(default_factory=frozenset)
    inplace: Callable | None = None

    def __post_init__(self) -> None:
        BY_NAME[self.name] = self

    def __repr__(self) -> str:
        return f"Op({self.name})"


# Every Op by name, filled as records are declared: rules bind ops by name through it.
BY_NAME: dict[str, Op] = {}
