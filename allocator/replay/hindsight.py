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
        return h.model_copy(
            update={"situation": Situation(kind=SituationKind.temporary, since=entered[1])}
        )
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
    #: Per component (breaches, days over, priority points, waiting saved, fit):
    #: OPTIMAL (proven, or attains the flow's bound) or FEASIBLE.
    statuses: tuple[str, ...] = ()
    #: The same events and policy give the same plan: every CP-SAT component ended proven
    #: or at its work limit, none at the wall-clock limit.
    repeatable: bool = True

    @property
    def tier1_exact(self) -> bool:
        """Deadline breaches and days over are proven optimal (what the look-ahead is
        compared on), whatever the later components."""
        return not self.broken and all(x == "OPTIMAL" for x in self.statuses[:2])


#: Work the exact time-indexed CP-SAT model may do when the flow plan breaks a round rule
#: over time, in CP-SAT's deterministic time units. A budget of work, not of seconds, with
#: CP-SAT's interleaved search (deterministic for any number of workers), so that the plan,
#: the reference every weekly policy is measured against, is the same on a loaded machine
#: as on a quiet one. With a wall-clock budget the later components got further or less
#: far with the load, and the 3-month clock's share of the proven tier 1 moved with them
#: (185.6 and 207.9 days over the cap on the same ten seeds; benchmarks/README.md).
EXACT_WORK = 120.0
#: Seconds the exact model may take in all (the goal: a 52-week hindsight within 10
#: minutes on 2 cores). A plan cut short by it is not repeatable and says so.
EXACT_WALL_S = 480.0


@dataclass(frozen=True)
class _Triples:
    """Candidate placements: household h takes dwelling d in round w, moving in on mi."""

    h: np.ndarray
    d: np.ndarray
    w: np.ndarray
    mi: np.ndarray


def hindsight(
    m: Municipality, policy: Policy, seed: int, weeks: int, work: float | None = None
) -> Hindsight:
    """The offline optimum of the replay of `m` with `seed` over `weeks` rounds (the exact
    model may do `work`, default EXACT_WORK, within EXACT_WALL_S)."""
    import time

    started = time.monotonic()
    work = EXACT_WORK if work is None else work
    ev = year_events(m, seed, weeks)
    world = World(m, m.config.flow, m.household_factory())
    hids = sorted(ev.households)
    dids = sorted(ev.vacancies)
    households = [ev.households[i] for i in hids]
    dwellings = [
        world.dwellings[d].model_copy(update={"available_from": ev.vacancies[d][1]}) for d in dids
    ]
    year = Scenario.model_construct(
        as_of=m.start,
        policy=policy,
        districts=m.districts,
        buildings=m.buildings,
        dwellings=dwellings,
        households=households,
        school_access=m.school_access,
        school_zones=[],
        locks=_no_locks(),
        expected_vacancies=[],
        expected_households=[],
        forecast=None,
    )
    data = build_round_data(year)
    rules = _RulesOverTime(m, ev, world, data, policy, dids)
    t = _triples(ev, data, policy, hids, dids, rules)
    gains = _gains(ev, policy, households, data, t.h, t.d, t.mi, t.w)
    levels = _stack_levels(gains, data)
    flow = LexFlow(data.H, data.D, t.h, t.d)
    for k, values in enumerate(levels):
        flow.optimise(values, face=k < len(levels) - 1)
    chosen = flow.chosen()
    bounds = [int(g[chosen].sum()) for g in gains]
    broken = rules.broken(t, chosen)
    statuses = tuple("OPTIMAL" for _ in gains)
    repeatable = True
    if broken:
        wall_s = EXACT_WALL_S - (time.monotonic() - started)
        chosen, statuses, repeatable = _exact(rules, t, gains, bounds, chosen, policy, work, wall_s)
    exact = all(x == "OPTIMAL" for x in statuses)
    placements = {
        hids[int(a)]: (dids[int(b)], dt.date.fromordinal(int(x)))
        for a, b, x in zip(t.h[chosen], t.d[chosen], t.mi[chosen], strict=True)
    }
    placed_weeks = {hids[int(a)]: int(w) for a, w in zip(t.h[chosen], t.w[chosen], strict=True)}
    # The plan checked round by round by the independent checker (a second statement).
    broken = _broken_over_time(m, ev, world, placements, placed_weeks, policy)
    exact = exact and broken == 0
    kpis = _kpis(ev, policy, placements, placed_weeks)
    return Hindsight(
        placements,
        kpis,
        exact=exact,
        broken=broken,
        pairs=len(t.h),
        wall_s=time.monotonic() - started,
        statuses=statuses,
        repeatable=repeatable,
    )


