"""The independent checker: a plain-Python statement of the hard rules R1–R9.

It states docs/rules.md a second time, without the CP-SAT model (nothing here imports
``allocator.rules``, ``allocator.model`` or ``allocator.solve``), so the two can be held to
each other. ``allocator check`` runs it on any proposal, including manual ones.
"""

from __future__ import annotations

from allocator.checker.context import Context
from allocator.checker.registry import CODE_ORDER, PAIR_RULES, ROUND_RULES
from allocator.checker.violation import Violation
from models.proposal import Proposal
from models.scenario import Scenario

__all__ = ["Violation", "check_proposal", "pair_violations", "pair_reasons"]


def check_proposal(scenario: Scenario, proposal: Proposal) -> list[Violation]:
    """Every hard-rule violation of ``proposal``, sorted by rule, household, dwelling.

    Each match whose ids exist is tested against every pairwise rule; then each round rule
    runs over the whole proposal. Breaches (R7) are not violations, but a wrong breach list
    is.
    """
    ctx = Context.of(scenario)
    found: list[Violation] = []
    for match, h, d in ctx.placements(proposal):
        for rule in PAIR_RULES:
            message = rule.test(ctx, h, d)
            if message is not None:
                found.append(
                    Violation(
                        rule=rule.rule,
                        code=rule.code,
                        household=match.household,
                        dwelling=match.dwelling,
                        message=message,
                    )
                )
    for round_rule in ROUND_RULES:
        found.extend(round_rule.check(ctx, proposal))
    return sorted(found, key=_order)


def pair_violations(scenario: Scenario, household_id: str, dwelling_id: str) -> list[str]:
    """The codes of every pairwise rule forbidding this pair, in the order of the table.

    Raises KeyError for an id the scenario does not hold.
    """
    return [code for code, _ in pair_reasons(scenario, household_id, dwelling_id)]


def pair_reasons(scenario: Scenario, household_id: str, dwelling_id: str) -> list[tuple[str, str]]:
    """Like ``pair_violations``, with each rule's English explanation: ``(code, message)``."""
    ctx = _context(scenario)
    if household_id not in ctx.households:
        raise KeyError(f"household {household_id!r} is not in the scenario")
    if dwelling_id not in ctx.dwellings:
        raise KeyError(f"dwelling {dwelling_id!r} is not in the scenario")
    h = ctx.households[household_id]
    d = ctx.dwellings[dwelling_id]
    out = []
    for rule in PAIR_RULES:
        message = rule.test(ctx, h, d)
        if message is not None:
            out.append((rule.code, message))
    return out


def _order(v: Violation) -> tuple[int, str, str, int, str]:
    """Deterministic order: rule number, household, dwelling, then code and message."""
    return (
        int(v.rule[1:]),
        v.household or "",
        v.dwelling or "",
        CODE_ORDER.get(v.code, 99),
        v.message,
    )


_last_context: Context | None = None


def _context(scenario: Scenario) -> Context:
    """The lookups of the last scenario asked about: explanations ask pair by pair."""
    global _last_context
    cached = _last_context
    if cached is None or cached.scenario is not scenario:
        cached = Context.of(scenario)
        _last_context = cached
    return cached
