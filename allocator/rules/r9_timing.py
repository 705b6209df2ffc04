"""R9: timing. Move-in is the latest of the offer lead time, the dwelling's release plus
the cooperative board's lead time, and the household's own ready date (a release from
prison or discharge: the dwelling is ready that day, 004). Soft: vacancy rent loss."""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData


def move_in(data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    return np.maximum(np.maximum(data.earliest_move_in, data.ready_on[d]), data.ready[h])


def vacancy_days(data: RoundData, d: np.ndarray, move_in_day: np.ndarray) -> np.ndarray:
    return np.maximum(0, move_in_day - data.available[d])


def vacancy_rent_loss(data: RoundData, d: np.ndarray, days: np.ndarray) -> np.ndarray:
    """NOK of rent lost while the dwelling stands empty: rent / 30 per day."""
    return data.rent[d] / 30.0 * days