def _triples(
    ev: YearEvents,
    data,
    policy: Policy,
    hids: list[str],
    dids: list[str],  # type: ignore[no-untyped-def]
    rules: _RulesOverTime,
) -> _Triples:
    """Every pair every pairwise rule allows, in its earliest round; a household a round
    rule counts also in the first round after each change of its building's or scope's
    residents (a capacity can only grow as tenants leave), and in every round when a
    per-round quota applies. Later rounds only make every value worse, so no other round
    can be in an optimum."""
    allowed = first_rejection(data, np.arange(data.H)) == 0
    rows, cols = np.nonzero(allowed)
    p = policy
    listed_d = np.array([ev.vacancies[d][0] for d in dids], dtype=np.int64)
    out: list[tuple[int, int, int, int]] = []
    counted = rules.counted
    for a, b in zip(rows, cols, strict=True):
        hid = hids[int(a)]
        first = max(ev.listed[hid], int(listed_d[b]))
        stop = min(ev.withdraws.get(hid, (ev.weeks, None))[0], ev.weeks)
        feasible = [w for w in range(first, stop) if w not in ev.declines[hid]]
        if not feasible:
            continue
        picked = {feasible[0]}
        if counted[a]:
            if rules.per_round:
                picked = set(feasible)
            else:
                for change in rules.changes(int(b)):
                    later = next((w for w in feasible if w >= change), None)
                    if later is not None:
                        picked.add(later)
        for w in sorted(picked):
            if not rules.allowed_alone(int(a), int(b), w):
                continue
            as_of = day(ev.round_date(w))
            out.append(
                (
                    int(a),
                    int(b),
                    w,
                    max(as_of + p.offer_lead_days, int(data.ready_on[b]), int(data.ready[a])),
                )
            )
    arr = np.array(out, dtype=np.int64).reshape(-1, 4)
    return _Triples(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])


