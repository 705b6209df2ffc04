"""R11: transfers and vacancy chains (issue 15; docs/rules.md "R11 transfers").

A sitting tenant with a transfer application is a household like any other, plus the
dwelling it holds (`current_dwelling`, listed with `occupied: true`). That dwelling can be
let only if its tenant moves in this round, and it is ready `transfers.turnover_days`
after the tenant's move-in: a vacancy → tenant A → A's dwelling → household B → … in one
solve. A two-way swap (A takes B's dwelling, B takes A's) moves both on the same day, the
later of the two move-in dates; longer cycles are impossible (every link adds at least one
turnover day).

Why variants: every objective term (days over a deadline, vacancy days, fit) reads one
fixed move-in per pair, and so do the relaxation, the warm start and the certificates. The
move-in into an occupied dwelling depends on the day its tenant moves, so such a pair is
made once per day its tenant can move in (a *chain variant*, `link` = that day) and once
as a swap (`swap`); each variant has its own fixed move-in and is linked to the tenant's
choice by the constraints below. Where the date does not change the objective (a
household that frees nothing, whose vacancy days and days over are the same), one
variant stands for a range of tenant days (`link`..`link_to`) and the proposal states
the date its tenant's actual day gives (`stated_move_in`). The relaxation that drops the
links is still a valid bound (it only forgets constraints), but a proposal from it is
used only when it keeps them (`broken`).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from allocator.data import NO_DAY, RoundData
from allocator.rules.base import PairRule, always

if TYPE_CHECKING:
    from allocator.model import AllocationModel
    from allocator.pairs import Pairs

#: `link` of a pair whose move-in does not depend on a tenant (a vacancy, or a swap).
NO_LINK = -1


def reject_own_dwelling(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: a tenant is never offered the dwelling it already holds."""
    current = data.current[hs]
    return (current[:, None] >= 0) & (current[:, None] == np.arange(data.D)[None, :])


