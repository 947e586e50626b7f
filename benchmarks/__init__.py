"""Benchmark workloads (plain numpy functions that jitlib-bench times under jitlib and
eagerly), how they are timed (`timing`), and the GPU check (`gpu_check.sh`)."""
