"""The lexicographic flow (allocator.lexflow) against brute force over every matching."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.lexflow import lexicographic_matching


def _best_by_brute_force(h: np.ndarray, d: np.ndarray, levels: list[np.ndarray],
                         fixed: list[int]) -> tuple[int, ...]:
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
    cells = draw(st.lists(st.tuples(st.integers(0, H - 1), st.integers(0, D - 1)),
                          min_size=1, max_size=11, unique=True))
    n_levels = draw(st.integers(1, 3))
    levels = [np.array(draw(st.lists(st.integers(-3, 3), min_size=len(cells),
                                     max_size=len(cells))), dtype=np.int64)
              for _ in range(n_levels)]
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
