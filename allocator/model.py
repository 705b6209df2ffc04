"""The CP-SAT model: one Boolean per candidate pair, rule constraints, objective stages.

The objective (DOMAIN.md §4) is a list of components in lexicographic order, each linear in
the pair variables:

1. ``deadline_breaches`` (min): due families not moved by their deadline (R7);
2. ``deadline_days_over`` (min): total days past the 3-month cap;
3. ``priority_waiting`` (max): housing points of housed households;
4. ``fit`` (min): preference rank, spare bedrooms, school travel, vacancy loss, burden;
5. ``tiebreak`` (min): the household's rank by (approved_on, id) in the high bits and a
   fixed pseudo-random number from the ids in the low bits, so equal optima resolve to one
   answer whatever the solver's timing.

Consecutive components are packed into one CP-SAT solve (a *stage*) as long as the scaled
sum stays exactly representable (below 2^52): each component's scale exceeds the whole
range of the components below it, so the packed objective orders solutions exactly
lexicographically. Each stage's value is then held (one-sided: no worse than found) while
the next stage is solved. Packing means fewer solves, and each stage's solution is already
good for the next one, which matters at city and horizon sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from ortools.sat.python import cp_model

from allocator.data import RoundData
from allocator.pairs import Pairs, group_positions
from allocator.rules import ROUND_CONSTRAINTS, r1_assignment, r7_temporary

#: Largest objective range a stage may have (integers stay exact in a double).
SAFE_RANGE = 2**52
#: Pseudo-random bits in the tie-break (fewer when the stage has less room).
TIE_RANDOM_BITS = 20


@dataclass(frozen=True)
class Component:
    """value = constant + Σ weights[p]·x[p]; `sense` says which way is better."""

    name: str
    sense: Literal["min", "max"]
    constant: int
    weights: np.ndarray

    @property
    def gain(self) -> np.ndarray:
        """Weights oriented so that larger is better."""
        return self.weights if self.sense == "max" else -self.weights

    def span(self, matches: int) -> tuple[int, int]:
        """(lowest, highest) total gain any proposal of at most `matches` pairs can have."""
        g = self.gain

        def top(a: np.ndarray) -> int:
            return int(np.sort(a)[-matches:].sum()) if len(a) else 0

        return -top(-g[g < 0]), top(g[g > 0])

    def value(self, chosen: np.ndarray) -> int:
        return int(self.constant + int(self.weights[chosen].sum()))


@dataclass(frozen=True)
class Stage:
    components: tuple[Component, ...]
    scales: tuple[int, ...]  # per component, most significant first
    lows: tuple[int, ...]  # lowest total gain per component

    @property
    def name(self) -> str:
        return "+".join(c.name for c in self.components)

    def gain(self) -> np.ndarray:
        total = np.zeros(len(self.components[0].weights), dtype=np.int64)
        for c, s in zip(self.components, self.scales, strict=True):
            total += c.gain.astype(np.int64) * s
        return total

    @property
    def constant(self) -> bool:
        return not any(np.any(c.weights) for c in self.components)


def pack(components: list[Component], matches: int) -> list[Stage]:
    """Greedily pack consecutive components into stages whose range stays below 2^52."""
    stages: list[Stage] = []
    current: list[tuple[Component, int, int]] = []  # component, range + 1, low
    for c in components:
        low, high = c.span(matches)
        width = high - low + 1
        if current and math.prod(w for _, w, _ in current) * width >= SAFE_RANGE:
            stages.append(_stage(current))
            current = []
        current.append((c, width, low))
    if current:
        stages.append(_stage(current))
    return stages


def _stage(parts: list[tuple[Component, int, int]]) -> Stage:
    scales = []
    for k in range(len(parts)):
        scales.append(math.prod(w for _, w, _ in parts[k + 1 :]))
    return Stage(tuple(c for c, _, _ in parts), tuple(scales), tuple(low for _, _, low in parts))


def objective(data: RoundData, pairs: Pairs) -> tuple[list[Component], list[Component]]:
    """(components optimised in order, components only measured). Tier 1 (R7) is only
    measured when `temporary.mode` is off: its breaches are still reported."""
    deadlines = _deadline_components(data, pairs)
    ranked = data.policy.temporary.mode == "hard"
    out = [
        *(deadlines if ranked else []),
        Component("priority_waiting", "max", 0, pairs.housing.astype(np.int64)),
        Component("fit", "min", 0, pairs.fit.astype(np.int64)),
    ]
    tie = _tie_weights(data, pairs)
    if tie is not None:
        out.append(Component("tiebreak", "min", 0, tie))
    return out, [] if ranked else deadlines


def _deadline_components(data: RoundData, pairs: Pairs) -> list[Component]:
    """Tier 1 (R7): breaches and days over of the due families."""
    on_time, days_saved = r7_temporary.deadline_gains(data, pairs.h, pairs.late, data.due)
    over = r7_temporary.unmatched_days_over(data)
    return [
        Component("deadline_breaches", "min", int(data.due.sum()), -on_time),
        Component("deadline_days_over", "min", int(over.sum()), -days_saved),
    ]


def _tie_weights(data: RoundData, pairs: Pairs) -> np.ndarray | None:
    """Tie value per pair (lower is preferred): the approval rank in the high bits and
    as many pseudo-random bits as fit beside the fit component in one stage (20 at
    most); None when not even the rank fits (whole-stock sizes)."""
    matches = max(1, min(data.H, data.D))
    # The fit range over *all* candidate pairs (not just this model's), so a reduced
    # model breaks ties exactly like the full one.
    room = 52 - math.ceil(math.log2(pairs.fit_max * matches + 2))
    room -= math.ceil(math.log2(matches + 1)) + math.ceil(math.log2(data.H + 1))
    if room < 0:
        return None
    bits = min(TIE_RANDOM_BITS, room)
    jitter = (pairs.tie_jitter % np.uint64(1 << bits)).astype(np.int64)
    return data.order[pairs.h].astype(np.int64) * (1 << bits) + jitter


class AllocationModel:
    """Builds the CP-SAT model once; the solve loop only swaps objectives."""

    def __init__(self, data: RoundData, pairs: Pairs, *, with_pins: bool = True):
        self.data = data
        self.pairs = pairs
        self.cp = cp_model.CpModel()
        n = len(pairs)
        self.x = [self.cp.new_bool_var("") for _ in range(n)]
        self.x_index = np.array([v.index for v in self.x], dtype=np.int64)
        self.pairs_of_household = group_positions(pairs.h)
        self.pairs_of_dwelling = group_positions(pairs.d)
        #: Auxiliary Booleans with the pairs whose choice makes them true (for full hints).
        self.auxiliary: list[tuple[cp_model.IntVar, np.ndarray]] = []
        for build in ROUND_CONSTRAINTS:
            build(self)
        if with_pins:
            r1_assignment.pin(self)
        self.matches = max(1, min(data.H, data.D))
        #: The lexicographic objective, and components measured but not optimised (tier 1
        #: when `temporary.mode` is off).
        self.components, self.unranked = objective(data, pairs)

    @property
    def stages(self) -> list[Stage]:
        """All components packed into stages (before anything is proven or held)."""
        return pack(self.components, self.matches)

    def stages_for(self, components: list[Component]) -> list[Stage]:
        """The components packed into stages (the first one is solved next)."""
        return pack(components, self.matches)

    # The methods below write the model proto directly: through the expression API a
    # 300,000-term objective or hint costs seconds of Python; this costs milliseconds.

    def _terms(self, weights: np.ndarray) -> tuple[list[int], list[int]]:
        nonzero = np.flatnonzero(weights)
        return self.x_index[nonzero].tolist(), weights[nonzero].astype(np.int64).tolist()

    def maximise(self, stage: Stage) -> None:
        """Make the stage's packed gain the objective (maximised)."""
        self.cp.clear_objective()
        objective = self.cp.proto.objective
        variables, coefficients = self._terms(stage.gain())
        objective.vars.extend(variables)
        objective.coeffs.extend([-c for c in coefficients])  # the proto minimises
        objective.scaling_factor = -1.0

    def _at_least(self, weights: np.ndarray, value: int) -> None:
        constraint = self.cp.proto.constraints.add()
        variables, coefficients = self._terms(weights)
        constraint.linear.vars.extend(variables)
        constraint.linear.coeffs.extend(coefficients)
        constraint.linear.domain.extend([int(value), np.iinfo(np.int64).max])

    def hold_stage(self, stage: Stage, chosen: np.ndarray) -> None:
        """Keep the stage's gain no worse than the chosen proposal's from now on."""
        gain = stage.gain()
        self._at_least(gain, int(gain[chosen].sum()))

    def hold(self, component: Component, value: int) -> None:
        """Keep a component no worse than `value` from now on."""
        self._at_least(component.gain, (value - component.constant) * (
            1 if component.sense == "max" else -1))

    def add_hint(self, chosen: np.ndarray) -> None:
        """Hint a complete solution: every pair and every auxiliary variable. CP-SAT treats
        a complete, feasible hint specially; a partial one it may not use at all."""
        self.cp.clear_hints()
        hint = self.cp.proto.solution_hint
        hint.vars.extend(self.x_index.tolist() + [v.index for v, _ in self.auxiliary])
        hint.values.extend(chosen.astype(np.int64).tolist()
                           + [int(chosen[members].any()) for _, members in self.auxiliary])

    def pin_literals(self) -> list[cp_model.IntVar]:
        return [self.x[p] for p in self.pairs.pinned_pairs()]
