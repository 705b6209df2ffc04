"""R10 group share (issue 19 item 3): the floor on one group's share of a round's
placements, stated as a cap on everyone else. Tiny cases where it binds and where it does
not, in the solver and in the checker; its figures; the exemption of due households; a
cap of 0; pins; the report in the proposal; that it is monotone (every subset of a
feasible proposal stays feasible); the benchmark MIP's row; and the policy's group keys."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pytest
from builders import dwelling, household, scenario
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from allocator.checker import check_proposal
from allocator.checker.context import Context
from allocator.checker.r10_group_share import group_cap, in_group, matching_size
from allocator.checker.registry import PLACEMENT_RULES
from allocator.cli import main
from allocator.data import build_round_data
from allocator.fairness import equal_treatment
from allocator.fairness.groups import CORE, group_by_key
from allocator.model import AllocationModel
from allocator.pairs import candidate_pairs
from allocator.report import render_report, summary_lines
from allocator.rules.r10_group_share import figures
from allocator.solve import propose
from allocator.warmstart import household_pools, keeps_round_rules, relaxation, warm_start
from benchmarks import mip
from models.policy import GroupKey
from models.proposal import Proposal
from models.scenario import Scenario
from scenarios.random_scenario import random_scenario, scenario_strategy

WHEELCHAIR = {"wheelchair": True, "step_free": True}


def _policy(group: str | None = "wheelchair", min_ratio: float = 0.8) -> dict[str, Any]:
    share = None if group is None else {"group": group, "min_ratio": min_ratio}
    return {"solver": {"workers": 1, "time_limit_s": 20}, "fairness": {"group_share": share}}


def _round(group: str | None = "wheelchair", **kw: Any) -> Scenario:
    """Two flats (W1 wheelchair-ready), two priority-1 households and a priority-3
    wheelchair user who fits only W1: without the floor, A and B are housed."""
    return scenario(
        dwellings=[dwelling("W1", wheelchair=True, floor=0), dwelling("W2")],
        households=[
            household("A", priority=1),
            household("B", priority=1, approved_on="2026-02-01"),
            household("R", priority=3, needs=WHEELCHAIR),
        ],
        policy=_policy(group, **kw),
    )


def housed(p: Proposal) -> dict[str, str]:
    return {m.household: m.dwelling for m in p.matches}


def test_the_floor_houses_the_group_when_it_binds() -> None:
    s = _round()
    f = figures(build_round_data(s))
    # n = 3, m = 1, M = 2, ν = 1: t = ceil(0.8 · 1 · 2 / 3) = 1, r = 1, K = 1.
    assert (f.households, f.members, f.most_placements, f.members_fit) == (3, 1, 2, 1)
    assert (f.target, f.reserved, f.cap) == (1, 1, 1)
    p = propose(s)
    assert housed(p) == {"R": "W1", "A": "W2"}
    assert check_proposal(s, p) == []
    g = p.group_share
    assert g is not None and g.binding and g.met
    assert (g.members_placed, g.others_placed, g.held_back_households) == (1, 1, ["B"])
    assert "Kravet er bindende" in g.reasons[0].text
    assert "1 av 3 på ventelisten (33,3 %)" in g.reasons[0].text


def test_without_the_floor_the_checker_finds_the_cap_broken() -> None:
    free = propose(_round(None))
    assert housed(free) == {"A": "W1", "B": "W2"} or housed(free) == {"A": "W2", "B": "W1"}
    assert free.group_share is None
    found = check_proposal(_round(), free)
    assert {(v.rule, v.code) for v in found} == {("R10", "group_share")}
    assert {v.household for v in found} == {"A", "B"}
    assert "at most K = M - r = 2 - 1 = 1" in found[0].message


def test_a_floor_the_group_already_meets_does_not_bind() -> None:
    # The group "prioritet 1" (A, B) is housed anyway: the cap on R is 0 and R is
    # left out by the objective already; nothing changes.
    s = _round("priority_1", min_ratio=0.5)
    p = propose(s)
    assert housed(p) == housed(propose(_round(None)))
    g = p.group_share
    assert g is not None and not g.binding and g.met
    assert "binder ikke" in g.reasons[0].text


def test_no_cap_without_members_or_with_everyone() -> None:
    for group in ("refugees", "single_adults"):  # nobody / everybody in the group
        s = _round(group)
        assert not figures(build_round_data(s)).active
        assert group_cap(Context.of(s)) is None
        p = propose(s)
        assert p.group_share is not None and p.group_share.cap_others is None
        assert p.group_share.reasons[0].params["members"] in (0, 3)
        assert check_proposal(s, p) == []


def test_nothing_is_held_when_no_member_fits() -> None:
    s = scenario(
        dwellings=[dwelling("W2")],
        households=[household("A"), household("R", needs=WHEELCHAIR)],
        policy=_policy(),
    )
    f = figures(build_round_data(s))
    assert (f.members_fit, f.reserved, f.cap) == (0, 0, 1)
    p = propose(s)
    assert housed(p) == {"A": "W2"}
    assert p.group_share is not None and p.group_share.reasons[0].code == "group_share_none_held"


def test_due_households_outside_the_group_are_not_counted() -> None:
    """A family due under the 3-month cap is housed whatever the floor (tier 1 first)."""
    due = {"kind": "temporary", "since": "2026-08-01"}  # 90 days end 30.10.2026
    s = scenario(
        dwellings=[dwelling("W1", wheelchair=True, floor=0, bedrooms=2), dwelling("W2")],
        households=[
            household("F", adults=2, children=[{"age": 4}], situation=due),
            household("A", priority=1),
            household("R", priority=3, needs=WHEELCHAIR),
        ],
        policy=_policy(min_ratio=1.0),
    )
    data = build_round_data(s)
    f = figures(data)
    assert data.due[data.household_index["F"]]
    assert [data.household_ids[i] for i in np.flatnonzero(f.counted)] == ["A"]
    assert group_cap(Context.of(s)).counted == {"A"}  # type: ignore[union-attr]
    p = propose(s)
    assert "F" in housed(p)
    assert check_proposal(s, p) == []


def _everyone_but_one() -> Scenario:
    # n = 3, m = 2 single adults, M = 2: t = ceil(1 · 2 · 2 / 3) = 2 = ν, so K = 0.
    return scenario(
        dwellings=[dwelling("W1"), dwelling("W2")],
        households=[household("S1"), household("S2"), household("P", adults=2, priority=1)],
        policy=_policy("single_adults", min_ratio=1.0),
    )


def test_a_cap_of_zero_rules_the_others_out_alone() -> None:
    s = _everyone_but_one()
    assert figures(build_round_data(s)).cap == 0
    p = propose(s)
    assert sorted(housed(p)) == ["S1", "S2"]
    (unmatched,) = p.unmatched
    assert unmatched.household == "P" and unmatched.reason.code == "no_feasible_dwelling"
    assert {b.code for b in unmatched.blocking_rules} == {"group_share"}
    assert "holdes av til gruppen" in unmatched.reason.text


def test_a_pin_beyond_the_cap_is_an_input_error(tmp_path: Path) -> None:
    data = _everyone_but_one().model_dump(mode="json")
    data["locks"] = {"pinned": [{"household": "P", "dwelling": "W1"}]}
    s = Scenario.model_validate(data)
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(s.model_dump(mode="json")), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "locks.pinned[0]" in result.output and "group_share" in result.output


def test_report_in_html_console_and_checked() -> None:
    s = _round()
    p = propose(s)
    html = render_report(s, p)
    assert "Krav om andel: rullestolbrukere (bindende)" in html
    assert "Holdt tilbake av taket: B." in html
    assert any(
        "group share (R10) wheelchair: 1 placed of 1 held" in line and "BINDING" in line
        for line in summary_lines(p)
    )
    assert p.group_share is not None
    tampered = p.model_copy(
        update={"group_share": p.group_share.model_copy(update={"reserved": 0})}
    )
    (wrong,) = check_proposal(s, tampered)
    assert wrong.code == "group_share_report" and "reserved 0 (expected 1)" in wrong.message
    unasked = propose(_round(None)).model_copy(update={"group_share": p.group_share})
    assert [v.code for v in check_proposal(_round(None), unasked)] == ["group_share_report"]


def test_matching_sizes_on_both_sides() -> None:
    # A and B both fit only X; C fits Y or Z: three households, two placements at most.
    options = {"A": ["X"], "B": ["X"], "C": ["Y", "Z"]}
    assert matching_size(options) == 2
    # An augmenting path: A takes X first, B needs A to move on to Y.
    assert matching_size({"A": ["X", "Y"], "B": ["X"]}) == 2
    assert matching_size({"A": [], "B": []}) == 0


def test_the_policy_names_the_groups_the_reports_name() -> None:
    assert list(get_args(GroupKey)) == [g.key for g in CORE if g.key != "all"]


def test_the_checker_states_every_group_as_the_reports_do() -> None:
    """The checker's own group tests (it imports nothing of the solver's side) agree with
    allocator.fairness.groups on every key, over varied random households."""
    households = [
        h for seed in range(6) for h in random_scenario(seed, 40, 1, tightness=seed / 5).households
    ]
    for key in get_args(GroupKey):
        test = group_by_key(CORE, key)
        got = [in_group(h, key) for h in households]
        assert got == [test.has(h) for h in households], key
        assert any(got) or key == "refugees" or key.startswith("situation_"), key


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy(max_households=12, max_dwellings=8, group_share=True))
def test_every_subset_of_a_proposal_keeps_the_placement_rules(s: Scenario) -> None:
    """Monotone: the floor is a cap, so removing placements never breaks it (nor any
    other placement rule), from the solver's proposal down to the empty one."""
    p = propose(s)
    ctx = Context.of(s)
    assert not [v for rule in PLACEMENT_RULES for v in rule.check(ctx, p)]
    rng = random.Random(len(p.matches))
    for _ in range(4):
        kept = [m for m in p.matches if rng.random() < 0.5]
        subset = p.model_copy(update={"matches": kept})
        assert not [v for rule in PLACEMENT_RULES for v in rule.check(ctx, subset)]


