"""Look-ahead: this week's offers chosen with the coming weeks' deadlines in view.

Why: a round that only sees itself gives away today the one four-bedroom flat that a
family reaching its 3-month deadline in three weeks will need, because the family is not
due yet. The look-ahead asks, for every household under a deadline clock that is not due
this round: if it gets nothing now, will a dwelling that fits it come in time?

How (sample average approximation with common random numbers): `futures` futures of the
next `weeks` rounds are sampled from what is known (expected vacancies and households,
each with its certainty) and from the forecast rates (vacancies of each kind, clocked
arrivals per week). In each future the clocked households compete for the future
vacancies (exact pairwise rules, the earliest round in which each is due, so it has
precedence there) in a lexicographic min-cost flow: most households on time, then fewest
days over. A household that misses its deadline in f of the K futures, if not housed now,
is worth f expected breaches avoided by housing it now (and its expected days over).

Households already due this round compete in the futures too: their breach is this
round's, but the days over they would add if not housed now (over those they have anyway)
count in the days-over component, so a due family that no coming vacancy fits goes before
one that the coming weeks will house (seed 4 of the Drammen replay: a family of four 106
days over where hindsight had 35; benchmarks/README.md, issue 14).

These become two components ranked right after this round's deadline tier and before
priority and waiting (`lookahead_breaches`, `lookahead_days_over`): this round's deadlines
are never traded for a forecast, and the forecast decides only among proposals equal on
them. Deterministic: the futures are drawn from (seed, round date, future number).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from allocator.data import NO_DAY, RoundData, build_round_data, day
from allocator.lexflow import LexFlow, flow_cost_limit
from allocator.objective import Objective, Term
from allocator.pairs import Pairs, rejection_codes
from allocator.rules import r7_clocks, r9_timing
from models.scenario import (
    ENTERS_TEMPORARY,
    Dwelling,
    Household,
    Scenario,
    Situation,
    SituationKind,
)

#: The look-ahead terms are ranked right after this one (this round's deadline tier).
LOOKAHEAD_AFTER = "deadline_days_over"


@dataclass(frozen=True)
class Outlook:
    """Per household of the round: how it fares in the sampled futures if not housed now."""

    weeks: int
    futures: int
    #: Futures in which the household misses its deadline when not housed this round.
    fails: np.ndarray
    #: Days over its deadline summed over the futures.
    days: np.ndarray
    #: Households assessed (under a clock switched on, not due now, deadline in reach).
    assessed: np.ndarray
    #: Per household, the week (1..weeks) its deadline falls in, for the reasons.
    weeks_left: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: Families without a home, assessed because they may be placed in temporary housing
    #: in the coming weeks (`forecast.temporary_entry_per_week`), which starts their
    #: 3-month clock; `weeks_left` is then the mean week of that deadline in the futures
    #: in which they miss it.
    entering: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: Per dwelling of the round: futures in which leaving it empty now lets one more
    #: clocked household (on the list now or joining later) meet its deadline.
    kept: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: Households due this round: their breach is this round's, but the days they would
    #: add over their deadline in the futures if not housed now count in `days`.
    due_now: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    #: Share of futures a household must fail in (more than) to count as at risk.
    min_share: float = 0.0
    #: Share of futures a dwelling must keep a deadline in (more than) to be kept empty
    #: (the larger of this and `min_share`).
    keep_share: float = 0.0

    def at_risk(self) -> np.ndarray:
        return self.assessed & (self.fails > self.min_share * self.futures)

    def held(self) -> np.ndarray:
        """Per dwelling: worth keeping for the coming weeks' deadlines (in more than the
        larger of `min_share` and `keep_share` of the futures)."""
        return self.kept > max(self.min_share, self.keep_share) * self.futures

    def active(self) -> bool:
        due_days = bool((self.due_now & (self.days > 0)).any()) if len(self.due_now) else False
        return bool(self.at_risk().any() or self.held().any() or due_days)


def _poisson(rng: np.random.Generator, mean: float) -> int:
    return int(rng.poisson(mean)) if mean > 0 else 0


def _future_households(
    scenario: Scenario, rng: np.random.Generator, k: int, rounds: list[dt.date]
) -> list[tuple[Household, int]]:
    """(household, the round it joins in) of the known and sampled clocked arrivals."""
    p = scenario.policy
    out: list[tuple[Household, int]] = []
    for e in scenario.expected_households:
        if rng.random() >= e.certainty:
            continue
        week = next((w for w, on in enumerate(rounds) if on >= e.joins_on), None)
        if week is None or week == 0:
            continue
        record = e.model_dump(exclude={"joins_on", "certainty"})
        out.append((Household.model_validate(record), week))
    forecast = scenario.forecast
    if forecast is None:
        return out
    for w, on in enumerate(rounds):
        if w == 0:
            continue
        for i, rate in enumerate(forecast.arrivals):
            for j in range(_poisson(rng, rate.per_week)):
                base = rate.household
                when = on + dt.timedelta(days=rate.deadline_after_days)
                kind = base.situation.kind
                if kind in (SituationKind.prison, SituationKind.institution):
                    situation = Situation(kind=kind, release_on=when)
                elif kind is SituationKind.refugee:
                    situation = Situation(kind=kind, arrives_on=when)
                elif kind is SituationKind.temporary:
                    start = when - dt.timedelta(days=p.temporary.max_days)
                    situation = Situation(kind=kind, since=min(start, on))
                else:
                    continue
                out.append(
                    (
                        base.model_copy(
                            update={
                                "id": f"~{k}.{w}.{i}.{j}:{base.id}",
                                "approved_on": min(on, scenario.as_of + dt.timedelta(days=7 * w)),
                                "situation": situation,
                            }
                        ),
                        w,
                    )
                )
    return out


def _future_vacancies(
    scenario: Scenario, rng: np.random.Generator, k: int, rounds: list[dt.date]
) -> list[tuple[Dwelling, int]]:
    """(dwelling, the round that first lists it) of the known and sampled vacancies."""
    out: list[tuple[Dwelling, int]] = []
    horizon = rounds[-1]
    for v in scenario.expected_vacancies:
        if rng.random() >= v.certainty or v.available_from > horizon + dt.timedelta(days=60):
            continue
        out.append((Dwelling.model_validate(v.model_dump(exclude={"certainty"})), 1))
    forecast = scenario.forecast
    if forecast is None or not forecast.vacancies:
        return out
    rates = np.array([rate.per_week for rate in forecast.vacancies])
    counts = rng.poisson(rates, size=(len(rounds) - 1, len(rates)))
    for w, i in zip(*np.nonzero(counts), strict=True):
        rate = forecast.vacancies[int(i)]
        on = rounds[int(w) + 1]
        for j in range(int(counts[w, i])):
            out.append(
                (
                    rate.dwelling.model_copy(
                        update={
                            "id": f"~{k}.{int(w) + 1}.{int(i)}.{j}:{rate.dwelling.id}",
                            "available_from": on + dt.timedelta(days=rate.notice_days),
                        }
                    ),
                    int(w) + 1,
                )
            )
    return out


def assess(scenario: Scenario, data: RoundData) -> Outlook | None:
    """The outlook of every clocked household of the round (None when look-ahead is off)."""
    la = scenario.policy.lookahead
    if la.weeks == 0:
        return None
    p = scenario.policy
    step = p.round_days
    rounds = [scenario.as_of + dt.timedelta(days=step * w) for w in range(la.weeks + 1)]
    reach = day(rounds[-1]) + p.round_days + p.offer_lead_days
    assessed = data.has_clock & data.ranked & ~data.due & (data.deadline < reach)
    due_now = data.has_clock & data.ranked & data.due
    # Days over a due household has anyway, housed now at the earliest.
    late_now = np.maximum(0, np.maximum(data.earliest_move_in, data.ready) - data.deadline).astype(
        np.int64
    )
    entering = _may_enter_temporary(scenario, data)
    fails = np.zeros(data.H, dtype=np.int64)
    days = np.zeros(data.H, dtype=np.int64)
    weeks_left = np.where(assessed, (data.deadline - data.as_of) // 7, 0)
    late_weeks = np.zeros(data.H, dtype=np.int64)  # entering: deadline weeks of the fails
    current = [scenario.households[int(i)] for i in np.flatnonzero(assessed | due_now)]

    def outlook() -> Outlook:
        weeks = np.where(entering, late_weeks // np.maximum(1, fails), weeks_left)
        return Outlook(
            la.weeks,
            la.futures,
            fails,
            days,
            assessed | entering,
            weeks,
            entering=entering,
            kept=kept,
            min_share=la.min_share,
            keep_share=la.keep_share,
            due_now=due_now,
        )

    # This round's dwellings a clocked household could be kept waiting for: vacant, not
    # temporary housing (a tenant's dwelling is free only if the tenant moves, R11).
    # With `keep_weeks`, a dwelling is kept at most that many weeks past the day it is
    # free; after that it goes to whoever the round alone would give it to.
    fresh = (
        data.as_of - data.available <= 7 * la.keep_weeks
        if la.keep_weeks > 0
        else np.ones(data.D, dtype=bool)
    )
    keepable = np.flatnonzero((data.category != r7_clocks.TEMPORARY) & (data.tenant < 0) & fresh)
    kept = np.zeros(data.D, dtype=np.int64)
    listed = {d.id: d for d in scenario.dwellings}
    keep = [listed[data.dwelling_ids[j]] for j in keepable.tolist()]
    for k in range(la.futures):
        rng = np.random.default_rng([la.seed, scenario.as_of.toordinal(), k])
        arrivals = _future_households(scenario, rng, k, rounds)
        vacancies = _future_vacancies(scenario, rng, k, rounds)
        # A stream of its own, so the arrivals and vacancies drawn stay the same.
        entries = _entries(scenario, data, entering, [la.seed, scenario.as_of.toordinal(), k, 1])
        entered = [h for h, _ in entries]
        clocked = [*current, *entered]
        if not clocked and not arrivals:
            continue
        result, gains = _one_future(scenario, clocked, arrivals, vacancies, rounds, keep)
        kept[keepable] += np.asarray(gains, dtype=np.int64)
        for h, (late, over) in zip(clocked, result, strict=True):
            i = data.household_index[h.id]
            if due_now[i]:
                days[i] += max(0, over - int(late_now[i]))
                continue
            fails[i] += late
            days[i] += over
        for (h, week), (late, _) in zip(entries, result[len(current) :], strict=True):
            late_weeks[data.household_index[h.id]] += week if late else 0
    return outlook()


def _may_enter_temporary(scenario: Scenario, data: RoundData) -> np.ndarray:
    """Families without a home and without a clock, while the forecast gives a chance of
    temporary housing and the 3-month clock is switched on."""
    forecast = scenario.forecast
    rate = 0.0 if forecast is None else forecast.temporary_entry_per_week or 0.0
    if rate <= 0 or scenario.policy.temporary.mode != "hard":
        return np.zeros(data.H, dtype=bool)
    kinds = np.array([h.situation.kind in ENTERS_TEMPORARY for h in scenario.households])
    return kinds & data.family & ~data.has_clock


def _entries(
    scenario: Scenario, data: RoundData, entering: np.ndarray, seed: list[int]
) -> list[tuple[Household, int]]:
    """In one future: the families that enter temporary housing within reach of the
    horizon, as households in temporary housing since then, with the week (from now) of
    the 3-month deadline that starts. Each family enters in week w (1..weeks) with the
    forecast's weekly chance, in the middle of the week before the round."""
    la, p = scenario.policy.lookahead, scenario.policy
    candidates = np.flatnonzero(entering)
    if not len(candidates):
        return []
    assert scenario.forecast is not None and scenario.forecast.temporary_entry_per_week
    rate = scenario.forecast.temporary_entry_per_week
    draws = np.random.default_rng(seed).random((len(candidates), la.weeks)) < rate
    reach = scenario.as_of + dt.timedelta(days=p.round_days * (la.weeks + 1) + p.offer_lead_days)
    out = []
    for i, row in zip(candidates.tolist(), draws, strict=True):
        if not row.any():
            continue
        week = int(row.argmax()) + 1
        h = scenario.households[i]
        since = max(h.approved_on, scenario.as_of + dt.timedelta(days=p.round_days * week - 4))
        limit = since + dt.timedelta(days=p.temporary.max_days)
        if limit >= reach:
            continue  # due after the horizon: nothing to see in this future
        situation = Situation(kind=SituationKind.temporary, since=since)
        weeks = (limit - scenario.as_of).days // 7
        out.append((h.model_copy(update={"situation": situation}), weeks))
    return out


