"""What the fuzz suites tried, counted per check (printed by tests/fuzz/conftest.py), and the
profile they run: a fixed set of programs in CI, ten times as many fresh ones with
JITLIB_FUZZ=long."""

import os
from collections import Counter

from hypothesis import HealthCheck, Phase, settings

COUNTS: Counter = Counter()
LONG = os.environ.get("JITLIB_FUZZ") == "long"


def fuzz(examples: int, shrink: bool = True):
    """Hypothesis settings: `examples` fixed programs in CI, 10x as many fresh ones when long.
    Without `shrink`, CI does not minimise a failing program (minutes of retries where the
    failure already shows its source); the long run always does."""
    phases = set(Phase) if LONG or shrink else set(Phase) - {Phase.shrink}
    return settings(
        max_examples=examples * 10 if LONG else examples,
        derandomize=not LONG,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=phases,
    )
