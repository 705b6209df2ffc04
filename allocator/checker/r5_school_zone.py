"""R5 school zones: new high-need placements per primary school zone within its quota."""

from __future__ import annotations

from collections import defaultdict

from allocator.checker import facts
from allocator.checker.base import RoundRule
from allocator.checker.context import Context
from allocator.checker.violation import Violation
from models.proposal import Match, Proposal


def check_school_zone_quota(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R5 (``spread.school_zone_quota == hard``): for each zone of ``school_zones`` with a
    ``max_new_high_need``, the new high-need households placed in buildings whose
    ``school_zone_primary`` is that zone number at most the quota. Every such placement in
    a zone over its quota is reported."""
    policy = ctx.policy
    if policy.spread.school_zone_quota != "hard":
        return []
    quota = {
        z.id: z.max_new_high_need
        for z in ctx.scenario.school_zones
        if z.max_new_high_need is not None
    }
    new: dict[str, list[Match]] = defaultdict(list)
    for match, h, d in ctx.placements(proposal):
        zone = ctx.building_of(d).school_zone_primary
        if zone in quota and facts.high_need(h, policy):
            new[zone].append(match)
    out: list[Violation] = []
    for zone, matches in new.items():
        if len(matches) <= quota[zone]:
            continue
        message = (
            f"school zone {zone} would receive {len(matches)} new high-need "
            f"households; its quota is {quota[zone]}"
        )
        out.extend(
            Violation(
                rule="R5",
                code="school_zone_quota",
                household=m.household,
                dwelling=m.dwelling,
                message=message,
            )
            for m in matches
        )
    return out


ROUND_RULES = (RoundRule("R5", "school zone quota", check_school_zone_quota),)
