"""The LP relaxation of a stage as a rigorous bound (allocator.bounds, source ``lp``).

The stage of component k over the model's pairs, with the round rules as in the CP-SAT
model (allocator.rules: capacities as rows, exclusions with one [0, 1] variable per mixed
scope) and the earlier components held no worse than the proposal's values:

    max g_k·x  s.t.  row_lower <= A·x <= row_upper,  col_lower <= x <= col_upper.

It is solved by HiGHS's simplex (highspy) by column generation: each household's best pairs
first, then the pairs of positive reduced cost, re-solved from the basis (`_priced_lp`); most
pairs of a round never enter the LP. The solver's optimum is a float and may be slightly
off, so the bound is not taken from it: for *any* row multipliers π, weak duality gives

    g_k·x = π·A·x + (g_k - Aᵀπ)·x
          <= Σ_i (π_i·row_upper_i if π_i > 0 else π_i·row_lower_i)
             + Σ_j max((g_k - Aᵀπ)_j·col_lower_j, (g_k - Aᵀπ)_j·col_upper_j),

evaluated here from the solver's duals with a margin for float rounding, then floored
(the objective is integral). A wrong or inexact dual only makes the bound weaker, never
invalid.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import sparse

from allocator.model import AllocationModel
from allocator.objective import Component
from allocator.pairs import group_positions
from allocator.rules import ROUND_RULES
from allocator.rules.base import CapacityRule, ExclusionRule

#: Pairs above which the LP is not tried (its solve time grows faster than its use).
MAX_PAIRS = 400_000


class StageRows:
    """Rows lower <= Σ vals·x[cols] <= upper of a stage, added one at a time."""

    def __init__(self) -> None:
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, cols: np.ndarray, vals: np.ndarray | float, lower: float, upper: float) -> None:
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), len(cols)).copy())
        self.lower.append(lower)
        self.upper.append(upper)

    def csr(self, width: int) -> sparse.csr_matrix:
        lengths = np.array([len(c) for c in self.cols], dtype=np.int64)
        rows = np.repeat(np.arange(len(self.cols), dtype=np.int64), lengths)
        cols = np.concatenate(self.cols) if self.cols else np.zeros(0, dtype=np.int64)
        vals = np.concatenate(self.vals) if self.vals else np.zeros(0)
        return sparse.csr_matrix((vals, (rows, cols)), shape=(len(self.lower), width))


def exclusion_scopes(m: AllocationModel) -> list[tuple[np.ndarray, np.ndarray]]:
    """(first-kind pairs, second-kind pairs) per exclusion scope that has both."""
    out = []
    for rule in ROUND_RULES:
        if isinstance(rule, ExclusionRule) and rule.enabled(m.data.policy):
            out += rule.conflicts(m.pairs)
    return out


def capacity_rows(m: AllocationModel) -> list[tuple[np.ndarray, int]]:
    """(pairs, bound) of every capacity that can bind."""
    out = []
    for rule in ROUND_RULES:
        if isinstance(rule, CapacityRule) and rule.enabled(m.data.policy):
            out += rule.rows(m.pairs)
    return out


def round_rows(m: AllocationModel) -> tuple[StageRows, list[tuple[np.ndarray, np.ndarray]]]:
    """The rows of the round over the model's pairs, as in the CP-SAT model
    (allocator.rules): at most one pair per household and per dwelling, every capacity,
    and per mixed exclusion scope s (column n + s) the first kind only with y_s, the
    second only with 1 - y_s.

    The exclusion rows are summed per household and per dwelling of the scope:
    Σ_{d in s} x_hd <= y_s for a first-kind household h (it takes one dwelling at most),
    Σ_{h first kind} x_hd <= y_s for a dwelling d of s (it takes one household), and
    likewise with 1 - y_s. Every integral proposal keeps them, and they imply the
    per-pair rows x_p <= y_s; the LP is much tighter (horizon-random: the tier-2 bound
    575,756 -> 573,100, the optimum; benchmarks/README.md, issue 18).
    Returns the rows and the scopes (in column order)."""
    pairs = m.pairs
    n = len(pairs)
    rows = StageRows()
    for groups in (m.pairs_of_household, m.pairs_of_dwelling):
        for g in groups.values():
            if len(g) > 1:
                rows.add(g, 1.0, -np.inf, 1.0)
    for members, cap in capacity_rows(m):
        rows.add(members, 1.0, -np.inf, float(cap))
    scopes = exclusion_scopes(m)
    for s, (one, two) in enumerate(scopes):
        y = n + s
        # first kind: Σ x - y_s <= 0; second kind: Σ x + y_s <= 1.
        for members, sign, upper in ((one, -1.0, 0.0), (two, 1.0, 1.0)):
            for side in (pairs.h, pairs.d):
                for g in group_positions(side[members]).values():
                    coef = np.append(np.ones(len(g)), sign)
                    rows.add(np.append(members[g], y), coef, -np.inf, upper)
    return rows, scopes


def stage_lp(
    m: AllocationModel,
    components: list[Component],
    k: int,
    chosen: np.ndarray,
    fix: np.ndarray | None = None,
    ban: np.ndarray | None = None,
) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(cost, A, row_lower, row_upper, col_lower, col_upper) of component k's stage;
    pairs in `fix` (bool per pair) forced to 1 and in `ban` to 0 (a restriction of the
    stage: its optimum then bounds nothing, it only guides a hint)."""
    pairs = m.pairs
    n = len(pairs)
    rows, scopes = round_rows(m)
    for c in components[:k]:
        g = c.gain.astype(np.int64)
        nz = np.flatnonzero(g)
        if len(nz):
            rows.add(nz, g[nz].astype(np.float64), float(int(g[chosen].sum())), np.inf)
    width = n + len(scopes)
    A = rows.csr(width)
    cost = np.zeros(width)
    cost[:n] = components[k].gain
    col_lower = np.zeros(width)
    col_lower[pairs.pinned_pairs()] = 1.0
    col_upper = np.ones(width)
    if fix is not None:
        col_lower[:n][fix] = 1.0
    if ban is not None:
        col_upper[:n][ban] = 0.0
    return cost, A, np.array(rows.lower), np.array(rows.upper), col_lower, col_upper


