"""What actually happened to each household's deadline over a replay: the realised days
over its clock, from the deadline to the day it moved in, left the list, or the replay
ended. The weekly KPIs count each round's breaches as that round projects them (a family
unmatched for five weeks appears five times); these count each household once, in days it
really waited past its deadline, which is what the hindsight optimum and the look-ahead
are compared on (docs/replay.md, "Look-ahead and hindsight").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from allocator.rules import CLOCKS
from models.policy import Policy
from models.scenario import Household

CLOCK_CODES = tuple(c.code for c in CLOCKS)


def clock_of(h: Household, policy: Policy) -> tuple[str, dt.date] | None:
    """(clock code, deadline) of the household's clock (the rule families' own)."""
    for c in CLOCKS:
        limit = c.deadline(h, policy)
        if limit is not None:
            return c.code, limit
    return None


def days_over(
    h: Household, policy: Policy, housed_on: dt.date | None, left_on: dt.date | None, end: dt.date
) -> tuple[str | None, int]:
    """(clock, realised days over its deadline): to the move-in, else to leaving the list,
    else to the end of the replay."""
    found = clock_of(h, policy)
    if found is None:
        return None, 0
    clock, limit = found
    stop = housed_on or left_on or end
    return clock, max(0, (min(stop, end) - limit).days)


@dataclass
class Realised:
    """Each household's last known state, move-in and leaving date over one run."""

    policy: Policy
    last: dict[str, Household] = field(default_factory=dict)
    housed_on: dict[str, dt.date] = field(default_factory=dict)
    left_on: dict[str, dt.date] = field(default_factory=dict)
    waits: list[int] = field(default_factory=list)
    vacancy_days: int = 0

    def seen(self, households: list[Household]) -> None:
        for h in households:
            self.last[h.id] = h

    def housed(self, h: Household, move_in: dt.date, available_from: dt.date) -> None:
        self.housed_on[h.id] = move_in
        self.last.setdefault(h.id, h)
        self.waits.append((move_in - h.approved_on).days)
        self.vacancy_days += max(0, (move_in - available_from).days)

    def left(self, household_id: str, on: dt.date) -> None:
        self.left_on.setdefault(household_id, on)

    def kpis(self, end: dt.date) -> dict[str, float | int | None]:
        """The realised KPIs: per clock, households over their deadline and days over;
        wait percentiles of those housed; vacancy days of the dwellings let."""
        breached: dict[str, int] = defaultdict(int)
        total: dict[str, int] = defaultdict(int)
        for hid, h in self.last.items():
            clock, over = days_over(
                h, self.policy, self.housed_on.get(hid), self.left_on.get(hid), end
            )
            if clock is not None and over > 0:
                breached[clock] += 1
                total[clock] += over
        out: dict[str, float | int | None] = {}
        for clock in CLOCK_CODES:
            out[f"realised_breached_{clock}"] = breached[clock]
            out[f"realised_days_over_{clock}"] = total[clock]
        out["realised_breached"] = sum(breached.values())
        out["realised_days_over"] = sum(total.values())
        out["realised_housed"] = len(self.housed_on)
        out["realised_wait_p50"] = _pct(self.waits, 50)
        out["realised_wait_p90"] = _pct(self.waits, 90)
        out["realised_vacancy_days"] = self.vacancy_days
        return out


def _pct(values: list[int], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None
