"""Equal treatment per proposal (likebehandling): equal cases, unequal outcomes, and why.

The audit's question (DOMAIN.md §1: "ulik praksis") is whether two households that are
equal on what the priority tier weighs were treated alike. This module finds, in one
proposal, every pair of households with the same tier-2 inputs (the same priority and the
same waiting days as the housing points count them, so the same points from the same
fields) where one got a dwelling that the other could also have had (the checker's
pairwise rules allow the pair; a meeting lock is reported as the separator, not as
ineligibility) and the other got nothing. For each pair it names what separates them, by
trying the swap "the other household gets this dwelling" against the rules and the
objective, in the order the allocator decides (DOMAIN.md §4):

1. ``lock``: the meeting pinned the housed household to the dwelling, or forbade the pair
   for the other;
2. ``round_rule``: the swap breaks a rule over the whole round (building cap, district
   quota, separation, ...), found by the independent checker on the swapped proposal;
3. ``deadline``: a deadline clock (tier 1): one is due, or would be later past its date;
4. ``fit``: the fit tier (preference rank, spare bedrooms, school travel, vacancy days,
   burden of the district);
5. ``tiebreak``: everything above equal; the earlier approval date, then the id, wins;
6. ``none``: the swap would be as good or better: the proposal does not follow the stated
   rules here (a greedy or manual proposal, or a solve stopped before optimality).

It reads the Scenario and the Proposal only; the per-pair objective parts come from the
candidate pairs of a reduced round (the households and dwellings involved, no locks), so
their arithmetic is the solver's, not a copy of it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from allocator.checker import Violation, check_proposal, pair_violations
from allocator.checker.registry import PAIR_CODES
from allocator.data import NO_DAY, RoundData, build_round_data
from allocator.pairs import Pairs, candidate_pairs, rejection_codes
from allocator.reasons import rule_text
from allocator.rules import CODES, r7_clocks, r9_timing
from models.proposal import Match, Proposal, ScoreParts
from models.scenario import Household, Locks, Scenario

Separator = Literal["lock", "round_rule", "deadline", "fit", "tiebreak", "none"]

#: Separator -> bokmål label (report headings and the meeting page).
SEPARATOR_LABELS: dict[str, str] = {
    "lock": "låst av tildelingsmøtet",
    "round_rule": "regel for hele runden",
    "deadline": "tidsfrist",
    "fit": "tilpasning til boligen",
    "tiebreak": "likhetsbrudd: vedtaksdato, deretter id",
    "none": "ikke forklart av reglene",
}

#: Codes of the swapped proposal's own bookkeeping (see ``_counts``).
_BOOKKEEPING = {"breach_list", "move_in", "group_share_report"}

#: Fit parts in report order: (ScoreParts field, bokmål name, unit).
FIT_PARTS: tuple[tuple[str, str, str], ...] = (
    ("preference_rank", "ønsket bydel", ""),
    ("spare_bedrooms", "ekstra soverom", ""),
    ("school_travel_minutes", "skolevei", " min"),
    ("vacancy_days", "tomgangsdager", ""),
    ("concentration_cost", "belastning i bydelen", " poeng"),
)


def nb_date(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


@dataclass(frozen=True)
class Side:
    """One household of a pair, as the comparison saw it."""

    household: str
    approved_on: str  # dd.mm.yyyy
    waiting_days: int
    due: bool
    deadline: str | None  # dd.mm.yyyy, when the household has a deadline clock
    late_days: int  # days past the deadline if it had this dwelling
    fit_cost: int | None  # None: the pair is barred by a round rule before any fit
    parts: dict[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class EqualPair:
    """Two equal households, one housed in ``dwelling``, and what separates them."""

    dwelling: str
    housed: Side
    unhoused: Side
    priority: int
    points: int
    separator: Separator
    codes: tuple[str, ...]  # rule codes, fit parts or clock, per separator
    text: str  # bokmål, the whole statement
    detail: str  # bokmål, what separates them (the text after its first sentence)

    @property
    def label(self) -> str:
        return SEPARATOR_LABELS[self.separator]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"label": self.label}


@dataclass(frozen=True)
class EqualTreatment:
    """Every equal pair of one proposal; ``counts`` per separator (report order)."""

    pairs: list[EqualPair]
    households: int  # households in a tier-2 class with someone housed and someone not
    method: str
    status: str

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEPARATOR_LABELS, 0)
        for p in self.pairs:
            out[p.separator] += 1
        return out

    @property
    def unexplained(self) -> list[EqualPair]:
        return [p for p in self.pairs if p.separator == "none"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": [p.to_dict() for p in self.pairs],
            "counts": self.counts,
            "households": self.households,
            "method": self.method,
            "status": self.status,
        }


def tier2_key(h: Household, scenario: Scenario) -> tuple[int, int]:
    """What tier 2 weighs (models.policy.Weights): priority and capped waiting days."""
    cap = scenario.policy.weights.waiting_cap_days
    return h.priority, min((scenario.as_of - h.approved_on).days, cap)


def equal_treatment(scenario: Scenario, proposal: Proposal) -> EqualTreatment:
    """The equal pairs of ``proposal`` (module docstring), sorted by priority, waiting
    days (longest first), dwelling and household ids. Deterministic."""
    households = scenario.household_by_id()
    dwellings = scenario.dwelling_by_id()
    matched = {m.household for m in proposal.matches}
    unhoused: dict[tuple[int, int], list[Household]] = defaultdict(list)
    for h in scenario.households:
        if h.id not in matched:
            unhoused[tier2_key(h, scenario)].append(h)
    triples: list[tuple[Match, Household, Household]] = []
    for m in proposal.matches:
        a = households.get(m.household)
        if a is None or m.dwelling not in dwellings:
            continue
        for b in unhoused.get(tier2_key(a, scenario), []):
            codes = pair_violations(scenario, b.id, m.dwelling)
            if set(codes) <= {"forbidden_pair"}:
                triples.append((m, a, b))
    run = proposal.run
    if not triples:
        return EqualTreatment([], 0, run.method, run.status)
    judge = _Judge(scenario, proposal, triples)
    pairs = [judge.pair(m, a, b) for m, a, b in triples]
    pairs.sort(
        key=lambda p: (
            p.priority,
            -p.housed.waiting_days,
            p.dwelling,
            p.housed.household,
            p.unhoused.household,
        )
    )
    involved = {p.housed.household for p in pairs} | {p.unhoused.household for p in pairs}
    return EqualTreatment(pairs, len(involved), run.method, run.status)


class _Judge:
    """Compares each swap with the proposal; built once per proposal."""

    def __init__(
        self,
        scenario: Scenario,
        proposal: Proposal,
        triples: list[tuple[Match, Household, Household]],
    ) -> None:
        self.scenario = scenario
        self.proposal = proposal
        self.forbidden = {(f.household, f.dwelling): f.reason for f in scenario.locks.forbidden}
        self.pinned = {(p.household, p.dwelling): p.reason for p in scenario.locks.pinned}
        ids = {h.id for _, a, b in triples for h in (a, b)}
        dwelling_ids = {m.dwelling for m, _, _ in triples}
        # A reduced round without locks: the per-pair values depend on the household, the
        # dwelling, its building and district and the round date only, so they equal the
        # full round's; locks are separators here, judged above the objective.
        reduced = scenario.model_copy(
            update={
                "households": [h for h in scenario.households if h.id in ids],
                "dwellings": [d for d in scenario.dwellings if d.id in dwelling_ids],
                "locks": Locks(),
            }
        )
        self.data: RoundData = build_round_data(reduced)
        self.pairs: Pairs = candidate_pairs(self.data)
        self.index = self.pairs.index()
        # Tier 1 needs the whole round: leaving a due household unmatched counts the
        # latest move-in any of the round's dwellings could give it (r7_clocks).
        self.full = build_round_data(scenario)
        hs = np.array(sorted(self.full.household_index[i] for i in ids), dtype=np.int64)
        allowed = rejection_codes(self.full, hs) == 0
        rows, cols = np.nonzero(allowed)
        h, d = hs[rows], cols.astype(np.int64)
        latest = r7_clocks.latest_move_in(self.full, h, d, r9_timing.move_in(self.full, h, d))
        self.unmatched_over = r7_clocks.unmatched_days_over(self.full, latest)
        self.baseline = {_key(v) for v in check_proposal(scenario, proposal) if _counts(v)}

    # -- one side of the swap -------------------------------------------------------------
    def _clock(
        self, h: Household, dwelling: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(h, d, move-in, days over if left unmatched) of one pair, in the whole round."""
        full = self.full
        hi = np.array([full.household_index[h.id]])
        di = np.array([full.dwelling_index[dwelling]])
        return hi, di, r9_timing.move_in(full, hi, di), self.unmatched_over[hi]

    def side(self, h: Household, dwelling: str, score: ScoreParts | None) -> Side:
        data = self.data
        hi, di = data.household_index[h.id], data.dwelling_index[dwelling]
        p = self.index.get((hi, di))
        waiting = (self.scenario.as_of - h.approved_on).days
        deadline = int(data.deadline[hi])
        clock = nb_date(dt.date.fromordinal(deadline)) if deadline != NO_DAY else None
        due = bool(data.ranked_due[hi])
        breach, days = r7_clocks.matched_breach(self.full, *self._clock(h, dwelling))
        late = int(days[0]) if breach[0] else 0
        if p is None:
            if score is None:
                return Side(h.id, nb_date(h.approved_on), waiting, due, clock, late, None)
            parts = {name: getattr(score, name) for name, _, _ in FIT_PARTS}
            return Side(
                h.id, nb_date(h.approved_on), waiting, due, clock, late, score.fit_cost, parts
            )
        P = self.pairs
        parts = {
            "preference_rank": int(P.preference_rank[p]) if h.preferred_districts else None,
            "spare_bedrooms": int(P.spare_bedrooms[p]),
            "school_travel_minutes": int(P.school_minutes[p]),
            "vacancy_days": int(P.vacancy_days[p]),
            "concentration_cost": int(P.concentration[p]),
        }
        return Side(h.id, nb_date(h.approved_on), waiting, due, clock, late, int(P.fit[p]), parts)

    def tier1(self, h: Household, dwelling: str) -> tuple[int, int]:
        """(weighted breaches avoided, weighted days over avoided) by housing ``h`` here
        rather than leaving it unmatched: the deadline tier's own gains."""
        breaches, days = r7_clocks.gains(self.full, *self._clock(h, dwelling), self.full.ranked)
        return int(breaches[0]), int(days[0])

    def move_in(self, h: Household, dwelling: str) -> dt.date:
        data = self.data
        hi, di = data.household_index[h.id], data.dwelling_index[dwelling]
        p = self.index.get((hi, di))
        day = (
            int(self.pairs.move_in[p])
            if p is not None
            else int(r9_timing.move_in(data, np.array([hi]), np.array([di]))[0])
        )
        return dt.date.fromordinal(day)

    def broken_by_swap(self, match: Match, b: Household) -> list[str]:
        """Round-rule codes the proposal would break with ``b`` in the dwelling instead."""
        swapped = self.proposal.model_copy(
            update={
                "matches": [
                    x
                    if x is not match
                    else Match(
                        household=b.id,
                        dwelling=match.dwelling,
                        move_in=self.move_in(b, match.dwelling),
                    )
                    for x in self.proposal.matches
                ]
            }
        )
        new = [
            v
            for v in check_proposal(self.scenario, swapped)
            if _counts(v) and _key(v) not in self.baseline
        ]
        return list(dict.fromkeys(v.code for v in new))

    def filtered(self, b: Household, dwelling: str) -> list[str]:
        """The round filter that keeps the pair out of the candidates (a rule over the whole
        round whose outcome the existing residents already decide), if any: a second
        statement of what ``broken_by_swap`` finds, so a filter is never taken for a fit."""
        data = self.data
        hi, di = data.household_index[b.id], data.dwelling_index[dwelling]
        number = int(rejection_codes(data, np.array([hi]))[0, di])
        return [CODES[number - 1]] if number else []

    # -- the verdict ----------------------------------------------------------------------
    def pair(self, m: Match, a: Household, b: Household) -> EqualPair:
        d = m.dwelling
        A, B = self.side(a, d, m.score), self.side(b, d, None)
        priority, _ = tier2_key(a, self.scenario)
        points = int(self.data.housing_points[self.data.household_index[a.id]])

        def verdict(sep: Separator, codes: tuple[str, ...], detail: str) -> EqualPair:
            return EqualPair(d, A, B, priority, points, sep, codes, f"{head} {detail}", detail)

        capped = ""
        if A.waiting_days != B.waiting_days:
            cap = self.scenario.policy.weights.waiting_cap_days
            capped = f"; ventetid over taket på {cap} dager teller likt"
        head = (
            f"{a.id} og {b.id} står likt i prioritet og ventetid (prioritet {priority}, "
            f"{points} poeng{capped}) og kunne begge fått {d}."
        )
        lock = self.pinned.get((a.id, d))
        if lock is not None:
            return verdict(
                "lock",
                ("pinned",),
                f"Tildelingsmøtet har låst {a.id} til boligen{_suffix(lock)}.",
            )
        lock = self.forbidden.get((b.id, d))
        if lock is not None:
            return verdict(
                "lock",
                ("forbidden_pair",),
                f"Tildelingsmøtet har sperret {b.id} fra boligen{_suffix(lock)}.",
            )
        ahead = next((r for r in m.reasons if r.code == "lookahead_now"), None)
        if ahead is not None:
            # The look-ahead's components rank right after this round's deadline tier.
            return verdict(
                "deadline",
                ("lookahead",),
                f"Avgjort av planlegging framover: {a.id} når fristen om "
                f"{ahead.params.get('weeks')} uker, og i {ahead.params.get('fails')} av "
                f"{ahead.params.get('futures')} simulerte framtider kommer ingen annen bolig "
                "som passer før fristen.",
            )
        broken = self.broken_by_swap(m, b) or self.filtered(b, d)
        if broken:
            rules = "; ".join(rule_text(c) for c in broken)
            return verdict(
                "round_rule",
                tuple(broken),
                f"Med {b.id} i boligen ville en regel for hele runden blitt brutt: {rules}.",
            )
        (on_a, saved_a), (on_b, saved_b) = self.tier1(a, d), self.tier1(b, d)
        assert A.fit_cost is not None and B.fit_cost is not None  # both pairs are candidates
        fit_a, fit_b = A.fit_cost, B.fit_cost
        # The swap against the proposal, tier by tier: > 0 the proposal is better.
        steps: list[tuple[Separator, int]] = [
            ("deadline", on_a - on_b),
            ("deadline", saved_a - saved_b),
            ("fit", fit_b - fit_a),
            ("tiebreak", 1 if (a.approved_on, a.id) < (b.approved_on, b.id) else -1),
        ]
        for sep, diff in steps:
            if diff > 0:
                return verdict(sep, self.codes(sep, A, B), self.why(sep, a, b, A, B))
            if diff < 0:
                return verdict("none", (sep,), self.unexplained(sep, a, b, A, B))
        raise AssertionError("the tie-break always decides")  # pragma: no cover

    def codes(self, sep: Separator, A: Side, B: Side) -> tuple[str, ...]:
        if sep == "fit":
            return tuple(name for name, _, _ in FIT_PARTS if A.parts.get(name) != B.parts.get(name))
        if sep == "tiebreak":
            return ("approved_on",) if A.approved_on != B.approved_on else ("id",)
        return ("due",) if A.due != B.due else ("late_days",)

    def why(self, sep: Separator, a: Household, b: Household, A: Side, B: Side) -> str:
        if sep == "deadline":
            if A.due and not B.due:
                return (
                    f"Avgjort av tidsfrist: {a.id} har frist {A.deadline} og må få bolig "
                    f"nå; {b.id} har ingen frist denne runden."
                )
            return f"Avgjort av tidsfrist med denne boligen: {a.id} {_late(A)}; {b.id} {_late(B)}."
        if sep == "fit":
            return (
                f"Avgjort av tilpasning: boligen passer {a.id} bedre ({A.fit_cost} mot "
                f"{B.fit_cost} tilpasningspoeng; lavere er bedre): "
                f"{_fit_differences(a, b, A, B)}."
            )
        return f"Likt på alt annet; avgjort ved likhetsbrudd: {_tiebreak(a, b, A, B)}."

    def unexplained(self, sep: Separator, a: Household, b: Household, A: Side, B: Side) -> str:
        how = {
            "deadline": f"bedre på tidsfrister ({b.id} har frist {B.deadline})",
            "fit": f"bedre tilpasset ({B.fit_cost} mot {A.fit_cost} tilpasningspoeng: "
            f"{_fit_differences(b, a, B, A)})",
            "tiebreak": f"like godt, og likhetsbruddet går til {b.id}: {_tiebreak(b, a, B, A)}",
        }[sep]
        method = self.proposal.run
        return (
            f"Ikke forklart av reglene: med {b.id} i boligen ville forslaget vært {how} "
            f"(metode {method.method}, status {method.status})."
        )


