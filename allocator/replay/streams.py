"""Common random numbers: one seeded stream per random process and week.

Why: policies must be compared on the same arrivals and vacancies, or the comparison
measures luck. Each process (arrivals, vacancies, declines, temporary housing, withdrawals)
draws from its own stream, seeded by (replay seed, process, week), so what one policy does
cannot shift another process's draws. Streams of events that happen to a household
(declines, entering temporary housing, withdrawing) are keyed by the household too, so the
same household meets the same luck under every policy in the same week.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

ARRIVALS = "arrivals"
VACANCIES = "vacancies"
DECLINES = "declines"
TEMPORARY = "temporary"
WITHDRAWALS = "withdrawals"
TRANSFERS = "transfers"

_STREAM_IDS = {
    ARRIVALS: 1,
    VACANCIES: 2,
    DECLINES: 3,
    TEMPORARY: 4,
    WITHDRAWALS: 5,
    TRANSFERS: 6,
}


@dataclass(frozen=True)
class Streams:
    """The replay's random numbers; every method is a pure function of its arguments."""

    seed: int

    def week(self, process: str, week: int) -> random.Random:
        """A stream for one process and week (string seeds hash with SHA-512: stable)."""
        return random.Random(f"{self.seed}:{process}:{week}")

    def week_array(self, process: str, week: int, n: int) -> np.ndarray:
        """``n`` uniforms for one process and week (vectorised, e.g. one per dwelling)."""
        rng = np.random.default_rng([self.seed, _STREAM_IDS[process], week])
        return rng.random(n)

    def keyed(self, process: str, week: int, *key: str) -> random.Random:
        """A stream for one process, week and household (or household–dwelling pair)."""
        return random.Random(f"{self.seed}:{process}:{week}:" + ":".join(key))
