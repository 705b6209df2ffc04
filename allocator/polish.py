"""Class exchange: reassign dwellings among households the round rules cannot tell apart.

The round rules (allocator.rules: building caps, district and school-zone quotas,
separation, group shares) count households by a few flags (high need, active use or
recovery, group member, ...) per group of dwellings. Two housed households with the same
flags on every rule that is switched on form one *class*: any permutation of the class's
dwellings among its members leaves every group's counts unchanged, so it keeps every
round rule. A household that no rule counts (the plain class) may also move to a dwelling
no one takes, for the same reason.

The same holds when a household of the class that is not housed takes a member's
dwelling; a member left without one only lowers a count (the result is still checked
against every round rule and chain link, and dropped if it broke one). Within each class
the best such exchange for one component (and the ones after it) is a matching problem,
solved exactly by a sparse min-weight bipartite matching: each household may take only
options no worse than its own on every component before (so every earlier tier's sum
is no worse); pins, tenants and chain variants (R11) stay as they are. For tier 2 this
swaps a better-placed household of the same class in (horizon: 595,971 → 596,623 in
0.3 s); for fit it reassigns the dwellings (horizon-random: fit 102,623 → 81,032 in
0.2 s, where CP-SAT improved it by 0.3 % in 10 s; benchmarks/README.md, issue 18).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from allocator.data import RoundData
from allocator.model import AllocationModel
from allocator.objective import Component
from allocator.rules import ROUND_RULES, r11_transfers
from allocator.rules.base import CapacityRule, ExclusionRule


def rule_classes(data: RoundData) -> tuple[np.ndarray, np.ndarray]:
    """(class per household, whether the household's class is counted by no rule): the
    households' flags on every round rule switched on."""
    flags = []
    for rule in ROUND_RULES:
        if not rule.enabled(data.policy):
            continue
        if isinstance(rule, CapacityRule):
            flags.append(rule.users(data).astype(np.int64))
        elif isinstance(rule, ExclusionRule):
            flags.append(rule.kind(data).astype(np.int64))
        else:  # pragma: no cover - every round rule is one of the two shapes
            flags.append(np.asarray(rule.concerns(data), dtype=np.int64))
    if not flags:
        return np.zeros(data.H, dtype=np.int64), np.ones(data.H, dtype=bool)
    table = np.stack(flags, axis=1)
    _, cls = np.unique(table, axis=0, return_inverse=True)
    plain = np.asarray(~table.any(axis=1), dtype=bool)
    return np.asarray(cls, dtype=np.int64).reshape(-1), plain


def permute_within_classes(
    m: AllocationModel, chosen: np.ndarray, components: list[Component], k: int
) -> np.ndarray:
    """The best proposal for `components[k]` (then the ones after it, as far as they stack
    exactly) among the class exchanges of `chosen` (see the module): within each class,
    a matching of the class's households, housed or not, to the dwellings its members
    hold (and, for the plain class, the dwellings no one takes). Each household keeps an
    option no worse than its own on every component before k: a pair at least as good
    on each, or, if its own gains there are at most 0, no dwelling; so every earlier
    component's sum is no worse. Pins, tenants and chain variants (R11) stay as they are.
    Returns `chosen` itself when nothing is gained or the result would break a rule."""
    from allocator.warmstart import keeps_round_rules, stacked_gains

    data, pairs = m.data, m.pairs
    if not chosen.any():
        return chosen
    value, _ = stacked_gains([c.gain for c in components[k:]], m.matches, 2**50)
    if value is None:
        return chosen
    cls, plain = rule_classes(data)
    current = np.full(data.H, -1, dtype=np.int64)
    current[pairs.h[chosen]] = np.flatnonzero(chosen)
    movable = ~r11_transfers.is_variant(pairs) & (data.current[pairs.h] < 0)
    stays = data.current >= 0
    stays[pairs.h[np.asarray(pairs.pinned_pairs(), dtype=np.int64)]] = True
    stays[pairs.h[chosen & ~movable]] = True
    own = current[pairs.h]
    allowed = movable & ~stays[pairs.h]
    may_leave = np.ones(data.H, dtype=bool)
    for c in components[:k]:
        gain = c.gain.astype(np.int64)
        allowed &= gain >= np.where(own >= 0, gain[np.maximum(own, 0)], 0)
        mine = np.zeros(data.H, dtype=np.int64)
        mine[pairs.h[chosen]] = gain[chosen]
        may_leave &= mine <= 0
    held = np.zeros(data.D, dtype=bool)
    held[pairs.d[chosen]] = True
    empty = np.flatnonzero(~held & (data.tenant < 0))
    out = chosen.copy()
    for c in np.unique(cls[(current >= 0) & ~stays]):
        housed = np.flatnonzero((cls == c) & (current >= 0) & ~stays)
        places = pairs.d[current[housed]]
        if plain[housed[0]]:
            places = np.union1d(places, empty)
        col = np.full(data.D, -1, dtype=np.int64)
        col[places] = np.arange(len(places))
        use = np.flatnonzero(allowed & (cls[pairs.h] == c) & (col[pairs.d] >= 0))
        members = np.union1d(housed, pairs.h[use])
        row = np.full(data.H, -1, dtype=np.int64)
        row[members] = np.arange(len(members))
        # One edge per (household, dwelling): the best allowed pair's (several pairs of
        # one household and dwelling differ only in move-in day).
        use = use[np.argsort(-value[use], kind="stable")]
        key = row[pairs.h[use]] * len(places) + col[pairs.d[use]]
        _, first = np.unique(key, return_index=True)
        use = use[first]
        # Each member that may go without a dwelling has its own dummy column of value 0.
        # Weights positive (an explicit zero is a missing edge), smaller is better.
        top = max(int(value[use].max(initial=0)), 0)
        idle = np.flatnonzero(may_leave[members] | (current[members] < 0))
        graph = sparse.csr_matrix(
            (
                np.concatenate([top - value[use] + 1, np.full(len(idle), top + 1)]).astype(
                    np.float64
                ),
                (
                    np.concatenate([row[pairs.h[use]], idle]),
                    np.concatenate([col[pairs.d[use]], len(places) + idle]),
                ),
            ),
            shape=(len(members), len(places) + len(members)),
        )
        try:
            rows, cols = min_weight_full_bipartite_matching(graph)
        except ValueError:  # pragma: no cover - the current assignment is a full matching
            continue
        pair_of = {
            (int(r), int(q)): int(p)
            for r, q, p in zip(row[pairs.h[use]], col[pairs.d[use]], use, strict=True)
        }
        picked = np.array(
            [pair_of[(int(r), int(q))] for r, q in zip(rows, cols, strict=True) if q < len(places)],
            dtype=np.int64,
        )
        if int(value[picked].sum()) <= int(value[current[housed]].sum()):
            continue
        out[current[housed]] = False
        out[picked] = True
    if (out == chosen).all():
        return chosen
    before = [int(c.gain[chosen].sum()) for c in components]
    after = [int(c.gain[out].sum()) for c in components]
    if any(a < b for a, b in zip(after[:k], before[:k], strict=True)) or after <= before:
        return chosen
    if not keeps_round_rules(data, pairs, out) or r11_transfers.broken(pairs, out).any():
        return chosen
    return out
