"""Vectorised, immutable view of one round: the data the rules and the model read.

Dates become integer day numbers (``date.toordinal()``) so rules are array arithmetic.
Missing numbers are NaN (floats) or sentinel values documented per field. Nothing in
here knows about CP-SAT: data separate from model separate from solve.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from models.policy import Policy
from models.scenario import Category, Profile, Scenario, SituationKind, SubstanceUse

NO_DAY = -(10**9)  # "no constraint" for optional dates (ready_from)
CATEGORY_CODES = {c: i for i, c in enumerate(Category)}
PROFILE_CODES = {p: i for i, p in enumerate(Profile)}
SUBSTANCE_CODES = {s: i for i, s in enumerate(SubstanceUse)}
GENDER_CODES = {None: 0, "female": 1, "male": 2, "other": 3}
SITE_GENDER_CODES = {None: 0, "women": 1, "men": 2}


def day(value: dt.date) -> int:
    return value.toordinal()


def bedrooms_needed(adults: int, children: int) -> int:
    """R2: a single adult needs none; a couple shares one; further adults one each;
    two children share one."""
    if adults == 1 and children == 0:
        return 0
    return 1 + max(0, adults - 2) + math.ceil(children / 2)


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
    adults: np.ndarray
    n_children: np.ndarray
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
    deadline: np.ndarray  # NO_DAY when not a family in temporary housing
    due: np.ndarray  # family past its deadline by the next round: a breach unless housed
    ranked_due: np.ndarray  # the due families tier 1 ranks first (none when R7 is off)
    housing_points: np.ndarray  # tier-2 weight of housing the household
    order: np.ndarray  # rank by (approved_on, id): tie-breaking
    # dwellings (length D)
    d_building: np.ndarray
    d_district: np.ndarray
    rooms: np.ndarray  # float, NaN when unknown
    bedrooms: np.ndarray
    area: np.ndarray  # float, NaN when unknown
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
    b_scope: np.ndarray  # separation scope index
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
    # ids -> index
    household_index: dict[str, int] = field(repr=False, default_factory=dict)
    dwelling_index: dict[str, int] = field(repr=False, default_factory=dict)

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
        """The earliest move-in the next round could offer (R7's 'due' horizon)."""
        return self.as_of + self.policy.round_days + self.policy.offer_lead_days

    def building_cap(self) -> np.ndarray:
        """R5: max(min_cap, floor(share * units)) per building."""
        s = self.policy.spread
        return np.maximum(
            s.building_min_cap,
            np.floor(s.building_max_share * self.b_units + 1e-9).astype(np.int64),
        )


def build_round_data(scenario: Scenario) -> RoundData:
    """Flatten the scenario into arrays once; every rule then works on whole columns."""
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
    for a in scenario.school_access:
        i, j = zone_index[a.from_zone], zone_index[a.to_zone]
        travel[i, j] = min(travel[i, j], a.minutes)

    scope_key = [
        (b.cluster if p.separation.scope == "cluster" and b.cluster else f"building:{b.id}")
        for b in bs
    ]
    scope_index = {k: i for i, k in enumerate(dict.fromkeys(scope_key))}

    w = p.weights
    active_high = p.spread.active_use_is_high_need
    deadlines = []
    for h in hs:
        in_temp = h.situation.kind is SituationKind.temporary and h.situation.since is not None
        if h.is_family and in_temp:
            assert h.situation.since is not None
            deadlines.append(day(h.situation.since) + p.temporary.max_days)
        else:
            deadlines.append(NO_DAY)
    deadline = np.array(deadlines, dtype=np.int64)
    next_round = as_of + p.round_days + p.offer_lead_days
    due = (deadline != NO_DAY) & (deadline < next_round)

    ready = []
    for h in hs:
        r = h.ready_from or h.situation.release_on
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

    return RoundData(
        scenario=scenario,
        policy=p,
        as_of=as_of,
        household_ids=[h.id for h in hs],
        dwelling_ids=[d.id for d in ds],
        building_ids=[b.id for b in bs],
        district_ids=[t.id for t in ts],
        zone_ids=zones,
        adults=arr([h.adults for h in hs]),
        n_children=arr([len(h.children) for h in hs]),
        persons=arr([h.persons for h in hs]),
        bedrooms_needed=arr([bedrooms_needed(h.adults, len(h.children)) for h in hs]),
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
        deadline=deadline,
        due=due,
        ranked_due=due if p.temporary.mode == "hard" else np.zeros_like(due),
        housing_points=housing_points,
        order=order,
        d_building=arr([building_index[d.building] for d in ds]),
        d_district=arr([district_index[bs[building_index[d.building]].district] for d in ds]),
        rooms=opt_float([d.rooms for d in ds]),
        bedrooms=arr([d.bedrooms for d in ds]),
        area=opt_float([d.area_m2 for d in ds]),
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
        b_scope=arr([scope_index[k] for k in scope_key]),
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
        household_index={h.id: i for i, h in enumerate(hs)},
        dwelling_index={d.id: i for i, d in enumerate(ds)},
    )