def dual_bound(
    cost: np.ndarray,
    A: sparse.csr_matrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    pi: np.ndarray,
) -> float:
    """Weak duality for max cost·x: an upper bound for any multipliers `pi` (a row's
    multiplier is dropped where the side it needs is infinite)."""
    pi = np.where((pi > 0) & ~np.isfinite(row_upper), 0.0, pi)
    pi = np.where((pi < 0) & ~np.isfinite(row_lower), 0.0, pi)
    side = np.where(pi > 0, row_upper, np.where(pi < 0, row_lower, 0.0))
    rows_part = pi * np.where(pi != 0, side, 0.0)
    reduced = cost - A.T @ pi
    cols_part = np.maximum(reduced * col_lower, reduced * col_upper)
    total = float(rows_part.sum() + cols_part.sum())
    return total + _rounding_margin(cost, A, col_lower, col_upper, pi, rows_part, cols_part)


def _rounding_margin(
    cost: np.ndarray,
    A: sparse.csr_matrix,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    pi: np.ndarray,
    rows_part: np.ndarray,
    cols_part: np.ndarray,
) -> float:
    """An upper bound on the float rounding error of `dual_bound`'s sum, so that the sum
    plus it is above the exact value. Each reduced cost is a dot product of at most
    (nonzeros of its column + 1) terms, each error at most that many units of rounding
    times the magnitudes summed (|cost_j| + Σ_i |a_ij·π_i|), scaled by the column's
    largest bound; the two final sums (pairwise in numpy) add log2(terms) + 8 units of
    their magnitudes. One unit is taken as eps (twice the unit roundoff), and the whole
    is doubled. The old margin of 1e-9 of all magnitudes was 50 gain units at fit scale
    (horizon-binding), where this one is 0.002-0.05."""
    eps = float(np.finfo(np.float64).eps)
    per_column = np.bincount(A.indices, minlength=A.shape[1]) if A.nnz else np.zeros(1, int)
    terms = len(rows_part) + len(cols_part)
    depth = int(per_column.max(initial=0)) + 2 + math.ceil(math.log2(max(2, terms))) + 8
    reach = np.maximum(np.abs(col_lower), np.abs(col_upper))
    magnitudes = np.abs(cost) + abs(A).T @ np.abs(pi)
    columns = float((magnitudes * reach).sum())
    sums = float(np.abs(rows_part).sum() + np.abs(cols_part).sum())
    return depth * eps * (columns + sums) * 2 + 1e-6


def lp_bound(
    m: AllocationModel,
    components: list[Component],
    k: int,
    chosen: np.ndarray,
    deadline: float,
) -> int | None:
    """A rigorous upper bound on component k's gain over its stage (see the module), or
    None when there is no time or the LP solver gives no duals."""
    return solve_stage_lp(m, components, k, chosen, deadline)[0]


