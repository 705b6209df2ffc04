"""Equal treatment per proposal: equal households, one housed, and what separates them.

Each scenario has two households equal on the tier-2 inputs (priority and waiting days)
that could both have the dwelling; the id order is chosen so that only the separator under
test can explain why the other one got it (without it, the tie-break would favour the
unhoused one)."""

from __future__ import annotations

import json
from typing import Any

from builders import assignment, building, dwelling, household, scenario

from allocator.fairness import equal_treatment
from allocator.report import render_report
from allocator.solve import propose
from models.scenario import Scenario

FAMILY: dict[str, Any] = {"children": [{"age": 3}]}


def only_pair(s: Scenario, method: str = "cp-sat") -> Any:
    result = equal_treatment(s, propose(s, method=method))  # type: ignore[arg-type]
    assert len(result.pairs) == 1, [p.text for p in result.pairs]
    return result.pairs[0]


def test_tiebreak_on_id_decides_and_the_report_names_it() -> None:
    s = scenario(dwellings=[dwelling("W1")], households=[household("H2"), household("H1")])
    proposal = propose(s)
    assert assignment(proposal) == {"H1": "W1"}
    result = equal_treatment(s, proposal)
    [pair] = result.pairs
    assert (pair.housed.household, pair.unhoused.household, pair.dwelling) == ("H1", "H2", "W1")
    assert pair.separator == "tiebreak" and pair.codes == ("id",)
    assert "samme vedtaksdato 01.01.2026; fast rekkefølge på id: H1 før H2" in pair.text
    assert result.counts["tiebreak"] == 1 and result.households == 2
    html = render_report(s, proposal)
    assert "Likebehandling" in html
    assert "likhetsbrudd: vedtaksdato, deretter id" in html
    assert "fast rekkefølge på id: H1 før H2" in html
    json.dumps(result.to_dict())  # the meeting page can ship it as JSON


def test_tiebreak_on_approval_date_when_both_are_over_the_waiting_cap() -> None:
    s = scenario(
        dwellings=[dwelling("W1")],
        households=[
            household("H1", approved_on="2026-01-02"),
            household("H2", approved_on="2026-01-01"),
        ],
        policy={"weights": {"waiting_cap_days": 100}},
    )
    pair = only_pair(s)
    assert (pair.housed.household, pair.unhoused.household) == ("H2", "H1")
    assert pair.separator == "tiebreak" and pair.codes == ("approved_on",)
    assert "H2 fikk vedtak 01.01.2026, før H1 (02.01.2026)" in pair.text
    assert "ventetid over taket på 100 dager teller likt" in pair.text


def test_deadline_clock_separates_a_due_family_from_one_without_a_clock() -> None:
    due = {"kind": "temporary", "since": "2026-08-01"}  # 90 days ran out before the round
    s = scenario(
        dwellings=[dwelling("W1", bedrooms=2)],
        households=[
            household("H1", situation={"kind": "homeless"}, **FAMILY),
            household("H2", situation=due, **FAMILY),
        ],
    )
    pair = only_pair(s)
    assert (pair.housed.household, pair.unhoused.household) == ("H2", "H1")
    assert pair.separator == "deadline" and pair.codes == ("due",)
    assert pair.housed.due and not pair.unhoused.due
    assert "H2 har frist 30.10.2026" in pair.text and "H1 har ingen frist" in pair.text


def test_fit_tier_separates_by_preferred_district() -> None:
    s = scenario(
        dwellings=[dwelling("W1")],
        households=[
            household("H1", preferred_districts=["D2"]),
            household("H2", preferred_districts=["D1"]),
        ],
    )
    pair = only_pair(s)
    assert (pair.housed.household, pair.unhoused.household) == ("H2", "H1")
    assert pair.separator == "fit" and pair.codes == ("preference_rank",)
    assert pair.housed.fit_cost is not None and pair.unhoused.fit_cost is not None
    assert pair.housed.fit_cost < pair.unhoused.fit_cost
    assert "ønsket bydel: nr. 1 (0 trinn) mot utenfor ønskene (1 trinn)" in pair.text


