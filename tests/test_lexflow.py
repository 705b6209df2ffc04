"""The lexicographic flow (allocator.lexflow) against brute force over every matching."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.lexflow import NO_PATH, LexFlow, lexicographic_matching


def _best_by_brute_force(
    h: np.ndarray, d: np.ndarray, levels: list[np.ndarray], fixed: list[int]
) -> tuple[int, ...]:
    best: tuple[int, ...] | None = None
    for mask in range(1 << len(h)):
        sel = [p for p in range(len(h)) if mask >> p & 1]
        if any(p not in sel for p in fixed):
            continue
        if len(set(h[sel])) < len(sel) or len(set(d[sel])) < len(sel):
            continue
        key = tuple(int(v[sel].sum()) for v in levels)
        best = key if best is None or key > best else best
    assert best is not None
    return best


@st.composite
def instances(draw):  # type: ignore[no-untyped-def]
    H, D = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    cells = draw(
        st.lists(
            st.tuples(st.integers(0, H - 1), st.integers(0, D - 1)),
            min_size=1,
            max_size=11,
            unique=True,
        )
    )
    n_levels = draw(st.integers(1, 3))
    levels = [
        np.array(
            draw(st.lists(st.integers(-3, 3), min_size=len(cells), max_size=len(cells))),
            dtype=np.int64,
        )
        for _ in range(n_levels)
    ]
    fixed = draw(st.sampled_from([[], [0]]))
    h = np.array([c[0] for c in cells])
    d = np.array([c[1] for c in cells])
    return H, D, h, d, levels, fixed


@settings(max_examples=300, deadline=None)
@given(instances())
def test_lexicographic_matching_equals_brute_force(instance) -> None:  # type: ignore[no-untyped-def]
    H, D, h, d, levels, fixed = instance
    chosen = lexicographic_matching(H, D, h, d, levels, np.array(fixed, dtype=np.int64))
    assert chosen[fixed].all()
    assert len(set(h[chosen])) == chosen.sum() and len(set(d[chosen])) == chosen.sum()
    got = tuple(int(v[chosen].sum()) for v in levels)
    assert got == _best_by_brute_force(h, d, levels, fixed)


def test_second_level_breaks_ties_of_the_first_only() -> None:
    # Two households, two dwellings, all pairs worth 1 on level 1: level 2 decides, but it
    # may not trade a level-1 unit for any level-2 gain.
    h, d = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    first = np.array([1, 1, 1, 1])
    second = np.array([0, 5, 5, 0])
    chosen = lexicographic_matching(2, 2, h, d, [first, second])
    assert chosen.tolist() == [False, True, True, False]
    # Level 1 prefers one match worth 3 over two worth 1 each; level 2 cannot undo it.
    h, d = np.array([0, 0, 1]), np.array([0, 1, 0])
    chosen = lexicographic_matching(2, 2, h, d, [np.array([3, 1, 1]), np.array([0, 9, 9])])
    assert chosen.tolist() == [True, False, False]


# -- household pools (a cap on how many of some households are housed anywhere) ---------


def _matchings(h: np.ndarray, d: np.ndarray, fixed: list[int], pool: np.ndarray, cap: int):  # type: ignore[no-untyped-def]
    """Every matching (as a list of pair positions) holding the fixed pairs and the pool."""
    for mask in range(1 << len(h)):
        sel = [p for p in range(len(h)) if mask >> p & 1]
        if any(p not in sel for p in fixed):
            continue
        if len(set(h[sel])) < len(sel) or len(set(d[sel])) < len(sel):
            continue
        if sum(bool(pool[h[p]]) for p in sel) > cap:
            continue
        yield sel


@st.composite
def pooled(draw):  # type: ignore[no-untyped-def]
    H, D, h, d, levels, fixed = draw(instances())
    pool = np.array(draw(st.lists(st.booleans(), min_size=H, max_size=H)), dtype=bool)
    used = int(pool[h[fixed]].sum()) if fixed else 0
    cap = draw(st.integers(used, H))
    return H, D, h, d, levels, fixed, pool, cap


@settings(max_examples=300, deadline=None)
@given(pooled())
def test_a_household_pool_is_held_exactly(instance) -> None:  # type: ignore[no-untyped-def]
    """The levelled flow with a pool is the lexicographic optimum over the matchings that
    keep the pool's cap, and it keeps it."""
    H, D, h, d, levels, fixed, pool, cap = instance
    chosen = lexicographic_matching(
        H, D, h, d, levels, np.array(fixed, dtype=np.int64), pools=[(pool, cap)]
    )
    assert int(pool[h[chosen]].sum()) <= cap
    best = max(
        tuple(int(v[sel].sum()) for v in levels) for sel in _matchings(h, d, fixed, pool, cap)
    )
    assert tuple(int(v[chosen].sum()) for v in levels) == best


@settings(max_examples=300, deadline=None)
@given(pooled(), st.booleans())
def test_open_households_and_flip_losses_with_and_without_a_pool(instance, use_pool) -> None:  # type: ignore[no-untyped-def]
    """One level: the households open on the optimal face are those housed in some optimal
    matching and not in another; a household's flip loss is the optimum minus the best
    matching whose status for it differs from the flow's choice (none: NO_PATH)."""
    H, D, h, d, levels, fixed, pool, cap = instance
    if not use_pool:
        pool, cap = np.zeros(H, dtype=bool), H
    flow = LexFlow(H, D, h, d, np.array(fixed, dtype=np.int64), [(pool, cap)])
    if len(flow.use) == 0:
        return
    # The optimum counts the pairs the flow chooses, not the fixed ones.
    optimum = flow.optimise(levels[0], flips=True) + int(levels[0][fixed].sum())
    chosen = flow.chosen()
    housed = set(h[chosen].tolist())
    value = {tuple(sel): int(levels[0][sel].sum()) for sel in _matchings(h, d, fixed, pool, cap)}
    assert optimum == max(value.values())
    best = [set(h[list(sel)].tolist()) for sel, v in value.items() if v == optimum]
    open_ = {k for k in range(H) if any(k in s for s in best) and any(k not in s for s in best)}
    assert set(flow.open_households().tolist()) == open_
    for k in set(range(H)) - set(h[fixed].tolist()):
        other = [
            v for sel, v in value.items() if (k in set(h[list(sel)].tolist())) != (k in housed)
        ]
        want = optimum - max(other) if other else NO_PATH
        assert flow.flip_loss[k] == want, (k, flow.flip_loss, want)
