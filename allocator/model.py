"""The CP-SAT model: one Boolean per candidate pair, rule constraints, objective tiers.

Tiers (DOMAIN.md §4) are solved one after another; each solved value is held (one-sided:
no worse than found) while the next is solved. Some tiers carry a lower-order component in
the same solve, scaled so that it can never outweigh one unit of the component above it:

1. ``deadlines`` (min) = breaches × W + days over, W > any possible total of days over:
   reported as ``deadline_breaches`` and ``deadline_days_over``.
2. ``priority_waiting`` (max): sum of housing points of housed households.
3. ``fit`` (min) = fit × K + tie, K > any possible total of tie values: reported as
   ``fit`` and ``tiebreak``. The tie value of a pair is the household's rank by
   (approved_on, id) in the high bits and a fixed pseudo-random number from the ids in the
   low bits, so equal optima resolve to one answer whatever the solver's timing.
   When the scaled objective would exceed 2^52 (whole-stock sizes), the tie component is
   dropped and reported SKIPPED.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from ortools.sat.python import cp_model

from allocator.data import RoundData
from allocator.pairs import Pairs
from allocator.rules import ROUND_CONSTRAINTS, r1_assignment, r7_temporary

#: Largest objective magnitude we let CP-SAT see (exact in a double).
SAFE_OBJECTIVE = 2**52


@dataclass(frozen=True)
class Tier:
    name: str
    sense: Literal["min", "max"]
    expr: cp_model.LinearExprT
    constant: bool  # True when no decision enters it (nothing to optimise)
    parts: tuple[tuple[str, int], ...]  # reported components, most significant first: scale


def _group(keys: np.ndarray) -> dict[int, list[int]]:
    """Indices of `keys` grouped by value, in index order (vectorised)."""
    if len(keys) == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.diff(keys[order])) + 1
    return {int(keys[g[0]]): g.tolist() for g in np.split(order, bounds)}


def _bits(value: int) -> int:
    return max(1, math.ceil(math.log2(value + 1)))


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
        self.tie = self._tie_costs()
        self.tiers = [self._deadline_tier(), self._priority_tier(), self._fit_tier()]

    def _weighted(self, coefficients: np.ndarray) -> cp_model.LinearExprT:
        return cp_model.LinearExpr.WeightedSum(self.x, [int(c) for c in coefficients])

    def _deadline_tier(self) -> Tier:
        breaches, days_over = r7_temporary.build(self)
        data = self.data
        due = np.flatnonzero(data.due)
        worst = r7_temporary.unmatched_days_over(data)[due].copy()
        for k, h in enumerate(due):
            ps = self.pairs_of_household.get(int(h), [])
            if ps:
                worst[k] = max(worst[k], int(self.pairs.late[ps].max()))
        scale = int(worst.sum()) + 1
        expr = scale * sum(breaches) + sum(days_over)
        return Tier("deadlines", "min", expr, len(due) == 0,
                    (("deadline_breaches", scale), ("deadline_days_over", 1)))

    def _priority_tier(self) -> Tier:
        return Tier("priority_waiting", "max", self._weighted(self.pairs.housing),
                    len(self.pairs) == 0, (("priority_waiting", 1),))

    def _tie_costs(self) -> np.ndarray | None:
        """Tie value per pair (lower is preferred), or None when it cannot fit safely."""
        data, pairs = self.data, self.pairs
        matches = max(1, min(data.H, data.D))
        fit_total = int(pairs.fit.max(initial=0)) * matches + 1
        order_bits = _bits(data.H)
        room = 52 - _bits(fit_total) - _bits(matches) - order_bits
        if room < 0:
            return None
        rand_bits = min(20, room)
        jitter = (pairs.tie_jitter % np.uint64(1 << rand_bits)).astype(np.int64)
        return data.order[pairs.h].astype(np.int64) * (1 << rand_bits) + jitter

    def _fit_tier(self) -> Tier:
        pairs = self.pairs
        if self.tie is None:
            return Tier("fit", "min", self._weighted(pairs.fit), len(pairs) == 0,
                        (("fit", 1),))
        matches = max(1, min(self.data.H, self.data.D))
        scale = int(self.tie.max(initial=0)) * matches + 1
        return Tier("fit", "min", self._weighted(pairs.fit * scale + self.tie), len(pairs) == 0,
                    (("fit", scale), ("tiebreak", 1)))

    def pin_literals(self) -> list[cp_model.IntVar]:
        return [self.x[p] for p in self.pairs.pinned_pairs()]
