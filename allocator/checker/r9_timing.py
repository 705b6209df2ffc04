"""R9 timing: each match's move-in date is the one the formula gives."""

from __future__ import annotations

from allocator.checker import facts
from allocator.checker.base import RoundRule
from allocator.checker.context import Context
from allocator.checker.violation import Violation
from models.proposal import Proposal


def check_move_in(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R9: ``move_in == max(as_of + lead, available_from + board days, ready_from)``. A
    dwelling a tenant frees (R11) has its own date, which R11 states."""
    s = ctx.scenario
    out = []
    for match, h, d in ctx.placements(proposal):
        if d.occupied:
            continue
        want = facts.move_in(s, h, d)
        if match.move_in == want:
            continue
        parts = [
            f"as_of {s.as_of} + {s.policy.offer_lead_days} lead days",
            f"available {d.available_from} + {d.board_approval_days} board days",
        ]
        ready = facts.ready_from(h)
        if ready is not None:
            parts.append(f"ready from {ready}")
        out.append(
            Violation(
                rule="R9",
                code="move_in",
                household=match.household,
                dwelling=match.dwelling,
                message=f"move_in is {match.move_in}; it should be {want} = the latest of "
                + ", ".join(parts),
            )
        )
    return out


ROUND_RULES = (RoundRule("R9", "move-in dates", check_move_in),)
