"""Whole-stock pair selection (allocator.sparse), exercised at small size by lowering the
threshold: selecting while the pairs are generated equals selecting from all of them at
once, and the sparsified proposal keeps every hard rule and the exact tier 1."""

from __future__ import annotations

import numpy as np
import pytest

from allocator import pairs as pairs_module
from allocator import solve as solve_module
from allocator import sparse
from allocator.checker import check_proposal
from allocator.data import build_round_data
from allocator.pairs import candidate_pairs
from allocator.solve import propose
from scenarios.sized_round import sized_round


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    s = sized_round(seed=11, dwellings=60, households=400)
    return s.model_copy(
        update={
            "policy": s.policy.model_copy(
                update={"solver": s.policy.solver.model_copy(update={"time_limit_s": 20.0})}
            )
        }
    )


def _keys(p: pairs_module.Pairs) -> list[tuple[int, int]]:
    return list(zip(p.h.tolist(), p.d.tolist(), strict=True))


def test_streamed_selection_equals_selection_from_all_pairs(
    scenario, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    data = build_round_data(scenario)
    full = candidate_pairs(data)
    once = sparse._Selection(data)
    once.add(full)
    expected = once.result()
    # Many small blocks and chunks: per-dwelling picks must be merged across them.
    monkeypatch.setattr(pairs_module, "BLOCK_CELLS", 20 * data.D)
    monkeypatch.setattr(sparse, "SPARSIFY_ABOVE", 100)
    monkeypatch.setattr(sparse, "CHUNK_PAIRS", 700)
    streamed, total = sparse.model_pairs(data)
    assert total == len(full) and len(streamed) < len(full)
    assert _keys(streamed) == _keys(expected)
    assert _keys(streamed) == sorted(_keys(streamed))
    assert streamed.rejected == full.rejected
    for name in ("fit", "housing", "unmatched_over", "move_in", "tie_jitter"):
        index = full.index()
        at = np.array([index[k] for k in _keys(streamed)])
        assert (getattr(streamed, name) == getattr(full, name)[at]).all(), name
    # What is kept: due families' pairs, and at least the picks per household and dwelling.
    kept = set(_keys(streamed))
    assert all(k in kept for k in _keys(full) if data.due[k[0]])
    per_household = np.bincount(streamed.h, minlength=data.H)
    candidates = np.bincount(full.h, minlength=data.H)
    assert (per_household >= np.minimum(candidates, sparse.KEEP_PER_HOUSEHOLD)).all()


def test_sparsified_proposal_keeps_the_rules_and_the_exact_deadline_tier(
    scenario, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    exact = propose(scenario)
    assert exact.run.status == "OPTIMAL"  # so tier 2 below is a true upper limit
    monkeypatch.setattr(sparse, "SPARSIFY_ABOVE", 100)
    thinned = propose(scenario, time_limit_s=4)  # not certifiable: runs to its limit
    assert solve_module.model_pairs is sparse.model_pairs
    assert thinned.run.sizes["pairs"] == exact.run.sizes["pairs"]
    assert thinned.run.sizes["model_pairs"] < exact.run.sizes["model_pairs"]
    assert check_proposal(scenario, thinned) == []
    tier = {t.name: t.objective for t in thinned.run.tiers}
    want = {t.name: t.objective for t in exact.run.tiers}
    assert tier["deadline_breaches"] == want["deadline_breaches"]
    assert tier["deadline_days_over"] == want["deadline_days_over"]
    assert tier["priority_waiting"] <= want["priority_waiting"]
