"""R7: the 3-month cap on temporary housing for families with children (002 tiltak 2.5).

A family in temporary housing is due when its deadline (since + max_days) falls before the
earliest move-in the next round could give. Hard: every due family gets a non-temporary
dwelling by its deadline; when the vacancies cannot hold them all, tier 1 minimises the
breaches, then the days over, and the proposal lists every breach.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from allocator.data import CATEGORY_CODES, RoundData
from models.scenario import Category

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

    from allocator.model import AllocationModel

TEMPORARY = CATEGORY_CODES[Category.temporary]


def reject_temporary_family(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: no family into a temporary dwelling, unless the policy allows it and the
    family is not due (a due family must leave temporary housing)."""
    family = data.family[hs]
    blocked = family if not data.policy.temporary.allow_families else family & data.due[hs]
    return blocked[:, None] & (data.category == TEMPORARY)[None, :]


def unmatched_days_over(data: RoundData) -> np.ndarray:
    """Days over for a due family left unmatched: next round's earliest move-in - deadline."""
    return np.where(data.due, data.next_round_move_in - data.deadline, 0)


def late_days(data: RoundData, h: np.ndarray, move_in: np.ndarray) -> np.ndarray:
    """Days past the deadline per pair (0 for households that are not due)."""
    return np.where(data.due[h], np.maximum(0, move_in - data.deadline[h]), 0)


def build(m: AllocationModel) -> tuple[list[cp_model.LinearExprT], list[cp_model.LinearExprT]]:
    """Tier-1 terms: one breach indicator and one days-over expression per due family."""
    data, pairs = m.data, m.pairs
    breaches: list[cp_model.LinearExprT] = []
    days_over: list[cp_model.LinearExprT] = []
    unmatched_over = unmatched_days_over(data)
    for h in np.flatnonzero(data.due):
        ps = m.pairs_of_household.get(int(h), [])
        on_time = [p for p in ps if pairs.late[p] == 0]
        breaches.append(1 - sum(m.x[p] for p in on_time))
        days_over.append(
            int(unmatched_over[h]) * (1 - sum(m.x[p] for p in ps))
            + sum(int(pairs.late[p]) * m.x[p] for p in ps if pairs.late[p] > 0)
        )
    return breaches, days_over
