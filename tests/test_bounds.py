"""Bounds on every tier (allocator.bounds): valid, on the right side, and reported.

A tier's bound is on P_k, the proposals that keep every rule and pin and are no worse than
ours on every earlier ranked component. On tiny rounds every proposal is enumerated (a
matching of candidate pairs the round rules accept, pins included), so the best value on
P_k is known exactly: each source's bound must be at least that. The proposals bounded are
deliberately not optimal (the empty one, greedy, a random feasible one), so the bounds are
not simply the solver's proven values."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.bounds import InvalidBound, Lagrangian, _holds, _set, improve, to_gain
from allocator.data import build_round_data
from allocator.greedy import greedy_choice
from allocator.lexicographic import LexResult
from allocator.lp_bound import lp_bound
from allocator.model import AllocationModel
from allocator.objective import Component
from allocator.pairs import candidate_pairs
from allocator.solve import propose
from allocator.warmstart import keeps_round_rules, relaxation, repair
from models.proposal import TierResult
from scenarios.random_scenario import random_scenario, scenario_strategy


def _matchings(h: np.ndarray, d: np.ndarray, forced: set[int]) -> Iterator[np.ndarray]:
    """Every matching of the pairs (as bool arrays) that contains the `forced` pairs."""
    n = len(h)
    chosen = np.zeros(n, dtype=bool)

    def walk(p: int, used_h: set[int], used_d: set[int]) -> Iterator[np.ndarray]:
        if p == n:
            yield chosen.copy()
            return
        hh, dd = int(h[p]), int(d[p])
        if p not in forced:
            yield from walk(p + 1, used_h, used_d)
        if hh not in used_h and dd not in used_d:
            chosen[p] = True
            yield from walk(p + 1, used_h | {hh}, used_d | {dd})
            chosen[p] = False

    yield from walk(0, set(), set())


def _feasible(model: AllocationModel) -> list[np.ndarray]:
    pairs = model.pairs
    forced = set(pairs.pinned_pairs())
    return [
        x for x in _matchings(pairs.h, pairs.d, forced) if keeps_round_rules(model.data, pairs, x)
    ]


def _best_on_stage(
    comps: list[Component], k: int, chosen: np.ndarray, proposals: list[np.ndarray]
) -> int:
    """max gain_k over the proposals no worse than `chosen` on every component before k."""
    floor = [int(c.gain[chosen].sum()) for c in comps[:k]]
    return max(
        int(comps[k].gain[x].sum())
        for x in proposals
        if all(int(c.gain[x].sum()) >= f for c, f in zip(comps[:k], floor, strict=True))
    )


def _tiny(seed: int, households: int, dwellings: int, tightness: float, pin: bool):  # type: ignore[no-untyped-def]
    scenario = random_scenario(seed, households, dwellings, tightness=tightness, pin=pin)
    data = build_round_data(scenario)
    pairs = candidate_pairs(data)
    return AllocationModel(data, pairs)


def _enumerable(case) -> tuple[AllocationModel, list[np.ndarray]] | None:  # type: ignore[no-untyped-def]
    """The tiny round of a case and every proposal of it, or None when it has too many
    pairs to enumerate or no proposal."""
    seed, households, dwellings, tightness, pin = case
    model = _tiny(seed, households, dwellings, tightness, pin)
    if len(model.pairs) > 14:
        return None
    everyone = _feasible(model)
    return (model, everyone) if everyone else None


def _proposals_to_bound(model: AllocationModel, seed: int) -> list[np.ndarray]:
    """Feasible, mostly non-optimal proposals: empty (pins only), greedy, a random one."""
    pairs, data = model.pairs, model.data
    pins = np.array(pairs.pinned_pairs(), dtype=np.int64)
    empty = np.zeros(len(pairs), dtype=bool)
    empty[pins] = True
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 100, size=len(pairs))
    random = repair(data, pairs, np.zeros(len(pairs), dtype=bool), values, pins)
    out = [empty, greedy_choice(data, pairs), random]
    return [x for x in out if keeps_round_rules(data, pairs, x) and x[pins].all()]


def _unproven(model: AllocationModel, chosen: np.ndarray) -> LexResult:
    comps = list(model.components)
    tiers = [TierResult(name=c.name, status="FEASIBLE", objective=c.value(chosen)) for c in comps]
    return LexResult(chosen=chosen, tiers=tiers, components=comps)


CASES = st.tuples(
    st.integers(0, 10_000),
    st.integers(1, 5),
    st.integers(1, 4),
    st.sampled_from([0.3, 0.7, 1.0]),
    st.booleans(),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_every_source_bounds_the_best_proposal_of_the_stage(case) -> None:  # type: ignore[no-untyped-def]
    seed = case[0]
    enumerated = _enumerable(case)
    if enumerated is None:
        return  # enumeration stays small
    model, everyone = enumerated
    relaxed, _ = relaxation(model)
    comps = list(model.components)
    flow = Lagrangian(model)
    for chosen in _proposals_to_bound(model, seed):
        for k, c in enumerate(comps):
            best = _best_on_stage(comps, k, chosen, everyone)
            gain = c.gain.astype(np.int64)
            holds = _holds(comps, k, chosen, model.matches, flow.limit)
            assert flow.bound(gain, holds, deadline=float("inf")) >= best, c.name
            got = lp_bound(model, comps, k, chosen, deadline=float("inf"))
            assert got is None or got >= best, c.name
        lex = _unproven(model, chosen)
        improve(model, lex, relaxed, seconds=60.0)
        for k, (c, tier) in enumerate(zip(comps, lex.tiers, strict=True)):
            assert tier.bound is not None and tier.bound_source is not None
            assert to_gain(c, tier.bound) >= _best_on_stage(comps, k, chosen, everyone), (
                c.name,
                tier.bound_source,
            )
            assert tier.gap is not None and tier.gap >= 0


def test_a_bound_below_the_proposal_is_refused() -> None:
    c = Component("priority_waiting", "max", 0, np.array([3, 4]))
    tier = TierResult(name=c.name, status="FEASIBLE", objective=7)
    from allocator.bounds import Bound

    with pytest.raises(InvalidBound):
        _set(tier, c, 7, [Bound(6, "lp")], exact=True)
    _set(tier, c, 7, [Bound(9, "lp"), Bound(8, "flow")], exact=True)
    assert (tier.bound, tier.bound_source) == (8, "flow")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy(max_households=30, max_dwellings=40))
def test_every_solved_tier_has_a_bound_on_the_right_side(scenario) -> None:  # type: ignore[no-untyped-def]
    proposal = propose(scenario)
    for tier in proposal.run.tiers:
        if tier.status not in ("OPTIMAL", "FEASIBLE") or tier.objective is None:
            continue
        assert tier.bound is not None, tier
        assert tier.bound_source is not None
        assert float(tier.bound).is_integer() and float(tier.objective).is_integer()
        sense = -1 if tier.name.startswith(("deadline", "fit", "tiebreak_assignment")) else 1
        assert sense * (tier.bound - tier.objective) >= 0, tier


def test_feasible_tiers_of_a_timed_out_round_get_bounds() -> None:
    """A round too large to prove in the time given: the tiers left FEASIBLE still carry
    a bound (none of them null) and a gap."""
    scenario = random_scenario(5, 400, 120, tightness=0.8, pin=True)
    proposal = propose(scenario, time_limit_s=3.0)
    solved = [t for t in proposal.run.tiers if t.status in ("OPTIMAL", "FEASIBLE")]
    assert solved
    for tier in solved:
        assert tier.bound is not None, tier
        assert tier.gap is not None and tier.gap >= 0


def _tier_values_of(scenario, proposal) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Each ranked component evaluated on the proposal's matches, from a fresh model."""
    data = build_round_data(scenario)
    model = AllocationModel(data, candidate_pairs(data))
    pairs = model.pairs
    h_of = {h: i for i, h in enumerate(data.household_ids)}
    d_of = {d: i for i, d in enumerate(data.dwelling_ids)}
    chosen = np.zeros(len(pairs), dtype=bool)
    for match in proposal.matches:
        at = np.flatnonzero((pairs.h == h_of[match.household]) & (pairs.d == d_of[match.dwelling]))
        assert len(at) == 1, match
        chosen[at[0]] = True
    return {c.name: c.value(chosen) for c in model.components}


