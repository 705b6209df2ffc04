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
from models.problems import Problem, inconsistent


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


Id = Annotated[
    str, BeforeValidator(_as_id), Field(min_length=1, max_length=64), AfterValidator(_storable)
]

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
    refugee = "refugee"
    other = "other"


#: Households without a home of their own who may be placed in temporary housing while
#: they wait (their 3-month clock, R7, then starts): the look-ahead's `temporary_entry_per_week`.
ENTERS_TEMPORARY = (SituationKind.homeless, SituationKind.crisis_centre)

Gender = Literal["female", "male", "other"]


class TransferReason(str, Enum):
    """Why a sitting tenant applies to move (transfers and vacancy chains, issue 15)."""

    overcrowded = "overcrowded"
    under_occupying = "under_occupying"
    needs = "needs"
    safety = "safety"
    step_down_from_staffed = "step_down_from_staffed"
    other = "other"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    def __eq__(self, other: object) -> bool:
        # Records are frozen and fields left out share their default instance: the
        # identity test spares the field-by-field comparison that `exclude_defaults`
        # (the input hash) would make for every household.
        return self is other or super().__eq__(other)

    __hash__ = BaseModel.__hash__


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
    residents: Residents = Residents()
    profile: Profile = Profile.ordinary
    gender: Literal["women", "men"] | None = None
    min_age: int | None = Field(None, ge=0, le=120)
    max_age: int | None = Field(None, ge=0, le=120)

    @model_validator(mode="after")
    def _consistent(self) -> Building:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise inconsistent(
                f"min_age {self.min_age} er høyere enn max_age {self.max_age}",
                "min_age",
                "max_age",
                value=self.min_age,
            )
        if self.residents.high_need > self.units:
            raise inconsistent(
                f"residents.high_need {self.residents.high_need} er flere enn units {self.units}",
                "residents.high_need",
                "units",
                value=self.residents.high_need,
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
    occupied: bool = Field(
        False,
        description="A sitting tenant's current dwelling (the household whose "
        "current_dwelling it is): allocatable only if that tenant moves this round, "
        "policy.transfers.turnover_days after the tenant's move-in (issue 15).",
    )

    @model_validator(mode="after")
    def _rooms_hold_bedrooms(self) -> Dwelling:
        if self.rooms is not None and self.bedrooms > self.rooms:
            raise inconsistent(
                f"bedrooms {self.bedrooms} er flere enn rooms {self.rooms}",
                "bedrooms",
                "rooms",
                value=self.bedrooms,
            )
        return self


#: Children under this age make a family (R7); older children living at home are adults.
ADULT_AGE = 18


class Child(Record):
    """A child living with the household. One aged 18 or more counts as an adult for the
    bedroom need (R2) and does not make the household a family (R7)."""

    age: int = Field(..., ge=0, le=40)
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
    """Where the household lives now; three kinds start a deadline clock (docs/rules.md):
    temporary housing (`since`), prison or institution (`release_on`), and refugees the
    municipality has agreed to receive (`arrives_on`)."""

    kind: SituationKind = SituationKind.other
    since: Day | None = None
    release_on: Day | None = None
    arrives_on: Day | None = Field(
        None, description="Refugees: the date the municipality has agreed to receive them."
    )

    @model_validator(mode="after")
    def _dates(self) -> Situation:
        if self.kind is SituationKind.temporary and self.since is None:
            raise inconsistent(
                "kind temporary (midlertidig botilbud) trenger since: "
                "datoen fristen (R7) regnes fra",
                "since",
                "kind",
                value=self.kind.value,
            )
        if self.since and self.release_on and self.release_on < self.since:
            raise inconsistent(
                f"release_on {self.release_on:%d.%m.%Y} er før since {self.since:%d.%m.%Y}",
                "release_on",
                "since",
                value=self.release_on.isoformat(),
            )
        if self.arrives_on is not None and self.kind is not SituationKind.refugee:
            raise inconsistent(
                f"arrives_on gjelder bare kind refugee, ikke {self.kind.value}",
                "arrives_on",
                "kind",
                value=self.arrives_on.isoformat(),
            )
        return self


class Transfer(Record):
    """A sitting tenant's transfer application (the household's `current_dwelling`)."""

    reason: TransferReason = TransferReason.other


class Household(Record):
    id: Id
    approved_on: Day
    adults: int = Field(1, ge=1, le=12)
    children: list[Child] = Field(default_factory=list)
    main_applicant: MainApplicant
    needs: Needs = Needs()
    substance_use: SubstanceUse = SubstanceUse.none
    high_need: bool = False
    situation: Situation = Situation()
    priority: int = Field(2, ge=1, le=3)
    excluded_districts: list[Id] = Field(default_factory=list)
    acceptable_districts: list[Id] | None = None
    preferred_districts: list[Id] = Field(default_factory=list)
    max_rent: float | None = Field(None, ge=0, le=1_000_000)
    ready_from: Day | None = None
    partner: bool | None = Field(
        None,
        description="The main applicant lives with a partner who shares the main bedroom "
        "(R2). Omitted: true when adults >= 2.",
    )
    current_dwelling: Id | None = Field(
        None,
        description="A sitting tenant: the municipal dwelling the household holds now "
        "(listed in dwellings with occupied: true). It is freed only if the household "
        "moves this round.",
    )
    transfer: Transfer | None = Field(
        None, description="The tenant's transfer application; needs current_dwelling."
    )

    @property
    def persons(self) -> int:
        return self.adults + len(self.children)

    @property
    def minors(self) -> int:
        """Children under 18."""
        return sum(1 for c in self.children if c.age < ADULT_AGE)

    @property
    def all_adults(self) -> int:
        """Adults, counting children aged 18 or more (R2: adult children are adults)."""
        return self.adults + len(self.children) - self.minors

    @property
    def has_partner(self) -> bool:
        """R2: `partner`, or by default true when the household has two or more adults."""
        return self.adults >= 2 if self.partner is None else self.partner

    @property
    def is_family(self) -> bool:
        """A family has at least one child under 18 (R7)."""
        return self.minors > 0

    @property
    def is_tenant(self) -> bool:
        """A sitting tenant applying for a transfer (issue 15)."""
        return self.current_dwelling is not None

    @property
    def transfer_reason(self) -> TransferReason | None:
        if self.current_dwelling is None:
            return None
        return self.transfer.reason if self.transfer is not None else TransferReason.other

    @model_validator(mode="after")
    def _wishes_consistent(self) -> Household:
        if self.transfer is not None and self.current_dwelling is None:
            raise inconsistent(
                "transfer er gitt, men current_dwelling mangler: en byttesøknad gjelder "
                "en leietaker i en kommunal bolig",
                "transfer.reason",
                "current_dwelling",
                value=self.transfer.reason.value,
            )
        clash = set(self.preferred_districts) & set(self.excluded_districts)
        if clash:
            raise inconsistent(
                "preferred_districts og excluded_districts inneholder begge "
                + ", ".join(sorted(clash)),
                "preferred_districts",
                "excluded_districts",
                value=sorted(clash),
            )
        if len(set(self.preferred_districts)) != len(self.preferred_districts):
            twice = sorted(
                {d for d in self.preferred_districts if self.preferred_districts.count(d) > 1}
            )
            raise inconsistent(
                "preferred_districts nevner " + ", ".join(twice) + " mer enn én gang",
                "preferred_districts",
                value=twice,
            )
        if self.partner and self.adults < 2:
            raise inconsistent(
                "partner er true, men adults er 1: partneren er en av de voksne",
                "partner",
                "adults",
                value=True,
            )
        return self


class SchoolZone(Record):
    """A primary school zone (skolekrets); buildings name it in `school_zone_primary`.
    Oslo's 2024 regulation weighs school zones with much municipal housing: new high-need
    placements in one zone per round stay within `max_new_high_need` (R5)."""

    id: Id
    name: str = ""
    max_new_high_need: int | None = Field(None, ge=0, le=MAX_COUNT)


class ExpectedVacancy(Dwelling):
    """A dwelling known to become vacant (notice given, lease ending, new build or
    purchase): `available_from` is the expected date. Read by the look-ahead policy."""

    certainty: float = Field(1.0, gt=0, le=1, description="Probability that it frees then.")


class ExpectedHousehold(Household):
    """A household known to join the waiting list on `joins_on` (approval expected, entry
    into temporary housing, release, refugee arrival). Read by the look-ahead policy."""

    joins_on: Day
    certainty: float = Field(1.0, gt=0, le=1, description="Probability that it joins then.")


class VacancyRate(Record):
    """Vacancies of one kind expected per week, for what is not known yet (estimated from
    the municipality's own history: `allocator estimate-rates`). A sampled vacancy is a
    dwelling like `dwelling` (its building, size, category, rent), free `notice_days` after
    the round that lists it."""

    dwelling: Dwelling
    per_week: float = Field(..., gt=0, le=50)
    notice_days: int = Field(30, ge=0, le=365)


class ArrivalRate(Record):
    """Households of one kind expected to join the list per week, with a deadline clock
    `deadline_after_days` after joining (a release from prison or an institution, a
    refugee's agreed arrival). Households without a clock in the coming weeks are not
    forecast: the look-ahead plans for deadlines only."""

    household: Household
    per_week: float = Field(..., gt=0, le=50)
    deadline_after_days: int = Field(..., ge=0, le=730)


class Forecast(Record):
    """Rates for what is not known, read by the look-ahead policy (`policy.lookahead`)."""

    vacancies: list[VacancyRate] = Field(default_factory=list)
    arrivals: list[ArrivalRate] = Field(default_factory=list)
    temporary_entry_per_week: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Weekly probability that a family on the list without a home "
        "(situation homeless or crisis_centre) is placed in temporary housing, which starts "
        "its 3-month clock (R7).",
    )
    history_weeks: int | None = Field(
        None, ge=1, le=5200, description="Weeks the rates were estimated from (for the record)."
    )


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
    school_zones: list[SchoolZone] = Field(default_factory=list)
    locks: Locks = Field(default_factory=Locks)
    expected_vacancies: list[ExpectedVacancy] = Field(default_factory=list)
    expected_households: list[ExpectedHousehold] = Field(default_factory=list)
    forecast: Forecast | None = None

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


