"""Lookups over one scenario, built once per check (the models keep lists, not maps)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass

from models.policy import Policy
from models.proposal import Match, Proposal
from models.scenario import Building, District, Dwelling, Household, Scenario


@dataclass(frozen=True)
class Context:
    """A scenario plus id maps; every rule reads the scenario through this."""

    scenario: Scenario
    households: dict[str, Household]
    dwellings: dict[str, Dwelling]
    buildings: dict[str, Building]
    districts: dict[str, District]
    forbidden: dict[tuple[str, str], str]
    """(household, dwelling) -> the lock's reason."""
    access: dict[tuple[str, str], int]
    """(from_zone, to_zone) -> the shortest listed travel time in minutes."""

    @classmethod
    def of(cls, scenario: Scenario) -> Context:
        access: dict[tuple[str, str], int] = {}
        for entry in scenario.school_access:
            key = (entry.from_zone, entry.to_zone)
            access[key] = min(entry.minutes, access.get(key, entry.minutes))
        return cls(
            scenario=scenario,
            households=scenario.household_by_id(),
            dwellings=scenario.dwelling_by_id(),
            buildings=scenario.building_by_id(),
            districts=scenario.district_by_id(),
            forbidden={(f.household, f.dwelling): f.reason for f in scenario.locks.forbidden},
            access=access,
        )

    @functools.cached_property
    def dwellings_ready_last(self) -> list[Dwelling]:
        """The dwellings by their own ready date (``available_from`` plus board approval),
        latest first (R7's search for the latest move-in a household may have)."""
        return sorted(
            self.scenario.dwellings,
            key=lambda d: d.available_from + dt.timedelta(days=d.board_approval_days),
            reverse=True,
        )

    @property
    def policy(self) -> Policy:
        return self.scenario.policy

    @property
    def as_of(self) -> dt.date:
        return self.scenario.as_of

    def building_of(self, dwelling: Dwelling) -> Building:
        return self.buildings[dwelling.building]

    def placements(self, proposal: Proposal) -> Iterator[tuple[Match, Household, Dwelling]]:
        """The proposal's matches whose household and dwelling both exist (R1 flags the rest).

        A household or dwelling matched twice is yielded twice: each match is a placement,
        and R1 reports the duplicate.
        """
        for match in proposal.matches:
            household = self.households.get(match.household)
            dwelling = self.dwellings.get(match.dwelling)
            if household is not None and dwelling is not None:
                yield match, household, dwelling
