"""The synthetic Drammen-sized municipality: deterministic, calibrated, legal on day 0,
and its weekly round is a normal scenario that `allocator propose` accepts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from allocator.cli import main
from allocator.io.load import load_scenario
from allocator.replay.municipality import (
    DEFAULT_CONFIG,
    Municipality,
    MunicipalityConfig,
    building_cap,
    generate,
    load_config,
    residents_of,
    round_scenario,
    special_counts,
)
from models import Category, Profile, Scenario, SituationKind, SubstanceUse
from scenarios.municipality import main as write_week


@pytest.fixture(scope="module")
def town() -> Municipality:
    return generate(DEFAULT_CONFIG, seed=0)


def _fingerprint(m: Municipality) -> str:
    s = round_scenario(m)
    return json.dumps(
        {
            "round": s.model_dump(mode="json"),
            "stock": [d.model_dump(mode="json") for d in m.dwellings],
            "tenants": {k: repr(v) for k, v in sorted(m.tenants.items())},
        },
        sort_keys=True,
    )


def test_same_seed_same_municipality_other_seed_other(town: Municipality) -> None:
    assert _fingerprint(generate(DEFAULT_CONFIG, seed=0)) == _fingerprint(town)
    assert _fingerprint(generate(DEFAULT_CONFIG, seed=1)) != _fingerprint(town)


def test_special_stock_matches_the_2014_table(town: Municipality) -> None:
    published = town.config.published.special
    assert special_counts(town) == published
    assert published["substance_use"] == 44 and published["substance_use_staffed"] == 23
    assert published["mental_illness_staffed"] == 72
    assert published["developmental_adapted"] == 78
    assert published["temporary"] == 17
    by_category = Counter(d.category for d in town.dwellings)
    assert by_category[Category.temporary] == 17
    assert by_category[Category.adapted] == 78
    assert by_category[Category.staffed] == 23 + 72


def test_size_districts_and_burdens(town: Municipality) -> None:
    assert len(town.dwellings) == town.config.published.dwellings == 1525
    assert 180 <= len(town.buildings) <= 220
    assert 8 <= len(town.districts) <= 10
    burden = {d.name: d.burden for d in town.districts}
    assert max(burden, key=burden.__getitem__) == "Strømsø"
    assert min(burden, key=burden.__getitem__) == "Konnerud"
    units = Counter()
    for b in town.buildings:
        units[b.id] = b.units
        assert b.school_zone_primary and b.school_zone_lower_secondary
    assert units == Counter(d.building for d in town.dwellings)


def test_women_only_youth_and_profiled_sites(town: Municipality) -> None:
    buildings = {b.id: b for b in town.buildings}
    women = [b for b in town.buildings if b.gender == "women"]
    assert women and all(b.profile is Profile.active_use for b in women)
    youth = [d for d in town.dwellings if d.category is Category.youth]
    assert youth and all(buildings[d.building].max_age == 25 for d in youth)
    assert any(b.profile is Profile.recovery for b in town.buildings)
    adapted = [d for d in town.dwellings if d.category is Category.adapted]
    assert all(d.elevator or (d.floor or 0) <= 1 for d in adapted)


def test_residents_counts_are_the_tenants_and_day0_is_legal(town: Municipality) -> None:
    counted = residents_of(town.buildings, town.dwellings, town.tenants)
    for b in town.buildings:
        assert b.residents == counted[b.id]
        if b.profile is Profile.ordinary:
            assert b.residents.high_need <= building_cap(b.units)
            assert not (b.residents.active and b.residents.recovery)
    assert not set(town.tenants) & set(town.vacant)
    assert len(town.tenants) + len(town.vacant) == len(town.dwellings)


def test_households_look_like_applicants(town: Municipality) -> None:
    cfg = town.config.households
    assert len(town.waiting) == cfg.initial_waiting
    assert len({h.id for h in town.waiting}) == len(town.waiting)
    kinds = Counter(h.situation.kind for h in town.waiting)
    assert kinds[SituationKind.temporary] > 0
    families = [h for h in town.waiting if h.children]
    assert families and all(h.main_applicant.age >= 18 for h in families)
    # Occupants of temporary dwellings are waiting single adults, in temporary housing.
    occupants = {t.household for t in town.tenants.values() if t.household}
    by_id = {h.id: h for h in town.waiting}
    assert occupants and occupants <= set(by_id)
    for hid in occupants:
        assert not by_id[hid].children
        assert by_id[hid].situation.kind is SituationKind.temporary
    assert any(t.substance is SubstanceUse.active for t in town.tenants.values())


def test_weekly_round_is_a_scenario_propose_accepts(town: Municipality, tmp_path: Path) -> None:
    s = round_scenario(town)
    assert isinstance(s, Scenario)
    assert len(s.dwellings) == len(town.vacant) and len(s.households) == len(town.waiting)
    path = tmp_path / "week0.yaml"
    write_week([str(DEFAULT_CONFIG), "--seed", "0", "--out", str(path)])
    loaded = load_scenario(path)
    assert loaded.model_dump(mode="json") == s.model_dump(mode="json")
    out = tmp_path / "proposal.json"
    result = CliRunner().invoke(
        main, ["propose", str(path), "--out", str(out), "--quiet", "--time-limit", "10"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["matches"]


def test_config_rejects_inconsistent_yaml(tmp_path: Path) -> None:
    tree = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    assert MunicipalityConfig.model_validate(tree) == load_config()
    bad = {**tree, "start": "2026-01-06"}  # a Tuesday
    with pytest.raises(ValidationError, match="Monday"):
        MunicipalityConfig.model_validate(bad)
    bad = {**tree, "surprise": 1}
    with pytest.raises(ValidationError):
        MunicipalityConfig.model_validate(bad)
