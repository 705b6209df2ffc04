"""The rule core's defects, fixed (each a tiny scenario), and the rules it added: the release
and refugee deadline clocks, clock weights, the school-zone quota, household composition,
validation of pins in one place."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from builders import building, dwelling, household, scenario
from click.testing import CliRunner

from allocator.checker import check_proposal
from allocator.cli import main
from allocator.solve import propose
from models.scenario import Scenario

# builders: as_of 2026-11-23 (Monday); dwellings free 2026-12-01; move-in 2026-12-07.


def housed(s: Scenario) -> dict[str, str]:
    return {m.household: m.dwelling for m in propose(s).matches}


def _policy(**sections: object) -> dict[str, object]:
    return {"solver": {"workers": 8, "time_limit_s": 20}, **sections}


# -- defects 1–3: exact arithmetic and keys -------------------------------------------------


def test_building_cap_uses_the_decimal_the_policy_states() -> None:
    """Defect 1: share 0.333333333333 of 3 units is a cap of 0, not 1 (float epsilon)."""
    s = scenario(
        buildings=[building("B1", units=3), building("B2", "D2")],
        dwellings=[dwelling("W1", "B1")],
        households=[household("H1", high_need=True)],
        policy=_policy(spread={"building_max_share": 0.333333333333, "building_min_cap": 0}),
    )
    proposal = propose(s)
    assert proposal.matches == []
    assert check_proposal(s, proposal) == []
    (unmatched,) = proposal.unmatched
    assert unmatched.reason.code == "no_feasible_dwelling"
    assert "bygget har nådd taket" in unmatched.reason.text


def test_crowding_compares_exact_decimals() -> None:
    """Defect 2: 25.1 m² × 3 persons = 75.3 m² exactly, so 75.3 m² is not crowded."""
    s = scenario(
        dwellings=[dwelling("W1", bedrooms=2, rooms=2, area_m2=75.3)],
        households=[household("H1", adults=1, children=[{"age": 4}, {"age": 6}])],
        policy=_policy(occupancy={"min_area_per_person": 25.1}),
    )
    assert housed(s) == {"H1": "W1"}
    assert check_proposal(s, propose(s)) == []
    tighter = scenario(
        dwellings=[dwelling("W1", bedrooms=2, rooms=2, area_m2=75.29)],
        households=[household("H1", adults=1, children=[{"age": 4}, {"age": 6}])],
        policy=_policy(occupancy={"min_area_per_person": 25.1}),
    )
    assert housed(tighter) == {}


def test_a_cluster_named_like_a_building_is_its_own_scope() -> None:
    """Defect 3: cluster "building:B2" and building B2 are different separation scopes."""
    s = scenario(
        buildings=[
            building("B1", cluster="building:B2", residents={"active": 2}),
            building("B2", "D2"),
        ],
        dwellings=[dwelling("W2", "B2")],
        households=[household("H1", substance_use="recovery")],
        policy=_policy(separation={"scope": "cluster"}),
    )
    assert housed(s) == {"H1": "W2"}
    assert check_proposal(s, propose(s)) == []


# -- defect 5: household composition ---------------------------------------------------------


def test_a_single_parent_with_an_adult_child_needs_two_bedrooms() -> None:
    """Defect 5: one adult living with an 18-year-old: a bedroom each. Children aged 18 or
    more are accepted and count as adults; two adults without a partner likewise."""
    flats = [
        dwelling("W1", bedrooms=1, rooms=2, area_m2=60),
        dwelling("W2", bedrooms=2, rooms=3, area_m2=70),
    ]
    parent = household("P", children=[{"age": 18}])
    assert housed(scenario(dwellings=flats, households=[parent])) == {"P": "W2"}
    flatmates = household("F", adults=2, partner=False)
    assert housed(scenario(dwellings=flats, households=[flatmates])) == {"F": "W2"}
    couple = household("C", adults=2)  # partner by default: one bedroom
    assert housed(scenario(dwellings=flats[:1], households=[couple])) == {"C": "W1"}


# -- deadline clocks ------------------------------------------------------------------------


def test_release_clock_prefers_the_dwelling_ready_on_release_day() -> None:
    """Released 2026-12-07: W1 is ready then, W2 only on 2026-12-21. The other household
    would get W1 on points (approved long ago) without the clock."""
    released = household(
        "R", approved_on="2026-09-01", situation={"kind": "prison", "release_on": "2026-12-07"}
    )
    rival = household("X", approved_on="2024-01-01")
    s = scenario(
        dwellings=[dwelling("W1"), dwelling("W2", available_from="2026-12-21")],
        households=[released, rival],
    )
    proposal = propose(s)
    assert {m.household: m.dwelling for m in proposal.matches} == {"R": "W1", "X": "W2"}
    assert proposal.breaches == []
    reasons = [r.code for m in proposal.matches if m.household == "R" for r in m.reasons]
    assert "deadline_on_time" in reasons
    off = scenario(
        dwellings=s.model_dump(mode="json")["dwellings"],
        households=[released, rival],
        policy=_policy(deadlines={"release": "off"}),
    )
    result = propose(off)
    assert {m.household: m.dwelling for m in result.matches}["R"] == "W2"
    (breach,) = result.breaches
    assert (breach.household, breach.clock, breach.days_over) == ("R", "release", 14)
    assert check_proposal(off, result) == []


def test_refugee_clock_houses_the_household_on_arrival() -> None:
    """A refugee household arriving 2026-12-07 and one arriving next year; one flat."""
    now = household(
        "A", approved_on="2026-11-01", situation={"kind": "refugee", "arrives_on": "2026-12-07"}
    )
    other = household("B", approved_on="2025-01-01")
    s = scenario(dwellings=[dwelling("W1")], households=[now, other])
    assert housed(s) == {"A": "W1"}
    late = scenario(dwellings=[dwelling("W1", available_from="2026-12-30")], households=[now])
    proposal = propose(late)
    (breach,) = proposal.breaches
    assert (breach.clock, breach.days_over, breach.dwelling) == ("refugee", 23, "W1")
    assert check_proposal(late, proposal) == []


def test_clock_weights_decide_between_two_due_households() -> None:
    """A due family (deadline 2026-12-09) and a release (2026-12-10), one flat: either is
    housed on time and the other breaches its clock. By default the family: left over, it
    would wait 5 days past its deadline, the released household 4. With release weighted
    5, the released household."""
    family = household(
        "F",
        approved_on="2025-06-01",
        adults=2,
        children=[{"age": 3}],
        situation={"kind": "temporary", "since": "2026-09-10"},
    )
    released = household(
        "R",
        approved_on="2026-10-01",
        adults=2,
        situation={"kind": "institution", "release_on": "2026-12-10"},
    )
    flats = [dwelling("W1", bedrooms=2, rooms=3, area_m2=70)]
    assert housed(scenario(dwellings=flats, households=[family, released])) == {"F": "W1"}
    weighted = scenario(
        dwellings=flats,
        households=[family, released],
        policy=_policy(deadlines={"weights": {"release": 5}}),
    )
    proposal = propose(weighted)
    assert {m.household: m.dwelling for m in proposal.matches} == {"R": "W1"}
    tiers = {t.name: t.objective for t in proposal.run.tiers}
    assert tiers["deadline_breaches"] == 1  # the family, weight 1
    assert check_proposal(weighted, proposal) == []


def test_a_late_match_is_a_breach_even_when_not_due() -> None:
    """Deadline 2026-12-20 is after the next round's earliest move-in (2026-12-14): not
    due. Its only flat frees 2026-12-28: housed now, it is 8 days late, a breach."""
    family = household(
        "F",
        approved_on="2026-01-01",
        children=[{"age": 3}],
        situation={"kind": "temporary", "since": "2026-09-21"},
    )
    s = scenario(
        dwellings=[dwelling("W1", bedrooms=2, rooms=3, area_m2=70, available_from="2026-12-28")],
        households=[family],
    )
    proposal = propose(s)
    assert proposal.matches == []  # waiting is better: the next round can still be on time
    assert proposal.breaches == []
    pinned = Scenario.model_validate(
        {**s.model_dump(mode="json"), "locks": {"pinned": [{"household": "F", "dwelling": "W1"}]}}
    )
    forced = propose(pinned)
    (breach,) = forced.breaches
    assert (breach.household, breach.days_over) == ("F", 8)
    assert check_proposal(pinned, forced) == []


# -- the school-zone quota --------------------------------------------------------------------


def _zoned(quota: int | None, switch: str = "hard") -> Scenario:
    return scenario(
        buildings=[
            building("B1", school_zone_primary="Z1"),
            building("B2", "D1", school_zone_primary="Z1"),
        ],
        dwellings=[dwelling("W1", "B1"), dwelling("W2", "B2")],
        households=[household("H1", high_need=True), household("H2", high_need=True)],
        school_zones=[{"id": "Z1", "name": "Sentrum skole", "max_new_high_need": quota}],
        policy=_policy(spread={"school_zone_quota": switch}),
    )


def test_school_zone_quota_caps_new_high_need_placements() -> None:
    s = _zoned(1)
    proposal = propose(s)
    assert len(proposal.matches) == 1
    assert check_proposal(s, proposal) == []
    (unmatched,) = proposal.unmatched
    assert "skolekretsens kvote" in unmatched.reason.text
    assert len(propose(_zoned(None)).matches) == 2
    assert len(propose(_zoned(1, "off")).matches) == 2
    both = propose(_zoned(1, "off"))
    flagged = {v.code for v in check_proposal(_zoned(1), both)}
    assert flagged == {"school_zone_quota"}


# -- validation in one place -------------------------------------------------------------------


def _write(tmp_path: Path, s: Scenario) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(s.model_dump(mode="json")), encoding="utf-8")
    return path


def test_validate_lists_a_pin_onto_a_crowded_flat(tmp_path: Path) -> None:
    s = scenario(
        dwellings=[dwelling("W1", bedrooms=0, rooms=1, area_m2=20)],
        households=[household("H1", adults=2, children=[{"age": 3}])],
        locks={"pinned": [{"household": "H1", "dwelling": "W1"}]},
    )
    result = CliRunner().invoke(main, ["validate", str(_write(tmp_path, s))])
    assert result.exit_code == 2
    assert "locks.pinned[0]" in result.output and "crowding" in result.output
    assert "too_few_bedrooms" in result.output


def test_validate_lists_pins_that_clash_under_round_rules(tmp_path: Path) -> None:
    s = scenario(
        buildings=[building("B1", units=4), building("B2", "D2")],
        dwellings=[dwelling("W1", "B1"), dwelling("W2", "B1")],
        households=[household("H1", high_need=True), household("H2", high_need=True)],
        locks={
            "pinned": [{"household": "H1", "dwelling": "W1"}, {"household": "H2", "dwelling": "W2"}]
        },
    )
    result = CliRunner().invoke(main, ["validate", str(_write(tmp_path, s))])
    assert result.exit_code == 2
    assert "locks.pinned[0]" in result.output and "locks.pinned[1]" in result.output
    assert "building_cap" in result.output


def test_the_example_still_validates(tmp_path: Path) -> None:
    folder = Path(__file__).resolve().parents[1] / "scenarios" / "example"
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
