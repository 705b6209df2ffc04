"""The deadlines panel of the round page: every household under a deadline clock, most
urgent first, with where the proposal puts it and whether that breaches.

The clocks are the rule core's (`allocator.deadlines.household_clocks`: the 3-month cap,
release, refugee settlement); nothing here restates a rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allocator.deadlines import household_clocks
from models.proposal import Proposal
from models.scenario import Scenario

#: How far ahead the panel looks (the issue's "due within 12 weeks").
WEEKS_AHEAD = 12


@dataclass
class ClockRow:
    """One household under a deadline clock."""

    household: str
    clock: str  # temporary | release | refugee
    clock_name: str
    deadline: dt.date
    days_left: int  # negative: past the deadline on the round's date
    due: bool  # must be housed this round (the next round is too late)
    dwelling: str | None  # where the proposal puts it
    move_in: dt.date | None
    breach_days: int | None  # days over in this proposal, None when on time
    breach_reason: str | None
    no_size_fits: bool  # fewer dwellings of its size expected before its deadline than
    # households of that size ahead of it (allocator.deadlines.ClockStatus.at_risk)

    @property
    def group(self) -> str:
        """over (past the deadline), due (this round), soon (within the look-ahead)."""
        if self.days_left < 0:
            return "over"
        return "due" if self.due else "soon"


GROUP_TEXT = {
    "over": "Over fristen",
    "due": "Frist denne runden",
    "soon": f"Frist innen {WEEKS_AHEAD} uker",
}
GROUP_ORDER = {"over": 0, "due": 1, "soon": 2}


def clock_rows(scenario: Scenario, proposal: Proposal | None) -> list[ClockRow]:
    """Every household under a clock, due within `WEEKS_AHEAD` weeks or already over."""
    matches = {m.household: m for m in proposal.matches} if proposal else {}
    breaches = {b.household: b for b in proposal.breaches} if proposal else {}
    rows = []
    for c in household_clocks(scenario, weeks=WEEKS_AHEAD):
        match, breach = matches.get(c.household), breaches.get(c.household)
        rows.append(
            ClockRow(
                household=c.household,
                clock=str(c.clock),
                clock_name=c.clock_name,
                deadline=c.deadline,
                days_left=c.days_left,
                due=c.due,
                dwelling=match.dwelling if match else None,
                move_in=match.move_in if match else None,
                breach_days=breach.days_over if breach else None,
                breach_reason=breach.reason.text if breach else None,
                no_size_fits=c.at_risk,
            )
        )
    rows.sort(key=lambda r: (GROUP_ORDER[r.group], r.deadline, r.household))
    return rows
