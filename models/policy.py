"""The allocation policy: every tunable of the rules, with DOMAIN.md's defaults.

A policy file may set any subset; omitted keys take the defaults below. The policy is
hashed into every proposal, so two runs with the same policy file are comparable.

Every number has a range (docs/hardening.md lists them). Days stay within a year or a
decade, so date arithmetic stays in the calendar; seeds fit CP-SAT's 32-bit seed; points
and weights stay at most 10^9 (10^6 per day or per NOK), so every pair's objective weight
stays far inside 64 bits. Whether the sums over a whole round fit is checked per scenario
(allocator.limits), naming the weight to lower.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.problems import inconsistent

#: Largest value of a points weight (a priority's points, a fit weight).
MAX_WEIGHT = 1_000_000_000
#: Largest weight per day of waiting, or per NOK of rent lost.
MAX_RATE = 1_000_000
#: Largest number of days in any day count of the policy (ten years).
MAX_DAYS = 3650


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Occupancy(_Section):
    """R2: household size against dwelling size."""

    max_extra_bedrooms: int = Field(1, ge=0, le=20, description="Hard cap on spare bedrooms.")
    min_area_per_person: float = Field(
        25.0, gt=0, le=1000, description="SSB crowding threshold, m²."
    )
    crowding: Literal["hard", "off"] = Field(
        "hard", description="'off' relaxes the SSB crowding ban (analysts' what-if only)."
    )
    bedrooms: Literal["hard", "off"] = Field(
        "hard",
        description="'off' drops the bedroom band (too few and too many bedrooms); spare "
        "bedrooms still cost in the fit tier (analysts' what-if only).",
    )


class Location(_Section):
    """R3: excluded and acceptable districts (preferred districts are always soft)."""

    mode: Literal["hard", "off"] = Field(
        "hard",
        description="'off' ignores excluded and acceptable districts; preferred districts "
        "still rank in the fit tier (analysts' what-if only: exclusions protect safety).",
    )


class School(_Section):
    """R4: school continuity for school-age children."""

    min_age: int = Field(6, ge=0, le=25)
    max_age: int = Field(15, ge=0, le=25)
    primary_max_age: int = Field(
        12, ge=0, le=25, description="Oldest age in primary school (grades 1–7)."
    )
    max_travel_minutes: int = Field(30, ge=0, le=600)
    mode: Literal["hard", "off"] = "hard"

    @model_validator(mode="after")
    def _ordered(self) -> School:
        if not self.min_age <= self.max_age:
            raise inconsistent(
                f"min_age {self.min_age} er høyere enn max_age {self.max_age}",
                "min_age",
                "max_age",
                value=self.min_age,
            )
        return self


class Spread(_Section):
    """R5: spread against concentration of high-need households."""

    building_max_share: float = Field(0.25, ge=0, le=1)
    building_min_cap: int = Field(1, ge=0, le=100_000)
    active_use_is_high_need: bool = True
    building_cap: Literal["hard", "off"] = "hard"
    district_quota: Literal["hard", "off"] = "hard"
    school_zone_quota: Literal["hard", "off"] = Field(
        "hard",
        description="New high-need placements per primary school zone and round "
        "stay within school_zones[].max_new_high_need.",
    )


class Separation(_Section):
    """R6: keep active substance use apart from households in recovery."""

    scope: Literal["building", "cluster"] = "building"
    mode: Literal["hard", "off"] = Field(
        "hard", description="'off' lets active use and recovery share a scope."
    )
    sites: Literal["hard", "off"] = Field(
        "hard",
        description="'off' ignores site profiles (active use / recovery sites), women- and "
        "men-only sites and age bands (analysts' what-if only).",
    )


class Temporary(_Section):
    """R7: the 3-month cap on temporary housing for families with children."""

    max_days: int = Field(90, ge=1, le=MAX_DAYS)
    allow_families: bool = False
    mode: Literal["hard", "off"] = Field(
        "hard",
        description="'off' drops the deadline tier (due families get no precedence) and "
        "lets families into temporary dwellings as allow_families does; breaches of "
        "max_days are still listed. A due family is still never moved to another temporary "
        "dwelling: that would not end its stay (analysts' what-if only).",
    )


class ClockWeights(_Section):
    """How much one breach (and one day over) of each deadline clock weighs in tier 1."""

    temporary: int = Field(1, ge=1, le=1000)
    release: int = Field(1, ge=1, le=1000)
    refugee: int = Field(1, ge=1, le=1000)


class Deadlines(_Section):
    """Deadline clocks besides R7 (whose switch is `temporary.mode`): a date by which the
    household's dwelling must be ready; breaches, then days over, in tier 1."""

    release: Literal["hard", "off"] = Field(
        "hard", description="Prison or institution: the dwelling is ready on release_on."
    )
    refugee: Literal["hard", "off"] = Field(
        "hard", description="Refugees: the dwelling is ready on arrives_on."
    )
    weights: ClockWeights = Field(default_factory=ClockWeights)


