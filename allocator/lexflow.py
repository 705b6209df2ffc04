"""Lexicographic max-value matching by min-cost flow, one level of objectives at a time.

Why: the relaxation (round rules dropped) certifies a proposal only on the components its
flow optimises, and one flow can only stack components while the costs fit in 62 bits.
The tie-break never fits beside housing points and fit, so CP-SAT used to spend the whole
solve time of weekly and city rounds on it. Here each level is solved exactly and the next
level is confined to the previous level's *optimal face*: with optimal node potentials π
(shortest-path distances in the residual graph), an arc with reduced cost
``c + π(tail) - π(head)`` > 0 carries no flow in any optimal solution and one with reduced
cost < 0 is saturated in all of them (LP complementary slackness); the others are free.
Fixing those arcs and re-solving with the next level's costs gives the lexicographic
optimum over all levels.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow


def flow_cost_limit(H: int, D: int) -> int:
    """Largest |arc cost| OR-Tools' min-cost flow accepts without a cost-range error
    (costs times the node count and the flow must stay below 2^62)."""
    return 2**62 // (H + D + 2) // max(1, min(H, D))


def lexicographic_matching(
    H: int,
    D: int,
    h: np.ndarray,
    d: np.ndarray,
    levels: list[np.ndarray],
    fixed: np.ndarray | None = None,
) -> np.ndarray:
    """The matching over the pairs (h[p], d[p]) that maximises ``levels[0]`` summed over the
    chosen pairs, then ``levels[1]`` among those optima, and so on. Pairs in `fixed` are
    forced in (their households and dwellings leave the network). Every level's values
    must stay within `flow_cost_limit`. Returns a bool per pair."""
    n = len(h)
    chosen = np.zeros(n, dtype=bool)
    taken_h = np.zeros(H, dtype=bool)
    taken_d = np.zeros(D, dtype=bool)
    if fixed is not None and len(fixed):
        chosen[fixed] = True
        taken_h[h[fixed]] = True
        taken_d[d[fixed]] = True
    use = np.flatnonzero(~taken_h[h] & ~taken_d[d])
    if len(use) == 0 or not levels:
        return chosen
    # Nodes: households 0..H-1, dwellings H..H+D-1, source, sink. Arcs: source→h, the
    # pairs, d→sink, and source→sink so that any number of matches is feasible.
    source, sink = H + D, H + D + 1
    flow = min(H, D)
    m = len(use)
    tails = np.concatenate([np.full(H, source), h[use], H + np.arange(D), [source]])
    heads = np.concatenate([np.arange(H), H + d[use], np.full(D, sink), [sink]])
    upper = np.concatenate([np.ones(H + m + D, dtype=np.int64), [flow]])
    lower = np.zeros_like(upper)
    supply = np.zeros(H + D + 2, dtype=np.int64)
    supply[source], supply[sink] = flow, -flow
    pair_arcs = slice(H, H + m)
    for k, values in enumerate(levels):
        cost = np.zeros(len(tails), dtype=np.int64)
        cost[pair_arcs] = -values[use].astype(np.int64)
        free = np.flatnonzero(upper > lower)
        arc_flow = lower.copy()
        arc_flow[free] += _min_cost_flow(tails, heads, upper - lower, cost, lower, supply, free)
        if k == len(levels) - 1:
            break
        reduced = _reduced_costs(H + D + 2, tails[free], heads[free], cost[free],
                                 arc_flow[free] - lower[free], (upper - lower)[free])
        upper[free[reduced > 0]] = lower[free[reduced > 0]]
        lower[free[reduced < 0]] = upper[free[reduced < 0]]
    chosen[use[arc_flow[pair_arcs] > 0]] = True
    return chosen


def _min_cost_flow(tails: np.ndarray, heads: np.ndarray, capacity: np.ndarray,
                   cost: np.ndarray, lower: np.ndarray, supply: np.ndarray,
                   free: np.ndarray) -> np.ndarray:
    """Flow on the `free` arcs (capacity above their lower bound) given that every arc
    already carries `lower`: the lower bounds move into the node supplies."""
    shifted = supply.copy()
    np.subtract.at(shifted, tails, lower)
    np.add.at(shifted, heads, lower)
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        tails[free].astype(np.int32), heads[free].astype(np.int32), capacity[free], cost[free]
    )
    smcf.set_nodes_supplies(np.arange(len(supply), dtype=np.int32), shifted)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    return smcf.flows(np.arange(len(free), dtype=np.int32))


def _reduced_costs(nodes: int, tails: np.ndarray, heads: np.ndarray, cost: np.ndarray,
                   arc_flow: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Reduced costs under optimal potentials: shortest-path distances from a virtual root
    (0 to every node) in the residual graph of an optimal flow, which has no negative
    cycle. Bellman-Ford, relaxing only arcs whose tail improved in the last pass."""
    fwd = arc_flow < capacity
    bwd = arc_flow > 0
    r_tail = np.concatenate([tails[fwd], heads[bwd]])
    r_head = np.concatenate([heads[fwd], tails[bwd]])
    r_cost = np.concatenate([cost[fwd], -cost[bwd]])
    dist = np.zeros(nodes, dtype=np.int64)
    active = np.ones(nodes, dtype=bool)
    for _ in range(nodes + 1):
        sel = np.flatnonzero(active[r_tail])
        candidate = dist[r_tail[sel]] + r_cost[sel]
        better = candidate < dist[r_head[sel]]
        if not better.any():
            return cost + dist[tails] - dist[heads]
        new = dist.copy()
        np.minimum.at(new, r_head[sel[better]], candidate[better])
        active = new < dist
        dist = new
    raise RuntimeError("negative cycle in the residual graph: the flow was not optimal")
