"""The two shapes a rule takes: a test on one household–dwelling pair, or a round check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from allocator.checker.context import Context
from allocator.checker.violation import RuleId, Violation
from models.proposal import Proposal
from models.scenario import Dwelling, Household

PairTest = Callable[[Context, Household, Dwelling], "str | None"]
"""Returns why the pair is not allowed (concrete English), or None when it is allowed."""

RoundCheck = Callable[[Context, Proposal], list[Violation]]


@dataclass(frozen=True)
class PairRule:
    """One row of the pairwise table in docs/rules.md."""

    rule: RuleId
    code: str
    test: PairTest


@dataclass(frozen=True)
class RoundRule:
    """A rule over the whole round (docs/rules.md, "Rules over the whole round")."""

    rule: RuleId
    name: str
    check: RoundCheck
