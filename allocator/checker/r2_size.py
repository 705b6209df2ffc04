"""R2 household size: the SSB crowding ban and the bedroom band."""

from __future__ import annotations

from allocator.checker import facts
from allocator.checker.base import PairRule
from allocator.checker.context import Context
from models.scenario import Dwelling, Household


def crowding(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R2 (``occupancy.crowding == hard``): never place a household SSB-crowded."""
    policy = ctx.policy
    if policy.occupancy.crowding != "hard" or not facts.ssb_crowded(h, d, policy):
        return None
    n = facts.persons(h)
    facts_seen = []
    if d.rooms is not None:
        facts_seen.append(f"{d.rooms} room(s)")
    if d.area_m2 is not None:
        need = policy.occupancy.min_area_per_person * n
        facts_seen.append(
            f"{d.area_m2:g} m² (under {need:g} m² = "
            f"{policy.occupancy.min_area_per_person:g} m² per person)"
        )
    return (
        f"{n} person(s) in dwelling {d.id} with {' and '.join(facts_seen)} "
        f"is crowded by the SSB definition"
    )


def too_few_bedrooms(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R2 (``occupancy.bedrooms == hard``): ``bedrooms >= bedrooms_needed``."""
    need = facts.bedrooms_needed(h)
    if ctx.policy.occupancy.bedrooms != "hard" or d.bedrooms >= need:
        return None
    return (
        f"household {h.id} ({h.adults} adult(s), {len(h.children)} child(ren)) needs "
        f"{need} bedroom(s); dwelling {d.id} has {d.bedrooms}"
    )


def too_many_bedrooms(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R2 (``occupancy.bedrooms == hard``): ``bedrooms <= bedrooms_needed +
    max_extra_bedrooms`` (large flats are scarce)."""
    need = facts.bedrooms_needed(h)
    extra = ctx.policy.occupancy.max_extra_bedrooms
    if ctx.policy.occupancy.bedrooms != "hard" or d.bedrooms <= need + extra:
        return None
    return (
        f"dwelling {d.id} has {d.bedrooms} bedroom(s); household {h.id} needs {need} "
        f"and at most {extra} spare bedroom(s) are allowed"
    )


PAIR_RULES = (
    PairRule("R2", "crowding", crowding),
    PairRule("R2", "too_few_bedrooms", too_few_bedrooms),
    PairRule("R2", "too_many_bedrooms", too_many_bedrooms),
)
