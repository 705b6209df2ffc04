"""R1: one dwelling per household, one household per dwelling; locks.

Pins force a pair into the proposal; forbidden pairs never enter it. A pin that breaks a
hard rule is an input error, found by `allocator.validation` before solving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from allocator.data import RoundData
from allocator.rules.base import PairRule

if TYPE_CHECKING:
    from allocator.model import AllocationModel


def reject_forbidden(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: a pair in locks.forbidden is never matched."""
    out = np.zeros((len(hs), data.D), dtype=bool)
    position = {int(h): k for k, h in enumerate(hs)}
    for f in data.scenario.locks.forbidden:
        k = position.get(data.household_index[f.household])
        if k is not None:
            out[k, data.dwelling_index[f.dwelling]] = True
    return out


def build(m: AllocationModel) -> None:
    """Hard: at most one dwelling per household and one household per dwelling."""
    for group in (m.pairs_of_household, m.pairs_of_dwelling):
        for pairs in group.values():
            if len(pairs) > 1:
                m.cp.add_at_most_one(m.x[p] for p in pairs)


def pin(m: AllocationModel) -> None:
    """Hard: every pinned pair is in the proposal."""
    for p in m.pairs.pinned_pairs():
        m.cp.add(m.x[p] == 1)


PAIR_RULES = (
    PairRule("forbidden_pair", "R1", reject_forbidden, "paret er sperret av tildelingsmøtet"),
)
