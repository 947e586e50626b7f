"""Backends: emitters from an optimised ir.Function to runnable code, and their runtimes."""

import threading

# CPython 3.11's parser keeps one recursion-depth count per interpreter, which threads that
# parse at once corrupt: ast.parse raises SystemError ("AST constructor recursion depth
# mismatch", CPython gh-106905). jitlib parses, compiles and runs generated source under
# this lock (re-entrant: running a Triton module parses its kernels' source again).
PARSE_LOCK = threading.RLock()
