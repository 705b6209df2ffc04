"""The objective, declared once (DOMAIN.md §4): ordered tiers, each made of components that
are linear in the pair variables, then the tie-break.

1. ``deadline_breaches`` (min) and ``deadline_days_over`` (min): the deadline clocks that
   are switched on, weighted per clock (allocator.rules.r7_clocks);
2. ``priority_waiting`` (max): housing points of housed households;
   (extra components, e.g. the meeting's ``stability``, enter here by `with_extra`)
3. ``fit`` (min): preference rank, spare bedrooms, school travel, vacancy loss, burden;
4. the tie-break: among proposals equal on the tiers above, the one whose earliest
   (approved_on, id) household in the symmetric difference of the housed sets is housed
   wins (serial order). It is exact: households are taken in that order in blocks whose
   weights are powers of two (each household outweighs every later one of its block), one
   component per block, solved in order; then ``tiebreak_assignment`` settles which
   dwelling each housed household gets by a fixed pseudo-random number of the ids.

Everything that ranks pairs or proposals derives from this module: the CP-SAT model's
components, the warm start's pair values, the dominance reduction, the whole-stock pair
selection, the ranking of alternates and `recommend`.

Components are packed into one exact CP-SAT solve (a *stage*) while the scaled sum stays
below 2^52: each component's scale exceeds the whole range of the ones below it, so the
packed objective orders solutions exactly lexicographically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from allocator.rules import r7_clocks
from models.policy import Policy

if TYPE_CHECKING:
    from allocator.pairs import Pairs

#: Largest objective range a stage may have (integers stay exact in a double).
SAFE_RANGE = 2**52
#: Households per tie-break block at most (weights 2^(B-1) .. 1 stay exact in a stage).
TIE_BLOCK = 50
#: Pseudo-random bits of the assignment tie-break at most.
TIE_RANDOM_BITS = 20

Sense = Literal["min", "max"]


@dataclass(frozen=True)
class Component:
    """value = constant + Σ weights[p]·x[p]; `sense` says which way is better."""

    name: str
    sense: Sense
    constant: int
    weights: np.ndarray

    @property
    def gain(self) -> np.ndarray:
        """Weights oriented so that larger is better."""
        return self.weights if self.sense == "max" else -self.weights

    def span(self, matches: int) -> tuple[int, int]:
        """(lowest, highest) total gain any proposal of at most `matches` pairs can have."""
        g = self.gain

        def top(a: np.ndarray) -> int:
            return int(np.sort(a)[-matches:].sum()) if len(a) else 0

        return -top(-g[g < 0]), top(g[g > 0])

    def value(self, chosen: np.ndarray) -> int:
        return int(self.constant + int(self.weights[chosen].sum()))


@dataclass(frozen=True)
class Term:
    """One component of the objective, as a function of the candidate pairs."""

    name: str
    sense: Sense
    weights: Callable[[Pairs], np.ndarray]
    constant: Callable[[Pairs], int] = lambda pairs: 0

    def component(self, pairs: Pairs) -> Component:
        return Component(
            self.name,
            self.sense,
            int(self.constant(pairs)),
            np.asarray(self.weights(pairs), dtype=np.int64),
        )


def _deadline_terms(which: Callable[[Pairs], np.ndarray], suffix: str = "") -> list[Term]:
    """Breaches and days over of the clocks `which` selects (per household)."""

    def gains(pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
        return r7_clocks.gains(
            pairs.data, pairs.h, pairs.d, pairs.move_in, pairs.unmatched_over, which(pairs)
        )

    def totals(pairs: Pairs) -> tuple[int, int]:
        return r7_clocks.unmatched_totals(pairs.data, pairs.unmatched_over_h, which(pairs))

    return [
        Term("deadline_breaches" + suffix, "min", lambda p: -gains(p)[0], lambda p: totals(p)[0]),
        Term("deadline_days_over" + suffix, "min", lambda p: -gains(p)[1], lambda p: totals(p)[1]),
    ]


PRIORITY_WAITING = Term("priority_waiting", "max", lambda p: p.housing)
FIT = Term("fit", "min", lambda p: p.fit)


@dataclass(frozen=True)
class Objective:
    """The ranked terms in order, and terms only measured (clocks switched off)."""

    terms: tuple[Term, ...]
    measured: tuple[Term, ...] = ()

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.terms]

    def with_extra(self, term: Term, after: str) -> Objective:
        """The objective with `term` ranked right after the term named `after`."""
        at = self.names.index(after) + 1
        return replace(self, terms=(*self.terms[:at], term, *self.terms[at:]))

    def components(self, pairs: Pairs) -> tuple[list[Component], list[Component]]:
        return (
            [t.component(pairs) for t in self.terms],
            [t.component(pairs) for t in self.measured],
        )

    def gains(self, pairs: Pairs) -> list[np.ndarray]:
        """Per ranked term, each pair's gain (larger is better), most significant first."""
        return [t.component(pairs).gain for t in self.terms]

    def rank_keys(self, pairs: Pairs) -> tuple[np.ndarray, ...]:
        """np.lexsort keys (least significant first) ordering pairs best first: by every
        term's gain, then the household's serial order, then the fixed jitter."""
        gains = self.gains(pairs)
        return (pairs.tie_jitter, pairs.data.order[pairs.h], *[-g for g in reversed(gains)])


