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

from allocator.data import SUBSTANCE_CODES, RoundData
from allocator.rules import (
    CODE_NUMBER,
    CODES,
    PAIRWISE,
    ROUND_FILTERS,
    RULE_OF_CODE,
    r2_size,
    r3_location,
    r4_school,
    r5_spread,
    r7_temporary,
    r9_timing,
)
from models.problems import InputError, Problem
from models.scenario import SubstanceUse

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
    for number, rule in enumerate(PAIRWISE, start=1):
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
    for f in ROUND_FILTERS:
        mask = f.reject(data, h, d) & (code[rows, cols] == 0)
        code[rows[mask], cols[mask]] = CODE_NUMBER[f.code]
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
    per_rule = [rule.reject(data, hs)[0] if rule.enabled(data.policy)
                else np.zeros(data.D, dtype=bool) for rule in PAIRWISE]
    d = np.arange(data.D)
    per_filter = [f.reject(data, np.full(data.D, h), d) for f in ROUND_FILTERS]
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
    late: np.ndarray  # days past the R7 deadline (0 unless the household is due)
    housing: np.ndarray  # tier-2 points of housing h
    preference_rank: np.ndarray
    spare_bedrooms: np.ndarray
    school_minutes: np.ndarray
    vacancy_days: np.ndarray
    vacancy_rent_loss: np.ndarray
    concentration: np.ndarray
    fit: np.ndarray  # tier-3 cost, whole points
    tie_jitter: np.ndarray  # fixed pseudo-random 62-bit integer per pair (ties only)
    rejected: dict[str, int] = field(default_factory=dict)  # code -> pairs rejected
    #: Largest fit cost over all candidate pairs (kept by `subset`, so a reduced model
    #: sizes its tie-break exactly like the full one and breaks ties the same way).
    fit_max: int = 0

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

    def undominated(self, keep_per_dwelling: int) -> np.ndarray:
        """Positions of the pairs that can be in the lexicographic optimum (sorted).

        A *plain* pair — household not high-need, no substance use, not due, not pinned —
        is dropped when at least `keep_per_dwelling` other plain pairs of the same dwelling
        are strictly better by (housing points, fit, approval rank). With
        `keep_per_dwelling >= D`, one of those is unmatched in any proposal, and swapping it
        in breaks no round rule (plain households count in no cap, quota or separation)
        while improving the objective lexicographically (the tie-break ranks by approval
        first): so the optimum never uses the dropped pair. Exact, not a heuristic."""
        data = self.data
        pinned = np.zeros(len(self), dtype=bool)
        pinned[self.pinned_pairs()] = True
        plain = (~data.high_need[self.h]
                 & (data.substance[self.h] == SUBSTANCE_CODES[SubstanceUse.none])
                 & ~data.due[self.h] & ~pinned)
        keep = ~plain
        idx = np.flatnonzero(plain)
        order = idx[np.lexsort((data.order[self.h[idx]], self.fit[idx], -self.housing[idx],
                                self.d[idx]))]
        d_sorted = self.d[order]
        rank = np.arange(len(order)) - np.searchsorted(d_sorted, d_sorted, side="left")
        keep[order[rank < keep_per_dwelling]] = True
        return np.flatnonzero(keep)

    def index(self) -> dict[tuple[int, int], int]:
        return {(int(a), int(b)): p for p, (a, b) in enumerate(zip(self.h, self.d, strict=True))}

    def pinned_pairs(self) -> list[int]:
        """Positions of the pinned pairs (a pin that is not a candidate is an input error,
        raised in `candidate_pairs`)."""
        data = self.data
        out = []
        for pin in data.scenario.locks.pinned:
            h, d = data.household_index[pin.household], data.dwelling_index[pin.dwelling]
            out.append(int(np.flatnonzero((self.h == h) & (self.d == d))[0]))
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