def _duplicates(*tables: tuple[str, list[str]]) -> list[Problem]:
    """Every row whose id an earlier row (of these tables, in order) already uses."""
    counts = Counter(id_ for _, ids in tables for id_ in ids)
    seen: set[str] = set()
    problems = []
    names = " or ".join(dict.fromkeys(table for table, _ in tables))
    for table, ids in tables:
        for index, id_ in enumerate(ids):
            if counts[id_] > 1:
                if id_ in seen:
                    problems.append(
                        Problem(
                            table=table,
                            index=index,
                            field="id",
                            value=id_,
                            expected=f"an id not used by another row of {names}",
                        )
                    )
                seen.add(id_)
    return problems


def reference_problems(s: Scenario) -> list[Problem]:
    """Problems only the whole scenario reveals: ids, cross-references, dates vs. as_of."""
    problems: list[Problem] = []
    for table, rows in (
        ("districts", s.districts),
        ("buildings", s.buildings),
        ("school_zones", s.school_zones),
    ):
        problems += _duplicates((table, [r.id for r in rows]))
    # Known future vacancies and households share the id space of this round's.
    problems += _duplicates(
        ("dwellings", [d.id for d in s.dwellings]),
        ("expected_vacancies", [d.id for d in s.expected_vacancies]),
    )
    problems += _duplicates(
        ("households", [h.id for h in s.households]),
        ("expected_households", [h.id for h in s.expected_households]),
    )

    districts = {d.id for d in s.districts}
    buildings = {b.id for b in s.buildings}
    dwellings = {d.id for d in s.dwellings}
    households = {h.id for h in s.households}
    zones = {
        z
        for b in s.buildings
        for z in (b.school_zone_primary, b.school_zone_lower_secondary)
        if z is not None
    }
    zones |= {a.from_zone for a in s.school_access} | {a.to_zone for a in s.school_access}

    def unknown(table: str, index: int, field: str, value: str, known: set[str], what: str) -> None:
        if value not in known:
            problems.append(
                Problem(
                    table=table,
                    index=index,
                    field=field,
                    value=value,
                    expected=f"the id of a {what} in the scenario",
                )
            )

    school_zones = {z.id for z in s.school_zones}
    for i, b in enumerate(s.buildings):
        unknown("buildings", i, "district", b.district, districts, "district")
        if school_zones and b.school_zone_primary is not None:
            unknown(
                "buildings",
                i,
                "school_zone_primary",
                b.school_zone_primary,
                school_zones,
                "school zone in school_zones",
            )
    for i, d in enumerate(s.dwellings):
        unknown("dwellings", i, "building", d.building, buildings, "building")
    for i, v in enumerate(s.expected_vacancies):
        unknown("expected_vacancies", i, "building", v.building, buildings, "building")
        if v.available_from < s.as_of:
            problems.append(
                Problem(
                    table="expected_vacancies",
                    index=i,
                    field="available_from",
                    value=str(v.available_from),
                    expected=f"a date after as_of {s.as_of}",
                )
            )
    if s.forecast is not None:
        for i, rate in enumerate(s.forecast.vacancies):
            unknown(
                "forecast.vacancies",
                i,
                "dwelling.building",
                rate.dwelling.building,
                buildings,
                "building",
            )
        for i, arrival in enumerate(s.forecast.arrivals):
            for field in ("excluded_districts", "preferred_districts"):
                for d_id in getattr(arrival.household, field):
                    unknown(
                        "forecast.arrivals", i, f"household.{field}", d_id, districts, "district"
                    )
    for i, e in enumerate(s.expected_households):
        if e.joins_on <= s.as_of:
            problems.append(
                Problem(
                    table="expected_households",
                    index=i,
                    field="joins_on",
                    value=str(e.joins_on),
                    expected=f"a date after as_of {s.as_of}",
                )
            )
        for field in ("excluded_districts", "preferred_districts"):
            for d_id in getattr(e, field):
                unknown("expected_households", i, field, d_id, districts, "district")
        for d_id in e.acceptable_districts or []:
            unknown("expected_households", i, "acceptable_districts", d_id, districts, "district")
    for i, h in enumerate(s.households):
        for field in ("excluded_districts", "preferred_districts"):
            for d_id in getattr(h, field):
                unknown("households", i, field, d_id, districts, "district")
        for d_id in h.acceptable_districts or []:
            unknown("households", i, "acceptable_districts", d_id, districts, "district")
        for k, child in enumerate(h.children):
            if child.school_zone is not None:
                unknown(
                    "households",
                    i,
                    f"children[{k}].school_zone",
                    child.school_zone,
                    zones,
                    "school zone (of a building or in school_access)",
                )
        if h.approved_on > s.as_of:
            problems.append(
                Problem(
                    table="households",
                    index=i,
                    field="approved_on",
                    value=str(h.approved_on),
                    expected=f"a date on or before as_of {s.as_of}",
                )
            )
        if h.situation.since is not None and h.situation.since > s.as_of:
            problems.append(
                Problem(
                    table="households",
                    index=i,
                    field="situation.since",
                    value=str(h.situation.since),
                    expected=f"a date on or before as_of {s.as_of}",
                )
            )
    for i, p in enumerate(s.locks.pinned):
        unknown("locks.pinned", i, "household", p.household, households, "household")
        unknown("locks.pinned", i, "dwelling", p.dwelling, dwellings, "dwelling")
    for i, f in enumerate(s.locks.forbidden):
        unknown("locks.forbidden", i, "household", f.household, households, "household")
        unknown("locks.forbidden", i, "dwelling", f.dwelling, dwellings, "dwelling")

    problems += _tenancy_problems(s)

    pinned_pairs = {(p.household, p.dwelling) for p in s.locks.pinned}
    for i, f in enumerate(s.locks.forbidden):
        if (f.household, f.dwelling) in pinned_pairs:
            problems.append(
                Problem(
                    table="locks.forbidden",
                    index=i,
                    field="dwelling",
                    value=f.dwelling,
                    expected="a pair that is not also pinned",
                )
            )
    for field in ("household", "dwelling"):
        counts = Counter(getattr(p, field) for p in s.locks.pinned)
        for i, p in enumerate(s.locks.pinned):
            if counts[getattr(p, field)] > 1:
                problems.append(
                    Problem(
                        table="locks.pinned",
                        index=i,
                        field=field,
                        value=getattr(p, field),
                        expected=f"each {field} pinned at most once",
                    )
                )
    return problems


