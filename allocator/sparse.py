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
- every pair of a due family and every pinned pair (tier 1 and the pins stay exact).

Per-household picks are final within a block (blocks are whole households); per-dwelling
picks are merged across blocks, keeping the running best. The result equals selecting
from the full candidate set at once. Benchmarks compare against the assignment bound on
all candidate pairs, so the reported gap stays honest.
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
    return with_chains(data, selection.result()), total


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
        self.best: list[Pairs | None] = [None] * len(DWELLING_PICKS)
        self.rejected: dict[str, int] = {}

    def add(self, chunk: Pairs) -> None:
        data = self.data
        for code, n in chunk.rejected.items():
            self.rejected[code] = self.rejected.get(code, 0) + n
        key = chunk.h.astype(np.int64) * data.D + chunk.d
        keep = data.due[chunk.h] | np.isin(key, self.pin_keys)
        for k, keys in HOUSEHOLD_PICKS:
            keep |= best_per_group(chunk.h, keys(chunk), k)
        self.kept.append(chunk.subset(np.flatnonzero(keep)))
        for i, (k, keys) in enumerate(DWELLING_PICKS):
            local = chunk.subset(np.flatnonzero(best_per_group(chunk.d, keys(chunk), k)))
            previous = self.best[i]
            merged = local if previous is None else concat_pairs(data, [previous, local])
            self.best[i] = merged.subset(np.flatnonzero(best_per_group(merged.d, keys(merged), k)))

    def result(self) -> Pairs:
        parts = self.kept + [b for b in self.best if b is not None]
        pairs = concat_pairs(self.data, parts)
        key = pairs.h.astype(np.int64) * self.data.D + pairs.d
        _, first = np.unique(key, return_index=True)  # sorted by (household, dwelling)
        return replace(pairs.subset(first), rejected=self.rejected)
