"""Backends: emitters from an optimised ir.Function to runnable code, and their runtimes."""
