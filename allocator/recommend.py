"""`allocator recommend`: the best dwellings for one household and what each would cost
the rest of the round ("what else could we offer her?").

Each option is the full lexicographic optimum with the pair pinned, compared with the
unconstrained optimum, tier by tier. Computed, not estimated.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pydantic import BaseModel

from allocator.data import build_round_data
from allocator.lexicographic import solve_tiers
from allocator.model import AllocationModel
from allocator.pairs import candidate_pairs, pair_rejections
from allocator.reasons import rule_text
from allocator.warmstart import warm_start
from models.problems import InputError, Problem
from models.scenario import Scenario

COMPARED = ["deadline_breaches", "deadline_days_over", "priority_waiting", "fit"]


class Option(BaseModel):
    dwelling: str
    district: str
    move_in: dt.date
    in_proposal: bool
    displaces: str | None = None  # who the proposal gave this dwelling to
    delta: dict[str, float]  # per tier: option value minus proposal value
    fit_cost: int

    def render(self, rank: int) -> str:
        d = self.delta
        parts = [
            f"brudd {d['deadline_breaches']:+.0f}",
            f"dager over {d['deadline_days_over']:+.0f}",
            f"prioritet/ventetid {d['priority_waiting']:+.0f}",
            f"tilpasning {d['fit']:+.0f}",
        ]
        tag = (
            " (i forslaget)"
            if self.in_proposal
            else (f" (fortrenger {self.displaces})" if self.displaces else "")
        )
        return (
            f"{rank}. {self.dwelling} i {self.district}, innflytting {self.move_in}{tag}: "
            + ", ".join(parts)
        )


def _values(result) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {t.name: float(t.objective or 0.0) for t in result.tiers if t.name in COMPARED}


def recommend(scenario: Scenario, household_id: str, top: int = 5) -> list[Option]:
    """Rank every dwelling the household may have by the lexicographic change it causes."""
    data = build_round_data(scenario)
    if household_id not in data.household_index:
        raise InputError(
            [
                Problem(
                    field="household",
                    value=household_id,
                    expected="the id of a household in the scenario",
                )
            ]
        )
    h = data.household_index[household_id]
    pairs = candidate_pairs(data)
    settings = scenario.policy.solver
    base_model = AllocationModel(data, pairs)
    hint = warm_start(data, pairs)
    base = solve_tiers(base_model, settings, hint=hint, tiers=COMPARED)
    base_values = _values(base)
    holder = {
        int(pairs.d[p]): data.household_ids[int(pairs.h[p])] for p in np.flatnonzero(base.chosen)
    }
    options = []
    for p in np.flatnonzero(pairs.h == h):
        d = int(pairs.d[p])
        model = AllocationModel(data, pairs)
        model.cp.add(model.x[int(p)] == 1)
        try:
            result = solve_tiers(model, settings, hint=None, tiers=COMPARED)
        except InputError:
            continue  # the pin clashes with locked pairs under the round rules
        values = _values(result)
        options.append(
            Option(
                dwelling=data.dwelling_ids[d],
                district=data.district_ids[data.d_district[d]],
                move_in=dt.date.fromordinal(int(pairs.move_in[p])),
                in_proposal=bool(base.chosen[p]),
                displaces=None if bool(base.chosen[p]) else holder.get(d),
                delta={k: values[k] - base_values[k] for k in COMPARED},
                fit_cost=int(pairs.fit[p]),
            )
        )
    options.sort(
        key=lambda o: (
            o.delta["deadline_breaches"],
            o.delta["deadline_days_over"],
            -o.delta["priority_waiting"],
            o.delta["fit"],
            o.dwelling,
        )
    )
    return options[:top]


def why_not(scenario: Scenario, household_id: str) -> dict[str, list[str]]:
    """Per dwelling, the bokmål texts of every rule that rules it out for the household."""
    data = build_round_data(scenario)
    h = data.household_index[household_id]
    return {
        data.dwelling_ids[j]: [rule_text(c) for c in codes]
        for j, codes in enumerate(pair_rejections(data, h))
        if codes
    }
