"""The best valid bound known for every tier of a proposal (issue 18, item 1).

What a tier's bound means. The tiers are solved in order, each held no worse than the value
found before the next is solved. So the bound of component k is a bound on

    P_k = the proposals that keep every pin and round rule and are no worse than this
          proposal on every ranked component before k,

    max over P_k of gain_k  <=  bound_k     (gain = value for "max", -value for "min").

When the earlier tiers are proven optimal, P_k is the set of lexicographic optima of the
tiers above, and bound_k bounds the true optimum of tier k. When they are not, a proposal
worse than ours on an earlier tier may do better on tier k than bound_k; such a proposal is
worse lexicographically, so the bound still says how much tier k can gain without giving
up anything above it. The proposal itself is in P_k, so a valid bound is never on the wrong
side of the objective; `improve` checks that and raises if one were.

The sources, tightest taken (each is valid on its own):

- ``cp-sat``: the stage's best objective bound (allocator.lexicographic). The stage held
  the earlier stages no worse than the values found then (at most ours), a superset of P_k.
- ``relaxation``: the lexicographic min-cost flow with the round rules dropped
  (allocator.warmstart.relaxation), when the proposal attains it on every component before
  k: it maximises each component on the optimal face of the ones before, so every
  proposal in P_k is on that face and gains at most the relaxation's value on k.
- ``flow``: a Lagrangian bound. With R the relaxed set (one dwelling per household and
  one household per dwelling, pins, household pools; round rules dropped) and E any
  non-negative combination of the earlier components' gains (here their exact
  lexicographic stack, or the one just before k), every x in P_k has E(x) >= E(ours), so
  for every λ >= 0:  gain_k(x) <= max over R of [gain_k + λ·(E - E(ours))]. Each λ is
  one min-cost flow, exact in integers; λ = 0 is the component's own assignment bound.
  λ is searched by bisection on the subgradient's sign, every evaluation a valid bound.
- ``lp``: the LP relaxation of the stage (allocator.lp_bound), made rigorous by
  evaluating the dual objective of the LP solver's duals ourselves.
- ``range``: per household, its best gain, summed over the best `matches` households.

Bounds are integers (every component is integral) of at most 2^52 in magnitude
(allocator.objective.SAFE_RANGE), so they are exact in the proposal's floats.

The model's pairs may be fewer than the round's candidate pairs: the dominance reduction
(Pairs.undominated) keeps every lexicographic optimum, so bounds over the model's pairs are
bounds for the round wherever the tiers above are proven optimal; for a sparsified
whole-stock model they cover the selected pairs only, and the tier's note says so.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from allocator.lexflow import flow_cost_limit
from allocator.lexicographic import LexResult, relative_gap
from allocator.model import AllocationModel
from allocator.objective import SAFE_RANGE, Component
from allocator.warmstart import relaxed_flow, stacked_gains
from models.proposal import TierResult

#: Lagrangian flows per component at most (each is one min-cost flow over the pairs).
MAX_FLOWS = 14

#: Order in which equal bounds are credited (the cheapest, most explainable first).
_PREFERENCE = ("relaxation", "sub-solve", "cp-sat", "lp", "flow", "range")


#: Tiers whose stage LP is tried first (the goals of issue 18 are on them).
_LP_FIRST = ("priority_waiting", "fit")


class InvalidBound(AssertionError):
    """A computed bound is below the proposal's own value: a bug, never reported."""


@dataclass(frozen=True)
class Bound:
    gain: int  # in gain form: larger is better, the component's value is constant ± gain
    source: str


def to_gain(c: Component, value: float) -> int:
    v = int(round(value))
    return v - c.constant if c.sense == "max" else c.constant - v


def to_value(c: Component, gain: int) -> int:
    return c.constant + gain if c.sense == "max" else c.constant - gain


