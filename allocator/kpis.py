"""Round KPIs, including Duncan's index of dissimilarity for spread (R5)."""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData


def dissimilarity(high_need: np.ndarray, everyone: np.ndarray) -> float | None:
    """Duncan's D: half the sum over districts of |share of high-need - share of all|.

    0 means high-need households are spread like everyone; 1 means total separation."""
    total_high, total = high_need.sum(), everyone.sum()
    if total_high <= 0 or total <= 0:
        return None
    return float(0.5 * np.abs(high_need / total_high - everyone / total).sum())


def dissimilarity_before_after(
    data: RoundData, h: np.ndarray, d: np.ndarray
) -> tuple[float | None, float | None]:
    """Municipal households per district: occupied units (units minus this round's
    vacancies) before; plus the new placements after."""
    T = len(data.district_ids)
    occupied = np.bincount(data.b_district, weights=data.b_units, minlength=T)
    occupied -= np.bincount(data.d_district, minlength=T)
    high = np.bincount(data.b_district, weights=data.b_high_need, minlength=T)
    before = dissimilarity(high, np.maximum(occupied, 0))
    moved = data.d_district[d]
    occupied_after = np.maximum(occupied, 0) + np.bincount(moved, minlength=T)
    high_after = high + np.bincount(moved, weights=data.high_need[h].astype(float), minlength=T)
    return before, dissimilarity(high_after, occupied_after)
