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

*Household pools* (optional): disjoint sets of households with one capacity each, "at
most K of these housed" (a cap that counts households wherever they are placed, e.g. the
R10 group-share floor's cap on everyone outside the group). Each pool is a node between
the source and its households, its arc carrying the capacity, so the network stays a
flow (integral) and the cap holds exactly. A household's *entry arc* is then the arc
from its pool (or the source) to it: its status changes exactly when flow on that arc
does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def flow_cost_limit(H: int, D: int) -> int:
    """Largest |arc cost| OR-Tools' min-cost flow accepts without a cost-range error
    (costs times the node count and the flow must stay below 2^62)."""
    return 2**62 // (H + D + 2) // max(1, min(H, D))


@dataclass(frozen=True)
class Face:
    """What every optimal matching of the levels solved so far has in common: it uses only
    the pairs `on` the face, every pair `forced`, and houses every household `housed` and
    fills every dwelling `filled` (through pairs that are not fixed). Necessary for being
    one of those optima, so constraints that lose none of them."""

    on: np.ndarray  # bool per pair
    forced: np.ndarray  # bool per pair
    housed: np.ndarray  # bool per household
    filled: np.ndarray  # bool per dwelling

    def holds(self, chosen: np.ndarray, h: np.ndarray, d: np.ndarray) -> bool:
        """Does the matching `chosen` (bool per pair (h[p], d[p])) lie on the face?"""
        housed = np.zeros(len(self.housed), dtype=bool)
        housed[h[chosen]] = True
        filled = np.zeros(len(self.filled), dtype=bool)
        filled[d[chosen]] = True
        return not (
            (chosen & ~self.on).any()
            or (self.forced & ~chosen).any()
            or (self.housed & ~housed).any()
            or (self.filled & ~filled).any()
        )


