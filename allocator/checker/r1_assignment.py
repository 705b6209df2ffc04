"""R1 assignment: one dwelling per household and back, known ids, locks, complete lists."""

from __future__ import annotations

from collections import defaultdict

from allocator.checker.base import PairRule, RoundRule
from allocator.checker.context import Context
from allocator.checker.violation import Violation
from models.proposal import Proposal
from models.scenario import Dwelling, Household


def forbidden_pair(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R1: a pair in ``locks.forbidden`` is never matched."""
    reason = ctx.forbidden.get((h.id, d.id))
    if reason is None:
        return None
    return f"household {h.id} and dwelling {d.id} are a forbidden pair (lock reason: {reason})"


def check_duplicates(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R1: each household at most once, each dwelling at most once among the matches."""
    by_household: dict[str, list[str]] = defaultdict(list)
    by_dwelling: dict[str, list[str]] = defaultdict(list)
    for m in proposal.matches:
        by_household[m.household].append(m.dwelling)
        by_dwelling[m.dwelling].append(m.household)
    out = []
    for hid, dwellings in by_household.items():
        if len(dwellings) > 1:
            out.append(
                Violation(
                    rule="R1",
                    code="duplicate_household",
                    household=hid,
                    message=f"household {hid} is matched {len(dwellings)} times "
                    f"(dwellings {', '.join(dwellings)}); at most once is allowed",
                )
            )
    for did, households in by_dwelling.items():
        if len(households) > 1:
            out.append(
                Violation(
                    rule="R1",
                    code="duplicate_dwelling",
                    dwelling=did,
                    message=f"dwelling {did} is matched {len(households)} times "
                    f"(households {', '.join(households)}); at most once is allowed",
                )
            )
    return out


def check_unknown_ids(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R1: every id the proposal names exists in the scenario."""
    out = []

    def unknown(
        kind: str, id_: str, where: str, household: str | None, dwelling: str | None
    ) -> None:
        out.append(
            Violation(
                rule="R1",
                code="unknown_id",
                household=household,
                dwelling=dwelling,
                message=f"{where} names {kind} {id_}, which is not in the scenario",
            )
        )

    for m in proposal.matches:
        if m.household not in ctx.households:
            unknown(
                "household",
                m.household,
                f"match {m.household}–{m.dwelling}",
                m.household,
                m.dwelling,
            )
        if m.dwelling not in ctx.dwellings:
            unknown(
                "dwelling", m.dwelling, f"match {m.household}–{m.dwelling}", m.household, m.dwelling
            )
    for u in proposal.unmatched:
        if u.household not in ctx.households:
            unknown("household", u.household, "the unmatched list", u.household, None)
    for e in proposal.empty_dwellings:
        if e.dwelling not in ctx.dwellings:
            unknown("dwelling", e.dwelling, "the empty-dwelling list", None, e.dwelling)
    for b in proposal.breaches:
        if b.household not in ctx.households:
            unknown("household", b.household, "the breach list", b.household, b.dwelling)
        if b.dwelling is not None and b.dwelling not in ctx.dwellings:
            unknown("dwelling", b.dwelling, "the breach list", b.household, b.dwelling)
    return out


def check_pinned(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R1: every pinned pair is matched exactly as pinned."""
    pairs = {(m.household, m.dwelling) for m in proposal.matches}
    dwellings_of: dict[str, list[str]] = defaultdict(list)
    households_of: dict[str, list[str]] = defaultdict(list)
    for m in proposal.matches:
        dwellings_of[m.household].append(m.dwelling)
        households_of[m.dwelling].append(m.household)
    out = []
    for pin in ctx.scenario.locks.pinned:
        if (pin.household, pin.dwelling) in pairs:
            continue
        got_h = sorted(dwellings_of.get(pin.household, []))
        got_d = sorted(households_of.get(pin.dwelling, []))
        found = []
        if got_h:
            found.append(f"the household is matched to {', '.join(got_h)}")
        if got_d:
            found.append(f"the dwelling goes to {', '.join(got_d)}")
        instead = "; ".join(found) if found else "neither is matched"
        out.append(
            Violation(
                rule="R1",
                code="pinned_missing",
                household=pin.household,
                dwelling=pin.dwelling,
                message=f"pinned pair {pin.household}–{pin.dwelling} is not in the proposal; "
                f"{instead}",
            )
        )
    return out


def check_unmatched_list(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R1: every household is either matched or listed once as unmatched, never both."""
    matched: dict[str, list[str]] = defaultdict(list)
    for m in proposal.matches:
        matched[m.household].append(m.dwelling)
    listed: dict[str, int] = defaultdict(int)
    for u in proposal.unmatched:
        listed[u.household] += 1
    out = []
    for h in ctx.scenario.households:
        problem = _side_problem("household", h.id, matched.get(h.id, []), listed[h.id], "unmatched")
        if problem:
            out.append(Violation(rule="R1", code="unmatched_list", household=h.id, message=problem))
    return out


def check_empty_list(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R1: every dwelling is either matched or listed once as empty, never both."""
    matched: dict[str, list[str]] = defaultdict(list)
    for m in proposal.matches:
        matched[m.dwelling].append(m.household)
    listed: dict[str, int] = defaultdict(int)
    for e in proposal.empty_dwellings:
        listed[e.dwelling] += 1
    out = []
    for d in ctx.scenario.dwellings:
        problem = _side_problem("dwelling", d.id, matched.get(d.id, []), listed[d.id], "empty")
        if problem:
            out.append(Violation(rule="R1", code="empty_list", dwelling=d.id, message=problem))
    return out


def _side_problem(kind: str, id_: str, partners: list[str], listed: int, word: str) -> str:
    """What is wrong with one id's bookkeeping, or '' when it is matched xor listed once."""
    if partners and listed:
        return f"{kind} {id_} is matched (to {', '.join(partners)}) and also listed as {word}"
    if not partners and listed == 0:
        return f"{kind} {id_} is neither matched nor listed as {word}"
    if listed > 1:
        return f"{kind} {id_} is listed {listed} times as {word}; once is expected"
    return ""


PAIR_RULES = (PairRule("R1", "forbidden_pair", forbidden_pair),)

ROUND_RULES = (
    RoundRule("R1", "duplicates", check_duplicates),
    RoundRule("R1", "unknown ids", check_unknown_ids),
    RoundRule("R1", "pinned pairs", check_pinned),
    RoundRule("R1", "unmatched list", check_unmatched_list),
    RoundRule("R1", "empty-dwelling list", check_empty_list),
)