def _one_future(
    scenario: Scenario,
    current: list[Household],
    arrivals: list[tuple[Household, int]],
    vacancies: list[tuple[Dwelling, int]],
    rounds: list[dt.date],
    keep: Sequence[Dwelling] = (),
) -> tuple[list[tuple[bool, int]], list[bool]]:
    """(misses its deadline, days over) per current household in one sampled future: the
    clocked households compete for the future vacancies, each from the first round in
    which it is due, most on time first, then fewest days over. And per dwelling in
    `keep` (this round's, left empty now so still on the list next round): whether it
    lets more clocked households (by clock weight) be on time in this future."""
    p = scenario.policy
    H = len(current) + len(arrivals)
    if not vacancies and not keep:
        return [(True, _unhoused_days(h, scenario, rounds)) for h in current], []
    households = [*current, *(h for h, _ in arrivals)]
    joins = np.array([0] * len(current) + [w for _, w in arrivals], dtype=np.int64)
    listed = np.array([w for _, w in vacancies] + [1] * len(keep), dtype=np.int64)
    future = scenario.model_copy(
        update={
            "households": households,
            "dwellings": [*(d for d, _ in vacancies), *keep],
            "locks": scenario.locks.model_copy(update={"pinned": [], "forbidden": []}),
            "expected_vacancies": [],
            "expected_households": [],
            "forecast": None,
        }
    )
    fdata = build_round_data(future)
    allowed = rejection_codes(fdata, np.arange(H)) == 0
    rows, cols = np.nonzero(allowed)
    h, d = rows.astype(np.int64), cols.astype(np.int64)
    # The first round in which the household is due (and so has precedence in tier 1),
    # at or after it joins and the dwelling is listed.
    round_days = np.array([day(r) for r in rounds], dtype=np.int64)
    due_from = np.searchsorted(
        round_days + p.round_days + p.offer_lead_days, fdata.deadline, side="right"
    )
    week = np.maximum.reduce([due_from[h], joins[h], listed[d], np.ones(len(h), np.int64)])
    keep_weeks = p.lookahead.keep_weeks
    if keep_weeks > 0:
        # A dwelling kept now is kept for a household joining later: it is offered to it
        # in the round it joins, not first when it is due. It is still empty in round w
        # only if it was within `keep_weeks` of its free day in round w - 1 (after that
        # the round lets it), so a future that needs it later gains nothing from keeping
        # it now (benchmarks/README.md, issue 14, "The order of priority and the keep
        # window").
        kept_pair = d >= len(vacancies)
        week = np.where(kept_pair & (joins[h] > 0), joins[h], week)
        last = round_days[np.clip(week - 1, 0, len(rounds) - 1)] - fdata.available[d]
        within = ~kept_pair | (last <= 7 * keep_weeks)
    else:
        within = np.ones(len(h), dtype=bool)
    ok = (week <= len(rounds) - 1) & (fdata.deadline[h] != NO_DAY) & within
    h, d, week = h[ok], d[ok], week[ok]
    as_of_w = round_days[week]
    move_in = np.maximum(np.maximum(as_of_w + p.offer_lead_days, fdata.ready_on[d]), fdata.ready[h])
    late = np.maximum(0, move_in - fdata.deadline[h])
    unhoused = np.array([_unhoused_days(x, scenario, rounds) for x in households], dtype=np.int64)
    weight = np.maximum(1, fdata.clock_weight)
    on_time = np.where(late == 0, weight[h], 0)
    saved = weight[h] * np.maximum(0, unhoused[h] - late)
    limit = flow_cost_limit(H, fdata.D)
    future_only = d < len(vacancies)
    flow = LexFlow(H, fdata.D, h[future_only], d[future_only])
    if int(on_time.max(initial=0)) < limit:
        flow.optimise(on_time[future_only])
    if int(saved.max(initial=0)) < limit:
        flow.optimise(saved[future_only], face=False)
    chosen = np.flatnonzero(future_only)[flow.chosen()]
    got = {int(a): int(b) for a, b in zip(h[chosen], late[chosen], strict=True)}
    out = []
    for i in range(len(current)):
        if i in got:
            out.append((got[i] > 0, got[i]))
        else:
            out.append((True, int(unhoused[i])))
    base = int(on_time[chosen].sum())
    gains = []
    for j in range(len(keep)):
        with_j = future_only | (d == len(vacancies) + j)
        # A dwelling no clocked household could move into on time cannot raise the
        # number on time (exact), so its flow is skipped.
        if int(on_time.max(initial=0)) >= limit or not (on_time[with_j & ~future_only] > 0).any():
            gains.append(False)
            continue
        more = LexFlow(H, fdata.D, h[with_j], d[with_j]).optimise(on_time[with_j])
        gains.append(int(more) > base)
    return out, gains


