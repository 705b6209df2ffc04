"""The twin test: the model's own statements of the rules (allocator.rules, through the
candidate pairs and the round rules' `broken`) give the same verdict as the independent
checker (allocator.checker) on every boundary case of the checker's tables and on random
rounds and random placements."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from test_checker_rules import PAIR_CASES, pair_scenario

from allocator.checker import pair_violations, r7_clocks
from allocator.checker.context import Context
from allocator.checker.r10_group_share import group_cap
from allocator.checker.registry import PLACEMENT_RULES
from allocator.data import build_round_data
from allocator.pairs import candidate_pairs, first_rejection, pair_rejections
from allocator.round_state import broken_rules
from allocator.rules import PAIR_RULES
from allocator.rules.r10_group_share import figures
from models.proposal import Match, Proposal, RunInfo
from models.scenario import Scenario
from scenarios.random_scenario import scenario_strategy


def model_pair_codes(s: Scenario, household: str, dwelling: str) -> list[str]:
    """The pairwise codes the model rejects a pair with (switched-off rules skipped)."""
    data = build_round_data(s)
    h, d = data.household_index[household], data.dwelling_index[dwelling]
    codes = pair_rejections(data, h)[d]
    pairwise = {r.code for r in PAIR_RULES}
    return [c for c in codes if c in pairwise]


@pytest.mark.parametrize("h, d, b, policy, extras, expected, breach", PAIR_CASES)
def test_every_pairwise_boundary_case_agrees(
    h,
    d,
    b,
    policy,
    extras,
    expected,  # type: ignore[no-untyped-def]
    breach,
) -> None:
    s = pair_scenario(h, d, b, policy, extras)
    assert model_pair_codes(s, "H1", "W1") == pair_violations(s, "H1", "W1") == expected


def _placements(s: Scenario, rng: random.Random) -> list[tuple[str, str]]:
    """A random one-to-one set of pairs every pairwise rule allows (round rules ignored)."""
    pairs = [
        (h.id, d.id)
        for h in s.households
        for d in s.dwellings
        if not pair_violations(s, h.id, d.id)
    ]
    rng.shuffle(pairs)
    used_h: set[str] = set()
    used_d: set[str] = set()
    out = []
    for h, d in pairs:
        if h not in used_h and d not in used_d and rng.random() < 0.7:
            out.append((h, d))
            used_h.add(h)
            used_d.add(d)
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy(max_households=12, max_dwellings=10))
def test_pairwise_and_round_rules_agree_on_random_rounds(s: Scenario) -> None:
    _rules_agree(s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy(max_households=12, max_dwellings=10, group_share=True))
def test_group_share_agrees_on_random_rounds(s: Scenario) -> None:
    """R10 switched on: the same figures (M, ν, t, r, K and who is counted) on both sides,
    and the same verdicts on random placements (which often exceed the cap)."""
    data = build_round_data(s)
    mine, theirs = figures(data), group_cap(Context.of(s))
    assert mine.active == (theirs is not None)
    if theirs is not None:
        assert (mine.most_placements, mine.members_fit, mine.target, mine.reserved, mine.cap) == (
            theirs.most_placements,
            theirs.members_fit,
            theirs.target,
            theirs.reserved,
            theirs.cap,
        )
        assert {data.household_ids[i] for i in np.flatnonzero(mine.counted)} == theirs.counted
    _rules_agree(s)


def _rules_agree(s: Scenario) -> None:
    data = build_round_data(s)
    # Every pair: the same pairwise verdict.
    codes = first_rejection(data, np.arange(data.H))
    for i, h in enumerate(s.households):
        for j, d in enumerate(s.dwellings):
            assert (codes[i, j] == 0) == (not pair_violations(s, h.id, d.id)), (h.id, d.id)
    # Random placements: the same round-rule violations, placement by placement.
    rng = random.Random(len(s.households) * 31 + len(s.dwellings))
    placed = _placements(s, rng)
    hs = np.array([data.household_index[h] for h, _ in placed], dtype=np.int64)
    ds = np.array([data.dwelling_index[d] for _, d in placed], dtype=np.int64)
    model = {
        (code, placed[k][0], placed[k][1])
        for code, broken in broken_rules(data, hs, ds).items()
        for k in np.flatnonzero(broken)
    }
    proposal = Proposal(
        run=RunInfo(id="twin", as_of=s.as_of, input_sha256="", policy_sha256=""),
        matches=[Match(household=h, dwelling=d, move_in=s.as_of) for h, d in placed],
    )
    ctx = Context.of(s)
    checker = {
        (v.code, v.household, v.dwelling)
        for rule in PLACEMENT_RULES
        for v in rule.check(ctx, proposal)
    }
    assert model == checker


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy(max_households=12, max_dwellings=10))
def test_deadline_clocks_agree(s: Scenario) -> None:
    """Every household's clock, and its days over when matched to each candidate dwelling
    or left unmatched, the same in the model and the checker."""
    data = build_round_data(s)
    pairs = candidate_pairs(data)
    ctx = Context.of(s)
    breach, days = pairs.matched_breach()
    unmatched = pairs.unmatched_over_h
    for i, h in enumerate(s.households):
        found = r7_clocks.clock_of(h, s.policy)
        assert (found is not None) == bool(data.clock[i] >= 0)
        if found is None:
            continue
        assert found[1].toordinal() == data.deadline[i]
        assert r7_clocks.is_due(h, s) == bool(data.due[i])
        assert r7_clocks.breach(ctx, h, None) == (unmatched[i] if data.due[i] else 0)
        for p in np.flatnonzero(pairs.h == i):
            d = s.dwellings[int(pairs.d[p])]
            want = r7_clocks.breach(ctx, h, d)
            assert (days[p] if breach[p] else 0) == want, (h.id, d.id)
