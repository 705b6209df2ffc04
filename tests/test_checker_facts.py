"""The checker's derived facts (allocator/checker/facts.py), each against docs/rules.md."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from allocator.checker import facts, r7_clocks
from allocator.checker.context import Context
from models.policy import Policy
from models.scenario import Building, Dwelling, Household, Scenario

AS_OF = dt.date(2025, 3, 3)


def household(**fields: Any) -> Household:
    return Household.model_validate(
        {"id": "H1", "approved_on": "2024-01-01", "main_applicant": {"age": 40}, **fields}
    )


def dwelling(**fields: Any) -> Dwelling:
    return Dwelling.model_validate(
        {
            "id": "W1",
            "building": "B1",
            "bedrooms": 1,
            "rent": 1,
            "available_from": "2025-01-01",
            **fields,
        }
    )


def kids(n: int) -> list[dict[str, int]]:
    return [{"age": 3}] * n


@pytest.mark.parametrize(
    "adults, children, needed",
    [
        (1, 0, 0),
        (2, 0, 1),
        (3, 0, 2),
        (4, 0, 3),
        (1, 1, 2),
        (1, 2, 2),
        (1, 3, 3),
        (2, 1, 2),
        (2, 2, 2),
        (2, 3, 3),
        (3, 2, 3),
    ],
)
def test_bedrooms_needed(adults: int, children: int, needed: int) -> None:
    h = household(adults=adults, children=kids(children))
    assert facts.bedrooms_needed(h) == needed
    assert facts.persons(h) == adults + children


def test_family() -> None:
    assert not facts.is_family(household(adults=2))
    assert facts.is_family(household(children=kids(1)))


def test_high_need() -> None:
    policy = Policy()
    assert facts.high_need(household(high_need=True), policy)
    assert facts.high_need(household(substance_use="active"), policy)
    assert not facts.high_need(household(substance_use="recovery"), policy)
    off = Policy.model_validate({"spread": {"active_use_is_high_need": False}})
    assert not facts.high_need(household(substance_use="active"), off)
    assert facts.high_need(household(substance_use="active", high_need=True), off)


def test_ready_from_prefers_household_date() -> None:
    release = {"kind": "prison", "release_on": "2025-04-01"}
    assert facts.ready_from(household(situation=release)) == dt.date(2025, 4, 1)
    assert facts.ready_from(household(situation=release, ready_from="2025-03-20")) == dt.date(
        2025, 3, 20
    )
    assert facts.ready_from(household()) is None


def scenario(**policy: Any) -> Scenario:
    return Scenario.model_validate({"as_of": AS_OF.isoformat(), "policy": policy})


def test_move_in_is_the_latest_date() -> None:
    s = scenario()
    assert facts.move_in(s, household(), dwelling()) == dt.date(2025, 3, 17)
    assert facts.move_in(
        s, household(), dwelling(available_from="2025-03-15", board_approval_days=3)
    ) == dt.date(2025, 3, 18)
    assert facts.move_in(s, household(ready_from="2025-05-01"), dwelling()) == dt.date(2025, 5, 1)


def test_deadline_and_due() -> None:
    s = scenario()
    family = household(children=kids(1), situation={"kind": "temporary", "since": "2024-12-13"})
    assert r7_clocks.deadline(family, s.policy) == dt.date(2025, 3, 13)
    assert facts.horizon(s) == dt.date(2025, 3, 24)
    assert r7_clocks.is_due(family, s)
    on_horizon = household(children=kids(1), situation={"kind": "temporary", "since": "2024-12-24"})
    assert r7_clocks.deadline(on_horizon, s.policy) == dt.date(2025, 3, 24)
    assert not r7_clocks.is_due(on_horizon, s)
    single = household(situation={"kind": "temporary", "since": "2024-01-01"})
    assert r7_clocks.deadline(single, s.policy) is None and not r7_clocks.is_due(single, s)
    released = household(situation={"kind": "prison", "release_on": "2025-03-20"})
    assert r7_clocks.clock_of(released, s.policy) == ("release", dt.date(2025, 3, 20))
    refugee = household(situation={"kind": "refugee", "arrives_on": "2025-04-01"})
    assert r7_clocks.clock_of(refugee, s.policy) == ("refugee", dt.date(2025, 4, 1))
    assert not r7_clocks.is_due(refugee, s)


def test_days_over() -> None:
    s = scenario()
    ctx = Context.of(s)
    family = household(children=kids(1), situation={"kind": "temporary", "since": "2024-12-13"})
    assert r7_clocks.breach(ctx, family, None) == 11  # 2025-03-24 - 2025-03-13
    assert r7_clocks.breach(ctx, family, dwelling()) == 4  # moves in 2025-03-17
    assert r7_clocks.breach(ctx, family, dwelling(available_from="2025-03-01")) == 4
    early = household(children=kids(1), situation={"kind": "temporary", "since": "2024-12-20"})
    assert r7_clocks.breach(ctx, early, dwelling()) == 0


def test_unmatched_is_never_cheaper_than_the_latest_move_in() -> None:
    """A due household left unmatched counts at least the days over of the latest move-in
    any dwelling it may have could give (here one freeing after the horizon)."""
    late_flat = dwelling(bedrooms=2, rooms=3, area_m2=70, available_from="2025-04-10")
    family = household(children=kids(1), situation={"kind": "temporary", "since": "2024-12-13"})
    s = Scenario.model_validate(
        {
            "as_of": AS_OF.isoformat(),
            "districts": [{"id": "D1"}],
            "buildings": [{"id": "B1", "district": "D1", "units": 10}],
            "dwellings": [late_flat.model_dump()],
            "households": [family.model_dump()],
        }
    )
    ctx = Context.of(s)
    assert r7_clocks.breach(ctx, family, late_flat) == 28  # 2025-04-10 - 2025-03-13
    assert r7_clocks.unmatched_days_over(ctx, family) == 28  # not 11


@pytest.mark.parametrize(
    "rooms, area, persons, crowded",
    [
        (2, 60.0, 3, True),
        (2, 75.0, 3, False),
        (3, 60.0, 3, False),
        (None, 74.9, 3, True),
        (None, 75.0, 3, False),
        (2, None, 3, True),
        (3, None, 3, False),
        (None, None, 9, False),
        (1, 24.9, 1, True),
        (1, 25.0, 1, False),
        (2, 10.0, 1, False),
    ],
)
def test_ssb_crowded(rooms: int | None, area: float | None, persons: int, crowded: bool) -> None:
    h = household(adults=persons)
    d = dwelling(rooms=rooms, area_m2=area, bedrooms=0)
    assert facts.ssb_crowded(h, d, Policy()) is crowded


@pytest.mark.parametrize(
    "floor, elevator, ok",
    [
        (0, False, True),
        (1, False, True),
        (2, False, False),
        (None, False, False),
        (None, True, True),
        (7, True, True),
        (-1, False, True),
    ],
)
def test_step_free_access(floor: int | None, elevator: bool, ok: bool) -> None:
    assert facts.step_free_access(dwelling(floor=floor, elevator=elevator)) is ok


@pytest.mark.parametrize(
    "units, share, min_cap, cap",
    [
        (8, 0.25, 1, 2),
        (9, 0.25, 1, 2),
        (12, 0.25, 1, 3),
        (3, 0.25, 1, 1),
        (3, 0.25, 0, 0),
        (100, 0.29, 1, 29),
        (10, 0.7, 1, 7),
    ],
)
def test_building_cap(units: int, share: float, min_cap: int, cap: int) -> None:
    b = Building(id="B1", district="D1", units=units)
    policy = Policy.model_validate(
        {"spread": {"building_max_share": share, "building_min_cap": min_cap}}
    )
    assert facts.building_cap(b, policy) == cap


def test_school_level_and_zone() -> None:
    policy = Policy()
    b = Building(
        id="B1", district="D1", units=1, school_zone_primary="P", school_zone_lower_secondary="U"
    )
    young, old = household(children=[{"age": 12}, {"age": 13}]).children
    assert facts.building_zone(b, young, policy) == "P"
    assert facts.building_zone(b, old, policy) == "U"


def test_checker_is_independent_of_the_solver() -> None:
    """The checker states the rules a second time: it must not import the CP-SAT side."""
    allowed = ("allocator.checker", "models")
    root = Path(__file__).resolve().parents[1] / "allocator" / "checker"
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in ("allocator", "models"):
                    assert name.startswith(allowed), f"{path.name} imports {name}"
                assert top not in ("ortools", "pandas", "numpy"), f"{path.name} imports {name}"


def test_separation_scope() -> None:
    clustered = Building(id="B1", district="D1", units=1, cluster="C1")
    alone = Building(id="B2", district="D1", units=1)
    by_building = Policy()
    by_cluster = Policy.model_validate({"separation": {"scope": "cluster"}})
    assert facts.separation_scope(clustered, by_building) == "building B1"
    assert facts.separation_scope(clustered, by_cluster) == "cluster C1"
    assert facts.separation_scope(alone, by_cluster) == "building B2"
