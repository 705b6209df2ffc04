"""A fast, feasible starting proposal: min-cost flow on the assignment core, then repair;
and the relaxation that certifies proposals.

CP-SAT treats a complete, feasible hint specially (PERFORMANCE.md); a flow solver finds the
best assignment without the round rules in milliseconds even at whole-stock size. The
flow's pair values stack the objective's components (allocator.objective) per pair; the
repair keeps the flow's choices in value order while the round rules allow, and fills
what it had to drop from the best remaining candidates. Each round rule states its own
bans and its own incremental state (allocator.rules.base), so a new rule needs nothing
here. The same flow without round rules and with tier-2 values only gives the
"assignment bound" that benchmarks compare against.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np
from ortools.graph.python import min_cost_flow

from allocator.data import NO_DAY, RoundData
from allocator.lexflow import LexFlow, flow_cost_limit
from allocator.objective import (
    SAFE_RANGE,
    TIE_RANDOM_BITS,
    Component,
    Objective,
    default_objective,
    serial_order,
    tie_block_size,
    tie_components,
)
from allocator.pairs import Pairs
from allocator.round_state import RoundState, broken_rules
from allocator.rules import ROUND_RULES, r11_transfers

if TYPE_CHECKING:
    from allocator.model import AllocationModel


def _stack(high: np.ndarray, low: np.ndarray, matches: int, limit: int) -> np.ndarray:
    """high × W + low with W above any total of `matches` lows: sums then compare by
    high first. Magnitudes are checked in Python integers before numpy could wrap."""
    low_max = int(np.abs(low).max(initial=0))
    scale = low_max * matches + 1
    if int(np.abs(high).max(initial=0)) * scale + low_max >= limit:
        raise OverflowError("pair values too large for an exact lexicographic flow")
    return high.astype(np.int64) * scale + low.astype(np.int64)


def stacked_gains(
    gains: list[np.ndarray], matches: int, limit: int
) -> tuple[np.ndarray | None, int]:
    """(per-pair value stacking the leading gains, how many of them): sums over a matching
    compare lexicographically by those gains. (None, 0) when not even the first fits."""
    value: np.ndarray | None = None
    used = 0
    for gain in gains:
        if value is None:
            if int(np.abs(gain).max(initial=0)) >= limit:
                break
            value = gain.astype(np.int64)
        else:
            try:
                value = _stack(value, gain, matches, limit)
            except OverflowError:
                break
        used += 1
    return value, used


def _through_tier2(objective: Objective) -> int:
    """How many leading terms make tiers 1 and 2 (up to priority_waiting)."""
    return objective.names.index("priority_waiting") + 1


def pair_values(
    data: RoundData, pairs: Pairs, objective: Objective | None = None, *, with_fit: bool = True
) -> np.ndarray:
    """Per-pair value whose sum over a matching orders matchings lexicographically by the
    objective's terms, tiers 1 and 2 at least; the later terms (fit) only while the
    total stays exactly representable in 62 bits. OverflowError when tiers 1–2 do not."""
    objective = objective or default_objective(data.policy)
    matches = max(1, min(data.H, data.D))
    # OR-Tools' min-cost flow refuses arc costs whose products with the node count could
    # overflow (BAD_COST_RANGE), so each pair's value stays below 2^62 / nodes.
    limit = flow_cost_limit(data.H, data.D)
    gains = objective.gains(pairs)
    need = _through_tier2(objective)
    if not with_fit:
        gains = gains[:need]
    value, used = stacked_gains(gains, matches, limit)
    if value is None or used < need:
        raise OverflowError("pair values too large for an exact lexicographic flow")
    return value


def exact_values(data: RoundData, pairs: Pairs, objective: Objective | None = None) -> bool:
    """Do tiers 1 and 2 stack exactly into flow costs (every round below whole-stock size)?"""
    try:
        pair_values(data, pairs, objective, with_fit=False)
    except OverflowError:
        return False
    return True


def hint_values(data: RoundData, pairs: Pairs, objective: Objective | None = None) -> np.ndarray:
    """`pair_values` when they stack exactly; otherwise (whole-stock sizes) the best
    approximation that does: breaches avoided first, then housing points (then fit when
    it still fits). A pair that would add days over a deadline clock (a household moving
    in later than waiting would cost) is never worth taking."""
    objective = objective or default_objective(data.policy)
    try:
        return pair_values(data, pairs, objective)
    except OverflowError:
        pass
    matches = max(1, min(data.H, data.D))
    limit = flow_cost_limit(data.H, data.D)
    gains = dict(zip(objective.names, objective.gains(pairs), strict=True))
    housing = gains["priority_waiting"]
    worse = np.zeros(len(pairs), dtype=bool)
    order = [housing]
    if "deadline_breaches" in gains:
        worse = gains["deadline_days_over"] < 0
        order = [gains["deadline_breaches"], housing]
    for attempt in ([*order, gains["fit"]], order, [housing]):
        value, used = stacked_gains(attempt, matches, limit)
        if value is not None and used == len(attempt):
            return np.where(worse, 0, value)
    return np.where(worse, 0, housing)


def flow_assignment(
    data: RoundData, pairs: Pairs, values: np.ndarray, fixed: np.ndarray | None = None
) -> np.ndarray:
    """Max-value matching over the candidate pairs (round rules ignored); pairs in `fixed`
    are forced in. Returns a bool per pair."""
    chosen = np.zeros(len(pairs), dtype=bool)
    taken_h = np.zeros(data.H, dtype=bool)
    taken_d = np.zeros(data.D, dtype=bool)
    if fixed is not None and len(fixed):
        chosen[fixed] = True
        taken_h[pairs.h[fixed]] = True
        taken_d[pairs.d[fixed]] = True
    use = np.flatnonzero(~taken_h[pairs.h] & ~taken_d[pairs.d] & (values > 0))
    if len(use) == 0:
        return chosen
    H, D = data.H, data.D
    source, sink = H + D, H + D + 1
    flow = min(H, D)
    smcf = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(H, source), pairs.h[use], H + np.arange(D), [source]])
    heads = np.concatenate([np.arange(H), H + pairs.d[use], np.full(D, sink), [sink]])
    caps = np.concatenate(
        [
            np.ones(H, dtype=np.int64),
            np.ones(len(use), dtype=np.int64),
            np.ones(D, dtype=np.int64),
            [flow],
        ]
    )
    costs = np.concatenate(
        [
            np.zeros(H, dtype=np.int64),
            -values[use].astype(np.int64),
            np.zeros(D, dtype=np.int64),
            [0],
        ]
    )
    smcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs
    )
    supplies = np.zeros(H + D + 2, dtype=np.int64)
    supplies[source], supplies[sink] = flow, -flow
    smcf.set_nodes_supplies(np.arange(H + D + 2, dtype=np.int32), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    arc_flows = smcf.flows(np.arange(H, H + len(use), dtype=np.int32))
    chosen[use[arc_flows > 0]] = True
    return chosen


def linked_assignment(
    data: RoundData, pairs: Pairs, values: np.ndarray, fixed: np.ndarray | None = None
) -> np.ndarray:
    """`flow_assignment` that keeps R11's chain links: the flow ignores them, so each
    chain variant it takes is first moved to the one standing for its tenant's day
    (`r11_transfers.relink`); a dwelling whose variant for that day is not among the
    pairs is then left empty. A second flow holds the tenants' moves and `fixed`, and
    offers each occupied dwelling only through the variants that stand for its tenant's
    day (nothing when its tenant stays), so it fills those dwellings where a household
    has such a variant. The first flow's linked choice is feasible for the second, so
    the second is never worse on `values`. Swaps are offered only where the first flow
    took them (a swap moves both tenants; they are held with the other moves)."""
    chosen = r11_transfers.relink(pairs, flow_assignment(data, pairs, values, fixed))
    variant = r11_transfers.is_variant(pairs)
    if not variant.any():
        return chosen
    moving = chosen & (data.current[pairs.h] >= 0)
    plain = np.flatnonzero(moving & ~pairs.swap)
    day = np.full(data.H, NO_DAY, dtype=np.int64)
    day[pairs.h[plain]] = pairs.move_in[plain]
    tenant = data.tenant[pairs.d]
    tenant_day = day[np.maximum(tenant, 0)]
    stands = (
        (tenant_day != NO_DAY)
        & (pairs.link <= tenant_day)
        & (tenant_day <= pairs.link_to)
        & ~pairs.swap
    )
    held = np.flatnonzero(moving)
    if fixed is not None and len(fixed):
        held = np.union1d(held, fixed)
    offered = np.where(variant & ~stands, 0, values)
    return r11_transfers.relink(pairs, flow_assignment(data, pairs, offered, held))


def repair(
    data: RoundData,
    pairs: Pairs,
    chosen: np.ndarray,
    values: np.ndarray,
    fixed: np.ndarray | None = None,
) -> np.ndarray:
    """Keep the chosen pairs (best value first) while the round rules allow, then fill
    free dwellings with the best remaining candidates that the rules allow."""
    state = RoundState(data, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    out = np.zeros(len(pairs), dtype=bool)
    taken_h = np.zeros(data.H, dtype=bool)
    taken_d = np.zeros(data.D, dtype=bool)

    def take(p: int) -> None:
        h, d = int(pairs.h[p]), int(pairs.d[p])
        out[p] = True
        taken_h[h] = taken_d[d] = True
        state.place(h, d)

    # R11: the day each placed household moves in (chain variants need their tenant's
    # day), and each swap half's partner.
    day = np.full(data.H, -1, dtype=np.int64)
    variant = r11_transfers.is_variant(pairs)
    partner = r11_transfers.swap_partners(pairs) if pairs.swap.any() else None

    def linked(p: int) -> bool:
        """The pair keeps R11 beside what is taken: a vacancy, a chain variant whose
        tenant moves in on its day, or a swap whose partner can be taken with it."""
        if not variant[p]:
            return True
        if not pairs.swap[p]:
            return r11_transfers.links(pairs, p, int(day[data.tenant[pairs.d[p]]]))
        assert partner is not None
        q = int(partner[p])
        if q < 0 or not chosen[q] or taken_h[pairs.h[q]] or taken_d[pairs.d[q]]:
            return False
        hq, dq = int(pairs.h[q]), int(pairs.d[q])
        if state.broken_by(hq, dq):
            return False
        # The partner is placed after p: it must keep the round rules beside p too (two
        # high-need tenants swapping within a district quota of one each keep it alone).
        taken = np.flatnonzero(out)
        with_p = RoundState(
            data, np.append(pairs.h[taken], pairs.h[p]), np.append(pairs.d[taken], pairs.d[p])
        )
        return not with_p.broken_by(hq, dq)

    for p in fixed if fixed is not None else []:
        take(int(p))
        if not pairs.swap[p]:
            day[pairs.h[p]] = pairs.move_in[p]
    by_value = np.argsort(-values, kind="stable")
    # Fill only with pairs worth matching: a non-positive value (e.g. a due household
    # moving in later than waiting would cost) would make the hint worse, not better.
    # The flow's own choice is gone through until nothing more is taken: a chain link
    # waits for its tenant's move, which may come later in value order.
    kept = by_value[chosen[by_value]]
    for group in (kept, kept, kept, by_value[values[by_value] > 0]):
        for p in group:
            h, d = int(pairs.h[p]), int(pairs.d[p])
            if taken_h[h] or taken_d[d]:
                continue
            if not state.broken_by(h, d) and linked(int(p)):
                take(int(p))
                if pairs.swap[p]:
                    assert partner is not None
                    q = int(partner[p])
                    take(q)
                    day[h] = day[pairs.h[q]] = pairs.move_in[p]
                else:
                    day[h] = pairs.move_in[p]
    return r11_transfers.drop_broken(pairs, out, _mask(len(pairs), fixed))


def _mask(n: int, positions: np.ndarray | None) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    if positions is not None:
        out[positions] = True
    return out


def _bans(pairs: Pairs, chosen: np.ndarray, values: np.ndarray, held: np.ndarray) -> np.ndarray:
    """Pairs to ban after a flow that broke round rules (bool per pair), each rule's own;
    the `held` pairs (pins, fixed placements) are never banned, and each rule resolves its
    conflicts around them (banning the others instead)."""
    ban = np.zeros(len(pairs), dtype=bool)
    for rule in ROUND_RULES:
        if rule.enabled(pairs.data.policy):
            ban |= rule.bans(pairs, chosen, values, held)
    # R11: a chain link whose tenant does not move in on its day, a swap without its
    # partner (the next flow may take the tenant's move, or another variant).
    return (ban | r11_transfers.broken(pairs, chosen)) & ~held


def warm_start(
    data: RoundData,
    pairs: Pairs,
    fixed: np.ndarray | None = None,
    seconds: float = 10.0,
    rounds: int = 50,
    objective: Objective | None = None,
) -> np.ndarray:
    """A complete, feasible proposal to hint CP-SAT with: pins and `fixed` pairs kept;
    the rest by min-cost flow, re-run with bans while it breaks round rules (each flow
    re-optimises the whole assignment around the bans), then repaired greedily."""
    fixed_pairs = np.union1d(
        np.array(pairs.pinned_pairs(), dtype=np.int64),
        np.zeros(0, dtype=np.int64) if fixed is None else fixed,
    )
    values = hint_values(data, pairs, objective)
    stop = time.monotonic() + seconds
    banned = np.zeros(len(pairs), dtype=bool)
    # R11: the flow ignores chain links; each flow's choice is linked (each chain variant
    # moved to the one standing for its tenant's day, the dwellings it leaves empty
    # offered again for that day) before any bans.
    chosen = linked_assignment(data, pairs, values, fixed_pairs)
    held = _mask(len(pairs), fixed_pairs)
    for _ in range(rounds):
        ban = _bans(pairs, chosen, values, held)
        if not (ban & ~banned).any() or time.monotonic() > stop:
            break
        banned |= ban
        chosen = linked_assignment(data, pairs, np.where(banned, 0, values), fixed_pairs)
    return repair(data, pairs, chosen, values, fixed_pairs)


def tie_random_bits(data: RoundData) -> int:
    """Bits of the assignment tie-break: as many as fit in a flow level and a stage
    (decided by the round's sizes only, so a reduced model breaks ties like the full)."""
    matches = max(1, min(data.H, data.D))
    room = min(flow_cost_limit(data.H, data.D).bit_length() - 1, SAFE_RANGE.bit_length() - 1)
    return max(0, min(TIE_RANDOM_BITS, room - math.ceil(math.log2(matches + 1)) - 1))


def relaxed_flow(data: RoundData, pairs: Pairs) -> LexFlow:
    """The matchings of `pairs` with the pins and the household pools held, the round
    rules dropped: the relaxation every bound and certificate is taken over."""
    pins = np.array(pairs.pinned_pairs(), dtype=np.int64)
    return LexFlow(data.H, data.D, pairs.h, pairs.d, pins, household_pools(data))


def household_pools(data: RoundData) -> list[tuple[np.ndarray, int]]:
    """The round rules that cap how many of some households are housed anywhere (a
    capacity rule with one group of every dwelling, e.g. the R10 group-share floor), as
    disjoint household pools the relaxed flow holds exactly; a pool overlapping an earlier
    one is left out (dropping a rule keeps the relaxation a valid bound)."""
    pools: list[tuple[np.ndarray, int]] = []
    taken = np.zeros(data.H, dtype=bool)
    for rule in ROUND_RULES:
        pool = getattr(rule, "pool", None)
        found = pool(data) if pool is not None and rule.enabled(data.policy) else None
        if found is not None and not (found[0] & taken).any():
            pools.append(found)
            taken |= found[0]
    return pools


def flow_levels(
    data: RoundData, components: list[Component]
) -> tuple[list[tuple[np.ndarray, list[Component]]], bool]:
    """The components stacked into as few flow levels as 62-bit costs allow, in order:
    ([(per-pair value, its components)], whether every component found a level; a
    component too large for any level ends the list there)."""
    matches = max(1, min(data.H, data.D))
    limit = flow_cost_limit(data.H, data.D)
    levels: list[tuple[np.ndarray, list[Component]]] = []
    value: np.ndarray | None = None
    level: list[Component] = []
    for c in components:
        gain = c.gain.astype(np.int64)
        if value is not None:
            try:
                value = _stack(value, gain, matches, limit)
                level.append(c)
                continue
            except OverflowError:
                levels.append((value, level))
        if int(np.abs(gain).max(initial=0)) >= limit:
            return levels, False
        value, level = gain, [c]
    if value is not None:
        levels.append((value, level))
    return levels, True


def face_flow(model: AllocationModel, count: int) -> LexFlow | None:
    """The relaxed flow confined to its optimal face of the first `count` ranked
    components (None when they do not all fit in flow levels); `LexFlow.face` states the
    face. A proposal that keeps every rule and attains the relaxation on those components
    is one of the relaxation's optima, so it lies on the face: a stage below them may be
    confined to it without losing any solution (horizon: 46,641 of 327,248 pairs on it,
    0.2 s)."""
    levels, complete = flow_levels(model.data, list(model.components[:count]))
    if not complete:
        return None
    flow = relaxed_flow(model.data, model.pairs)
    for values, _ in levels:
        flow.optimise(values, face=True)
    return flow


def face_proposal(
    model: AllocationModel, flow: LexFlow, values: np.ndarray, seconds: float, rounds: int = 50
) -> np.ndarray | None:
    """The best matching for `values` on the relaxation's optimal face that `flow` is
    confined to (`face_flow`; the bans are added to it), re-solved with each round rule's
    bans while it breaks one (the face's forced pairs and pins held). Every matching on
    the face attains the relaxation on those components, so a result that keeps the rules
    is a proposal that does too, found without any repair that would leave the face.
    None when the bans leave no matching on the face, or the rules still break after
    `rounds` or `seconds`.
    (horizon's fit stage: 41,252 against the relaxation's 40,842 in 8 rounds, 0.5 s;
    CP-SAT's 12 s from the class exchange had reached 47,967.)"""
    data, pairs = model.data, model.pairs
    if int(np.abs(values).max(initial=0)) >= flow_cost_limit(data.H, data.D):
        return None
    stop = time.monotonic() + seconds
    held = flow.face().forced
    # The bans rank placements by value: shifted to be positive, so a scope's kinds
    # compare by how much they bring, whatever the sign of the stage's gains.
    ranking = values.astype(np.int64) - int(values.min(initial=0)) + 1
    for _ in range(rounds):
        try:
            flow.optimise(values, face=False)
        except RuntimeError:
            return None  # the bans left no matching on the face
        chosen = flow.chosen()
        if keeps_round_rules(data, pairs, chosen):
            return chosen
        ban = _bans(pairs, chosen, ranking, held)
        if not ban.any() or time.monotonic() > stop:
            return None
        flow.ban(ban)
    return None


def relaxation(model: AllocationModel) -> tuple[dict[str, int], np.ndarray]:
    """The lexicographic optimum of the model's own components with the round rules
    dropped (except household pools, held exactly), pins kept: (component values, the
    flow's choice). Components are stacked into
    as few flow levels as 62-bit costs allow, each level solved on the optimal face of the
    ones before (allocator.lexflow). No proposal beats these values in this order, so a
    proposal that attains them is proven optimal on them; when the flow's choice itself
    keeps the round rules, it *is* the optimum.

    Once every component is solved, the households still open on the optimal face are the
    only ones whose housed status can differ between optimal proposals (with or without
    the round rules, if a proposal attains these values): the serial tie-break orders
    them (`model.tie`), and its levels are solved here too."""
    data, pairs = model.data, model.pairs
    limit = flow_cost_limit(data.H, data.D)
    flow = relaxed_flow(data, pairs)
    levels, complete = flow_levels(data, model.components)
    used: list[Component] = []
    one_level = complete and len(levels) == 1
    for values, components in levels:
        optimum = flow.optimise(values, flips=one_level)
        used += components
        if one_level:
            # Every ranked component in one level: how much of it each household's flip
            # costs tells which households can change status among the true optima
            # (allocator.lexicographic._tie_break).
            model.relaxed_flow, model.relaxed_level = flow, values
            model.relaxed_optimum = optimum
    model.tie, model.tie_exact, model.relaxed_open = [], False, None
    if complete:
        # Open on the face of every component (before the tie-break's own levels): the
        # households a tie-break may order.
        model.relaxed_open = flow.open_households()
        households = serial_order(pairs, model.relaxed_open)
        model.tie = tie_components(pairs, households, tie_block_size(limit), tie_random_bits(data))
        model.tie_exact = True
        for k, c in enumerate(model.tie):
            flow.optimise(c.gain, face=k < len(model.tie) - 1)
            used.append(c)
    chosen = flow.chosen()
    return {c.name: c.value(chosen) for c in used}, chosen


def keeps_round_rules(data: RoundData, pairs: Pairs, chosen: np.ndarray) -> bool:
    """True when the chosen pairs break no round rule that is switched on, R11's chain
    links included (the relaxed flow drops them: its choice is a proposal only if it
    keeps them)."""
    idx = np.flatnonzero(chosen)
    if r11_transfers.broken(pairs, chosen).any():
        return False
    return not broken_rules(data, pairs.h[idx], pairs.d[idx])


def assignment_bound(data: RoundData, pairs: Pairs) -> dict[str, int]:
    """The relaxation bound: the lexicographic optimum of tiers 1 and 2 over the candidate
    pairs with the round rules and pins dropped. No proposal can do better on these
    tiers, in this order. When they cannot be stacked exactly (whole-stock sizes), tier 1
    and the housing points are bounded by two separate flows; the housing bound then
    ignores tier 1 (weaker, still valid)."""
    objective = default_objective(data.policy)
    components = objective.components(pairs)[0]
    through = _through_tier2(objective)
    leading = components[:through]
    try:
        chosen = flow_assignment(data, pairs, pair_values(data, pairs, objective, with_fit=False))
        return {c.name: c.value(chosen) for c in leading}
    except OverflowError:
        pass
    matches = max(1, min(data.H, data.D))
    limit = flow_cost_limit(data.H, data.D)
    out: dict[str, int] = {}
    deadline = [c for c in leading if c.name.startswith("deadline_")]
    if deadline:
        value, _ = stacked_gains([c.gain for c in deadline], matches, limit)
        assert value is not None
        chosen = flow_assignment(data, pairs, value)
        out.update({c.name: c.value(chosen) for c in deadline})
    housing = flow_assignment(data, pairs, pairs.housing.astype(np.int64))
    out["priority_waiting"] = int(pairs.housing[housing].sum())
    return out