def _unhoused_days(h: Household, scenario: Scenario, rounds: list[dt.date]) -> int:
    """Days over at the end of the horizon for a household housed by none of its rounds."""
    p = scenario.policy
    limit = r7_clocks.clock_dates(
        scenario.model_copy(update={"households": [h]}), _clocks()
    ).deadline[0]
    if limit == NO_DAY:
        return 0
    end = day(rounds[-1]) + p.round_days + p.offer_lead_days
    return max(0, int(end - limit))


def _clocks():  # type: ignore[no-untyped-def]
    from allocator.rules.registry import CLOCKS

    return CLOCKS


def terms(outlook: Outlook) -> list[Term]:
    """The look-ahead's two components: expected breaches and days over (summed over the
    futures) of the assessed households left unhoused now; housing one in a non-temporary
    dwelling avoids its share. The breaches also count, for every dwelling given away now,
    the futures in which keeping it empty would have let a clocked household meet its
    deadline."""
    risk = outlook.at_risk()
    risk_fails = np.where(risk, outlook.fails, 0)
    due = outlook.due_now if len(outlook.due_now) else np.zeros(len(risk), dtype=bool)
    risk_days = np.where(risk | due, outlook.days, 0)
    kept = np.where(outlook.held(), outlook.kept, 0) if len(outlook.kept) else None

    def avoided(pairs: Pairs, per_household: np.ndarray) -> np.ndarray:
        real = pairs.data.category[pairs.d] != r7_clocks.TEMPORARY
        return np.where(real, per_household[pairs.h], 0).astype(np.int64)

    def breaches(pairs: Pairs) -> np.ndarray:
        """Housing an at-risk household avoids its share; giving away a dwelling worth
        keeping costs the futures in which it would have kept a deadline."""
        out = -avoided(pairs, risk_fails)
        return out if kept is None else out + kept[pairs.d].astype(np.int64)

    return [
        Term(
            "lookahead_breaches",
            "min",
            breaches,
            lambda pairs: int(risk_fails.sum()),
        ),
        Term(
            "lookahead_days_over",
            "min",
            lambda pairs: -avoided(pairs, risk_days),
            lambda pairs: int(risk_days.sum()),
        ),
    ]


def with_lookahead(objective: Objective, outlook: Outlook) -> Objective:
    """`objective` with the look-ahead components right after this round's deadline tier
    (or first, when no clock is ranked this round)."""
    names = objective.names
    out = objective
    anchor = LOOKAHEAD_AFTER if LOOKAHEAD_AFTER in names else None
    for term in terms(outlook):
        if anchor is None:
            out = Objective(terms=(term, *out.terms), measured=out.measured)
            anchor = term.name
        else:
            out = out.with_extra(term, after=anchor)
            anchor = term.name
    return out


def expected(outlook: Outlook, h: int) -> tuple[int, int, int]:
    """(futures failing, futures, weeks to its deadline) of household `h`, for reasons."""
    return int(outlook.fails[h]), outlook.futures, int(outlook.weeks_left[h])


__all__ = ["Outlook", "assess", "expected", "terms", "with_lookahead"]

_ = (math, r9_timing)
