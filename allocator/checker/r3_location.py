"""R3 location: excluded districts never; acceptable districts only, when given."""

from __future__ import annotations

from allocator.checker.base import PairRule
from allocator.checker.context import Context
from models.scenario import Dwelling, Household


def excluded_district(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R3 (``location.mode == hard``): the dwelling's district is in
    ``excluded_districts`` (e.g. safety)."""
    district = ctx.building_of(d).district
    if ctx.policy.location.mode != "hard" or district not in h.excluded_districts:
        return None
    return f"dwelling {d.id} is in district {district}, which household {h.id} excludes"


def not_acceptable_district(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R3 (``location.mode == hard``): ``acceptable_districts`` is given and does not hold
    the dwelling's district.

    An empty list is "given": no district is acceptable.
    """
    district = ctx.building_of(d).district
    if (
        ctx.policy.location.mode != "hard"
        or h.acceptable_districts is None
        or district in h.acceptable_districts
    ):
        return None
    accepted = ", ".join(h.acceptable_districts) or "none"
    return f"dwelling {d.id} is in district {district}; household {h.id} accepts only {accepted}"


PAIR_RULES = (
    PairRule("R3", "excluded_district", excluded_district),
    PairRule("R3", "not_acceptable_district", not_acceptable_district),
)
