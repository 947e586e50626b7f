"""What the fuzz suites tried, counted per check (printed by tests/fuzz/conftest.py)."""

from collections import Counter

COUNTS: Counter = Counter()
