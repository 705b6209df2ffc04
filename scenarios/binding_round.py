"""Rounds where the round rules bind: benchmark tier horizon-binding (issue 18, item 3).

The same Drammen-like municipality as `sized_round` (replicas, real building structure,
residents, special stock), with a waiting list and a stock that press on R5 and R6:

- far more high-need households: every archetype's high-need share is raised
  (`high_need_factor`, at least `high_need_floor`), so about 40 % of the list is high-need;
- many active-use and recovery households: those archetypes' shares are multiplied by
  `substance_factor` (R6 separation has both kinds competing for the same buildings);
- buildings already near their R5 cap: more existing high-need, active-use and recovery
  residents in the ordinary stock (the generator still never starts a building above the
  default cap nor mixes active use and recovery, so day 0 is legal);
- a district quota on every district: at most `quota_share` of the district's vacancies
  (at least one) may go to new high-need households this round.

Data only: the policy is the default one, like every benchmark instance. Deterministic
per seed.
"""

from __future__ import annotations

import math
from collections import Counter

from allocator.replay.municipality import DEFAULT_CONFIG, MunicipalityConfig, load_config
from models.scenario import Scenario
from scenarios.sized_round import sized_round

#: Archetypes whose share `substance_factor` multiplies.
SUBSTANCE_ARCHETYPES = ("active_use", "recovery", "prison_release")


def binding_config(
    base: MunicipalityConfig | None = None,
    *,
    high_need_factor: float = 3.0,
    high_need_floor: float = 0.25,
    substance_factor: float = 3.0,
) -> MunicipalityConfig:
    """The municipality's config with the pressure described in the module docstring."""
    cfg = base or load_config(DEFAULT_CONFIG)
    archetypes = []
    for a in cfg.households.archetypes:
        share = a.share * (substance_factor if a.id in SUBSTANCE_ARCHETYPES else 1.0)
        high = min(0.9, max(high_need_floor, a.high_need * high_need_factor))
        archetypes.append(a.model_copy(update={"share": share, "high_need": high}))
    households = cfg.households.model_copy(update={"archetypes": archetypes})
    ordinary = cfg.residents.ordinary.model_copy(
        update={"high_need": 0.2, "active": 0.06, "recovery": 0.08}
    )
    residents = cfg.residents.model_copy(update={"ordinary": ordinary})
    return cfg.model_copy(update={"households": households, "residents": residents})


def binding_round(
    seed: int,
    dwellings: int,
    households: int,
    *,
    quota_share: float = 0.15,
    high_need_factor: float = 3.0,
    substance_factor: float = 3.0,
) -> Scenario:
    """One round of `dwellings` vacancies and `households` waiting where caps, quotas and
    separation bind."""
    cfg = binding_config(high_need_factor=high_need_factor, substance_factor=substance_factor)
    scenario = sized_round(seed, dwellings, households, config=cfg)
    district_of = {b.id: b.district for b in scenario.buildings}
    vacancies = Counter(district_of[d.building] for d in scenario.dwellings)
    districts = [
        d.model_copy(
            update={"max_new_high_need": max(1, math.floor(quota_share * vacancies[d.id]))}
        )
        if vacancies[d.id]
        else d
        for d in scenario.districts
    ]
    return Scenario.model_validate(
        scenario.model_dump(exclude={"districts"}) | {"districts": districts}
    )