def test_a_timed_out_round_reports_each_tier_at_the_proposals_own_value() -> None:
    """Packed stages are held by their packed sum only, so a later stage may move value
    between a stage's components: the reported values are still the proposal's, and
    each bound is on its side of them."""
    scenario = random_scenario(7, 400, 120, tightness=0.8)
    proposal = propose(scenario, time_limit_s=2.0)
    values = _tier_values_of(scenario, proposal)
    reported = {t.name: t for t in proposal.run.tiers if t.name in values}
    assert set(reported) == set(values)
    for name, tier in reported.items():
        if tier.objective is None:
            continue
        assert tier.objective == values[name], tier
        if tier.bound is not None:
            sense = -1 if name.startswith(("deadline", "fit")) else 1
            assert sense * (tier.bound - tier.objective) >= 0, tier


def test_a_tier_moved_by_a_later_stage_is_reread_and_a_broken_proof_is_an_error() -> None:
    from allocator.lexicographic import reread

    fit = Component("fit", "min", 10, np.array([-2, -5]))  # value 10 + Σ weights
    lead = Component("priority_waiting", "max", 0, np.array([3, 4]))
    chosen = np.array([False, True])  # fit 5, priority 4
    moved = [
        TierResult(name="priority_waiting", status="FEASIBLE", objective=3, bound=6, gap=1.0),
        TierResult(name="fit", status="FEASIBLE", objective=8, bound=4, gap=0.5),
    ]
    reread(moved, [lead, fit], chosen)
    assert [(t.objective, t.bound) for t in moved] == [(4, 6), (5, 4)]
    assert moved[0].gap == pytest.approx(0.5) and moved[1].gap == pytest.approx(0.2)
    with pytest.raises(RuntimeError, match="proven optimal"):
        reread([TierResult(name="fit", status="OPTIMAL", objective=3, bound=3)], [fit], chosen)
    with pytest.raises(RuntimeError, match="passes its bound"):
        reread([TierResult(name="fit", status="FEASIBLE", objective=5, bound=6)], [fit], chosen)


