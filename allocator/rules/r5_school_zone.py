"""R5, school zones: new high-need placements in the buildings of one primary school zone
stay within the zone's `max_new_high_need` this round (Oslo's 2024 regulation weighs
school zones with much municipal housing, DOMAIN.md §7). Zones without a quota, and
buildings without a primary zone, are not capped. Policy switch `spread.school_zone_quota`.
"""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData
from allocator.rules.base import CapacityRule, hard
from allocator.rules.r5_spread import high_need


def _quotas(data: RoundData) -> dict[str, int]:
    return {
        z.id: z.max_new_high_need
        for z in data.scenario.school_zones
        if z.max_new_high_need is not None
    }


def _zone_of_dwelling(data: RoundData) -> np.ndarray:
    quotas = list(_quotas(data))
    index = {z: i for i, z in enumerate(quotas)}
    zone_of_building = np.array(
        [index.get(b.school_zone_primary or "", -1) for b in data.scenario.buildings],
        dtype=np.int64,
    )
    return zone_of_building[data.d_building] if len(zone_of_building) else np.full(data.D, -1)


def _headroom(data: RoundData) -> np.ndarray:
    return np.array(list(_quotas(data).values()), dtype=np.int64)


SCHOOL_ZONE_QUOTA = CapacityRule(
    "school_zone_quota",
    "R5",
    "skolekretsens kvote for nye husstander med store behov er brukt opp",
    hard("spread", "school_zone_quota"),
    _zone_of_dwelling,
    high_need,
    _headroom,
)

ROUND_RULES = (SCHOOL_ZONE_QUOTA,)
