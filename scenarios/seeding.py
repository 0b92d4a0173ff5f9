"""Seeded randomness, so a presenter's run looks the same every time.

Each draw is keyed (by a file id, a URL, a message), so it does not depend on which thread asks first.
"""

from __future__ import annotations

import random

_seed = 0


def seed(value: int) -> None:
    global _seed
    _seed = value


def rng(key: object) -> random.Random:
    """A generator of its own for ``key`` under the run's seed."""
    return random.Random(f"{_seed}:{key}")


def uniform(key: object, low: float, high: float) -> float:
    """``random.uniform(low, high)``, the same for the same seed and key."""
    return rng(key).uniform(low, high)
