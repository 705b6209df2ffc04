"""The deadlines panel of the round page: every household under a deadline clock, most
urgent first, with where the proposal puts it and whether that breaches.

The clocks come from the rule core: `allocator.deadlines.household_clocks` (every clock:
the 3-month cap, release, refugee settlement) when the core has it, else the 3-month cap as
`allocator.data.build_round_data` computes it for R7 (``deadline``, ``due``). Nothing here
restates a rule.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allocator.data import NO_DAY, build_round_data
from models.proposal import Proposal
from models.scenario import Scenario

#: How far ahead the panel looks (the issue's "due within 12 weeks").
WEEKS_AHEAD = 12


@dataclass
class ClockRow:
    """One household under a deadline clock."""

    household: str
    clock: str  # temporary | release | refugee
    deadline: dt.date
    days_left: int  # negative: past the deadline on the round's date
    due: bool  # must be housed this round (the next round is too late)
    dwelling: str | None  # where the proposal puts it
    move_in: dt.date | None
    breach_days: int | None  # days over in this proposal, None when on time
    breach_reason: str | None
    no_size_fits: bool  # no vacancy this round (or forecast) has the bedrooms it needs

    @property
    def group(self) -> str:
        """over (past the deadline), due (this round), soon (within the look-ahead)."""
        if self.days_left < 0:
            return "over"
        return "due" if self.due else "soon"

    @property
    def anchor(self) -> str:
        return f"bolig-{self.dwelling}" if self.dwelling else f"husstand-{self.household}"


GROUP_TEXT = {
    "over": "Over fristen",
    "due": "Frist denne runden",
    "soon": f"Frist innen {WEEKS_AHEAD} uker",
}
GROUP_ORDER = {"over": 0, "due": 1, "soon": 2}


def _core_clocks(scenario: Scenario) -> list[Any] | None:
    """The rule core's clocks, or None while it has none (older core)."""
    try:
        module = importlib.import_module("allocator.deadlines")
    except ImportError:
        return None
    clocks = getattr(module, "household_clocks", None)
    return None if clocks is None else list(clocks(scenario, weeks=WEEKS_AHEAD))


def _get(item: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(item, dict) and name in item:
            return item[name]
        if hasattr(item, name):
            return getattr(item, name)
    return default


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int):
        return dt.date.fromordinal(value)
    return dt.date.fromisoformat(str(value))


def clock_rows(scenario: Scenario, proposal: Proposal | None) -> list[ClockRow]:
    """Every household under a clock, due within `WEEKS_AHEAD` weeks or already over."""
    data = build_round_data(scenario)
    horizon = scenario.as_of + dt.timedelta(weeks=WEEKS_AHEAD)
    raw: list[tuple[str, str, dt.date, bool]] = []
    core = _core_clocks(scenario)
    if core is not None:
        for c in core:
            deadline = _as_date(_get(c, "deadline"))
            raw.append(
                (
                    str(_get(c, "household", "household_id")),
                    str(_get(c, "clock", "kind", default="temporary")),
                    deadline,
                    bool(_get(c, "due", "due_this_round", default=False)),
                )
            )
    else:
        for h, household in enumerate(data.household_ids):
            if int(data.deadline[h]) != NO_DAY:
                raw.append(
                    (
                        household,
                        "temporary",
                        dt.date.fromordinal(int(data.deadline[h])),
                        bool(data.due[h]),
                    )
                )
    matches = {m.household: m for m in proposal.matches} if proposal else {}
    breaches = {b.household: b for b in proposal.breaches} if proposal else {}
    fits = _size_fits(scenario, data)
    rows = []
    for household, clock, deadline, due in raw:
        if deadline > horizon and not due:
            continue
        match, breach = matches.get(household), breaches.get(household)
        rows.append(
            ClockRow(
                household=household,
                clock=str(getattr(breach, "clock", None) or clock),
                deadline=deadline,
                days_left=(deadline - scenario.as_of).days,
                due=due,
                dwelling=match.dwelling if match else None,
                move_in=match.move_in if match else None,
                breach_days=breach.days_over if breach else None,
                breach_reason=breach.reason.text if breach else None,
                no_size_fits=not fits.get(household, True),
            )
        )
    rows.sort(key=lambda r: (GROUP_ORDER[r.group], r.deadline, r.household))
    return rows


def _size_fits(scenario: Scenario, data: Any) -> dict[str, bool]:
    """Per household: does any vacancy of the round, or any forecast vacancy, have the
    bedrooms it needs within the spare-bedroom cap (R2)?"""
    extra = scenario.policy.occupancy.max_extra_bedrooms
    sizes = {int(d.bedrooms) for d in scenario.dwellings}
    sizes |= set(_forecast_bedrooms(getattr(scenario, "expected_vacancies", None) or []))
    out = {}
    for h, household in enumerate(data.household_ids):
        need = int(data.bedrooms_needed[h])
        out[household] = any(need <= b <= need + extra for b in sizes)
    return out


def _forecast_bedrooms(expected: Iterable[Any]) -> Iterable[int]:
    for e in expected:
        bedrooms = _get(e, "bedrooms")
        if bedrooms is not None:
            yield int(bedrooms)
