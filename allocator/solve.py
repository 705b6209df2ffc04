"""One public entry point: `propose(scenario) -> Proposal`.

Data (allocator.data) → candidate pairs (allocator.pairs) → CP-SAT model (allocator.model)
→ lexicographic solve (allocator.lexicographic) → proposal with reasons (allocator.explain).
"""

from __future__ import annotations

import datetime as dt
import functools
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from allocator import __version__
from allocator.bounds import improve
from allocator.data import RoundData, build_round_data
from allocator.explain import assemble
from allocator.greedy import greedy_choice
from allocator.hashing import policy_sha256, run_id, scenario_sha256
from allocator.lexicographic import (
    LexResult,
    infeasible_pins,
    relative_gap,
    reread,
    solve_tiers,
)
from allocator.limits import check_representable
from allocator.lookahead import Outlook, assess, with_lookahead
from allocator.lp_bound import MAX_PAIRS as MAX_LP_PAIRS
from allocator.lp_bound import solve_stage_lp
from allocator.model import AllocationModel
from allocator.objective import Component, Objective, default_objective
from allocator.pairs import Pairs
from allocator.sparse import model_pairs
from allocator.validation import check_round
from allocator.warmstart import (
    exact_values,
    flow_assignment,
    hint_values,
    keeps_round_rules,
    relaxation,
    repair,
    stacked_gains,
    warm_start,
)
from models.policy import Solver as SolverSettings
from models.proposal import Proposal, RunInfo, TierResult
from models.scenario import Scenario

Method = Literal["cp-sat", "greedy"]


#: From this many pair variables on, tier 1 is solved first on the due families alone.
DEADLINES_FIRST = 20_000
#: Time kept back for the bounds of tiers the solve does not prove (allocator.bounds): a
#: share of the budget, at most BOUND_SECONDS.
BOUND_SHARE = 0.2
BOUND_SECONDS = 8.0
#: Share of the time limit kept back for explaining the proposal (reasons, alternates):
#: the limit is the budget of the whole `propose` call, not only of the solve.
EXPLAIN_SHARE = 0.03
#: The same for whole-stock selections: explaining 12,000 households took 18.4 s of a
#: 600 s limit (3.1 %) and the stages overran by 3 s (stock-transfers, 603.9 s in all).
SPARSE_EXPLAIN_SHARE = 0.05


def _repair_seconds(budget: float, share: float = 0.1) -> float:
    """Time for the warm start's ban-and-reflow rounds: each round re-optimises the whole
    assignment (about 1.3 s at whole-stock size) and the hint keeps improving for dozens
    of rounds (measured: 0.98 % → 0.47 % below the assignment bound from 6 to 50 rounds),
    a far better use of the time than CP-SAT on a weaker hint."""
    return min(60.0, max(2.0, share * budget))


#: Share of the budget for the warm start's ban-and-reflow on whole-stock selections (at
#: most 60 s, as `_repair_seconds`): each round there takes two flows (chain links kept,
#: allocator.warmstart.linked_assignment), and the hint kept improving up to 60 s
#: (stock-transfers, same due placements: 30 s 10,575,263 housing points, 60 s
#: 10,611,908, 90 s 10,612,209; the benchmark gave it 30 s of a 300 s budget).
SPARSE_REPAIR_SHARE = 0.2


def _attains(
    model: AllocationModel,
    bounds: dict[str, int] | None,
    chosen: np.ndarray,
    through: str = "priority_waiting",
) -> bool:
    """Does `chosen` attain the relaxation bound on every component up to `through`?
    Then no other hint can be better there."""
    if bounds is None:
        return False
    for c in model.components:
        if bounds.get(c.name) != c.value(chosen):
            return False
        if c.name == through:
            return True
    return False


def _gains(components: Sequence[Component], chosen: np.ndarray) -> list[int]:
    """Each component's gain on `chosen`: compared as lists, the lexicographic order."""
    return [int(c.gain[chosen].sum()) for c in components]


