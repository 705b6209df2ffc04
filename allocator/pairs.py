"""Candidate pairs: only household–dwelling pairs that pass every pairwise hard rule.

The CP-SAT model gets one Boolean per candidate pair and nothing else, so the model stays
small (PERFORMANCE.md: create variables only for eligible pairs). Rules are evaluated on
blocks of households at once (numpy broadcasting), so memory stays bounded at any size.
For every rejected pair the first rejecting rule is known (`first_rejection`), which powers
the "why not" explanations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from allocator.data import RoundData
from allocator.rules import (
    CODE_NUMBER,
    CODES,
    PAIR_RULES,
    ROUND_RULES,
    r2_size,
    r3_location,
    r4_school,
    r5_spread,
    r7_clocks,
    r9_timing,
    r11_transfers,
)

#: Cells (households × dwellings) evaluated at once; bounds memory to a few hundred MB.
BLOCK_CELLS = 4_000_000


def group_positions(keys: np.ndarray) -> dict[int, np.ndarray]:
    """Positions of `keys` grouped by value, each group in position order (vectorised):
    the pairs of each household (keys = pairs.h) or of each dwelling (keys = pairs.d)."""
    if len(keys) == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(keys[order])) + 1)
    return {int(keys[g[0]]): g for g in groups}


def first_rejection(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """(len(hs), D) int: 0 when the pair passes every pairwise rule, else the number of the
    first rule (in registry order) that rejects it."""
    code = np.zeros((len(hs), data.D), dtype=np.int16)
    for number, rule in enumerate(PAIR_RULES, start=1):
        if not rule.enabled(data.policy):
            continue
        rejected = rule.reject(data, hs)
        code[(code == 0) & rejected] = number
    return code


def rejection_codes(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Like `first_rejection`, but pairs that pass the pairwise rules get the number of the
    first round filter rejecting them (numbers index `CODES`, 1-based; 0 = candidate)."""
    code = first_rejection(data, hs)
    rows, cols = np.nonzero(code == 0)
    h, d = hs[rows], cols
    for rule in ROUND_RULES:
        if not rule.enabled(data.policy):
            continue
        mask = rule.rejects_alone(data, h, d) & (code[rows, cols] == 0)
        code[rows[mask], cols[mask]] = CODE_NUMBER[rule.code]
    return code


