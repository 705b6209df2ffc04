"""The explicit, ordered list of every hard rule the checker states.

``PAIR_RULES`` follows the table of docs/rules.md row by row: its order is the order in
which explanations name the rules that reject a pair. ``ROUND_RULES`` are the rules over
the whole round; ``PLACEMENT_RULES`` the ones among them that limit who may live where
(caps, quotas, separation), as opposed to the proposal's bookkeeping. ``CLOCKS`` are the
deadline clocks in the order a household's clock is looked up.
"""

from __future__ import annotations

from allocator.checker import (
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
    r9_timing,
    r10_group_share,
    r11_transfers,
)
from allocator.checker.base import PairRule, RoundRule
from allocator.checker.r7_clocks import ClockRule

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

PLACEMENT_RULES: tuple[RoundRule, ...] = (
    *r5_spread.ROUND_RULES,  # building_cap, district_quota
    *r5_school_zone.ROUND_RULES,  # school_zone_quota
    *r6_separation.ROUND_RULES,  # separation
    *r10_group_share.ROUND_RULES,  # group_share (only with policy fairness.group_share)
)

ROUND_RULES: tuple[RoundRule, ...] = (
    *r1_assignment.ROUND_RULES,  # duplicates, unknown ids, pinned, unmatched/empty lists
    *PLACEMENT_RULES,
    *r7_clocks.ROUND_RULES,  # breach_list
    *r9_timing.ROUND_RULES,  # move_in
    *r11_transfers.ROUND_RULES,  # tenant_not_moved, chain_date, chain_horizon
    *r10_group_share.REPORT_RULES,  # group_share_report
)

CLOCKS: tuple[ClockRule, ...] = (
    r7_temporary.CLOCK,
    r7_release.CLOCK,
    r7_refugee.CLOCK,
)

PAIR_CODES: tuple[str, ...] = tuple(rule.code for rule in PAIR_RULES)

ROUND_CODES: tuple[str, ...] = (
    "duplicate_household",
    "duplicate_dwelling",
    "unknown_id",
    "pinned_missing",
    "unmatched_list",
    "empty_list",
    "building_cap",
    "district_quota",
    "school_zone_quota",
    "separation",
    "group_share",
    "breach_list",
    "move_in",
    "tenant_not_moved",
    "chain_date",
    "chain_horizon",
    "group_share_report",
)

CODE_ORDER: dict[str, int] = {code: i for i, code in enumerate(PAIR_CODES + ROUND_CODES)}
"""Tie-break for sorting violations of one rule, household and dwelling."""