class LexFlow:
    """The matching over the pairs (h[p], d[p]) that maximises the first level's values
    summed over the chosen pairs, then the next level's among those optima, and so on, one
    `optimise` call per level. Pairs in `fixed` are forced in (their households and
    dwellings leave the network). Every level's values must stay within
    `flow_cost_limit`. After each level the network keeps only the optimal face, so
    `open_households` tells which households may still be housed or not. `pools` are
    (bool per household, capacity) pairs, disjoint, each capping how many of its
    households the flow houses (fixed pairs of a pool count against its capacity)."""

    def __init__(
        self,
        H: int,
        D: int,
        h: np.ndarray,
        d: np.ndarray,
        fixed: np.ndarray | None = None,
        pools: Sequence[tuple[np.ndarray, int]] = (),
    ):
        self.H, self.D = H, D
        n = len(h)
        self.chosen_fixed = np.zeros(n, dtype=bool)
        taken_h = np.zeros(H, dtype=bool)
        taken_d = np.zeros(D, dtype=bool)
        if fixed is not None and len(fixed):
            self.chosen_fixed[fixed] = True
            taken_h[h[fixed]] = True
            taken_d[d[fixed]] = True
        self.taken_h = taken_h
        self.use = np.flatnonzero(~taken_h[h] & ~taken_d[d])
        use = self.use
        # Nodes: households 0..H-1, dwellings H..H+D-1, source, sink, then one per pool.
        # Arcs: each household's entry arc (from the source, or from its pool), the pairs,
        # d→sink, source→sink so that any number of matches is feasible, source→pool.
        source, sink = H + D, H + D + 1
        self.nodes = H + D + 2 + len(pools)
        flow = min(H, D)
        m = len(use)
        entry = np.full(H, source, dtype=np.int64)
        room = []
        for k, (members, capacity) in enumerate(pools):
            if (entry[members] != source).any():
                raise ValueError("household pools must be disjoint")
            entry[members] = H + D + 2 + k
            room.append(max(0, int(capacity) - int((members & taken_h).sum())))
        self.tails = np.concatenate(
            [entry, h[use], H + np.arange(D), [source], np.full(len(pools), source)]
        )
        self.heads = np.concatenate(
            [np.arange(H), H + d[use], np.full(D, sink), [sink], H + D + 2 + np.arange(len(pools))]
        )
        self.upper = np.concatenate(
            [np.ones(H + m + D, dtype=np.int64), [flow], np.array(room, dtype=np.int64)]
        )
        self.lower = np.zeros_like(self.upper)
        # Households already placed by `fixed` cannot be placed again.
        self.upper[:H][taken_h] = 0
        self.supply = np.zeros(self.nodes, dtype=np.int64)
        self.supply[source], self.supply[sink] = flow, -flow
        self.pair_arcs = slice(H, H + m)
        self.arc_flow = self.lower.copy()
        self.levels = 0
        #: The residual graph of the level optimised with `flips` (free arcs, their
        #: reduced costs, flow and capacity), kept so its flip losses are found on demand.
        self._flip_graph: tuple[np.ndarray, ...] | None = None

    def optimise(self, values: np.ndarray, face: bool = True, flips: bool = False) -> int:
        """Maximise Σ values over the current optimal face, then (unless `face` is false:
        the last level) keep only the new face. Returns the optimum. With `flips`, also
        keep what `flip_loss` needs (per household, how much of this level's optimum is
        lost at least by housing it when the optimum does not, or the reverse)."""
        if flips:
            self._flip_graph = None
            self.__dict__.pop("flip_loss", None)
        if len(self.use) == 0:
            return 0
        tails, heads, upper, lower = self.tails, self.heads, self.upper, self.lower
        cost = np.zeros(len(tails), dtype=np.int64)
        cost[self.pair_arcs] = -values[self.use].astype(np.int64)
        free = np.flatnonzero(upper > lower)
        arc_flow = lower.copy()
        if len(free):
            arc_flow[free] += _min_cost_flow(
                tails, heads, upper - lower, cost, lower, self.supply, free
            )
        self.arc_flow = arc_flow
        self.levels += 1
        optimum = -int(cost[self.pair_arcs][arc_flow[self.pair_arcs] > 0].sum())
        if (face or flips) and len(free):
            reduced = _reduced_costs(
                self.nodes,
                tails[free],
                heads[free],
                cost[free],
                arc_flow[free] - lower[free],
                (upper - lower)[free],
            )
            if flips:
                self._flip_graph = (
                    free,
                    reduced,
                    arc_flow[free] - lower[free],
                    upper[free] - lower[free],
                )
            if face:
                upper[free[reduced > 0]] = lower[free[reduced > 0]]
                lower[free[reduced < 0]] = upper[free[reduced < 0]]
        return optimum

    @functools.cached_property
    def flip_loss(self) -> np.ndarray:
        """Per household, the least cost increase of a flow that changes its status, on the
        level optimised with `flips` (zero for every household when there was none):
        the cheapest cycle through its entry arc (from the source or its pool) in that
        level's residual graph, whose arcs cost their reduced costs (all >= 0 at an
        optimum): forward (housing it) reduced cost + distance household → entry tail,
        backward (not housing it) -reduced + distance entry tail → household. A household
        whose status cannot change gets a huge loss. Found on first use: a relaxation that
        the proposal attains never needs it."""
        H = self.H
        if self._flip_graph is None:
            return np.zeros(H, dtype=np.int64)
        nodes = self.nodes
        free, reduced, flow, capacity = self._flip_graph
        tails, heads = self.tails[free], self.heads[free]
        fwd, bwd = flow < capacity, flow > 0
        r_tail = np.concatenate([tails[fwd], heads[bwd]])
        r_head = np.concatenate([heads[fwd], tails[bwd]])
        r_cost = np.concatenate([reduced[fwd], -reduced[bwd]])
        out = np.full(H, NO_PATH, dtype=np.int64)
        is_entry = free < H  # the first H arcs are the households' entry arcs
        for tail in np.unique(tails[is_entry]):
            from_tail = _distances(nodes, r_tail, r_head, r_cost, int(tail))
            to_tail = _distances(nodes, r_head, r_tail, r_cost, int(tail))
            arcs = is_entry & (tails == tail)
            k, rc, f = heads[arcs], reduced[arcs], flow[arcs]
            house = (f == 0) & (to_tail[k] < NO_PATH)
            leave = (f > 0) & (from_tail[k] < NO_PATH)
            out[k[house]] = rc[house] + to_tail[k[house]]
            out[k[leave]] = -rc[leave] + from_tail[k[leave]]
        return out

    def ban(self, pairs: np.ndarray) -> None:
        """The pairs in `pairs` (bool per pair) carry no flow from now on (a pair the face
        forces in cannot be banned: ValueError)."""
        arcs = np.flatnonzero(pairs[self.use])
        if (self.lower[self.pair_arcs][arcs] > 0).any():
            raise ValueError("a pair on every optimum of the face cannot be banned")
        self.upper[self.pair_arcs.start + arcs] = 0

    def face(self) -> Face:
        """The optimal face after the last level optimised with `face`, as constraints on
        a matching (see `Face`)."""
        H, D = self.H, self.D
        pair_upper = self.upper[self.pair_arcs]
        pair_lower = self.lower[self.pair_arcs]
        on = self.chosen_fixed.copy()
        forced = self.chosen_fixed.copy()
        on[self.use[pair_upper > 0]] = True
        forced[self.use[pair_lower > 0]] = True
        sink = slice(H + len(self.use), H + len(self.use) + D)
        return Face(on=on, forced=forced, housed=self.lower[:H] > 0, filled=self.lower[sink] > 0)

    def chosen(self) -> np.ndarray:
        """Bool per pair: the fixed pairs and the current optimal flow's pairs."""
        out = self.chosen_fixed.copy()
        if len(self.use):
            out[self.use[self.arc_flow[self.pair_arcs] > 0]] = True
        return out

    def open_households(self) -> np.ndarray:
        """Households housed in some optimal matching and not in another (on the faces of
        every level so far). Every flow on the free arcs is optimal (their reduced costs
        are 0), so the optimal matchings differ from the current one by cycles of the
        residual graph of free arcs; a household's entry arc lies on such a cycle exactly
        when the household and the arc's tail (the source or its pool) are strongly
        connected there."""
        free = np.flatnonzero(self.upper > self.lower)
        flow, upper, lower = self.arc_flow[free], self.upper[free], self.lower[free]
        tails, heads = self.tails[free], self.heads[free]
        fwd, bwd = flow < upper, flow > lower
        r_tail = np.concatenate([tails[fwd], heads[bwd]])
        r_head = np.concatenate([heads[fwd], tails[bwd]])
        nodes = self.nodes
        graph = coo_matrix(
            (np.ones(len(r_tail), dtype=np.int8), (r_tail, r_head)), shape=(nodes, nodes)
        ).tocsr()
        _, label = connected_components(graph, directed=True, connection="strong")
        households = np.arange(self.H)
        entry_free = self.upper[: self.H] > self.lower[: self.H]
        return households[entry_free & (label[: self.H] == label[self.tails[: self.H]])]