def reject_tenant_temporary(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: a tenant holds a dwelling of its own; a transfer into temporary housing
    would leave it without one."""
    tenant = data.current[hs] >= 0
    return tenant[:, None] & _temporary(data)[None, :]


def reject_transfers_off(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """With `transfers.enabled: false`: tenants stay, their dwellings are not let."""
    tenant = data.current[hs] >= 0
    return tenant[:, None] | data.occupied[None, :]


PAIR_RULES = (
    PairRule(
        "own_dwelling", "R11", reject_own_dwelling, "husstanden bor allerede i boligen", always
    ),
    PairRule(
        "tenant_temporary",
        "R11",
        reject_tenant_temporary,
        "en leietaker flytter ikke til et midlertidig botilbud",
        always,
    ),
    PairRule(
        "transfers_off",
        "R11",
        reject_transfers_off,
        "bytter er slått av i policyen (transfers.enabled: false)",
        lambda p: not p.transfers.enabled,
    ),
)


def board_days(data: RoundData) -> np.ndarray:
    """Per dwelling: the cooperative board's lead time (R9)."""
    return data.ready_on - data.available


def last_day(data: RoundData) -> int:
    """The latest move-in into a dwelling freed this round (`transfers.horizon_days`)."""
    return data.as_of + data.policy.transfers.horizon_days


def chain_move_in(data: RoundData, base: int, d: int, tenant_day: int) -> int:
    """R9 with R11: the dwelling is free `turnover_days` after its tenant's move-in, so
    `max(base, tenant_day + turnover_days + board_days)` where `base` is R9's move-in."""
    board = int(data.ready_on[d] - data.available[d])
    return max(base, tenant_day + data.policy.transfers.turnover_days + board)


@dataclass(frozen=True)
class Variants:
    """Rows to build from the candidate pairs: `source` (position of the base pair), the
    range of tenant move-in days it stands for (`link`..`link_to`, NO_LINK for a swap),
    `swap`, its `move_in` and the day the dwelling is free for it (`available`: vacancy
    days count from there), both for the range's first day."""

    source: np.ndarray
    link: np.ndarray
    link_to: np.ndarray
    swap: np.ndarray
    move_in: np.ndarray
    available: np.ndarray


def variants(
    data: RoundData,
    h: np.ndarray,
    d: np.ndarray,
    move_in: np.ndarray,
    unmatched_over: np.ndarray | None = None,
    days_per_tenant: int | None = None,
    rank: np.ndarray | None = None,
) -> Variants:
    """Every variant of the candidate pairs onto occupied dwellings (or, with
    `days_per_tenant`, those of a selection of its tenants' days; see below).

    A tenant's possible move-in days are those of its pairs onto vacancies, then of its
    chain variants, found breadth-first: each (tenant, day) is expanded once over the
    tenants' pairs onto its dwelling (their days start chains further down). Days strictly
    grow along a chain (turnover >= 1) and stop at `last_day`, so this ends; it is exact
    (every chain the rules allow has its variants).

    A household that frees nothing others can use (no tenant, or a tenant whose dwelling
    nobody may have) is read for its date by the objective only: the tenant days that
    give it the same vacancy days and the same days past its deadline (usually all of
    them) are one variant, a *range* of days; its move-in is the range's first, and the
    proposal states the one its tenant's actual day gives (`chain_move_in`). Of such a
    household's days, those past its ranked deadline clock that leaving it unmatched
    beats in tier 1 (`unmatched_over`: not due and late, or due and later than waiting)
    are left out, unless it is pinned: removing the placement keeps every rule and
    improves tier 1, so no optimum uses them (exact, like the dominance reduction). Swaps
    come from pairs onto each other's dwellings; a swap's day does not start chains (both
    dwellings are taken by the swap itself).

    `days_per_tenant` = n (whole-stock selections only, allocator.sparse): each tenant's
    days are the move-in days of its best pairs onto vacancies (by `rank`, smaller first)
    until n distinct days, and at most n more days its chains give; variants are made for
    those days only. Every variant made is still exact (its own fixed move-in, linked to
    its tenant's day), so the model is a restriction of the exact one: fewer chains, never
    a wrong one."""
    T = data.policy.transfers.turnover_days
    last = last_day(data)
    board = board_days(data)
    occupied = data.tenant[d] >= 0
    is_tenant = data.current >= 0
    days: dict[int, set[int]] = defaultdict(set)
    frontier: deque[tuple[int, int]] = deque()
    starts = np.flatnonzero(~occupied & is_tenant[h])
    if days_per_tenant is not None:
        key = np.zeros(len(h), dtype=np.int64) if rank is None else rank
        starts = starts[np.lexsort((key[starts], h[starts]))]
    most = None if days_per_tenant is None else 2 * days_per_tenant
    for start in starts.tolist():
        u, k = int(h[start]), int(move_in[start])
        if k not in days[u] and (days_per_tenant is None or len(days[u]) < days_per_tenant):
            days[u].add(k)
            frontier.append((u, k))
    # Tenants whose dwelling some household may have: their days start chains.
    freeing = np.zeros(data.H, dtype=bool)
    freeing[data.tenant[d[occupied]]] = True
    propagates = occupied & is_tenant[h] & freeing[h]
    onto: dict[int, list[int]] = defaultdict(list)
    for p in np.flatnonzero(propagates):
        onto[int(data.tenant[d[p]])].append(int(p))
    rows: list[tuple[int, int, int, bool, int, int]] = []
    while frontier:
        t, k = frontier.popleft()
        for q in onto.get(t, []):
            dwelling = int(d[q])
            m = max(int(move_in[q]), k + T + int(board[dwelling]))
            if m > last:
                continue
            rows.append((q, k, k, False, m, max(int(data.available[dwelling]), k + T)))
            u = int(h[q])
            if m not in days[u] and (most is None or len(days[u]) < most):
                days[u].add(m)
                frontier.append((u, m))
    temporary = _temporary(data)
    pinned = {data.household_index[p.household] for p in data.scenario.locks.pinned}
    sorted_days = {t: np.array(sorted(ks), dtype=np.int64) for t, ks in days.items()}
    for q in np.flatnonzero(occupied & ~propagates).tolist():
        dwelling, u = int(d[q]), int(h[q])
        ks = sorted_days.get(int(data.tenant[dwelling]))
        if ks is None:
            continue
        dates = np.maximum(int(move_in[q]), ks + T + int(board[dwelling]))
        keep = dates <= last
        ks, dates = ks[keep], dates[keep]
        if len(ks) == 0:
            continue
        free = np.maximum(int(data.available[dwelling]), ks + T)
        late = np.zeros(len(ks), dtype=np.int64)
        if data.clock[u] >= 0 and not temporary[dwelling]:
            late = np.maximum(0, dates - int(data.deadline[u]))
            if data.ranked[u] and u not in pinned and unmatched_over is not None:
                worse = late > (int(unmatched_over[q]) if data.due[u] else 0)
                ks, dates, free, late = ks[~worse], dates[~worse], free[~worse], late[~worse]
                if len(ks) == 0:
                    continue
        vacancy = np.maximum(0, dates - free)
        change = np.flatnonzero((np.diff(vacancy) != 0) | (np.diff(late) != 0)) + 1
        for run in np.split(np.arange(len(ks)), change):
            a, b = int(run[0]), int(run[-1])
            rows.append((int(q), int(ks[a]), int(ks[b]), False, int(dates[a]), int(free[a])))
    position = {(int(h[p]), int(d[p])): int(p) for p in np.flatnonzero(occupied)}
    for p in np.flatnonzero(occupied & is_tenant[h]):
        a, b = int(h[p]), int(data.tenant[d[p]])
        partner = position.get((b, int(data.current[a])))
        if partner is None:
            continue
        m_swap = max(int(move_in[p]), int(move_in[partner]))
        if m_swap <= last:
            rows.append((int(p), NO_LINK, NO_LINK, True, m_swap, m_swap))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Variants(empty, empty, empty, np.zeros(0, dtype=bool), empty, empty)
    source, link, link_to, swap, m_in, avail = (np.array(c) for c in zip(*rows, strict=True))
    return Variants(
        source.astype(np.int64),
        link.astype(np.int64),
        link_to.astype(np.int64),
        swap.astype(bool),
        m_in.astype(np.int64),
        avail.astype(np.int64),
    )


def earliest(
    data: RoundData, h: np.ndarray, d: np.ndarray, move_in: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For bounds on every candidate pair without making every variant: per pair onto an
    occupied dwelling, the earliest move-in any of its variants has (its chain variant
    for its tenant's earliest day, or its swap), the day the dwelling is free for it, and
    whether it has a variant at all; other pairs unchanged. Tiers 1 and 2 of a pair never
    get better with a later move-in (housing points do not depend on it), so a matching
    over these pairs is no worse on them than any matching over the variants: an
    assignment bound over them bounds the variants' (and keeps every variant the
    deadline filter of `variants` drops, which only weakens it).

    A tenant's earliest day is the least fixpoint of: the earliest of its pairs onto
    vacancies, and for its pairs onto occupied dwellings max(R9 move-in, the other
    tenant's earliest day + turnover + board), within `last_day` (Bellman-Ford on days,
    vectorised; days strictly grow along a chain, so it ends)."""
    T = data.policy.transfers.turnover_days
    last = last_day(data)
    board = board_days(data)
    occupied = data.tenant[d] >= 0
    is_tenant = data.current >= 0
    never = np.iinfo(np.int64).max // 4
    first = np.full(data.H, never, dtype=np.int64)
    own = np.flatnonzero(~occupied & is_tenant[h])
    np.minimum.at(first, h[own], move_in[own].astype(np.int64))
    moves = np.flatnonzero(occupied & is_tenant[h])
    mover, below = h[moves], data.tenant[d[moves]]
    base, lead = move_in[moves].astype(np.int64), T + board[d[moves]].astype(np.int64)
    for _ in range(int(is_tenant.sum()) + 1):
        via = np.maximum(base, first[below] + lead)
        via = np.where((first[below] < never) & (via <= last), via, never)
        new = first.copy()
        np.minimum.at(new, mover, via)
        if np.array_equal(new, first):
            break
        first = new
    out = move_in.astype(np.int64).copy()
    free = data.available[d].astype(np.int64).copy()
    ok = np.ones(len(h), dtype=bool)
    onto = np.flatnonzero(occupied)
    tenant = data.tenant[d[onto]]
    chain = np.maximum(move_in[onto], first[tenant] + T + board[d[onto]])
    chain = np.where((first[tenant] < never) & (chain <= last), chain, never)
    chain_free = np.maximum(data.available[d[onto]], first[tenant] + T)
    # Swaps: the pair and its partner (the tenant onto the household's own dwelling).
    position = {(int(a), int(b)): int(p) for a, b, p in zip(h[onto], d[onto], onto, strict=True)}
    swap = np.full(len(onto), never, dtype=np.int64)
    for j, p in enumerate(onto.tolist()):
        a = int(h[p])
        if data.current[a] < 0:
            continue
        partner = position.get((int(tenant[j]), int(data.current[a])))
        if partner is not None:
            m = max(int(move_in[p]), int(move_in[partner]))
            if m <= last:
                swap[j] = m
    best = np.minimum(chain, swap)
    out[onto] = best
    free[onto] = np.where(swap < chain, swap, chain_free)
    ok[onto] = best < never
    return out, free, ok


def _temporary(data: RoundData) -> np.ndarray:
    from allocator.rules.r7_clocks import TEMPORARY

    return data.category == TEMPORARY  # type: ignore[no-any-return]


def links(pairs: Pairs, q: int, tenant_day: int) -> bool:
    """Does chain variant `q` stand for its tenant moving in on `tenant_day`?"""
    return bool(pairs.link[q] <= tenant_day <= pairs.link_to[q]) and not pairs.swap[q]


def stated_move_in(pairs: Pairs, q: int, tenant_day: int) -> int:
    """The move-in a proposal states for pair `q` when its tenant moves in on
    `tenant_day` (a chain variant standing for a range of days: the day's own date)."""
    if pairs.swap[q] or pairs.link[q] == pairs.link_to[q] or pairs.link[q] == NO_LINK:
        return int(pairs.move_in[q])
    data = pairs.data
    from allocator.rules.r9_timing import move_in

    base = int(move_in(data, pairs.h[q : q + 1], pairs.d[q : q + 1])[0])
    return chain_move_in(data, base, int(pairs.d[q]), tenant_day)


def is_variant(pairs: Pairs) -> np.ndarray:
    """Per pair: onto an occupied dwelling (a chain variant or a swap)."""
    return pairs.data.tenant[pairs.d] >= 0


def support(pairs: Pairs) -> list[tuple[np.ndarray, np.ndarray]]:
    """(chain variants standing for tenant t moving in on a day of [lo, hi], t's pairs
    that move it in on such a day) for every (t, lo, hi) some variant stands for; swaps
    are not support (a swap takes both dwellings)."""
    data = pairs.data
    chain = np.flatnonzero((pairs.link != NO_LINK) & ~pairs.swap)
    if len(chain) == 0:
        return []
    tenant = data.tenant[pairs.d[chain]]
    moves: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    own = np.flatnonzero(~pairs.swap & (data.current[pairs.h] >= 0))
    for t, positions in _by_key(pairs.h[own], own).items():
        order = positions[np.argsort(pairs.move_in[positions], kind="stable")]
        moves[t] = (pairs.move_in[order], order)
    grouped: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for p, t in zip(chain, tenant, strict=True):
        grouped[(int(t), int(pairs.link[p]), int(pairs.link_to[p]))].append(int(p))
    out = []
    for (t, lo, hi), members in grouped.items():
        day, order = moves.get(t, (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)))
        a, b = np.searchsorted(day, lo, side="left"), np.searchsorted(day, hi, side="right")
        out.append((np.array(members, dtype=np.int64), order[a:b].astype(np.int64)))
    return out


#: Most interval rows per tenant in `cuts` (all prefixes and suffixes beyond that).
MAX_INTERVALS = 64


def cuts(pairs: Pairs) -> list[tuple[np.ndarray, np.ndarray]]:
    """Valid rows that tighten the LP of the links (the CP-SAT search's bound): per
    tenant t, every pair onto its dwelling (swap halves included) <= every pair moving t;
    and for intervals [a, b] of tenant days, the chain variants whose whole range lies in
    [a, b] <= t's pairs moving it in on a day of [a, b]. Each holds in every proposal that
    keeps the links (at most one household per dwelling; the variant's range holds its
    tenant's day), so they change no integer solution; without them the LP lets two
    variants with overlapping ranges lean on the same fraction of the tenant's move."""
    data = pairs.data
    onto = np.flatnonzero(is_variant(pairs))
    if len(onto) == 0:
        return []
    out = []
    movers = np.flatnonzero(data.current[pairs.h] >= 0)
    moving = _by_key(pairs.h[movers], movers)
    for t, members in _by_key(data.tenant[pairs.d[onto]], onto).items():
        own = moving.get(t, np.zeros(0, dtype=np.int64))
        out.append((members, own))
        chain = members[~pairs.swap[members]]
        plain = own[~pairs.swap[own]]
        lows = np.unique(pairs.link[chain])
        highs = np.unique(pairs.link_to[chain])
        intervals = [(a, b) for a in lows for b in highs if a <= b]
        if len(intervals) > MAX_INTERVALS:
            intervals = [(lows[0], b) for b in highs] + [(a, highs[-1]) for a in lows]
        seen: set[tuple[int, ...]] = set()
        for a, b in intervals:
            inside = chain[(pairs.link[chain] >= a) & (pairs.link_to[chain] <= b)]
            key = tuple(inside.tolist())
            if len(inside) < 2 or key in seen:
                continue
            seen.add(key)
            day = pairs.move_in[plain]
            out.append((inside, plain[(day >= a) & (day <= b)]))
    return out


def _by_key(keys: np.ndarray, positions: np.ndarray) -> dict[int, np.ndarray]:
    if len(keys) == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(keys[order])) + 1)
    return {int(keys[g[0]]): positions[g] for g in groups}


