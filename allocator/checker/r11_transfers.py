"""R11 transfers and vacancy chains, stated again over the scenario and the proposal.

docs/rules.md "R11 transfers": a tenant is never offered its own dwelling; with
`transfers.enabled: false` no tenant moves and no occupied dwelling is let; an occupied
dwelling goes to a new household only if its tenant moves in this round (so a chain never
leaves a tenant without a dwelling); the move-in there is
`max(R9 move-in, tenant's move-in + turnover_days + board days)`, or, in a two-way swap
(the tenant takes the new household's own dwelling), both move on the same day, the later
of their two R9 move-ins; and no such move is later than `as_of + horizon_days`.
"""

from __future__ import annotations

import datetime as dt

from allocator.checker import facts
from allocator.checker.base import PairRule, RoundRule
from allocator.checker.context import Context
from allocator.checker.violation import Violation
from models.proposal import Match, Proposal
from models.scenario import Category, Dwelling, Household


def own_dwelling(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R11: a tenant is never matched to the dwelling it holds."""
    if h.current_dwelling is not None and h.current_dwelling == d.id:
        return f"household {h.id} already lives in dwelling {d.id} (its current_dwelling)"
    return None


def tenant_temporary(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R11: a tenant is never matched to a temporary dwelling (it holds one of its own)."""
    if h.current_dwelling is not None and d.category is Category.temporary:
        return f"household {h.id} is a sitting tenant; dwelling {d.id} is temporary housing"
    return None


def transfers_off(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R11: with transfers switched off, tenants stay and occupied dwellings are not let."""
    if ctx.policy.transfers.enabled:
        return None
    if h.current_dwelling is not None:
        return f"household {h.id} is a sitting tenant and transfers.enabled is false"
    if d.occupied:
        return f"dwelling {d.id} is occupied and transfers.enabled is false"
    return None


def tenants(ctx: Context) -> dict[str, Household]:
    """Occupied dwelling id -> its tenant."""
    return {
        h.current_dwelling: h for h in ctx.scenario.households if h.current_dwelling is not None
    }


def chain_date(
    ctx: Context,
    match: Match,
    h: Household,
    d: Dwelling,
    tenant: Household,
    matches: dict[str, Match],
) -> tuple[dt.date | None, str]:
    """The move-in the chain rules give `match` onto `d`, occupied by `tenant`, and how
    (None when the tenant does not move, so the dwelling is not free)."""
    s, p = ctx.scenario, ctx.policy.transfers
    moved = matches.get(tenant.id)
    if moved is None:
        return None, f"its tenant {tenant.id} is not moved"
    own = facts.move_in(s, h, d)
    if h.current_dwelling is not None and moved.dwelling == h.current_dwelling:
        other = facts.move_in(s, tenant, ctx.dwellings[moved.dwelling])
        return max(own, other), (
            f"a two-way swap with {tenant.id}: both move on the later of {own} and {other}"
        )
    ready = moved.move_in + dt.timedelta(days=p.turnover_days + d.board_approval_days)
    return max(own, ready), (
        f"the latest of {own} (R9) and tenant {tenant.id}'s move-in {moved.move_in} + "
        f"{p.turnover_days} turnover days + {d.board_approval_days} board days"
    )


def check_chains(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R11: an occupied dwelling is let only if its tenant moves; on the chain's date (or
    the swap's day); within the horizon."""
    matches = {m.household: m for m in proposal.matches}
    horizon = ctx.as_of + dt.timedelta(days=ctx.policy.transfers.horizon_days)
    by_dwelling = tenants(ctx)
    out = []
    for match, h, d in ctx.placements(proposal):
        tenant = by_dwelling.get(d.id) if d.occupied else None
        if tenant is None:
            continue
        want, how = chain_date(ctx, match, h, d, tenant, matches)
        if want is None:
            out.append(
                Violation(
                    rule="R11",
                    code="tenant_not_moved",
                    household=match.household,
                    dwelling=match.dwelling,
                    message=f"dwelling {d.id} is occupied and {how}: it is not free, and "
                    "its tenant would be left without a dwelling",
                )
            )
            continue
        if match.move_in != want:
            out.append(
                Violation(
                    rule="R11",
                    code="chain_date",
                    household=match.household,
                    dwelling=match.dwelling,
                    message=f"move_in is {match.move_in}; it should be {want} = {how}",
                )
            )
        if match.move_in > horizon:
            out.append(
                Violation(
                    rule="R11",
                    code="chain_horizon",
                    household=match.household,
                    dwelling=match.dwelling,
                    message=f"move_in {match.move_in} into freed dwelling {d.id} is after "
                    f"as_of + transfers.horizon_days = {horizon}",
                )
            )
    return out


def expected_move_ins(ctx: Context, chosen: dict[str, str]) -> dict[str, dt.date | None]:
    """For an assignment (household -> dwelling), each household's move-in by R9 and the
    chain rules, following tenants down their chains; None where no date holds (a tenant
    not moved, or a cycle of three or more: each link adds turnover days). For tools that
    build proposals (tests, manual ones), not for judging them."""
    s = ctx.scenario
    by_tenant = tenants(ctx)
    out: dict[str, dt.date | None] = {}

    def date(hid: str, seen: frozenset[str]) -> dt.date | None:
        if hid in out:
            return out[hid]
        h, d = ctx.households[hid], ctx.dwellings[chosen[hid]]
        tenant = by_tenant.get(d.id) if d.occupied else None
        found: dt.date | None
        if tenant is None:
            found = facts.move_in(s, h, d)
        elif tenant.id not in chosen or tenant.id in seen:
            found = None
        elif chosen[tenant.id] == h.current_dwelling:
            found = max(
                facts.move_in(s, h, d), facts.move_in(s, tenant, ctx.dwellings[chosen[tenant.id]])
            )
        else:
            below = date(tenant.id, seen | {hid})
            found = None
            if below is not None:
                turnover = ctx.policy.transfers.turnover_days + d.board_approval_days
                found = max(facts.move_in(s, h, d), below + dt.timedelta(days=turnover))
        out[hid] = found
        return found

    for hid in chosen:
        date(hid, frozenset())
    return out


PAIR_RULES = (
    PairRule("R11", "own_dwelling", own_dwelling),
    PairRule("R11", "tenant_temporary", tenant_temporary),
    PairRule("R11", "transfers_off", transfers_off),
)

ROUND_RULES = (RoundRule("R11", "transfers and vacancy chains", check_chains),)
