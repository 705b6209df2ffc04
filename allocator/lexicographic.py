"""Lexicographic CP-SAT solve: optimise a tier, hold its value, hint the next tier.

Status honesty: every tier reports OPTIMAL or FEASIBLE with objective, bound and gap; on a
time-out the best solution found so far is kept and the tier's gap says how far it may be
from optimal. Later tiers are then solved while holding the earlier tiers' found values.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from allocator.model import AllocationModel
from allocator.objective import Component, Stage, pack, serial_order, tie_block_size, tie_components
from models.policy import Solver as SolverSettings
from models.problems import InputError, Problem
from models.proposal import TierResult

STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}


@dataclass
class LexResult:
    chosen: np.ndarray  # bool per pair
    tiers: list[TierResult] = field(default_factory=list)
    #: The ranked components, then the tie-break's, in the order they were solved (the
    #: tiers of the same names; allocator.bounds reads them).
    components: list[Component] = field(default_factory=list)

    @property
    def status(self) -> str:
        solved = [t.status for t in self.tiers if t.status != "SKIPPED"]
        if any(s not in ("OPTIMAL", "FEASIBLE") for s in solved):
            return "UNKNOWN"
        return "OPTIMAL" if all(s == "OPTIMAL" for s in solved) else "FEASIBLE"


#: Above this many pair variables, presolve's probing costs more than it gives (measured
#: at 2,000 × 500: probing alone took ~10 s of a 30 s budget; see "Presolve probing" in
#: benchmarks/README.md).
LARGE_MODEL = 50_000
#: Up to this many pair variables the LP holds the assignment rows (see `_solver`).
FULL_LP_MODEL = 50_000


#: Seconds left below which a large model's stage is not solved (held at the solution).
OUT_OF_TIME_S = 0.5


def _solver(
    settings: SolverSettings,
    seconds: float,
    variables: int = 0,
    workers: int | None = None,
    chains: bool = False,
) -> cp_model.CpSolver:
    """CP-SAT with the settings' workers, seed and limits. With chain links (R11) the LP
    must hold the one-per-household and one-per-dwelling rows, which CP-SAT's default
    linearization leaves out (at-most-one constraints enter the LP only at level 2);
    without them the links' bound is so weak that a 100 x 20 round with 10 tenants did not
    prove tier 2 in 30 s (measured: optimal in 9 s on one worker with level 2; on two
    workers the LP-heavy pair of subsolvers, max_lp and default_lp)."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = workers or settings.workers
    p.random_seed = settings.seed
    p.max_time_in_seconds = max(0.05, seconds)
    if settings.deterministic_time is not None:
        p.max_deterministic_time = settings.deterministic_time
    if variables > LARGE_MODEL:
        p.cp_model_probing_level = 0
    if chains:
        p.linearization_level = 2
        if p.num_workers == 2:
            p.subsolvers.extend(["max_lp", "default_lp"])
    elif variables <= FULL_LP_MODEL:
        # The one-per-household and one-per-dwelling rows in the LP (level 2) on every
        # model of a weekly round's size: without them a stage holding fit (an equality
        # on a weighted sum) below a random-cost tie-break has a bound so weak that a 23 x
        # 37 round (211 pairs) did not prove fit + assignment in 23 s on two workers (one
        # worker at level 2: 0.02 s; 5 of 600 random rounds of 10-30 x 10-60 hit it). On
        # two workers the full-problem worker is then max_lp; the other keeps the LNS.
        p.linearization_level = 2
        if p.num_workers == 2:
            p.subsolvers.append("max_lp")
    return solver


#: Share of the time left that the face's ban-and-reflow may take before a stage.
FACE_SHARE = 0.2


def relative_gap(objective: float, bound: float) -> float:
    """|objective - bound| / max(1, |objective|): the gap every tier reports."""
    return abs(objective - bound) / max(1.0, abs(objective))


