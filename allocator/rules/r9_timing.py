"""R9: timing. Move-in is the latest of the offer lead time, the dwelling's release plus
the cooperative board's lead time, and the household's own ready date (a release from
prison or discharge, a refugee's arrival: the dwelling is ready that day, 004). Soft:
vacancy rent loss, `vacancy_per_rent_day × rent / 30` points per day empty, computed on
the exact decimals and rounded half up per pair."""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData, exact


def move_in(data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    return np.maximum(np.maximum(data.earliest_move_in, data.ready_on[d]), data.ready[h])


def vacancy_days(data: RoundData, d: np.ndarray, move_in_day: np.ndarray) -> np.ndarray:
    return np.maximum(0, move_in_day - data.available[d])


def vacancy_rent_loss(data: RoundData, d: np.ndarray, days: np.ndarray) -> np.ndarray:
    """NOK of rent lost while the dwelling stands empty: rent / 30 per day (for people)."""
    return data.rent[d] / 30.0 * days


def _coefficients(data: RoundData) -> tuple[np.ndarray, np.ndarray]:
    """Per dwelling: numerator and denominator of `vacancy_per_rent_day × rent / 30`."""
    w = exact(data.policy.weights.vacancy_per_rent_day)
    parts = [w * exact(d.rent) / 30 for d in data.scenario.dwellings]
    return (
        np.array([p.numerator for p in parts], dtype=object),
        np.array([p.denominator for p in parts], dtype=object),
    )


def vacancy_points(data: RoundData, d: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Fit points of the vacancy rent loss per pair: round half up of n/m × days."""
    num, den = data.derived("R9.vacancy", _coefficients)
    if len(d) == 0:
        return np.zeros(0, dtype=np.int64)
    n, m = num[d], den[d]
    biggest = int(max(num, default=0)) * int(days.max(initial=0)) * 2 + int(max(den, default=1))
    if biggest < 2**62 and int(max(den, default=1)) < 2**31:
        n64, m64 = n.astype(np.int64), m.astype(np.int64)
        return (2 * n64 * days.astype(np.int64) + m64) // (2 * m64)
    days_obj = days.astype(object)
    return np.array((2 * n * days_obj + m) // (2 * m), dtype=np.int64)
