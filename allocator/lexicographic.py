"""Lexicographic CP-SAT solve: optimise a tier, hold its value, hint the next tier.

Status honesty: every tier reports OPTIMAL or FEASIBLE with objective, bound and gap; on a
time-out the best solution found so far is kept and the tier's gap says how far it may be
from optimal. Later tiers are then solved while holding the earlier tiers' found values.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from allocator.model import AllocationModel, Tier
from models.policy import Solver as SolverSettings
from models.problems import InputError, Problem
from models.proposal import TierResult

STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}


@dataclass
class LexResult:
    chosen: np.ndarray  # bool per pair
    tiers: list[TierResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        solved = [t.status for t in self.tiers if t.status != "SKIPPED"]
        if any(s not in ("OPTIMAL", "FEASIBLE") for s in solved):
            return "UNKNOWN"
        return "OPTIMAL" if all(s == "OPTIMAL" for s in solved) else "FEASIBLE"


def _solver(settings: SolverSettings, seconds: float, workers: int | None = None) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = workers or settings.workers
    p.random_seed = settings.seed
    p.max_time_in_seconds = max(0.05, seconds)
    if settings.deterministic_time is not None:
        p.max_deterministic_time = settings.deterministic_time
    return solver


def _gap(objective: float, bound: float) -> float:
    return abs(objective - bound) / max(1.0, abs(objective))


def _eval_constant(expr: cp_model.LinearExprT) -> float:
    """The value of an objective in which no decision enters (no due family, no pair)."""
    if isinstance(expr, (int, float)):
        return float(expr)
    model = cp_model.CpModel()
    model.Minimize(expr)
    solver = cp_model.CpSolver()
    solver.Solve(model)
    return float(solver.ObjectiveValue())


def _decode(tier: Tier, status: str, value: int | None, bound: int | None,
            elapsed: float) -> list[TierResult]:
    """Split a tier's objective into its reported components (most significant first).
    Only the leading component has a bound of its own unless the tier is optimal."""
    out = []
    rest_value, rest_bound = value, bound
    for k, (name, scale) in enumerate(tier.parts):
        v = None if rest_value is None else rest_value // scale
        if rest_value is not None:
            rest_value -= (v or 0) * scale
        if status == "OPTIMAL":
            b = v
        elif k == 0 and rest_bound is not None:
            # total = lead * scale + rest with 0 <= rest < scale, so both for min
            # (total >= bound) and max (total <= bound) the lead's bound is floor(bound/scale).
            b = rest_bound // scale
        else:
            b = None
        gap = None if v is None or b is None else _gap(v, b)
        out.append(TierResult(name=name, status=status, objective=v, bound=b, gap=gap,
                              wall_time_s=round(elapsed, 4) if k == 0 else 0.0))
    return out


def solve_tiers(m: AllocationModel, settings: SolverSettings,
                time_limit_s: float | None = None,
                hint: np.ndarray | None = None,
                tiers: list[str] | None = None) -> LexResult:
    """Solve every tier in order (or only the named ones, the rest SKIPPED).

    `time_limit_s` (default: the policy's) is the budget for all tiers together."""
    budget = time_limit_s if time_limit_s is not None else settings.time_limit_s
    deadline = time.monotonic() + budget
    n = len(m.x)
    chosen = np.zeros(n, dtype=bool) if hint is None else hint.copy()
    results: list[TierResult] = []
    have_solution = hint is not None
    for tier in m.tiers:
        if tiers is not None and tier.name not in tiers:
            results += [TierResult(name=name, status="SKIPPED") for name, _ in tier.parts]
            continue
        start = time.monotonic()
        if tier.constant:
            value = round(_eval_constant(tier.expr))
            results += _decode(tier, "OPTIMAL", value, value, 0.0)
            continue
        if tier.sense == "min":
            m.cp.Minimize(tier.expr)
        else:
            m.cp.Maximize(tier.expr)
        m.cp.ClearHints()
        if have_solution:
            for var, value in zip(m.x, chosen, strict=True):
                m.cp.AddHint(var, bool(value))
        solver = _solver(settings, deadline - time.monotonic())
        code = solver.Solve(m.cp)
        status = STATUS[code]
        elapsed = time.monotonic() - start
        if code == cp_model.INFEASIBLE:
            raise _infeasible_pins(m, settings)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            results += _decode(tier, status, None, None, elapsed)
            continue
        # Objectives are integral; CP-SAT reports floats (1881.9999...) so round, and round
        # the bound in the direction that keeps it a valid bound.
        value = round(solver.ObjectiveValue())
        raw = solver.BestObjectiveBound()
        bound = math.ceil(raw - 1e-6) if tier.sense == "min" else math.floor(raw + 1e-6)
        chosen = np.array([solver.BooleanValue(v) for v in m.x], dtype=bool)
        have_solution = True
        results += _decode(tier, status, value, bound, elapsed)
        # Hold this tier, one-sided (an equality on a large weighted sum hurts CP-SAT's
        # propagation badly; "no worse than found" keeps the same optimal set).
        if tier.sense == "min":
            m.cp.Add(tier.expr <= value)
        else:
            m.cp.Add(tier.expr >= value)
    if tiers is None and m.tie is None:
        results.append(TierResult(name="tiebreak", status="SKIPPED"))
    return LexResult(chosen=chosen, tiers=results)


def _infeasible_pins(m: AllocationModel, settings: SolverSettings) -> InputError:
    """Only pins can make the model infeasible (the empty proposal satisfies every other
    rule). Find which pins clash, with assumptions on a pin-free copy (one worker)."""
    free = AllocationModel(m.data, m.pairs, with_pins=False)
    literals = free.pin_literals()
    free.cp.AddAssumptions(literals)
    solver = _solver(settings, settings.time_limit_s, workers=1)
    solver.Solve(free.cp)
    core = set(solver.SufficientAssumptionsForInfeasibility())
    pins = m.data.scenario.locks.pinned
    problems = [
        Problem(table="locks.pinned", index=i, location=f"locks.pinned[{i}]", field="dwelling",
                value=pin.dwelling,
                expected=("pins that can hold together; with the other listed pins this one "
                          "breaks a round rule (R5 building cap or district quota, R6 separation)"))
        for i, (pin, lit) in enumerate(zip(pins, literals, strict=True)) if lit.Index() in core
    ] or [Problem(table="locks.pinned", field="", value=None,
                  expected="pins that can hold together under R5 and R6")]
    return InputError(problems)