def test_warm_start_and_benchmark_mip_keep_the_cap() -> None:
    """A larger round where the floor binds: the warm start's bans and repair keep it, and
    the MIP of the tier-2 stage has its row (the solver's proposal breaks no row; the
    proposal made without the floor breaks it)."""
    s = _binding_round()
    data = build_round_data(s)
    pairs = candidate_pairs(data)
    hint = warm_start(data, pairs)
    assert keeps_round_rules(data, pairs, hint)
    model = AllocationModel(data, pairs)
    p = propose(s)
    chosen = np.zeros(len(pairs), dtype=bool)
    index = pairs.index()
    for m in p.matches:
        chosen[index[(data.household_index[m.household], data.dwelling_index[m.dwelling])]] = True
    problem = mip.build(model, {})
    f = figures(data)
    caps = [bound for members, bound in mip.capacities(model) if bound == f.cap]
    assert caps, "the group share's row is in the MIP"
    assert mip.violated_rows(problem, mip.complete(model, problem, chosen)) == 0
    unconstrained = propose(
        s.model_copy(
            update={
                "policy": s.policy.model_copy(
                    update={"fairness": s.policy.fairness.model_copy(update={"group_share": None})}
                )
            }
        )
    )
    free = np.zeros(len(pairs), dtype=bool)
    for m in unconstrained.matches:
        free[index[(data.household_index[m.household], data.dwelling_index[m.dwelling])]] = True
    assert mip.violated_rows(problem, mip.complete(model, problem, free)) >= 1


