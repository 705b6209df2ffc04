"""A synthetic, Drammen-sized municipality: the whole stock plus an initial waiting list.

Why: analysts replay a year of weekly rounds (``allocator replay``) and need a realistic
municipality to do it on, one nobody has to hand over real data for. Everything here is
synthetic; only the district names and the published figures (DOMAIN.md §6, the 2014
special-stock table) are Drammen's. Every rate and share lives in one documented YAML
file (``scenarios/municipality/drammen.yaml``), loaded into ``MunicipalityConfig``.

Guarantees:

* deterministic: one config and one ``seed`` give one municipality (private
  ``random.Random`` streams, no global state, no iteration over hashed sets);
* consistent: each building's ``residents`` counts are exactly its tenants' flags, the
  special stock matches the YAML, and day 0 is a legal state (no building over the default
  spread cap, no active use beside recovery in one building);
* ``round_scenario`` emits the first weekly round (day-0 vacancies + the waiting list) as a
  normal ``Scenario`` that ``allocator propose`` accepts.

The replay's domain (the config, tenants, the municipality, the weekly household factory)
lives here, in the library; ``scenarios/municipality.py`` is the command that writes a
week of it as a scenario file:

    python -m scenarios.municipality scenarios/municipality/drammen.yaml --seed 0 --out week0.yaml
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models import (
    Building,
    Category,
    District,
    Dwelling,
    Household,
    Policy,
    Profile,
    Scenario,
    SchoolAccess,
    SituationKind,
    SubstanceUse,
)
from models.scenario import Residents, Situation

__all__ = [
    "DEFAULT_CONFIG",
    "HouseholdFactory",
    "Municipality",
    "MunicipalityConfig",
    "Tenant",
    "calibration_rows",
    "generate",
    "load_config",
    "residents_of",
    "round_scenario",
    "special_counts",
]

#: The bundled configuration (data lives in scenarios/).
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "scenarios" / "municipality" / "drammen.yaml"
K = TypeVar("K")
IntRange = tuple[int, int]
FloatRange = tuple[float, float]


# ======================================================================================
# The config model (the YAML file, section by section)
# ======================================================================================


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _weights_ok(table: Mapping[Any, float], name: str) -> None:
    if not table or any(w < 0 for w in table.values()) or sum(table.values()) <= 0:
        raise ValueError(f"{name}: weights must be non-negative with a positive sum")


def _range_ok(pair: tuple[float, float], name: str) -> None:
    if pair[0] > pair[1]:
        raise ValueError(f"{name}: range {list(pair)} has low above high")


class Published(_Cfg):
    """Drammen's published figures: the calibration targets, not generator inputs."""

    dwellings: int
    waiting: IntRange
    vacancies_per_week: FloatRange
    applications_per_month: IntRange
    grant_share: float
    special: dict[str, int]


class DistrictSpec(_Cfg):
    id: str
    name: str
    burden: float = Field(..., ge=0, le=1)
    share: float = Field(..., gt=0, description="Share of the ordinary stock.")
    centre_km: FloatRange
    primary_zones: int = Field(..., ge=1)
    lower_secondary_zones: int = Field(..., ge=1)
    max_new_high_need: int | None = Field(None, ge=0)


class SchoolTravel(_Cfg):
    base_minutes: float = Field(..., ge=0)
    per_km: float = Field(..., ge=0)
    zone_spread_km: float = Field(..., ge=0)
    max_listed_minutes: int = Field(..., ge=0)


class OrdinaryStock(_Cfg):
    units: dict[int, float]
    bedrooms: dict[int, float]
    cooperative_share: float = Field(..., ge=0, le=1)
    board_approval_days: IntRange
    cluster_share: float = Field(..., ge=0, le=1)
    elevator_share_tall: float = Field(..., ge=0, le=1)
    elevator_share_low: float = Field(..., ge=0, le=1)
    wheelchair_share: float = Field(..., ge=0, le=1)

    @model_validator(mode="after")
    def _tables(self) -> OrdinaryStock:
        _weights_ok(self.units, "ordinary.units")
        _weights_ok(self.bedrooms, "ordinary.bedrooms")
        _range_ok(self.board_approval_days, "ordinary.board_approval_days")
        return self


#: Days a household arriving in temporary housing may have lived there before approval.
TEMPORARY_BEFORE_APPROVAL_DAYS = 21

ResidentKind = Literal["ordinary", "staffed", "adapted", "active", "recovery", "temporary"]


class SpecialSite(_Cfg):
    """One group of special stock (a row of the 2014 table, or youth dwellings)."""

    id: str
    label: str
    table: str | None = Field(None, description="Key in published.special it counts toward.")
    dwellings: int = Field(..., ge=1)
    buildings: int = Field(..., ge=1)
    districts: list[str] = Field(..., min_length=1)
    category: Category
    profile: Profile = Profile.ordinary
    gender: Literal["women", "men"] | None = None
    min_age: int | None = None
    max_age: int | None = None
    bedrooms: dict[int, float]
    wheelchair_share: float = Field(0.0, ge=0, le=1)
    step_free: bool = False
    resident: ResidentKind

    @model_validator(mode="after")
    def _sizes(self) -> SpecialSite:
        _weights_ok(self.bedrooms, f"special {self.id}.bedrooms")
        if self.buildings > self.dwellings:
            raise ValueError(f"special {self.id}: more buildings than dwellings")
        return self


