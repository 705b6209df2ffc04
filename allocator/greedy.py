"""The manual-meeting baseline: walk the vacancies in order and give each to the
highest-priority, longest-waiting household that fits: every pairwise rule, and no round
rule (building caps, quotas, separation) broken by the offers made before it.

This is what allocation meetings do by hand today; replays and benchmarks show it next to
the optimiser. It ignores the deadline tier and never looks back at an earlier offer, so
it is a valid proposal (the checker finds no violation) but rarely a good one.
"""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData
from allocator.pairs import Pairs, group_positions
from allocator.round_state import RoundState
from allocator.rules import r11_transfers


def greedy_choice(data: RoundData, pairs: Pairs) -> np.ndarray:
    """Chosen pairs (bool per pair): pins first, then each vacancy in order of release to
    the first free household in (priority, approval date, id) order."""
    chosen = np.zeros(len(pairs), dtype=bool)
    pinned = pairs.pinned_pairs()
    chosen[pinned] = True
    taken_h = {int(pairs.h[p]) for p in pinned}
    pinned_d = {int(pairs.d[p]) for p in pinned}
    # Households in priority order: priority, then earliest approval, then id.
    rank = np.lexsort((data.order[pairs.h], data.approved[pairs.h], data.priority[pairs.h]))
    by_dwelling = {d: rank[g] for d, g in group_positions(pairs.d[rank]).items()}
    vacancy_order = sorted(range(data.D), key=lambda d: (data.available[d], data.dwelling_ids[d]))
    day = {int(pairs.h[p]): int(pairs.move_in[p]) for p in pinned if not pairs.swap[p]}
    # Vacancies first; then, as a meeting would, each dwelling a moving tenant frees, to
    # the first household whose offer fits the day it is free (R11: never a swap).
    done = set(pinned_d)
    state = RoundState(data, pairs.h[pinned], pairs.d[pinned])
    progress = True
    while progress:
        progress = False
        for d in vacancy_order:
            tenant = int(data.tenant[d])
            if d in done or (tenant >= 0 and tenant not in day):
                continue
            done.add(d)
            progress = True
            for p in by_dwelling.get(d, []):
                h = int(pairs.h[p])
                if pairs.swap[p] or (
                    tenant >= 0 and not r11_transfers.links(pairs, p, day[tenant])
                ):
                    continue
                if h not in taken_h and not state.broken_by(h, d):
                    chosen[p] = True
                    taken_h.add(h)
                    state.place(h, d)
                    day[h] = r11_transfers.stated_move_in(pairs, p, day.get(tenant, -1))
                    break
    return chosen
