"""Backends: emitters from an optimised ir.Function to runnable code, and their runtimes."""

import ast
import threading

# CPython 3.11's parser keeps one recursion-depth count per interpreter, which threads that
# parse at once corrupt: ast.parse raises SystemError ("AST constructor recursion depth
# mismatch", CPython gh-106905). jitlib parses, compiles and runs generated source under
# this lock (re-entrant: running a Triton module parses its kernels' source again).
PARSE_LOCK = threading.RLock()


def bound_names(source: str) -> set:
    """The names generated source binds at its top level (functions, assigned constants,
    imports): what its namespace holds besides what the emitter gave it."""
    bound = set()
    with PARSE_LOCK:
        tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            bound.add(node.name)
        elif isinstance(node, ast.Assign):
            bound |= {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return bound
