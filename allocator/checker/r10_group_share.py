"""R10 group share: households outside the group (and not due) within the round's cap.

The cap, from docs/rules.md "R10 group share": with ``n`` households on the list, ``m``
in the group, ``M`` the largest set of placements the pairwise rules allow at once and
``ν`` the largest for the group's households alone (maximum matchings, found here by
augmenting paths), ``r = min(ceil(min_ratio · m · M / n), ν)`` and ``K = M − r``.
Households outside the group that are not due under a deadline clock may have at most
``K`` placements. No cap when ``m`` is 0 or ``n``. The groups are stated here again
(``in_group``), from docs/fairness.md's table, so the checker imports nothing of the
solver's side; a test holds them to allocator.fairness.groups.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from allocator.checker import facts
from allocator.checker.base import RoundRule
from allocator.checker.context import Context
from allocator.checker.violation import Violation
from models.proposal import Proposal
from models.scenario import Household, Scenario


@dataclass(frozen=True)
class Cap:
    """The rule's numbers for one scenario."""

    households: int
    members: set[str]
    most_placements: int
    members_fit: int
    target: int
    reserved: int
    cap: int
    counted: set[str]  # households the cap counts


def matching_size(options: dict[str, list[str]]) -> int:
    """The most households placed at once, one dwelling each and each dwelling once, when
    household ``h`` may have the dwellings ``options[h]``: Kuhn's augmenting paths, one
    search per household (iterative, so long paths need no deep recursion)."""
    holder: dict[str, str] = {}
    size = 0
    for start in sorted(options):
        seen: set[str] = set()
        # Depth-first search for a free dwelling; `path` holds (household, its options'
        # iterator, the dwelling it reached through).
        path: list[tuple[str, Iterator[str], str | None]] = [(start, iter(options[start]), None)]
        while path:
            h, rest, _ = path[-1]
            d = next((x for x in rest if x not in seen), None)
            if d is None:
                path.pop()
                continue
            seen.add(d)
            if d in holder:
                path.append((holder[d], iter(options[holder[d]]), d))
                continue
            # Free dwelling: shift every household on the path one dwelling along.
            holder[d] = h
            for (_, _, via), (v, _, _) in zip(path[1:], path[:-1], strict=True):
                assert via is not None
                holder[via] = v
            size += 1
            break
    return size


def _allowed(ctx: Context, households: Sequence[Household]) -> dict[str, list[str]]:
    from allocator.checker.registry import PAIR_RULES

    return {
        h.id: [
            d.id
            for d in ctx.scenario.dwellings
            if all(rule.test(ctx, h, d) is None for rule in PAIR_RULES)
        ]
        for h in households
    }


def in_group(h: Household, key: str) -> bool:
    """docs/fairness.md "Groups", on the household's record: ``families`` a child under 18;
    ``single_adults`` one adult and no children; ``active_use``, ``recovery`` the
    ``substance_use``; ``refugees`` ``situation.kind`` refugee; ``wheelchair`` the need;
    ``priority_<q>``; ``situation_<kind>``. KeyError for any other key."""
    if key == "families":
        return facts.is_family(h)
    if key == "single_adults":
        return h.adults == 1 and not h.children
    if key in ("active_use", "recovery"):
        return h.substance_use.value == ("active" if key == "active_use" else "recovery")
    if key == "refugees":
        return h.situation.kind.value == "refugee"
    if key == "wheelchair":
        return h.needs.wheelchair
    if key in ("priority_1", "priority_2", "priority_3"):
        return h.priority == int(key[-1])
    kinds = {
        "homeless",
        "temporary",
        "institution",
        "prison",
        "crisis_centre",
        "unsuitable",
        "other",
    }
    if key.startswith("situation_") and key.removeprefix("situation_") in kinds:
        return h.situation.kind.value == key.removeprefix("situation_")
    raise KeyError(f"unknown group {key!r}")


_last: tuple[Scenario, Cap | None] | None = None