def _check_pins(data: RoundData) -> None:
    """A pinned pair that breaks a hard rule is an input error, not a crash or a silent drop."""
    problems = []
    for i, pin in enumerate(data.scenario.locks.pinned):
        hi, di = data.household_index[pin.household], data.dwelling_index[pin.dwelling]
        rejected = pair_rejections(data, hi)[di]
        if rejected:
            problems.append(
                Problem(
                    table="locks.pinned",
                    index=i,
                    field="dwelling",
                    value=pin.dwelling,
                    location=f"locks.pinned[{i}]",
                    expected=(
                        f"a dwelling household {pin.household} may have; the pin breaks "
                        + ", ".join(f"{RULE_OF_CODE[c]} {c}" for c in rejected)
                    ),
                )
            )
    if problems:
        raise InputError(problems)


def candidate_pairs(data: RoundData) -> Pairs:
    """Every pair passing the pairwise rules and the round filters, with its objective parts."""
    return concat_pairs(data, list(candidate_blocks(data)))


def candidate_blocks(data: RoundData) -> Iterator[Pairs]:
    """The candidate pairs one block of households at a time (sorted by household, then
    dwelling), each block with its own rejection counts: whole-stock rounds select from
    them without holding every pair (allocator.sparse). Pins are checked first."""
    _check_pins(data)
    for hs in blocks(data):
        code = first_rejection(data, hs)
        counts = np.bincount(code.ravel(), minlength=len(CODES) + 1)
        rows, cols = np.nonzero(code == 0)
        h, d = hs[rows].astype(np.int64), cols.astype(np.int64)
        keep = np.ones(len(h), dtype=bool)
        for f in ROUND_FILTERS:
            mask = keep & f.reject(data, h, d)
            counts[CODE_NUMBER[f.code]] += int(mask.sum())
            keep &= ~mask
        rejected = {c: int(counts[CODE_NUMBER[c]]) for c in CODES}
        yield _with_objective_parts(data, h[keep], d[keep], rejected)


def concat_pairs(data: RoundData, parts: list[Pairs]) -> Pairs:
    """The parts as one Pairs (in order), rejection counts summed, the largest fit_max."""
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
    return replace(parts[0], **arrays, rejected=rejected,
                   fit_max=max(p.fit_max for p in parts))


def _with_objective_parts(
    data: RoundData, h: np.ndarray, d: np.ndarray, rejected: dict[str, int]
) -> Pairs:
    w = data.policy.weights
    move_in = r9_timing.move_in(data, h, d)
    rank = r3_location.preference_rank(data, h, d)
    spare = r2_size.spare_bedrooms(data, h, d)
    minutes = r4_school.school_minutes(data, h, d)
    vdays = r9_timing.vacancy_days(data, d, move_in)
    vloss = r9_timing.vacancy_rent_loss(data, d, vdays)
    conc = r5_spread.concentration_cost(data, h, d)
    fit = (
        w.preference * rank
        + w.spare_bedroom * spare
        + w.school_travel_minute * minutes
        + np.rint(w.vacancy_per_rent_day * vloss).astype(np.int64)
        + conc
    )
    jitter = _mix(
        _id_hashes(data.household_ids)[h] ^ (_id_hashes(data.dwelling_ids)[d] << np.uint64(1))
    )
    return Pairs(
        data=data,
        h=h.astype(np.int32),
        d=d.astype(np.int32),
        move_in=move_in.astype(np.int32),
        late=r7_temporary.late_days(data, h, move_in).astype(np.int32),
        housing=data.housing_points[h],
        preference_rank=rank.astype(np.int32),
        spare_bedrooms=spare.astype(np.int32),
        school_minutes=minutes.astype(np.int32),
        vacancy_days=vdays.astype(np.int32),
        vacancy_rent_loss=vloss,
        concentration=conc.astype(np.int32),
        fit=fit.astype(np.int64),
        tie_jitter=jitter,
        rejected=rejected,
        fit_max=int(fit.max(initial=0)),
    )