class Lookahead(_Section):
    """The weekly round with the coming weeks in view (off while `weeks` is 0): this
    week's offers are chosen so that fewer households miss a deadline clock in the next
    `weeks` weeks, over `futures` sampled futures (known future vacancies and households,
    and the scenario's forecast rates), with common random numbers from `seed`."""

    weeks: int = Field(0, ge=0, le=26, description="Weeks ahead; 0 = off.")
    futures: int = Field(8, ge=1, le=64, description="Sampled futures.")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    min_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="A household counts as at risk when it misses its "
        "deadline in more than this share of the futures.",
    )
    keep_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="A vacant dwelling is kept empty for the coming weeks' deadlines only "
        "when it keeps one in more than this share of the futures (and `min_share`).",
    )
    keep_weeks: int = Field(
        0,
        ge=0,
        le=52,
        description="A vacant dwelling is kept empty for the coming weeks' deadlines at most "
        "this many weeks past the day it is free; 0 = no limit.",
    )


class NeedsRules(_Section):
    """R8: needs and dwelling categories."""

    mode: Literal["hard", "off"] = Field(
        "hard",
        description="'off' ignores wheelchair, step-free, staffed, adapted, youth and rent "
        "limit rules (analysts' what-if only).",
    )


#: Groups a round can test on its own households (allocator.fairness.groups.CORE, less
#: "all"; districts of origin are not in the data contract). A test holds them in step.
GroupKey = Literal[
    "families",
    "single_adults",
    "active_use",
    "recovery",
    "refugees",
    "wheelchair",
    "priority_1",
    "priority_2",
    "priority_3",
    "situation_homeless",
    "situation_temporary",
    "situation_institution",
    "situation_prison",
    "situation_crisis_centre",
    "situation_unsuitable",
    "situation_other",
]


class GroupShare(_Section):
    """R10 (issue 19, price of fairness): a floor on one group's share of each round's
    placements, stated as a cap on everyone else (docs/rules.md "R10 group share").

    With ``n`` households on the round's list, ``m`` of them in the group, ``M`` the most
    placements the pairwise rules allow (a maximum matching) and ``ν`` the most for the
    group alone: ``r = min(ceil(min_ratio · m · M / n), ν)`` placements are held for the
    group, and households outside it (except those due under a deadline clock) get at most
    ``M − r``. A cap only ever forbids placing more, so every subset of a feasible proposal
    stays feasible (the empty one included)."""

    group: GroupKey = Field(description="The group (allocator.fairness.groups key).")
    min_ratio: float = Field(
        0.8,
        gt=0,
        le=1,
        description="The group's share of the round's placements is to be at least this "
        "multiple of its share of the waiting list (0.8: the four-fifths rule of thumb; "
        "1: its full share). A floor, never a preference beyond its share.",
    )


class Fairness(_Section):
    """Equal-treatment constraints (issue 19 item 3); none by default."""

    group_share: GroupShare | None = Field(
        None, description="R10: hold placements for one group (see GroupShare); omitted: off."
    )


class TransferWeights(_Section):
    """Tier-2 points for housing a sitting tenant with a transfer application, by the
    application's reason, on top of the priority and waiting points every household
    gets (docs/rules.md "R11 transfers and vacancy chains")."""

    overcrowded: int = Field(400, ge=0, le=MAX_WEIGHT, description="Trangbodd familie.")
    under_occupying: int = Field(
        0,
        ge=0,
        le=MAX_WEIGHT,
        description="Bor for stort; what it frees counts through under_occupying_freed.",
    )
    needs: int = Field(300, ge=0, le=MAX_WEIGHT, description="Boligen passer ikke behovene.")
    safety: int = Field(500, ge=0, le=MAX_WEIGHT, description="Sikkerhet (trusler, vold).")
    step_down_from_staffed: int = Field(
        200, ge=0, le=MAX_WEIGHT, description="Klar for egen bolig etter bemannet bolig."
    )
    other: int = Field(0, ge=0, le=MAX_WEIGHT)


