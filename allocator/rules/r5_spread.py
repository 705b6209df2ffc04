"""R5: spread against concentration of disadvantage (000 l.670, l.679).

Hard: per ordinary building, existing + new high-need households stay within
max(building_min_cap, floor(building_max_share * units)); per district, new high-need
placements stay within `max_new_high_need` when given. Soft: each high-need placement
costs `concentration * burden` of its district. Staffed and dedicated sites are
concentrated by design, so the building cap applies to `profile: ordinary` only. The
share is the decimal the policy states (0.333333333333 × 3 units is a cap of 0, not 1).
The school-zone quota is its own rule (allocator.rules.r5_school_zone).
"""

from __future__ import annotations

import numpy as np

from allocator.data import PROFILE_CODES, RoundData, exact, round_half_up
from allocator.rules.base import CapacityRule, hard
from models.scenario import Profile

ORDINARY = PROFILE_CODES[Profile.ordinary]


def high_need(data: RoundData) -> np.ndarray:
    """Households counted by the spread rules: flagged, or active use by policy."""
    return data.high_need


def building_cap(data: RoundData) -> np.ndarray:
    """max(building_min_cap, floor(building_max_share * units)) per building, exactly."""
    s = data.policy.spread
    share = exact(s.building_max_share)
    # floor(p/q * u) = (p * u) // q in Python integers: exact, and no Fraction per building.
    p, q = share.numerator, share.denominator
    return np.array(
        [max(s.building_min_cap, p * u // q) for u in data.b_units.tolist()], dtype=np.int64
    )


def _building_group(data: RoundData) -> np.ndarray:
    ordinary = data.b_profile[data.d_building] == ORDINARY
    return np.where(ordinary, data.d_building, -1)


def _building_headroom(data: RoundData) -> np.ndarray:
    return np.maximum(0, building_cap(data) - data.b_high_need)


def _district_group(data: RoundData) -> np.ndarray:
    d = data.d_district
    return np.where(data.max_new_high_need[d] >= 0, d, -1)


def _district_headroom(data: RoundData) -> np.ndarray:
    return np.maximum(data.max_new_high_need, 0)


def _concentration_points(data: RoundData) -> np.ndarray:
    w = data.policy.weights.concentration
    return np.array([round_half_up(w * exact(b)) for b in data.burden], dtype=np.int64)


def concentration_cost(data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Soft: `concentration * burden` points (rounded half up) per high-need placement."""
    points = data.derived("R5.concentration", _concentration_points)
    return np.where(data.high_need[h], points[data.d_district[d]], 0).astype(np.int64)


BUILDING_CAP = CapacityRule(
    "building_cap",
    "R5",
    "bygget har nådd taket for husstander med store behov",
    hard("spread", "building_cap"),
    _building_group,
    high_need,
    _building_headroom,
)
DISTRICT_QUOTA = CapacityRule(
    "district_quota",
    "R5",
    "bydelens kvote for nye husstander med store behov er brukt opp",
    hard("spread", "district_quota"),
    _district_group,
    high_need,
    _district_headroom,
)

ROUND_RULES = (BUILDING_CAP, DISTRICT_QUOTA)