class _RulesOverTime:
    """The round rules round by round over the year: building caps with the residents of
    each round (day-0 tenants who gave notice gone, earlier placements in), per-round
    district and school-zone quotas, and separation per scope."""

    def __init__(
        self,
        m: Municipality,
        ev: YearEvents,
        world: World,
        data,
        policy: Policy,  # type: ignore[no-untyped-def]
        dids: list[str],
    ):
        from allocator.checker.facts import building_cap
        from allocator.rules.r5_spread import ORDINARY
        from allocator.rules.r6_separation import ACTIVE, RECOVERY, building_scope

        self.data, self.policy, self.weeks = data, policy, ev.weeks
        sp = policy.spread
        self.caps_on = sp.building_cap == "hard"
        self.separation_on = policy.separation.mode == "hard"
        B = len(m.buildings)
        index = {b.id: i for i, b in enumerate(m.buildings)}
        self.cap = np.array([building_cap(b, policy) for b in m.buildings], dtype=np.int64)
        self.ordinary = data.b_profile == ORDINARY
        self.scope = building_scope(data)
        S = int(self.scope.max(initial=-1)) + 1
        weeks = ev.weeks
        # Residents per building (high need) and per scope (active, recovery) by round.
        high = np.tile(np.array([b.residents.high_need for b in m.buildings]), (weeks, 1))
        active = np.zeros((weeks, S), dtype=np.int64)
        recovery = np.zeros((weeks, S), dtype=np.int64)
        for i, b in enumerate(m.buildings):
            active[:, self.scope[i]] += b.residents.active
            recovery[:, self.scope[i]] += b.residents.recovery
        self._changes_b: dict[int, set[int]] = {}
        self._changes_s: dict[int, set[int]] = {}
        for did, (week, _) in ev.vacancies.items():
            tenant = m.tenants.get(did)
            if week == 0 or tenant is None or tenant.household is not None:
                continue
            at = index[world.dwellings[did].building]
            s = int(self.scope[at])
            if tenant.counts_high_need:
                high[week:, at] -= 1
                self._changes_b.setdefault(at, set()).add(week)
            if tenant.substance.value == "active":
                active[week:, s] -= 1
                self._changes_s.setdefault(s, set()).add(week)
            if tenant.substance.value == "recovery":
                recovery[week:, s] -= 1
                self._changes_s.setdefault(s, set()).add(week)
        self.room = np.maximum(0, self.cap[None, :] - high)  # (weeks, B)
        self.active, self.recovery = active, recovery
        self.kind = np.where(
            data.substance == ACTIVE, 1, np.where(data.substance == RECOVERY, 2, 0)
        )
        self.high = data.high_need
        self.counted = self.high | (self.kind > 0)
        self.district_quota = (
            np.where(data.max_new_high_need >= 0, data.max_new_high_need, -1)
            if sp.district_quota == "hard"
            else np.full(len(data.district_ids), -1)
        )
        self.per_round = bool((self.district_quota >= 0).any())
        self.B = B

    def changes(self, d: int) -> set[int]:
        b = int(self.data.d_building[d])
        return self._changes_b.get(b, set()) | self._changes_s.get(int(self.scope[b]), set())

    def allowed_alone(self, h: int, d: int, w: int) -> bool:
        """The placement alone, in round w, breaks no round rule."""
        b = int(self.data.d_building[d])
        if self.caps_on and self.high[h] and self.ordinary[b] and self.room[w, b] <= 0:
            return False
        if self.separation_on and self.kind[h]:
            s = int(self.scope[b])
            other = self.recovery if self.kind[h] == 1 else self.active
            if other[w, s] > 0:
                return False
        d_quota = self.district_quota[self.data.d_district[d]]
        return not (self.high[h] and d_quota == 0)

    def rows(self, t: _Triples) -> list[tuple[np.ndarray, int]]:
        """(triples, bound) of every capacity: per ordinary building and round, the
        high-need placements up to that round within the room of that round; per district
        and round with a quota, the high-need placements of that round."""
        out = []
        data = self.data
        high = np.flatnonzero(self.high[t.h])
        b_of = data.d_building[t.d[high]]
        if self.caps_on:
            for b in np.unique(b_of):
                if not self.ordinary[b]:
                    continue
                members = high[b_of == b]
                for w in np.unique(t.w[members]):
                    upto = members[t.w[members] <= w]
                    if len(np.unique(t.d[upto])) > self.room[w, b]:
                        out.append((upto, int(self.room[w, b])))
        t_of = data.d_district[t.d[high]]
        for district in np.flatnonzero(self.district_quota >= 0):
            members = high[t_of == district]
            for w in np.unique(t.w[members]):
                here = members[t.w[members] == w]
                if len(here) > self.district_quota[district]:
                    out.append((here, int(self.district_quota[district])))
        return out

    def exclusions(self, t: _Triples) -> list[tuple[np.ndarray, np.ndarray]]:
        if not self.separation_on:
            return []
        scope = self.scope[self.data.d_building[t.d]]
        kind = self.kind[t.h]
        out = []
        for s in np.unique(scope[kind > 0]):
            one = np.flatnonzero((scope == s) & (kind == 1))
            two = np.flatnonzero((scope == s) & (kind == 2))
            if len(one) and len(two):
                out.append((one, two))
        return out

    def broken(self, t: _Triples, chosen: np.ndarray) -> int:
        """Chosen placements that break a capacity or a separation."""
        bad: set[int] = set()
        for members, bound in self.rows(t):
            picked = members[chosen[members]]
            if len(picked) > bound:
                bad |= {int(p) for p in picked}
        for one, two in self.exclusions(t):
            if chosen[one].any() and chosen[two].any():
                bad |= {
                    int(p) for p in np.concatenate([one, two])[chosen[np.concatenate([one, two])]]
                }
        return len(bad)

    def repair(self, t: _Triples, chosen: np.ndarray, value: np.ndarray) -> np.ndarray:
        """The chosen placements, round by round and best value first, kept while every
        rule allows: a feasible plan to start the exact model from."""
        out = np.zeros(len(chosen), dtype=bool)
        order = np.lexsort((-value, t.w))
        rows = self.rows(t)
        member_rows: dict[int, list[int]] = {}
        for r, (members, _) in enumerate(rows):
            for p in members:
                member_rows.setdefault(int(p), []).append(r)
        used = [0] * len(rows)
        exclusions = self.exclusions(t)
        side: dict[int, tuple[int, int]] = {}
        for e, (one, two) in enumerate(exclusions):
            for p in one:
                side[int(p)] = (e, 1)
            for p in two:
                side[int(p)] = (e, 2)
        taken: dict[int, int] = {}
        for p in order:
            p = int(p)
            if not chosen[p]:
                continue
            if any(used[r] + 1 > rows[r][1] for r in member_rows.get(p, [])):
                continue
            if p in side and taken.get(side[p][0], side[p][1]) != side[p][1]:
                continue
            out[p] = True
            for r in member_rows.get(p, []):
                used[r] += 1
            if p in side:
                taken[side[p][0]] = side[p][1]
        return out


