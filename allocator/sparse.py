"""The pairs the model gets: every candidate pair, or for whole-stock rounds a selection
made while the candidates are generated, so tens of millions of pairs never sit in
memory at once.

Why these pairs (whole-stock rounds only; every weekly, city and horizon round is exact):
- each household's best dwellings by the objective (allocator.objective: for a given
  household, housing points are fixed, so its pairs rank by deadline clock, then fit);
- each dwelling's best households by the objective — who deserves it most;
- each dwelling's best-fitting households: the ranking above is dominated by housing
  points, so without this every dwelling would keep the same few top-priority households
  and the kept pairs could not form a large matching;
- a few pseudo-random pairs per household and per dwelling (the fixed per-pair hash): a
  random sparse bipartite graph of this degree holds a near-perfect matching, which the
  preference-driven picks alone do not (they crowd the popular dwellings);
- for a family due on a deadline clock, its best pairs by the objective (tier 1 first:
  the earliest move-ins) and, per dwelling, the due families best placed there, far more
  of each than for the others (tier 1's matching needs room); every pinned pair;
- sitting tenants' chains (R11): the selected pairs onto occupied dwellings get their
  chain variants for each tenant's best move-in days only (the days of its best pairs
  onto vacancies, and those its chains give), not for every day it could move.

Keeping every pair of every due family (what this module did when few were due) is
millions of pairs once the release and refugee clocks count (2,311 due families hold
7.4 M pairs on the stock-transfers tier), and every variant of every day 28.8 M more.

Per-household picks are final within a block (blocks are whole households); per-dwelling
picks are merged across blocks, keeping the running best. The result equals selecting
from the full candidate set at once. Benchmarks compare against the assignment bound on
all candidate pairs (for chain variants: the earliest each pair has, which dominates
its others on tiers 1 and 2), so the reported gap stays honest; the proposal's own bounds
say they cover the selected pairs only (allocator.bounds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from allocator.data import RoundData
from allocator.objective import default_objective
from allocator.pairs import Pairs, candidate_blocks, concat_pairs, with_chains

#: Above this many candidate pairs the model keeps only the selection above.
SPARSIFY_ABOVE = 1_500_000
KEEP_PER_HOUSEHOLD = 12
KEEP_PER_DWELLING = 12
KEEP_RANDOM = 6
#: A due family's best pairs kept, and the due families kept per dwelling.
KEEP_DUE = 48
KEEP_DUE_RANDOM = 12
KEEP_DUE_PER_DWELLING = 12
#: Move-in days per sitting tenant that its dwelling's chain variants are made for.
DAYS_PER_TENANT = 4
#: Candidate pairs gathered before each selection step (bounds the working memory).
CHUNK_PAIRS = 4_000_000

#: Sort keys per pair, most significant last (np.lexsort order); the first pairs win.
Keys = Callable[[Pairs], tuple[np.ndarray, ...]]


def _spread(p: Pairs) -> np.ndarray:
    return (p.tie_jitter >> np.uint64(2)).astype(np.int64)


def _ties(p: Pairs) -> tuple[np.ndarray, ...]:
    return (p.d, p.h)


def _best(p: Pairs) -> tuple[np.ndarray, ...]:
    """The objective's own ranking of pairs (every tier, then the serial order)."""
    return (*_ties(p), *default_objective(p.data.policy).rank_keys(p))


HOUSEHOLD_PICKS: tuple[tuple[int, Keys], ...] = (
    (KEEP_PER_HOUSEHOLD, _best),
    (KEEP_RANDOM, lambda p: (*_ties(p), -_spread(p))),
)
DWELLING_PICKS: tuple[tuple[int, Keys], ...] = (
    (KEEP_PER_DWELLING, _best),
    (KEEP_PER_DWELLING, lambda p: (*_ties(p), p.fit)),
    (KEEP_RANDOM, lambda p: (*_ties(p), -_spread(p))),
)


DUE_PICKS: tuple[tuple[int, Keys], ...] = (
    (KEEP_DUE, _best),
    (KEEP_DUE_RANDOM, lambda p: (*_ties(p), -_spread(p))),
)


def tier1_placements(data: RoundData, pairs: Pairs) -> np.ndarray:
    """Bool per pair: the due families' pairs of a tier-1 optimum over `pairs` (the
    deadline components stacked into one min-cost flow, round rules dropped, as the
    assignment bound does; onto vacancies only): with them in the selection, tier 1 of
    the selection equals the bound's unless the round rules or the chains bind."""
    from allocator.lexflow import flow_cost_limit
    from allocator.warmstart import flow_assignment, stacked_gains

    objective = default_objective(data.policy)
    deadline = [t.component(pairs) for t in objective.terms if t.name.startswith("deadline_")]
    if not deadline:
        return np.zeros(len(pairs), dtype=bool)
    matches = max(1, min(data.H, data.D))
    value, _ = stacked_gains([c.gain for c in deadline], matches, flow_cost_limit(data.H, data.D))
    if value is None:
        return np.zeros(len(pairs), dtype=bool)
    # Pairs onto occupied dwellings carry R9's date here (their chain variants come
    # later): no tier-1 placement can rely on them.
    value = np.where(data.tenant[pairs.d] >= 0, 0, value)
    return flow_assignment(data, pairs, value) & data.due[pairs.h]