def group_cap(ctx: Context) -> Cap | None:
    """The cap of this round, or None when the policy sets no group share or the group
    is empty or holds everyone. Kept for the last scenario asked about: the placement
    rules are run on many one-placement proposals of one round (pins, deadline clocks)."""
    global _last
    if _last is not None and _last[0] is ctx.scenario:
        return _last[1]
    cap = _group_cap(ctx)
    _last = (ctx.scenario, cap)
    return cap


def _group_cap(ctx: Context) -> Cap | None:
    setting = ctx.policy.fairness.group_share
    if setting is None:
        return None
    households = ctx.scenario.households
    members = [h for h in households if in_group(h, setting.group)]
    n, m = len(households), len(members)
    if m == 0 or m == n:
        return None
    options = _allowed(ctx, households)
    everyone = matching_size(options)
    fit = matching_size({h.id: options[h.id] for h in members})
    target = math.ceil(facts.exact(setting.min_ratio) * m * everyone / n)
    reserved = min(target, fit)
    member_ids = {h.id for h in members}
    from allocator.checker.r7_clocks import is_due

    counted = {h.id for h in households if h.id not in member_ids and not is_due(h, ctx.scenario)}
    return Cap(n, member_ids, everyone, fit, target, reserved, everyone - reserved, counted)


def check_group_share(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R10 (policy ``fairness.group_share``): the placements of households outside the
    group that are not due stay within ``K = M − r``; every such placement is reported
    when they do not."""
    cap = group_cap(ctx)
    if cap is None:
        return []
    counted = [(m, h) for m, h, _ in ctx.placements(proposal) if h.id in cap.counted]
    if len(counted) <= cap.cap:
        return []
    setting = ctx.policy.fairness.group_share
    assert setting is not None
    message = (
        f"{len(counted)} households outside group {setting.group} (not due) are "
        f"placed; at most K = M - r = {cap.most_placements} - {cap.reserved} = "
        f"{cap.cap} may be, with r = min(ceil({setting.min_ratio:g} x "
        f"{len(cap.members)} x {cap.most_placements} / {cap.households}) = "
        f"{cap.target}, {cap.members_fit} group households that fit at once)"
    )
    return [
        Violation(
            rule="R10",
            code="group_share",
            household=m.household,
            dwelling=m.dwelling,
            message=message,
        )
        for m, _ in counted
    ]


def check_group_share_report(ctx: Context, proposal: Proposal) -> list[Violation]:
    """The proposal's ``group_share`` figures, when it has them, are this round's: a
    proposal must not report a floor other than the one its policy sets."""
    setting = ctx.policy.fairness.group_share
    report = proposal.group_share
    if report is None:
        return []
    if setting is None:
        return [
            Violation(
                rule="R10",
                code="group_share_report",
                message="the proposal reports a group share; the policy sets none",
            )
        ]
    cap = group_cap(ctx)
    want: dict[str, object] = {
        "group": setting.group,
        "households": len(ctx.scenario.households),
        "cap_others": None,
    }
    placed = {m.household for m, _, _ in ctx.placements(proposal)}
    if cap is not None:
        want |= {
            "members": len(cap.members),
            "most_placements": cap.most_placements,
            "members_fit": cap.members_fit,
            "target": cap.target,
            "reserved": cap.reserved,
            "cap_others": cap.cap,
            "members_placed": len(placed & cap.members),
            "others_placed": len(placed & cap.counted),
        }
    got = report.model_dump()
    wrong = {k: (got[k], v) for k, v in want.items() if got[k] != v}
    if not wrong:
        return []
    listed = ", ".join(f"{k} {a} (expected {b})" for k, (a, b) in sorted(wrong.items()))
    return [
        Violation(
            rule="R10",
            code="group_share_report",
            message=f"the proposal's group share figures are wrong: {listed}",
        )
    ]


ROUND_RULES = (RoundRule("R10", "group share", check_group_share),)
REPORT_RULES = (RoundRule("R10", "group share report", check_group_share_report),)
