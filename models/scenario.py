"""The scenario: one allocation round's districts, buildings, vacancies and households.

Field names follow DOMAIN.md §5 (the data contract). Records validate on their own;
`reference_problems` checks what only the whole scenario can tell (unknown ids,
duplicates, dates against the round date). Ids are pseudonymous strings: no names,
national identity numbers or diagnoses are needed or stored.

Every number and date has a range (docs/hardening.md lists them): wide enough for any
Norwegian municipality, narrow enough that the solver's day arithmetic stays in the
calendar and each pair's objective weight stays far inside 64 bits (allocator.limits
checks the sums per round).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from models.policy import Policy
from models.problems import Problem


def _as_id(value: Any) -> Any:
    """Spreadsheets turn ids like 1001 into numbers; ids are strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip()
    return value


def _storable(value: str) -> str:
    """Ids travel into files, hashes and databases: no control characters, no lone
    surrogates (which UTF-8 cannot store)."""
    if any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("an id without control characters or lone surrogates")
    return value


Id = Annotated[str, BeforeValidator(_as_id), Field(min_length=1, max_length=64),
               AfterValidator(_storable)]

#: The calendar the rules compute in: day arithmetic (as_of + round_days +
#: offer_lead_days + temporary.max_days ...) stays far inside Python's dates (year 9999).
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
Day = Annotated[dt.date, Field(ge=FIRST_DATE, le=LAST_DATE)]
#: Largest count of units, residents or placements (no building or district comes close).
MAX_COUNT = 100_000


class Category(str, Enum):
    ordinary = "ordinary"
    temporary = "temporary"
    staffed = "staffed"
    adapted = "adapted"
    youth = "youth"


class Profile(str, Enum):
    ordinary = "ordinary"
    active_use = "active_use"
    recovery = "recovery"


class SubstanceUse(str, Enum):
    none = "none"
    active = "active"
    recovery = "recovery"


class SituationKind(str, Enum):
    homeless = "homeless"
    temporary = "temporary"
    institution = "institution"
    prison = "prison"
    crisis_centre = "crisis_centre"
    unsuitable = "unsuitable"
    other = "other"


Gender = Literal["female", "male", "other"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class District(Record):
    id: Id
    name: str = ""
    burden: float = Field(0.0, ge=0, le=1, description="Living-condition burden index.")
    max_new_high_need: int | None = Field(None, ge=0, le=MAX_COUNT)


class Residents(Record):
    """Existing residents of a building, counted for spread and separation."""

    high_need: int = Field(0, ge=0, le=MAX_COUNT)
    active: int = Field(0, ge=0, le=MAX_COUNT)
    recovery: int = Field(0, ge=0, le=MAX_COUNT)


class Building(Record):
    id: Id
    district: Id
    school_zone_primary: Id | None = None
    school_zone_lower_secondary: Id | None = None
    cluster: Id | None = None
    units: int = Field(..., ge=1, le=MAX_COUNT)
    residents: Residents = Field(default_factory=Residents)
    profile: Profile = Profile.ordinary
    gender: Literal["women", "men"] | None = None
    min_age: int | None = Field(None, ge=0, le=120)
    max_age: int | None = Field(None, ge=0, le=120)

    @model_validator(mode="after")
    def _consistent(self) -> Building:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age} is above max_age {self.max_age}")
        if self.residents.high_need > self.units:
            raise ValueError(
                f"residents.high_need {self.residents.high_need} exceeds units {self.units}"
            )
        return self


class Dwelling(Record):
    id: Id
    building: Id
    rooms: int | None = Field(None, ge=1, le=30)
    bedrooms: int = Field(..., ge=0, le=20)
    area_m2: float | None = Field(None, gt=0, le=1000)
    floor: int | None = Field(None, ge=-5, le=100)
    elevator: bool = False
    wheelchair: bool = False
    category: Category = Category.ordinary
    rent: float = Field(..., ge=0, le=200_000)
    available_from: Day
    board_approval_days: int = Field(0, ge=0, le=365)

    @model_validator(mode="after")
    def _rooms_hold_bedrooms(self) -> Dwelling:
        if self.rooms is not None and self.bedrooms > self.rooms:
            raise ValueError(f"bedrooms {self.bedrooms} exceed rooms {self.rooms}")
        return self