class Transfers(_Section):
    """R11 (issue 15): sitting tenants who should move, and the vacancy chains their
    moves open, in the same round. A tenant's dwelling is allocatable only if the tenant
    moves; it is ready `turnover_days` after the tenant's move-in (a two-way swap moves
    both on the same day). `enabled: false` leaves tenants where they are and their
    dwellings unlet (the with/without comparison); with no tenants in the data it has no
    effect."""

    enabled: bool = Field(True, description="Tenants may move and free their dwellings.")
    turnover_days: int = Field(
        14,
        ge=1,
        le=365,
        description="Days from a tenant's move-in until the dwelling it leaves is ready "
        "for the next household (moving out, cleaning, repairs). At least 1, so a chain "
        "never closes on itself except as a same-day two-way swap.",
    )
    horizon_days: int = Field(
        180,
        ge=1,
        le=MAX_DAYS,
        description="A move into a dwelling freed this round is at most this many days "
        "after as_of (bounds how long a chain may run).",
    )
    weights: TransferWeights = Field(default_factory=TransferWeights)
    under_occupying_freed: int = Field(
        300,
        ge=0,
        le=MAX_WEIGHT,
        description="Tier-2 points when a dwelling freed by an under-occupying tenant "
        "goes to a household this round (counted only when the freed flat is used).",
    )


class Solver(_Section):
    """CP-SAT settings. Fixed workers + seed + deterministic time give repeatable runs."""

    time_limit_s: float = Field(30.0, gt=0, le=604_800, description="At most a week.")
    workers: int = Field(2, ge=1, le=64)
    seed: int = Field(0, ge=0, le=2**31 - 1, description="CP-SAT's random_seed (32 bits).")
    deterministic_time: float | None = Field(
        None,
        gt=0,
        le=1_000_000_000,
        description="CP-SAT max_deterministic_time per tier; None = no limit.",
    )
    alternates: int = Field(3, ge=0, le=10)


class Weights(_Section):
    """Weights of the objective tiers (DOMAIN.md §4). All costs are in points.

    Tier 2 (priority and waiting): housing household h is worth
        ``priority_points[priority] + waiting_points_per_day * min(days_waiting, waiting_cap_days)``
    where ``days_waiting = as_of - approved_on``. Only these fields enter, so equal cases
    get equal weight.

    Tier 3 (fit), a cost to minimise:
        ``preference * rank``            rank 0 for the first wish, k for the (k+1)-th,
                                         ``len(preferred)`` when outside all wishes;
        ``spare_bedroom * spare``        each bedroom beyond the need;
        ``school_travel_minute * min``   minutes of school travel for kept schools;
        ``vacancy_per_rent_day * rent/30 * days``  vacancy rent loss (NOK);
        ``concentration * burden``       each high-need placement in a burdened district.
    """

    priority_points: dict[
        Annotated[int, Field(ge=1, le=3)], Annotated[int, Field(ge=0, le=MAX_WEIGHT)]
    ] = Field(default_factory=lambda: {1: 1000, 2: 500, 3: 250})
    waiting_points_per_day: int = Field(1, ge=0, le=MAX_RATE)
    waiting_cap_days: int = Field(1095, ge=0, le=10 * MAX_DAYS)
    preference: int = Field(100, ge=0, le=MAX_WEIGHT)
    spare_bedroom: int = Field(60, ge=0, le=MAX_WEIGHT)
    school_travel_minute: int = Field(5, ge=0, le=MAX_WEIGHT)
    vacancy_per_rent_day: float = Field(
        0.01, ge=0, le=MAX_RATE, description="Points per NOK of rent lost."
    )
    concentration: int = Field(200, ge=0, le=MAX_WEIGHT)

    @model_validator(mode="after")
    def _priorities(self) -> Weights:
        missing = {1, 2, 3} - set(self.priority_points)
        if missing:
            raise inconsistent(
                "priority_points mangler prioritet "
                + ", ".join(map(str, sorted(missing)))
                + " (trenger 1, 2 og 3)",
                "priority_points",
                value=sorted(self.priority_points),
            )
        return self


class Policy(_Section):
    """All rule settings of one allocation policy."""

    name: str = "default"
    round_days: int = Field(7, ge=1, le=366)
    offer_lead_days: int = Field(14, ge=0, le=365)
    youth_max_age: int = Field(25, ge=16, le=120)
    occupancy: Occupancy = Field(default_factory=Occupancy)
    location: Location = Field(default_factory=Location)
    school: School = Field(default_factory=School)
    spread: Spread = Field(default_factory=Spread)
    separation: Separation = Field(default_factory=Separation)
    temporary: Temporary = Field(default_factory=Temporary)
    deadlines: Deadlines = Field(default_factory=Deadlines)
    lookahead: Lookahead = Field(default_factory=Lookahead)
    needs: NeedsRules = Field(default_factory=NeedsRules)
    fairness: Fairness = Field(default_factory=Fairness)
    transfers: Transfers = Field(default_factory=Transfers)
    solver: Solver = Field(default_factory=Solver)
    weights: Weights = Field(default_factory=Weights)

    def rules_off(self) -> list[str]:
        """The rule switches set to "off" (e.g. ``needs.mode``): analysts' what-ifs that a
        proposal for a real meeting must make visible."""
        return [
            f"{name}.{key}"
            for name, section in self
            if isinstance(section, _Section)
            for key, value in section
            if value == "off"
        ]
