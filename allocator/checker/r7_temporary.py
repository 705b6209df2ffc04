"""R7 temporary-housing cap for families: its clock, and no family in temporary housing
(unless allowed and not due). Breaches are checked with every clock (r7_clocks)."""

from __future__ import annotations

import datetime as dt

from allocator.checker import facts
from allocator.checker.base import PairRule
from allocator.checker.context import Context
from allocator.checker.r7_clocks import ClockRule, is_due
from models.policy import Policy
from models.scenario import Category, Dwelling, Household, SituationKind


def deadline(h: Household, policy: Policy) -> dt.date | None:
    """R7: ``situation.since + max_days`` for a family in temporary housing, else None."""
    if not facts.is_family(h) or h.situation.kind is not SituationKind.temporary:
        return None
    if h.situation.since is None:  # the model forbids this; no clock without a start
        return None
    return h.situation.since + dt.timedelta(days=policy.temporary.max_days)


def temporary_family(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R7: a family never goes to a temporary dwelling, unless the policy allows families
    (``allow_families``, or ``temporary.mode == off``) and the family is not due (a due
    family must leave temporary housing)."""
    if d.category is not Category.temporary or not facts.is_family(h):
        return None
    s = ctx.scenario
    t = s.policy.temporary
    if not (t.allow_families or t.mode == "off"):
        return (
            f"dwelling {d.id} is temporary housing and household {h.id} is a family "
            f"with {facts.minors(h)} child(ren); the policy does not allow families there"
        )
    if is_due(h, s):
        return (
            f"dwelling {d.id} is temporary housing and family {h.id} is due "
            f"(deadline {deadline(h, s.policy)}); it must leave temporary housing"
        )
    return None


CLOCK = ClockRule("R7", "temporary", deadline)

PAIR_RULES = (PairRule("R7", "temporary_family", temporary_family),)
