"""The rule families R1–R9, one module each, and the explicit ordered registry.

PAIRWISE rules decide whether a household–dwelling pair may be matched at all; their order
is the order of docs/rules.md, so the first rule that rejects a pair names it in "why not"
explanations. A rule whose policy switch is "off" (analysts' what-if) is skipped as if it
did not exist; `enabled` reads the switch. ROUND_FILTERS are round-level rules whose
outcome for a pair is already known from existing residents (a full building, a zero
quota, an existing mix). ROUND rules add constraints over several pairs to the CP-SAT
model.
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
from models.policy import Policy

PairwiseFn = Callable[[RoundData, np.ndarray], np.ndarray]
SwitchFn = Callable[[Policy], bool]
FilterFn = Callable[[RoundData, np.ndarray, np.ndarray], np.ndarray]


def _always(policy: Policy) -> bool:
    return True


@dataclass(frozen=True)
class PairRule:
    code: str
    rule: str
    reject: PairwiseFn
    enabled: SwitchFn = _always


@dataclass(frozen=True)
class PairFilter:
    code: str
    rule: str
    reject: FilterFn


def _hard(section: str, switch: str) -> SwitchFn:
    """The rule is on while `policy.<section>.<switch>` is "hard"."""
    return lambda p: getattr(getattr(p, section), switch) == "hard"


_crowding = _hard("occupancy", "crowding")
_bedrooms = _hard("occupancy", "bedrooms")
_location = _hard("location", "mode")
_school = _hard("school", "mode")
_sites = _hard("separation", "sites")
_needs = _hard("needs", "mode")


PAIRWISE: tuple[PairRule, ...] = (
    PairRule("forbidden_pair", "R1", r1_assignment.reject_forbidden),
    PairRule("crowding", "R2", r2_size.reject_crowding, _crowding),
    PairRule("too_few_bedrooms", "R2", r2_size.reject_too_few_bedrooms, _bedrooms),
    PairRule("too_many_bedrooms", "R2", r2_size.reject_too_many_bedrooms, _bedrooms),
    PairRule("excluded_district", "R3", r3_location.reject_excluded, _location),
    PairRule("not_acceptable_district", "R3", r3_location.reject_not_acceptable, _location),
    PairRule("school_continuity", "R4", r4_school.reject_school, _school),
    PairRule("site_profile", "R6", r6_separation.reject_profile, _sites),
    PairRule("site_gender", "R6", r6_separation.reject_gender, _sites),
    PairRule("site_age", "R6", r6_separation.reject_age, _sites),
    PairRule("temporary_family", "R7", r7_temporary.reject_temporary_family),
    PairRule("wheelchair", "R8", r8_needs.reject_wheelchair, _needs),
    PairRule("step_free", "R8", r8_needs.reject_step_free, _needs),
    PairRule("staffed", "R8", r8_needs.reject_staffed, _needs),
    PairRule("adapted", "R8", r8_needs.reject_adapted, _needs),
    PairRule("youth", "R8", r8_needs.reject_youth, _needs),
    PairRule("rent_limit", "R8", r8_needs.reject_rent, _needs),
)

ROUND_FILTERS: tuple[PairFilter, ...] = (
    PairFilter("building_cap", "R5", r5_spread.reject_full_building),
    PairFilter("district_quota", "R5", r5_spread.reject_full_district),
    PairFilter("separation", "R6", r6_separation.reject_existing_mix),
)

ROUND_CONSTRAINTS = (r1_assignment.build, r5_spread.build, r6_separation.build)

#: Every rule a pair can be rejected by, in explanation order.
REJECTING: tuple[PairRule | PairFilter, ...] = (*PAIRWISE, *ROUND_FILTERS)
#: code -> rule number, for every code a pair can be rejected with.
RULE_OF_CODE: dict[str, str] = {r.code: r.rule for r in REJECTING}
#: 1-based position of each code; 0 means "allowed".
CODE_NUMBER: dict[str, int] = {r.code: i + 1 for i, r in enumerate(REJECTING)}
CODES: tuple[str, ...] = tuple(r.code for r in REJECTING)