def range_bound(m: AllocationModel, c: Component) -> int:
    """Largest gain any matching of the model's pairs can have on `c` alone: each
    household at most once, with its best positive gain, the best `matches` of them; and
    the same per dwelling; the smaller of the two. Pins are counted at their own gain."""
    pairs = m.pairs
    gain = c.gain.astype(np.int64)
    pinned = np.asarray(pairs.pinned_pairs(), dtype=np.int64)
    fixed = int(gain[pinned].sum()) if len(pinned) else 0
    free = np.ones(len(pairs), dtype=bool)
    if len(pinned):
        free &= ~np.isin(pairs.h, pairs.h[pinned]) & ~np.isin(pairs.d, pairs.d[pinned])
    out = []
    for side, size in ((pairs.h, m.data.H), (pairs.d, m.data.D)):
        best = np.zeros(size, dtype=np.int64)
        np.maximum.at(best, side[free], np.maximum(gain[free], 0))
        top = np.sort(best)[::-1][: m.matches]
        out.append(int(top.sum()))
    return fixed + min(out)


def relaxation_bound(
    components: list[Component], k: int, chosen: np.ndarray, relaxed: dict[str, int] | None
) -> int | None:
    """The relaxation's value of component k (gain form) when the proposal attains the
    relaxation on every component before k, else None."""
    if relaxed is None or components[k].name not in relaxed:
        return None
    for c in components[:k]:
        if relaxed.get(c.name) != c.value(chosen):
            return None
    return to_gain(components[k], relaxed[components[k].name])