class Child(Record):
    age: int = Field(..., ge=0, le=17)
    school_zone: Id | None = None
    keep_school: bool = True


class MainApplicant(Record):
    age: int = Field(..., ge=15, le=120)
    gender: Gender | None = None


class Needs(Record):
    wheelchair: bool = False
    step_free: bool = False
    staffed: bool = False
    adapted: bool = False


class Situation(Record):
    kind: SituationKind = SituationKind.other
    since: Day | None = None
    release_on: Day | None = None

    @model_validator(mode="after")
    def _dates(self) -> Situation:
        if self.kind is SituationKind.temporary and self.since is None:
            raise ValueError("a household in temporary housing needs 'since' (R7 clock)")
        if self.since and self.release_on and self.release_on < self.since:
            raise ValueError(f"release_on {self.release_on} is before since {self.since}")
        return self


class Household(Record):
    id: Id
    approved_on: Day
    adults: int = Field(1, ge=1, le=12)
    children: list[Child] = Field(default_factory=list)
    main_applicant: MainApplicant
    needs: Needs = Field(default_factory=Needs)
    substance_use: SubstanceUse = SubstanceUse.none
    high_need: bool = False
    situation: Situation = Field(default_factory=Situation)
    priority: int = Field(2, ge=1, le=3)
    excluded_districts: list[Id] = Field(default_factory=list)
    acceptable_districts: list[Id] | None = None
    preferred_districts: list[Id] = Field(default_factory=list)
    max_rent: float | None = Field(None, ge=0, le=1_000_000)
    ready_from: Day | None = None

    @property
    def persons(self) -> int:
        return self.adults + len(self.children)

    @property
    def is_family(self) -> bool:
        """A family has at least one child under 18 (R7)."""
        return len(self.children) > 0

    @model_validator(mode="after")
    def _wishes_consistent(self) -> Household:
        clash = set(self.preferred_districts) & set(self.excluded_districts)
        if clash:
            raise ValueError(f"districts {sorted(clash)} are both preferred and excluded")
        if len(set(self.preferred_districts)) != len(self.preferred_districts):
            raise ValueError("preferred_districts lists a district twice")
        return self


class SchoolAccess(Record):
    from_zone: Id
    to_zone: Id
    minutes: int = Field(..., ge=0, le=600)


class PinnedPair(Record):
    household: Id
    dwelling: Id
    reason: str = ""


class ForbiddenPair(Record):
    household: Id
    dwelling: Id
    reason: str = Field(..., min_length=1)


class Locks(Record):
    pinned: list[PinnedPair] = Field(default_factory=list)
    forbidden: list[ForbiddenPair] = Field(default_factory=list)


class Scenario(Record):
    """One round: the data contract's canonical tree."""

    as_of: Day
    policy: Policy = Field(default_factory=Policy)
    districts: list[District] = Field(default_factory=list)
    buildings: list[Building] = Field(default_factory=list)
    dwellings: list[Dwelling] = Field(default_factory=list)
    households: list[Household] = Field(default_factory=list)
    school_access: list[SchoolAccess] = Field(default_factory=list)
    locks: Locks = Field(default_factory=Locks)

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get("skip_references"):
            return self
        problems = reference_problems(self)
        if problems:
            raise ValueError("; ".join(p.render() for p in problems))
        return self

    # Lookups used everywhere; cheap to rebuild, so not cached on a frozen model.
    def district_by_id(self) -> dict[str, District]:
        return {d.id: d for d in self.districts}

    def building_by_id(self) -> dict[str, Building]:
        return {b.id: b for b in self.buildings}

    def dwelling_by_id(self) -> dict[str, Dwelling]:
        return {d.id: d for d in self.dwellings}

    def household_by_id(self) -> dict[str, Household]:
        return {h.id: h for h in self.households}


