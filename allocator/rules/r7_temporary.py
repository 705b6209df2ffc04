"""R7: the 3-month cap on temporary housing for families with children (002 tiltak 2.5).

A family in temporary housing is due when its deadline (since + max_days) falls before the
earliest move-in the next round could give. Hard: every due family gets a non-temporary
dwelling by its deadline; when the vacancies cannot hold them all, tier 1 minimises the
breaches, then the days over, and the proposal lists every breach. With `temporary.mode`
off (analysts' what-if) tier 1 is dropped and families may enter temporary dwellings, but
breaches are still listed (`RoundData.ranked_due` is empty, `due` is not).
"""

from __future__ import annotations

import numpy as np

from allocator.data import CATEGORY_CODES, RoundData
from models.scenario import Category

TEMPORARY = CATEGORY_CODES[Category.temporary]


def reject_temporary_family(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: no family into a temporary dwelling, unless the policy allows it (or has R7
    off) and the family is not due (a due family must leave temporary housing)."""
    t = data.policy.temporary
    family = data.family[hs]
    allowed = t.allow_families or t.mode == "off"
    blocked = family & data.due[hs] if allowed else family
    return blocked[:, None] & (data.category == TEMPORARY)[None, :]


def unmatched_days_over(data: RoundData) -> np.ndarray:
    """Days over for a due family left unmatched: next round's earliest move-in - deadline."""
    return np.where(data.due, data.next_round_move_in - data.deadline, 0)


def deadline_gains(data: RoundData, h: np.ndarray, late: np.ndarray, due: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per pair (household `h`, `late` days past its deadline): (1 when it moves a due
    family in on time, days over saved against leaving it for the next round). `due` is
    `data.due` to measure tier 1, or `data.ranked_due` to rank by it. The days saved are
    negative when moving in now is later than waiting would be."""
    is_due = due[h]
    on_time = (is_due & (late == 0)).astype(np.int64)
    days_saved = np.where(is_due, unmatched_days_over(data)[h] - late, 0).astype(np.int64)
    return on_time, days_saved


def late_days(data: RoundData, h: np.ndarray, move_in: np.ndarray) -> np.ndarray:
    """Days past the deadline per pair (0 for households that are not due)."""
    return np.where(data.due[h], np.maximum(0, move_in - data.deadline[h]), 0)
