"""Deadline clock "refugee": the dwelling ready on ``arrives_on``, the agreed arrival."""

from __future__ import annotations

import datetime as dt

from allocator.checker.r7_clocks import ClockRule
from models.policy import Policy
from models.scenario import Household, SituationKind


def deadline(h: Household, policy: Policy) -> dt.date | None:
    """``situation.arrives_on`` for ``situation.kind`` refugee."""
    if h.situation.kind is not SituationKind.refugee:
        return None
    return h.situation.arrives_on


CLOCK = ClockRule("R7", "refugee", deadline)