def swap_partners(pairs: Pairs) -> np.ndarray:
    """Per pair: the position of its swap partner (B onto A's dwelling for A onto B's),
    -1 when it is not a swap or the partner is not among the pairs."""
    data = pairs.data
    out = np.full(len(pairs), -1, dtype=np.int64)
    idx = np.flatnonzero(pairs.swap)
    where = {(int(pairs.h[p]), int(pairs.d[p])): int(p) for p in idx}
    for p in idx:
        partner = (int(data.tenant[pairs.d[p]]), int(data.current[pairs.h[p]]))
        out[p] = where.get(partner, -1)
    return out


def add(m: AllocationModel) -> None:
    """Hard: a chain variant only if its tenant moves in on the day it assumes (the tenant
    never left without a dwelling: its dwelling is let only if it moves); a swap only
    with its partner, on the same day."""
    pairs = m.pairs
    for members, movers in support(pairs):
        m.add_linear(members, movers, 0)
    for members, movers in cuts(pairs):
        m.add_linear(members, movers, 0)
    partner = swap_partners(pairs)
    for p in np.flatnonzero(pairs.swap):
        q = int(partner[p])
        if q < 0:
            m.add_at_most(np.array([p]), 0)
        elif p < q:
            m.add_linear(np.array([p]), np.array([q]), 0)
            m.add_linear(np.array([q]), np.array([p]), 0)