def _exact(
    rules: _RulesOverTime,
    t: _Triples,
    gains: list[np.ndarray],
    bounds: list[int],
    relaxed: np.ndarray,
    policy: Policy,
    work: float,
    wall_s: float,
) -> tuple[np.ndarray, tuple[str, ...], bool]:
    """The time-indexed plan with every round rule, by CP-SAT, one component at a time,
    from the repaired flow plan; each component OPTIMAL when proven (by CP-SAT, or by
    attaining the flow's bound), FEASIBLE otherwise, and whether the plan is repeatable.
    The deadline components get half the work left each as long as they need it; the
    later ones share what is left."""
    import time

    from ortools.sat.python import cp_model

    from allocator.pairs import group_positions

    deadline = time.monotonic() + max(1.0, wall_s)
    used = 0.0
    repeatable = True
    stacked = _stack_levels(gains, rules.data)[0]
    hint = rules.repair(t, relaxed, stacked)
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(len(t.h))]
    for group in (group_positions(t.h), group_positions(t.d)):
        for members in group.values():
            if len(members) > 1:
                model.add_at_most_one(x[int(p)] for p in members)
    for members, bound in rules.rows(t):
        model.add(sum(x[int(p)] for p in members) <= bound)
    aux = []
    for one, two in rules.exclusions(t):
        flag = model.new_bool_var("")
        for p in one:
            model.add_implication(x[int(p)], flag)
        for p in two:
            model.add_implication(x[int(p)], flag.Not())
        aux.append((flag, one))
    chosen = hint.copy()
    statuses = []
    for k, (gain, bound) in enumerate(zip(gains, bounds, strict=True)):
        value = int(gain[chosen].sum())
        left = max(0.5, work - used)
        share = left / 2 if k < 2 else left / (len(gains) - k)
        if value < bound:
            nz = np.flatnonzero(gain)
            model.maximize(sum(int(gain[p]) * x[int(p)] for p in nz))
            model.clear_hints()
            for p, v in enumerate(chosen):
                model.add_hint(x[p], bool(v))
            for flag, one in aux:
                model.add_hint(flag, bool(chosen[one].any()))
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = max(2, policy.solver.workers)
            solver.parameters.random_seed = policy.solver.seed
            solver.parameters.interleave_search = True
            solver.parameters.max_deterministic_time = share
            solver.parameters.max_time_in_seconds = max(0.5, deadline - time.monotonic())
            code = solver.solve(model)
            spent = solver.response_proto.deterministic_time
            used += spent
            if code not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and spent < 0.99 * share:
                repeatable = False  # stopped by the clock, not by its work limit
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found = np.array([solver.boolean_value(v) for v in x], dtype=bool)
                if int(gain[found].sum()) >= value:
                    chosen, value = found, int(gain[found].sum())
            statuses.append("OPTIMAL" if code == cp_model.OPTIMAL or value >= bound else "FEASIBLE")
        else:
            statuses.append("OPTIMAL")
        nz = np.flatnonzero(gain)
        model.add(sum(int(gain[p]) * x[int(p)] for p in nz) >= value)
    return chosen, tuple(statuses), repeatable


