"""R10 group share (issue 19 item 3, the price of fairness): a floor on one group's share
of the round's placements, stated as a cap on everyone else so that it stays monotone.

A lower bound on the group's placements ("at least r of the group housed") is not
monotone: removing a group member's placement would break it, and the solver relies on
"removing placements never breaks a round rule" (validation of pins, the filter of pairs
a placement alone breaks, the warm start's repair, the deadlines-first sub-solve). So the
rule caps the others instead, with numbers fixed by the round's data before any solve:

- ``n`` households on the list, ``m`` of them in the group (allocator.fairness.groups:
  the same households the reports call "rullestolbrukere" or "prioritet 3");
- ``M``: the most placements the pairwise rules allow (a maximum matching of households
  to dwellings), ``ν``: the most for the group's households alone;
- the group's target ``t = ceil(min_ratio · m · M / n)``, exactly; ``r = min(t, ν)``
  placements are held for it (never more than its members can take);
- hard: households outside the group, except those due under a deadline clock (tier 1
  comes first), get at most ``K = M − r`` of the round's dwellings.

A proposal that makes all ``M`` placements gives the group at least ``r`` of them (fewer
only by the due households outside it who are housed). Nothing forces the group in:
when its members cannot use the held places (a round rule, a deadline), they stay empty
and the proposal says so (`report`). No cap when the group is empty or is everyone.
Policy: `fairness.group_share` ({group, min_ratio}); omitted, the rule is off. It is a
`CapacityRule` with one group (every dwelling), so the model's row, the filter of pairs a
placement alone breaks, the warm start's bans and repair, explanations and the
benchmark's MIP row all derive from `base.CapacityRule`. The flow relaxation drops it and
stays a valid bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from allocator.data import RoundData, exact
from allocator.rules.base import CapacityRule
from models.policy import Policy
from models.proposal import GroupShareReport
from models.scenario import Household

CODE = "group_share"


@dataclass(frozen=True)
class Figures:
    """The rule's numbers for one round (docs/rules.md "R10 group share")."""

    group: str
    min_ratio: Fraction
    households: int  # n
    members: int  # m
    most_placements: int  # M
    members_fit: int  # ν
    target: int  # t
    reserved: int  # r
    cap: int  # K, for the counted households
    active: bool  # there is someone inside and someone outside the group
    member: np.ndarray  # bool per household
    counted: np.ndarray  # bool per household: outside the group and not due


def in_group(group: str, households: list[Household]) -> list[bool]:
    """The group test of allocator.fairness.groups on each household's record."""
    from allocator.fairness.groups import CORE, group_by_key

    test = group_by_key(CORE, group)
    return [test.has(h) for h in households]


def maximum_matching(data: RoundData, rows: np.ndarray) -> int:
    """The most households among `rows` (indices) that can be placed at once, one per
    dwelling, over the pairs every pairwise rule allows (Hopcroft-Karp, scipy)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching

    from allocator.pairs import blocks, first_rejection

    if len(rows) == 0 or data.D == 0:
        return 0
    hs, ds = [], []
    for block in blocks(data, rows):
        r, c = np.nonzero(first_rejection(data, block) == 0)
        hs.append(np.searchsorted(rows, block[r]))
        ds.append(c)
    h, d = np.concatenate(hs), np.concatenate(ds)
    if len(h) == 0:
        return 0
    graph = csr_matrix((np.ones(len(h), dtype=np.int8), (h, d)), shape=(len(rows), data.D))
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def _compute(data: RoundData) -> Figures:
    setting = data.policy.fairness.group_share
    member = np.zeros(data.H, dtype=bool)
    if setting is None:
        return Figures("", Fraction(0), data.H, 0, 0, 0, 0, 0, 0, False, member, member)
    member = np.array(in_group(setting.group, data.scenario.households), dtype=bool)
    n, m = data.H, int(member.sum())
    ratio = exact(setting.min_ratio)
    everyone = maximum_matching(data, np.arange(data.H))
    fit = maximum_matching(data, np.flatnonzero(member))
    target = math.ceil(ratio * m * everyone / n) if n else 0
    reserved = min(target, fit)
    active = 0 < m < n
    counted = ~member & ~data.due if active else np.zeros(data.H, dtype=bool)
    return Figures(
        group=setting.group,
        min_ratio=ratio,
        households=n,
        members=m,
        most_placements=everyone,
        members_fit=fit,
        target=target,
        reserved=reserved,
        cap=everyone - reserved,
        active=active,
        member=member,
        counted=counted,
    )


def figures(data: RoundData) -> Figures:
    """The round's figures, computed once (`RoundData.derived`)."""
    return data.derived(f"{CODE}.figures", _compute)  # type: ignore[no-any-return]


