"""A fast, feasible starting proposal: min-cost flow on the assignment core, then repair.

CP-SAT treats a complete, feasible hint specially (PERFORMANCE.md); a flow solver finds the
best assignment without the round rules in milliseconds even at whole-stock size. The
flow's pair values follow the tiers per pair (deadline first, then housing points, then
fit); the repair keeps the flow's choices in value order while the round rules (R5 caps
and quotas, R6 separation) allow, and fills what it had to drop from the best remaining
candidates. The same flow without round rules and with tier-2 values only gives the
"assignment bound" that benchmarks compare against.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from ortools.graph.python import min_cost_flow

from allocator.data import RoundData
from allocator.lexflow import flow_cost_limit, lexicographic_matching
from allocator.pairs import Pairs
from allocator.round_state import RoundState
from allocator.rules import r5_spread, r7_temporary
from allocator.rules.r6_separation import ACTIVE, RECOVERY

if TYPE_CHECKING:
    from allocator.model import AllocationModel, Component


def _stack(high: np.ndarray, low: np.ndarray, matches: int, limit: int) -> np.ndarray:
    """high × W + low with W above any total of `matches` lows: sums then compare by
    high first. Magnitudes are checked in Python integers before numpy could wrap."""
    low_max = int(np.abs(low).max(initial=0))
    scale = low_max * matches + 1
    if int(np.abs(high).max(initial=0)) * scale + low_max >= limit:
        raise OverflowError("pair values too large for an exact lexicographic flow")
    return high.astype(np.int64) * scale + low.astype(np.int64)


def pair_values(data: RoundData, pairs: Pairs, *, with_fit: bool = True) -> np.ndarray:
    """Per-pair value whose sum over a matching orders matchings lexicographically by
    (due families on time, days over avoided, housing points[, fit]): each tier's weight
    exceeds the largest possible total of the tiers below it. The fit tier is included
    only while the total stays exactly representable in 62 bits."""
    matches = max(1, min(data.H, data.D))
    on_time, days_saved = r7_temporary.deadline_gains(data, pairs.h, pairs.late, data.ranked_due)
    housing = pairs.housing.astype(np.int64)
    # OR-Tools' min-cost flow refuses arc costs whose products with the node count could
    # overflow (BAD_COST_RANGE), so each pair's value stays below 2^62 / nodes.
    limit = flow_cost_limit(data.H, data.D)
    for fit in (True, False) if with_fit else (False,):
        try:
            value = _stack(housing, -pairs.fit, matches, limit) if fit else housing
            return _stack(on_time, _stack(days_saved, value, matches, limit), matches, limit)
        except OverflowError:
            continue
    raise OverflowError("pair values too large for an exact lexicographic flow")


def exact_values(data: RoundData, pairs: Pairs) -> bool:
    """Do the tiers stack exactly into flow costs (every round below whole-stock size)?"""
    try:
        pair_values(data, pairs, with_fit=False)
    except OverflowError:
        return False
    return True


def hint_values(data: RoundData, pairs: Pairs) -> np.ndarray:
    """`pair_values` when they stack exactly; otherwise (whole-stock sizes) the best
    approximation that does: due families on time first, then housing points (then fit
    when it still fits). A pair that would add days over the 3-month cap (a due family
    moving in later than the next round could manage) is never worth taking."""
    try:
        return pair_values(data, pairs)
    except OverflowError:
        pass
    matches = max(1, min(data.H, data.D))
    limit = flow_cost_limit(data.H, data.D)
    on_time, days_saved = r7_temporary.deadline_gains(data, pairs.h, pairs.late, data.ranked_due)
    housing = pairs.housing.astype(np.int64)
    worse = days_saved < 0
    for attempt in (
        lambda: _stack(on_time, _stack(housing, -pairs.fit, matches, limit), matches, limit),
        lambda: _stack(on_time, housing, matches, limit),
    ):
        try:
            return np.where(worse, 0, attempt())
        except OverflowError:
            continue
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

    for p in fixed if fixed is not None else []:
        take(int(p))
    by_value = np.argsort(-values, kind="stable")
    # Fill only with pairs worth matching: a non-positive value (e.g. a due family moving
    # in later than the next round could manage) would make the hint worse, not better.
    for group in (by_value[chosen[by_value]], by_value[values[by_value] > 0]):
        for p in group:
            h, d = int(pairs.h[p]), int(pairs.d[p])
            if taken_h[h] or taken_d[d]:
                continue
            if not state.broken_by(h, d):
                take(int(p))
    return out


def _bans(data: RoundData, pairs: Pairs, chosen: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Pairs to ban after a flow that broke round rules (bool per pair):
    - over a building cap or district quota: the lowest-value excess high-need households
      are banned from that building or district;
    - a separation scope receiving both active users and households in recovery: the kind
      bringing less value is banned from the scope."""
    ban = np.zeros(len(pairs), dtype=bool)
    idx = np.flatnonzero(chosen)
    h, d = pairs.h[idx], pairs.d[idx]
    high = data.high_need[h]
    for groups, headroom, of_pair in (
        (data.d_building[d], r5_spread.building_headroom(data), data.d_building[pairs.d]),
        (data.d_district[d], r5_spread.district_headroom(data), data.d_district[pairs.d]),
    ):
        counts = np.bincount(groups[high], minlength=len(headroom))
        for g in np.flatnonzero(counts > headroom):
            members = idx[high & (groups == g)]
            excess = members[np.argsort(values[members], kind="stable")][: counts[g] - headroom[g]]
            losers = np.isin(pairs.h, pairs.h[excess])
            ban |= losers & (of_pair == g) & data.high_need[pairs.h]
    if data.policy.separation.mode == "hard":
        scope = data.b_scope[data.d_building[d]]
        substance = data.substance[h]
        scope_of_pair = data.b_scope[data.d_building[pairs.d]]
        for s in np.unique(scope):
            here = scope == s
            active = values[idx[here & (substance == ACTIVE)]].sum()
            recovery = values[idx[here & (substance == RECOVERY)]].sum()
            if active and recovery:
                loser = RECOVERY if active >= recovery else ACTIVE
                ban |= (scope_of_pair == s) & (data.substance[pairs.h] == loser)
    return ban