def default_objective(policy: Policy) -> Objective:
    """The objective of a round under `policy`: the deadline tier over the clocks switched
    on, priority and waiting, fit. Breaches of clocks switched off are measured, not
    ranked (named with "_off" beside a ranked tier 1, plainly when no clock is on)."""
    from allocator.rules.registry import CLOCKS

    off = _deadline_terms(lambda p: p.data.has_clock & ~p.data.ranked)
    if not any(c.enabled(policy) for c in CLOCKS):
        return Objective(terms=(PRIORITY_WAITING, FIT), measured=tuple(off))
    if all(c.enabled(policy) for c in CLOCKS):
        off = []
    else:
        off = _deadline_terms(lambda p: p.data.has_clock & ~p.data.ranked, "_off")
    ranked = _deadline_terms(lambda p: p.data.ranked)
    return Objective(terms=(*ranked, PRIORITY_WAITING, FIT), measured=tuple(off))


#: The stability term is ranked right after this one.
STABILITY_AFTER = "priority_waiting"
STABILITY_TIER = "stability"


def _kept(pairs: Pairs, previous: list[tuple[str, str]]) -> np.ndarray:
    """1 for the previous matches that are still candidate pairs, else 0."""
    data = pairs.data
    wanted = {
        (data.household_index[h], data.dwelling_index[d])
        for h, d in previous
        if h in data.household_index and d in data.dwelling_index
    }
    return np.array(
        [(int(a), int(b)) in wanted for a, b in zip(pairs.h, pairs.d, strict=True)], dtype=np.int64
    )


def stable_objective(policy: Policy, previous: Sequence[tuple[str, str]]) -> Objective:
    """The default objective with a ``stability`` term right after priority and waiting:
    keep as many of the `previous` (household, dwelling) matches as the higher tiers allow
    (the meeting's re-solve, and `recommend`'s what-ifs). Deadlines and priority decide
    who is housed and never yield to it; it ranks above fit, so households are not moved
    around for a small fit gain once the meeting has seen a proposal."""
    kept = list(previous)
    term = Term(STABILITY_TIER, "max", lambda pairs: _kept(pairs, kept))
    return default_objective(policy).with_extra(term, after=STABILITY_AFTER)


# -- the tie-break ---------------------------------------------------------------------


def tie_block_size(limit: int) -> int:
    """Households per block so that the largest weight stays within `limit` and a stage's
    range within SAFE_RANGE."""
    return max(1, min(TIE_BLOCK, limit.bit_length() - 1))


def tie_components(
    pairs: Pairs, households: Sequence[int], block: int, random_bits: int
) -> list[Component]:
    """The serial-order tie-break over `households` (a superset of those whose housed
    status can still change, in (approved_on, id) order): one component per block of
    `block` households, weights 2^(block-1-j) for the j-th household's pairs; then the
    assignment tie (lowest jitter) with `random_bits` bits per pair."""
    out = []
    position = np.full(pairs.data.H, -1, dtype=np.int64)
    position[np.asarray(households, dtype=np.int64)] = np.arange(len(households))
    j = position[pairs.h]
    blocks = math.ceil(len(households) / block)
    for k in range(blocks):
        inside = (j >= k * block) & (j < (k + 1) * block)
        weights = np.where(
            inside, np.left_shift(1, np.maximum(0, block - 1 - (j - k * block))), 0
        ).astype(np.int64)
        out.append(Component("tiebreak" if k == 0 else f"tiebreak_{k + 1}", "max", 0, weights))
    if random_bits > 0:
        jitter = (pairs.tie_jitter % np.uint64(1 << random_bits)).astype(np.int64)
        out.append(Component("tiebreak_assignment", "min", 0, jitter))
    return out


def serial_order(pairs: Pairs, households: np.ndarray) -> list[int]:
    """`households` (indices) sorted by (approved_on, id)."""
    order = pairs.data.order
    return sorted((int(h) for h in households), key=lambda h: int(order[h]))


# -- packing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    components: tuple[Component, ...]
    scales: tuple[int, ...]  # per component, most significant first
    lows: tuple[int, ...]  # lowest total gain per component

    @property
    def name(self) -> str:
        return "+".join(c.name for c in self.components)

    def gain(self) -> np.ndarray:
        total = np.zeros(len(self.components[0].weights), dtype=np.int64)
        for c, s in zip(self.components, self.scales, strict=True):
            total += c.gain.astype(np.int64) * s
        return total

    @property
    def constant(self) -> bool:
        return not any(np.any(c.weights) for c in self.components)


def pack(components: list[Component], matches: int) -> list[Stage]:
    """Greedily pack consecutive components into stages whose range stays below 2^52."""
    stages: list[Stage] = []
    current: list[tuple[Component, int, int]] = []  # component, range + 1, low
    for c in components:
        low, high = c.span(matches)
        width = high - low + 1
        if current and math.prod(w for _, w, _ in current) * width >= SAFE_RANGE:
            stages.append(_stage(current))
            current = []
        current.append((c, width, low))
    if current:
        stages.append(_stage(current))
    return stages


def _stage(parts: list[tuple[Component, int, int]]) -> Stage:
    scales = []
    for k in range(len(parts)):
        scales.append(math.prod(w for _, w, _ in parts[k + 1 :]))
    return Stage(tuple(c for c, _, _ in parts), tuple(scales), tuple(low for _, _, low in parts))
