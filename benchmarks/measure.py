"""Turn a `Trace` of one propose() into the numbers the benchmark reports."""

from __future__ import annotations

from typing import Any

import numpy as np

from allocator.data import RoundData
from allocator.model import AllocationModel
from allocator.objective import Component, default_objective
from allocator.pairs import Pairs
from benchmarks.trace import SolveRecord, Trace, decode
from models.proposal import Proposal

TIER2 = "priority_waiting"
TIER1 = ("deadline_breaches", "deadline_days_over")


def _span(trace: Trace, name: str) -> float | None:
    span = trace.spans.get(name)
    return None if span is None else span[1] - span[0]


def build_times(trace: Trace) -> dict[str, float | None]:
    """Seconds for round data, the model's pairs (candidate pairs, and the selection of
    whole-stock rounds made while generating them), the CP-SAT model (and, for
    information, the relaxation and warm start inside optimise); `total_s` from the start
    of the data to the end of the whole round's model, plus its CP-SAT part (built on first
    use, inside optimise, and never when the relaxation proves every tier: `cp_model_s`
    is then None)."""
    names = ("data", "pairs", "model", "cp_model", "relaxation", "warm_start")
    parts = {k: _span(trace, k) for k in names}
    data, model = trace.spans.get("data"), trace.spans.get("model")
    total = None if data is None or model is None else model[1] - data[0]
    if total is not None and parts["cp_model"] is not None:
        total += parts["cp_model"]
    return {f"{k}_s": v for k, v in parts.items()} | {"total_s": total}


def _main_solves(trace: Trace) -> list[SolveRecord]:
    return [r for r in trace.solves if r.model == 0]


def first_proposal(trace: Trace) -> float | None:
    """When the first complete proposal of the whole round existed: when `solve_tiers`
    was entered on the whole round's model with a hint (relaxation, sub-solve and warm
    start done), else the first CP-SAT solution of that model."""
    for t, model, hinted in trace.solve_calls:
        if model == 0 and hinted:
            return t
    times = [s[0] for r in _main_solves(trace) for s in r.solutions]
    return min(times) if times else None


def best_proposal(trace: Trace) -> float | None:
    """When the final proposal's last improvement was found (any stage)."""
    times = [s[0] for r in _main_solves(trace) for s in r.solutions]
    return max(times) if times else first_proposal(trace)


def tier2_found(trace: Trace, final: int | None) -> float | None:
    """When the whole-round model first had a solution with tier 2 at its final value: a
    CP-SAT solution of a stage with tier 2, else the moment a stage LP proved it (the
    hint then holds it), else the first proposal."""
    if final is None:
        return None
    for record in _main_solves(trace):
        stage = record.stage
        if stage is None or TIER2 not in [c.name for c in stage.components]:
            continue
        for t, value, _ in record.solutions:
            if decode(stage, value)[TIER2] >= final:
                return t
    # Proven by its stage LP (the hint attains the bound): the value is in hand then.
    proofs = [t for t, names in trace.lp_proofs if TIER2 in names]
    if proofs:
        return min(proofs)
    return first_proposal(trace)


def stage_rows(trace: Trace, origin: float) -> list[dict[str, Any]]:
    """One row per CP-SAT solve: which model, stage, status, times, solution count."""
    rows = []
    for r in trace.solves:
        sol = [s[0] - r.start for s in r.solutions]
        rows.append(
            {
                "model": "round" if r.model == 0 else f"sub-model {r.model}",
                "pairs": len(trace.models[r.model].pairs),
                "stage": r.stage.name if r.stage is not None else None,
                "status": r.status,
                "start_s": round(r.start - origin, 4),
                "wall_s": round(r.end - r.start, 4),
                "solutions": len(sol),
                "first_solution_s": round(sol[0], 4) if sol else None,
                "last_solution_s": round(sol[-1], 4) if sol else None,
            }
        )
    return rows


def tier_rows(proposal: Proposal) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json") for t in proposal.run.tiers]


def tier_value(proposal: Proposal, name: str) -> int | None:
    for t in proposal.run.tiers:
        if t.name == name and t.objective is not None:
            return int(round(t.objective))
    return None


def chosen_of(model: AllocationModel, proposal: Proposal) -> np.ndarray:
    """The proposal's matches as a bool per pair of the model."""
    return chosen_in(model.data, model.pairs, proposal)


def component_values(model: AllocationModel, chosen: np.ndarray) -> dict[str, int]:
    return {c.name: c.value(chosen) for c in model.components}


def components_for(data: RoundData, pairs: Pairs) -> list[Component]:
    """The model's objective components over `pairs` (e.g. every candidate pair, for the
    greedy baseline), measured ones first, without building a CP-SAT model."""
    ranked, measured = default_objective(data.policy).components(pairs)
    return measured + ranked


def chosen_in(data: RoundData, pairs: Pairs, proposal: Proposal) -> np.ndarray:
    """The proposal's matches as a bool per pair of `pairs`."""
    index = pairs.index()
    chosen = np.zeros(len(pairs), dtype=bool)
    for m in proposal.matches:
        p = index.get((data.household_index[m.household], data.dwelling_index[m.dwelling]))
        if p is not None:
            chosen[p] = True
    return chosen


def relative_gap(value: float, bound: float) -> float:
    """(bound - value) / |bound| for a maximised tier (0 when equal)."""
    return (bound - value) / max(1.0, abs(bound))