def test_the_lp_rounded_hint_keeps_the_rules_and_never_loses_lexicographically() -> None:
    """allocator.solve._lp_rounded on a round where the rules bind: its hint keeps every
    round rule and pin and is no worse than the warm start lexicographically; its LP
    bound on tier 2 is at least the proven optimum of tier 2 (tier 1 held at the hint's
    values, which the optimum attains here)."""
    from allocator.solve import _lp_rounded
    from allocator.warmstart import warm_start
    from scenarios.binding_round import binding_round

    scenario = binding_round(1, 40, 160)
    data = build_round_data(scenario)
    model = AllocationModel(data, candidate_pairs(data))
    hint = warm_start(data, model.pairs)
    best, known = _lp_rounded(model, hint, deadline=float("inf"))
    comps = list(model.components)
    assert keeps_round_rules(data, model.pairs, best)

    def key(c: np.ndarray) -> list[int]:
        return [int(k.gain[c].sum()) for k in comps]

    assert key(best) >= key(hint)
    proposal = propose(scenario, time_limit_s=20)
    tiers = {t.name: t for t in proposal.run.tiers}
    assert tiers["priority_waiting"].status == "OPTIMAL"
    bound, held = known["priority_waiting"]
    optimum = [tiers[c.name].objective for c in comps[:2]]
    if optimum == [c.value(hint) for c in comps[:2]]:
        assert bound >= tiers["priority_waiting"].objective
    assert held == [int(c.gain[hint].sum()) for c in comps[:2]]


def test_the_stage_lp_sums_separation_per_household_and_dwelling() -> None:
    """An active user and a household in recovery, two flats in one building: only one of
    them can move in. With a row per pair (x <= y, x <= 1 - y) the LP houses both, half in
    each flat, at y = 1/2; summed per household and per dwelling it cannot, and its bound
    is the integral optimum (the better of the two)."""
    from builders import building, dwelling, household, scenario

    s = scenario(
        buildings=[building("B1", units=40), building("B2", "D2")],
        dwellings=[dwelling("W1"), dwelling("W2")],
        households=[
            household("ACTIVE", substance_use="active", approved_on="2025-01-01"),
            household("RECOVERY", substance_use="recovery", approved_on="2025-02-01"),
        ],
    )
    data = build_round_data(s)
    model = AllocationModel(data, candidate_pairs(data))
    comps = list(model.components)
    k = [c.name for c in comps].index("priority_waiting")
    empty = np.zeros(len(model.pairs), dtype=bool)
    best = _best_on_stage(comps, k, empty, _feasible(model))
    both = sum(int(comps[k].gain[model.pairs.h == h].max()) for h in range(data.H))
    assert best < both
    assert lp_bound(model, comps, k, empty, deadline=float("inf")) == best