#: Share of the budget after which the deadlines-first sub-solve stops when it has found
#: nothing better than its warm start.
GIVE_UP_SHARE = 0.2
#: Share of the budget the tier-2 LP (bound and rounded hint) may take at most.
LP_SHARE = 0.6
#: Seconds of the budget the LP phase always leaves to the stages and the bounds.
LP_KEEP_S = 2.0
#: Time kept back for the fit stage's LP after the stages (`_fit_lp_rounded`): a share of
#: the budget, at most FIT_SECONDS (horizon-binding: the LP 3.3 s, its roundings 2.5 s).
FIT_SHARE = 0.25
FIT_SECONDS = 10.0
#: Seconds the fit LPs leave to the bounds of the other tiers.
FIT_KEEP_S = 2.0


def _lp_rounded(
    model: AllocationModel, hint: np.ndarray, deadline: float
) -> tuple[np.ndarray, dict[str, tuple[int, list[int]]]]:
    """The tier-2 stage's LP as a bound and a rounding hint. Two LPs, while time lasts:
    the stage itself (the components before tier 2 held at the hint's values), whose
    dual bounds tier 2 (allocator.lp_bound); and, unless a rounding of the first keeps
    tier 1, the stage with the hint's tier-1 placements (the due households' pairs) and
    pins fixed. Each LP solution is rounded by the warm start's repair (pairs at 0.5 or
    more, and at 0.99 or more, kept in value order while the rules allow, the rest
    filled); the free LP's also by the warm start around its pairs at 1. Returns the
    lexicographically best of the hint and the roundings, and {tier-2 name: (its LP bound
    in gain form, the gains it held on the components before)}."""
    data, pairs = model.data, model.pairs
    comps = list(model.components)
    k = [c.name for c in comps].index("priority_waiting")
    values = hint_values(data, pairs, model.objective)
    pins = np.array(pairs.pinned_pairs(), dtype=np.int64)
    # The tier-1 placements: the due households' and, with chain links (R11), their
    # tenants' (a due household's link needs its tenant's move), as in the sub-solve.
    due = data.ranked_due[pairs.h] | (data.current[pairs.h] >= 0)
    fix = hint & due
    fix[pins] = True
    candidates = [hint]
    known: dict[str, tuple[int, list[int]]] = {}
    for restricted in (False, True):
        if restricted and any(
            _gains(comps[:k], c) == _gains(comps[:k], hint) for c in candidates[1:]
        ):
            # A rounding of the free LP keeps tier 1: the restricted LP (7-9 s on
            # horizon-binding) was there to keep it.
            break
        if restricted:
            _, x = solve_stage_lp(model, comps, k, hint, deadline, fix=fix, ban=due & ~hint)
            kept = np.flatnonzero(fix)
        else:
            bound, x = solve_stage_lp(model, comps, k, hint, deadline)
            kept = pins
            if bound is not None:
                known[comps[k].name] = (bound, _gains(comps[:k], hint))
        if x is None:
            continue
        # The warm start around the integral pairs only for the free LP (the restricted
        # one's are the hint's own placements).
        roundings = _roundings(model, x, kept, values, deadline, around_ones=not restricted)
        candidates += [r for r in roundings if _usable(model, r)]
    best = max(candidates, key=functools.partial(_gains, comps))
    return best, known


def _roundings(
    model: AllocationModel,
    x: np.ndarray,
    kept: np.ndarray,
    values: np.ndarray,
    deadline: float,
    around_ones: bool = True,
) -> list[np.ndarray]:
    """An LP solution rounded: by the warm start's repair from its pairs at 0.5 or more,
    and at 0.99 or more (kept in value order while the rules allow, `kept` first, the
    rest filled); and, with `around_ones`, by the warm start around its pairs at 1 and
    the pins. Where the LP is fractional only in a few households the last keeps the
    components held where the repairs lose them (horizon-binding, tier 1 proven: tier 2
    583,535 against the repairs' 556,572, LP bound 585,369). Not checked: see `_usable`."""
    data, pairs = model.data, model.pairs
    out = [repair(data, pairs, x > threshold, values, kept) for threshold in (0.5, 0.99)]
    if around_ones:
        pins = np.array(pairs.pinned_pairs(), dtype=np.int64)
        ones = np.union1d(np.flatnonzero(x > 1 - 1e-6), pins)
        seconds = min(2.0, max(0.0, deadline - time.monotonic()))
        out.append(warm_start(data, pairs, ones, seconds=seconds, objective=model.objective))
    return out