def _duplicates(table: str, ids: list[str]) -> list[Problem]:
    counts = Counter(ids)
    seen: set[str] = set()
    problems = []
    for index, id_ in enumerate(ids):
        if counts[id_] > 1:
            if id_ in seen:
                problems.append(
                    Problem(table=table, index=index, field="id", value=id_,
                            expected="an id not used by another row of the same table")
                )
            seen.add(id_)
    return problems


def reference_problems(s: Scenario) -> list[Problem]:
    """Problems only the whole scenario reveals: ids, cross-references, dates vs. as_of."""
    problems: list[Problem] = []
    for table, rows in (("districts", s.districts), ("buildings", s.buildings),
                        ("dwellings", s.dwellings), ("households", s.households)):
        problems += _duplicates(table, [r.id for r in rows])

    districts = {d.id for d in s.districts}
    buildings = {b.id for b in s.buildings}
    dwellings = {d.id for d in s.dwellings}
    households = {h.id for h in s.households}
    zones = {z for b in s.buildings for z in (b.school_zone_primary, b.school_zone_lower_secondary)
             if z is not None}
    zones |= {a.from_zone for a in s.school_access} | {a.to_zone for a in s.school_access}

    def unknown(table: str, index: int, field: str, value: str, known: set[str], what: str) -> None:
        if value not in known:
            problems.append(Problem(table=table, index=index, field=field, value=value,
                                    expected=f"the id of a {what} in the scenario"))

    for i, b in enumerate(s.buildings):
        unknown("buildings", i, "district", b.district, districts, "district")
    for i, d in enumerate(s.dwellings):
        unknown("dwellings", i, "building", d.building, buildings, "building")
    for i, h in enumerate(s.households):
        for field in ("excluded_districts", "preferred_districts"):
            for d_id in getattr(h, field):
                unknown("households", i, field, d_id, districts, "district")
        for d_id in h.acceptable_districts or []:
            unknown("households", i, "acceptable_districts", d_id, districts, "district")
        for k, child in enumerate(h.children):
            if child.school_zone is not None:
                unknown("households", i, f"children[{k}].school_zone", child.school_zone, zones,
                        "school zone (of a building or in school_access)")
        if h.approved_on > s.as_of:
            problems.append(Problem(table="households", index=i, field="approved_on",
                                    value=str(h.approved_on),
                                    expected=f"a date on or before as_of {s.as_of}"))
        if h.situation.since is not None and h.situation.since > s.as_of:
            problems.append(Problem(table="households", index=i, field="situation.since",
                                    value=str(h.situation.since),
                                    expected=f"a date on or before as_of {s.as_of}"))
    for i, p in enumerate(s.locks.pinned):
        unknown("locks.pinned", i, "household", p.household, households, "household")
        unknown("locks.pinned", i, "dwelling", p.dwelling, dwellings, "dwelling")
    for i, f in enumerate(s.locks.forbidden):
        unknown("locks.forbidden", i, "household", f.household, households, "household")
        unknown("locks.forbidden", i, "dwelling", f.dwelling, dwellings, "dwelling")

    pinned_pairs = {(p.household, p.dwelling) for p in s.locks.pinned}
    for i, f in enumerate(s.locks.forbidden):
        if (f.household, f.dwelling) in pinned_pairs:
            problems.append(Problem(table="locks.forbidden", index=i, field="dwelling",
                                    value=f.dwelling, expected="a pair that is not also pinned"))
    for field in ("household", "dwelling"):
        counts = Counter(getattr(p, field) for p in s.locks.pinned)
        for i, p in enumerate(s.locks.pinned):
            if counts[getattr(p, field)] > 1:
                problems.append(Problem(table="locks.pinned", index=i, field=field,
                                        value=getattr(p, field),
                                        expected=f"each {field} pinned at most once"))
    return problems