def _fit_differences(a: Household, b: Household, A: Side, B: Side) -> str:
    out = []
    for name, label, unit in FIT_PARTS:
        x, y = A.parts.get(name), B.parts.get(name)
        if x == y:
            continue
        if name == "preference_rank":
            out.append(f"{label}: {_wish(a, x)} mot {_wish(b, y)}")
        else:
            out.append(f"{label}: {x}{unit} mot {y}{unit}")
    return "; ".join(out) or "samme deler, ulik sum"


def _wish(h: Household, rank: int | None) -> str:
    """How the wish was weighed: rank k costs k steps of the preference weight (R3)."""
    if rank is None:
        return "ingen ønsker (0 trinn)"
    if rank < len(h.preferred_districts):
        return f"nr. {rank + 1} ({rank} trinn)"
    return f"utenfor ønskene ({rank} trinn)"


def _tiebreak(first: Household, second: Household, F: Side, S: Side) -> str:
    if first.approved_on != second.approved_on:
        return f"{first.id} fikk vedtak {F.approved_on}, før {second.id} ({S.approved_on})"
    return f"samme vedtaksdato {F.approved_on}; fast rekkefølge på id: {first.id} før {second.id}"


def _late(side: Side) -> str:
    if not side.due:
        return "har ingen frist denne runden"
    if side.late_days == 0:
        return f"flytter inn innen fristen {side.deadline}"
    return f"kommer {side.late_days} dager over fristen {side.deadline}"


def _suffix(reason: str) -> str:
    return f" ({reason})" if reason else ""


def _counts(v: Violation) -> bool:
    """A round rule the swap may break: not R1's bookkeeping (the swapped proposal's lists
    are not rewritten), not a pairwise code (judged before the swap), not the breach list
    or move-in dates."""
    return v.rule != "R1" and v.code not in PAIR_CODES and v.code not in _BOOKKEEPING


def _key(v: Violation) -> tuple[str, str, str | None, str | None]:
    return (v.rule, v.code, v.household, v.dwelling)
