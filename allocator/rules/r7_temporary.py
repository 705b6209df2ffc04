"""R7: the 3-month cap on temporary housing for families with children (002 tiltak 2.5),
the first deadline clock (allocator.rules.r7_clocks).

A family in temporary housing must have a non-temporary dwelling by `since + max_days`.
Hard pairwise: no family into a temporary dwelling, unless the policy allows families
there (`allow_families`, or R7 off) and the family is not due (a due family must leave
temporary housing). With `temporary.mode` off (analysts' what-if) the clock is not ranked,
but breaches are still listed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from allocator.data import CATEGORY_CODES, RoundData
from allocator.rules.base import Clock, PairRule
from models.policy import Policy
from models.scenario import Category, Household, SituationKind

TEMPORARY = CATEGORY_CODES[Category.temporary]


def deadline(h: Household, policy: Policy) -> dt.date | None:
    """since + max_days for a family in temporary housing."""
    if not h.is_family or h.situation.kind is not SituationKind.temporary:
        return None
    if h.situation.since is None:
        return None
    return h.situation.since + dt.timedelta(days=policy.temporary.max_days)


def reject_temporary_family(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: no family into a temporary dwelling, unless the policy allows it (or has R7
    off) and the family is not due (a due family must leave temporary housing)."""
    t = data.policy.temporary
    family = data.family[hs]
    allowed = t.allow_families or t.mode == "off"
    blocked = family & data.due[hs] if allowed else family
    return blocked[:, None] & (data.category == TEMPORARY)[None, :]


CLOCK = Clock(
    "temporary",
    "R7",
    deadline,
    lambda p: p.temporary.mode == "hard",
    lambda p: p.deadlines.weights.temporary,
    name="3-månedersfristen",
    who="Barnefamilie i midlertidig botilbud",
)

#: Who a look-ahead reason speaks of when the clock has not started yet: a family without a
#: home that may be placed in temporary housing while it waits (allocator.lookahead).
ENTERING_WHO = "Barnefamilie uten bolig"

PAIR_RULES = (
    PairRule(
        "temporary_family",
        "R7",
        reject_temporary_family,
        "barnefamilier skal ikke i midlertidig botilbud",
    ),
)
