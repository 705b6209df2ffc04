"""The analysts' rule switches (price of rules): each one, both statements of the rule.

For every switch: with the rule in force the solver leaves a placement out and refuses a
pin forcing it; with the switch off the pinned placement is made and the checker (reading
the same policy) accepts it, while the same proposal under the default policy is flagged
with exactly that rule's codes.
"""

from __future__ import annotations

from typing import Any

import pytest
from builders import assignment, building, dwelling, household, scenario

from allocator.checker import check_proposal
from allocator.solve import propose
from models.problems import InputError
from models.scenario import Scenario

# (switch as a policy update, scenario pieces, the placement the rule forbids, its codes)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], tuple[str, str], set[str]]] = {
    "occupancy.bedrooms=off (too few)": (
        {"occupancy": {"bedrooms": "off"}},
        dict(
            dwellings=[dwelling("W1", bedrooms=1, rooms=4, area_m2=120)],
            households=[household("H1", adults=2, children=[{"age": 3}, {"age": 5}])],
        ),
        ("H1", "W1"),
        {"too_few_bedrooms"},
    ),
    "occupancy.bedrooms=off (too many)": (
        {"occupancy": {"bedrooms": "off"}},
        dict(dwellings=[dwelling("W1", bedrooms=4)], households=[household("H1")]),
        ("H1", "W1"),
        {"too_many_bedrooms"},
    ),
    "location.mode=off (excluded)": (
        {"location": {"mode": "off"}},
        dict(dwellings=[dwelling("W1")], households=[household("H1", excluded_districts=["D1"])]),
        ("H1", "W1"),
        {"excluded_district"},
    ),
    "location.mode=off (acceptable)": (
        {"location": {"mode": "off"}},
        dict(dwellings=[dwelling("W1")], households=[household("H1", acceptable_districts=["D2"])]),
        ("H1", "W1"),
        {"not_acceptable_district"},
    ),
    "separation.sites=off (profile)": (
        {"separation": {"sites": "off"}},
        dict(
            buildings=[building("B1", profile="recovery"), building("B2", "D2")],
            dwellings=[dwelling("W1")],
            households=[household("H1")],
        ),
        ("H1", "W1"),
        {"site_profile"},
    ),
    "separation.sites=off (gender, age)": (
        {"separation": {"sites": "off"}},
        dict(
            buildings=[building("B1", gender="women", max_age=30), building("B2", "D2")],
            dwellings=[dwelling("W1")],
            households=[household("H1", gender="male", age=50)],
        ),
        ("H1", "W1"),
        {"site_gender", "site_age"},
    ),
    "temporary.mode=off (family in temporary dwelling)": (
        {"temporary": {"mode": "off"}},
        dict(
            dwellings=[dwelling("W1", bedrooms=2, category="temporary")],
            households=[household("H1", children=[{"age": 4}])],
        ),
        ("H1", "W1"),
        {"temporary_family"},
    ),
    "needs.mode=off (wheelchair, step-free, rent)": (
        {"needs": {"mode": "off"}},
        dict(
            dwellings=[dwelling("W1", floor=3, elevator=False, rent=9000)],
            households=[
                household("H1", needs={"wheelchair": True, "step_free": True}, max_rent=8000)
            ],
        ),
        ("H1", "W1"),
        {"wheelchair", "step_free", "rent_limit"},
    ),
    "needs.mode=off (staffed both ways, youth)": (
        {"needs": {"mode": "off"}},
        dict(
            dwellings=[dwelling("W1", category="staffed"), dwelling("W2", category="youth")],
            households=[
                household("H1"),
                household("H2", needs={"staffed": True}),
                household("H3", age=60, approved_on="2020-01-01"),
            ],
        ),
        ("H1", "W1"),
        {"staffed"},
    ),
}


def _with_policy(s: Scenario, policy: dict[str, Any]) -> Scenario:
    return Scenario.model_validate({**s.model_dump(mode="json"), "policy": policy})


def _forced(s: Scenario, pair: tuple[str, str]) -> Scenario:
    """The scenario with the forbidden placement pinned (a manual allocation)."""
    locks = {"pinned": [{"household": pair[0], "dwelling": pair[1]}]}
    return Scenario.model_validate({**s.model_dump(mode="json"), "locks": locks})


@pytest.mark.parametrize("name", CASES)
def test_switch_off_relaxes_the_rule_in_solver_and_checker(name: str) -> None:
    switch, pieces, (h, d), codes = CASES[name]
    strict = scenario(**pieces)
    relaxed = _with_policy(strict, {**strict.policy.model_dump(mode="json"), **switch})

    kept = propose(strict)
    assert assignment(kept).get(h) != d
    assert check_proposal(strict, kept) == []
    with pytest.raises(InputError) as error:  # a pin cannot override a rule in force
        propose(_forced(strict, (h, d)))
    assert all(code in error.value.render() for code in codes)

    freed = propose(_forced(relaxed, (h, d)))
    assert assignment(freed).get(h) == d
    assert check_proposal(relaxed, freed) == []
    # The same proposal under the rule: flagged with exactly the switched-off codes.
    flagged = {v.code for v in check_proposal(strict, freed) if (v.household, v.dwelling) == (h, d)}
    assert flagged == codes