class Lagrangian:
    """max over R of Σ values·x, R = matchings of the model's pairs with the pins and the
    household pools (a relaxation of every proposal the model allows)."""

    def __init__(self, m: AllocationModel):
        data = m.data
        self.flow = relaxed_flow(data, m.pairs)
        # A margin below OR-Tools' cost range (its check is stricter on tiny networks).
        self.limit = flow_cost_limit(data.H, data.D) // 16
        self.matches = m.matches
        self.flows = 0

    def best(self, values: np.ndarray) -> np.ndarray:
        self.flow.optimise(values, face=False)
        self.flows += 1
        return self.flow.chosen()

    def bound(
        self,
        gain: np.ndarray,
        holds: list[tuple[np.ndarray, int]],
        deadline: float,
    ) -> int:
        """The smallest Lagrangian bound found on Σ gain·x over the proposals with
        Σ E·x >= e for every (E, e) in `holds` (one multiplier per hold, tried in turn)."""
        x = self.best(gain)
        best = int(gain[x].sum())
        if all(int(E[x].sum()) >= e for E, e in holds):
            return best  # λ = 0 is the minimum: the holds do not bind in the relaxation
        for E, e in holds:
            if time.monotonic() > deadline:
                break
            best = min(best, self._one(gain, E, e, deadline))
        return best

    def _values(self, gain: np.ndarray, E: np.ndarray, r: float) -> tuple[int, int] | None:
        """Integer weights (A, B) with B/A ≈ r whose values A·gain + B·E fit a flow."""
        g_max = int(np.abs(gain).max(initial=0))
        e_max = int(np.abs(E).max(initial=0))
        if r >= 1:
            a, b = 1, int(round(r))
        else:
            a, b = int(round(1 / r)), 1
        if a * g_max + b * e_max >= self.limit:
            return None
        return a, b

    def _one(self, gain: np.ndarray, E: np.ndarray, e: int, deadline: float) -> int:
        """Bisection on log λ for one hold Σ E·x >= e."""
        g_max = max(1, int(np.abs(gain).max(initial=0)))
        e_max = max(1, int(np.abs(E).max(initial=0)))
        hi = math.log((self.limit - 1 - g_max) / e_max) if self.limit > g_max + e_max else 0.0
        lo = -math.log(max(1, (self.limit - 1 - e_max) // g_max)) if self.limit > 2 * g_max else 0
        if hi <= lo:
            return int(np.iinfo(np.int64).max)
        best = int(np.iinfo(np.int64).max)

        def evaluate(log_r: float) -> int | None:
            nonlocal best
            ab = self._values(gain, E, math.exp(log_r))
            if ab is None:
                return None
            a, b = ab
            values = a * gain.astype(np.int64) + b * E.astype(np.int64)
            x = self.best(values)
            total = int(values[x].sum()) - b * e
            best = min(best, total // a)  # floor: Σ gain·x <= total / a, gain integral
            return int(E[x].sum()) - e  # a subgradient's sign: >= 0 means λ is large enough

        slope = evaluate(hi)
        if slope is None or slope < 0:
            return best  # even the largest λ leaves the hold unmet: that is the bound
        for _ in range(MAX_FLOWS - 1):
            if time.monotonic() > deadline or hi - lo < 1e-3:
                break
            mid = (lo + hi) / 2
            slope = evaluate(mid)
            if slope is None or slope >= 0:
                hi = mid
            else:
                lo = mid
        return best


def _holds(
    components: list[Component], k: int, chosen: np.ndarray, matches: int, limit: int
) -> list[tuple[np.ndarray, int]]:
    """Aggregated holds for component k: the exact stack of the earlier components (as
    many leading ones as fit a flow), and the component just before k alone."""
    earlier = components[:k]
    if not earlier:
        return []
    out = []
    stack, used = stacked_gains([c.gain for c in earlier], matches, limit // 4)
    if stack is not None:
        out.append((stack, int(stack[chosen].sum())))
    if stack is None or used < len(earlier) or len(earlier) > 1:
        last = earlier[-1].gain.astype(np.int64)
        if int(np.abs(last).max(initial=0)) < limit // 4 and np.any(last):
            out.append((last, int(last[chosen].sum())))
    return out


def improve(
    m: AllocationModel,
    lex: LexResult,
    relaxed: dict[str, int] | None,
    seconds: float,
    *,
    exact: bool = True,
    lp: bool = True,
    known: dict[str, tuple[int, list[int]]] | None = None,
) -> None:
    """Give every solved tier of `lex` the tightest valid bound known (in place):
    the one it has (CP-SAT's or a certificate), the relaxation's, a Lagrangian flow's,
    the LP's, or the range's. Flows and the LP only while `seconds` last, and only for
    tiers not proven. `relaxed` is the relaxation's values (None when it is no
    certificate). `exact`: the model holds every candidate pair, or its dominance
    reduction (else the bounds cover the selected pairs only). `known`: LP bounds found
    before the solve, {name: (bound in gain form, the gains it held on the model's
    components before it)}; one counts only if the proposal is no worse on each of those
    (then its P_k lies inside the LP's region)."""
    deadline = time.monotonic() + max(0.0, seconds)
    comps = lex.components
    by_name = {t.name: t for t in lex.tiers}
    chosen = lex.chosen
    model_names = [r.name for r in m.components]
    ranked = len([c for c in comps if c.name in model_names])
    lagrangian: Lagrangian | None = None
    open_: list[tuple[int, TierResult, int, list[Bound]]] = []
    # Pass 1, cheap: the bound the tier has, the relaxation's, the range's, and for the
    # ranked tiers the Lagrangian flows (a flow takes 0.05–0.2 s at horizon size).
    for k, c in enumerate(comps):
        tier = by_name.get(c.name)
        if tier is None or tier.objective is None:
            continue
        if tier.status not in ("OPTIMAL", "FEASIBLE"):
            continue
        value = int(round(tier.objective))
        if value != c.value(chosen):
            # The tier was reported on an earlier solution (a later stage moved on): its
            # own bound stays, no new one is computed for a value it no longer has, and
            # the note says so either way (the tier's value is not the proposal's).
            if tier.bound is None:
                _note(tier, "no bound: the value was found on an earlier solution")
            else:
                _note(
                    tier,
                    "value and bound found on an earlier solution "
                    f"(the proposal's value: {c.value(chosen)})",
                )
            continue
        own = to_gain(c, value)
        found: list[Bound] = []
        if tier.bound is not None:
            found.append(Bound(to_gain(c, tier.bound), tier.bound_source or "cp-sat"))
        if tier.status == "OPTIMAL" and tier.bound is not None:
            _set(tier, c, own, found, exact)
            continue
        if known and c.name in known:
            # `held` follows the model's components before c (lex.components may skip
            # some): each of them must be no worse, none left unchecked.
            got, held = known[c.name]
            before = model_names.index(c.name)
            if len(held) == before and all(
                int(e.gain[chosen].sum()) >= g
                for e, g in zip(m.components[:before], held, strict=True)
            ):
                found.append(Bound(got, "lp"))
        relax = relaxation_bound(comps, k, chosen, relaxed)
        if relax is not None:
            # The Lagrangian flow cannot beat it (its dual is the relaxation's face).
            found.append(Bound(relax, "relaxation"))
        found.append(Bound(range_bound(m, c), "range"))
        tight = min(b.gain for b in found) <= own
        # A stage LP bound found before the solve prices the caps the flows drop: the
        # flows are not tried beside it (horizon-random tier 2: LP 575,756, flows 581,560).
        priced = any(b.source == "lp" for b in found)
        if k < ranked and relax is None and not (tight or priced) and time.monotonic() < deadline:
            if lagrangian is None:
                lagrangian = Lagrangian(m)
            gain = c.gain.astype(np.int64)
            if int(np.abs(gain).max(initial=0)) < lagrangian.limit // 4:
                holds = _holds(comps, k, chosen, m.matches, lagrangian.limit)
                found.append(Bound(lagrangian.bound(gain, holds, deadline), "flow"))
        _set(tier, c, own, found, exact)
        has_lp = any(b.source == "lp" for b in found)
        if k < ranked and min(b.gain for b in found) > own and not has_lp:
            open_.append((k, tier, own, found))
    # Pass 2: the stage LP of each ranked tier still open while time lasts, tier 2 and
    # fit first (the goals of issue 18 are on them), then the others in order.
    first = _LP_FIRST
    open_.sort(key=lambda row: (comps[row[0]].name not in first, row[0]))
    for k, tier, own, found in open_ if lp else []:
        if time.monotonic() >= deadline:
            break
        from allocator.lp_bound import lp_bound

        lp_gain = lp_bound(m, comps, k, chosen, deadline)
        if lp_gain is not None:
            found.append(Bound(lp_gain, "lp"))
            _set(tier, comps[k], own, found, exact)


def _rank(source: str) -> int:
    return _PREFERENCE.index(source) if source in _PREFERENCE else len(_PREFERENCE)


def _set(tier: TierResult, c: Component, own: int, found: list[Bound], exact: bool) -> None:
    for b in found:
        if b.gain < own:
            raise InvalidBound(
                f"{c.name}: the {b.source} bound {to_value(c, b.gain)} is on the wrong side "
                f"of the proposal's value {to_value(c, own)}"
            )
    best = min(found, key=lambda b: (b.gain, _rank(b.source)))
    value = to_value(c, best.gain)
    if abs(value) >= SAFE_RANGE:
        _note(tier, "bound too large to report exactly")
        return
    tier.bound = value
    tier.bound_source = best.source
    tier.gap = relative_gap(to_value(c, own), value)
    if not exact and best.source not in ("relaxation", "sub-solve"):
        _note(tier, "bound over the model's selected pairs only (whole-stock sparsification)")


def _note(tier: TierResult, text: str) -> None:
    """Add `text` to the tier's note, keeping what it says already (e.g. why a tie-break
    is not proven); once, however often the tier's bound is set."""
    if tier.note is None:
        tier.note = text
    elif text not in tier.note:
        tier.note = f"{tier.note}; {text}"
