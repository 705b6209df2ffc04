"""The hindsight optimum of a replay: the year planned with every event known.

Why: a weekly policy is judged against the best that could have been done had the whole
year been known in advance: every arrival, notice, withdrawal, entry into temporary
housing and declined offer. No policy can beat it, so "share of the greedy → hindsight gap
closed" says how much of what is possible a policy achieves (Ahani et al. 2024 report
Annie MOORE's dynamic placement at over 98 % of the hindsight optimum).

The events are drawn from the replay's own streams, exactly as the weekly flow draws them
(allocator.replay.flow), without running any policy: they do not depend on one, because
tenants who move in during the replay give no notice within the year and the draws are
keyed by week and household. The plan is time-indexed: household h may take vacancy d in
any round w where h is on the list (arrived, not withdrawn), d is listed, and h would not
decline an offer made that round; it moves in as the round rules' R9 formula says. Every
pairwise rule holds. All tier values only get worse in later rounds (later move-in, more
days over, longer waits, more vacancy days), so each pair is taken in its earliest round,
and the plan is a lexicographic min-cost flow (allocator.lexflow), exact, over

1. breaches of the deadline clocks (households whose realised days over are above 0),
   weighted as in the weekly tier 1, then the realised days over;
2. priority points of the households housed, then days of waiting saved (the weekly
   tier 2's points grow with waiting, which summed over a year would reward housing
   people later; over a year the waiting itself is what is weighed);
3. the fit tier of each placement.

The round rules (caps, quotas, separation) are then checked over time on the plan; when
it keeps them it is the exact optimum (`exact`), otherwise it is reported as a bound, with
the number of placements that break them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from allocator.data import build_round_data, day
from allocator.lexflow import LexFlow, flow_cost_limit
from allocator.pairs import first_rejection, fit_points
from allocator.replay.flow import ENTERS_TEMPORARY, poisson
from allocator.replay.municipality import Municipality
from allocator.replay.realised import Realised, clock_of
from allocator.replay.state import World
from allocator.replay.streams import (
    ARRIVALS,
    DECLINES,
    TEMPORARY,
    VACANCIES,
    WITHDRAWALS,
    Streams,
)
from allocator.warmstart import _stack
from models import Category, Household, Policy
from models.scenario import Scenario, Situation, SituationKind


@dataclass
class YearEvents:
    """Everything that happens in the replayed year, whatever the policy."""

    start: dt.date
    weeks: int
    households: dict[str, Household] = field(default_factory=dict)
    listed: dict[str, int] = field(default_factory=dict)  # household -> first round
    withdraws: dict[str, tuple[int, dt.date]] = field(default_factory=dict)
    enters_temporary: dict[str, tuple[int, dt.date]] = field(default_factory=dict)
    declines: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    vacancies: dict[str, tuple[int, dt.date]] = field(default_factory=dict)  # -> round, free

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=7 * self.weeks)

    def round_date(self, week: int) -> dt.date:
        return self.start + dt.timedelta(days=7 * week)


def year_events(m: Municipality, seed: int, weeks: int) -> YearEvents:
    """The year's events, drawn from the replay's streams as allocator.replay.flow does."""
    streams = Streams(seed)
    world = World(m, m.config.flow, m.household_factory())
    flow = world.flow
    ev = YearEvents(m.start, weeks)
    for h in m.waiting:
        ev.households[h.id] = h
        ev.listed[h.id] = 0
    for did, free in m.vacant.items():
        if world.dwellings[did].category is not Category.temporary:
            ev.vacancies[did] = (0, free)
    day0_tenant = {did for did, t in m.tenants.items() if t.household is None}
    on_list: set[str] = set(ev.households)
    for week in range(weeks):
        as_of = ev.round_date(week)
        if week >= 1:
            for hid in sorted(on_list):  # withdrawals first (flow.withdraw)
                rng = streams.keyed(WITHDRAWALS, week, hid)
                if rng.random() < flow.withdraw_per_week:
                    ev.withdraws[hid] = (week, as_of - dt.timedelta(days=rng.randint(1, 7)))
                    on_list.discard(hid)
            rates = flow.enter_temporary
            for hid in sorted(on_list):  # then entries into temporary housing
                h = ev.households[hid]
                if h.situation.kind not in ENTERS_TEMPORARY or hid in ev.enters_temporary:
                    continue
                rng = streams.keyed(TEMPORARY, week, hid)
                if rng.random() < (rates.family if h.children else rates.single):
                    since = as_of - dt.timedelta(days=rng.randint(1, 7))
                    ev.enters_temporary[hid] = (week, max(since, h.approved_on))
            u = streams.week_array(VACANCIES, week, len(world.order))  # move-outs
            rng = streams.week(VACANCIES, week)
            low, high = flow.release_days
            for i in np.flatnonzero(u < world.moveout_p):
                did = world.order[int(i)]
                release = as_of + dt.timedelta(days=rng.randint(low, high))
                if did in day0_tenant:
                    day0_tenant.discard(did)
                    ev.vacancies[did] = (week, release)
            rng = streams.week(ARRIVALS, week)  # arrivals
            lo, hi = flow.applications_per_month
            applications = poisson(rng, (lo + hi) / 2 * 12 / 52)
            approved = sum(rng.random() < flow.grant_share for _ in range(applications))
            for k in range(approved):
                approved_on = as_of - dt.timedelta(days=rng.randint(1, 7))
                h = world.factory.draw(rng, f"A{week:03d}-{k + 1:02d}", approved_on)
                ev.households[h.id] = h
                ev.listed[h.id] = week
                on_list.add(h.id)
        for hid in sorted(on_list):
            if streams.keyed(DECLINES, week, hid).random() < flow.decline_probability:
                ev.declines[hid].add(week)
    return ev


def _situation_at(ev: YearEvents, h: Household, week: int | None) -> Household:
    """The household as it stands in round `week` (None: at the end of the year)."""
    entered = ev.enters_temporary.get(h.id)
    if entered is not None and (week is None or entered[0] <= week):
        return h.model_copy(update={"situation": Situation(kind=SituationKind.temporary,
                                                           since=entered[1])})
    return h


@dataclass
class Hindsight:
    """The plan and its realised KPIs, as a replay run reports them."""

    placements: dict[str, tuple[str, dt.date]]  # household -> (dwelling, move-in)
    kpis: dict[str, float | int | None]
    exact: bool
    broken: int  # placements that break a round rule over time (0 when exact)
    pairs: int
    wall_s: float


def hindsight(m: Municipality, policy: Policy, seed: int, weeks: int) -> Hindsight:
    """The offline optimum of the replay of `m` with `seed` over `weeks` rounds."""
    import time

    started = time.monotonic()
    ev = year_events(m, seed, weeks)
    world = World(m, m.config.flow, m.household_factory())
    hids = sorted(ev.households)
    dids = sorted(ev.vacancies)
    households = [ev.households[i] for i in hids]
    dwellings = [world.dwellings[d].model_copy(update={"available_from": ev.vacancies[d][1]})
                 for d in dids]
    year = Scenario.model_construct(
        as_of=m.start, policy=policy, districts=m.districts, buildings=m.buildings,
        dwellings=dwellings, households=households, school_access=m.school_access,
        school_zones=[], locks=_no_locks(),
        expected_vacancies=[], expected_households=[], forecast=None)
    data = build_round_data(year)
    allowed = first_rejection(data, np.arange(data.H)) == 0
    rows, cols = np.nonzero(allowed)
    p = policy
    h_idx, d_idx, move_in, weeks_of = [], [], [], []
    listed_d = np.array([ev.vacancies[d][0] for d in dids], dtype=np.int64)
    for a, b in zip(rows, cols, strict=True):
        hid = hids[int(a)]
        first = max(ev.listed[hid], int(listed_d[b]))
        stop = ev.withdraws.get(hid, (weeks, None))[0]
        w = next((w for w in range(first, min(stop, weeks)) if w not in ev.declines[hid]),
                 None)
        if w is None:
            continue
        as_of = day(ev.round_date(w))
        h_idx.append(int(a))
        d_idx.append(int(b))
        weeks_of.append(w)
        move_in.append(max(as_of + p.offer_lead_days, int(data.ready_on[b]),
                           int(data.ready[a])))
    h = np.array(h_idx, dtype=np.int64)
    d = np.array(d_idx, dtype=np.int64)
    mi = np.array(move_in, dtype=np.int64)
    wk = np.array(weeks_of, dtype=np.int64)
    levels = _levels(ev, policy, households, data, h, d, mi, wk)
    flow = LexFlow(data.H, data.D, h, d)
    for k, values in enumerate(levels):
        flow.optimise(values, face=k < len(levels) - 1)
    chosen = flow.chosen()
    placements = {hids[int(a)]: (dids[int(b)], dt.date.fromordinal(int(x)))
                  for a, b, x in zip(h[chosen], d[chosen], mi[chosen], strict=True)}
    placed_weeks = {hids[int(a)]: int(w) for a, w in zip(h[chosen], wk[chosen], strict=True)}
    broken = _broken_over_time(m, ev, world, placements, placed_weeks, policy)
    kpis = _kpis(ev, policy, placements, placed_weeks)
    return Hindsight(placements, kpis, exact=broken == 0, broken=broken, pairs=len(h),
                     wall_s=time.monotonic() - started)


def _no_locks():  # type: ignore[no-untyped-def]
    from models.scenario import Locks

    return Locks()


def _levels(ev: YearEvents, policy: Policy, households: list[Household], data, h, d, mi,  # type: ignore[no-untyped-def]
            wk) -> list[np.ndarray]:
    """The plan's values per pair, stacked into as few exact flow levels as fit."""
    p, w = policy, policy.weights
    end = day(ev.end)
    H = len(households)
    weight = {c: getattr(p.deadlines.weights, c) for c in ("temporary", "release", "refugee")}
    clocks_on = {"temporary": p.temporary.mode == "hard", "release": p.deadlines.release == "hard",
                 "refugee": p.deadlines.refugee == "hard"}
    # Unhoused: the household as it ends the year, over its clock until it leaves or the end.
    base_breach = np.zeros(H, dtype=np.int64)
    base_days = np.zeros(H, dtype=np.int64)
    stop_day = np.zeros(H, dtype=np.int64)
    start_day = np.zeros(H, dtype=np.int64)
    for i, x in enumerate(households):
        left = ev.withdraws.get(x.id)
        stop = min(day(left[1]) if left else end, end)
        stop_day[i] = stop
        start_day[i] = max(day(x.approved_on), day(ev.start))
        found = clock_of(_situation_at(ev, x, None), policy)
        if found and clocks_on[found[0]]:
            over = max(0, stop - day(found[1]))
            base_breach[i] = weight[found[0]] * (over > 0)
            base_days[i] = weight[found[0]] * over
    # Housed at (d, week): the household as it stands in that round.
    breach = np.zeros(len(h), dtype=np.int64)
    days = np.zeros(len(h), dtype=np.int64)
    for k, (a, week, move) in enumerate(zip(h, wk, mi, strict=True)):
        found = clock_of(_situation_at(ev, households[int(a)], int(week)), policy)
        if found and clocks_on[found[0]]:
            over = max(0, int(min(move, end)) - day(found[1]))
            breach[k] = weight[found[0]] * (over > 0)
            days[k] = weight[found[0]] * over
    gains_breach = base_breach[h] - breach
    gains_days = base_days[h] - days
    points = np.array([w.priority_points[x.priority] for x in households], dtype=np.int64)[h]
    saved = w.waiting_points_per_day * np.maximum(0, stop_day[h] - np.minimum(mi, end))
    fit = fit_points(data, h, d, mi)["fit"].astype(np.int64)
    gains = [gains_breach, gains_days, points, saved, -fit]
    matches = max(1, min(data.H, data.D))
    limit = flow_cost_limit(data.H, data.D)
    levels: list[np.ndarray] = []
    value: np.ndarray | None = None
    for g in gains:
        if value is None:
            value = g
            continue
        try:
            value = _stack(value, g, matches, limit)
        except OverflowError:
            levels.append(value)
            value = g
    if value is not None:
        levels.append(value)
    return levels