def warm_start(
    data: RoundData,
    pairs: Pairs,
    fixed: np.ndarray | None = None,
    seconds: float = 10.0,
    rounds: int = 50,
) -> np.ndarray:
    """A complete, feasible proposal to hint CP-SAT with: pins and `fixed` pairs kept;
    the rest by min-cost flow, re-run with bans while it breaks round rules (each flow
    re-optimises the whole assignment around the bans), then repaired greedily."""
    fixed_pairs = np.union1d(
        np.array(pairs.pinned_pairs(), dtype=np.int64),
        np.zeros(0, dtype=np.int64) if fixed is None else fixed,
    )
    values = hint_values(data, pairs)
    stop = time.monotonic() + seconds
    banned = np.zeros(len(pairs), dtype=bool)
    banned[fixed_pairs] = False
    chosen = flow_assignment(data, pairs, values, fixed_pairs)
    for _ in range(rounds):
        ban = _bans(data, pairs, chosen, values)
        ban[fixed_pairs] = False
        if not (ban & ~banned).any() or time.monotonic() > stop:
            break
        banned |= ban
        chosen = flow_assignment(data, pairs, np.where(banned, 0, values), fixed_pairs)
    return repair(data, pairs, chosen, values, fixed_pairs)


def relaxation(model: AllocationModel) -> tuple[dict[str, int], np.ndarray]:
    """The lexicographic optimum of the model's own objective components with the round
    rules (R5, R6) dropped, pins kept: (component values, the flow's choice). Components
    are stacked into as few flow levels as 62-bit costs allow, each level solved on the
    optimal face of the ones before (allocator.lexflow). No proposal beats these values
    in this order, so a proposal that attains them is proven optimal on them; when the
    flow's choice itself keeps the round rules, it *is* the optimum."""
    data, pairs = model.data, model.pairs
    matches = max(1, min(data.H, data.D))
    limit = flow_cost_limit(data.H, data.D)
    levels: list[np.ndarray] = []
    used: list[Component] = []
    value: np.ndarray | None = None
    for c in model.components:
        gain = c.gain.astype(np.int64)
        if value is not None:
            try:
                value = _stack(value, gain, matches, limit)
                used.append(c)
                continue
            except OverflowError:
                levels.append(value)
        if int(np.abs(gain).max(initial=0)) >= limit:
            value = None
            break
        value = gain
        used.append(c)
    if value is not None:
        levels.append(value)
    fixed = np.array(pairs.pinned_pairs(), dtype=np.int64)
    chosen = lexicographic_matching(data.H, data.D, pairs.h, pairs.d, levels, fixed)
    return {c.name: c.value(chosen) for c in used}, chosen


def keeps_round_rules(data: RoundData, pairs: Pairs, chosen: np.ndarray) -> bool:
    """True when the chosen pairs break no building cap, district quota or separation."""
    return not _bans(data, pairs, chosen, pairs.housing.astype(np.int64)).any()


def assignment_bound(data: RoundData, pairs: Pairs) -> dict[str, int]:
    """The relaxation bound: the lexicographic optimum of (breaches, days over, housing
    points) over the candidate pairs with the round rules (R5, R6) and pins dropped.
    No proposal can do better on these tiers, in this order. When the three tiers cannot
    be stacked exactly (whole-stock sizes), the deadline tiers and housing points are
    bounded by two separate flows; the housing bound then ignores tier 1 (weaker, still
    valid)."""

    def deadline_values(chosen: np.ndarray) -> dict[str, int]:
        over = r7_temporary.unmatched_days_over(data)
        due = np.flatnonzero(data.ranked_due)
        matched = {int(pairs.h[p]): int(p) for p in np.flatnonzero(chosen)
                   if data.ranked_due[pairs.h[p]]}
        return {
            "deadline_breaches": sum(
                1 for h in due if int(h) not in matched or pairs.late[matched[int(h)]] > 0
            ),
            "deadline_days_over": sum(
                int(over[h]) if int(h) not in matched else int(pairs.late[matched[int(h)]])
                for h in due
            ),
        }

    try:
        chosen = flow_assignment(data, pairs, pair_values(data, pairs, with_fit=False))
        return {**deadline_values(chosen), "priority_waiting": int(pairs.housing[chosen].sum())}
    except OverflowError:
        pass
    matches = max(1, min(data.H, data.D))
    limit = flow_cost_limit(data.H, data.D)
    on_time, days_saved = r7_temporary.deadline_gains(data, pairs.h, pairs.late, data.ranked_due)
    deadlines = flow_assignment(data, pairs, _stack(on_time, days_saved, matches, limit))
    housing = flow_assignment(data, pairs, pairs.housing.astype(np.int64))
    return {**deadline_values(deadlines), "priority_waiting": int(pairs.housing[housing].sum())}
