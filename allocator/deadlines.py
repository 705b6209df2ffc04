"""Every household under a deadline clock, for the meeting's deadlines panel and horizon
view: when its dwelling must be ready, how many days are left, whether it is due this
round, and whether any vacancy of this round or any known future one (expected
vacancies up to the horizon) has the bedrooms it needs.

The clocks themselves are the rule families' (allocator.rules.registry.CLOCKS); this is a
view of them, not another statement.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pydantic import BaseModel

from allocator.data import build_round_data, household_bedrooms_needed
from allocator.rules import CLOCKS
from models.proposal import Clock
from models.scenario import Scenario


class ClockStatus(BaseModel):
    household: str
    clock: Clock
    clock_name: str  # bokmål, e.g. "3-månedersfristen"
    deadline: dt.date
    days_left: int  # deadline - as_of (negative: over the deadline already)
    due: bool  # the next round is too late: this round must house it
    overdue: bool  # the deadline has passed
    ranked: bool  # the clock is switched on (tier 1 ranks it)
    bedrooms_needed: int
    #: Vacancies this round with at least the bedrooms it needs (size only).
    vacancies_that_fit: int
    #: Known future vacancies up to the horizon with at least the bedrooms it needs.
    expected_that_fit: int

    @property
    def at_risk(self) -> bool:
        """No vacancy of this round nor any expected one has room for the household."""
        return self.vacancies_that_fit + self.expected_that_fit == 0


def household_clocks(scenario: Scenario, weeks: int = 12) -> list[ClockStatus]:
    """Every household with a clock whose deadline falls within `weeks` (or has passed),
    soonest first."""
    data = build_round_data(scenario)
    horizon = scenario.as_of + dt.timedelta(weeks=weeks)
    bedrooms = np.array([d.bedrooms for d in scenario.dwellings], dtype=np.int64)
    expected = np.array([v.bedrooms for v in scenario.expected_vacancies
                         if v.available_from <= horizon], dtype=np.int64)
    out = []
    for i in np.flatnonzero(data.clock >= 0):
        h = scenario.households[int(i)]
        clock = CLOCKS[int(data.clock[i])]
        deadline = dt.date.fromordinal(int(data.deadline[i]))
        if deadline > horizon:
            continue
        need = household_bedrooms_needed(h)
        out.append(ClockStatus(
            household=h.id, clock=clock.code, clock_name=clock.name, deadline=deadline,
            days_left=(deadline - scenario.as_of).days, due=bool(data.due[i]),
            overdue=deadline < scenario.as_of,
            ranked=bool(data.ranked[i]), bedrooms_needed=need,
            vacancies_that_fit=int((bedrooms >= need).sum()),
            expected_that_fit=int((expected >= need).sum()),
        ))
    return sorted(out, key=lambda c: (c.deadline, c.household))
