"""Deadline clocks (R7 and its siblings), the checker's statement: which clock a household
has, when it is due, when it is in breach and by how many days, and the breach list.

- A household has the first clock (in registry order) whose deadline applies to it.
- Due: ``deadline < as_of + round_days + offer_lead_days`` (the next round is too late).
- In breach: due and unmatched, or due and matched to a temporary dwelling (that does not
  end the clock); or matched (due or not) with ``move_in > deadline``.
- Days over: ``move_in - deadline`` when matched late; otherwise (due, unmatched or in a
  temporary dwelling) ``max(horizon, latest) - deadline``, where ``latest`` is the latest
  move-in among the non-temporary dwellings the household may have on its own (every
  pairwise rule, and no round rule broken by that placement alone), so leaving it
  unmatched is never counted as less than housing it late would be.
Breaches are listed whether or not the clock is switched on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from allocator.checker import facts
from allocator.checker.base import RoundRule
from allocator.checker.context import Context
from allocator.checker.violation import RuleId, Violation
from models.policy import Policy
from models.proposal import Match, Proposal, RunInfo
from models.scenario import Category, Dwelling, Household, Scenario

Deadline = Callable[[Household, Policy], "dt.date | None"]


@dataclass(frozen=True)
class ClockRule:
    """One deadline clock: its code (``Breach.clock``) and when it runs out."""

    rule: RuleId
    clock: str
    deadline: Deadline


def _clocks() -> tuple[ClockRule, ...]:
    from allocator.checker.registry import CLOCKS

    return CLOCKS


def clock_of(h: Household, policy: Policy) -> tuple[str, dt.date] | None:
    """(clock code, deadline) of the household's clock, or None."""
    for c in _clocks():
        limit = c.deadline(h, policy)
        if limit is not None:
            return c.clock, limit
    return None


def deadline(h: Household, policy: Policy) -> dt.date | None:
    found = clock_of(h, policy)
    return None if found is None else found[1]


def is_due(h: Household, s: Scenario) -> bool:
    limit = deadline(h, s.policy)
    return limit is not None and limit < facts.horizon(s)


def may_have_alone(ctx: Context, h: Household, d: Dwelling) -> bool:
    """Every pairwise rule allows the pair, and placing it alone breaks no round rule."""
    from allocator.checker.registry import PAIR_RULES, PLACEMENT_RULES

    if any(rule.test(ctx, h, d) is not None for rule in PAIR_RULES):
        return False
    lone = Proposal(
        run=RunInfo(id="alone", as_of=ctx.as_of, input_sha256="", policy_sha256=""),
        matches=[Match(household=h.id, dwelling=d.id, move_in=facts.move_in(ctx.scenario, h, d))],
    )
    return not any(rule.check(ctx, lone) for rule in PLACEMENT_RULES)


def unmatched_days_over(ctx: Context, h: Household) -> int:
    """Days over of a due household left unmatched (0 when not due).

    The latest move-in it may have alone is searched from the dwellings ready last: R9's
    move-in never decreases with the dwelling's own ready date, so the first one it may
    have is the latest, and once a move-in is no later than the next round's the rest
    cannot matter. (Each dwelling tested in turn gives the same; with thousands of due
    households left unmatched that took hours.)"""
    s = ctx.scenario
    limit = deadline(h, s.policy)
    if limit is None or not is_due(h, s):
        return 0
    end = facts.horizon(s)
    for d in ctx.dwellings_ready_last:
        move_in = facts.move_in(s, h, d)
        if move_in <= end:
            break
        # An occupied dwelling is free only if its tenant moves: not one it may have alone.
        if d.category is not Category.temporary and not d.occupied and may_have_alone(ctx, h, d):
            end = move_in
            break
    return (end - limit).days


def breach(ctx: Context, h: Household, d: Dwelling | None, move_in: dt.date | None = None) -> int:
    """Days over the household's clock when matched to `d` (None: unmatched) on
    `move_in` (default R9's date); 0 means no breach (a breach always has at least one
    day over)."""
    s = ctx.scenario
    limit = deadline(h, s.policy)
    if limit is None:
        return 0
    if d is None or d.category is Category.temporary:
        return unmatched_days_over(ctx, h)
    return max(0, ((move_in or facts.move_in(s, h, d)) - limit).days)