def blocks(data: RoundData, hs: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    """Household index blocks sized to keep (block × D) under BLOCK_CELLS."""
    hs = np.arange(data.H) if hs is None else hs
    size = max(1, BLOCK_CELLS // max(1, data.D))
    for start in range(0, len(hs), size):
        yield hs[start : start + size]


def pair_rejections(data: RoundData, h: int) -> list[list[str]]:
    """For one household: per dwelling, every code that rejects the pair (pairwise rules
    and round filters), in registry order. Used for explanations and recommendations."""
    hs = np.array([h])
    off = np.zeros(data.D, dtype=bool)
    per_rule = [
        rule.reject(data, hs)[0] if rule.enabled(data.policy) else off for rule in PAIR_RULES
    ]
    d = np.arange(data.D)
    per_filter = [
        rule.rejects_alone(data, np.full(data.D, h), d) if rule.enabled(data.policy) else off
        for rule in ROUND_RULES
    ]
    codes = list(CODES)
    masks = per_rule + per_filter
    return [[codes[k] for k, mask in enumerate(masks) if mask[j]] for j in range(data.D)]


@dataclass(frozen=True)
class Pairs:
    """The candidate pairs and everything the objective needs about each, as arrays."""

    data: RoundData
    h: np.ndarray
    d: np.ndarray
    move_in: np.ndarray
    #: Days over the household's deadline clock if it stays unmatched (0 unless due): at
    #: least the latest move-in any of its candidate pairs could give (r7_clocks).
    unmatched_over: np.ndarray
    housing: np.ndarray  # tier-2 points of housing h
    preference_rank: np.ndarray
    spare_bedrooms: np.ndarray
    school_minutes: np.ndarray
    vacancy_days: np.ndarray
    vacancy_rent_loss: np.ndarray  # NOK, for people; the fit tier uses vacancy points
    concentration: np.ndarray
    fit: np.ndarray  # tier-3 cost, whole points
    tie_jitter: np.ndarray  # fixed pseudo-random 62-bit integer per pair (ties only)
    #: R11: the range of its tenant's move-in days a pair onto an occupied dwelling stands
    #: for (`link`..`link_to`; NO_LINK for vacancies and swaps), and whether the pair is
    #: half of a two-way swap.
    link: np.ndarray
    link_to: np.ndarray
    swap: np.ndarray
    rejected: dict[str, int] = field(default_factory=dict)  # code -> pairs rejected

    def __len__(self) -> int:
        return len(self.h)

    def subset(self, idx: np.ndarray) -> Pairs:
        """The pairs at positions `idx` (same data, same per-pair values)."""
        arrays = {
            f.name: getattr(self, f.name)[idx]
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }
        return replace(self, **arrays)

    @property
    def unmatched_over_h(self) -> np.ndarray:
        """Per household: days over its clock if left unmatched. Every pair of a due
        household is in every subset the solver uses (they are never reduced away), so the
        pairs carry the value; a household without pairs waits for the next round."""
        data = self.data
        out = r7_clocks.unmatched_days_over(data, np.full(data.H, r7_clocks.NO_DAY))
        np.maximum.at(out, self.h, self.unmatched_over)
        return out

    def matched_breach(self) -> tuple[np.ndarray, np.ndarray]:
        """Per pair, when matched: (breaks its household's clock, days over)."""
        return r7_clocks.matched_breach(
            self.data, self.h, self.d, self.move_in, self.unmatched_over
        )

    def plain(self) -> np.ndarray:
        """Pairs whose household no round rule counts and no clock concerns, and that are
        not pinned: their only effect on the round is through tiers 2 and 3."""
        data = self.data
        counted = np.zeros(data.H, dtype=bool)
        for rule in ROUND_RULES:
            counted |= rule.concerns(data)
        # R11: a tenant's placement frees a dwelling others' links depend on, and a pair
        # onto an occupied dwelling depends on its tenant: neither can be swapped freely.
        counted |= data.current >= 0
        pinned = np.zeros(len(self), dtype=bool)
        pinned[self.pinned_pairs()] = True
        return (
            ~counted[self.h] & ~data.has_clock[self.h] & ~pinned & ~r11_transfers.is_variant(self)
        )

    def undominated(
        self, keep_per_dwelling: int, keys: tuple[np.ndarray, ...] | None = None
    ) -> np.ndarray:
        """Positions of the pairs that can be in the lexicographic optimum (sorted).

        A *plain* pair (`plain`) is dropped when at least `keep_per_dwelling` other plain
        pairs of the same dwelling rank strictly before it by `keys` (np.lexsort keys of
        the objective, ending in the serial order). With `keep_per_dwelling >= D`, one of
        those is unmatched in any proposal, and swapping it in breaks no round rule (plain
        households count in no cap, quota or separation) while improving the objective
        lexicographically, the tie-break included (it is serial in the same order): so the
        optimum never uses the dropped pair. Exact, not a heuristic."""
        if keys is None:
            from allocator.objective import default_objective

            keys = default_objective(self.data.policy).rank_keys(self)
        plain = self.plain()
        keep = ~plain
        idx = np.flatnonzero(plain)
        order = idx[np.lexsort((*[k[idx] for k in keys], self.d[idx]))]
        d_sorted = self.d[order]
        rank = np.arange(len(order)) - np.searchsorted(d_sorted, d_sorted, side="left")
        keep[order[rank < keep_per_dwelling]] = True
        return np.flatnonzero(keep)

    def index(self) -> dict[tuple[int, int], int]:
        return {(int(a), int(b)): p for p, (a, b) in enumerate(zip(self.h, self.d, strict=True))}

    def choose(self, placed: dict[int, int]) -> np.ndarray:
        """Bool per pair: the pairs of an allocation (household -> dwelling index), a freed
        dwelling's by the variant its chain's dates give (R11); pairs that are not
        candidates are left out."""
        data = self.data
        base = {
            h: (d, int(r9_timing.move_in(data, np.array([h]), np.array([d]))[0]))
            for h, d in placed.items()
        }
        days = r11_transfers.chain_days(data, base)
        where: dict[tuple[int, int], list[int]] = {}
        for p, key in enumerate(zip(self.h.tolist(), self.d.tolist(), strict=True)):
            where.setdefault(key, []).append(p)
        chosen = np.zeros(len(self), dtype=bool)
        for h, d in placed.items():
            found = np.array(where.get((h, d), []), dtype=np.int64)
            tenant = int(data.tenant[d])
            if len(found) > 1 and tenant >= 0:
                swap = placed.get(tenant) == int(data.current[h])
                day = (days[tenant], False) if tenant in days else None
                found = self._variant(found, swap, day)
            if len(found):
                chosen[found[0]] = True
        return chosen

    def _variant(
        self, found: np.ndarray, swap: bool, tenant: tuple[int, bool] | None
    ) -> np.ndarray:
        """Of a pair's variants, the swap half, or the one standing for the tenant's day."""
        if swap:
            hit = found[self.swap[found]]
        elif tenant is None or tenant[1]:
            hit = found[:0]
        else:
            hit = np.array(
                [q for q in found.tolist() if r11_transfers.links(self, q, tenant[0])],
                dtype=np.int64,
            )
        return hit if len(hit) else found

    def pinned_pairs(self) -> list[int]:
        """Positions of the pinned pairs (a pin that is not a candidate is an input error,
        found by allocator.validation before any pairs are made)."""
        data = self.data
        out = []
        days = r11_transfers.pinned_days(data) if data.occupied.any() else {}
        for pin in data.scenario.locks.pinned:
            h, d = data.household_index[pin.household], data.dwelling_index[pin.dwelling]
            found = np.flatnonzero((self.h == h) & (self.d == d))
            if len(found) > 1 and h in days:
                # Variants of a pair onto an occupied dwelling: the one the pins' chain
                # fixes (its tenant's pinned day, or the swap).
                found = self._variant(found, days[h][1], days.get(int(data.tenant[d])))
            out.append(int(found[0]))
        return out


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fixed, well-spread integer per input (tie-breaking only)."""
    z = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z


def _id_hashes(ids: list[str]) -> np.ndarray:
    from allocator.data import stable_hash

    return np.array([stable_hash(i, bits=61) for i in ids], dtype=np.uint64)


def candidate_pairs(data: RoundData) -> Pairs:
    """Every pair passing the pairwise rules and the round rules alone, with its objective
    parts; pairs onto occupied dwellings as their chain variants (R11)."""
    return with_chains(data, concat_pairs(data, list(candidate_blocks(data))))


def bound_pairs(data: RoundData) -> Pairs:
    """Every candidate pair, a pair onto an occupied dwelling once, at the earliest
    move-in of its chain variants (`r11_transfers.earliest`): for assignment bounds on
    tiers 1 and 2 over every variant without making them (whole-stock rounds with
    tenants have hundreds of millions). Not a model's pairs: no links."""
    pairs = concat_pairs(data, list(candidate_blocks(data)))
    occupied = r11_transfers.is_variant(pairs)
    if not occupied.any():
        return pairs
    move_in, free, ok = r11_transfers.earliest(data, pairs.h, pairs.d, pairs.move_in)
    idx = np.flatnonzero(occupied & ok)
    built = _with_objective_parts(
        data,
        pairs.h[idx].astype(np.int64),
        pairs.d[idx].astype(np.int64),
        pairs.rejected,
        move_in=move_in[idx],
        available=free[idx],
        unmatched_over=pairs.unmatched_over[idx],
    )
    # In place (tens of millions of pairs: no second copy), then without the pairs that
    # have no variant at all; order stays (household, dwelling).
    for f in fields(Pairs):
        column = getattr(pairs, f.name)
        if isinstance(column, np.ndarray):
            column[idx] = getattr(built, f.name)
    if ok[occupied].all():
        return pairs
    return pairs.subset(np.flatnonzero(~occupied | ok))


def with_chains(
    data: RoundData,
    pairs: Pairs,
    days_per_tenant: int | None = None,
    rank: np.ndarray | None = None,
) -> Pairs:
    """The pairs with each pair onto an occupied dwelling replaced by its variants, one
    per move-in day of its tenant and one per swap (allocator.rules.r11_transfers), each
    with its own fixed move-in and vacancy days; sorted by household, dwelling, link.
    `days_per_tenant` and `rank` (whole-stock selections): variants for each tenant's
    best days only (`r11_transfers.variants`)."""
    occupied = r11_transfers.is_variant(pairs)
    if not occupied.any():
        return pairs
    v = r11_transfers.variants(
        data, pairs.h, pairs.d, pairs.move_in, pairs.unmatched_over, days_per_tenant, rank
    )
    source = v.source
    built = _with_objective_parts(
        data,
        pairs.h[source].astype(np.int64),
        pairs.d[source].astype(np.int64),
        pairs.rejected,
        move_in=v.move_in,
        available=v.available,
        link=v.link,
        link_to=v.link_to,
        swap=v.swap,
        unmatched_over=pairs.unmatched_over[source],
    )
    merged = concat_pairs(data, [pairs.subset(np.flatnonzero(~occupied)), built])
    order = np.lexsort((merged.swap, merged.link, merged.d, merged.h))
    return replace(merged.subset(order), rejected=pairs.rejected)


def candidate_blocks(data: RoundData) -> Iterator[Pairs]:
    """The candidate pairs one block of households at a time (sorted by household, then
    dwelling), each block with its own rejection counts: whole-stock rounds select from
    them without holding every pair (allocator.sparse)."""
    for hs in blocks(data):
        code = first_rejection(data, hs)
        counts = np.bincount(code.ravel(), minlength=len(CODES) + 1)
        rows, cols = np.nonzero(code == 0)
        h, d = hs[rows].astype(np.int64), cols.astype(np.int64)
        keep = np.ones(len(h), dtype=bool)
        for rule in ROUND_RULES:
            if not rule.enabled(data.policy):
                continue
            mask = keep & rule.rejects_alone(data, h, d)
            counts[CODE_NUMBER[rule.code]] += int(mask.sum())
            keep &= ~mask
        rejected = {c: int(counts[CODE_NUMBER[c]]) for c in CODES}
        yield _with_objective_parts(data, h[keep], d[keep], rejected)


def concat_pairs(data: RoundData, parts: list[Pairs]) -> Pairs:
    """The parts as one Pairs (in order), rejection counts summed."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return _with_objective_parts(data, empty, empty, {c: 0 for c in CODES})
    if len(parts) == 1:
        return parts[0]
    arrays: dict[str, Any] = {
        f.name: np.concatenate([getattr(p, f.name) for p in parts])
        for f in fields(Pairs)
        if isinstance(getattr(parts[0], f.name), np.ndarray)
    }
    rejected = {c: sum(p.rejected.get(c, 0) for p in parts) for c in CODES}
    return replace(parts[0], **arrays, rejected=rejected)


def fit_points(
    data: RoundData,
    h: np.ndarray,
    d: np.ndarray,
    move_in: np.ndarray,
    available: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The fit tier's parts per pair and their weighted sum `fit` (exact integers).
    `available`: the day each dwelling is free for the pair (default its
    `available_from`; a freed dwelling's comes from its tenant's move, R11)."""
    w = data.policy.weights
    rank = r3_location.preference_rank(data, h, d)
    spare = r2_size.spare_bedrooms(data, h, d)
    minutes = r4_school.school_minutes(data, h, d)
    vdays = (
        r9_timing.vacancy_days(data, d, move_in)
        if available is None
        else np.maximum(0, move_in - available)
    )
    conc = r5_spread.concentration_cost(data, h, d)
    fit = (
        w.preference * rank.astype(np.int64)
        + w.spare_bedroom * spare.astype(np.int64)
        + w.school_travel_minute * minutes.astype(np.int64)
        + r9_timing.vacancy_points(data, d, vdays)
        + conc
    )
    return {
        "preference_rank": rank,
        "spare_bedrooms": spare,
        "school_minutes": minutes,
        "vacancy_days": vdays,
        "concentration": conc,
        "fit": fit,
    }


def _with_objective_parts(
    data: RoundData,
    h: np.ndarray,
    d: np.ndarray,
    rejected: dict[str, int],
    move_in: np.ndarray | None = None,
    available: np.ndarray | None = None,
    link: np.ndarray | None = None,
    link_to: np.ndarray | None = None,
    swap: np.ndarray | None = None,
    unmatched_over: np.ndarray | None = None,
) -> Pairs:
    """The pairs (h, d) with every objective part. Chain variants (R11) pass their own
    move-in, free day, link and swap flag, and their household's unmatched days over."""
    if move_in is None:
        move_in = r9_timing.move_in(data, h, d)
    parts = fit_points(data, h, d, move_in, available)
    if unmatched_over is None:
        latest = r7_clocks.latest_move_in(data, h, d, move_in)
        unmatched_over = r7_clocks.unmatched_days_over(data, latest)[h]
    jitter = _mix(
        _id_hashes(data.household_ids)[h] ^ (_id_hashes(data.dwelling_ids)[d] << np.uint64(1))
    )
    return Pairs(
        data=data,
        h=h.astype(np.int32),
        d=d.astype(np.int32),
        move_in=move_in.astype(np.int32),
        unmatched_over=unmatched_over.astype(np.int64),
        housing=data.housing_points[h] + data.freed_points[d],
        preference_rank=parts["preference_rank"].astype(np.int32),
        spare_bedrooms=parts["spare_bedrooms"].astype(np.int32),
        school_minutes=parts["school_minutes"].astype(np.int32),
        vacancy_days=parts["vacancy_days"].astype(np.int32),
        vacancy_rent_loss=r9_timing.vacancy_rent_loss(data, d, parts["vacancy_days"]),
        concentration=parts["concentration"].astype(np.int64),
        fit=parts["fit"].astype(np.int64),
        tie_jitter=jitter,
        link=(np.full(len(h), r11_transfers.NO_LINK) if link is None else link).astype(np.int64),
        link_to=(np.full(len(h), r11_transfers.NO_LINK) if link_to is None else link_to).astype(
            np.int64
        ),
        swap=(np.zeros(len(h), dtype=bool) if swap is None else swap).astype(bool),
        rejected=rejected,
    )
