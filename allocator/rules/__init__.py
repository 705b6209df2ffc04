"""The rule families R1–R9, one module each, and the explicit ordered registry.

PAIRWISE rules decide whether a household–dwelling pair may be matched at all; their order
is the order of docs/rules.md, so the first rule that rejects a pair names it in "why not"
explanations. ROUND_FILTERS are round-level rules whose outcome for a pair is already known
from existing residents (a full building, a zero quota, an existing mix). ROUND rules add
constraints over several pairs to the CP-SAT model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from allocator.data import RoundData
from allocator.rules import (
    r1_assignment,
    r2_size,
    r3_location,
    r4_school,
    r5_spread,
    r6_separation,
    r7_temporary,
    r8_needs,
)

PairwiseFn = Callable[[RoundData, np.ndarray], np.ndarray]
FilterFn = Callable[[RoundData, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class PairRule:
    code: str
    rule: str
    reject: PairwiseFn


@dataclass(frozen=True)
class PairFilter:
    code: str
    rule: str
    reject: FilterFn


PAIRWISE: tuple[PairRule, ...] = (
    PairRule("forbidden_pair", "R1", r1_assignment.reject_forbidden),
    PairRule("crowding", "R2", r2_size.reject_crowding),
    PairRule("too_few_bedrooms", "R2", r2_size.reject_too_few_bedrooms),
    PairRule("too_many_bedrooms", "R2", r2_size.reject_too_many_bedrooms),
    PairRule("excluded_district", "R3", r3_location.reject_excluded),
    PairRule("not_acceptable_district", "R3", r3_location.reject_not_acceptable),
    PairRule("school_continuity", "R4", r4_school.reject_school),
    PairRule("site_profile", "R6", r6_separation.reject_profile),
    PairRule("site_gender", "R6", r6_separation.reject_gender),
    PairRule("site_age", "R6", r6_separation.reject_age),
    PairRule("temporary_family", "R7", r7_temporary.reject_temporary_family),
    PairRule("wheelchair", "R8", r8_needs.reject_wheelchair),
    PairRule("step_free", "R8", r8_needs.reject_step_free),
    PairRule("staffed", "R8", r8_needs.reject_staffed),
    PairRule("adapted", "R8", r8_needs.reject_adapted),
    PairRule("youth", "R8", r8_needs.reject_youth),
    PairRule("rent_limit", "R8", r8_needs.reject_rent),
)

ROUND_FILTERS: tuple[PairFilter, ...] = (
    PairFilter("building_cap", "R5", r5_spread.reject_full_building),
    PairFilter("district_quota", "R5", r5_spread.reject_full_district),
    PairFilter("separation", "R6", r6_separation.reject_existing_mix),
)

ROUND_CONSTRAINTS = (r1_assignment.build, r5_spread.build, r6_separation.build)

#: code -> rule number, for every code a pair can be rejected with.
RULE_OF_CODE: dict[str, str] = {r.code: r.rule for r in (*PAIRWISE, *ROUND_FILTERS)}
#: 1-based position of each code; 0 means "allowed".
CODE_NUMBER: dict[str, int] = {r.code: i + 1 for i, r in enumerate((*PAIRWISE, *ROUND_FILTERS))}
CODES: tuple[str, ...] = tuple(r.code for r in (*PAIRWISE, *ROUND_FILTERS))