class Stock(_Cfg):
    total_dwellings: int = Field(..., ge=1)
    ordinary: OrdinaryStock
    area_m2: dict[int, FloatRange]
    rent: dict[int, IntRange]
    special: list[SpecialSite]

    @property
    def special_dwellings(self) -> int:
        return sum(s.dwellings for s in self.special)

    @model_validator(mode="after")
    def _sizes(self) -> Stock:
        if self.special_dwellings >= self.total_dwellings:
            raise ValueError("special sites hold the whole stock; no ordinary dwellings left")
        rooms = set(self.ordinary.bedrooms) | {b for s in self.special for b in s.bedrooms}
        for table, name in ((self.area_m2, "area_m2"), (self.rent, "rent")):
            missing = rooms - set(table)
            if missing:
                raise ValueError(f"stock.{name} lacks bedroom counts {sorted(missing)}")
            for key, pair in table.items():
                _range_ok(pair, f"stock.{name}[{key}]")
        return self


class ResidentShares(_Cfg):
    high_need: float = Field(..., ge=0, le=1)
    active: float = Field(..., ge=0, le=1)
    recovery: float = Field(..., ge=0, le=1)


class ResidentsCfg(_Cfg):
    ordinary: ResidentShares
    staffed: ResidentShares
    adapted: ResidentShares
    active: ResidentShares
    recovery: ResidentShares
    temporary: ResidentShares
    vacancy_share: float = Field(..., ge=0, lt=1)


class Wishes(_Cfg):
    preferred_share: float = Field(..., ge=0, le=1)
    home_first: float = Field(..., ge=0, le=1)
    acceptable_share: float = Field(..., ge=0, le=1)
    excluded_share_crisis: float = Field(..., ge=0, le=1)


NeedName = Literal["wheelchair", "step_free", "staffed", "adapted"]
GenderName = Literal["female", "male", "other"]


class Archetype(_Cfg):
    """A kind of applicant: correlated size, age, situation, needs and substance use."""

    id: str
    share: float = Field(..., ge=0)
    adults: int = Field(1, ge=1, le=4)
    age: IntRange
    gender: dict[GenderName, float]
    children: dict[int, float] = Field(default_factory=lambda: {0: 1.0})
    situation: dict[SituationKind, float]
    substance: dict[SubstanceUse, float] = Field(default_factory=lambda: {SubstanceUse.none: 1.0})
    high_need: float = Field(0.0, ge=0, le=1)
    needs: dict[NeedName, float] = Field(default_factory=dict)
    priority: dict[int, float]

    @property
    def family(self) -> bool:
        return any(k > 0 and w > 0 for k, w in self.children.items())

    @model_validator(mode="after")
    def _tables(self) -> Archetype:
        for name in ("gender", "children", "situation", "substance", "priority"):
            _weights_ok(getattr(self, name), f"archetype {self.id}.{name}")
        _range_ok(self.age, f"archetype {self.id}.age")
        if not set(self.priority) <= {1, 2, 3}:
            raise ValueError(f"archetype {self.id}.priority: keys must be 1, 2, 3")
        return self


class HouseholdsCfg(_Cfg):
    initial_waiting: int = Field(..., ge=0)
    initial_wait_days: IntRange
    temporary_days: IntRange
    keep_school: float = Field(..., ge=0, le=1)
    wishes: Wishes
    max_rent_share: float = Field(..., ge=0, le=1)
    max_rent: dict[int, int]
    max_rent_jitter: int = Field(..., ge=0)
    archetypes: list[Archetype] = Field(..., min_length=1)
    release_days: IntRange
    refugee_arrival_days: IntRange = (14, 90)
    homeless_since_days: IntRange

    @model_validator(mode="after")
    def _tables(self) -> HouseholdsCfg:
        _weights_ok({a.id: a.share for a in self.archetypes}, "archetypes.share")
        if not self.max_rent:
            raise ValueError("households.max_rent needs at least one row")
        return self


class TemporaryEntry(_Cfg):
    family: float = Field(..., ge=0, le=1)
    single: float = Field(..., ge=0, le=1)


MoveoutKind = Literal["small", "family", "youth", "staffed", "adapted", "active_use", "recovery"]


TransferReasonKey = Literal[
    "overcrowded", "under_occupying", "needs", "safety", "step_down_from_staffed", "other"
]


class TransferFlow(_Cfg):
    """Sitting tenants applying to move (issue 15): each week a tenant who lived in the
    stock on day 0 applies with `applications_per_year` (annual probability), for a reason
    drawn from `reasons`; the applicant's household is shaped to fit the reason (an
    overcrowded family needs more bedrooms than it has, an under-occupying one fewer)."""

    applications_per_year: float = Field(..., ge=0, le=1)
    reasons: dict[TransferReasonKey, float]

    def weekly(self) -> float:
        return 1 - (1 - self.applications_per_year) ** (1 / 52)