def _usable(model: AllocationModel, chosen: np.ndarray) -> bool:
    """A rounded LP solution that may be a hint: a matching with every pin, every round
    rule and every chain link (R11) kept."""
    from allocator.rules import r11_transfers

    data, pairs = model.data, model.pairs
    h, d = pairs.h[chosen], pairs.d[chosen]
    return (
        len(np.unique(h)) == len(h)
        and len(np.unique(d)) == len(d)
        and bool(chosen[pairs.pinned_pairs()].all())
        and keeps_round_rules(data, pairs, chosen)
        and not r11_transfers.broken(pairs, chosen).any()
    )


def _fit_lp_rounded(
    model: AllocationModel, hint: np.ndarray, deadline: float
) -> tuple[np.ndarray, dict[str, tuple[int, list[int]]]]:
    """The fit stage's LP, the components before it held no worse than the hint: its
    bound, and its solution rounded (pairs at 0.5 or more as they are; through the warm
    start's repair from the pairs at 0.5 and at 0.99 or more; the warm start around its
    pairs at 1) as the hint when it is usable and lexicographically better through fit.
    Returns the hint and {fit: (bound, the gains held)}: the bound holds for every
    proposal no worse than the hint before fit, the one returned too."""
    comps = list(model.components)
    names = [c.name for c in comps]
    if "fit" not in names:
        return hint, {}
    k = names.index("fit")
    bound, x = solve_stage_lp(model, comps, k, hint, deadline)
    if bound is None or x is None:
        return hint, {}
    held = _gains(comps[:k], hint)
    pins = np.array(model.pairs.pinned_pairs(), dtype=np.int64)
    values = hint_values(model.data, model.pairs, model.objective)
    best = hint
    for rounded in [x > 0.5, *_roundings(model, x, pins, values, deadline)]:
        if _usable(model, rounded) and _gains(comps[: k + 1], rounded) > _gains(
            comps[: k + 1], best
        ):
            best = rounded
    return best, {"fit": (bound, held)}


def _replace(model: AllocationModel, lex: LexResult, chosen: np.ndarray, after: str) -> None:
    """Make `chosen`, lexicographically better through component `after`, the proposal of
    `lex` (in place). The bounds of `after` and the tiers before it stay valid (each
    bounds a region the new proposal lies in: no worse on every tier before it); those
    of the tiers below are dropped, since they held `after` and the tie-break blocks at
    the old values, and allocator.bounds finds new ones."""
    names = [c.name for c in lex.components]
    below = set(names[names.index(after) + 1 :])
    measured = {c.name: c for c in model.unranked}
    for tier in lex.tiers:
        if tier.name in below:
            tier.bound, tier.gap, tier.bound_source = None, None, None
            if tier.status == "OPTIMAL":
                tier.status = "FEASIBLE"
        elif tier.name in measured:
            tier.objective = measured[tier.name].value(chosen)
    lex.chosen = chosen
    reread(lex.tiers, lex.components, chosen)


def _deadlines_by_lp(sub: AllocationModel, start: np.ndarray, deadline: float) -> LexResult | None:
    """Tier 1 of the due households' sub-model proven by its stage LPs, one deadline
    component after the other: each LP holds the components before it at the candidate's
    values, and its solution, rounded to the nearest 0/1, replaces the candidate when it
    keeps every rule (`_usable`), equals it on those components and attains the LP's
    bound (a rigorous dual bound: no proposal as good before it does better). Returns the
    sub-model's solution with its deadline components proven optimal (the other
    components SKIPPED, as in the CP-SAT sub-solve), or None when an LP is out of time
    or its solution does not attain its bound (the CP-SAT sub-solve then decides).
    Measured on horizon-binding: both LPs integral in 1.4 s together, tier 1 217,611
    days over proven, where 120 s of CP-SAT reached 217,615 without a proof."""
    comps = list(sub.components)
    candidate = start
    for k, c in enumerate(comps):
        if not c.name.startswith("deadline_"):
            break
        bound, x = solve_stage_lp(sub, comps, k, candidate, deadline)
        if bound is None or x is None:
            return None
        rounded = x > 0.5
        if not (
            np.all(np.abs(x - rounded) < 1e-6)
            and _usable(sub, rounded)
            and _gains(comps[:k], rounded) == _gains(comps[:k], candidate)
            and int(c.gain[rounded].sum()) == bound
        ):
            return None
        candidate = rounded
    tiers = [
        TierResult(
            name=c.name,
            status="OPTIMAL",
            objective=c.value(candidate),
            bound=c.value(candidate),
            gap=0.0,
            bound_source="lp",
        )
        if c.name.startswith("deadline_")
        else TierResult(name=c.name, status="SKIPPED", note="not part of the sub-solve")
        for c in comps
    ]
    return LexResult(chosen=candidate, tiers=tiers, components=comps)