def broken(pairs: Pairs, chosen: np.ndarray) -> np.ndarray:
    """Chosen pairs (bool per pair) that break R11: a chain variant whose tenant is not
    moved in on a day it stands for, a swap without its partner."""
    data = pairs.data
    out = np.zeros(len(pairs), dtype=bool)
    idx = np.flatnonzero(chosen & is_variant(pairs))
    if len(idx) == 0:
        return out
    day = np.full(data.H, NO_DAY, dtype=np.int64)
    plain = np.flatnonzero(chosen & ~pairs.swap)
    day[pairs.h[plain]] = pairs.move_in[plain]
    partner = swap_partners(pairs)
    for p in idx:
        if pairs.swap[p]:
            q = int(partner[p])
            out[p] = q < 0 or not chosen[q]
        else:
            out[p] = not links(pairs, int(p), int(day[data.tenant[pairs.d[p]]]))
    return out


def relink(pairs: Pairs, chosen: np.ndarray) -> np.ndarray:
    """`chosen` with each chain variant whose tenant moves in on another day replaced by
    the variant of the same household and dwelling that stands for that day (dropped when
    there is none, or the tenant does not move), repeated down the chains. The matching
    stays one-to-one (same household, same dwelling), so a relaxed flow's choice, which
    ignores the links, becomes one that keeps them at the cost of the dates alone."""
    data = pairs.data
    out = chosen.copy()
    chain = r11_variant_mask(pairs)
    where: dict[tuple[int, int], list[int]] = defaultdict(list)
    for position in np.flatnonzero(chain).tolist():
        where[(int(pairs.h[position]), int(pairs.d[position]))].append(position)
    for _ in range(len(pairs) + 1):
        plain = np.flatnonzero(out & ~pairs.swap)
        day = dict(zip(pairs.h[plain].tolist(), pairs.move_in[plain].tolist(), strict=True))
        changed = False
        for p in np.flatnonzero(out & chain).tolist():
            k = day.get(int(data.tenant[pairs.d[p]]))
            if k is not None and links(pairs, p, k):
                continue
            out[p], changed = False, True
            if k is None:
                continue
            for q in where[(int(pairs.h[p]), int(pairs.d[p]))]:
                if links(pairs, q, int(k)):
                    out[q] = True
                    break
        if not changed:
            break
    return out