def _group(data: RoundData) -> np.ndarray:
    """Every dwelling is in the one capped group while the rule is active."""
    return (
        np.zeros(data.D, dtype=np.int64)
        if figures(data).active
        else np.full(data.D, -1, dtype=np.int64)
    )


def _users(data: RoundData) -> np.ndarray:
    return figures(data).counted


def _headroom(data: RoundData) -> np.ndarray:
    return np.array([figures(data).cap], dtype=np.int64)


def _enabled(policy: Policy) -> bool:
    return policy.fairness.group_share is not None


GROUP_SHARE = CapacityRule(
    CODE,
    "R10",
    "plassene utenfor gruppen med krav om andel er brukt opp (resten holdes av til gruppen)",
    _enabled,
    _group,
    _users,
    _headroom,
)

ROUND_RULES = (GROUP_SHARE,)


def report(data: RoundData, h: np.ndarray, d: np.ndarray) -> GroupShareReport | None:
    """What the rule did in a proposal with placements (h[i], d[i]): the figures, how
    many the group and the others got, whether the cap binds (reached while a household
    it counts, with a dwelling the pairwise rules allow, is left without an offer) and
    whether the group got the places held for it. Reasons in bokmål."""
    from allocator.fairness.groups import CORE, group_by_key
    from allocator.reasons import reason

    setting = data.policy.fairness.group_share
    if setting is None:
        return None
    f = figures(data)
    placed = np.zeros(data.H, dtype=bool)
    placed[h] = True
    got = int((placed & f.member).sum())
    others = int((placed & f.counted).sum())
    due_others = int((placed & ~f.member & data.due).sum())
    held: list[str] = []
    if f.active and others >= f.cap:
        waiting = np.flatnonzero(f.counted & ~placed)
        if len(waiting):
            from allocator.pairs import first_rejection

            fits = (first_rejection(data, waiting) == 0).any(axis=1)
            held = sorted(data.household_ids[int(u)] for u in waiting[fits])
    held_back = len(held)
    label = group_by_key(CORE, setting.group).label
    share = f.members / f.households if f.households else 0.0
    params = dict(
        group=f.group,
        label=label,
        households=f.households,
        members=f.members,
        share=f"{100 * share:.1f}".replace(".", ","),
        ratio=f"{float(f.min_ratio):g}".replace(".", ","),
        most_placements=f.most_placements,
        members_fit=f.members_fit,
        target=f.target,
        reserved=f.reserved,
        cap=f.cap,
        placed=got,
        others=others,
        due_others=due_others,
        held_back=held_back,
        unused=max(0, f.reserved - got),
        due_note=(
            " I tillegg fikk husstander utenfor gruppen med frist før neste "
            f"runde bolig ({due_others}); de telles ikke mot taket."
            if due_others
            else ""
        ),
    )
    if not f.active:
        code = "group_share_inactive"
    elif f.reserved == 0:
        code = "group_share_none_held"
    elif held_back:
        code = "group_share_binding"
    else:
        code = "group_share_slack"
    short = got < f.reserved
    text = reason(code, **params)
    notes = [text]
    if f.active and short:
        notes.append(reason("group_share_unused", **params))
    return GroupShareReport(
        group=f.group,
        label=label,
        min_ratio=setting.min_ratio,
        households=f.households,
        members=f.members,
        most_placements=f.most_placements,
        members_fit=f.members_fit,
        target=f.target,
        reserved=f.reserved,
        cap_others=f.cap if f.active else None,
        members_placed=got,
        others_placed=others,
        due_others_placed=due_others,
        held_back=held_back,
        held_back_households=held,
        binding=bool(held_back),
        met=not short,
        reasons=notes,
    )
