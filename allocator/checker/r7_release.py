"""Deadline clock "release": prison or institution, the dwelling ready on ``release_on``."""

from __future__ import annotations

import datetime as dt

from allocator.checker.r7_clocks import ClockRule
from models.policy import Policy
from models.scenario import Household, SituationKind


def deadline(h: Household, policy: Policy) -> dt.date | None:
    """``situation.release_on`` for ``situation.kind`` prison or institution."""
    if h.situation.kind not in (SituationKind.prison, SituationKind.institution):
        return None
    return h.situation.release_on


CLOCK = ClockRule("R7", "release", deadline)
