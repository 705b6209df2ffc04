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
    #: Dwellings of its size band (needed bedrooms up to the spare-bedroom limit) expected
    #: before its deadline: this round's, the known ones (times their certainty) and the
    #: forecast rates (per week times the weeks left).
    supply_before_deadline: float = 0.0
    #: Its place among the clocked households of the same size band, by deadline.
    place_in_band: int = 1

    @property
    def at_risk(self) -> bool:
        """Fewer dwellings of its size are expected before its deadline than households of
        that size with the same or an earlier deadline."""
        return self.supply_before_deadline < self.place_in_band


class SizeBand(BaseModel):
    """The horizon view by size: clocked households needing `bedrooms` against the dwellings
    of their band expected within the horizon."""

    bedrooms: int
    households: int
    at_risk: list[str]
    this_round: int
    expected: float
    forecast: float


def household_clocks(scenario: Scenario, weeks: int = 12) -> list[ClockStatus]:
    """Every household with a clock whose deadline falls within `weeks` (or has passed),
    soonest first."""
    data = build_round_data(scenario)
    horizon = scenario.as_of + dt.timedelta(weeks=weeks)
    bedrooms = np.array([d.bedrooms for d in scenario.dwellings], dtype=np.int64)
    expected = np.array(
        [v.bedrooms for v in scenario.expected_vacancies if v.available_from <= horizon],
        dtype=np.int64,
    )
    extra = scenario.policy.occupancy.max_extra_bedrooms
    out = []
    for i in np.flatnonzero(data.clock >= 0):
        h = scenario.households[int(i)]
        clock = CLOCKS[int(data.clock[i])]
        deadline = dt.date.fromordinal(int(data.deadline[i]))
        if deadline > horizon:
            continue
        need = household_bedrooms_needed(h)
        supply = _supply(scenario, need, need + extra, deadline)
        out.append(
            ClockStatus(
                household=h.id,
                clock=clock.code,
                clock_name=clock.name,
                deadline=deadline,
                days_left=(deadline - scenario.as_of).days,
                due=bool(data.due[i]),
                overdue=deadline < scenario.as_of,
                ranked=bool(data.ranked[i]),
                bedrooms_needed=need,
                vacancies_that_fit=int((bedrooms >= need).sum()),
                expected_that_fit=int((expected >= need).sum()),
                supply_before_deadline=round(supply, 2),
            )
        )
    out.sort(key=lambda c: (c.deadline, c.household))
    seen: dict[int, int] = {}
    for c in out:
        seen[c.bedrooms_needed] = seen.get(c.bedrooms_needed, 0) + 1
        c.place_in_band = seen[c.bedrooms_needed]
    return out


def _supply(scenario: Scenario, low: int, high: int, by: dt.date) -> float:
    """Dwellings with `low`..`high` bedrooms expected by `by`: listed now, known future
    ones by their certainty, and forecast vacancies over the weeks until `by`."""
    fits = [d for d in scenario.dwellings if low <= d.bedrooms <= high]
    known = sum(
        v.certainty
        for v in scenario.expected_vacancies
        if low <= v.bedrooms <= high and v.available_from <= by
    )
    weeks = max(0.0, (by - scenario.as_of).days / 7)
    rates = scenario.forecast.vacancies if scenario.forecast else []
    forecast = sum(r.per_week for r in rates if low <= r.dwelling.bedrooms <= high) * weeks
    return len(fits) + known + forecast


def horizon_by_size(scenario: Scenario, weeks: int = 12) -> list[SizeBand]:
    """Per bedroom need: the clocked households with a deadline within `weeks` against the
    dwellings of their size band expected by the horizon, and who is at risk."""
    clocks = household_clocks(scenario, weeks)
    extra = scenario.policy.occupancy.max_extra_bedrooms
    horizon = scenario.as_of + dt.timedelta(weeks=weeks)
    rates = scenario.forecast.vacancies if scenario.forecast else []
    out = []
    for need in sorted({c.bedrooms_needed for c in clocks}):
        band = [c for c in clocks if c.bedrooms_needed == need]
        low, high = need, need + extra
        out.append(
            SizeBand(
                bedrooms=need,
                households=len(band),
                at_risk=[c.household for c in band if c.at_risk],
                this_round=sum(1 for d in scenario.dwellings if low <= d.bedrooms <= high),
                expected=round(
                    sum(
                        v.certainty
                        for v in scenario.expected_vacancies
                        if low <= v.bedrooms <= high and v.available_from <= horizon
                    ),
                    2,
                ),
                forecast=round(
                    sum(r.per_week for r in rates if low <= r.dwelling.bedrooms <= high) * weeks, 2
                ),
            )
        )
    return out