def _kpis(ev: YearEvents, policy: Policy, placements: dict[str, tuple[str, dt.date]],
          weeks: dict[str, int]) -> dict[str, float | int | None]:
    """The plan's realised KPIs, counted as a replay run counts them."""
    realised = Realised(policy)
    for hid, x in ev.households.items():
        placed = placements.get(hid)
        realised.seen([_situation_at(ev, x, weeks.get(hid))])
        if placed is not None:
            dwelling, move_in = placed
            realised.housed(x, move_in, ev.vacancies[dwelling][1])
        elif hid in ev.withdraws:
            realised.left(hid, ev.withdraws[hid][1])
    return realised.kpis(ev.end)


def _broken_over_time(m: Municipality, ev: YearEvents, world: World,
                      placements: dict[str, tuple[str, dt.date]],
                      weeks: dict[str, int], policy: Policy) -> int:
    """Placements of the plan that break a round rule in the round they are made, with
    the residents of that round (day-0 tenants who gave notice before it gone, the plan's
    earlier placements in)."""
    from allocator.checker.context import Context
    from allocator.checker.registry import PLACEMENT_RULES
    from models.proposal import Match, Proposal, RunInfo

    by_week: dict[int, list[tuple[str, str, dt.date]]] = defaultdict(list)
    for hid, (did, move_in) in placements.items():
        by_week[weeks[hid]].append((hid, did, move_in))
    counts = {b.id: [b.residents.high_need, b.residents.active, b.residents.recovery]
              for b in m.buildings}
    tenants = dict(m.tenants)
    notice_week = {did: w for did, (w, _) in ev.vacancies.items()}
    broken = 0
    for week in range(ev.weeks):
        for did, w in notice_week.items():
            if w == week and did in tenants:
                t = tenants.pop(did)
                c = counts[world.dwellings[did].building]
                c[0] -= t.counts_high_need
                c[1] -= t.substance.value == "active"
                c[2] -= t.substance.value == "recovery"
        moves = by_week.get(week, [])
        if not moves:
            continue
        buildings = [b.model_copy(update={"residents": b.residents.model_copy(update={
            "high_need": max(0, counts[b.id][0]), "active": max(0, counts[b.id][1]),
            "recovery": max(0, counts[b.id][2])})}) for b in m.buildings]
        households = [ev.households[hid] for hid, _, _ in moves]
        dwellings = [world.dwellings[did] for _, did, _ in moves]
        scenario = Scenario.model_construct(
            as_of=ev.round_date(week), policy=policy, districts=m.districts,
            buildings=buildings, dwellings=dwellings, households=households,
            school_access=m.school_access, school_zones=[], locks=_no_locks(),
            expected_vacancies=[], expected_households=[], forecast=None)
        ctx = Context.of(scenario)
        proposal = Proposal(run=RunInfo(id="hindsight", as_of=ev.round_date(week),
                                        input_sha256="", policy_sha256=""),
                            matches=[Match(household=hid, dwelling=did, move_in=move_in)
                                     for hid, did, move_in in moves])
        broken += len({(v.household, v.dwelling) for rule in PLACEMENT_RULES
                       for v in rule.check(ctx, proposal)})
        for hid, did, _ in moves:
            x = ev.households[hid]
            high = x.high_need or (policy.spread.active_use_is_high_need
                                   and x.substance_use.value == "active")
            c = counts[world.dwellings[did].building]
            c[0] += high
            c[1] += x.substance_use.value == "active"
            c[2] += x.substance_use.value == "recovery"
    return broken
