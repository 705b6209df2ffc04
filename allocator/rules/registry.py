"""The ordered lists of every rule family's rules; nothing else.

PAIR_RULES in the order of docs/rules.md: the first rule that rejects a pair names it in
"why not" explanations. ROUND_RULES (capacities and exclusions) and CLOCKS (deadline
clocks) in the order their reasons are listed. A rule whose policy switch is "off"
(analysts' what-if) is skipped as if it did not exist.
"""

from __future__ import annotations

from allocator.rules import (
    r1_assignment,
    r2_size,
    r3_location,
    r4_school,
    r5_school_zone,
    r5_spread,
    r6_separation,
    r7_clocks,
    r7_refugee,
    r7_release,
    r7_temporary,
    r8_needs,
    r10_group_share,
    r11_transfers,
)
from allocator.rules.base import Clock, PairRule, RoundRule
from models.scenario import Scenario

PAIR_RULES: tuple[PairRule, ...] = (
    *r1_assignment.PAIR_RULES,  # forbidden_pair
    *r2_size.PAIR_RULES,  # crowding, too_few_bedrooms, too_many_bedrooms
    *r3_location.PAIR_RULES,  # excluded_district, not_acceptable_district
    *r4_school.PAIR_RULES,  # school_continuity
    *r6_separation.PAIR_RULES,  # site_profile, site_gender, site_age
    *r7_temporary.PAIR_RULES,  # temporary_family
    *r8_needs.PAIR_RULES,  # wheelchair, step_free, staffed, adapted, youth, rent_limit
    *r11_transfers.PAIR_RULES,  # own_dwelling, tenant_temporary, transfers_off
)

ROUND_RULES: tuple[RoundRule, ...] = (
    *r5_spread.ROUND_RULES,  # building_cap, district_quota
    *r5_school_zone.ROUND_RULES,  # school_zone_quota
    *r6_separation.ROUND_RULES,  # separation
    *r10_group_share.ROUND_RULES,  # group_share (only with policy fairness.group_share)
)

CLOCKS: tuple[Clock, ...] = (
    r7_temporary.CLOCK,
    r7_release.CLOCK,
    r7_refugee.CLOCK,
)


def clock_dates(scenario: Scenario) -> r7_clocks.ClockDates:
    return r7_clocks.clock_dates(scenario, CLOCKS)
