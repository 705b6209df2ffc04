"""R5 spread: building cap and district quota on new high-need placements."""

from __future__ import annotations

from collections import defaultdict

from allocator.checker import facts
from allocator.checker.base import RoundRule
from allocator.checker.context import Context
from allocator.checker.violation import Violation
from models.proposal import Match, Proposal
from models.scenario import Profile


def check_building_cap(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R5 (``spread.building_cap == hard``): ordinary buildings keep high need under the cap.

    ``residents.high_need + new high-need <= max(building_min_cap, floor(share * units))``
    for each ordinary building receiving at least one new high-need household. Every new
    high-need placement in a building over its cap is reported.
    """
    policy = ctx.policy
    if policy.spread.building_cap != "hard":
        return []
    new: dict[str, list[Match]] = defaultdict(list)
    for match, h, d in ctx.placements(proposal):
        if facts.high_need(h, policy):
            new[d.building].append(match)
    out = []
    for building_id, matches in new.items():
        b = ctx.buildings[building_id]
        if b.profile is not Profile.ordinary:
            continue
        cap = facts.building_cap(b, policy)
        total = b.residents.high_need + len(matches)
        if total <= cap:
            continue
        message = (
            f"building {b.id} would hold {total} high-need households "
            f"({b.residents.high_need} existing + {len(matches)} new); cap is {cap} = "
            f"max(building_min_cap {policy.spread.building_min_cap}, "
            f"floor({policy.spread.building_max_share:g} × {b.units} units))"
        )
        for m in matches:
            out.append(
                Violation(
                    rule="R5",
                    code="building_cap",
                    household=m.household,
                    dwelling=m.dwelling,
                    message=message,
                )
            )
    return out


def check_district_quota(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R5 (``spread.district_quota == hard``): new high need per district <= its quota.

    Every new high-need placement in a district over its quota is reported.
    """
    policy = ctx.policy
    if policy.spread.district_quota != "hard":
        return []
    new: dict[str, list[Match]] = defaultdict(list)
    for match, h, d in ctx.placements(proposal):
        if facts.high_need(h, policy):
            new[ctx.building_of(d).district].append(match)
    out = []
    for district_id, matches in new.items():
        district = ctx.districts.get(district_id)
        quota = district.max_new_high_need if district is not None else None
        if quota is None or len(matches) <= quota:
            continue
        message = (
            f"district {district_id} would receive {len(matches)} new high-need "
            f"households; its quota is {quota}"
        )
        for m in matches:
            out.append(
                Violation(
                    rule="R5",
                    code="district_quota",
                    household=m.household,
                    dwelling=m.dwelling,
                    message=message,
                )
            )
    return out


ROUND_RULES = (
    RoundRule("R5", "building cap", check_building_cap),
    RoundRule("R5", "district quota", check_district_quota),
)