def household_rank(p: Pairs) -> np.ndarray:
    """Per pair: its position in the objective's ranking (`_best`); within a household,
    smaller is better."""
    rank = np.empty(len(p), dtype=np.int64)
    rank[np.lexsort(_best(p))] = np.arange(len(p))
    return rank


def model_pairs(data: RoundData) -> tuple[Pairs, int]:
    """(the pairs the model gets, how many candidate pairs the round has)."""
    held: list[Pairs] = []
    held_pairs = total = 0
    selection: _Selection | None = None
    for block in candidate_blocks(data):
        total += len(block)
        held.append(block)
        held_pairs += len(block)
        if selection is None and total > SPARSIFY_ABOVE:
            selection = _Selection(data)
        if selection is not None and held_pairs >= CHUNK_PAIRS:
            selection.add(concat_pairs(data, held))
            held, held_pairs = [], 0
    if selection is None:
        pairs = with_chains(data, concat_pairs(data, held))
        return pairs, len(pairs)
    if held:
        selection.add(concat_pairs(data, held))
    selected = selection.result()
    return with_chains(data, selected, DAYS_PER_TENANT, household_rank(selected)), total


def best_per_group(group: np.ndarray, keys: tuple[np.ndarray, ...], k: int) -> np.ndarray:
    """Bool per pair: the first `k` pairs of each `group` value in `keys` order."""
    order = np.lexsort((*keys, group))
    sorted_group = group[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_group, sorted_group, side="left")
    mask = np.zeros(len(group), dtype=bool)
    mask[order[rank < k]] = True
    return mask


class _Selection:
    """The running selection over chunks of candidate pairs."""

    def __init__(self, data: RoundData):
        self.data = data
        pins = data.scenario.locks.pinned
        self.pin_keys = np.array(
            [
                data.household_index[p.household] * data.D + data.dwelling_index[p.dwelling]
                for p in pins
            ],
            dtype=np.int64,
        )
        self.kept: list[Pairs] = []
        self.best: list[Pairs | None] = [None] * (len(DWELLING_PICKS) + 1)
        self.rejected: dict[str, int] = {}
        #: The due families' pairs not kept yet: the tier-1 flow picks from them.
        self.due: list[Pairs] = []

    def add(self, chunk: Pairs) -> None:
        data = self.data
        for code, n in chunk.rejected.items():
            self.rejected[code] = self.rejected.get(code, 0) + n
        key = chunk.h.astype(np.int64) * data.D + chunk.d
        due = data.due[chunk.h]
        keep = np.isin(key, self.pin_keys)
        for k, keys in HOUSEHOLD_PICKS:
            keep |= best_per_group(chunk.h, keys(chunk), k)
        due_idx = np.flatnonzero(due)
        if len(due_idx):
            due_pairs = chunk.subset(due_idx)
            for k, keys in DUE_PICKS:
                keep[due_idx[best_per_group(due_pairs.h, keys(due_pairs), k)]] = True
            self.due.append(due_pairs.subset(np.flatnonzero(~keep[due_idx])))
        self.kept.append(chunk.subset(np.flatnonzero(keep)))
        picks = [*DWELLING_PICKS, (KEEP_DUE_PER_DWELLING, _best)]
        for i, (k, keys) in enumerate(picks):
            part = chunk if i < len(DWELLING_PICKS) else chunk.subset(due_idx)
            local = part.subset(np.flatnonzero(best_per_group(part.d, keys(part), k)))
            previous = self.best[i]
            merged = local if previous is None else concat_pairs(data, [previous, local])
            self.best[i] = merged.subset(np.flatnonzero(best_per_group(merged.d, keys(merged), k)))

    def result(self) -> Pairs:
        parts = self.kept + [b for b in self.best if b is not None]
        if self.due:
            due = [p.subset(np.flatnonzero(self.data.due[p.h])) for p in parts] + self.due
            due_pairs = concat_pairs(self.data, due)
            parts.append(due_pairs.subset(np.flatnonzero(tier1_placements(self.data, due_pairs))))
        pairs = concat_pairs(self.data, parts)
        key = pairs.h.astype(np.int64) * self.data.D + pairs.d
        _, first = np.unique(key, return_index=True)  # sorted by (household, dwelling)
        return replace(pairs.subset(first), rejected=self.rejected)
