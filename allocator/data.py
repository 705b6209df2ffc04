"""Vectorised, immutable view of one round: the data the rules and the model read.

Dates become integer day numbers (``date.toordinal()``) so rules are array arithmetic.
Missing numbers are NaN (floats) or sentinel values documented per field. Decimal policy
numbers (shares, m² per person, weights) are taken as the decimals the user wrote
(`exact`), never as binary floats, so the model and the checker agree to the last unit.
Nothing in here knows about CP-SAT: data separate from model separate from solve. The
deadline clocks are defined by the rule families (allocator.rules.registry.CLOCKS); this
module only stores their per-household dates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from models.policy import Policy
from models.scenario import (
    Category,
    Household,
    Profile,
    Scenario,
    SubstanceUse,
    TransferReason,
)

NO_DAY = -(10**9)  # "no constraint" for optional dates (ready_from, deadlines)
CATEGORY_CODES = {c: i for i, c in enumerate(Category)}
PROFILE_CODES = {p: i for i, p in enumerate(Profile)}
SUBSTANCE_CODES = {s: i for i, s in enumerate(SubstanceUse)}
GENDER_CODES = {None: 0, "female": 1, "male": 2, "other": 3}
SITE_GENDER_CODES = {None: 0, "women": 1, "men": 2}
#: Stands for "no limit" in integer capacity arrays.
UNLIMITED = np.iinfo(np.int32).max


def day(value: dt.date) -> int:
    return value.toordinal()


def exact(value: float | int) -> Fraction:
    """The decimal a user wrote (``0.1`` is one tenth), not its binary approximation."""
    return Fraction(str(value))


def round_half_up(value: Fraction) -> int:
    """Rounding of objective points: halves go up (documented in docs/rules.md)."""
    return math.floor(value + Fraction(1, 2))


def bedrooms_needed(adults: int, minors: int, partner: bool) -> int:
    """R2: a single adult without children needs none; otherwise one for the main
    applicant (and partner), one for each further adult (adult children included) and one
    per two children."""
    if adults == 1 and minors == 0:
        return 0
    return 1 + (adults - 1 - int(partner)) + math.ceil(minors / 2)


def household_bedrooms_needed(h: Household) -> int:
    return bedrooms_needed(h.all_adults, h.minors, h.has_partner)


def ready_from(h: Household) -> dt.date | None:
    """R9: the household's own ready date, else its release date, else its arrival."""
    return h.ready_from or h.situation.release_on or h.situation.arrives_on