def test_a_hint_at_the_stage_lp_bound_is_proven_without_a_solve() -> None:
    """Tier 2 is proven by the LP only when the hint attains its bound and every tier
    before it is proven at the hint's values (the LP held them no worse)."""
    from allocator.solve import _proven_by_lp

    model = _tiny(3, 6, 4, 0.5, False)
    comps = list(model.components)
    k = [c.name for c in comps].index("priority_waiting")
    hint = _proposals_to_bound(model, 3)[1]
    gains = [int(c.gain[hint].sum()) for c in comps]
    before = {c.name for c in comps[:k]}
    known = {"priority_waiting": (gains[k], gains[:k])}
    assert _proven_by_lp(model, hint, known, before) == {"priority_waiting": "lp"}
    assert _proven_by_lp(model, hint, known, None) == {}  # tier 1 not proven
    above = {"priority_waiting": (gains[k] + 1, gains[:k])}
    assert _proven_by_lp(model, hint, above, before) == {}  # bound not attained
    other = {"priority_waiting": (gains[k], [g - 1 for g in gains[:k]])}
    assert _proven_by_lp(model, hint, other, before) == {}  # held at other values
    # Fit rests on tier 2 proven by its LP in the same pass.
    chain = {**known, "fit": (gains[k + 1], gains[: k + 1])}
    both = {"priority_waiting": "lp", "fit": "lp"}
    assert _proven_by_lp(model, hint, chain, before) == both
    assert _proven_by_lp(model, hint, {"fit": chain["fit"]}, before) == {}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_the_fit_lp_hint_keeps_every_rule_and_the_tiers_above(case) -> None:  # type: ignore[no-untyped-def]
    """The fit stage's LP rounded: a hint only if it keeps every rule and is
    lexicographically better through fit; its bound never below the best proposal no
    worse than the hint on tiers 1-2, the one returned among them."""
    from allocator.solve import _fit_lp_rounded

    seed = case[0]
    enumerated = _enumerable(case)
    if enumerated is None:
        return
    model, everyone = enumerated
    comps = list(model.components)
    k = [c.name for c in comps].index("fit")
    for hint in _proposals_to_bound(model, seed):
        out, known = _fit_lp_rounded(model, hint, deadline=float("inf"))
        assert keeps_round_rules(model.data, model.pairs, out)
        gains = [int(c.gain[out].sum()) for c in comps[: k + 1]]
        assert gains >= [int(c.gain[hint].sum()) for c in comps[: k + 1]]
        if known:
            bound, held = known["fit"]
            assert held == [int(c.gain[hint].sum()) for c in comps[:k]]
            assert bound >= _best_on_stage(comps, k, hint, everyone) >= gains[k]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_the_deadline_lps_prove_only_the_true_tier_1_optimum(case) -> None:  # type: ignore[no-untyped-def]
    """Tier 1 proven by the deadline components' LPs: when they prove it, the proposal
    keeps every rule and pin and is the lexicographic optimum of the deadline components
    over every proposal of the round (enumerated), from any starting proposal."""
    from allocator.solve import _deadlines_by_lp

    seed = case[0]
    enumerated = _enumerable(case)
    if enumerated is None:
        return
    model, everyone = enumerated
    deadline = [c for c in model.components if c.name.startswith("deadline_")]
    best = max([int(c.gain[x].sum()) for c in deadline] for x in everyone)
    for start in _proposals_to_bound(model, seed):
        result = _deadlines_by_lp(model, start, deadline=float("inf"))
        if result is None:
            continue
        chosen = result.chosen
        assert keeps_round_rules(model.data, model.pairs, chosen)
        assert chosen[model.pairs.pinned_pairs()].all()
        assert [int(c.gain[chosen].sum()) for c in deadline] == best
        proven = {t.name: t for t in result.tiers if t.status == "OPTIMAL"}
        assert set(proven) == {c.name for c in deadline}
        for c in deadline:
            assert proven[c.name].objective == proven[c.name].bound == c.value(chosen)
            assert proven[c.name].bound_source == "lp"