def r11_variant_mask(pairs: Pairs) -> np.ndarray:
    """Chain variants (not swaps)."""
    return is_variant(pairs) & ~pairs.swap


def drop_broken(pairs: Pairs, chosen: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """`chosen` less every link that breaks R11, repeatedly (a dropped tenant breaks the
    links below it). Removing placements breaks no other round rule, so the result keeps
    every rule `chosen` kept. `keep` (pins) is never dropped."""
    out = chosen.copy()
    while True:
        bad = broken(pairs, out)
        if keep is not None:
            bad &= ~keep
        if not bad.any():
            return out
        out &= ~bad


def pinned_days(data: RoundData) -> dict[int, tuple[int, bool]]:
    """Per pinned household: (move-in day, by swap) as its pins fix it, found through
    the chain of pins (validation requires an occupied dwelling's tenant to be pinned
    too). A pinned chain that cannot hold (a cycle of three or more, past the horizon) is
    left out: its pin is then no candidate, and validation says so."""
    from allocator.rules.r9_timing import move_in

    pins = {
        data.household_index[p.household]: data.dwelling_index[p.dwelling]
        for p in data.scenario.locks.pinned
    }
    out: dict[int, tuple[int, bool]] = {}

    def base(h: int, d: int) -> int:
        return int(move_in(data, np.array([h]), np.array([d]))[0])

    def resolve(h: int, seen: frozenset[int]) -> tuple[int, bool] | None:
        if h in out:
            return out[h]
        d = pins[h]
        t = int(data.tenant[d])
        if t < 0:
            found: tuple[int, bool] | None = (base(h, d), False)
        elif t in seen or t not in pins:
            found = None
        elif pins[t] == data.current[h]:
            found = (max(base(h, d), base(t, pins[t])), True)
        else:
            below = resolve(t, seen | {h})
            found = None
            if below is not None and not below[1]:
                found = (chain_move_in(data, base(h, d), d, below[0]), False)
        if found is not None and t >= 0 and found[0] > last_day(data):
            found = None
        if found is not None:
            out[h] = found
        return found

    for h in pins:
        resolve(h, frozenset())
    return out


def chain_days(data: RoundData, placed: dict[int, tuple[int, int]]) -> dict[int, int]:
    """For an allocation made elsewhere (household -> (dwelling, R9 move-in day)): each
    household's move-in with the chain rules, following tenants down their chains (a swap:
    both on the later day). A household whose chain cannot hold (its tenant stays, or a
    cycle of three or more) keeps its R9 day; the checker then names the broken link."""
    out: dict[int, int] = {}

    def day(h: int, seen: frozenset[int]) -> int | None:
        if h in out:
            return out[h]
        d, base = placed[h]
        t = int(data.tenant[d])
        found: int | None
        if t < 0:
            found = base
        elif t not in placed or t in seen:
            found = None
        elif placed[t][0] == data.current[h]:
            found = max(base, placed[t][1])
        else:
            below = day(t, seen | {h})
            found = None if below is None else chain_move_in(data, base, d, below)
        if found is not None:
            out[h] = found
        return found

    for h in placed:
        day(h, frozenset())
    return {h: out.get(h, base) for h, (_, base) in placed.items()}
