"""R5: spread against concentration of disadvantage (000 l.670, l.679).

Hard: per ordinary building, existing + new high-need households stay within
max(building_min_cap, floor(building_max_share * units)); per district, new high-need
placements stay within `max_new_high_need` when given. Soft: each high-need placement
costs `concentration * burden` of its district. Staffed and dedicated sites are
concentrated by design, so the building cap applies to `profile: ordinary` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from allocator.data import PROFILE_CODES, RoundData
from models.scenario import Profile

if TYPE_CHECKING:
    from allocator.model import AllocationModel

ORDINARY = PROFILE_CODES[Profile.ordinary]


def building_headroom(data: RoundData) -> np.ndarray:
    """New high-need households each building may still take (large for capped-off sites)."""
    headroom = np.maximum(0, data.building_cap() - data.b_high_need)
    uncapped = (data.b_profile != ORDINARY) | (data.policy.spread.building_cap == "off")
    return np.where(uncapped, np.iinfo(np.int32).max, headroom)


def district_headroom(data: RoundData) -> np.ndarray:
    quota = data.max_new_high_need
    off = (quota < 0) | (data.policy.spread.district_quota == "off")
    return np.where(off, np.iinfo(np.int32).max, quota)


def reject_full_building(data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Hard: a high-need household never enters a building already at its cap."""
    return data.high_need[h] & (building_headroom(data)[data.d_building[d]] <= 0)


def reject_full_district(data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Hard: no high-need placement in a district whose quota is zero."""
    return data.high_need[h] & (district_headroom(data)[data.d_district[d]] <= 0)


def concentration_cost(data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Soft: `concentration * burden` points for each high-need placement."""
    burden = data.burden[data.d_district[d]]
    return np.where(
        data.high_need[h], np.rint(data.policy.weights.concentration * burden), 0
    ).astype(np.int64)


def build(m: AllocationModel) -> None:
    """Hard: building caps and district quotas, added only where they can bind."""
    data, pairs = m.data, m.pairs
    high = np.flatnonzero(data.high_need[pairs.h])
    for groups, headroom in (
        (data.d_building[pairs.d[high]], building_headroom(data)),
        (data.d_district[pairs.d[high]], district_headroom(data)),
    ):
        for g in np.unique(groups):
            members = high[groups == g]
            # Only a cap below the number of distinct dwellings involved can bind.
            if headroom[g] < len(np.unique(pairs.d[members])):
                m.cp.add(sum(m.x[p] for p in members) <= int(headroom[g]))
