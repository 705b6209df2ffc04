"""The random scenario generator: deterministic, always valid, and reaching every feature.

Property tests of the solver and checker rely on these guarantees: if the generator never
produced, say, a due family, the R7 tests would pass vacuously.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings

from allocator.checker import pair_violations
from allocator.checker.context import Context
from allocator.checker.facts import building_cap, high_need
from allocator.checker.r7_clocks import is_due
from allocator.checker.registry import PLACEMENT_RULES
from models import Category, Policy, Profile, Scenario, SituationKind, SubstanceUse
from models.proposal import Match, Proposal, RunInfo
from scenarios.random_scenario import random_scenario, scenario_strategy

PAIRWISE_CODES = (
    "forbidden_pair",
    "crowding",
    "too_few_bedrooms",
    "too_many_bedrooms",
    "excluded_district",
    "not_acceptable_district",
    "school_continuity",
    "site_profile",
    "site_gender",
    "site_age",
    "temporary_family",
    "wheelchair",
    "step_free",
    "staffed",
    "adapted",
    "youth",
    "rent_limit",
)


def _revalidate(s: Scenario) -> Scenario:
    """Round-trip through JSON-mode dump: what a file loader would see."""
    return Scenario.model_validate(s.model_dump(mode="json"))


# Determinism and validity -------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7, 12345])
def test_same_seed_same_scenario(seed: int) -> None:
    a = random_scenario(seed, 40, 25, tightness=0.3, pin=True)
    b = random_scenario(seed, 40, 25, tightness=0.3, pin=True)
    assert a.model_dump() == b.model_dump()


def test_different_seeds_differ() -> None:
    dumps = [random_scenario(seed, 20, 10).model_dump_json() for seed in range(20)]
    assert len(set(dumps)) == len(dumps)


def test_no_global_random_state() -> None:
    import random

    random.seed(1)
    a = random_scenario(5, 30, 20).model_dump()
    random.seed(2)
    random.random()
    b = random_scenario(5, 30, 20).model_dump()
    assert a == b


@pytest.mark.parametrize(
    "households,dwellings",
    [
        (0, 0),
        (1, 0),
        (0, 1),
        (1, 1),
        (5, 3),
        (8, 8),
        (30, 20),
        (60, 22),
        (200, 150),
    ],
)
@pytest.mark.parametrize("tightness", [0.0, 0.5, 1.0])
def test_valid_for_many_seeds_and_sizes(households: int, dwellings: int, tightness: float) -> None:
    for seed in range(15):
        s = random_scenario(seed, households, dwellings, tightness=tightness, pin=True)
        assert len(s.households) == households
        assert len(s.dwellings) == dwellings
        assert len(s.buildings) >= 2 and len(s.districts) >= 2
        assert _revalidate(s).model_dump() == s.model_dump()
        assert s.as_of.weekday() == 0  # rounds are held on Mondays


def test_custom_policy_is_used() -> None:
    policy = Policy(name="strict", temporary={"max_days": 60}, youth_max_age=23)
    s = random_scenario(3, 50, 30, policy=policy)
    assert s.policy == policy
    youth_sites = [
        b
        for b in random_scenario(3, 10, 400, policy=policy).buildings
        if b.max_age is not None and b.max_age < 60
    ]
    assert all(b.max_age == 23 for b in youth_sites)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        random_scenario(0, -1, 5)
    with pytest.raises(ValueError):
        random_scenario(0, 5, 5, tightness=1.5)


def test_scales_linearly() -> None:
    start = time.perf_counter()
    s = random_scenario(1, 2000, 500)
    assert time.perf_counter() - start < 5.0
    assert len(s.households) == 2000 and 50 <= len(s.buildings) <= 100


@pytest.mark.slow
def test_builds_oslo_stock_size() -> None:
    start = time.perf_counter()
    s = random_scenario(1, 12_000, 11_000, pin=True)
    assert time.perf_counter() - start < 30.0
    assert len(s.dwellings) == 11_000


# Pins ---------------------------------------------------------------------------------


def _pins_are_valid(s: Scenario) -> None:
    p = s.policy
    hh, dd, bb = s.household_by_id(), s.dwelling_by_id(), s.building_by_id()
    high_b: Counter[str] = Counter()
    high_t: Counter[str] = Counter()
    for pin in s.locks.pinned:
        h, d = hh[pin.household], dd[pin.dwelling]
        b = bb[d.building]
        assert pair_violations(s, h.id, d.id) == []
        if high_need(h, p):
            high_b[b.id] += 1
            high_t[b.district] += 1
    for bid, n in high_b.items():
        b = bb[bid]
        if b.profile is Profile.ordinary:
            assert b.residents.high_need + n <= building_cap(b, p)
    for tid, n in high_t.items():
        quota = s.district_by_id()[tid].max_new_high_need
        assert quota is None or n <= quota
    pins = Proposal(
        run=RunInfo(id="p", as_of=s.as_of, input_sha256="", policy_sha256=""),
        matches=[
            Match(household=x.household, dwelling=x.dwelling, move_in=s.as_of)
            for x in s.locks.pinned
        ],
    )
    ctx = Context.of(s)
    assert not [v for rule in PLACEMENT_RULES for v in rule.check(ctx, pins)]
    forbidden = {(f.household, f.dwelling) for f in s.locks.forbidden}
    assert not forbidden & {(x.household, x.dwelling) for x in s.locks.pinned}


def test_pins_pass_every_pairwise_rule_and_caps() -> None:
    pinned = 0
    for seed in range(60):
        s = random_scenario(seed, 120, 60, tightness=seed / 60, pin=True)
        _pins_are_valid(s)
        pinned += len(s.locks.pinned)
    assert pinned >= 30


def test_no_pins_by_default() -> None:
    assert all(not random_scenario(seed, 50, 30).locks.pinned for seed in range(10))


# Features -----------------------------------------------------------------------------


def _cap(s: Scenario) -> Callable[..., int]:
    return lambda b: building_cap(b, s.policy)


FEATURES: dict[str, Callable[[Scenario], bool]] = {
    "due family": lambda s: any(is_due(h, s) and h.is_family for h in s.households),
    "refugee with arrival": lambda s: any(h.situation.arrives_on for h in s.households),
    "adult child": lambda s: any(c.age >= 18 for h in s.households for c in h.children),
    "partner given": lambda s: any(h.partner is not None for h in s.households),
    "school zone quota": lambda s: any(z.max_new_high_need is not None for z in s.school_zones),
    "family past deadline": lambda s: any(
        h.is_family
        and h.situation.kind is SituationKind.temporary
        and h.situation.since is not None
        and h.situation.since + dt.timedelta(days=s.policy.temporary.max_days) < s.as_of
        for h in s.households
    ),
    "temporary family not yet due": lambda s: any(
        h.is_family and h.situation.kind is SituationKind.temporary and not is_due(h, s)
        for h in s.households
    ),
    "school-age child with zone": lambda s: any(
        6 <= c.age <= 15 and c.school_zone for h in s.households for c in h.children
    ),
    "keep_school false": lambda s: any(not c.keep_school for h in s.households for c in h.children),
    "school_access": lambda s: bool(s.school_access),
    "school access within 30 min": lambda s: any(a.minutes <= 30 for a in s.school_access),
    "school access over 30 min": lambda s: any(a.minutes > 30 for a in s.school_access),
    "building without a zone": lambda s: any(
        b.school_zone_primary is None or b.school_zone_lower_secondary is None for b in s.buildings
    ),
    "wheelchair need": lambda s: any(h.needs.wheelchair for h in s.households),
    "step_free need": lambda s: any(h.needs.step_free for h in s.households),
    "staffed need": lambda s: any(h.needs.staffed for h in s.households),
    "adapted need": lambda s: any(h.needs.adapted for h in s.households),
    "wheelchair dwelling": lambda s: any(d.wheelchair for d in s.dwellings),
    "elevator": lambda s: any(d.elevator for d in s.dwellings),
    "studio": lambda s: any(d.bedrooms == 0 for d in s.dwellings),
    "4+ bedrooms": lambda s: any(d.bedrooms >= 4 for d in s.dwellings),
    "rooms missing": lambda s: any(d.rooms is None for d in s.dwellings),
    "area missing": lambda s: any(d.area_m2 is None for d in s.dwellings),
    **{
        f"{c.value} dwelling": (lambda c: lambda s: any(d.category is c for d in s.dwellings))(c)  # noqa: B023
        for c in Category
    },
    "active use": lambda s: any(h.substance_use is SubstanceUse.active for h in s.households),
    "recovery": lambda s: any(h.substance_use is SubstanceUse.recovery for h in s.households),
    "high_need flag": lambda s: any(h.high_need for h in s.households),
    "active_use building": lambda s: any(b.profile is Profile.active_use for b in s.buildings),
    "recovery building": lambda s: any(b.profile is Profile.recovery for b in s.buildings),
    "ordinary building with active residents": lambda s: any(
        b.profile is Profile.ordinary and b.residents.active for b in s.buildings
    ),
    "ordinary building with recovery residents": lambda s: any(
        b.profile is Profile.ordinary and b.residents.recovery for b in s.buildings
    ),
    "ordinary building at its cap": lambda s: any(
        b.profile is Profile.ordinary and b.residents.high_need >= _cap(s)(b) for b in s.buildings
    ),
    "ordinary building one below its cap": lambda s: any(
        b.profile is Profile.ordinary and b.residents.high_need == _cap(s)(b) - 1
        for b in s.buildings
    ),
    "shared cluster": lambda s: any(
        n >= 2 for n in Counter(b.cluster for b in s.buildings if b.cluster).values()
    ),
    "women site": lambda s: any(b.gender == "women" for b in s.buildings),
    "men site": lambda s: any(b.gender == "men" for b in s.buildings),
    "youth site": lambda s: any(b.max_age is not None for b in s.buildings),
    "senior site": lambda s: any(b.min_age is not None and b.min_age >= 60 for b in s.buildings),
    "district quota": lambda s: any(t.max_new_high_need is not None for t in s.districts),
    "future availability": lambda s: any(d.available_from > s.as_of for d in s.dwellings),
    "board approval days": lambda s: any(d.board_approval_days > 0 for d in s.dwellings),
    "future release": lambda s: any(
        h.situation.release_on is not None and h.situation.release_on > s.as_of
        for h in s.households
    ),
    "ready_from": lambda s: any(h.ready_from is not None for h in s.households),
    "max_rent": lambda s: any(h.max_rent is not None for h in s.households),
    "excluded districts": lambda s: any(h.excluded_districts for h in s.households),
    "acceptable districts": lambda s: any(h.acceptable_districts is not None for h in s.households),
    "preferred districts": lambda s: any(h.preferred_districts for h in s.households),
    "three preferred districts": lambda s: any(
        len(h.preferred_districts) == 3 for h in s.households
    ),
    "forbidden pair": lambda s: bool(s.locks.forbidden),
    "large household (6+)": lambda s: any(h.persons >= 6 for h in s.households),
    "youth main applicant": lambda s: any(h.main_applicant.age <= 25 for h in s.households),
    **{
        f"priority {k}": (lambda k: lambda s: any(h.priority == k for h in s.households))(k)  # noqa: B023
        for k in (1, 2, 3)
    },
}


@pytest.fixture(scope="module")
def fifty() -> list[Scenario]:
    return [random_scenario(seed, 40, 30, tightness=0.5) for seed in range(50)]


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_each_feature_appears_over_fifty_seeds(feature: str, fifty: list[Scenario]) -> None:
    assert any(FEATURES[feature](s) for s in fifty), feature


def test_pinned_pair_appears_with_pin(fifty: list[Scenario]) -> None:
    assert any(random_scenario(seed, 40, 30, pin=True).locks.pinned for seed in range(50))


@pytest.mark.parametrize("code", PAIRWISE_CODES)
def test_each_pairwise_rule_rejects_some_pair(code: str, fifty: list[Scenario]) -> None:
    """Every rule of docs/rules.md actually bites somewhere in the generated rounds."""
    for s in fifty:
        for h in s.households:
            for d in s.dwellings:
                if code in pair_violations(s, h.id, d.id):
                    return
    pytest.fail(f"no generated pair is rejected by {code}")


def test_many_pairs_are_allowed(fifty: list[Scenario]) -> None:
    """Rounds are demanding but not empty: most households have some allowed dwelling."""
    with_option = total = 0
    for s in fifty:
        for h in s.households:
            total += 1
            with_option += any(not pair_violations(s, h.id, d.id) for d in s.dwellings)
    assert with_option / total > 0.4


def test_tightness_makes_rounds_more_restrictive() -> None:
    def allowed_share(tightness: float) -> float:
        ok = total = 0
        for seed in range(20):
            s = random_scenario(seed, 40, 30, tightness=tightness)
            for h in s.households:
                for d in s.dwellings:
                    total += 1
                    ok += not pair_violations(s, h.id, d.id)
        return ok / total

    assert allowed_share(0.0) > allowed_share(1.0)


# Hypothesis strategy ------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy(max_households=8, max_dwellings=8))
def test_strategy_yields_small_valid_scenarios(s: Scenario) -> None:
    assert 1 <= len(s.households) <= 8
    assert 1 <= len(s.dwellings) <= 8
    _revalidate(s)
    _pins_are_valid(s)


def test_buildings_hold_their_vacancies() -> None:
    s = random_scenario(4, 100, 2000)
    vacancies = Counter(d.building for d in s.dwellings)
    for b in s.buildings:
        r = b.residents
        assert vacancies[b.id] < b.units
        assert max(r.high_need, r.active + r.recovery) <= b.units - vacancies[b.id]


# The bundled example week -------------------------------------------------------------


def test_example_week_exercises_every_pairwise_rule() -> None:
    """Guards scenarios/example: valid, every pairwise rule decides some pair on its own,
    the pin passes every rule, and only the documented household (H25) has no option."""
    from pathlib import Path

    import yaml

    folder = Path(__file__).resolve().parents[1] / "scenarios" / "example"
    data = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    assert data["policy"] == "policy.yaml"
    data["policy"] = yaml.safe_load((folder / "policy.yaml").read_text(encoding="utf-8"))
    s = Scenario.model_validate(data)
    assert s.as_of == dt.date(2026, 11, 23) and s.as_of.weekday() == 0
    sole: Counter[str] = Counter()
    options: Counter[str] = Counter()
    for h in s.households:
        for d in s.dwellings:
            codes = pair_violations(s, h.id, d.id)
            if len(codes) == 1:
                sole[codes[0]] += 1
            options[h.id] += not codes
    assert [c for c in PAIRWISE_CODES if not sole[c]] == []
    assert [h.id for h in s.households if not options[h.id]] == ["H25"]
    _pins_are_valid(s)
    assert s.locks.pinned and s.locks.forbidden
    assert sum(is_due(h, s) for h in s.households) >= 4