class FlowCfg(_Cfg):
    """The weekly flow of allocator.replay: arrivals, move-outs, temporary housing, offers."""

    applications_per_month: FloatRange
    grant_share: float = Field(..., ge=0, le=1)
    moveout_per_year: dict[MoveoutKind, float]
    release_days: IntRange
    enter_temporary: TemporaryEntry
    decline_probability: float = Field(..., ge=0, le=1)
    lapse_on_decline: float = Field(..., ge=0, le=1)
    withdraw_per_week: float = Field(..., ge=0, le=1)
    transfers: TransferFlow | None = None

    @property
    def approvals_per_week(self) -> float:
        """Mean approvals a week: mean monthly applications x 12/52 x grant share."""
        low, high = self.applications_per_month
        return (low + high) / 2 * 12 / 52 * self.grant_share

    def weekly_moveout(self, kind: MoveoutKind) -> float:
        return 1 - (1 - self.moveout_per_year.get(kind, 0.0)) ** (1 / 52)


class MunicipalityConfig(_Cfg):
    """The whole YAML file: the municipality, its households and its weekly flow."""

    kind: Literal["municipality"]
    name: str
    synthetic: bool
    start: dt.date
    published: Published
    districts: list[DistrictSpec] = Field(..., min_length=2)
    school_travel: SchoolTravel
    stock: Stock
    residents: ResidentsCfg
    households: HouseholdsCfg
    flow: FlowCfg

    @model_validator(mode="after")
    def _consistent(self) -> MunicipalityConfig:
        if self.start.weekday() != 0:
            raise ValueError(f"start {self.start} is not a Monday (rounds are weekly)")
        ids = [d.id for d in self.districts]
        if len(set(ids)) != len(ids):
            raise ValueError("district ids must be unique")
        for site in self.stock.special:
            unknown = set(site.districts) - set(ids)
            if unknown:
                raise ValueError(f"special {site.id}: unknown districts {sorted(unknown)}")
        return self


def load_config(path: str | Path = DEFAULT_CONFIG) -> MunicipalityConfig:
    """The config at ``path`` (raises pydantic.ValidationError naming the bad field).

    A config may start from another: ``extends: drammen.yaml`` (relative to the file)
    takes that file's tree and replaces what this one sets, section by section (mappings
    merged key by key, everything else replaced), so a variant states only its change."""
    return MunicipalityConfig.model_validate(_config_tree(Path(path)))


def _config_tree(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        tree = yaml.safe_load(handle)
    base = tree.pop("extends", None) if isinstance(tree, dict) else None
    if base is None:
        return tree  # type: ignore[no-any-return]
    return _merged(_config_tree(path.parent / str(base)), tree)


def _merged(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merged(base.get(k), v) for k, v in over.items()}}
    return over


def is_municipality_file(path: Path) -> bool:
    """A YAML file whose top level says ``kind: municipality``."""
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return False
    with open(path, encoding="utf-8") as handle:
        head = handle.read(4096)
    return any(line.strip() == "kind: municipality" for line in head.splitlines())


# ======================================================================================
# The generated municipality
# ======================================================================================


@dataclass(frozen=True)
class Tenant:
    """Who lives in a dwelling, as far as the rules care (R5 spread, R6 separation).

    ``household`` is set when the tenant is a waiting household living in a temporary
    dwelling: it stays on the list and frees the dwelling when housed for good.
    """

    id: str
    high_need: bool
    substance: SubstanceUse
    household: str | None = None
    #: Moved in during the replay: a new tenant gives no notice within the replayed year
    #: (leases run three years), so the year's vacancies do not depend on the policy and
    #: the hindsight optimum has one set of events to plan with.
    placed: bool = False

    @property
    def counts_high_need(self) -> bool:
        """Residents' ``high_need``: flagged, or active use (the default policy's R5)."""
        return self.high_need or self.substance is SubstanceUse.active


@dataclass
class Municipality:
    """The full stock and the initial waiting list on ``start`` (day 0)."""

    config: MunicipalityConfig
    seed: int
    start: dt.date
    districts: list[District]
    buildings: list[Building]
    dwellings: list[Dwelling]
    tenants: dict[str, Tenant]
    vacant: dict[str, dt.date]
    waiting: list[Household]
    school_access: list[SchoolAccess]
    site_of_building: dict[str, str] = field(default_factory=dict)  # special site id
    zones: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    district_shares: dict[str, float] = field(default_factory=dict)
    origin: str = "generated"
    #: Household id -> the district it lives in now (its district of origin), for the
    #: waiting list of day 0; the data contract has no such field (see HouseholdFactory).
    home_districts: dict[str, str] = field(default_factory=dict)

    def household_factory(self) -> HouseholdFactory:
        """Draws new applicants who live in this municipality's districts and zones."""
        shares = self.district_shares or {d.id: d.share for d in self.config.districts}
        return HouseholdFactory(self.config, self.zones, list(shares), list(shares.values()))