def _binding_round() -> Scenario:
    """A seeded 60 × 18 round with priority 3 as the group at its full share: the floor
    binds (checked), so the proposal differs from the one without it."""
    base = random_scenario(6, 60, 18, tightness=0.2)
    policy = base.policy.model_copy(
        update={
            "fairness": base.policy.fairness.model_validate(
                {"group_share": {"group": "priority_3", "min_ratio": 1.0}}
            ),
            "solver": base.policy.solver.model_copy(update={"workers": 1}),
        }
    )
    s = base.model_copy(update={"policy": policy})
    p = propose(s)
    assert p.group_share is not None and p.group_share.binding
    return s


@pytest.mark.parametrize("ratio", [0.5, 1.0])
def test_the_floor_holds_on_a_binding_round(ratio: float) -> None:
    s = _binding_round()
    s = s.model_copy(
        update={
            "policy": s.policy.model_copy(
                update={
                    "fairness": s.policy.fairness.model_validate(
                        {"group_share": {"group": "priority_3", "min_ratio": ratio}}
                    )
                }
            )
        }
    )
    p = propose(s)
    assert p.run.status == "OPTIMAL"
    assert check_proposal(s, p) == []
    g = p.group_share
    assert g is not None and g.others_placed <= (g.cap_others or 0)


def test_the_relaxation_holds_the_cap_as_a_household_pool() -> None:
    """The cap counts households wherever they are placed, so the relaxed flow holds it
    exactly (a pool node): on a binding round its choice keeps the cap and every other
    round rule, and the proposal is proven without a CP-SAT solve."""
    s = _binding_round()
    data = build_round_data(s)
    pairs = candidate_pairs(data)
    f = figures(data)
    assert [(int(m.sum()), cap) for m, cap in household_pools(data)] == [
        (int(f.counted.sum()), f.cap)
    ]
    _, relaxed = relaxation(AllocationModel(data, pairs))
    assert int(f.counted[pairs.h[relaxed]].sum()) == f.cap
    assert keeps_round_rules(data, pairs, relaxed)
    tiers = propose(s).run.tiers
    assert all(t.status == "OPTIMAL" and t.wall_time_s == 0.0 for t in tiers)


def test_equal_treatment_names_the_floor_between_two_equal_households() -> None:
    """R (wheelchair, in the group) and B are equal on priority and waiting, and both
    could have W1; R has it because the cap on the others is full."""
    s = scenario(
        dwellings=[dwelling("W1", wheelchair=True, floor=0), dwelling("W2")],
        households=[
            household("A", priority=1, approved_on="2025-01-01"),
            household("B", priority=1),
            household("R", priority=1, needs=WHEELCHAIR),
        ],
        policy=_policy(),
    )
    p = propose(s)
    assert housed(p) == {"R": "W1", "A": "W2"}
    (pair,) = equal_treatment(s, p).pairs
    assert (pair.housed.household, pair.unhoused.household) == ("R", "B")
    assert pair.separator == "round_rule" and pair.codes == ("group_share",)
