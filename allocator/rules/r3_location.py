"""R3: location. Excluded districts never (safety); acceptable districts only; preferred
districts ranked, so the proposal can show how the wish was weighed (housing act §7)."""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData
from allocator.rules.base import PairRule, hard


def _district_matrix(data: RoundData, hs: np.ndarray, field: str) -> np.ndarray:
    """(len(hs), T) bool: district listed in the household's `field`."""
    index = {t: i for i, t in enumerate(data.district_ids)}
    out = np.zeros((len(hs), len(data.district_ids)), dtype=bool)
    households = data.scenario.households
    for k, h in enumerate(hs):
        for t in getattr(households[int(h)], field) or ():
            out[k, index[t]] = True
    return out


def reject_excluded(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: never in an excluded district."""
    return _district_matrix(data, hs, "excluded_districts")[:, data.d_district]


def reject_not_acceptable(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: only acceptable districts, when the household lists any."""
    households = data.scenario.households
    restricted = np.array(
        [households[int(h)].acceptable_districts is not None for h in hs], dtype=bool
    )
    ok = _district_matrix(data, hs, "acceptable_districts")[:, data.d_district]
    return restricted[:, None] & ~ok


def _ranks(data: RoundData) -> np.ndarray:
    index = {t: i for i, t in enumerate(data.district_ids)}
    ranks = np.zeros((data.H, len(data.district_ids)), dtype=np.int64)
    for i, hh in enumerate(data.scenario.households):
        if hh.preferred_districts:
            ranks[i, :] = len(hh.preferred_districts)
            for k, t in enumerate(hh.preferred_districts):
                ranks[i, index[t]] = k
    return ranks


def preference_rank(data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Soft: 0 for the first wish, k for the (k+1)-th, len(wishes) outside all wishes,
    0 without wishes."""
    return data.derived("R3.ranks", _ranks)[h, data.d_district[d]]  # type: ignore[no-any-return]


_location = hard("location", "mode")

PAIR_RULES = (
    PairRule(
        "excluded_district", "R3", reject_excluded, "bydelen er utelukket for husstanden", _location
    ),
    PairRule(
        "not_acceptable_district",
        "R3",
        reject_not_acceptable,
        "bydelen er ikke blant de aktuelle bydelene",
        _location,
    ),
)