def lexicographic_matching(
    H: int,
    D: int,
    h: np.ndarray,
    d: np.ndarray,
    levels: list[np.ndarray],
    fixed: np.ndarray | None = None,
    pools: Sequence[tuple[np.ndarray, int]] = (),
) -> np.ndarray:
    """`LexFlow` over all `levels` at once. Returns a bool per pair."""
    flow = LexFlow(H, D, h, d, fixed, pools)
    for k, values in enumerate(levels):
        flow.optimise(values, face=k < len(levels) - 1)
    return flow.chosen()


def _min_cost_flow(
    tails: np.ndarray,
    heads: np.ndarray,
    capacity: np.ndarray,
    cost: np.ndarray,
    lower: np.ndarray,
    supply: np.ndarray,
    free: np.ndarray,
) -> np.ndarray:
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


#: "No such path": above any real cost sum.
NO_PATH = np.iinfo(np.int64).max // 4


def _distances(
    nodes: int, tails: np.ndarray, heads: np.ndarray, cost: np.ndarray, source: int
) -> np.ndarray:
    """Shortest-path distances from `source` (NO_PATH where unreachable); costs >= 0.
    Bellman-Ford in whole arrays, relaxing only arcs whose tail improved."""
    dist = np.full(nodes, NO_PATH, dtype=np.int64)
    dist[source] = 0
    active = np.zeros(nodes, dtype=bool)
    active[source] = True
    for _ in range(nodes + 1):
        sel = np.flatnonzero(active[tails])
        if len(sel) == 0:
            return dist
        candidate = dist[tails[sel]] + cost[sel]
        better = candidate < dist[heads[sel]]
        if not better.any():
            return dist
        new = dist.copy()
        np.minimum.at(new, heads[sel[better]], candidate[better])
        active = new < dist
        dist = new
    return dist


def _reduced_costs(
    nodes: int,
    tails: np.ndarray,
    heads: np.ndarray,
    cost: np.ndarray,
    arc_flow: np.ndarray,
    capacity: np.ndarray,
) -> np.ndarray:
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