def _results(
    stage: Stage,
    status: str,
    chosen: np.ndarray | None,
    bound: int | None,
    elapsed: float,
    m_matches: int = 1,
    proven: set[str] | None = None,
    source: str = "cp-sat",
    sources: dict[str, str] | None = None,
) -> list[TierResult]:
    """Per-component results of a stage: values evaluated on the solution, bounds decoded
    from the stage bound (all bounds equal the values when optimal). Components in
    `proven` were proven optimal elsewhere and are held, so they are OPTIMAL whatever the
    stage's status; `sources` names who proved them (default `source`).

    The stage bound B bounds the packed gain Σ_j gain_j·S_j. The leading component's
    gain is then at most (B - Σ_{j>0} low_j·S_j) / S_0. A later component k gets a bound
    only while every component before it in the stage is proven at its value v_j: among
    the proposals no worse than those values (equal to them, since they are maxima),
    gain_k <= (B - Σ_{j<k} v_j·S_j - Σ_{j>k} low_j·S_j) / S_k."""
    out = []
    prefix: int | None = 0  # Σ v_j·S_j over the proven components before k, or None
    for k, c in enumerate(stage.components):
        value = None if chosen is None else c.value(chosen)
        b: int | None = None
        own = "OPTIMAL" if proven and c.name in proven and value is not None else status
        by = (sources or {}).get(c.name, source)
        if own == "OPTIMAL":
            b = value
        elif bound is not None and prefix is not None:
            rest = sum(
                low * scale
                for low, scale in zip(stage.lows[k + 1 :], stage.scales[k + 1 :], strict=True)
            )
            best_gain = min((bound - prefix - rest) // stage.scales[k], c.span(m_matches)[1])
            b = c.constant + (best_gain if c.sense == "max" else -best_gain)
            by = source
        if b is None or value is None or b != value or chosen is None:
            prefix = None
        elif prefix is not None:
            prefix += int(c.gain[chosen].sum()) * stage.scales[k]
        gap = None if value is None or b is None else relative_gap(value, b)
        out.append(
            TierResult(
                name=c.name,
                status=own,
                objective=value,
                bound=b,
                gap=gap,
                bound_source=None if b is None else by,
                wall_time_s=round(elapsed, 4) if k == 0 else 0.0,
            )
        )
    return out


@dataclass(frozen=True)
class TiePlan:
    """The serial tie-break's components for one solve. `certified`: they are the
    relaxation's own (`m.tie`), so its values certify them; `exact`: they order every
    household whose status can differ between optima, provided every ranked component
    ends up proven optimal."""

    components: list[Component]
    certified: bool
    exact: bool


def plan_tie_break(m: AllocationModel, chosen: np.ndarray, attains_relaxation: bool) -> TiePlan:
    """Which households the tie-break must order, given a proposal `chosen` whose ranked
    components are (or will be proven) optimal; the others never change. Exact sets:
    - `chosen` attains the relaxation on every ranked component: the households open on
      the relaxation's optimal face (`m.tie`, solved by the flow already);
    - the relaxation stacked every ranked component into one flow level with optimum R
      and `chosen` is worth V there: in any optimum (worth V or more) a household can differ
      from `chosen` only if flipping it costs the relaxation at most R - V (the relaxation
      bounds every proposal), so those are ordered;
    - a small model: every household with a pair.
    Otherwise the households open on the relaxation's face: a good but unproven tie-break
    (reported FEASIBLE at best)."""
    from allocator.lexflow import NO_PATH, flow_cost_limit
    from allocator.warmstart import tie_random_bits

    data, pairs = m.data, m.pairs
    if attains_relaxation and m.tie_exact:
        return TiePlan(m.tie, certified=True, exact=True)
    block = tie_block_size(flow_cost_limit(data.H, data.D))
    bits = tie_random_bits(data)

    def plan(households: np.ndarray, exact: bool) -> TiePlan:
        return TiePlan(
            tie_components(pairs, serial_order(pairs, households), block, bits),
            certified=False,
            exact=exact,
        )

    if m.relaxed_level is not None and m.relaxed_flow is not None:
        slack = m.relaxed_optimum - int(m.relaxed_level[chosen].sum())
        loss = m.relaxed_flow.flip_loss
        return plan(np.flatnonzero((loss <= slack) & (loss < NO_PATH)), True)
    if len(pairs) <= LARGE_MODEL:
        return plan(np.unique(pairs.h), True)
    return plan(m.relaxed_open if m.relaxed_open is not None else np.unique(pairs.h), False)


def solve_tiers(
    m: AllocationModel,
    settings: SolverSettings,
    time_limit_s: float | None = None,
    hint: np.ndarray | None = None,
    tiers: list[str] | None = None,
    proven: set[str] | None = None,
    relaxation: dict[str, int] | None = None,
    settled: dict[str, TierResult] | None = None,
    polish: bool = False,
    give_up_s: float | None = None,
    proof: dict[str, str] | None = None,
) -> LexResult:
    """Solve the stages in order, the serial tie-break last; `tiers` (component names)
    limits which are optimised, the others are reported SKIPPED ("tiebreak" stands for the
    whole tie-break). `time_limit_s` (default: the policy's) is the budget for all
    stages together.

    A component is proven optimal without CP-SAT's proof when it is in `proven` (e.g. by
    the deadlines-first sub-solve; `proof` names another source, such as the stage LP
    whose bound the hint attains), or when the solution attains the `relaxation` bound
    (the lexicographic optimum with the round rules dropped) on it and on every component
    before it: no proposal can do better. A stage whose components are all proven is held
    at the current solution's value without a solve.

    Components in `settled` were optimised elsewhere (the deadlines-first sub-solve, when
    it could not prove optimality): they are held at the hint's values and reported with
    that solve's status and bound, never re-solved on the full model (where CP-SAT may
    trade everything below them for them).

    The tie-break's components are planned from the hint when there is one (so they can
    share a stage with the fit tier), else once the ranked components are solved.

    With `give_up_s`, a stage that has found nothing better than its starting solution
    after that many seconds stops there (FEASIBLE, the starting solution kept).

    With `polish`, before each stage the current solution is improved on each of the
    stage's ranked components by the class permutations of allocator.polish (no worse on
    any component before it, pair by pair), so CP-SAT starts from that; and once more on
    the last ranked component after the last stage.

    Objectives are maximised in "gain" form (see allocator.objective.Component.gain)."""

    def certified(solution: np.ndarray) -> set[str]:
        out = set(proven or ())
        ordered = [*m.components, *(tie.components if tie and tie.certified else [])]
        for c in ordered:
            if relaxation is None or c.name not in relaxation:
                break
            if c.value(solution) != relaxation[c.name]:
                break
            out.add(c.name)
        return out

    budget = time_limit_s if time_limit_s is not None else settings.time_limit_s
    deadline = time.monotonic() + budget
    n = len(m.pairs)
    chains = m.chains
    chosen = np.zeros(n, dtype=bool) if hint is None else hint.copy()
    results: list[TierResult] = []
    have_solution = hint is not None
    wanted = [c for c in m.components if tiers is None or c.name in tiers]
    skipped = [c for c in m.components if c not in wanted]
    want_tie = tiers is None or "tiebreak" in tiers

    def attains(solution: np.ndarray) -> bool:
        return all(c.name in certified(solution) for c in m.components)

    def sources(names: set[str]) -> dict[str, str]:
        by = proof or {}
        return {
            k: by.get(k, "sub-solve") if proven and k in proven else "relaxation" for k in names
        }

    polished = np.zeros(n, dtype=bool) if hint is None else hint  # last polished solution
    confined = 0  # ranked components whose relaxed optimal face confines the model
    tie: TiePlan | None = None
    if want_tie and have_solution:
        tie = plan_tie_break(m, chosen, attains(chosen))
    # The stages are re-packed from what remains after each step, so components that
    # get proven (and held) free room for the ones below them in the same solve.
    remaining = list(wanted) + (tie.components if tie else [])
    while True:
        if not remaining:
            if not want_tie or tie is not None or (n and not have_solution):
                break
            tie = plan_tie_break(m, chosen, attains(chosen))
            remaining = list(tie.components)
            if not remaining:
                break
        start = time.monotonic()
        if have_solution:
            done = certified(chosen)
            held = []
            while remaining and remaining[0].name in done:
                held.append(remaining.pop(0))
            for c in held:
                m.hold(c, c.value(chosen))
            for part in pack(held, m.matches) if held else []:
                results += _results(
                    part, "OPTIMAL", chosen, None, 0.0, sources=sources({c.name for c in held})
                )
            while remaining and settled and remaining[0].name in settled:
                c = remaining.pop(0)
                held.append(c)
                m.hold(c, c.value(chosen))
                sub = settled[c.name]
                by = None if sub.bound is None else (sub.bound_source or "sub-solve")
                results.append(
                    sub.model_copy(update={"objective": c.value(chosen), "bound_source": by})
                )
            if held:
                continue  # re-check certificates before packing the next stage
        if not remaining:
            continue
        stage = m.stages_for(remaining)[0]
        remaining = remaining[len(stage.components) :]
        if stage.constant:
            results += _results(stage, "OPTIMAL", chosen, None, 0.0, source="constant")
            continue
        if polish and have_solution:
            # From the two components before the stage: with one free to move between
            # households of a class (its sum no worse), the stage's gain more (horizon:
            # tier 2 596,623 -> 597,782, the relaxation, from days over; and when the
            # hint attains tier 2 at once, fit 72,112 -> 47,967 from days over too).
            ranked = [c.name for c in m.components]
            own = [c.name for c in stage.components if c.name in ranked]
            if own:
                at = ranked.index(own[0])
                done_now = {r.name for r in results if r.status == "OPTIMAL"}
                chosen = _polish(m, chosen, ranked[max(0, at - 2) : at] + own, done_now, at)
            polished = chosen
        if relaxation is not None and have_solution:
            _cap_at_relaxation(m, stage, relaxation, certified(chosen))
            confined, chosen = _confine_to_face(m, stage, relaxation, chosen, confined, deadline)
        if have_solution and n > LARGE_MODEL and deadline - time.monotonic() < OUT_OF_TIME_S:
            # Out of time on a large model: CP-SAT would spend a second or more loading
            # it without a chance to improve; the solution is held as it is (measured
            # on horizon-binding: 4 s over the budget in three such stages).
            results += _results(stage, "FEASIBLE", chosen, None, 0.0)
            m.hold_stage(stage, chosen)
            continue
        m.maximise(stage)
        if have_solution:
            m.add_hint(chosen)
        solver = _solver(settings, deadline - time.monotonic(), n, chains=chains)
        if give_up_s is not None and have_solution:
            code = _solve_or_give_up(solver, m, int(stage.gain()[chosen].sum()), give_up_s)
        else:
            code = solver.Solve(m.cp)
        status = STATUS[code]
        elapsed = time.monotonic() - start
        if code == cp_model.INFEASIBLE:
            raise infeasible_pins(m, settings)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if have_solution and code == cp_model.UNKNOWN:
                # Out of time before improving on the starting solution: that solution is
                # still a feasible proposal at this stage's level, just not proven.
                status = "FEASIBLE"
            results += _results(stage, status, chosen if have_solution else None, None, elapsed)
            if have_solution:
                # Keep the starting solution's level so later stages stay consistent.
                m.hold_stage(stage, chosen)
            continue
        # Objectives are integral; CP-SAT reports floats, so round, and round the bound
        # down (a maximisation bound stays valid).
        value = round(solver.ObjectiveValue())
        bound = math.floor(solver.BestObjectiveBound() + 1e-6)
        found = np.asarray(solver.response_proto.solution, dtype=np.int64)[m.x_index] > 0
        # Unless proven optimal, a solution that does not beat the hint on this stage may
        # still be far worse on the stages below it: keep the hint then.
        # A proven optimum the hint already attains: the hint is optimal here too, and
        # usually far better on the stages below (at whole-stock size CP-SAT's own
        # tier-1 optimum housed 109 households where the hint housed thousands).
        before = int(stage.gain()[chosen].sum())
        improved = value > before
        proven_better = code == cp_model.OPTIMAL and not (have_solution and value == before)
        if not have_solution or proven_better or improved:
            chosen = found
        have_solution = True
        done = certified(chosen)
        results += _results(
            stage, status, chosen, bound, elapsed, m.matches, done, sources=sources(done)
        )
        # Hold this stage one-sided (an equality on a large weighted sum hurts CP-SAT's
        # propagation badly; "no worse than found" keeps the same optimal set).
        m.hold_stage(stage, chosen)
    if polish and have_solution and m.components and not (chosen == polished).all():
        # A stage packs tier 2 with fit, so CP-SAT's last solution may have moved on from
        # the polished one: polish every ranked component once more, proven values kept
        # (only when it did: each polish takes 0.1-0.4 s at horizon size).
        proven_now = {r.name for r in results if r.status == "OPTIMAL"}
        chosen = _polish(m, chosen, [c.name for c in m.components], proven_now)
    ranked_optimal = all(
        r.status == "OPTIMAL" for r in results if r.name in {c.name for c in wanted}
    )
    if tie is not None and not (tie.exact and ranked_optimal):
        names = {c.name for c in tie.components}
        for r in results:
            if r.name in names and r.status == "OPTIMAL":
                r.status = "FEASIBLE"
                r.note = (
                    "tie-break over a selection of households: the tiers above are "
                    "not proven optimal"
                    if tie.exact
                    else "tie-break over the households open in the relaxation only"
                )
    reread(results, [*wanted, *(tie.components if tie else [])], chosen)
    results += [TierResult(name=c.name, status="SKIPPED") for c in skipped]
    # Measured, not optimised (clocks switched off): reported first, with their values.
    results[:0] = [
        TierResult(name=c.name, status="SKIPPED", objective=c.value(chosen)) for c in m.unranked
    ]
    if want_tie and tie is None:
        results.append(
            TierResult(name="tiebreak", status="SKIPPED", note="no proposal to break ties in")
        )
    return LexResult(
        chosen=chosen, tiers=results, components=[*wanted, *(tie.components if tie else [])]
    )


class _Improved(cp_model.CpSolverSolutionCallback):
    """Notes whether a solution better than the starting one's objective was found."""

    def __init__(self, start: int):
        super().__init__()
        self.start = start
        self.improved = threading.Event()

    def on_solution_callback(self) -> None:
        if round(self.ObjectiveValue()) > self.start:
            self.improved.set()


def _solve_or_give_up(
    solver: cp_model.CpSolver, m: AllocationModel, start: int, seconds: float
) -> cp_model.CpSolverStatus:
    """Solve, but stop after `seconds` when no solution beats `start` by then (the
    deadlines-first sub-solve on horizon-binding: nothing better than the warm start in
    2, 4 or 9 s; on horizon-random it improves within 2-4 s and proves in 7 s)."""
    watch = _Improved(start)

    def check() -> None:
        if not watch.improved.is_set():
            solver.stop_search()

    timer = threading.Timer(seconds, check)
    timer.start()
    try:
        return solver.Solve(m.cp, watch)
    finally:
        timer.cancel()


def _cap_at_relaxation(
    m: AllocationModel, stage: Stage, relaxation: dict[str, int], done: set[str]
) -> None:
    """Where the relaxation bounds the whole stage, say so to CP-SAT: a solution that
    attains it is then proven optimal at once, not after the time limit. The relaxation's
    values are the lexicographic optimum without the round rules of the ranked components
    in order, so on the face where every ranked component before the stage attains it
    (`done`, and held there), no proposal is lexicographically above them on the stage's
    components, and the packed stage gain (exactly lexicographic) is at most theirs."""
    ranked = [c.name for c in m.components]
    names = [c.name for c in stage.components]
    if not all(n in ranked and n in relaxation for n in names):
        return
    if not all(n in done for n in ranked[: ranked.index(names[0])]):
        return
    top = 0
    for c, scale in zip(stage.components, stage.scales, strict=True):
        value = relaxation[c.name]
        top += (value - c.constant if c.sense == "max" else c.constant - value) * scale
    m.cap_stage(stage, top)


def _confine_to_face(
    m: AllocationModel,
    stage: Stage,
    relaxation: dict[str, int],
    chosen: np.ndarray,
    confined: int,
    deadline: float,
) -> tuple[int, np.ndarray]:
    """Where the solution attains the relaxation on every ranked component before the
    stage (and those are held), every solution of this stage and the ones after it is an
    optimum of the relaxation on them, so it lies on the relaxation's optimal face
    (allocator.warmstart.face_flow): the model is confined to it. CP-SAT then searches
    the face alone (horizon's fit stage: 46,641 of 327,248 pairs). The best matching of
    the face for the stage, with the round rules' bans, is the stage's hint when it keeps
    every rule and gains more (allocator.warmstart.face_proposal). Returns how many
    leading components now confine the model, and the solution to go on from."""
    from allocator.warmstart import face_flow, face_proposal

    ranked = [c.name for c in m.components]
    first = next((c.name for c in stage.components if c.name in ranked), None)
    if first is None:
        return confined, chosen
    count = ranked.index(first)
    if count <= confined:
        return confined, chosen
    before = m.components[:count]
    if not all(c.name in relaxation and c.value(chosen) == relaxation[c.name] for c in before):
        return confined, chosen
    flow = face_flow(m, count)
    if flow is None:
        return confined, chosen
    face = flow.face()
    if not face.holds(chosen, m.pairs.h, m.pairs.d):
        raise RuntimeError("a proposal that attains the relaxation lies off its optimal face")
    m.confine(face)
    gain = stage.gain()
    # A share of what is left: the flows take tenths of a second at horizon size.
    seconds = FACE_SHARE * max(0.0, deadline - time.monotonic())
    found = face_proposal(m, flow, gain, seconds)
    if found is not None and int(gain[found].sum()) > int(gain[chosen].sum()):
        chosen = found
    return count, chosen


def _polish(
    m: AllocationModel, chosen: np.ndarray, names: list[str], fixed: set[str], floor: int = 0
) -> np.ndarray:
    """`chosen` improved on each ranked component in `names`, in order, by the class
    exchanges of allocator.polish (each no worse on every component before it, and better
    lexicographically). A step is kept only if it leaves the components in `fixed` (proven
    optimal, reported so) at their values and none of the first `floor` ranked components
    (the ones held by the stages solved so far) lower: the model's holds stay met."""
    from allocator.polish import permute_within_classes

    comps = list(m.components)
    ranked = [c.name for c in comps]
    for name in names:
        if name not in ranked:
            continue
        new = permute_within_classes(m, chosen, comps, ranked.index(name))
        if new is chosen:
            continue
        kept = all(c.value(new) == c.value(chosen) for c in comps if c.name in fixed)
        held = all(int(c.gain[new].sum()) >= int(c.gain[chosen].sum()) for c in comps[:floor])
        if kept and held:
            chosen = new
    return chosen


def reread(results: list[TierResult], components: list[Component], chosen: np.ndarray) -> None:
    """Report every tier at the final proposal's value (in place). A packed stage is held
    by its packed sum only, so a later stage may move value between its components
    (lexicographically no worse). The bounds stay valid: a stage bound bounds every
    solution of that stage's problem, the final one too, and a component decoded under
    a proven prefix keeps that prefix (a proven maximum can only be met, not passed).
    A component proven optimal that no longer has its value, or a value beyond its
    bound, is a defect, not a result."""
    by_name = {c.name: c for c in components}
    for r in results:
        c = by_name.get(r.name)
        if c is None or r.objective is None:
            continue
        value = c.value(chosen)
        if r.bound is not None and (value - r.bound) * (1 if c.sense == "max" else -1) > 0:
            raise RuntimeError(
                f"tier {r.name}: the proposal's value {value} passes its bound {r.bound}"
            )
        if value == int(round(r.objective)):
            continue
        if r.status == "OPTIMAL":
            raise RuntimeError(
                f"tier {r.name}: proven optimal at {r.objective}, the proposal has {value}"
            )
        r.objective = value
        r.gap = None if r.bound is None else relative_gap(value, r.bound)


def infeasible_pins(m: AllocationModel, settings: SolverSettings) -> InputError:
    """Only pins can make the model infeasible (the empty proposal satisfies every other
    rule). Find which pins clash, with assumptions on a pin-free copy (one worker)."""
    free = AllocationModel(m.data, m.pairs, with_pins=False, objective=m.objective)
    literals = free.pin_literals()
    free.cp.add_assumptions(literals)
    solver = _solver(settings, settings.time_limit_s, workers=1)
    solver.Solve(free.cp)
    core = set(solver.SufficientAssumptionsForInfeasibility())
    pins = m.data.scenario.locks.pinned
    problems = [
        Problem(
            table="locks.pinned",
            index=i,
            location=f"locks.pinned[{i}]",
            field="dwelling",
            value=pin.dwelling,
            expected=(
                "pins that can hold together; with the other listed pins this one "
                "breaks a round rule (R5 building cap or district quota, R6 separation)"
            ),
        )
        for i, (pin, lit) in enumerate(zip(pins, literals, strict=True))
        if lit.Index() in core
    ] or [
        Problem(
            table="locks.pinned",
            field="",
            value=None,
            expected="pins that can hold together under R5 and R6",
        )
    ]
    return InputError(problems)