@dataclass(frozen=True)
class _Expected:
    clock: str
    deadline: dt.date
    days_over: int
    dwelling: str | None


def expected_breaches(ctx: Context, proposal: Proposal) -> dict[str, _Expected]:
    """Every household in breach of its clock, with clock, deadline and days over.

    ``move_in`` is the R9 formula, not the proposal's stated date (R9 checks that one);
    into a dwelling a tenant frees it is the stated date, which R11 checks against the
    chain. A household matched more than once (an R1 error) is judged by its first match.
    """
    s = ctx.scenario
    first: dict[str, Dwelling] = {}
    stated: dict[str, dt.date] = {}
    for match, _, d in ctx.placements(proposal):
        first.setdefault(match.household, d)
        if d.occupied:
            stated.setdefault(match.household, match.move_in)
    out = {}
    for h in s.households:
        found = clock_of(h, s.policy)
        if found is None:
            continue
        moved_to = first.get(h.id)
        over = breach(ctx, h, moved_to, stated.get(h.id))
        if over > 0:
            out[h.id] = _Expected(
                found[0], found[1], over, moved_to.id if moved_to is not None else None
            )
    return out


def check_breach_list(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R7: ``breaches`` lists exactly the households in breach of a clock, with clock,
    deadline and days over. A breach entry's ``dwelling`` is checked only when given.
    Entries for households the scenario lacks are R1 ``unknown_id``, not reported again.
    """
    expected = expected_breaches(ctx, proposal)
    matched: dict[str, str] = {}
    for m, _, _ in ctx.placements(proposal):
        matched.setdefault(m.household, m.dwelling)
    out = []

    def report(hid: str, message: str) -> None:
        out.append(
            Violation(
                rule="R7",
                code="breach_list",
                household=hid,
                dwelling=matched.get(hid),
                message=message,
            )
        )

    seen: set[str] = set()
    for entry in proposal.breaches:
        hid = entry.household
        h = ctx.households.get(hid)
        if h is None:
            continue
        if hid in seen:
            report(hid, f"household {hid} is listed more than once among the breaches")
            continue
        seen.add(hid)
        want = expected.get(hid)
        if want is None:
            report(hid, _not_a_breach(h, ctx, matched.get(hid)))
            continue
        wrong = []
        if entry.clock != want.clock:
            wrong.append(f"clock {entry.clock} should be {want.clock}")
        if entry.deadline != want.deadline:
            wrong.append(f"deadline {entry.deadline} should be {want.deadline}")
        if entry.days_over != want.days_over:
            wrong.append(f"days_over {entry.days_over} should be {want.days_over}")
        if entry.dwelling is not None and entry.dwelling != want.dwelling:
            wrong.append(f"dwelling {entry.dwelling} should be {want.dwelling or 'none'}")
        if wrong:
            report(hid, f"breach entry of household {hid}: " + "; ".join(wrong))
    for hid, want in expected.items():
        if hid not in seen:
            how = (
                "is unmatched"
                if want.dwelling is None
                else f"moves into {want.dwelling} too late or into temporary housing"
            )
            report(
                hid,
                f"household {hid} {how} ({want.clock} deadline {want.deadline}, "
                f"{want.days_over} day(s) over) but is not listed among the breaches",
            )
    return out


def _not_a_breach(h: Household, ctx: Context, dwelling_id: str | None) -> str:
    """Why a listed breach is not one: no clock, not due, or matched in time."""
    s = ctx.scenario
    found = clock_of(h, s.policy)
    if found is None:
        return f"household {h.id} is listed as a breach but has no deadline clock"
    if dwelling_id is None:
        return (
            f"household {h.id} is listed as a breach but is not due: its {found[0]} "
            f"deadline {found[1]} is not before {facts.horizon(s)}"
        )
    moving = facts.move_in(s, h, ctx.dwellings[dwelling_id])
    return (
        f"household {h.id} is listed as a breach but moves into {dwelling_id} on "
        f"{moving}, within its {found[0]} deadline {found[1]}"
    )


ROUND_RULES = (RoundRule("R7", "breach list", check_breach_list),)
