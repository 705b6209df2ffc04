"""Outcomes by group in a replay: one ``HouseholdOutcome`` per household on the list.

Why a ledger beside the weekly KPIs: the weekly rows count events; a group's share housed,
its wait and where it ends up need each household followed from its approval (or day 0)
to its move-in, withdrawal or the end of the run. The ledger reads what the runner already
has (the round, the proposal, the week's events) and never draws a random number, so the
replay's numbers are unchanged by it.
"""

from __future__ import annotations

from allocator.fairness.groups import Group, groups_for
from allocator.fairness.outcomes import HouseholdOutcome
from allocator.replay.flow import WeekEvents, housed
from allocator.replay.municipality import Municipality
from allocator.replay.state import World
from models.proposal import Proposal
from models.scenario import Scenario


class Ledger:
    """Per-household outcomes of one policy's replay."""

    def __init__(self, m: Municipality, world: World) -> None:
        self.records: dict[str, HouseholdOutcome] = {}
        self._homes = (m.home_districts, world.factory.home_districts)
        self._district_of = {b.id: b.district for b in world.base.values()}
        self._burden = {t.id: t.burden for t in world.districts}

    def origin(self, household_id: str) -> str | None:
        for homes in self._homes:
            if household_id in homes:
                return homes[household_id]
        return None

    def add(self, scenario: Scenario, proposal: Proposal, events: WeekEvents) -> None:
        """One round: new households on the list, offers, declines, breaches, moves."""
        records = self.records
        for h in scenario.households:
            if h.id not in records:
                records[h.id] = HouseholdOutcome(h, self.origin(h.id))
        matches = {m.household: m for m in proposal.matches}
        for hid in matches:
            records[hid].offers += 1
        for hid in events.declined:
            records[hid].declines += 1
        for b in proposal.breaches:
            r = records[b.household]
            r.breach_rounds += 1
            r.days_over = max(r.days_over, b.days_over)
        for p in housed(events):
            r = records[p.household.id]
            score = matches[p.household.id].score
            r.housed = True
            r.wait_days = (p.move_in - r.household.approved_on).days
            r.wish_rank = None if score.preference_rank is None else score.preference_rank + 1
            r.spare_bedrooms = score.spare_bedrooms
            r.burden = self._burden[self._district_of[p.dwelling.building]]


def replay_groups(m: Municipality) -> list[Group]:
    """The groups of a replay of ``m``: every arrival has a district of origin (the
    generator draws it); day 0's list has one only when the municipality was generated."""
    return groups_for(m.districts, origin_known=True, origin_unknown=m.origin != "generated")
