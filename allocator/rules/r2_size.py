"""R2: household size fits the dwelling.

Hard: no SSB crowding, enough bedrooms, at most `max_extra_bedrooms` spare (large family
flats are the scarcest stock, 000 l.699). Soft: each spare bedroom costs.
"""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData
from allocator.rules.base import PairRule, hard


def reject_crowding(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard (SSB): fewer rooms than persons (or one person in one room) AND under
    `min_area_per_person` m² per person; a missing measure leaves the other to decide.
    The area test compares exact decimals: `area_persons` is floor(area / min_area)."""
    persons = data.persons[hs][:, None]
    rooms = data.rooms[None, :]
    few_rooms = (rooms < persons) | ((persons == 1) & (rooms == 1))
    small = persons > data.area_persons[None, :]
    rooms_known, area_known = ~np.isnan(rooms), (data.area_persons >= 0)[None, :]
    return np.where(
        rooms_known & area_known,
        few_rooms & small,
        np.where(rooms_known, few_rooms, np.where(area_known, small, False)),
    )


def reject_too_few_bedrooms(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: bedrooms >= bedrooms_needed."""
    return data.bedrooms[None, :] < data.bedrooms_needed[hs][:, None]


def reject_too_many_bedrooms(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: bedrooms <= bedrooms_needed + max_extra_bedrooms."""
    limit = data.bedrooms_needed[hs][:, None] + data.policy.occupancy.max_extra_bedrooms
    return data.bedrooms[None, :] > limit


def spare_bedrooms(data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Soft: spare bedrooms of each pair (costs `weights.spare_bedroom` each)."""
    return np.maximum(0, data.bedrooms[d] - data.bedrooms_needed[h])


_bedrooms = hard("occupancy", "bedrooms")

PAIR_RULES = (
    PairRule(
        "crowding",
        "R2",
        reject_crowding,
        "boligen blir trangbodd (SSB: for få rom og under {min_area} m² per person)",
        hard("occupancy", "crowding"),
    ),
    PairRule(
        "too_few_bedrooms",
        "R2",
        reject_too_few_bedrooms,
        "for få soverom for husstanden",
        _bedrooms,
    ),
    PairRule(
        "too_many_bedrooms",
        "R2",
        reject_too_many_bedrooms,
        "for mange soverom: store familieboliger spares til store familier",
        _bedrooms,
    ),
)
