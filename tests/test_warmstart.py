"""The warm start keeps every round rule and never makes tier 1 worse, also at whole-stock
sizes where the tiers cannot be stacked exactly (simulated by a small cost limit)."""

from __future__ import annotations

import numpy as np
import pytest
from builders import building, dwelling, household, scenario
from hypothesis import HealthCheck, given, settings

from allocator import warmstart
from allocator.data import build_round_data
from allocator.model import AllocationModel
from allocator.pairs import Pairs, candidate_pairs
from allocator.solve import propose
from allocator.warmstart import hint_values, keeps_round_rules, warm_start
from models.scenario import Scenario
from scenarios.random_scenario import scenario_strategy

# Deadline 2026-12-09; the next round's earliest move-in is 2026-12-14 (5 days over).
DUE = household(
    "FAMILY",
    approved_on="2026-06-01",
    children=[{"age": 2}],
    situation={"kind": "temporary", "since": "2026-09-10"},
)


def _tiny_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Costs must stay below 10^4: the exact stacking of the tiers overflows."""
    monkeypatch.setattr(warmstart, "flow_cost_limit", lambda H, D: 10_000)


def test_a_late_move_is_never_scored_worse_than_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    # The only dwelling is free 2027-01-10: moving in is 32 days over the cap. Leaving the
    # family unmatched counts at least as many days (the latest move-in this round could
    # give it), so housing it late is not worse on tier 1 and better on tier 2.
    s = scenario(
        dwellings=[dwelling("W1", bedrooms=2, available_from="2027-01-10")], households=[DUE]
    )
    data = build_round_data(s)
    pairs = candidate_pairs(data)
    assert pairs.unmatched_over_h[0] == 32 and pairs.matched_breach()[1][0] == 32
    _tiny_limit(monkeypatch)
    assert (hint_values(data, pairs) > 0).all()
    assert warm_start(data, pairs).all()
    assert [m.dwelling for m in propose(s).matches] == ["W1"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy(max_households=25, max_dwellings=15))
def test_approximate_warm_start_keeps_round_rules_and_fixed_tier_one(s: Scenario) -> None:
    data = build_round_data(s)
    pairs = candidate_pairs(data)
    model = AllocationModel(data, pairs)
    exact = warm_start(data, pairs)
    breaches, days = model.components[0], model.components[1]
    with pytest.MonkeyPatch.context() as mp:
        _tiny_limit(mp)
        # Tier 1 settled elsewhere (here: by the exact warm start's due-family pairs).
        fixed = np.flatnonzero(exact & data.ranked_due[pairs.h])
        approx = warm_start(data, pairs, fixed)
    assert keeps_round_rules(data, pairs, approx)
    assert approx[fixed].all()
    assert breaches.value(approx) <= breaches.value(exact)
    assert (breaches.value(approx), days.value(approx)) <= (
        breaches.value(exact),
        days.value(exact),
    )


def test_a_stage_out_of_time_keeps_the_starting_solution_as_feasible() -> None:
    from allocator.lexicographic import solve_tiers
    from scenarios.sized_round import sized_round

    s = sized_round(seed=5, dwellings=40, households=300)
    data = build_round_data(s)
    pairs = candidate_pairs(data)
    model = AllocationModel(data, pairs)
    hint = warm_start(data, pairs)
    # No time at all: CP-SAT stops before improving on (or even reading) the hint.
    settings = s.policy.solver.model_copy(update={"deterministic_time": 1e-9})
    result = solve_tiers(model, settings, 0.01, hint=hint)
    assert result.status in ("OPTIMAL", "FEASIBLE")
    assert all(t.objective is not None for t in result.tiers if t.status != "SKIPPED")
    assert (result.chosen == hint).all() or result.status == "OPTIMAL"


def _chosen(pairs: Pairs, placements: dict[str, str]) -> np.ndarray:
    data = pairs.data
    want = {(data.household_index[h], data.dwelling_index[d]) for h, d in placements.items()}
    return np.array(
        [(int(h), int(d)) in want for h, d in zip(pairs.h, pairs.d, strict=True)], dtype=bool
    )


def test_a_full_building_is_closed_around_the_held_placement() -> None:
    # B1 (4 units) takes one high-need household; H1's placement there is held (a due
    # family's, settled before), H2 brings more value. The ban keeps the held one and
    # closes B1 to every other high-need household, H3 included (not in B1 yet): banning
    # only the excess would draw H3 in next.
    from allocator.rules.r5_spread import BUILDING_CAP

    s = scenario(
        buildings=[building("B1", units=4, residents={"high_need": 0}), building("B2", "D2")],
        dwellings=[dwelling("W1", "B1"), dwelling("W2", "B1"), dwelling("W3", "B2")],
        households=[
            household("H1", high_need=True, approved_on="2026-06-01"),
            household("H2", high_need=True, approved_on="2025-01-01"),
            household("H3", high_need=True, approved_on="2025-02-01"),
            household("L1", approved_on="2025-03-01"),
        ],
    )
    data = build_round_data(s)
    pairs = candidate_pairs(data)
    values = hint_values(data, pairs)
    chosen = _chosen(pairs, {"H1": "W1", "H2": "W2", "H3": "W3"})
    held = _chosen(pairs, {"H1": "W1"})

    def banned(ban: np.ndarray) -> set[tuple[str, str]]:
        return {
            (data.household_ids[h], data.dwelling_ids[d])
            for h, d in zip(pairs.h[ban], pairs.d[ban], strict=True)
        }

    in_b1 = ("W1", "W2")
    ban = BUILDING_CAP.bans(pairs, chosen, values, held)
    assert banned(ban) == {(h, w) for h in ("H2", "H3") for w in in_b1}
    # Without the hold, the highest value keeps B1: H2, who has waited longest.
    nothing = np.zeros(len(pairs), dtype=bool)
    ban = BUILDING_CAP.bans(pairs, chosen, values, nothing)
    assert banned(ban) == {(h, w) for h in ("H1", "H3") for w in in_b1}


def test_separation_never_bans_the_kind_with_a_held_placement() -> None:
    from allocator.rules.r6_separation import SEPARATION

    s = scenario(
        buildings=[building("B1", units=40), building("B2", "D2")],
        dwellings=[dwelling("W1"), dwelling("W2"), dwelling("W3")],
        households=[
            household("ACTIVE", substance_use="active", approved_on="2026-06-01"),
            household("REC1", substance_use="recovery", approved_on="2025-01-01"),
            household("REC2", substance_use="recovery", approved_on="2025-02-01"),
        ],
    )
    data = build_round_data(s)
    pairs = candidate_pairs(data)
    values = hint_values(data, pairs)
    chosen = _chosen(pairs, {"ACTIVE": "W1", "REC1": "W2", "REC2": "W3"})
    nothing = np.zeros(len(pairs), dtype=bool)
    loser = {
        data.household_ids[h] for h in pairs.h[SEPARATION.bans(pairs, chosen, values, nothing)]
    }
    assert loser == {"ACTIVE"}  # two recovery households bring more value
    held = _chosen(pairs, {"ACTIVE": "W1"})
    loser = {data.household_ids[h] for h in pairs.h[SEPARATION.bans(pairs, chosen, values, held)]}
    assert loser == {"REC1", "REC2"}