def test_needs_off_opens_staffed_and_youth_dwellings_to_anyone() -> None:
    _, pieces, _, _ = CASES["needs.mode=off (staffed both ways, youth)"]
    strict = scenario(**pieces)
    # In force: the staffed flat only for H2, the youth flat not for the 60-year-old H3.
    assert assignment(propose(strict)) == {"H2": "W1"}
    relaxed = _with_policy(strict, {"needs": {"mode": "off"}})
    # Off: H3 has waited longest and takes a flat; both flats are filled.
    result = propose(relaxed)
    assert "H3" in assignment(result) and len(result.matches) == 2
    assert check_proposal(relaxed, result) == []


def test_temporary_off_drops_the_deadline_tier_but_still_lists_breaches() -> None:
    # Due this round (deadline 2026-12-09, next round's earliest move-in 2026-12-14).
    due = household(
        "FAMILY",
        approved_on="2026-06-01",
        children=[{"age": 2}],
        situation={"kind": "temporary", "since": "2026-09-10"},
    )
    urgent = household("URGENT", approved_on="2023-01-01", priority=1, adults=2)
    strict = scenario(dwellings=[dwelling("W1", bedrooms=2)], households=[due, urgent])
    assert assignment(propose(strict)) == {"FAMILY": "W1"}

    relaxed = _with_policy(strict, {"temporary": {"mode": "off"}})
    result = propose(relaxed)
    assert assignment(result) == {"URGENT": "W1"}  # housing points decide alone
    assert [b.household for b in result.breaches] == ["FAMILY"]
    tiers = {t.name: t for t in result.run.tiers}
    # The 3-month clock is measured apart; the clocks still on rank as tier 1.
    assert tiers["deadline_breaches_off"].status == "SKIPPED"
    assert tiers["deadline_breaches_off"].objective == 1
    assert tiers["deadline_breaches"].objective == 0
    assert tiers["priority_waiting"].status == "OPTIMAL"
    assert check_proposal(relaxed, result) == []

    every_clock_off = _with_policy(
        strict, {"temporary": {"mode": "off"}, "deadlines": {"release": "off", "refugee": "off"}}
    )
    result = propose(every_clock_off)
    tiers = {t.name: t for t in result.run.tiers}
    assert tiers["deadline_breaches"].status == "SKIPPED"
    assert tiers["deadline_breaches"].objective == 1


def test_temporary_off_still_keeps_a_due_family_out_of_temporary_housing() -> None:
    due = household(
        "FAMILY", children=[{"age": 2}], situation={"kind": "temporary", "since": "2026-09-10"}
    )
    s = scenario(
        dwellings=[dwelling("W1", bedrooms=2, category="temporary")],
        households=[due],
        policy={"temporary": {"mode": "off"}},
    )
    result = propose(s)
    assert result.matches == [] and [b.household for b in result.breaches] == ["FAMILY"]
    with pytest.raises(InputError) as error:
        propose(_forced(s, ("FAMILY", "W1")))
    assert "temporary_family" in error.value.render()


def test_a_policy_with_rules_off_says_so_in_summary_and_report() -> None:
    from allocator.report import render_report, summary_lines

    pieces = CASES["needs.mode=off (wheelchair, step-free, rent)"][1]
    strict = scenario(**pieces)
    assert strict.policy.rules_off() == []
    relaxed = _with_policy(strict, {"needs": {"mode": "off"}, "location": {"mode": "off"}})
    assert relaxed.policy.rules_off() == ["location.mode", "needs.mode"]
    proposal = propose(relaxed)
    lines = summary_lines(proposal, relaxed.policy.rules_off())
    assert lines[0] == "WARNING: rules switched off in this policy: location.mode, needs.mode"
    html = render_report(relaxed, proposal)
    assert "Regler slått av i dette regelsettet:</b> location.mode, needs.mode" in html
    assert "Regler slått av" not in render_report(strict, propose(strict))


def test_a_gap_beyond_one_hundred_per_cent_is_shown_as_such() -> None:
    """A tie-break's bound can be 10^10 times its value of 0: the report says "> 100 %"
    (the proposal keeps the exact figure); gaps within range keep two decimals."""
    from allocator.report import _pct
    from benchmarks.report import _pct as bench_pct

    assert _pct(1.2884901888e10) == "> 100 %" and bench_pct(1.2884901888e10) == "> 100 %"
    assert _pct(0.0174) == "1,74 %" and bench_pct(0.0174) == "1.74 %"
    assert _pct(1.0) == "100,00 %" and _pct(None) == "–"


def test_report_numbers_have_a_decimal_comma() -> None:
    from allocator.report import _fmt

    assert _fmt(0.349) == "0,349" and _fmt(25987.0) == "25987" and _fmt(None) == "–"
