"""Seeded random scenarios for property tests and benchmarks.

Why a generator: the solver, the checker and the loaders must hold on inputs nobody wrote
by hand, and the benchmarks need rounds from a Nes-size week up to a whole Oslo-size stock
(12,000 households x 11,000 dwellings). Every feature of the data contract (DOMAIN.md §5)
appears with some probability, so property tests reach every rule of docs/rules.md.

Guarantees:

* deterministic: one ``seed`` gives one scenario (a private ``random.Random``; no global
  state, no iteration over hashed sets);
* always valid: the result has passed ``Scenario`` validation;
* O(n) in the number of households and dwellings;
* pinned pairs (only with ``pin=True``) pass every pairwise rule and, together, every
  round rule (caps, quotas, separation), so pins never make a round infeasible. Both are
  asked of the independent checker (allocator.checker), never restated here.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from allocator.checker import pair_violations
from allocator.checker.context import Context
from allocator.checker.facts import building_cap
from allocator.checker.registry import PLACEMENT_RULES
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
    SchoolZone,
    SituationKind,
    SubstanceUse,
)
from models.policy import Fairness
from models.proposal import Match, Proposal, RunInfo
from models.scenario import Locks, Residents

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["random_scenario", "scenario_strategy"]

T = TypeVar("T")

_BASE_MONDAY = dt.date(2026, 1, 5)
_DISTRICT_NAMES = (
    "Strømsø",
    "Bragernes",
    "Fjell",
    "Åssiden",
    "Gulskogen",
    "Konnerud",
    "Danvik",
    "Skoger",
    "Svelvik",
    "Tangen",
    "Austad",
    "Åskollen",
    "Bakkesletta",
    "Landfalløya",
    "Mjøndalen",
)
_FORBID_REASONS = (
    "Declined this dwelling earlier; the offer is not repeated.",
    "Conflict with a current resident (caseworker note).",
    "Neighbour is the subject of a restraining order in the household's favour.",
    "Landlord dispute from a previous lease in the same building.",
)


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------


def _pick(rng: random.Random, items: Sequence[T], weights: Sequence[float]) -> T:
    return rng.choices(items, weights=weights, k=1)[0]


def random_scenario(
    seed: int,
    households: int,
    dwellings: int,
    *,
    tightness: float = 0.5,
    policy: Policy | None = None,
    pin: bool = False,
    group_share: bool = False,
) -> Scenario:
    """A valid, seeded random round with ``households`` waiting and ``dwellings`` vacant.

    ``tightness`` in [0, 1] scales how restrictive the round is: more needs, exclusions
    and keep-school wishes, fewer acceptable districts, lower rent limits, existing
    high-need residents closer to the building caps, more district quotas.
    ``pin=True`` adds a few pinned pairs that are valid under every hard rule.
    ``group_share=True`` switches the R10 group-share floor on (``fairness.group_share``)
    for a group that holds some but, where possible, not all of the households, with a
    random ``min_ratio``, drawn from a stream of its own: the round is otherwise the one
    the seed gives without it (pins aside, which keep the floor too).
    """
    if households < 0 or dwellings < 0:
        raise ValueError("households and dwellings must be >= 0")
    if not 0.0 <= tightness <= 1.0:
        raise ValueError("tightness must be in [0, 1]")
    t = float(tightness)
    pol = policy if policy is not None else Policy()
    rng = random.Random(seed)
    as_of = _BASE_MONDAY + dt.timedelta(weeks=rng.randrange(104))

    def day(offset: int) -> dt.date:
        return as_of + dt.timedelta(days=offset)

    # Districts and school zones --------------------------------------------------------
    # A week's vacancies lie in many buildings; a whole stock has ~10 units per building.
    n_buildings = max(2, dwellings // 10 + math.ceil(math.sqrt(dwellings)))
    n_districts = max(2, min(15, 1 + n_buildings // 3))
    district_ids = [f"T{i:02d}" for i in range(n_districts)]
    districts: list[District] = []
    for i, did in enumerate(district_ids):
        quota = rng.randrange(0, 4) if rng.random() < 0.2 + 0.4 * t else None
        if quota == 0 and rng.random() < 0.7:
            quota = 1  # a zero quota is legal but rare in practice
        districts.append(
            District(
                id=did,
                name=_DISTRICT_NAMES[i % len(_DISTRICT_NAMES)],
                burden=round(rng.random(), 2),
                max_new_high_need=quota,
            )
        )

    n_primary = max(2, n_buildings // 3)
    n_secondary = max(1, n_primary // 2)
    primary = [f"P{i:03d}" for i in range(n_primary)]
    secondary = [f"S{i:03d}" for i in range(n_secondary)]
    sec_of = {z: secondary[i % n_secondary] for i, z in enumerate(primary)}
    zones_of_district: dict[str, list[str]] = {did: [] for did in district_ids}
    for i, z in enumerate(primary):
        zones_of_district[district_ids[i % n_districts]].append(z)
    school_zones = [
        SchoolZone(
            id=z,
            name=f"Skolekrets {z}",
            max_new_high_need=rng.randrange(0, 3) if rng.random() < 0.1 + 0.3 * t else None,
        )
        for z in primary
    ]
    access_rows: list[SchoolAccess] = []
    for zones in (primary, secondary):
        if len(zones) < 2:
            continue
        for z in zones:
            for _ in range(rng.randint(1, 2)):
                other = rng.choice(zones)
                if other != z:
                    access_rows.append(
                        SchoolAccess(from_zone=z, to_zone=other, minutes=rng.randint(5, 60))
                    )

    # Buildings -------------------------------------------------------------------------
    # Decide first where the vacancies are, so no building has more vacancies than units
    # and existing residents fit in the occupied units. Every building gets one if it can.
    home = [i if i < n_buildings else rng.randrange(n_buildings) for i in range(dwellings)]
    vacant = [0] * n_buildings
    for i in home:
        vacant[i] += 1
    n_clusters = max(1, n_buildings // 3)
    buildings: list[Building] = []
    for i in range(n_buildings):
        did = rng.choice(district_ids)
        zp = rng.choice(zones_of_district[did] or primary)
        zs: str | None = sec_of[zp]
        zp_opt: str | None = zp
        if rng.random() < 0.04:
            zp_opt = None
        elif rng.random() < 0.04:
            zs = None
        profile = _pick(
            rng, [Profile.ordinary, Profile.active_use, Profile.recovery], [0.84, 0.08, 0.08]
        )
        units = rng.randint(4, 60) if profile is Profile.ordinary else rng.randint(4, 16)
        units = max(units, vacant[i] + 2)
        occupied = units - vacant[i]
        gender: Literal["women", "men"] | None = None
        min_age: int | None = None
        max_age: int | None = None
        r = rng.random()
        if r < 0.06:
            gender = "women"
        elif r < 0.08:
            gender = "men"
        r = rng.random()
        if r < 0.08:
            min_age, max_age = 18, pol.youth_max_age
        elif r < 0.11:
            min_age = 60
        residents: dict[str, int] = {"high_need": 0, "active": 0, "recovery": 0}
        if profile is Profile.ordinary:
            cap = building_cap(Building(id="_", district=did, units=units), pol)  # R5, exact
            if rng.random() < 0.4 + 0.5 * t:  # near or at the cap
                residents["high_need"] = max(0, cap - rng.randint(0, 2))
            else:
                residents["high_need"] = rng.randint(0, cap)
            residents["high_need"] = min(residents["high_need"], occupied)
            r = rng.random()
            if r < 0.15 + 0.15 * t:
                residents["active"] = rng.randint(1, min(3, occupied))
            elif r < 0.30 + 0.30 * t:
                residents["recovery"] = rng.randint(1, min(3, occupied))
        elif profile is Profile.active_use:
            residents["active"] = residents["high_need"] = rng.randint(occupied // 2, occupied)
        else:
            residents["recovery"] = rng.randint(occupied // 2, occupied)
        buildings.append(
            Building(
                id=f"B{i:04d}",
                district=did,
                school_zone_primary=zp_opt,
                school_zone_lower_secondary=zs,
                cluster=f"C{rng.randrange(n_clusters):03d}"
                if rng.random() < 0.25 + 0.2 * t
                else None,
                units=units,
                residents=Residents(**residents),
                profile=profile,
                gender=gender,
                min_age=min_age,
                max_age=max_age,
            )
        )

    # A child's zone must be a zone the scenario knows (a building's or in school_access).
    def known(level: Sequence[str], attr: str) -> list[str]:
        seen = {getattr(b, attr) for b in buildings} | {
            z for a in access_rows for z in (a.from_zone, a.to_zone)
        }
        return [z for z in level if z in seen]  # level order keeps it deterministic

    kid_zones = {
        True: known(primary, "school_zone_primary"),
        False: known(secondary, "school_zone_lower_secondary"),
    }

    # Dwellings -------------------------------------------------------------------------
    dwelling_rows: list[Dwelling] = []
    width = max(4, len(str(dwellings)))
    for i in range(dwellings):
        b = buildings[home[i]]
        youth_site = b.max_age is not None and b.max_age <= pol.youth_max_age
        if b.profile is Profile.active_use:
            category = Category.staffed if rng.random() < 0.8 else Category.ordinary
        elif youth_site and rng.random() < 0.8:
            category = Category.youth
        else:
            category = _pick(rng, list(Category), [0.77, 0.08, 0.03, 0.08, 0.04])
        bedrooms = _pick(rng, [0, 1, 2, 3, 4, 5], [0.18, 0.3, 0.25, 0.15, 0.09, 0.03])
        if category in (Category.staffed, Category.youth, Category.temporary):
            bedrooms = min(bedrooms, 1)
        rooms: int | None = 1 if bedrooms == 0 else bedrooms + rng.randint(1, 2)
        if rng.random() < 0.1:
            rooms = None
        area: float | None = float(rng.randint(22, 34) + 17 * bedrooms + rng.randint(0, 15))
        if rng.random() < 0.1:
            area = None
        floor = rng.randint(0, 8) if rng.random() > 0.05 else None
        elevator = (floor is not None and floor >= 3 and rng.random() < 0.6) or (
            rng.random() < 0.15
        )
        wheelchair = (category is Category.adapted and rng.random() < 0.7) or rng.random() < 0.05
        if wheelchair:
            floor = floor if elevator else rng.randint(0, 1)
        rent = float(round(4500 + 2600 * bedrooms + rng.randint(-800, 2500), -2))
        r = rng.random()
        if r < 0.25:
            available = day(rng.randint(1, 60))  # R9: becomes vacant later
        elif r < 0.35:
            available = day(rng.randint(8, 21))  # R9: just after the earliest move-in
        else:
            available = day(-rng.randint(0, 30))
        board = rng.choice((14, 21, 30)) if rng.random() < 0.1 else 0
        dwelling_rows.append(
            Dwelling(
                id=f"D{i:0{width}d}",
                building=b.id,
                rooms=rooms,
                bedrooms=bedrooms,
                area_m2=area,
                floor=floor,
                elevator=elevator,
                wheelchair=wheelchair,
                category=category,
                rent=rent,
                available_from=available,
                board_approval_days=board,
            )
        )

    # Households ------------------------------------------------------------------------
    household_rows: list[Household] = []
    width = max(4, len(str(households)))
    max_days = pol.temporary.max_days
    for i in range(households):
        adults = _pick(rng, [1, 2, 3, 4], [0.6, 0.33, 0.05, 0.02])
        children: list[dict[str, Any]] = []
        if rng.random() < 0.35:
            for _ in range(_pick(rng, [1, 2, 3, 4, 5, 6], [0.35, 0.3, 0.18, 0.1, 0.05, 0.02])):
                age = rng.randint(0, 17) if rng.random() > 0.05 else rng.randint(18, 24)
                zone = None
                pool = kid_zones[age <= pol.school.primary_max_age]
                if (
                    pol.school.min_age - 1 <= age <= pol.school.max_age + 1
                    and pool
                    and rng.random() < 0.9
                ):
                    zone = rng.choice(pool)
                children.append(
                    {"age": age, "school_zone": zone, "keep_school": rng.random() < 0.55 + 0.4 * t}
                )
        family = any(c["age"] < 18 for c in children)
        r = rng.random()
        age = rng.randint(18, 25) if r < 0.15 else rng.randint(26, 90 if not family else 55)
        applicant_gender = _pick(rng, ["female", "male", "other", None], [0.48, 0.47, 0.02, 0.03])
        needs = {
            "wheelchair": rng.random() < 0.02 + 0.05 * t,
            "staffed": rng.random() < 0.02 + 0.04 * t,
            "adapted": rng.random() < 0.02 + 0.04 * t,
        }
        needs["step_free"] = needs["wheelchair"] or rng.random() < 0.05 + 0.1 * t
        substance = _pick(
            rng, list(SubstanceUse), [1 - 0.1 - 0.1 * t, 0.05 + 0.05 * t, 0.05 + 0.05 * t]
        )
        if substance is SubstanceUse.active and rng.random() < 0.4:
            needs["staffed"] = True  # low-threshold housing is staffed
        situation: dict[str, Any]
        kind = _pick(rng, list(SituationKind), [0.2, 0.25, 0.1, 0.07, 0.05, 0.2, 0.06, 0.07])
        if family and rng.random() < 0.3:
            kind = SituationKind.temporary
        situation = {"kind": kind}
        if kind is SituationKind.temporary:
            # Spread over [as_of - max_days - 40, as_of]: some past their deadline, some
            # due this round (deadline before as_of + round + lead days), some not yet due.
            situation["since"] = day(-rng.randint(0, max_days + 40))
        elif kind in (SituationKind.prison, SituationKind.institution):
            situation["since"] = day(-rng.randint(30, 900))
            if rng.random() < 0.6:
                situation["release_on"] = day(rng.randint(-10, 75))
        elif kind is SituationKind.refugee and rng.random() < 0.8:
            situation["arrives_on"] = day(rng.randint(-5, 60))
        ready_from = day(rng.randint(1, 60)) if rng.random() < 0.05 else None
        excluded: list[str] = []
        if rng.random() < 0.05 + 0.15 * t:
            excluded = rng.sample(district_ids, k=min(len(district_ids) - 1, rng.randint(1, 2)))
        allowed = [x for x in district_ids if x not in excluded]
        acceptable: list[str] | None = None
        if rng.random() < 0.1 + 0.3 * t:
            k = max(1, round(len(allowed) * (1 - 0.6 * t) * rng.random()))
            acceptable = rng.sample(allowed, k=min(k, len(allowed)))
        preferred: list[str] = []
        if rng.random() < 0.55:
            pool = acceptable if acceptable is not None else allowed
            preferred = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
        persons = adults + len(children)
        max_rent = None
        if rng.random() < 0.3 + 0.4 * t:
            max_rent = float(
                round(5000 + 2200 * min(persons, 6) + rng.randint(-1500, 4000) - 2000 * t, -2)
            )
        household_rows.append(
            Household.model_validate(
                {
                    "id": f"H{i:0{width}d}",
                    "approved_on": day(-rng.randint(0, 730)),
                    "adults": adults,
                    "children": children,
                    "main_applicant": {"age": age, "gender": applicant_gender},
                    "needs": needs,
                    "substance_use": substance,
                    "high_need": rng.random() < 0.1 + 0.2 * t,
                    "situation": situation,
                    "priority": _pick(rng, [1, 2, 3], [0.2, 0.5, 0.3]),
                    "excluded_districts": excluded,
                    "acceptable_districts": acceptable,
                    "preferred_districts": preferred,
                    "max_rent": max_rent,
                    "ready_from": ready_from,
                    "partner": (rng.random() < 0.8) if adults >= 2 and rng.random() < 0.3 else None,
                }
            )
        )

    if group_share:
        # Its own stream, so the rest of the round is the one the seed gives without it.
        pol = _with_group_share(random.Random(f"group_share:{seed}"), pol, household_rows)

    # Locks -----------------------------------------------------------------------------
    scenario = Scenario(
        as_of=as_of,
        policy=pol,
        districts=districts,
        buildings=buildings,
        dwellings=dwelling_rows,
        households=household_rows,
        school_access=access_rows,
        school_zones=school_zones,
    )
    pinned = _pins(rng, scenario) if pin else []
    pinned_keys = {(p["household"], p["dwelling"]) for p in pinned}
    forbidden: list[dict[str, str]] = []
    if household_rows and dwelling_rows:
        n_forbid = households // 40 + (1 if rng.random() < 0.5 else 0)
        seen: set[tuple[str, str]] = set(pinned_keys)
        for _ in range(n_forbid):
            key = (rng.choice(household_rows).id, rng.choice(dwelling_rows).id)
            if key in seen:
                continue
            seen.add(key)
            forbidden.append(
                {"household": key[0], "dwelling": key[1], "reason": rng.choice(_FORBID_REASONS)}
            )
    return Scenario.model_validate(
        {
            **{k: getattr(scenario, k) for k in Scenario.model_fields},
            "locks": Locks.model_validate({"pinned": pinned, "forbidden": forbidden}),
        }
    )


def _with_group_share(rng: random.Random, pol: Policy, households: list[Household]) -> Policy:
    """``pol`` with ``fairness.group_share`` on: a group some households are in (and not
    all, when such a group exists), ``min_ratio`` in (0, 1] with two decimals."""
    from allocator.fairness.groups import CORE, group_by_key
    from models.policy import GroupKey

    keys = list(get_args(GroupKey))
    counts = {k: sum(group_by_key(CORE, k).has(h) for h in households) for k in keys}
    some = [k for k in keys if 0 < counts[k] < len(households)] or keys
    ratio = rng.choice((1.0, 0.8, 0.5, round(rng.uniform(0.01, 1.0), 2)))
    share = {"group": rng.choice(some), "min_ratio": ratio}
    return pol.model_copy(update={"fairness": Fairness.model_validate({"group_share": share})})


def _pins(rng: random.Random, s: Scenario) -> list[dict[str, str]]:
    """A few pinned pairs that every pairwise rule allows and that keep, together, every
    round rule (caps, quotas, separation), as the independent checker states them. Random
    tries, bounded, so the cost stays O(n)."""
    if not s.households or not s.dwellings:
        return []
    ctx = Context.of(s)
    want = 1 + len(s.households) // 100
    used_h: set[str] = set()
    used_d: set[str] = set()
    matches: list[Match] = []
    run = RunInfo(id="pins", as_of=s.as_of, input_sha256="", policy_sha256="")
    for _ in range(40 * want):
        if len(matches) >= want:
            break
        h = rng.choice(s.households)
        d = rng.choice(s.dwellings)
        if h.id in used_h or d.id in used_d or pair_violations(s, h.id, d.id):
            continue
        trial = Proposal(
            run=run, matches=[*matches, Match(household=h.id, dwelling=d.id, move_in=s.as_of)]
        )
        if any(rule.check(ctx, trial) for rule in PLACEMENT_RULES):
            continue
        used_h.add(h.id)
        used_d.add(d.id)
        matches = trial.matches
    return [
        {
            "household": m.household,
            "dwelling": m.dwelling,
            "reason": "Agreed at the allocation meeting.",
        }
        for m in matches
    ]


def scenario_strategy(
    max_households: int = 8,
    max_dwellings: int = 8,
    *,
    min_households: int = 1,
    min_dwellings: int = 1,
    group_share: bool = False,
) -> SearchStrategy[Scenario]:
    """A hypothesis strategy of small valid Scenarios (seed, sizes, tightness, pins drawn;
    ``group_share``: with the R10 floor switched on, see `random_scenario`).

    Shrinks towards seed 0, few records and tightness 0. hypothesis is a test-only
    dependency, so it is imported here, not at module level.
    """
    from hypothesis import strategies as st

    return st.builds(
        random_scenario,
        seed=st.integers(min_value=0, max_value=2**32 - 1),
        households=st.integers(min_value=min_households, max_value=max_households),
        dwellings=st.integers(min_value=min_dwellings, max_value=max_dwellings),
        tightness=st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
        pin=st.booleans(),
        group_share=st.just(group_share),
    )