def test_the_deadline_lps_prove_tier_1_of_a_tight_round() -> None:
    """On a round where the due families compete for few dwellings, the LPs do prove
    tier 1 (the test above would pass vacuously if they never did)."""
    from allocator.solve import _deadlines_by_lp

    proved = 0
    for seed in range(12):
        model = _tiny(seed, 5, 3, 1.0, False)
        if len(model.pairs) > 14 or not model.data.ranked_due.any():
            continue
        start = _proposals_to_bound(model, seed)[0]
        result = _deadlines_by_lp(model, start, deadline=float("inf"))
        if result is not None:
            everyone = _feasible(model)
            deadline = [c for c in model.components if c.name.startswith("deadline_")]
            best = max([int(c.gain[x].sum()) for c in deadline] for x in everyone)
            assert [int(c.gain[result.chosen].sum()) for c in deadline] == best
            proved += 1
    assert proved >= 3


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.sampled_from([0.3, 0.7, 1.0]))
def test_the_priced_lp_reaches_the_whole_lp_from_one_pair_per_household(
    seed: int, tightness: float
) -> None:
    """Column generation from each household's single best pair, one pair priced in per
    round: the same bound as the LP over every pair, and its solution keeps every row of
    the whole LP (the pairs never priced in at 0)."""
    import allocator.lp_bound as lb

    model = _tiny(seed, 24, 10, tightness, False)
    comps = list(model.components)
    chosen = greedy_choice(model.data, model.pairs)
    for k in range(len(comps)):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(lb, "START_COLUMNS", 10_000)
            whole, _ = lb.solve_stage_lp(model, comps, k, chosen, float("inf"))
            patch.setattr(lb, "START_COLUMNS", 1)
            patch.setattr(lb, "PRICED_COLUMNS", 1)
            priced, x = lb.solve_stage_lp(model, comps, k, chosen, float("inf"))
        assert priced == whole, comps[k].name
        assert priced is not None and x is not None
        assert priced >= int(comps[k].gain[chosen].sum())
        cost, A, lo, up, c_lo, c_up = lb.stage_lp(model, comps, k, chosen)
        n = len(model.pairs)
        assert np.all(x >= c_lo[:n] - 1e-7) and np.all(x <= c_up[:n] + 1e-7)
        # Rows without a scope variable exactly; per exclusion scope, some y in [0, 1]
        # with every first-kind sum <= y and every second-kind sum <= 1 - y.
        rows = A[:, :n] @ x
        scopes = A[:, n:].tocsc()
        plain = np.asarray(abs(scopes).sum(axis=1)).ravel() == 0
        assert np.all(rows[plain] <= up[plain] + 1e-6), comps[k].name
        assert np.all(rows[plain] >= lo[plain] - 1e-6), comps[k].name
        for s in range(scopes.shape[1]):
            members = scopes.indices[scopes.indptr[s] : scopes.indptr[s + 1]]
            signs = scopes.data[scopes.indptr[s] : scopes.indptr[s + 1]]
            low = max([0.0, *rows[members[signs < 0]]])
            high = min([1.0, *(1 - rows[members[signs > 0]])])
            assert low <= high + 1e-6, comps[k].name


def test_a_better_proposal_through_fit_keeps_the_bounds_above_and_drops_those_below() -> None:
    """After the fit LP's rounding replaces the proposal, the tiers are re-read at its
    values; fit's bound and those before stay, the tie-break's (which held fit and the
    earlier tie blocks at the old values) are dropped."""
    from allocator.solve import _replace

    for seed in range(200):
        model = _tiny(seed, 4, 3, 0.7, False)
        if len(model.pairs) > 14:
            continue
        everyone = _feasible(model)
        comps = list(model.components)
        k = [c.name for c in comps].index("fit")
        ranked = sorted(everyone, key=lambda x: [int(c.gain[x].sum()) for c in comps[: k + 1]])
        old, new = ranked[0], ranked[-1]
        if [int(c.gain[old].sum()) for c in comps[: k + 1]] == [
            int(c.gain[new].sum()) for c in comps[: k + 1]
        ]:
            continue
        tie = Component("tiebreak_assignment", "min", 0, np.arange(len(model.pairs)))
        lex = _unproven(model, old)
        lex.components.append(tie)
        lex.tiers.append(TierResult(name=tie.name, status="FEASIBLE", objective=tie.value(old)))
        for c, tier in zip(lex.components, lex.tiers, strict=True):
            tier.bound = (
                max(c.value(old), c.value(new))
                if c.sense == "max"
                else min(c.value(old), c.value(new))
            )
            tier.bound_source = "lp"
        _replace(model, lex, new, "fit")
        assert lex.chosen is new
        for c, tier in zip(lex.components, lex.tiers, strict=True):
            assert tier.objective == c.value(new)
            assert (tier.bound is None) == (c.name == tie.name), c.name
        return
    raise AssertionError("no tiny round with two proposals apart through fit")
