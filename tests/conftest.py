"""Shared by every test directory: pytest puts this directory on sys.path, so suites can
import the op-case table as `ops.cases` and its input helpers from `ops.test_forward`."""
