"""The CP-SAT model: one Boolean per candidate pair, rule constraints, objective tiers.

Tiers (DOMAIN.md §4), solved one after another, each value held while the next is solved:

1. ``deadline_breaches`` (min): due families not moved out of temporary housing in time.
2. ``deadline_days_over`` (min): total days past the 3-month cap.
3. ``priority_waiting`` (max): sum of housing points of housed households.
4. ``fit`` (min): preference rank, spare bedrooms, school travel, vacancy loss, burden.
5. ``tiebreak`` (max): prefer earlier-approved households, then a fixed per-pair jitter
   derived from the ids, so equal optima resolve the same way every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from ortools.sat.python import cp_model

from allocator.data import RoundData
from allocator.pairs import Pairs
from allocator.rules import ROUND_CONSTRAINTS, r1_assignment, r7_temporary


@dataclass(frozen=True)
class Tier:
    name: str
    sense: Literal["min", "max"]
    expr: cp_model.LinearExprT
    constant: bool  # True when no decision enters it (nothing to optimise)


def _group(keys: np.ndarray) -> dict[int, list[int]]:
    """Indices of `keys` grouped by value, in index order (vectorised)."""
    if len(keys) == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    bounds = np.flatnonzero(np.diff(sorted_keys)) + 1
    groups = np.split(order, bounds)
    return {int(keys[g[0]]): g.tolist() for g in groups}


class AllocationModel:
    """Builds the CP-SAT model once; the solve loop only swaps objectives."""

    def __init__(self, data: RoundData, pairs: Pairs, *, with_pins: bool = True):
        self.data = data
        self.pairs = pairs
        self.cp = cp_model.CpModel()
        n = len(pairs)
        self.x = [self.cp.NewBoolVar(f"x_{i}") for i in range(n)]
        self.pairs_of_household = _group(pairs.h)
        self.pairs_of_dwelling = _group(pairs.d)
        for build in ROUND_CONSTRAINTS:
            build(self)
        if with_pins:
            r1_assignment.pin(self)
        breaches, days_over = r7_temporary.build(self)
        due = bool(len(breaches))
        self.tiers = [
            Tier("deadline_breaches", "min", sum(breaches), not due),
            Tier("deadline_days_over", "min", sum(days_over), not due),
            Tier("priority_waiting", "max", self._weighted(pairs.housing), n == 0),
            Tier("fit", "min", self._weighted(pairs.fit), n == 0),
            Tier("tiebreak", "max", self._weighted(pairs.tie), n == 0),
        ]

    def _weighted(self, coefficients: np.ndarray) -> cp_model.LinearExprT:
        return cp_model.LinearExpr.WeightedSum(self.x, [int(c) for c in coefficients])

    def pin_literals(self) -> list[cp_model.IntVar]:
        return [self.x[p] for p in self.pairs.pinned_pairs()]