def solve_stage_lp(
    m: AllocationModel,
    components: list[Component],
    k: int,
    chosen: np.ndarray,
    deadline: float,
    fix: np.ndarray | None = None,
    ban: np.ndarray | None = None,
) -> tuple[int | None, np.ndarray | None]:
    """(the bound of `lp_bound`, the LP's values of the pair variables) — either None
    when there is no time or the solver gives nothing usable. With `fix` or `ban` (see
    `stage_lp`) the first is None: a restricted LP bounds nothing."""
    if len(m.pairs) > MAX_PAIRS:
        return None, None
    if deadline - time.monotonic() < 1.0:
        return None, None
    cost, A, lo, up, c_lo, c_up = stage_lp(m, components, k, chosen, fix, ban)
    restricted = fix is not None or ban is not None
    if len(cost) == 0:
        return None if restricted else 0, np.zeros(0)
    if A.shape[0] == 0 and not restricted:
        return math.floor(dual_bound(cost, A, lo, up, c_lo, c_up, np.zeros(0))), None
    n = len(m.pairs)
    first = np.zeros(len(cost), dtype=bool)
    first[:n] = _best_per_household(m.pairs.h, cost[:n], np.ones(n, dtype=bool), START_COLUMNS)
    first[:n] |= chosen
    first[n:] = True  # the exclusion scopes' variables
    first |= c_lo > 0  # pins and fixed pairs
    x, bound = _priced_lp(cost, A, lo, up, c_lo, c_up, first, m.pairs.h, deadline)
    if restricted or bound is None or not math.isfinite(bound):
        return None, x
    return math.floor(bound), x


#: Pairs per household the column generation starts with (its best by the stage's gain)
#: and adds per pricing round (its best by reduced cost).
START_COLUMNS = 10
PRICED_COLUMNS = 10
#: A reduced cost above this prices a pair into the LP.
PRICE_TOLERANCE = 1e-7


def _best_per_household(h: np.ndarray, score: np.ndarray, among: np.ndarray, k: int) -> np.ndarray:
    """Bool per pair: among `among`, each household's k pairs of highest score."""
    cand = np.flatnonzero(among)
    out = np.zeros(len(h), dtype=bool)
    if len(cand) == 0:
        return out
    order = cand[np.lexsort((-score[cand], h[cand]))]
    households = h[order]
    starts = np.r_[0, np.flatnonzero(np.diff(households)) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    out[order[rank < k]] = True
    return out


def _priced_lp(
    cost: np.ndarray,
    A: sparse.csr_matrix,
    lo: np.ndarray,
    up: np.ndarray,
    c_lo: np.ndarray,
    c_up: np.ndarray,
    first: np.ndarray,
    household: np.ndarray,
    deadline: float,
) -> tuple[np.ndarray | None, float | None]:
    """max cost·x over the rows by column generation: HiGHS's simplex on the columns in
    `first`, then, while a pair outside has a positive reduced cost, each household's
    best such pairs added and the LP re-solved from its basis. Every column of the stage
    is priced each round, so the dual bound (`dual_bound` over all columns, the least
    over the rounds) is rigorous at any point, and the LP's solution (the pairs outside
    at 0) is a solution of the whole LP. Returns (x of the pair columns, the bound), None
    where there is none. Measured on horizon-binding's tier-2 stage (310,019 columns):
    5 rounds, 56,813 columns, 2.2 s, the bound of the whole LP (585,369) where the whole
    LP took 15.9 s."""
    import highspy

    n = len(household)
    csc = A.tocsc()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    none_i, none_f = np.zeros(0, dtype=np.int32), np.zeros(0)
    h.addRows(
        A.shape[0],
        np.where(np.isfinite(lo), lo, -inf),
        np.where(np.isfinite(up), up, inf),
        0,
        none_i,
        none_i,
        none_f,
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    inside = np.zeros(len(cost), dtype=bool)
    order = np.zeros(0, dtype=np.int64)  # the LP's columns, in the order they were added
    free = c_up > c_lo
    new = np.flatnonzero(first)
    x: np.ndarray | None = None
    best: float | None = None
    while len(new):
        block = csc[:, new]
        h.addCols(
            len(new),
            cost[new],
            c_lo[new],
            c_up[new],
            block.nnz,
            block.indptr[:-1].astype(np.int32),
            block.indices.astype(np.int32),
            block.data,
        )
        inside[new] = True
        order = np.concatenate([order, new])
        left = deadline - time.monotonic()
        if left < 0.2:
            break
        h.setOptionValue("time_limit", float(left))
        h.run()
        solution = h.getSolution()
        if not solution.dual_valid:
            break
        pi = np.asarray(solution.row_dual, dtype=np.float64)
        bound = dual_bound(cost, A, lo, up, c_lo, c_up, pi)
        best = bound if best is None else min(best, bound)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            # Out of time: the simplex's point need not be feasible; the last optimal
            # round's is (the columns added since at 0).
            break
        values = np.zeros(len(cost))
        values[order] = np.asarray(solution.col_value)
        x = values[:n]
        reduced = cost - A.T @ pi
        priced = ~inside & free & (reduced > PRICE_TOLERANCE)
        # Only pair columns are ever outside (the scope variables start inside).
        new = np.flatnonzero(
            _best_per_household(household, reduced[:n], priced[:n], PRICED_COLUMNS)
        )
    return x, best
