"""The binding_round generator (benchmark tier horizon-binding): a municipal round where
the round rules bind. Checked at a small size: the rules reject pairs, the relaxation
(round rules dropped) breaks them, and the optimum pays for them in tier 2 with districts
at their quota."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from allocator.checker import check_proposal
from allocator.data import build_round_data
from allocator.model import AllocationModel
from allocator.pairs import candidate_pairs
from allocator.round_state import broken_rules
from allocator.solve import propose
from allocator.warmstart import relaxation
from scenarios.binding_round import binding_round
from scenarios.sized_round import sized_round


@pytest.fixture(scope="module")
def small():  # type: ignore[no-untyped-def]
    return binding_round(1, 40, 160)


def test_more_high_need_and_substance_households_than_the_plain_round(small) -> None:  # type: ignore[no-untyped-def]
    plain = sized_round(1, 40, 160)

    def shares(s):  # type: ignore[no-untyped-def]
        n = len(s.households)
        kinds = Counter(h.substance_use.value for h in s.households)
        return (
            sum(h.high_need for h in s.households) / n,
            kinds["active"] / n,
            kinds["recovery"] / n,
        )

    high, active, recovery = shares(small)
    assert high >= 0.3 and active >= 0.1 and recovery >= 0.1
    assert high > 2 * shares(plain)[0]
    assert all(d.max_new_high_need is not None for d in small.districts)


def test_the_round_rules_bind(small) -> None:  # type: ignore[no-untyped-def]
    data = build_round_data(small)
    pairs = candidate_pairs(data)
    # Pairwise: a placement alone already breaks a building cap or separation.
    assert pairs.rejected["building_cap"] > 0 and pairs.rejected["separation"] > 0
    # Together: the best assignment without the round rules breaks them.
    model = AllocationModel(data, pairs)
    relaxed_values, relaxed = relaxation(model)
    idx = np.flatnonzero(relaxed)
    broken = broken_rules(data, pairs.h[idx], pairs.d[idx])
    assert "district_quota" in broken
    # And the optimum pays for them: tier 2 below the relaxation's, quotas reached.
    proposal = propose(small, time_limit_s=20)
    assert check_proposal(small, proposal) == []
    tiers = {t.name: t for t in proposal.run.tiers}
    assert tiers["priority_waiting"].status == "OPTIMAL"
    assert tiers["priority_waiting"].objective < relaxed_values["priority_waiting"]
    high = {h.id for h in small.households if h.high_need}
    district = {b.id: b.district for b in small.buildings}
    building = {d.id: d.building for d in small.dwellings}
    placed = Counter(
        district[building[m.dwelling]] for m in proposal.matches if m.household in high
    )
    at_quota = [d.id for d in small.districts if placed[d.id] == d.max_new_high_need]
    assert len(at_quota) >= len(small.districts) // 2
