"""Fit polish: reassign dwellings among households the round rules cannot tell apart.

The round rules (allocator.rules: building caps, district and school-zone quotas,
separation, group shares) count households by a few flags (high need, active use or
recovery, group member, ...) per group of dwellings. Two housed households with the same
flags on every rule that is switched on form one *class*: any permutation of the class's
dwellings among its members leaves every group's counts unchanged, so it keeps every
round rule. A household that no rule counts (the plain class) may also move to a dwelling
no one takes, for the same reason.

Within each class the best such permutation for one component (the fit tier, after tiers
1 and 2 are settled) is an assignment problem, solved exactly by a sparse min-weight
bipartite matching: each member may take only pairs that are no worse than its own on
every component before (so every earlier tier's sum is no worse), pins, tenants and
chain variants (R11) stay as they are. Measured at 2,000 × 500: fit 102,623 → 81,032 in
0.05 s on horizon-random, where CP-SAT improved it by 0.3 % in 10 s (benchmarks/README.md,
issue 18).
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
    """The best proposal for `components[k]` among the class permutations of `chosen`
    (see the module), no worse than `chosen` on every component before k, pair by pair.
    Returns `chosen` itself when nothing is gained or the result would break a rule."""
    from allocator.warmstart import keeps_round_rules

    data, pairs = m.data, m.pairs
    if not chosen.any():
        return chosen
    cls, plain = rule_classes(data)
    current = np.full(data.H, -1, dtype=np.int64)
    current[pairs.h[chosen]] = np.flatnonzero(chosen)
    movable = ~r11_transfers.is_variant(pairs) & (data.current[pairs.h] < 0)
    stays = np.zeros(data.H, dtype=bool)
    stays[pairs.h[np.asarray(pairs.pinned_pairs(), dtype=np.int64)]] = True
    stays[pairs.h[chosen & ~movable]] = True
    own = current[pairs.h]
    allowed = movable & (own >= 0) & ~stays[pairs.h]
    for c in components[:k]:
        gain = c.gain
        allowed &= gain >= gain[np.maximum(own, 0)]
    held = np.zeros(data.D, dtype=bool)
    held[pairs.d[chosen]] = True
    empty = np.flatnonzero(~held & (data.tenant < 0))
    gain = components[k].gain.astype(np.int64)
    out = chosen.copy()
    for c in np.unique(cls[(current >= 0) & ~stays]):
        members = np.flatnonzero((cls == c) & (current >= 0) & ~stays)
        places = pairs.d[current[members]]
        if plain[members[0]]:
            places = np.union1d(places, empty)
        row = np.full(data.H, -1, dtype=np.int64)
        row[members] = np.arange(len(members))
        col = np.full(data.D, -1, dtype=np.int64)
        col[places] = np.arange(len(places))
        use = np.flatnonzero(allowed & (row[pairs.h] >= 0) & (col[pairs.d] >= 0))
        # One edge per (household, dwelling): the best allowed pair's (several pairs of
        # one household and dwelling differ only in move-in day).
        use = use[np.argsort(-gain[use], kind="stable")]
        key = row[pairs.h[use]] * len(places) + col[pairs.d[use]]
        _, first = np.unique(key, return_index=True)
        use = use[first]
        # Positive weights (an explicit zero would be a missing edge), smaller is better.
        weight = (int(gain[use].max()) - gain[use] + 1).astype(np.float64)
        graph = sparse.csr_matrix(
            (weight, (row[pairs.h[use]], col[pairs.d[use]])), shape=(len(members), len(places))
        )
        try:
            rows, cols = min_weight_full_bipartite_matching(graph)
        except ValueError:  # pragma: no cover - the current assignment is a full matching
            continue
        pair_of = {
            (int(r), int(q)): int(p)
            for r, q, p in zip(row[pairs.h[use]], col[pairs.d[use]], use, strict=True)
        }
        picked = np.array([pair_of[(int(r), int(q))] for r, q in zip(rows, cols, strict=True)])
        if int(gain[picked].sum()) <= int(gain[current[members]].sum()):
            continue
        out[current[members]] = False
        out[picked] = True
    if (out == chosen).all():
        return chosen
    before = [int(c.gain[chosen].sum()) for c in components[: k + 1]]
    after = [int(c.gain[out].sum()) for c in components[: k + 1]]
    worse = any(a < b for a, b in zip(after[:k], before[:k], strict=True))
    if worse or after[k] <= before[k]:
        return chosen
    if not keeps_round_rules(data, pairs, out) or r11_transfers.broken(pairs, out).any():
        return chosen
    return out