def _no_locks():  # type: ignore[no-untyped-def]
    from models.scenario import Locks

    return Locks()


def _gains(
    ev: YearEvents,
    policy: Policy,
    households: list[Household],
    data,
    h,
    d,
    mi,  # type: ignore[no-untyped-def]
    wk,
) -> list[np.ndarray]:
    """The plan's values per placement, most significant first: breaches and days over
    avoided, priority points, days of waiting saved, fit (as a gain)."""
    p, w = policy, policy.weights
    end = day(ev.end)
    H = len(households)
    weight = {c: getattr(p.deadlines.weights, c) for c in ("temporary", "release", "refugee")}
    clocks_on = {
        "temporary": p.temporary.mode == "hard",
        "release": p.deadlines.release == "hard",
        "refugee": p.deadlines.refugee == "hard",
    }
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
    return [gains_breach, gains_days, points, saved, -fit]


def _stack_levels(gains: list[np.ndarray], data) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """The gains stacked into as few exact flow levels as 62-bit costs allow."""
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


def _kpis(
    ev: YearEvents,
    policy: Policy,
    placements: dict[str, tuple[str, dt.date]],
    weeks: dict[str, int],
) -> dict[str, float | int | None]:
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


def _broken_over_time(
    m: Municipality,
    ev: YearEvents,
    world: World,
    placements: dict[str, tuple[str, dt.date]],
    weeks: dict[str, int],
    policy: Policy,
) -> int:
    """Placements of the plan that break a round rule in the round they are made, with
    the residents of that round (day-0 tenants who gave notice before it gone, the plan's
    earlier placements in)."""
    from allocator.checker.context import Context
    from allocator.checker.registry import PLACEMENT_RULES
    from models.proposal import Match, Proposal, RunInfo

    by_week: dict[int, list[tuple[str, str, dt.date]]] = defaultdict(list)
    for hid, (did, move_in) in placements.items():
        by_week[weeks[hid]].append((hid, did, move_in))
    counts = {
        b.id: [b.residents.high_need, b.residents.active, b.residents.recovery] for b in m.buildings
    }
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
        buildings = [
            b.model_copy(
                update={
                    "residents": b.residents.model_copy(
                        update={
                            "high_need": max(0, counts[b.id][0]),
                            "active": max(0, counts[b.id][1]),
                            "recovery": max(0, counts[b.id][2]),
                        }
                    )
                }
            )
            for b in m.buildings
        ]
        households = [ev.households[hid] for hid, _, _ in moves]
        dwellings = [world.dwellings[did] for _, did, _ in moves]
        scenario = Scenario.model_construct(
            as_of=ev.round_date(week),
            policy=policy,
            districts=m.districts,
            buildings=buildings,
            dwellings=dwellings,
            households=households,
            school_access=m.school_access,
            school_zones=[],
            locks=_no_locks(),
            expected_vacancies=[],
            expected_households=[],
            forecast=None,
        )
        ctx = Context.of(scenario)
        proposal = Proposal(
            run=RunInfo(
                id="hindsight", as_of=ev.round_date(week), input_sha256="", policy_sha256=""
            ),
            matches=[
                Match(household=hid, dwelling=did, move_in=move_in) for hid, did, move_in in moves
            ],
        )
        broken += len(
            {
                (v.household, v.dwelling)
                for rule in PLACEMENT_RULES
                for v in rule.check(ctx, proposal)
            }
        )
        for hid, did, _ in moves:
            x = ev.households[hid]
            high = x.high_need or (
                policy.spread.active_use_is_high_need and x.substance_use.value == "active"
            )
            c = counts[world.dwellings[did].building]
            c[0] += high
            c[1] += x.substance_use.value == "active"
            c[2] += x.substance_use.value == "recovery"
    return broken
