"""Deadline clock "release": a household leaving prison or an institution has its
dwelling ready on the release day (Drammen's practice with the correctional service:
"bolig klar ved endt soning", 004). Its `ready_from` is the release day too (R9), so on
time means moving in that day. Policy switch `deadlines.release`, weight
`deadlines.weights.release`."""

from __future__ import annotations

import datetime as dt

from allocator.rules.base import Clock
from models.policy import Policy
from models.scenario import Household, SituationKind


def deadline(h: Household, policy: Policy) -> dt.date | None:
    if h.situation.kind in (SituationKind.prison, SituationKind.institution):
        return h.situation.release_on
    return None


CLOCK = Clock(
    "release",
    "R7",
    deadline,
    lambda p: p.deadlines.release == "hard",
    lambda p: p.deadlines.weights.release,
    name="løslatelsesdatoen",
    who="Løslatelse eller utskriving",
)