def test_building_cap_separates_when_the_other_would_break_it() -> None:
    # B1 has 4 units: cap max(1, floor(0.25 * 4)) = 1 high-need household, taken by X.
    s = scenario(
        buildings=[building("B1", units=4), building("B2", "D2")],
        dwellings=[dwelling("W1"), dwelling("W2")],
        households=[
            household("X", priority=1, high_need=True),
            household("H1", high_need=True),
            household("H2"),
        ],
    )
    proposal = propose(s)
    assert assignment(proposal) == {"X": "W1", "H2": "W2"} or assignment(proposal) == {
        "X": "W2",
        "H2": "W1",
    }
    [pair] = equal_treatment(s, proposal).pairs
    assert (pair.housed.household, pair.unhoused.household) == ("H2", "H1")
    assert pair.separator == "round_rule" and pair.codes == ("building_cap",)
    assert "bygget har nådd taket for husstander med store behov" in pair.text


def test_separation_separates_recovery_from_an_active_building() -> None:
    # H1 (recovery) may not join B1's existing active user: a round filter, so the pair is
    # not even a candidate; the swapped proposal shows the rule.
    s = scenario(
        buildings=[building("B1", residents={"active": 1, "high_need": 1}), building("B2", "D2")],
        dwellings=[dwelling("W1")],
        households=[household("H1", substance_use="recovery"), household("H2")],
    )
    pair = only_pair(s)
    assert (pair.housed.household, pair.unhoused.household) == ("H2", "H1")
    assert pair.separator == "round_rule" and pair.codes == ("separation",)


def test_meeting_locks_separate() -> None:
    forbidden = scenario(
        dwellings=[dwelling("W1")],
        households=[household("H1"), household("H2")],
        locks={"forbidden": [{"household": "H1", "dwelling": "W1", "reason": "Nettverk i bygget"}]},
    )
    pair = only_pair(forbidden)
    assert (pair.housed.household, pair.unhoused.household) == ("H2", "H1")
    assert pair.separator == "lock" and pair.codes == ("forbidden_pair",)
    assert "sperret H1 fra boligen (Nettverk i bygget)" in pair.text
    pinned = scenario(
        dwellings=[dwelling("W1")],
        households=[household("H1"), household("H2")],
        locks={"pinned": [{"household": "H2", "dwelling": "W1"}]},
    )
    pair = only_pair(pinned)
    assert pair.separator == "lock" and pair.codes == ("pinned",)
    assert "låst H2 til boligen" in pair.text


def test_a_swap_the_rules_prefer_is_reported_as_unexplained() -> None:
    # Greedy gives W1 to the first household in (priority, approval, id) order; the fit
    # tier prefers H2, who wished for D1.
    s = scenario(
        dwellings=[dwelling("W1")],
        households=[
            household("H1", preferred_districts=["D2"]),
            household("H2", preferred_districts=["D1"]),
        ],
    )
    pair = only_pair(s, method="greedy")
    assert (pair.housed.household, pair.unhoused.household) == ("H1", "H2")
    assert pair.separator == "none" and pair.codes == ("fit",)
    assert "Ikke forklart av reglene" in pair.text and "metode greedy" in pair.text
    html = render_report(s, propose(s, method="greedy"))
    assert "ikke forklart av reglene" in html


def test_unequal_or_ineligible_households_make_no_pair() -> None:
    wheelchair = {"needs": {"wheelchair": True, "step_free": True}}
    s = scenario(
        dwellings=[dwelling("W1")],
        households=[
            household("H1"),
            household("H2", **wheelchair),
            household("H3", priority=1),
            household("H4", approved_on="2026-02-01"),
        ],
    )
    proposal = propose(s)
    assert assignment(proposal) == {"H3": "W1"}
    result = equal_treatment(s, proposal)
    assert result.pairs == [] and result.households == 0
    assert "Ingen slike par i dette forslaget" in render_report(s, proposal)


def test_same_input_same_pairs() -> None:
    s = scenario(
        dwellings=[dwelling("W1"), dwelling("W2", "B2")],
        households=[household(f"H{k}") for k in range(1, 6)],
    )
    proposal = propose(s)
    first = equal_treatment(s, proposal).to_dict()
    assert first == equal_treatment(s, proposal).to_dict()
    assert len(first["pairs"]) == 2 * 3  # two housed, three unhoused, all equal
    assert {p["separator"] for p in first["pairs"]} == {"tiebreak"}