def _proven_by_lp(
    model: AllocationModel,
    hint: np.ndarray,
    known: dict[str, tuple[int, list[int]]],
    proven: set[str] | None,
) -> dict[str, str]:
    """{component: "lp"} for each component of `known` (in the objective's order) whose
    stage LP bound the hint attains while every component before it is proven at the
    hint's values (the LP held them no worse than those): no proposal as good before it
    does better in it, so its stage needs no solve (horizon-random: the tier-2 LP's
    rounding reaches the bound 573,100)."""
    comps = list(model.components)
    names = [c.name for c in comps]
    out: dict[str, str] = {}
    done = set(proven or ())
    for name in sorted(known, key=names.index):
        bound, held = known[name]
        k = names.index(name)
        before = comps[:k]
        if (
            len(held) == k
            and all(c.name in done for c in before)
            and _gains(before, hint) == held
            and int(comps[k].gain[hint].sum()) == bound
        ):
            out[name] = "lp"
            done.add(name)
    return out


def _deadlines_by_flow(
    model: AllocationModel, repair_s: float, relaxed: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, TierResult]]:
    """Tier 1 of a whole-stock selection without CP-SAT: the deadline components stacked
    into one min-cost flow over the model's pairs (round rules, pins and chain links
    dropped: its optimum bounds tier 1 over the selection), its due placements repaired
    to keep every rule, and the warm start built around them. Returns the hint and the
    deadline components as settled results (FEASIBLE, the flow's bound where it is
    valid: a component's only while the hint attains the flow on those before it).

    `relaxed` (the relaxation's choice: tier 1 optimal, then housing points on tier 1's
    optimal face) gives the due placements instead of the deadline flow's own when it
    attains the same tier 1: of the many tier-1 optima, one that leaves the most housing
    points to the others (stock-transfers: the deadline flow's placements capped the
    housing flow around them at 10.55 M points, the relaxation's at 10.90 M)."""
    from allocator.bounds import to_value
    from allocator.lexflow import flow_cost_limit

    data, pairs = model.data, model.pairs
    comps = [c for c in model.components if c.name.startswith("deadline_")]
    matches = max(1, min(data.H, data.D))
    value, used = stacked_gains([c.gain for c in comps], matches, flow_cost_limit(data.H, data.D))
    pins = np.array(pairs.pinned_pairs(), dtype=np.int64)
    if value is None:
        return warm_start(data, pairs, seconds=repair_s, objective=model.objective), {}
    flow = flow_assignment(data, pairs, value)
    best = [int(c.gain[flow].sum()) for c in comps[:used]]
    if relaxed is not None and [int(c.gain[relaxed].sum()) for c in comps[:used]] == best:
        flow = relaxed
    placed = repair(data, pairs, flow & (value > 0), value, pins)
    fixed = np.flatnonzero(placed & data.ranked_due[pairs.h])
    hint = warm_start(data, pairs, fixed, seconds=repair_s, objective=model.objective)
    settled: dict[str, TierResult] = {}
    attained = True
    for k, c in enumerate(comps):
        own = c.value(hint)
        bound = to_value(c, best[k]) if attained and k < used else None
        settled[c.name] = TierResult(
            name=c.name,
            status="FEASIBLE",
            objective=own,
            bound=bound,
            gap=None if bound is None else relative_gap(own, bound),
            bound_source=None if bound is None else "flow",
        )
        attained = attained and k < used and int(c.gain[hint].sum()) == best[k]
    return hint, settled


