"""R4: school continuity. A school-age child whose parents want to keep the school must
live in its school's zone (building zone of the child's level) or within
`max_travel_minutes` of it (002 tiltak 2.6). Applies to every category, temporary too."""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData
from allocator.rules.base import PairRule, hard


def travel_minutes(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """(len(hs), D): the longest school trip over the household's kept-school children
    (0 without such children, inf without access)."""
    out = np.zeros((len(hs), data.D))
    c = data.children
    if len(c.household) == 0:
        return out
    position = np.full(data.H, -1)
    position[hs] = np.arange(len(hs))
    rows = position[c.household]
    keep = rows >= 0
    if not keep.any():
        return out
    zone_of_level = np.where(
        c.lower_secondary[keep][:, None],
        data.b_zone_lower[data.d_building][None, :],
        data.b_zone_primary[data.d_building][None, :],
    )
    child_zone = c.zone[keep][:, None]
    minutes = np.where(
        zone_of_level >= 0, data.travel[np.maximum(zone_of_level, 0), child_zone], np.inf
    )
    np.maximum.at(out, rows[keep], minutes)
    return out


def reject_school(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: every kept school reachable within the policy's travel limit."""
    return travel_minutes(data, hs) > data.policy.school.max_travel_minutes


def school_minutes(data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Soft: minutes of school travel per pair (0 when every child stays in zone)."""
    out = np.zeros(len(h), dtype=np.int64)
    if len(data.children.household) == 0 or len(h) == 0:
        return out
    with_children = np.isin(h, data.children.household)
    if with_children.any():
        hs, inverse = np.unique(h[with_children], return_inverse=True)
        full = travel_minutes(data, hs)
        out[with_children] = full[inverse, d[with_children]].astype(np.int64)
    return out


PAIR_RULES = (
    PairRule(
        "school_continuity",
        "R4",
        reject_school,
        "barn mister skoletilhørigheten (over {max_minutes} min skolevei)",
        hard("school", "mode"),
    ),
)
