"""Fit polish (allocator.polish): class exchanges keep every rule, never lose on an
earlier component, and find the best permutation for the component polished."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.checker import check_proposal
from allocator.data import build_round_data
from allocator.explain import date_of
from allocator.greedy import greedy_choice
from allocator.lexicographic import solve_tiers
from allocator.manual import ManualMatch, complete
from allocator.model import AllocationModel
from allocator.pairs import candidate_pairs
from allocator.polish import permute_within_classes, rule_classes
from allocator.rules import r11_transfers
from allocator.warmstart import keeps_round_rules, repair, warm_start
from models.scenario import Scenario
from scenarios.binding_round import binding_round
from scenarios.random_scenario import random_scenario


def _starts(model: AllocationModel, seed: int) -> list[np.ndarray]:
    """Feasible, mostly non-optimal proposals: greedy, a random one, the warm start."""
    data, pairs = model.data, model.pairs
    pins = np.array(pairs.pinned_pairs(), dtype=np.int64)
    values = np.random.default_rng(seed).integers(1, 100, size=len(pairs))
    out = [
        greedy_choice(data, pairs),
        repair(data, pairs, np.zeros(len(pairs), dtype=bool), values, pins),
        warm_start(data, pairs),
    ]
    return [x for x in out if keeps_round_rules(data, pairs, x) and x[pins].all()]


def _checked(scenario: Scenario, model: AllocationModel, chosen: np.ndarray) -> None:
    """The independent checker accepts the proposal."""
    data, pairs = model.data, model.pairs
    rows = [
        ManualMatch(
            household=data.household_ids[int(pairs.h[p])],
            dwelling=data.dwelling_ids[int(pairs.d[p])],
            move_in=date_of(int(pairs.move_in[p])),
        )
        for p in np.flatnonzero(chosen)
    ]
    assert check_proposal(scenario, complete(scenario, rows)) == []


def _household_gains(model: AllocationModel, chosen: np.ndarray, k: int) -> np.ndarray:
    """Per household, its gain on component k (0 when unmatched)."""
    out = np.zeros(model.data.H, dtype=np.int64)
    np.add.at(out, model.pairs.h[chosen], model.components[k].gain[chosen])
    return out


CASES = st.tuples(
    st.integers(0, 10_000),
    st.integers(4, 30),
    st.integers(4, 40),
    st.sampled_from([0.3, 0.7, 1.0]),
    st.booleans(),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_polish_keeps_every_rule_and_never_loses_on_an_earlier_component(case) -> None:  # type: ignore[no-untyped-def]
    seed, households, dwellings, tightness, pin = case
    scenario = random_scenario(seed, households, dwellings, tightness=tightness, pin=pin)
    data = build_round_data(scenario)
    model = AllocationModel(data, candidate_pairs(data))
    comps = list(model.components)
    for chosen in _starts(model, seed):
        for k in range(len(comps)):
            out = permute_within_classes(model, chosen, comps, k)
            assert keeps_round_rules(data, model.pairs, out)
            assert not r11_transfers.broken(model.pairs, out).any()
            assert out[model.pairs.pinned_pairs()].all()
            # Every household (housed or not) no worse on every component before k.
            for j in range(k):
                assert (_household_gains(model, out, j) >= _household_gains(model, chosen, j)).all()
            key = [int(c.gain[out].sum()) for c in comps]
            assert key >= [int(c.gain[chosen].sum()) for c in comps]
            if not (out == chosen).all():
                _checked(scenario, model, out)


def test_polish_finds_the_best_class_permutation_and_helps_the_fit_tier() -> None:
    """On a round where the rules bind: every permutation of each class's dwellings among
    its members (within the pairs that are no worse on tiers 1 and 2) is tried by brute
    force on the smallest classes; none beats the polish. And the polished proposal is
    better on fit than the warm start it came from."""
    scenario = binding_round(2, 12, 40)
    data = build_round_data(scenario)
    model = AllocationModel(data, candidate_pairs(data))
    pairs, comps = model.pairs, list(model.components)
    k = [c.name for c in comps].index("fit")
    start = warm_start(data, pairs)
    out = permute_within_classes(model, start, comps, k)
    assert int(comps[k].gain[out].sum()) >= int(comps[k].gain[start].sum())
    _checked(scenario, model, out)
    cls, plain = rule_classes(data)
    fixed = set(pairs.pinned_pairs()) | set(np.flatnonzero(r11_transfers.is_variant(pairs)))
    fixed |= set(np.flatnonzero(data.current[pairs.h] >= 0))
    tried = 0
    for c in np.unique(cls[pairs.h[out]]):
        if plain[np.flatnonzero(cls == c)[0]]:
            continue  # the plain class may also move to empty dwellings
        placed = [int(p) for p in np.flatnonzero(out) if cls[pairs.h[p]] == c]
        if len(placed) > 6 or any(p in fixed for p in placed):
            continue
        own = sum(int(comps[k].gain[p]) for p in placed)
        for perm in itertools.permutations([int(pairs.d[p]) for p in placed]):
            total = 0
            for p, d in zip(placed, perm, strict=True):
                options = [
                    q
                    for q in np.flatnonzero((pairs.h == pairs.h[p]) & (pairs.d == d))
                    if q not in fixed
                    and all(int(comps[j].gain[q]) >= int(comps[j].gain[p]) for j in range(k))
                ]
                if not options:
                    total = -(2**62)
                    break
                total += max(int(comps[k].gain[q]) for q in options)
            tried += 1
            assert total <= own
    assert tried > 0


def test_solve_tiers_with_polish_keeps_the_proven_values() -> None:
    """On small rounds that CP-SAT proves, polishing between the stages changes no proven
    value, and the proposal still passes the checker."""
    for seed in range(3):
        scenario = binding_round(seed, 10, 30)
        data = build_round_data(scenario)
        alone = AllocationModel(data, candidate_pairs(data))
        plain = solve_tiers(alone, scenario.policy.solver, 20)
        model = AllocationModel(data, candidate_pairs(data))
        polished = solve_tiers(model, scenario.policy.solver, 20, polish=True)
        ranked = {c.name for c in model.components}
        for a, b in zip(plain.tiers, polished.tiers, strict=True):
            if a.name in ranked and a.status == b.status == "OPTIMAL":
                assert a.objective == b.objective, a.name
        _checked(scenario, model, polished.chosen)


def test_a_stage_that_gives_up_keeps_its_starting_solution_and_a_valid_status() -> None:
    """`give_up_s=0`: every stage stops at once unless it improved; the proposal is then
    no worse than the hint lexicographically, keeps every rule, and no tier claims a
    proof it does not have (every value within its bound)."""
    for seed in range(3):
        scenario = binding_round(seed, 10, 30)
        data = build_round_data(scenario)
        model = AllocationModel(data, candidate_pairs(data))
        comps = list(model.components)
        hint = warm_start(data, model.pairs)
        lex = solve_tiers(model, scenario.policy.solver, 20, hint=hint, give_up_s=0.0)
        assert [int(c.gain[lex.chosen].sum()) for c in comps] >= [
            int(c.gain[hint].sum()) for c in comps
        ]
        _checked(scenario, model, lex.chosen)
        by_name = {c.name: c for c in comps}
        for tier in lex.tiers:
            c = by_name.get(tier.name)
            if c is None or tier.bound is None or tier.objective is None:
                continue
            sign = 1 if c.sense == "max" else -1
            assert sign * (tier.bound - tier.objective) >= 0, tier.name


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(st.integers(0, 10_000), st.integers(1, 5), st.integers(1, 4), st.booleans()))
def test_a_stage_capped_at_the_relaxation_still_reaches_the_true_optimum(case) -> None:  # type: ignore[no-untyped-def]
    """solve_tiers with the relaxation (which caps each stage it bounds): on tiny rounds,
    every proposal enumerated, the result is the lexicographic optimum."""
    from allocator.warmstart import relaxation

    seed, households, dwellings, pin = case
    scenario = random_scenario(seed, households, dwellings, tightness=1.0, pin=pin)
    data = build_round_data(scenario)
    model = AllocationModel(data, candidate_pairs(data))
    if len(model.pairs) > 14:
        return
    pairs = model.pairs
    everyone = []
    for take in itertools.product((False, True), repeat=len(pairs)):
        x = np.array(take, dtype=bool)
        matched = len(set(pairs.h[x])) == len(set(pairs.d[x])) == int(x.sum())
        if matched and x[pairs.pinned_pairs()].all() and keeps_round_rules(data, pairs, x):
            everyone.append(x)
    if not everyone:
        return
    comps = list(model.components)
    best = max([int(c.gain[x].sum()) for c in comps] for x in everyone)
    relaxed, _ = relaxation(model)
    pins = np.array(model.pairs.pinned_pairs(), dtype=np.int64)
    start = np.zeros(len(model.pairs), dtype=bool)
    start[pins] = True
    if not keeps_round_rules(model.data, model.pairs, start):
        return
    lex = solve_tiers(model, model.data.policy.solver, 10, hint=start, relaxation=relaxed)
    assert [int(c.gain[lex.chosen].sum()) for c in comps] == best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(st.integers(0, 10_000), st.integers(1, 5), st.integers(1, 4), st.booleans()))
def test_every_proposal_attaining_the_relaxation_lies_on_its_face(case) -> None:  # type: ignore[no-untyped-def]
    """The face a later stage is confined to (allocator.lexicographic._confine_to_face):
    on tiny rounds, every proposal enumerated that keeps the rules and attains the
    relaxation on the first k ranked components uses only pairs on the face, takes its
    forced pairs, houses its housed households and fills its filled dwellings; so does
    the relaxation's own choice (an optimum of every level, rules or not)."""
    from allocator.warmstart import face_flow, relaxation

    seed, households, dwellings, pin = case
    scenario = random_scenario(seed, households, dwellings, tightness=1.0, pin=pin)
    data = build_round_data(scenario)
    model = AllocationModel(data, candidate_pairs(data))
    pairs = model.pairs
    if len(pairs) > 14:
        return
    relaxed, own = relaxation(model)
    comps = list(model.components)
    for k in range(1, len(comps) + 1):
        flow = face_flow(model, k)
        assert flow is not None
        face = flow.face()
        assert face.holds(own, pairs.h, pairs.d)
        for take in itertools.product((False, True), repeat=len(pairs)):
            x = np.array(take, dtype=bool)
            matched = len(set(pairs.h[x])) == len(set(pairs.d[x])) == int(x.sum())
            if not (matched and x[pairs.pinned_pairs()].all()):
                continue
            if not keeps_round_rules(data, pairs, x):
                continue
            if any(c.value(x) != relaxed[c.name] for c in comps[:k]):
                continue
            assert face.holds(x, pairs.h, pairs.d)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_the_face_proposal_keeps_the_rules_and_the_relaxation_before_the_stage(case) -> None:  # type: ignore[no-untyped-def]
    """allocator.warmstart.face_proposal on binding rounds (caps and separation bind): a
    proposal it returns keeps every rule, the pins, and the relaxation's values on the
    components before the stage, and lies on the face."""
    from allocator.warmstart import face_flow, face_proposal, relaxation

    scenario = binding_round(seed=case, dwellings=12, households=40)
    data = build_round_data(scenario)
    model = AllocationModel(data, candidate_pairs(data))
    pairs = model.pairs
    relaxed, _ = relaxation(model)
    comps = list(model.components)
    for k in range(1, len(comps)):
        gain = comps[k].gain.astype(np.int64)
        flow = face_flow(model, k)
        assert flow is not None
        face = flow.face()
        found = face_proposal(model, flow, gain, seconds=5.0)
        if found is None:
            continue
        assert keeps_round_rules(data, pairs, found)
        assert found[pairs.pinned_pairs()].all()
        assert [c.value(found) for c in comps[:k]] == [relaxed[c.name] for c in comps[:k]]
        assert face.holds(found, pairs.h, pairs.d)
