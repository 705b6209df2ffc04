"""The CP-SAT model: one Boolean per candidate pair, the round rules' constraints, and the
objective's components (allocator.objective) to be solved stage by stage.

The constraints come from the rule registry: R1 (at most one pair per household and per
dwelling, pins), then every round rule that is switched on (allocator.rules.ROUND_RULES).
The objective is declared in allocator.objective; extra components (the meeting's
stability tier) enter through the `objective` passed in, never by editing a built model.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
from ortools.sat.python import cp_model

from allocator.data import RoundData
from allocator.objective import Component, Objective, Stage, default_objective, pack
from allocator.pairs import Pairs, group_positions
from allocator.rules import ROUND_RULES, r1_assignment, r11_transfers

if TYPE_CHECKING:
    from allocator.lexflow import Face, LexFlow


class AllocationModel:
    """Builds the CP-SAT model once, on first use (a round the relaxation proves needs no
    CP-SAT at all); the solve loop only swaps objectives."""

    def __init__(
        self,
        data: RoundData,
        pairs: Pairs,
        *,
        with_pins: bool = True,
        objective: Objective | None = None,
    ):
        self.data = data
        self.pairs = pairs
        self.objective = objective or default_objective(data.policy)
        self.with_pins = with_pins
        self._cp: cp_model.CpModel | None = None
        #: Holds asked for before the CP-SAT model exists (added when it is built).
        self._pending: list[tuple[np.ndarray, int]] = []
        #: The model has chain variants (R11 links), which changes how it is solved.
        self.chains = bool(r11_transfers.is_variant(pairs).any())
        self.matches = max(1, min(data.H, data.D))
        #: The ranked components in order, and the ones only measured (clocks off).
        self.components, self.unranked = self.objective.components(pairs)
        #: The serial tie-break's components, once the relaxation has found which
        #: households it must order (allocator.warmstart.relaxation); `tie_exact` says the
        #: set provably holds every household whose status can still change.
        self.tie: list[Component] = []
        self.tie_exact = False
        #: Households open on the relaxation's optimal face (None before it is solved).
        self.relaxed_open: np.ndarray | None = None
        #: When the relaxation stacks every ranked component into one flow level: that
        #: level's per-pair values, its optimum, and the flow that solved it, whose
        #: `flip_loss` gives per household the least loss of it when the household's
        #: status flips (allocator.lexflow.LexFlow.flip_loss, found on first use).
        self.relaxed_level: np.ndarray | None = None
        self.relaxed_optimum = 0
        self.relaxed_flow: LexFlow | None = None

    # -- the CP-SAT model, built on first use ----------------------------------------------

    @property
    def built(self) -> bool:
        return self._cp is not None

    @property
    def cp(self) -> cp_model.CpModel:
        if self._cp is None:
            self._build()
        assert self._cp is not None
        return self._cp

    @property
    def x(self) -> list[cp_model.IntVar]:
        self.cp  # noqa: B018 (builds the model)
        return self._x

    @property
    def x_index(self) -> np.ndarray:
        self.cp  # noqa: B018
        return self._x_index

    @property
    def auxiliary(self) -> list[tuple[cp_model.IntVar, np.ndarray]]:
        """Auxiliary Booleans with the pairs whose choice makes them true (for full hints)."""
        self.cp  # noqa: B018
        return self._auxiliary

    @functools.cached_property
    def pairs_of_household(self) -> dict[int, np.ndarray]:
        return group_positions(self.pairs.h)

    @functools.cached_property
    def pairs_of_dwelling(self) -> dict[int, np.ndarray]:
        return group_positions(self.pairs.d)

    def _build(self) -> None:
        """One Boolean per pair, R1, every round rule switched on, R11's links, pins,
        then the holds asked for so far (in the order asked)."""
        self._cp = cp_model.CpModel()
        self._x = [self._cp.new_bool_var("") for _ in range(len(self.pairs))]
        self._x_index = np.array([v.index for v in self._x], dtype=np.int64)
        self._auxiliary: list[tuple[cp_model.IntVar, np.ndarray]] = []
        r1_assignment.build(self)
        for rule in ROUND_RULES:
            if rule.enabled(self.data.policy):
                rule.add(self)
        r11_transfers.add(self)
        if self.with_pins:
            r1_assignment.pin(self)
        pending, self._pending = self._pending, []
        for weights, value in pending:
            self._at_least(weights, value)

    # -- constraints the round rules ask for ----------------------------------------------

    def add_at_most(self, positions: np.ndarray, bound: int) -> None:
        """Σ x[p] over `positions` <= bound (a capacity)."""
        self._count(positions, 0, int(bound))

    def _count(self, positions: np.ndarray, lower: int, upper: int) -> None:
        """lower <= Σ x[p] over `positions` <= upper."""
        constraint = self.cp.proto.constraints.add()
        constraint.linear.vars.extend(self.x_index[positions].tolist())
        constraint.linear.coeffs.extend([1] * len(positions))
        constraint.linear.domain.extend([lower, upper])

    def add_linear(self, plus: np.ndarray, minus: np.ndarray, bound: int) -> None:
        """Σ x over `plus` - Σ x over `minus` <= bound (a chain link, R11)."""
        constraint = self.cp.proto.constraints.add()
        constraint.linear.vars.extend(self.x_index[plus].tolist() + self.x_index[minus].tolist())
        constraint.linear.coeffs.extend([1] * len(plus) + [-1] * len(minus))
        constraint.linear.domain.extend([-len(minus), int(bound)])

    def add_exclusion(self, one: np.ndarray, two: np.ndarray, name: str) -> None:
        """Placements in `one` and in `two` never both: one Boolean says which may."""
        first_may = self.cp.new_bool_var(f"{name}_first")
        for p in one:
            self.cp.add_implication(self.x[p], first_may)
        for p in two:
            self.cp.add_implication(self.x[p], first_may.Not())
        # Its value in a given proposal: true exactly when a first-kind household moves in.
        self.auxiliary.append((first_may, one))

    # -- objective ------------------------------------------------------------------------

    @property
    def stages(self) -> list[Stage]:
        """All components packed into stages (before anything is proven or held)."""
        return pack(self.components, self.matches)

    def stages_for(self, components: list[Component]) -> list[Stage]:
        """The components packed into stages (the first one is solved next). With chain
        links (R11) one component per stage: CP-SAT proves each tier quickly once the one
        above is held, but not several packed together (a 100 x 20 round with 10 tenants:
        tier 1 alone optimal in 0.2 s, tiers 1 and 2 packed not proven in 30 s)."""
        if self.chains:
            return [stage for c in components for stage in pack([c], self.matches)]
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
        if self._cp is None:
            self._pending.append((weights, value))  # no CP-SAT model needed yet
            return
        self._linear(weights, int(value), np.iinfo(np.int64).max)

    def _linear(self, weights: np.ndarray, lower: int, upper: int) -> None:
        constraint = self.cp.proto.constraints.add()
        variables, coefficients = self._terms(weights)
        constraint.linear.vars.extend(variables)
        constraint.linear.coeffs.extend(coefficients)
        constraint.linear.domain.extend([lower, upper])

    def cap_stage(self, stage: Stage, top: int) -> None:
        """The stage's packed gain is at most `top` (a proven bound, told to CP-SAT so a
        solution that attains it is proven optimal at once)."""
        self._linear(stage.gain(), np.iinfo(np.int64).min, int(top))

    def hold_stage(self, stage: Stage, chosen: np.ndarray) -> None:
        """Keep the stage's gain no worse than the chosen proposal's from now on."""
        gain = stage.gain()
        self._at_least(gain, int(gain[chosen].sum()))

    def hold(self, component: Component, value: int) -> None:
        """Keep a component no worse than `value` from now on."""
        self._at_least(
            component.gain, (value - component.constant) * (1 if component.sense == "max" else -1)
        )

    def confine(self, face: Face) -> None:
        """Every solution from now on lies on the relaxation's optimal `face`: only its
        pairs, its forced pairs taken, its housed households housed and its filled
        dwellings filled. Equalities on the matching, which CP-SAT propagates far better
        than the hold of a large weighted sum they imply."""
        off, forced = np.flatnonzero(~face.on), np.flatnonzero(face.forced)
        if len(off):
            self._count(off, 0, 0)
        if len(forced):
            self._count(forced, len(forced), len(forced))
        for groups, must in (
            (self.pairs_of_household, face.housed),
            (self.pairs_of_dwelling, face.filled),
        ):
            for key in np.flatnonzero(must):
                members = groups.get(int(key))
                if members is not None:
                    self._count(members, 1, 1)

    def fix(self, p: int) -> None:
        """Force pair `p` into every solution (tests and `recommend`)."""
        self.cp.add(self.x[int(p)] == 1)

    def add_hint(self, chosen: np.ndarray) -> None:
        """Hint a complete solution: every pair and every auxiliary variable. CP-SAT treats
        a complete, feasible hint specially; a partial one it may not use at all."""
        self.cp.clear_hints()
        hint = self.cp.proto.solution_hint
        hint.vars.extend(self.x_index.tolist() + [v.index for v, _ in self.auxiliary])
        hint.values.extend(
            chosen.astype(np.int64).tolist()
            + [int(chosen[members].any()) for _, members in self.auxiliary]
        )

    def pin_literals(self) -> list[cp_model.IntVar]:
        return [self.x[p] for p in self.pairs.pinned_pairs()]
