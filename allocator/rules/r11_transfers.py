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
choice by the constraints below. The relaxation that drops the links is still a valid
bound (it only forgets constraints), but a proposal from it is used only when it keeps
them (`broken`).
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
    from allocator.rules.r7_clocks import TEMPORARY

    tenant = data.current[hs] >= 0
    return tenant[:, None] & (data.category == TEMPORARY)[None, :]


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
    return max(base, tenant_day + data.policy.transfers.turnover_days + int(board_days(data)[d]))


@dataclass(frozen=True)
class Variants:
    """Rows to build from the candidate pairs: `source` (position of the base pair), the
    tenant day it assumes (`link`, NO_LINK for a swap), `swap`, its `move_in`, and the day
    the dwelling is free for it (`available`: vacancy days count from there)."""

    source: np.ndarray
    link: np.ndarray
    swap: np.ndarray
    move_in: np.ndarray
    available: np.ndarray


def variants(data: RoundData, h: np.ndarray, d: np.ndarray, move_in: np.ndarray) -> Variants:
    """Every variant of the candidate pairs onto occupied dwellings.

    A tenant's possible move-in days are those of its pairs onto vacancies, then of its
    chain variants, found breadth-first: each (tenant, day) is expanded once over the
    pairs onto its dwelling. Days strictly grow along a chain (turnover >= 1) and stop at
    `last_day`, so this ends; it is exact (every chain the rules allow has its variants).
    Swaps come from pairs onto each other's dwellings; a swap's day does not start chains
    (both dwellings are taken by the swap itself)."""
    T = data.policy.transfers.turnover_days
    last = last_day(data)
    board = board_days(data)
    occupied = data.tenant[d] >= 0
    is_tenant = data.current >= 0
    days: dict[int, set[int]] = defaultdict(set)
    frontier: deque[tuple[int, int]] = deque()
    for p in np.flatnonzero(~occupied & is_tenant[h]):
        u, k = int(h[p]), int(move_in[p])
        if k not in days[u]:
            days[u].add(k)
            frontier.append((u, k))
    onto: dict[int, list[int]] = defaultdict(list)
    for p in np.flatnonzero(occupied):
        onto[int(data.tenant[d[p]])].append(int(p))
    rows: list[tuple[int, int, bool, int, int]] = []
    while frontier:
        t, k = frontier.popleft()
        for q in onto.get(t, []):
            dwelling = int(d[q])
            m = max(int(move_in[q]), k + T + int(board[dwelling]))
            if m > last:
                continue
            rows.append((q, k, False, m, max(int(data.available[dwelling]), k + T)))
            u = int(h[q])
            if is_tenant[u] and m not in days[u]:
                days[u].add(m)
                frontier.append((u, m))
    position = {(int(h[p]), int(d[p])): int(p) for p in np.flatnonzero(occupied)}
    for p in np.flatnonzero(occupied & is_tenant[h]):
        a, b = int(h[p]), int(data.tenant[d[p]])
        partner = position.get((b, int(data.current[a])))
        if partner is None:
            continue
        m = max(int(move_in[p]), int(move_in[partner]))
        if m <= last:
            rows.append((int(p), NO_LINK, True, m, m))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Variants(empty, empty, np.zeros(0, dtype=bool), empty, empty)
    source, link, swap, m_in, avail = (np.array(c) for c in zip(*rows, strict=True))
    return Variants(
        source.astype(np.int64),
        link.astype(np.int64),
        swap.astype(bool),
        m_in.astype(np.int64),
        avail.astype(np.int64),
    )


def is_variant(pairs: Pairs) -> np.ndarray:
    """Per pair: onto an occupied dwelling (a chain variant or a swap)."""
    return pairs.data.tenant[pairs.d] >= 0


def support(pairs: Pairs) -> list[tuple[np.ndarray, np.ndarray]]:
    """(chain variants assuming tenant t moves in on day k, t's pairs that move it in on
    day k) for every (t, k) some variant assumes; swaps are not support (a swap takes
    both dwellings)."""
    data = pairs.data
    chain = np.flatnonzero((pairs.link != NO_LINK) & ~pairs.swap)
    if len(chain) == 0:
        return []
    tenant = data.tenant[pairs.d[chain]]
    moves: dict[tuple[int, int], list[int]] = defaultdict(list)
    for p in np.flatnonzero(~pairs.swap & (data.current[pairs.h] >= 0)):
        moves[(int(pairs.h[p]), int(pairs.move_in[p]))].append(int(p))
    grouped: dict[tuple[int, int], list[int]] = defaultdict(list)
    for p, t in zip(chain, tenant, strict=True):
        grouped[(int(t), int(pairs.link[p]))].append(int(p))
    return [
        (np.array(members, dtype=np.int64), np.array(moves.get(key, []), dtype=np.int64))
        for key, members in grouped.items()
    ]


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
    moved in on its day, a swap without its partner."""
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
            out[p] = day[data.tenant[pairs.d[p]]] != pairs.link[p]
    return out


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