def residents_of(
    buildings: Sequence[Building], dwellings: Sequence[Dwelling], tenants: Mapping[str, Tenant]
) -> dict[str, Residents]:
    """Each building's residents counts, from who lives in its dwellings."""
    counts = {b.id: [0, 0, 0] for b in buildings}
    for d in dwellings:
        t = tenants.get(d.id)
        if t is None:
            continue
        c = counts[d.building]
        c[0] += t.counts_high_need
        c[1] += t.substance is SubstanceUse.active
        c[2] += t.substance is SubstanceUse.recovery
    return {b: Residents(high_need=c[0], active=c[1], recovery=c[2]) for b, c in counts.items()}


def building_cap(units: int, policy: Policy | None = None) -> int:
    """R5's building cap under `policy` (default: the default policy), as the checker
    states it (exact decimals), so day 0 is legal under the rules the replay runs."""
    from allocator.checker.facts import building_cap as cap

    return cap(Building(id="_", district="_", units=units), policy or Policy())


# ======================================================================================
# Random helpers
# ======================================================================================


def pick(rng: random.Random, table: Mapping[K, float]) -> K:
    """One key of a weight table (keys in file order, so draws are reproducible)."""
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


def _uniform_int(rng: random.Random, pair: tuple[float, float]) -> int:
    return rng.randint(int(pair[0]), int(pair[1]))