def _tenancy_problems(s: Scenario) -> list[Problem]:
    """Transfers (issue 15): every tenant's current dwelling is listed and occupied, every
    occupied dwelling has exactly one tenant, and pins keep every chain possible on its
    own (a pin onto an occupied dwelling needs its tenant pinned elsewhere)."""
    problems: list[Problem] = []

    def current(i: int, h: Household, expected: str) -> None:
        problems.append(
            Problem(
                table="households",
                index=i,
                field="current_dwelling",
                value=h.current_dwelling,
                expected=expected,
            )
        )

    def pin(i: int, p: PinnedPair, expected: str) -> None:
        problems.append(
            Problem(
                table="locks.pinned", index=i, field="dwelling", value=p.dwelling, expected=expected
            )
        )

    dwellings = {d.id: d for d in s.dwellings}
    tenant_of: dict[str, str] = {}
    for i, h in enumerate(s.households):
        if h.current_dwelling is None:
            continue
        d = dwellings.get(h.current_dwelling)
        if d is None:
            current(i, h, "the id of a dwelling in dwellings (with occupied: true)")
            continue
        if not d.occupied:
            current(i, h, f"a dwelling marked occupied: true (dwelling {d.id} is listed as vacant)")
        if d.id in tenant_of:
            current(
                i,
                h,
                f"a dwelling no other household holds (household {tenant_of[d.id]} already "
                f"lives in {d.id})",
            )
        else:
            tenant_of[d.id] = h.id
    for i, d in enumerate(s.dwellings):
        if d.occupied and d.id not in tenant_of:
            problems.append(
                Problem(
                    table="dwellings",
                    index=i,
                    field="occupied",
                    value=True,
                    expected="a tenant: some household's current_dwelling "
                    f"(no household lives in {d.id})",
                )
            )
    for i, v in enumerate(s.expected_vacancies):
        if v.occupied:
            problems.append(
                Problem(
                    table="expected_vacancies",
                    index=i,
                    field="occupied",
                    value=True,
                    expected="false: a known future vacancy is not a tenant's dwelling",
                )
            )
    currents = {h.id: h.current_dwelling for h in s.households}
    pinned_dwelling_of = {p.household: p.dwelling for p in s.locks.pinned}
    for i, p in enumerate(s.locks.pinned):
        if currents.get(p.household) is not None and currents[p.household] == p.dwelling:
            pin(i, p, "a dwelling other than the household's current_dwelling")
            continue
        tenant = tenant_of.get(p.dwelling)
        if tenant is not None and tenant not in pinned_dwelling_of:
            pin(
                i,
                p,
                f"a vacant dwelling, or its tenant {tenant} pinned to another dwelling too (an "
                "occupied dwelling is free only if its tenant moves)",
            )
    return problems
