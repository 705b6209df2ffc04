"""What ``allocator replay SCENARIO`` starts from.

SCENARIO is one of:

* a municipality config (a YAML file with ``kind: municipality``, such as
  ``scenarios/municipality/drammen.yaml``): the generator builds the stock with ``--seed``;
* a folder holding exactly one such file (and no ``scenario.yaml``);
* a normal scenario (file or folder, as ``allocator propose`` reads it): its round is day 0.
  A scenario lists only the vacancies, so each building's other units become occupied
  dwellings like its listed ones, with tenants matching its ``residents`` counts; arrivals,
  move-outs and offers follow the flow config (``--config``, default drammen.yaml).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from allocator.io.load import SCENARIO_FILES, load_scenario
from allocator.replay.municipality import (
    DEFAULT_CONFIG,
    Municipality,
    MunicipalityConfig,
    Tenant,
    generate,
    is_municipality_file,
    load_config,
    residents_of,
)
from models import Building, Category, Dwelling, Scenario
from models.scenario import SubstanceUse


def municipality_file(path: Path) -> Path | None:
    """The municipality config that ``path`` names, if it names one."""
    if path.is_file():
        return path if is_municipality_file(path) else None
    if path.is_dir() and not any((path / name).is_file() for name in SCENARIO_FILES):
        found = sorted(p for p in path.iterdir() if is_municipality_file(p))
        if len(found) > 1:
            # Variants (`extends: <base>`) beside their base: the folder names the base.
            found = [p for p in found if "extends" not in (_yaml_top(p) or {})]
        if len(found) == 1:
            return found[0]
    return None


def _yaml_top(path: Path) -> dict[str, object] | None:
    import yaml

    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tree if isinstance(tree, dict) else None


def load_source(path: Path, *, seed: int = 0, config: Path | None = None) -> Municipality:
    """The day-0 municipality to replay (see module docstring). Raises InputError for a bad
    scenario and pydantic.ValidationError for a bad municipality config."""
    found = municipality_file(path)
    if found is not None:
        return generate(load_config(found), seed)
    scenario = load_scenario(path)
    return from_scenario(scenario, load_config(config or DEFAULT_CONFIG), seed)


def from_scenario(s: Scenario, cfg: MunicipalityConfig, seed: int = 0) -> Municipality:
    """A municipality whose day 0 is the scenario's round (see module docstring)."""
    start = s.as_of
    listed: dict[str, list[Dwelling]] = defaultdict(list)
    for d in s.dwellings:
        listed[d.building].append(d)
    dwellings = list(s.dwellings)
    vacant = {d.id: d.available_from for d in s.dwellings}
    tenants: dict[str, Tenant] = {}
    for b in s.buildings:
        occupied = [
            _clone(b, listed[b.id], k, start) for k in range(max(0, b.units - len(listed[b.id])))
        ]
        dwellings += occupied
        tenants |= _tenants(b, occupied)
    residents = residents_of(s.buildings, dwellings, tenants)
    buildings = [b.model_copy(update={"residents": residents[b.id]}) for b in s.buildings]
    units: dict[str, float] = defaultdict(float)
    zones: dict[str, tuple[list[str], list[str]]] = {t.id: ([], []) for t in s.districts}
    for b in buildings:
        units[b.district] += b.units
        for level, zone in enumerate((b.school_zone_primary, b.school_zone_lower_secondary)):
            if zone is not None and zone not in zones[b.district][level]:
                zones[b.district][level].append(zone)
    return Municipality(
        config=cfg,
        seed=seed,
        start=start,
        districts=list(s.districts),
        buildings=buildings,
        dwellings=dwellings,
        tenants=tenants,
        vacant=vacant,
        waiting=list(s.households),
        school_access=list(s.school_access),
        zones=zones,
        district_shares={t.id: units[t.id] or 1.0 for t in s.districts},
        origin="scenario",
    )


def _clone(b: Building, listed: list[Dwelling], k: int, start: dt.date) -> Dwelling:
    """An occupied unit like the building's listed ones (or a plain 1-bedroom flat)."""
    if listed:
        model = listed[k % len(listed)]
        if model.category is Category.temporary:
            model = model.model_copy(update={"category": Category.ordinary})
        return model.model_copy(update={"id": f"{b.id}-u{k + 1:03d}", "available_from": start})
    return Dwelling(
        id=f"{b.id}-u{k + 1:03d}",
        building=b.id,
        rooms=2,
        bedrooms=1,
        area_m2=45.0,
        floor=1 + k % 3,
        rent=8500.0,
        available_from=start,
    )


def _tenants(b: Building, occupied: list[Dwelling]) -> dict[str, Tenant]:
    """Tenants whose flags reproduce the building's residents counts (as far as the
    occupied units allow): active users first (they count as high-need), then households
    in recovery, then flagged high-need households."""
    r = b.residents
    out: dict[str, Tenant] = {}
    flagged = max(0, r.high_need - r.active)
    for k, d in enumerate(occupied):
        substance = SubstanceUse.none
        if k < r.active:
            substance = SubstanceUse.active
        elif k < r.active + r.recovery:
            substance = SubstanceUse.recovery
        high = substance is not SubstanceUse.active and flagged > 0
        flagged -= high
        out[d.id] = Tenant(f"{b.id}-t{k + 1:03d}", high, substance)
    return out