def _apportion(total: int, shares: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``shares`` (largest remainder, exact sum)."""
    s = sum(shares)
    raw = [total * w / s for w in shares]
    out = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


# ======================================================================================
# Stock: districts, zones, buildings, dwellings
# ======================================================================================


@dataclass
class _Geo:
    """Zone positions and each district's zones per level (primary, lower secondary)."""

    position: dict[str, FloatRange] = field(default_factory=dict)
    zones: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    def nearest(self, district: str, level: int, at: FloatRange) -> str:
        return min(self.zones[district][level], key=lambda z: (math.dist(self.position[z], at), z))


def _geography(cfg: MunicipalityConfig, rng: random.Random) -> _Geo:
    geo = _Geo()
    spread = cfg.school_travel.zone_spread_km
    for d in cfg.districts:
        levels: tuple[list[str], list[str]] = ([], [])
        for level, (prefix, n) in enumerate(
            (("P", d.primary_zones), ("U", d.lower_secondary_zones))
        ):
            for k in range(1, n + 1):
                zone = f"{prefix}-{d.id}-{k}"
                levels[level].append(zone)
                geo.position[zone] = (
                    d.centre_km[0] + rng.uniform(-spread, spread),
                    d.centre_km[1] + rng.uniform(-spread, spread),
                )
        geo.zones[d.id] = levels
    return geo


def _school_access(cfg: MunicipalityConfig, geo: _Geo) -> list[SchoolAccess]:
    """Travel minutes between zones of the same level, both directions, up to the cap."""
    st = cfg.school_travel
    rows: list[SchoolAccess] = []
    for level in (0, 1):
        zones = [z for d in cfg.districts for z in geo.zones[d.id][level]]
        for a in zones:
            for b in zones:
                if a == b:
                    continue
                minutes = round(
                    st.base_minutes + st.per_km * math.dist(geo.position[a], geo.position[b])
                )
                if minutes <= st.max_listed_minutes:
                    rows.append(SchoolAccess(from_zone=a, to_zone=b, minutes=minutes))
    return rows


@dataclass
class _Site:
    """A building to be: where, how big, what kind; dwellings and tenants come later."""

    district: str
    units: int
    category: Category
    profile: Profile
    resident: ResidentKind
    bedrooms: Mapping[int, float]
    site_id: str = ""
    gender: Literal["women", "men"] | None = None
    min_age: int | None = None
    max_age: int | None = None
    wheelchair_share: float = 0.0
    step_free: bool = False


def _sites(cfg: MunicipalityConfig, rng: random.Random) -> list[_Site]:
    """Special sites from the table, then ordinary buildings district by district."""
    sites: list[_Site] = []
    for spec in cfg.stock.special:
        for k, units in enumerate(_apportion(spec.dwellings, [1.0] * spec.buildings)):
            sites.append(
                _Site(
                    district=spec.districts[k % len(spec.districts)],
                    units=units,
                    category=spec.category,
                    profile=spec.profile,
                    resident=spec.resident,
                    bedrooms=spec.bedrooms,
                    site_id=spec.id,
                    gender=spec.gender,
                    min_age=spec.min_age,
                    max_age=spec.max_age,
                    wheelchair_share=spec.wheelchair_share,
                    step_free=spec.step_free,
                )
            )
    ordinary_total = cfg.stock.total_dwellings - cfg.stock.special_dwellings
    per_district = _apportion(ordinary_total, [d.share for d in cfg.districts])
    ord_cfg = cfg.stock.ordinary
    for d, remaining in zip(cfg.districts, per_district, strict=True):
        while remaining > 0:
            units = min(remaining, pick(rng, ord_cfg.units))
            remaining -= units
            sites.append(
                _Site(
                    district=d.id,
                    units=units,
                    category=Category.ordinary,
                    profile=Profile.ordinary,
                    resident="ordinary",
                    bedrooms=ord_cfg.bedrooms,
                )
            )
    return sites


def _building(
    cfg: MunicipalityConfig,
    rng: random.Random,
    geo: _Geo,
    site: _Site,
    bid: str,
    cluster: str | None,
) -> Building:
    district = next(d for d in cfg.districts if d.id == site.district)
    spread = cfg.school_travel.zone_spread_km
    at = (
        district.centre_km[0] + rng.uniform(-spread, spread),
        district.centre_km[1] + rng.uniform(-spread, spread),
    )
    return Building(
        id=bid,
        district=site.district,
        units=site.units,
        profile=site.profile,
        school_zone_primary=geo.nearest(site.district, 0, at),
        school_zone_lower_secondary=geo.nearest(site.district, 1, at),
        cluster=cluster,
        gender=site.gender,
        min_age=site.min_age,
        max_age=site.max_age,
    )


def _dwellings(
    cfg: MunicipalityConfig, rng: random.Random, site: _Site, bid: str, first: int, start: dt.date
) -> list[Dwelling]:
    """The building's dwellings: floors, lift, step-free and wheelchair, size and rent."""
    ord_cfg = cfg.stock.ordinary
    floors = 1 if site.units <= 2 else max(1, min(8, math.ceil(site.units / 4)))
    tall = floors >= 4
    elevator = site.step_free or rng.random() < (
        ord_cfg.elevator_share_tall if tall else ord_cfg.elevator_share_low
    )
    board = (
        _uniform_int(rng, ord_cfg.board_approval_days)
        if site.category is Category.ordinary
        and site.units <= 4
        and rng.random() < ord_cfg.cooperative_share
        else 0
    )
    wheel_share = site.wheelchair_share or ord_cfg.wheelchair_share
    out = []
    for k in range(site.units):
        bedrooms = pick(rng, site.bedrooms)
        floor = 1 + k % floors
        step_free = elevator or floor <= 1
        area = round(rng.uniform(*cfg.stock.area_m2[bedrooms]), 1)
        rent = round(rng.uniform(*cfg.stock.rent[bedrooms]), -2)
        out.append(
            Dwelling(
                id=f"D{first + k:04d}",
                building=bid,
                rooms=bedrooms + 1,
                bedrooms=bedrooms,
                area_m2=area,
                floor=floor,
                elevator=elevator,
                wheelchair=step_free and rng.random() < wheel_share,
                category=site.category,
                rent=rent,
                available_from=start,
                board_approval_days=board,
            )
        )
    return out


def _tenants(
    cfg: MunicipalityConfig,
    rng: random.Random,
    site: _Site,
    dwellings: Sequence[Dwelling],
    next_id: Callable[[], str],
    vacant: set[str],
) -> dict[str, Tenant]:
    """Residents of one (non-temporary) building, within the default cap and separation."""
    shares: ResidentShares = getattr(cfg.residents, site.resident)
    ordinary_profile = site.profile is Profile.ordinary
    cap = building_cap(site.units) if ordinary_profile else site.units
    high = active = recovery = 0
    out: dict[str, Tenant] = {}
    for d in dwellings:
        if d.id in vacant:
            continue
        substance = SubstanceUse.none
        if site.profile is Profile.active_use:
            substance = SubstanceUse.active
        elif site.profile is Profile.recovery:
            substance = SubstanceUse.recovery
        else:
            u = rng.random()
            if u < shares.active and not recovery and high < cap:
                substance = SubstanceUse.active
            elif u < shares.active + shares.recovery and not active:
                substance = SubstanceUse.recovery
        flagged = rng.random() < shares.high_need
        tenant = Tenant(next_id(), flagged, substance)
        if ordinary_profile and tenant.counts_high_need and high >= cap:
            tenant = Tenant(tenant.id, False, substance)
        high += tenant.counts_high_need
        active += substance is SubstanceUse.active
        recovery += substance is SubstanceUse.recovery
        out[d.id] = tenant
    return out


# ======================================================================================
# Households
# ======================================================================================


class HouseholdFactory:
    """Draws applicants from the archetypes; used for day 0 and for weekly approvals.

    Why one class: the replay's arrivals must look like the initial list, and both must
    know the municipality's districts and school zones (children attend a school in the
    district they live in now).
    """

    def __init__(
        self,
        cfg: MunicipalityConfig,
        zones: Mapping[str, tuple[list[str], list[str]]],
        districts: Sequence[str] | None = None,
        district_shares: Sequence[float] | None = None,
    ) -> None:
        self.cfg = cfg
        self.hcfg = cfg.households
        self.zones = zones
        self.district_ids = (
            list(districts) if districts is not None else [d.id for d in cfg.districts]
        )
        self.district_shares = (
            list(district_shares)
            if district_shares is not None
            else [d.share for d in cfg.districts]
        )
        self.archetypes = {a.id: a for a in self.hcfg.archetypes}
        self.shares = {a.id: a.share for a in self.hcfg.archetypes}
        #: Household id -> the district drawn as where it lives now (its school zones and
        #: wishes follow from it). Kept for outcomes by district of origin; recording it
        #: draws nothing, so every random stream is as before.
        self.home_districts: dict[str, str] = {}

    def archetype(self, rng: random.Random) -> Archetype:
        return self.archetypes[pick(rng, self.shares)]

    def draw(
        self,
        rng: random.Random,
        hid: str,
        approved_on: dt.date,
        *,
        archetype: Archetype | None = None,
        in_temporary_since: dt.date | None = None,
        children_count: int | None = None,
    ) -> Household:
        """One approved household. ``in_temporary_since`` forces the temporary situation,
        ``children_count`` the number of children (else drawn from the archetype)."""
        a = archetype or self.archetype(rng)
        h = self.hcfg
        home = rng.choices(self.district_ids, weights=self.district_shares)[0]
        self.home_districts[hid] = home
        children = self._children(rng, a, home, children_count)
        oldest = max((c["age"] for c in children), default=0)
        age = _uniform_int(rng, a.age)
        if children:
            age = max(age, min(oldest + 18, a.age[1] + 10))
        needs = {n: rng.random() < p for n, p in a.needs.items()}
        if needs.get("wheelchair"):
            needs["step_free"] = True
        kind = pick(rng, a.situation)
        situation: dict[str, Any] = {"kind": kind}
        if in_temporary_since is not None:
            situation = {"kind": SituationKind.temporary, "since": in_temporary_since}
        elif kind is SituationKind.temporary:
            situation["since"] = approved_on - dt.timedelta(
                days=rng.randint(0, TEMPORARY_BEFORE_APPROVAL_DAYS)
            )
        elif kind in (SituationKind.prison, SituationKind.institution):
            situation["since"] = approved_on - dt.timedelta(days=rng.randint(30, 700))
            situation["release_on"] = approved_on + dt.timedelta(
                days=_uniform_int(rng, h.release_days)
            )
        elif kind in (SituationKind.homeless, SituationKind.crisis_centre):
            situation["since"] = approved_on - dt.timedelta(
                days=_uniform_int(rng, h.homeless_since_days)
            )
        elif kind is SituationKind.refugee:
            situation["arrives_on"] = approved_on + dt.timedelta(
                days=_uniform_int(rng, h.refugee_arrival_days)
            )
        persons = a.adults + len(children)
        gender: str = pick(rng, a.gender)
        record = {
            "id": hid,
            "approved_on": approved_on,
            "adults": a.adults,
            "children": children,
            "main_applicant": {"age": min(age, 120), "gender": gender},
            "needs": needs,
            "substance_use": pick(rng, a.substance),
            "high_need": rng.random() < a.high_need,
            "situation": situation,
            "priority": pick(rng, a.priority),
            **self._wishes(rng, home, situation["kind"]),
            "max_rent": self._max_rent(rng, persons),
        }
        return Household.model_validate(record)

    def template(self, a: Archetype, kind: SituationKind, children: int | None = None) -> Household:
        """A representative household of the archetype in situation `kind` (the look-ahead's
        forecast of arrivals), with `children` children when given: drawn from a stream of
        its own, so no replay draw moves."""
        if children is None:
            rng = random.Random(f"template:{a.id}:{kind.value}")
            hid = f"template-{a.id}"
        else:
            rng = random.Random(f"template:{a.id}:{kind.value}:{children}")
            hid = f"template-{a.id}-{children}"
        h = self.draw(rng, hid, self.cfg_start(), archetype=a, children_count=children)
        self.home_districts.pop(hid, None)
        # A valid situation of that kind (a saved round must load again); the look-ahead
        # gives each sampled arrival its own dates.
        since = h.approved_on if kind is SituationKind.temporary else None
        return h.model_copy(update={"situation": Situation(kind=kind, since=since)})

    def cfg_start(self) -> dt.date:
        return dt.date(2000, 1, 3)

    def _children(
        self, rng: random.Random, a: Archetype, home: str, count: int | None = None
    ) -> list[dict[str, Any]]:
        out = []
        for _ in range(pick(rng, a.children) if count is None else count):
            age = rng.randint(0, 17)
            zone = None
            if 6 <= age <= 15:  # school-age (grades 1–10): attends a school near home
                primary, lower = self.zones[home]
                zone = rng.choice(primary if age <= 12 else lower)
            out.append(
                {
                    "age": age,
                    "school_zone": zone,
                    "keep_school": rng.random() < self.hcfg.keep_school,
                }
            )
        return out

    def _wishes(self, rng: random.Random, home: str, kind: SituationKind) -> dict[str, Any]:
        w = self.hcfg.wishes
        ids = self.district_ids
        excluded: list[str] = []
        if kind is SituationKind.crisis_centre and rng.random() < w.excluded_share_crisis:
            excluded = [rng.choice([d for d in ids if d != home])]
        allowed = [d for d in ids if d not in excluded]
        preferred: list[str] = []
        if rng.random() < w.preferred_share:
            k = rng.randint(1, min(3, len(allowed)))
            preferred = [home] if home in allowed and rng.random() < w.home_first else []
            rest = [d for d in allowed if d not in preferred]
            preferred += rng.sample(rest, k=min(len(rest), k - len(preferred)))
        acceptable = None
        if rng.random() < w.acceptable_share:
            pool = [d for d in allowed if d not in preferred]
            extra = rng.sample(pool, k=min(len(pool), max(0, rng.randint(3, 5) - len(preferred))))
            acceptable = sorted(set(preferred + extra + ([home] if home in allowed else [])))
        return {
            "excluded_districts": excluded,
            "acceptable_districts": acceptable,
            "preferred_districts": preferred,
        }

    def _max_rent(self, rng: random.Random, persons: int) -> float | None:
        h = self.hcfg
        if rng.random() >= h.max_rent_share:
            return None
        key = max(k for k in h.max_rent if k <= max(persons, min(h.max_rent)))
        return float(
            round(h.max_rent[key] + rng.randint(-h.max_rent_jitter, h.max_rent_jitter), -2)
        )


# ======================================================================================
# The generator
# ======================================================================================


def generate(cfg: MunicipalityConfig | str | Path = DEFAULT_CONFIG, seed: int = 0) -> Municipality:
    """The municipality on ``cfg.start``: stock, tenants, day-0 vacancies, waiting list."""
    if not isinstance(cfg, MunicipalityConfig):
        cfg = load_config(cfg)
    rng = random.Random(f"municipality:{seed}")
    start = cfg.start
    geo = _geography(cfg, rng)
    sites = _sites(cfg, rng)

    buildings: list[Building] = []
    dwellings: list[Dwelling] = []
    site_of: dict[str, _Site] = {}
    cluster_of: dict[int, str] = {}
    for i in range(len(sites) - 1):
        left, right = sites[i], sites[i + 1]
        if (
            i not in cluster_of
            and left.category is right.category is Category.ordinary
            and left.district == right.district
            and rng.random() < cfg.stock.ordinary.cluster_share
        ):
            cluster_of[i] = cluster_of[i + 1] = f"C{len(cluster_of) // 2 + 1:03d}"
    for i, site in enumerate(sites):
        bid = f"B{i + 1:03d}"
        buildings.append(_building(cfg, rng, geo, site, bid, cluster_of.get(i)))
        dwellings += _dwellings(cfg, rng, site, bid, len(dwellings) + 1, start)
        site_of[bid] = site

    vacant = _day0_vacancies(cfg, rng, dwellings, start)
    counter = iter(range(1, 10**6))
    tenants: dict[str, Tenant] = {}
    by_building: dict[str, list[Dwelling]] = {}
    for d in dwellings:
        by_building.setdefault(d.building, []).append(d)
    factory = HouseholdFactory(cfg, geo.zones)
    waiting: list[Household] = []
    for b in buildings:
        site = site_of[b.id]
        if site.resident == "temporary":
            continue
        tenants |= _tenants(
            cfg, rng, site, by_building[b.id], lambda: f"T{next(counter):04d}", set(vacant)
        )
    waiting += _temporary_occupants(
        cfg, rng, factory, buildings, site_of, by_building, vacant, tenants, start
    )
    for k in range(len(waiting), cfg.households.initial_waiting):
        approved = start - dt.timedelta(days=_uniform_int(rng, cfg.households.initial_wait_days))
        h = factory.draw(rng, f"H{k + 1:04d}", approved)
        if h.situation.kind is SituationKind.temporary:
            since = start - dt.timedelta(days=_uniform_int(rng, cfg.households.temporary_days))
            h = h.model_copy(
                update={
                    "situation": h.situation.model_copy(
                        update={"since": max(since, approved - dt.timedelta(days=21))}
                    )
                }
            )
        waiting.append(h)

    residents = residents_of(buildings, dwellings, tenants)
    buildings = [b.model_copy(update={"residents": residents[b.id]}) for b in buildings]
    districts = [
        District(id=d.id, name=d.name, burden=d.burden, max_new_high_need=d.max_new_high_need)
        for d in cfg.districts
    ]
    return Municipality(
        config=cfg,
        seed=seed,
        start=start,
        districts=districts,
        buildings=buildings,
        dwellings=dwellings,
        tenants=tenants,
        vacant=vacant,
        waiting=waiting,
        school_access=_school_access(cfg, geo),
        site_of_building={b: s.site_id for b, s in site_of.items() if s.site_id},
        zones=geo.zones,
        home_districts={h.id: factory.home_districts[h.id] for h in waiting},
    )


def _day0_vacancies(
    cfg: MunicipalityConfig, rng: random.Random, dwellings: Sequence[Dwelling], start: dt.date
) -> dict[str, dt.date]:
    """Dwellings with notice given on day 0 (temporary ones are vacant when unoccupied)."""
    permanent = [d for d in dwellings if d.category is not Category.temporary]
    n = round(cfg.residents.vacancy_share * len(dwellings))
    low, high = cfg.flow.release_days
    return {
        d.id: start + dt.timedelta(days=rng.randint(-low, high))
        for d in sorted(rng.sample(permanent, k=min(n, len(permanent))), key=lambda d: d.id)
    }


def _temporary_occupants(
    cfg: MunicipalityConfig,
    rng: random.Random,
    factory: HouseholdFactory,
    buildings: Sequence[Building],
    site_of: Mapping[str, _Site],
    by_building: Mapping[str, list[Dwelling]],
    vacant: dict[str, dt.date],
    tenants: dict[str, Tenant],
    start: dt.date,
) -> list[Household]:
    """Temporary dwellings hold waiting single adults (R7 forbids families there); about
    one in six stands empty. Occupants fit the site's profile."""
    out: list[Household] = []
    shares = cfg.residents.temporary
    for b in buildings:
        if site_of[b.id].resident != "temporary":
            continue
        for d in by_building[b.id]:
            if rng.random() < 1 / 6:
                vacant[d.id] = start - dt.timedelta(days=rng.randint(0, 14))
                continue
            since = start - dt.timedelta(days=_uniform_int(rng, cfg.households.temporary_days))
            approved = since - dt.timedelta(days=rng.randint(0, 60))
            for _ in range(200):
                a = factory.archetype(rng)
                wanted = (b.profile is Profile.active_use) == (
                    a.substance.get(SubstanceUse.active, 0) >= 1
                )
                if not a.family and wanted:
                    break
            h = factory.draw(
                rng, f"H{len(out) + 1:04d}", approved, archetype=a, in_temporary_since=since
            )
            if b.profile is Profile.ordinary and h.substance_use is not SubstanceUse.none:
                h = h.model_copy(update={"substance_use": SubstanceUse.none})
            if rng.random() < shares.high_need and not h.high_need:
                h = h.model_copy(update={"high_need": True})
            out.append(h)
            tenants[d.id] = Tenant(h.id, h.high_need, h.substance_use, household=h.id)
    return out


# ======================================================================================
# Calibration: published figures against the generated municipality
# ======================================================================================


def special_counts(m: Municipality) -> dict[str, int]:
    """Dwellings per row of the published special-stock table (``published.special``).

    Rows roll up as in the 2014 table: staffed substance-use dwellings also count under
    ``substance_use``, each kind of temporary dwelling also under ``temporary``.
    """
    table_of = {s.id: s.table for s in m.config.stock.special}
    counts: dict[str, int] = {k: 0 for k in m.config.published.special}
    for d in m.dwellings:
        table = table_of.get(m.site_of_building.get(d.building, ""))
        if table is None:
            continue
        counts[table] = counts.get(table, 0) + 1
        if table == "substance_use_staffed":
            counts["substance_use"] = counts.get("substance_use", 0) + 1
        if table.startswith("temporary_"):
            counts["temporary"] = counts.get("temporary", 0) + 1
    return counts


def calibration_rows(m: Municipality) -> list[dict[str, Any]]:
    """(figure, published, generated) for the stock on day 0; the replay adds the flow."""
    p = m.config.published
    burden = {d.name: d.burden for d in m.districts}
    rows: list[dict[str, Any]] = [
        {"figure": "Kommunale boliger", "published": p.dwellings, "generated": len(m.dwellings)},
        {"figure": "Bygg", "published": "ca. 200", "generated": len(m.buildings)},
        {"figure": "Bydeler", "published": "8–10", "generated": len(m.districts)},
        {
            "figure": "Belastning, høyeste bydel",
            "published": "sentrum høy (Strømsø)",
            "generated": "{} {:.2f}".format(*max(burden.items(), key=lambda kv: kv[1])),
        },
        {
            "figure": "Belastning, laveste bydel",
            "published": "forstad lav (Konnerud)",
            "generated": "{} {:.2f}".format(*min(burden.items(), key=lambda kv: kv[1])),
        },
    ]
    labels = {
        "substance_use": "Rusboliger i alt",
        "substance_use_staffed": "  herav bemannet",
        "mental_illness_staffed": "Bemannet, psykisk helse",
        "developmental_adapted": "Tilrettelagt, utviklingshemming",
        "temporary": "Midlertidige boliger i alt",
        "temporary_active_use": "  for aktiv rus",
        "temporary_co_occurring": "  for ROP-lidelser",
        "temporary_ordinary": "  ordinære",
    }
    counts = special_counts(m)
    rows += [
        {"figure": labels.get(k, k), "published": v, "generated": counts.get(k, 0)}
        for k, v in p.special.items()
    ]
    rows += [
        {
            "figure": "Ventende husstander dag 0",
            "published": "{}–{}".format(*p.waiting),
            "generated": len(m.waiting),
        },
        {
            "figure": "Ledige boliger dag 0",
            "published": "{:g}–{:g}".format(*p.vacancies_per_week),
            "generated": len(m.vacant),
        },
    ]
    return rows


# ======================================================================================
# Output: the day-0 round as a normal Scenario
# ======================================================================================


def round_scenario(m: Municipality, policy: Policy | None = None) -> Scenario:
    """Day 0's round: the vacancies on the list and every waiting household.

    Buildings, districts and school access are the whole municipality's, so the round's
    spread and separation rules see every existing resident.
    """
    vacancies = [
        d.model_copy(update={"available_from": m.vacant[d.id]})
        for d in m.dwellings
        if d.id in m.vacant
    ]
    return Scenario(
        as_of=m.start,
        policy=policy or Policy(),
        districts=m.districts,
        buildings=m.buildings,
        dwellings=vacancies,
        households=m.waiting,
        school_access=m.school_access,
    )
