"""R7 temporary-housing cap for families: no due family in temporary housing; exact breaches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allocator.checker import facts
from allocator.checker.base import PairRule, RoundRule
from allocator.checker.context import Context
from allocator.checker.violation import Violation
from models.proposal import Proposal
from models.scenario import Category, Dwelling, Household


def temporary_family(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R7: a family never goes to a temporary dwelling, unless the policy allows families
    (``allow_families``, or ``temporary.mode == off``) and the family is not due (a due
    family must leave temporary housing)."""
    if d.category is not Category.temporary or not facts.is_family(h):
        return None
    s = ctx.scenario
    t = s.policy.temporary
    if not (t.allow_families or t.mode == "off"):
        return (f"dwelling {d.id} is temporary housing and household {h.id} is a family "
                f"with {len(h.children)} child(ren); the policy does not allow families there")
    if facts.is_due(h, s):
        return (f"dwelling {d.id} is temporary housing and family {h.id} is due "
                f"(deadline {facts.deadline(h, s.policy)}); it must leave temporary housing")
    return None


@dataclass(frozen=True)
class _Expected:
    deadline: dt.date
    days_over: int
    dwelling: str | None


def expected_breaches(ctx: Context, proposal: Proposal) -> dict[str, _Expected]:
    """R7: every due family in breach: unmatched, or matched with ``move_in > deadline``.

    ``move_in`` is the R9 formula, not the proposal's stated date (R9 checks that one). A
    family matched more than once (an R1 error) is judged by its first match.
    """
    s = ctx.scenario
    first: dict[str, Dwelling] = {}
    for match, _, d in ctx.placements(proposal):
        first.setdefault(match.household, d)
    out = {}
    for h in s.households:
        if not facts.is_due(h, s):
            continue
        limit = facts.deadline(h, s.policy)
        assert limit is not None  # due implies a deadline
        moved_to = first.get(h.id)
        over = facts.days_over(h, moved_to, s)
        if over > 0:
            out[h.id] = _Expected(limit, over, moved_to.id if moved_to is not None else None)
    return out


def check_breach_list(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R7: ``breaches`` lists exactly the due families in breach, with deadline and days over.

    A breach entry's ``dwelling`` is checked only when given. Entries for households the
    scenario lacks are R1 ``unknown_id``, not reported again here.
    """
    expected = expected_breaches(ctx, proposal)
    matched: dict[str, str] = {}
    for m, _, _ in ctx.placements(proposal):
        matched.setdefault(m.household, m.dwelling)
    out = []

    def breach(hid: str, message: str) -> None:
        out.append(Violation(rule="R7", code="breach_list", household=hid,
                             dwelling=matched.get(hid), message=message))

    seen: set[str] = set()
    for entry in proposal.breaches:
        hid = entry.household
        h = ctx.households.get(hid)
        if h is None:
            continue
        if hid in seen:
            breach(hid, f"household {hid} is listed more than once among the breaches")
            continue
        seen.add(hid)
        want = expected.get(hid)
        if want is None:
            breach(hid, _not_a_breach(h, ctx, matched.get(hid)))
            continue
        wrong = []
        if entry.deadline != want.deadline:
            wrong.append(f"deadline {entry.deadline} should be {want.deadline}")
        if entry.days_over != want.days_over:
            wrong.append(f"days_over {entry.days_over} should be {want.days_over}")
        if entry.dwelling is not None and entry.dwelling != want.dwelling:
            wrong.append(f"dwelling {entry.dwelling} should be {want.dwelling or 'none'}")
        if wrong:
            breach(hid, f"breach entry of family {hid}: " + "; ".join(wrong))
    for hid, want in expected.items():
        if hid not in seen:
            how = ("is unmatched" if want.dwelling is None else
                   f"moves into {want.dwelling} after its deadline")
            breach(hid, f"due family {hid} {how} (deadline {want.deadline}, "
                        f"{want.days_over} day(s) over) but is not listed among the breaches")
    return out


def _not_a_breach(h: Household, ctx: Context, dwelling_id: str | None) -> str:
    """Why a listed breach is not one: not a due family, or matched in time."""
    s = ctx.scenario
    limit = facts.deadline(h, s.policy)
    if limit is None:
        return (f"household {h.id} is listed as a breach but is not a family in temporary "
                f"housing")
    if not facts.is_due(h, s):
        return (f"household {h.id} is listed as a breach but is not due: deadline {limit} "
                f"is not before {facts.horizon(s)}")
    assert dwelling_id is not None  # a due family without a match is always in breach
    moving = facts.move_in(s, h, ctx.dwellings[dwelling_id])
    return (f"household {h.id} is listed as a breach but moves into {dwelling_id} on "
            f"{moving}, within its deadline {limit}")


PAIR_RULES = (PairRule("R7", "temporary_family", temporary_family),)

ROUND_RULES = (RoundRule("R7", "breach list", check_breach_list),)
