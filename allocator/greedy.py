"""The manual-meeting baseline: walk the vacancies in order and give each to the
highest-priority, longest-waiting household that fits, checking only pairwise rules.

This is what allocation meetings do by hand today; replays and benchmarks show it next to
the optimiser. It deliberately ignores the round rules (building caps, quotas, separation)
and the deadline tier, so `check` may find violations in its proposals.
"""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData
from allocator.pairs import Pairs


def greedy_choice(data: RoundData, pairs: Pairs, *, round_rules: bool = False) -> np.ndarray:
    """Chosen pairs (bool per pair). With `round_rules`, also keep R5/R6 (used as a fast,
    feasible starting solution for the optimiser)."""
    from allocator.round_state import RoundState

    chosen = np.zeros(len(pairs), dtype=bool)
    taken_h: set[int] = set()
    state = (
        RoundState(data, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        if round_rules
        else None
    )
    pinned = pairs.pinned_pairs()
    for p in pinned:
        chosen[p] = True
        taken_h.add(int(pairs.h[p]))
    if state is not None and pinned:
        state = RoundState(data, pairs.h[pinned], pairs.d[pinned])
    pinned_d = {int(pairs.d[p]) for p in pinned}
    # Households in priority order: priority, then earliest approval, then id.
    rank = np.lexsort((data.order[pairs.h], data.approved[pairs.h], data.priority[pairs.h]))
    by_dwelling: dict[int, list[int]] = {}
    for p in rank:
        by_dwelling.setdefault(int(pairs.d[p]), []).append(int(p))
    vacancy_order = sorted(range(data.D), key=lambda d: (data.available[d], data.dwelling_ids[d]))
    for d in vacancy_order:
        if d in pinned_d:
            continue
        for p in by_dwelling.get(d, []):
            h = int(pairs.h[p])
            if h in taken_h:
                continue
            if state is not None and state.broken_by(h, d):
                continue
            chosen[p] = True
            taken_h.add(h)
            if state is not None:
                state.place(h, d)
            break
    return chosen