def optimise(
    model: AllocationModel,
    settings: SolverSettings,
    time_limit_s: float | None = None,
    exact: bool = True,
    lp_hint: bool = True,
) -> LexResult:
    """Start CP-SAT from a complete, feasible proposal, then solve what is left to prove.

    1. The relaxation (allocator.warmstart.relaxation: the model's own lexicographic
       objective as a min-cost flow, round rules dropped) bounds every component it
       covers. When its choice keeps the round rules it is the optimum for those
       components, and often no CP-SAT solve is needed beyond the tie-break.
    2. Otherwise, on large models the deadline tier is first solved exactly on the due
       families' pairs (plus pins): removing placements never breaks a round rule, so its
       optimum is the whole round's. The flow warm start is then built around those
       placements.
    3. Where the hint does not attain the relaxation through tier 2 (the round rules
       bind), the tier-2 stage's LP (allocator.lp_bound), free and around the hint's
       tier-1 placements, rounded, is the hint when better (`lp_hint`); the free LP's
       bound is tier 2's unless a tighter one turns up.
    4. The stages run from that hint; components the hint attains the relaxation on are
       held without a solve.

    `exact` says the model holds every candidate pair (not sparsified), so the
    relaxation is a valid certificate."""
    data, pairs = model.data, model.pairs
    objective = model.objective
    budget = max(0.0, time_limit_s if time_limit_s is not None else settings.time_limit_s)
    started = time.monotonic()
    bounds, relaxed = relaxation(model)
    certificate = bounds if exact else None
    proven, settled = None, None
    ranked_tier1 = "deadline_breaches" in objective.names
    tier1_proof: dict[str, str] = {}
    known: dict[str, tuple[int, list[int]]] = {}
    lp_done = False

    def lp_deadline() -> float:
        return min(time.monotonic() + LP_SHARE * budget, started + budget - LP_KEEP_S - 1.0)

    def lp_phase(hint: np.ndarray) -> tuple[np.ndarray, dict[str, tuple[int, list[int]]]]:
        nonlocal lp_done
        lp_done = True
        if not (
            lp_hint
            and len(pairs) >= DEADLINES_FIRST
            and "priority_waiting" in objective.names
            and not _attains(model, certificate, hint)
        ):
            return hint, {}
        # At horizon size CP-SAT finds little on the whole model once the hint is this
        # good (measured: no improving solution in the seconds left), the LP much more.
        # The warm start after it needs a second at least (allocator.solve: the LP comes
        # first on the deadlines-first path).
        return _lp_rounded(model, hint, lp_deadline())

    if keeps_round_rules(data, pairs, relaxed):
        hint = relaxed
    elif not exact and ranked_tier1 and data.ranked_due.any():
        # Whole stock (a selection of the pairs): tier 1 from its own flow, repaired,
        # held at the hint's values with the flow's bound (over the selection); no
        # CP-SAT stage on tier 1 (at this size CP-SAT took minutes to improve nothing).
        repair_s = _repair_seconds(budget, SPARSE_REPAIR_SHARE)
        hint, settled = _deadlines_by_flow(model, repair_s, relaxed)
    elif len(pairs) >= DEADLINES_FIRST and ranked_tier1 and data.ranked_due.any():
        # Tier 1 on the due households' pairs alone is tier 1 of the whole round: leaving
        # a household unmatched never breaks a round rule, and a household that is not
        # due gains nothing in tier 1 from being housed. With chain links (R11) the
        # tenants' pairs come too: a due household's link needs its tenant's move, and
        # removing the placement of a household that is neither due nor a tenant breaks
        # no link (it frees nothing), so the optimum is still the round's.
        pinned = np.zeros(len(pairs), dtype=bool)
        pinned[pairs.pinned_pairs()] = True
        tenants = data.current[pairs.h] >= 0
        sub_idx = np.flatnonzero(data.ranked_due[pairs.h] | pinned | tenants)
        sub = pairs.subset(sub_idx)
        sub_model = AllocationModel(data, sub, objective=objective)
        sub_hint = warm_start(data, sub, objective=objective)
        # The deadline tiers' LPs on the sub-model first: where they are integral they
        # prove tier 1 in a second or two (horizon-binding: 217,611 days over, proven in
        # 1.4 s; CP-SAT's sub-solve stopped at 217,671 without a proof).
        by_lp = _deadlines_by_lp(sub_model, sub_hint, time.monotonic() + budget / 6)
        if by_lp is not None:
            tier1_proof = {c: "lp" for c in objective.names if c.startswith("deadline_")}
        first = by_lp or solve_tiers(
            sub_model,
            settings,
            budget / 3,
            hint=sub_hint,
            tiers=["deadline_breaches", "deadline_days_over"],
            # The relaxation bounds the round, so the sub-round too: a sub-solve that
            # attains it stops there (measured on horizon: 9.5 s of a 28 s budget).
            relaxation=certificate,
            # Where CP-SAT finds nothing better than the warm start early, it finds
            # nothing later either (horizon-binding: 2, 4 and 9 s alike): the LP needs
            # those seconds more.
            give_up_s=GIVE_UP_SHARE * budget,
        )
        # The LP first, from the sub-solve's placements alone (they set tier 1, which the
        # LP holds and its restricted variant fixes): where the rules bind it gains far
        # more than the warm starts (horizon-binding: tier 2 +8.7 %), and it needs the
        # seconds (7-20 s there, with the machine shared).
        placed = np.zeros(len(pairs), dtype=bool)
        placed[sub_idx[first.chosen]] = True
        rounded, known = lp_phase(placed)
        # What the LP left, less the time the stages and bounds keep, for the repairs.
        keep = LP_KEEP_S + min(BOUND_SECONDS, BOUND_SHARE * budget)
        left = budget - (time.monotonic() - started) - keep
        hint = warm_start(
            data,
            pairs,
            sub_idx[first.chosen],
            seconds=min(_repair_seconds(budget), max(0.3, left)),
            objective=objective,
        )
        hint = max(hint, rounded, key=functools.partial(_gains, model.components))
        repair_s = _repair_seconds(budget)
        left = budget - (time.monotonic() - started)
        if (
            exact_values(data, pairs, objective)
            and not _attains(model, certificate, hint)
            and left > repair_s + LP_KEEP_S + min(BOUND_SECONDS, BOUND_SHARE * budget)
        ):
            # Fixing the sub-solve's placements (one of many tier-1 optima, chosen by
            # CP-SAT's timing) can cost tier 2; the unfixed warm start often reaches the
            # same tier 1 without that cost (measured on the horizon benchmark: 699,967 vs
            # 700,564 = the bound). Keep the better of the two, lexicographically.
            free = warm_start(data, pairs, seconds=repair_s, objective=objective)
            hint = max(hint, free, key=functools.partial(_gains, model.components))
        deadline_parts = [c for c in model.components if c.name.startswith("deadline_")]
        found = {t.name: t for t in first.tiers}
        if all(found[c.name].objective == c.value(hint) for c in deadline_parts):
            if all(found[c.name].status == "OPTIMAL" for c in deadline_parts):
                proven = {c.name for c in deadline_parts}
            else:
                settled = {c.name: found[c.name] for c in deadline_parts}
    else:
        hint = warm_start(data, pairs, seconds=_repair_seconds(budget), objective=objective)
    if not keeps_round_rules(data, pairs, hint):
        # The warm start keeps every round rule except where pins force it not to: the
        # pins clash. Name them (CP-SAT with assumptions) rather than certify anything.
        raise infeasible_pins(model, settings)
    if not lp_done:
        hint, known = lp_phase(hint)
    proof = _proven_by_lp(model, hint, known, proven)
    if proof:
        proven = {*(proven or ()), *proof}
        # Tier 2 proven by its LP: the fit stage's LP (tiers 1-2 held) is then often
        # integral too, and its solution the fit optimum (horizon-random: 80,041 from the
        # LP in 4 s, against 81,529 after 17 s of CP-SAT from the tier-2 hint).
        hint, more = _fit_lp_rounded(model, hint, lp_deadline())
        known.update(more)
        proof = _proven_by_lp(model, hint, known, proven)
        proven = {*proven, *proof}
    # Time for the bounds of the tiers not proven (allocator.bounds): flows and the
    # stage LP, only when the hint does not already attain the relaxation everywhere.
    reserve = 0.0
    if not _attains(model, certificate, hint, through=model.components[-1].name):
        reserve = min(BOUND_SECONDS, BOUND_SHARE * budget)
    # And for the fit stage's LP after the stages, where it has not run before them.
    fit_lp = (
        lp_hint
        and DEADLINES_FIRST <= len(pairs) <= MAX_LP_PAIRS
        and "fit" in objective.names
        and "fit" not in known
        and "fit" not in (proven or set())
        and reserve > 0
    )
    fit_s = min(FIT_SECONDS, FIT_SHARE * budget) if fit_lp else 0.0
    lex = solve_tiers(
        model,
        settings,
        budget - reserve - fit_s - (time.monotonic() - started),
        hint=hint,
        proven=proven,
        relaxation=certificate,
        settled=settled,
        polish=len(pairs) >= DEADLINES_FIRST,
        proof={**tier1_proof, **proof},
    )
    if fit_lp and any(t.name == "fit" and t.status == "FEASIBLE" for t in lex.tiers):
        # Where the round rules bind, the stages leave fit far from its bound (the
        # Lagrangian flow's is weak there); the fit LP, tiers 1-2 held at the stages'
        # values, is nearly integral, its rounding the better proposal and its bound
        # the fit tier's (horizon-binding: fit 41,230 -> 37,944, tier 2 585,159 ->
        # 585,215, against the LP bound 37,584; benchmarks/README.md). Again from each
        # better proposal while time lasts: each holds tier 2 higher, so the next LP's
        # bound is tighter and its rounding often better (there: 38,034 after three LPs,
        # the third's bound, tier 2 585,262). The bounds are the stages' reserve's to use:
        # with both LP bounds known the others take well under a second.
        fit_deadline = started + budget - FIT_KEEP_S
        while fit_deadline - time.monotonic() > FIT_KEEP_S:
            better, more = _fit_lp_rounded(model, lex.chosen, fit_deadline)
            known.update(more)
            if better is lex.chosen:
                break
            _replace(model, lex, better, "fit")
    left = budget - (time.monotonic() - started)
    improve(model, lex, certificate, left, exact=exact, known=known)
    if not exact:
        # A selection was solved: optimal over it, not over the round.
        for tier in lex.tiers:
            if tier.status == "OPTIMAL":
                tier.status = "FEASIBLE"
                note = "optimal over the model's selected pairs only (whole-stock sparsification)"
                tier.note = note if tier.note is None else f"{tier.note}; {note}"
    return lex


