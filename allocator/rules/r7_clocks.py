"""Deadline clocks (R7 and its siblings): a date by which a household's dwelling must be
ready. One household has at most one clock (its situation decides which). The family
machinery lives here; each clock is stated in its own module (r7_temporary, r7_release,
r7_refugee) and listed in allocator.rules.registry.CLOCKS.

A household is *due* when its deadline falls before the earliest move-in the next round
could give (`as_of + round_days + offer_lead_days`). Breach, per household:
- due and unmatched, or matched to a temporary dwelling (it does not end the clock): days
  over = max(next round's earliest move-in, the latest move-in this round could give it)
  - deadline, so leaving it unmatched is never scored cheaper than housing it late;
- matched (due or not) with move_in after the deadline: days over = move_in - deadline.
Tier 1 minimises the breaches, then the days over, each weighted by `deadlines.weights`
of the clock, over the clocks switched on; the others are still measured and listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from allocator.data import CATEGORY_CODES, NO_DAY, RoundData, day
from allocator.rules.base import Clock
from models.scenario import Category, Scenario

TEMPORARY = CATEGORY_CODES[Category.temporary]


@dataclass(frozen=True)
class ClockDates:
    clock: np.ndarray  # index into the clocks, -1 without one
    deadline: np.ndarray  # day number, NO_DAY without a clock
    ranked: np.ndarray  # the household's clock is switched on
    weight: np.ndarray  # the clock's weight, 0 without a clock


def clock_dates(scenario: Scenario, clocks: Sequence[Clock]) -> ClockDates:
    """Each household's clock (the first that applies) and deadline."""
    p = scenario.policy
    n = len(scenario.households)
    clock = np.full(n, -1, dtype=np.int64)
    deadline = np.full(n, NO_DAY, dtype=np.int64)
    for i, h in enumerate(scenario.households):
        for k, c in enumerate(clocks):
            date = c.deadline(h, p)
            if date is not None:
                clock[i], deadline[i] = k, day(date)
                break
    on = np.array([c.enabled(p) for c in clocks] + [False], dtype=bool)
    weights = np.array([c.weight(p) for c in clocks] + [0], dtype=np.int64)
    return ClockDates(clock, deadline, on[clock] & (clock >= 0), weights[clock])


def latest_move_in(
    data: RoundData, h: np.ndarray, d: np.ndarray, move_in: np.ndarray
) -> np.ndarray:
    """Per household: the latest move-in over the given candidate pairs in non-temporary
    dwellings it may have on its own (NO_DAY without such pairs): not an occupied
    dwelling, which is free only if its tenant moves (R11)."""
    out = np.full(data.H, NO_DAY, dtype=np.int64)
    real = (data.category[d] != TEMPORARY) & (data.tenant[d] < 0)
    np.maximum.at(out, h[real], move_in[real])
    return out


def unmatched_days_over(data: RoundData, latest: np.ndarray) -> np.ndarray:
    """Days over per household left unmatched (0 unless due); `latest` from
    `latest_move_in` over all of the round's candidate pairs."""
    end = np.maximum(data.next_round_move_in, latest)
    return np.where(data.due, end - data.deadline, 0).astype(np.int64)


def matched_breach(
    data: RoundData, h: np.ndarray, d: np.ndarray, move_in: np.ndarray, unmatched_over: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, when matched: (in breach, days over)."""
    clocked = data.clock[h] >= 0
    temporary = data.category[d] == TEMPORARY
    late = np.maximum(0, move_in - data.deadline[h])
    due = data.due[h]
    breach = clocked & np.where(temporary, due, late > 0)
    days = np.where(clocked, np.where(temporary, np.where(due, unmatched_over, 0), late), 0)
    return breach, days.astype(np.int64)


def gains(
    data: RoundData,
    h: np.ndarray,
    d: np.ndarray,
    move_in: np.ndarray,
    unmatched_over: np.ndarray,
    which: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: (weighted breaches avoided, weighted days over avoided) by matching it
    rather than leaving its household unmatched; only households in `which` count (e.g.
    `data.ranked` for tier 1). Negative when matching makes it worse (a late move-in)."""
    breach, days = matched_breach(data, h, d, move_in, unmatched_over)
    w = np.where(which[h], data.clock_weight[h], 0)
    due = data.due[h]
    breach_gain = w * (due.astype(np.int64) - breach.astype(np.int64))
    days_gain = w * (np.where(due, unmatched_over, 0) - days)
    return breach_gain.astype(np.int64), days_gain.astype(np.int64)


def unmatched_totals(
    data: RoundData, unmatched_over_h: np.ndarray, which: np.ndarray
) -> tuple[int, int]:
    """(weighted breaches, weighted days over) when nobody in `which` is matched."""
    w = np.where(which & data.due, data.clock_weight, 0)
    return int(w.sum()), int((w * unmatched_over_h).sum())
