"""Shared by every test directory: pytest puts this directory on sys.path, so suites can
import the op-case table as `ops.cases` and its input helpers from `ops.test_forward`."""

import os
import shutil

# Without a CUDA GPU, Triton kernels run in Triton's interpreter. Triton reads the variable
# when a kernel is decorated, so it is set here, before any test module imports triton.
if not shutil.which("nvidia-smi"):
    os.environ.setdefault("TRITON_INTERPRET", "1")
