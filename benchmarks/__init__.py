"""Benchmark workloads: plain numpy functions that jitlib-bench times under jitlib and eagerly."""