def stable_hash(*parts: str, bits: int = 16) -> int:
    """A fixed pseudo-random integer per key, used only to break exact ties."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") % (1 << bits)


@dataclass(frozen=True)
class Children:
    """One row per school-age child whose school must be kept (R4)."""

    household: np.ndarray  # household index
    lower_secondary: np.ndarray  # bool: compares the building's lower-secondary zone
    zone: np.ndarray  # zone index


@dataclass(frozen=True)
class RoundData:
    scenario: Scenario
    policy: Policy
    as_of: int
    household_ids: list[str]
    dwelling_ids: list[str]
    building_ids: list[str]
    district_ids: list[str]
    zone_ids: list[str]
    # households (length H)
    adults: np.ndarray  # adults including adult children
    n_children: np.ndarray  # children under 18
    persons: np.ndarray
    bedrooms_needed: np.ndarray
    applicant_age: np.ndarray
    applicant_gender: np.ndarray
    substance: np.ndarray
    high_need: np.ndarray
    priority: np.ndarray
    approved: np.ndarray
    ready: np.ndarray
    needs_wheelchair: np.ndarray
    needs_step_free: np.ndarray
    needs_staffed: np.ndarray
    needs_adapted: np.ndarray
    max_rent: np.ndarray  # inf when no limit
    family: np.ndarray
    # deadline clocks (allocator.rules.registry.CLOCKS), one at most per household
    clock: np.ndarray  # index into CLOCKS, -1 without a clock
    deadline: np.ndarray  # day by which the dwelling must be ready, NO_DAY without a clock
    due: np.ndarray  # past its deadline by the next round: a breach unless housed now
    ranked: np.ndarray  # the clock is switched on: tier 1 ranks its breaches
    clock_weight: np.ndarray  # deadlines.weights of the household's clock (0 without)
    housing_points: np.ndarray  # tier-2 weight of housing the household
    order: np.ndarray  # rank by (approved_on, id): the tie-break's serial order
    # dwellings (length D)
    d_building: np.ndarray
    d_district: np.ndarray
    rooms: np.ndarray  # float, NaN when unknown
    bedrooms: np.ndarray
    area: np.ndarray  # float, NaN when unknown
    area_persons: np.ndarray  # most persons the area holds uncrowded (exact); -1 unknown
    floor: np.ndarray  # float, NaN when unknown
    elevator: np.ndarray
    d_wheelchair: np.ndarray
    category: np.ndarray
    rent: np.ndarray
    ready_on: np.ndarray  # available_from + board_approval_days
    available: np.ndarray
    # buildings (length B)
    b_district: np.ndarray
    b_zone_primary: np.ndarray  # zone index, -1 when none
    b_zone_lower: np.ndarray
    b_units: np.ndarray
    b_high_need: np.ndarray
    b_active: np.ndarray
    b_recovery: np.ndarray
    b_profile: np.ndarray
    b_gender: np.ndarray
    b_min_age: np.ndarray  # -1 when none
    b_max_age: np.ndarray  # 10**6 when none
    # districts (length T)
    burden: np.ndarray
    max_new_high_need: np.ndarray  # -1 when none
    # zones
    travel: np.ndarray  # (Z, Z) minutes from building zone to child's zone, inf when none
    children: Children
    # transfers (R11): sitting tenants and the dwellings they hold
    current: np.ndarray  # per household: index of its current dwelling, -1 when none
    tenant: np.ndarray  # per dwelling: index of its tenant, -1 for a vacancy
    transfer_points: np.ndarray  # per household: tier-2 points of its transfer reason
    freed_points: np.ndarray  # per dwelling: tier-2 points when letting it (freed flat)
    # ids -> index
    household_index: dict[str, int] = field(repr=False, default_factory=dict)
    dwelling_index: dict[str, int] = field(repr=False, default_factory=dict)
    #: Arrays a rule family derives once per round (`derived`), e.g. a quota's groups.
    memo: dict[str, Any] = field(repr=False, default_factory=dict, compare=False)

    @property
    def H(self) -> int:
        return len(self.household_ids)

    @property
    def D(self) -> int:
        return len(self.dwelling_ids)

    @property
    def earliest_move_in(self) -> int:
        return self.as_of + self.policy.offer_lead_days

    @property
    def next_round_move_in(self) -> int:
        """The earliest move-in the next round could offer (the clocks' 'due' horizon)."""
        return self.as_of + self.policy.round_days + self.policy.offer_lead_days

    @property
    def ranked_due(self) -> np.ndarray:
        """Due households whose clock tier 1 ranks (switched on)."""
        return self.due & self.ranked

    @property
    def occupied(self) -> np.ndarray:
        """Per dwelling: a sitting tenant's dwelling (allocatable only if the tenant moves)."""
        return self.tenant >= 0

    @property
    def has_chains(self) -> bool:
        """The round has tenants who may move (transfers switched on)."""
        return bool(self.policy.transfers.enabled and (self.current >= 0).any())

    @property
    def has_clock(self) -> np.ndarray:
        return self.clock >= 0

    def derived(self, key: str, compute: Callable[[RoundData], Any]) -> Any:
        """`compute(self)`, once per round: rule families keep what they derive here."""
        if key not in self.memo:
            self.memo[key] = compute(self)
        return self.memo[key]


def _area_persons(area: float | None, min_area: Fraction) -> int:
    """R2 (b): the most persons living on `area` m² with at least `min_area` each."""
    if area is None:
        return -1
    return math.floor(exact(area) / min_area)


def build_round_data(scenario: Scenario) -> RoundData:
    """Flatten the scenario into arrays once; every rule then works on whole columns."""
    from allocator.rules.registry import clock_dates

    p = scenario.policy
    as_of = day(scenario.as_of)
    hs = scenario.households
    ds = scenario.dwellings
    bs = scenario.buildings
    ts = scenario.districts
    district_index = {t.id: i for i, t in enumerate(ts)}
    building_index = {b.id: i for i, b in enumerate(bs)}

    zones = sorted(
        {
            z
            for b in bs
            for z in (b.school_zone_primary, b.school_zone_lower_secondary)
            if z is not None
        }
        | {a.from_zone for a in scenario.school_access}
        | {a.to_zone for a in scenario.school_access}
        | {c.school_zone for h in hs for c in h.children if c.school_zone is not None}
    )
    zone_index = {z: i for i, z in enumerate(zones)}
    travel = np.full((len(zones), len(zones)), np.inf)
    np.fill_diagonal(travel, 0.0)
    if scenario.school_access:
        access = scenario.school_access
        np.minimum.at(
            travel,
            (
                np.array([zone_index[a.from_zone] for a in access], dtype=np.int64),
                np.array([zone_index[a.to_zone] for a in access], dtype=np.int64),
            ),
            np.array([a.minutes for a in access], dtype=float),
        )

    w = p.weights
    active_high = p.spread.active_use_is_high_need
    clocks = clock_dates(scenario)

    ready = []
    for h in hs:
        r = ready_from(h)
        ready.append(day(r) if r else NO_DAY)

    order_keys = sorted(range(len(hs)), key=lambda i: (hs[i].approved_on, hs[i].id))
    order = np.empty(len(hs), dtype=np.int64)
    order[order_keys] = np.arange(len(hs))

    kept_h, kept_lower, kept_zone = [], [], []
    if p.school.mode == "hard":
        for i, h in enumerate(hs):
            for c in h.children:
                if (
                    c.keep_school
                    and c.school_zone is not None
                    and p.school.min_age <= c.age <= p.school.max_age
                ):
                    kept_h.append(i)
                    kept_lower.append(c.age > p.school.primary_max_age)
                    kept_zone.append(zone_index[c.school_zone])

    def arr(values: list, dtype: type = np.int64) -> np.ndarray:
        return np.array(values, dtype=dtype)

    def opt_float(values: list) -> np.ndarray:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)

    waiting = np.minimum(
        np.array([(scenario.as_of - h.approved_on).days for h in hs], dtype=np.int64),
        w.waiting_cap_days,
    )
    priority = arr([h.priority for h in hs])
    housing_points = (
        np.array([w.priority_points[int(q)] for q in priority], dtype=np.int64)
        + w.waiting_points_per_day * waiting
    )
    min_area = exact(p.occupancy.min_area_per_person)
    minors = arr([h.minors for h in hs])
    persons = arr([h.persons for h in hs])
    dwelling_index = {d.id: i for i, d in enumerate(ds)}
    # A tenant whose dwelling is not in this round (validation refuses that for a loaded
    # scenario; reduced rounds built in code, e.g. the equal-treatment audit's, drop
    # dwellings) keeps its transfer points but frees nothing here.
    current = arr([dwelling_index.get(h.current_dwelling or "", -1) for h in hs])
    tenant = np.full(len(ds), -1, dtype=np.int64)
    tenant[current[current >= 0]] = np.flatnonzero(current >= 0)
    tw = p.transfers.weights
    transfer_points = arr(
        [0 if h.transfer_reason is None else int(getattr(tw, h.transfer_reason.value)) for h in hs]
    )
    under = arr([h.transfer_reason is TransferReason.under_occupying for h in hs], bool)
    freed_points = np.where(
        (tenant >= 0) & under[np.maximum(tenant, 0)], p.transfers.under_occupying_freed, 0
    ).astype(np.int64)
    if not p.transfers.enabled:
        transfer_points[:] = 0

    return RoundData(
        scenario=scenario,
        policy=p,
        as_of=as_of,
        household_ids=[h.id for h in hs],
        dwelling_ids=[d.id for d in ds],
        building_ids=[b.id for b in bs],
        district_ids=[t.id for t in ts],
        zone_ids=zones,
        adults=persons - minors,  # Household.all_adults: adult children count as adults
        n_children=minors,
        persons=persons,
        bedrooms_needed=arr(
            [
                bedrooms_needed(a, m, h.has_partner)
                for h, a, m in zip(hs, (persons - minors).tolist(), minors.tolist(), strict=True)
            ]
        ),
        applicant_age=arr([h.main_applicant.age for h in hs]),
        applicant_gender=arr([GENDER_CODES[h.main_applicant.gender] for h in hs]),
        substance=arr([SUBSTANCE_CODES[h.substance_use] for h in hs]),
        high_need=arr(
            [h.high_need or (active_high and h.substance_use is SubstanceUse.active) for h in hs],
            bool,
        ),
        priority=priority,
        approved=arr([day(h.approved_on) for h in hs]),
        ready=arr(ready),
        needs_wheelchair=arr([h.needs.wheelchair for h in hs], bool),
        needs_step_free=arr([h.needs.step_free for h in hs], bool),
        needs_staffed=arr([h.needs.staffed for h in hs], bool),
        needs_adapted=arr([h.needs.adapted for h in hs], bool),
        max_rent=np.array([np.inf if h.max_rent is None else h.max_rent for h in hs], float),
        family=arr([h.is_family for h in hs], bool),
        clock=clocks.clock,
        deadline=clocks.deadline,
        due=(clocks.clock >= 0) & (clocks.deadline < as_of + p.round_days + p.offer_lead_days),
        ranked=clocks.ranked,
        clock_weight=clocks.weight,
        housing_points=housing_points + transfer_points,
        order=order,
        d_building=arr([building_index[d.building] for d in ds]),
        d_district=arr([district_index[bs[building_index[d.building]].district] for d in ds]),
        rooms=opt_float([d.rooms for d in ds]),
        bedrooms=arr([d.bedrooms for d in ds]),
        area=opt_float([d.area_m2 for d in ds]),
        area_persons=arr([_area_persons(d.area_m2, min_area) for d in ds]),
        floor=opt_float([d.floor for d in ds]),
        elevator=arr([d.elevator for d in ds], bool),
        d_wheelchair=arr([d.wheelchair for d in ds], bool),
        category=arr([CATEGORY_CODES[d.category] for d in ds]),
        rent=arr([d.rent for d in ds], float),
        ready_on=arr([day(d.available_from) + d.board_approval_days for d in ds]),
        available=arr([day(d.available_from) for d in ds]),
        b_district=arr([district_index[b.district] for b in bs]),
        b_zone_primary=arr(
            [zone_index.get(b.school_zone_primary, -1) if b.school_zone_primary else -1 for b in bs]
        ),
        b_zone_lower=arr(
            [
                zone_index.get(b.school_zone_lower_secondary, -1)
                if b.school_zone_lower_secondary
                else -1
                for b in bs
            ]
        ),
        b_units=arr([b.units for b in bs]),
        b_high_need=arr([b.residents.high_need for b in bs]),
        b_active=arr([b.residents.active for b in bs]),
        b_recovery=arr([b.residents.recovery for b in bs]),
        b_profile=arr([PROFILE_CODES[b.profile] for b in bs]),
        b_gender=arr([SITE_GENDER_CODES[b.gender] for b in bs]),
        b_min_age=arr([-1 if b.min_age is None else b.min_age for b in bs]),
        b_max_age=arr([10**6 if b.max_age is None else b.max_age for b in bs]),
        burden=arr([t.burden for t in ts], float),
        max_new_high_need=arr(
            [-1 if t.max_new_high_need is None else t.max_new_high_need for t in ts]
        ),
        travel=travel,
        children=Children(arr(kept_h), arr(kept_lower, bool), arr(kept_zone)),
        current=current,
        tenant=tenant,
        transfer_points=transfer_points,
        freed_points=freed_points,
        household_index={h.id: i for i, h in enumerate(hs)},
        dwelling_index=dwelling_index,
    )
