"""Deadline clock "refugee": a refugee household has its dwelling ready on `arrives_on`,
the date the municipality has agreed to receive it (77 of Drammen's 543 allocation cases
in 2024 concerned newly arrived refugees, 000). It cannot move in before arriving (R9
`ready_from`), so on time means moving in that day. Policy switch `deadlines.refugee`,
weight `deadlines.weights.refugee`."""

from __future__ import annotations

import datetime as dt

from allocator.rules.base import Clock
from models.policy import Policy
from models.scenario import Household, SituationKind


def deadline(h: Household, policy: Policy) -> dt.date | None:
    if h.situation.kind is SituationKind.refugee:
        return h.situation.arrives_on
    return None


CLOCK = Clock(
    "refugee",
    "R7",
    deadline,
    lambda p: p.deadlines.refugee == "hard",
    lambda p: p.deadlines.weights.refugee,
    name="bosettingsdatoen",
    who="Flyktning som skal bosettes",
)