def versions() -> dict[str, str]:
    """The versions in every output (a copy: callers may add to it)."""
    return dict(_versions())


@functools.cache
def _versions() -> dict[str, str]:
    """Read once per process: package metadata lookups cost milliseconds per round."""
    from importlib.metadata import version

    import pydantic

    return {
        "allocator": __version__,
        "ortools": version("ortools"),
        "pydantic": pydantic.VERSION,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


@dataclass(frozen=True)
class Solved:
    """One round solved, before it is explained."""

    data: RoundData
    pairs: Pairs  # the pairs the proposal is explained with
    chosen: np.ndarray  # bool per pair
    lex: LexResult
    objective: Objective
    all_pairs: int  # candidate pairs of the round (more than `pairs` for whole stock)
    model_pairs: int
    build_s: float
    outlook: Outlook | None = None


def solve(
    scenario: Scenario,
    method: Method = "cp-sat",
    time_limit_s: float | None = None,
    objective: Objective | None = None,
    started: float | None = None,
) -> Solved:
    """Validate and solve one round (see `propose`)."""
    started = time.monotonic() if started is None else started
    check_representable(scenario)
    data = build_round_data(scenario)
    check_round(data)
    # The dominance reduction holds for the default objective and for the look-ahead's
    # terms (plain households have no clock); extra terms such as stability switch it off.
    default = objective is None
    objective = objective or default_objective(scenario.policy)
    outlook = assess(scenario, data)
    if outlook is not None and outlook.active():
        objective = with_lookahead(objective, outlook)
    # Every candidate pair, or a selection for whole-stock rounds (allocator.sparse); the
    # proposal is explained with these pairs.
    pairs, all_pairs = model_pairs(data)
    exact = len(pairs) == all_pairs
    build_s = time.monotonic() - started
    settings = scenario.policy.solver
    model_idx = np.arange(len(pairs))
    if method == "greedy":
        lex = LexResult(chosen=greedy_choice(data, pairs), tiers=[])
    else:
        if exact and default:
            model_idx = pairs.undominated(data.D + settings.alternates, objective.rank_keys(pairs))
        model = AllocationModel(data, pairs.subset(model_idx), objective=objective)
        build_s = time.monotonic() - started
        limit = time_limit_s if time_limit_s is not None else settings.time_limit_s
        share = EXPLAIN_SHARE if exact else SPARSE_EXPLAIN_SHARE
        lex = optimise(model, settings, limit * (1 - share) - build_s, exact)
    chosen = np.zeros(len(pairs), dtype=bool)
    chosen[model_idx[lex.chosen]] = True
    return Solved(data, pairs, chosen, lex, objective, all_pairs, len(model_idx), build_s, outlook)


def propose(
    scenario: Scenario,
    method: Method = "cp-sat",
    time_limit_s: float | None = None,
    created_at: str | None = None,
    objective: Objective | None = None,
) -> Proposal:
    """Solve one round and explain it. Raises InputError for input `validate` refuses
    (pins that break hard rules included).

    `time_limit_s` (default: the policy's `solver.time_limit_s`) bounds the whole call:
    the solver gets what is left after building the pairs and model, less a small share
    for the explanations. `objective` (default: `default_objective`) may carry extra
    terms, e.g. the meeting's stability tier (`Objective.with_extra`)."""
    started = time.monotonic()
    solved = solve(scenario, method, time_limit_s, objective, started)
    data, pairs = solved.data, solved.pairs
    settings = scenario.policy.solver
    status = "FEASIBLE" if method == "greedy" else solved.lex.status
    input_sha, policy_sha = scenario_sha256(scenario), policy_sha256(scenario.policy)
    run = RunInfo(
        id=run_id(input_sha, policy_sha, method),
        created_at=created_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        as_of=scenario.as_of,
        input_sha256=input_sha,
        policy_sha256=policy_sha,
        policy_name=scenario.policy.name,
        method=method,
        versions=versions(),
        seed=settings.seed,
        workers=settings.workers,
        status=status,
        tiers=solved.lex.tiers,
        sizes={
            "households": data.H,
            "dwellings": data.D,
            "pairs": solved.all_pairs,
            "model_pairs": solved.model_pairs,
            **{f"rejected_{k}": v for k, v in pairs.rejected.items() if v},
        },
        wall_time_s=0.0,
    )
    myopic = None
    if solved.outlook is not None and solved.outlook.active() and method != "greedy":
        # What the round alone would have done, so the reasons can say what the look-ahead
        # changed (the same pairs, every tier but the look-ahead's).
        plain = scenario.policy.model_copy(
            update={"lookahead": scenario.policy.lookahead.model_copy(update={"weeks": 0})}
        )
        # It gets what the look-ahead's solve left of the budget, so the whole call stays
        # within it (a round whose tie-break is long would otherwise take it twice).
        limit = time_limit_s if time_limit_s is not None else settings.time_limit_s
        alone = solve(
            scenario.model_copy(update={"policy": plain}),
            method,
            max(0.0, limit - (time.monotonic() - started)),
            objective if objective is not None else None,
        )
        # Only a proven round alone may be compared with: a reason saying what the
        # look-ahead changed must not rest on a proposal the round alone might improve.
        if alone.lex.status == "OPTIMAL":
            myopic = {
                alone.data.household_ids[int(h)]: alone.data.dwelling_ids[int(d)]
                for h, d in zip(
                    alone.pairs.h[alone.chosen], alone.pairs.d[alone.chosen], strict=True
                )
            }
        run.sizes["lookahead_weeks"] = solved.outlook.weeks
        run.sizes["lookahead_futures"] = solved.outlook.futures
        run.sizes["lookahead_at_risk"] = int(solved.outlook.at_risk().sum())
    proposal = assemble(data, pairs, solved.chosen, run, solved.objective, solved.outlook, myopic)
    proposal.run.wall_time_s = round(time.monotonic() - started, 3)
    proposal.run.sizes["build_ms"] = int(solved.build_s * 1000)
    return proposal
