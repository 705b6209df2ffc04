"""R4 school continuity: school-age children who keep their school must reach it."""

from __future__ import annotations

from allocator.checker import facts
from allocator.checker.base import PairRule
from allocator.checker.context import Context
from models.scenario import Dwelling, Household


def school_continuity(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R4 (``school.mode == hard``): each kept school is in zone or within travel minutes.

    Reports the first child (in the household's order) without access.
    """
    policy = ctx.policy
    if policy.school.mode != "hard":
        return None
    b = ctx.building_of(d)
    limit = policy.school.max_travel_minutes
    for number, child in enumerate(h.children, start=1):
        if not child.keep_school or child.school_zone is None:
            continue
        if not facts.school_age(child, policy):
            continue
        level = facts.school_level(child, policy).replace("_", "-")
        zone = facts.building_zone(b, child, policy)
        who = (
            f"child {number} of household {h.id} (age {child.age}, {level}) keeps "
            f"school zone {child.school_zone}"
        )
        if zone == child.school_zone:
            continue
        if zone is None:
            return f"{who}; building {b.id} has no {level} school zone"
        minutes = ctx.access.get((zone, child.school_zone))
        if minutes is None:
            return (
                f"{who}; building {b.id} is in {level} zone {zone} and no school_access "
                f"entry leads from {zone} to {child.school_zone}"
            )
        if minutes > limit:
            return (
                f"{who}; building {b.id} is in {level} zone {zone}, {minutes} minutes "
                f"away; the limit is {limit}"
            )
    return None


PAIR_RULES = (PairRule("R4", "school_continuity", school_continuity),)
