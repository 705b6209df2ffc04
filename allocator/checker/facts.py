"""Derived facts of docs/rules.md ("Notation" and the rules that define them).

Plain functions over the models, each citing the rule text it states. Decimal policy
numbers (shares, m² per person) are compared exactly, as the text writes them, so that
``0.29 * 100`` is 29 and not 28.999...
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

from models.policy import Policy
from models.scenario import (
    Building,
    Child,
    Dwelling,
    Household,
    Scenario,
    SubstanceUse,
)


def exact(value: float | int) -> Fraction:
    """The decimal a user wrote (``0.1`` is one tenth), not its binary approximation."""
    return Fraction(str(value))


# --- households ---------------------------------------------------------------------------


def persons(h: Household) -> int:
    """Notation: ``persons(h) = adults + len(children)``."""
    return h.adults + len(h.children)


#: R2/R7: a child of this age or older is an adult.
ADULT_AGE = 18


def minors(h: Household) -> int:
    """Notation: children under 18."""
    return sum(1 for c in h.children if c.age < ADULT_AGE)


def is_family(h: Household) -> bool:
    """Notation: ``family(h)`` = at least one child under 18."""
    return minors(h) > 0


def partner(h: Household) -> bool:
    """R2: ``h.partner``; omitted, true when the household has two or more adults."""
    return h.adults >= 2 if h.partner is None else h.partner


def bedrooms_needed(h: Household) -> int:
    """R2: 0 for one adult without children, else
    ``1 + (adults - 1 - partner) + ceil(children / 2)``, adult children counted as adults.

    The main applicant (and a partner) share one bedroom, each further adult gets one, and
    two children share one.
    """
    adults = h.adults + len(h.children) - minors(h)
    children = minors(h)
    if adults == 1 and children == 0:
        return 0
    return 1 + (adults - 1 - int(partner(h))) + math.ceil(children / 2)


def high_need(h: Household, policy: Policy) -> bool:
    """Notation (R5): flagged by the caseworker, or active use when the policy says so."""
    return h.high_need or (
        policy.spread.active_use_is_high_need and h.substance_use is SubstanceUse.active
    )


def ready_from(h: Household) -> dt.date | None:
    """R9: ``h.ready_from``, else ``h.situation.release_on``, else
    ``h.situation.arrives_on``, else no constraint."""
    if h.ready_from is not None:
        return h.ready_from
    if h.situation.release_on is not None:
        return h.situation.release_on
    return h.situation.arrives_on


# --- dwellings ------------------------------------------------------------------------------


def move_in(s: Scenario, h: Household, d: Dwelling) -> dt.date:
    """R9: ``max(as_of + offer_lead_days, available_from + board_approval_days, ready_from)``."""
    dates = [
        s.as_of + dt.timedelta(days=s.policy.offer_lead_days),
        d.available_from + dt.timedelta(days=d.board_approval_days),
    ]
    ready = ready_from(h)
    if ready is not None:
        dates.append(ready)
    return max(dates)


def crowded_by_rooms(h: Household, d: Dwelling) -> bool | None:
    """R2 crowding (a): fewer rooms than persons, or one person in one room; None if unknown."""
    if d.rooms is None:
        return None
    n = persons(h)
    return d.rooms < n or (n == 1 and d.rooms == 1)


def crowded_by_area(h: Household, d: Dwelling, policy: Policy) -> bool | None:
    """R2 crowding (b): under ``min_area_per_person`` m² per person; None if area unknown."""
    if d.area_m2 is None:
        return None
    return exact(d.area_m2) < exact(policy.occupancy.min_area_per_person) * persons(h)


def ssb_crowded(h: Household, d: Dwelling, policy: Policy) -> bool:
    """R2: SSB-crowded when (a) and (b) hold; the one known condition decides; neither: no."""
    known = [c for c in (crowded_by_rooms(h, d), crowded_by_area(h, d, policy)) if c is not None]
    return bool(known) and all(known)


def step_free_access(d: Dwelling) -> bool:
    """R8: an elevator, or a known floor no higher than 1 (an unknown floor does not count)."""
    return d.elevator or (d.floor is not None and d.floor <= 1)


# --- school (R4) ----------------------------------------------------------------------------


def school_age(child: Child, policy: Policy) -> bool:
    """R4: ``P.school.min_age <= age <= P.school.max_age``."""
    return policy.school.min_age <= child.age <= policy.school.max_age


def school_level(child: Child, policy: Policy) -> str:
    """R4: ``primary`` when ``age <= P.school.primary_max_age``, else ``lower_secondary``."""
    return "primary" if child.age <= policy.school.primary_max_age else "lower_secondary"


def building_zone(b: Building, child: Child, policy: Policy) -> str | None:
    """R4: the building's school zone of the child's level (None: no access)."""
    if school_level(child, policy) == "primary":
        return b.school_zone_primary
    return b.school_zone_lower_secondary


# --- spread (R5) and separation (R6) ------------------------------------------------------


def building_cap(b: Building, policy: Policy) -> int:
    """R5: ``max(building_min_cap, floor(building_max_share * units))``."""
    share = exact(policy.spread.building_max_share)
    return max(policy.spread.building_min_cap, math.floor(share * b.units))


def separation_scope(b: Building, policy: Policy) -> str:
    """R6: the key of the building's scope: the building itself, or (scope ``cluster``) its
    cluster. A building without a cluster is its own scope."""
    if policy.separation.scope == "building" or b.cluster is None:
        return f"building {b.id}"
    return f"cluster {b.cluster}"


# --- deadline clocks (R7 and siblings) ----------------------------------------------------


def horizon(s: Scenario) -> dt.date:
    """R7: ``as_of + round_days + offer_lead_days``, the earliest move-in of the next round."""
    return s.as_of + dt.timedelta(days=s.policy.round_days + s.policy.offer_lead_days)
