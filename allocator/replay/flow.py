"""The weekly flow: what happens between two allocation meetings, and after one.

Before round k (k >= 1), for the week just past, in this order:

1. withdrawals: a waiting household leaves the list (found housing, moved away);
2. temporary housing: homeless and crisis-centre households enter temporary housing
   (``situation.since`` = that day: the R7 clock of a family starts);
3. move-outs: tenants give notice; the dwelling joins the list, free after a release delay,
   and the building's residents counts drop at once;
4. arrivals: new approvals (applications x grant share), approved during the week;
5. transfer applications (when the flow config has `transfers`): sitting tenants apply to
   move; they wait on the list with their dwelling (issue 15).

After round k: each offer is declined with a probability (the dwelling stays on the list;
the household is not offered it again; the decline may lapse the approval) or accepted
(the household moves in; residents counts rise, so next week's spread and separation
rules see it). An offer of a dwelling a tenant frees stands only if the tenant accepted
its own (a declined link ends the chain there: the dwellings below stay let, and those
offers are void, not declined); an accepted tenant's dwelling is vacated, free after the
policy's turnover days.

Every draw comes from ``Streams``: arrivals and move-outs from per-week streams that
nothing policy-dependent consumes; household events from streams keyed by household.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allocator.replay.municipality import pick
from allocator.replay.state import Placement, World
from allocator.replay.streams import (
    ARRIVALS,
    DECLINES,
    TEMPORARY,
    TRANSFERS,
    VACANCIES,
    WITHDRAWALS,
    Streams,
)
from models import Category, Dwelling, Household
from models.proposal import Proposal
from models.scenario import (
    ENTERS_TEMPORARY,
    Child,
    Situation,
    SituationKind,
    SubstanceUse,
    Transfer,
    TransferReason,
)


@dataclass
class WeekEvents:
    """What the flow did this week; the KPIs and the common-random-number test read it."""

    withdrawn: list[str] = field(default_factory=list)
    transfer_applications: list[Household] = field(default_factory=list)
    #: Offers void because the tenant whose dwelling they let did not move (R11).
    void: list[str] = field(default_factory=list)
    entered_temporary: list[str] = field(default_factory=list)
    moveout_draws: list[str] = field(default_factory=list)
    moved_out: list[str] = field(default_factory=list)
    arrivals: list[Household] = field(default_factory=list)
    accepted: list[Placement] = field(default_factory=list)
    declined: list[str] = field(default_factory=list)
    lapsed: list[str] = field(default_factory=list)
    #: Household -> the day it left the list (withdrawn or lapsed).
    left_on: dict[str, dt.date] = field(default_factory=dict)


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: exact and cheap for weekly means of a few dozen."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def before_round(world: World, streams: Streams, week: int, as_of: dt.date) -> WeekEvents:
    """The week before round ``week`` (nothing happens before round 0: day 0 as generated)."""
    events = WeekEvents()
    if week == 0:
        return events
    withdraw(world, streams, week, as_of, events)
    enter_temporary(world, streams, week, as_of, events)
    move_out(world, streams, week, as_of, events)
    arrive(world, streams, week, as_of, events)
    apply_for_transfer(world, streams, week, as_of, events)
    world.update_situations(as_of)
    return events


def withdraw(world: World, streams: Streams, week: int, as_of: dt.date, events: WeekEvents) -> None:
    p = world.flow.withdraw_per_week
    for hid in list(world.waiting):
        rng = streams.keyed(WITHDRAWALS, week, hid)
        if rng.random() < p:
            on = as_of - dt.timedelta(days=rng.randint(1, 7))
            world.leave_list(hid, on)
            events.withdrawn.append(hid)
            events.left_on[hid] = on


def enter_temporary(
    world: World, streams: Streams, week: int, as_of: dt.date, events: WeekEvents
) -> None:
    rates = world.flow.enter_temporary
    for hid, h in list(world.waiting.items()):
        if h.situation.kind not in ENTERS_TEMPORARY or hid in world.temp_home:
            continue
        rng = streams.keyed(TEMPORARY, week, hid)
        if rng.random() < (rates.family if h.children else rates.single):
            since = as_of - dt.timedelta(days=rng.randint(1, 7))
            world.set_temporary(hid, max(since, h.approved_on))
            events.entered_temporary.append(hid)


def move_out(world: World, streams: Streams, week: int, as_of: dt.date, events: WeekEvents) -> None:
    """One uniform per dwelling (in stock order) decides notice; one delay per notice.
    The draws do not depend on occupancy, so every policy sees the same notices; a notice
    on a dwelling that stands empty, or whose tenant moved in during the replay (who gives
    no notice within the year), has no effect."""
    u = streams.week_array(VACANCIES, week, len(world.order))
    rng = streams.week(VACANCIES, week)
    low, high = world.flow.release_days
    for i in np.flatnonzero(u < world.moveout_p):
        did = world.order[int(i)]
        release = as_of + dt.timedelta(days=rng.randint(low, high))
        events.moveout_draws.append(did)
        tenant = world.tenants.get(did)
        if tenant is not None and tenant.household is None and not tenant.placed:
            world.vacate(did, release)
            events.moved_out.append(did)
            applicant = next((h for h, d in world.applicants.items() if d == did), None)
            if applicant is not None:  # moved away: its transfer application ends
                world.leave_list(applicant, as_of)
                events.withdrawn.append(applicant)
                events.left_on[applicant] = as_of


def arrive(world: World, streams: Streams, week: int, as_of: dt.date, events: WeekEvents) -> None:
    """Applications ~ Poisson(mean monthly x 12/52), each granted with the grant share."""
    flow = world.flow
    rng = streams.week(ARRIVALS, week)
    low, high = flow.applications_per_month
    applications = poisson(rng, (low + high) / 2 * 12 / 52)
    approved = sum(rng.random() < flow.grant_share for _ in range(applications))
    for k in range(approved):
        approved_on = as_of - dt.timedelta(days=rng.randint(1, 7))
        h = world.factory.draw(rng, f"A{week:03d}-{k + 1:02d}", approved_on)
        world.waiting[h.id] = h
        events.arrivals.append(h)


def apply_for_transfer(
    world: World, streams: Streams, week: int, as_of: dt.date, events: WeekEvents
) -> None:
    """One uniform per dwelling (stock order) decides a transfer application by its
    day-0 tenant; the applicant's household is drawn and shaped to its reason."""
    cfg = world.flow.transfers
    if cfg is None:
        return
    u = streams.week_array(TRANSFERS, week, len(world.order))
    rng = streams.week(TRANSFERS, week)
    applying = set(world.applicants.values())
    for k, i in enumerate(np.flatnonzero(u < cfg.weekly())):
        did = world.order[int(i)]
        tenant = world.tenants.get(did)
        d = world.dwellings[did]
        if (
            tenant is None
            or tenant.household is not None
            or tenant.placed
            or did in applying
            or d.category is Category.temporary
        ):
            continue
        reason = pick(rng, cfg.reasons)
        approved_on = as_of - dt.timedelta(days=rng.randint(1, 7))
        h = world.factory.draw(rng, f"S{week:03d}-{k + 1:02d}", approved_on)
        h = shaped_applicant(h, d, reason, tenant.high_need, tenant.substance)
        world.applicants[h.id] = did
        world.waiting[h.id] = h
        events.transfer_applications.append(h)


def shaped_applicant(
    h: Household, d: Dwelling, reason: str, high_need: bool, substance: SubstanceUse
) -> Household:
    """The drawn household as the tenant of `d` applying for `reason`: an overcrowded
    family needs a bedroom more than `d` has, an under-occupying household (in a flat of
    two or more bedrooms) one that needs at most one; a needs case needs step-free access;
    its flags are the tenant's (the building's residents counts hold them)."""
    update: dict[str, Any] = {}
    if reason == "overcrowded":
        minors = max(1, 2 * d.bedrooms - 1)
        update["adults"] = 2
        update["partner"] = True
        update["children"] = [
            c.model_copy(update={"age": min(c.age, 17)}) for c in h.children[:minors]
        ] + [Child(age=2 + j % 14) for j in range(max(0, minors - len(h.children)))]
    elif reason == "under_occupying" and d.bedrooms >= 2:
        update["children"] = []
        update["adults"] = min(h.adults, 2)
    elif reason == "under_occupying":
        reason = "other"
    elif reason == "needs":
        update["needs"] = h.needs.model_copy(update={"step_free": True})
    update.update(
        current_dwelling=d.id,
        transfer=Transfer(reason=TransferReason(reason)),
        situation=Situation(kind=SituationKind.unsuitable),
        high_need=high_need,
        substance_use=substance,
    )
    if update.get("adults", h.adults) < 2:
        update["partner"] = None
    return Household.model_validate({**h.model_dump(), **update})


def after_round(
    world: World,
    streams: Streams,
    week: int,
    proposal: Proposal,
    events: WeekEvents,
    turnover_days: int = 14,
) -> None:
    """Offers go out; each is declined or accepted (see module docstring). Every draw is
    made first (one stream per household), then offers of dwellings whose tenant does not
    move are void, then moving tenants' dwellings are vacated, then everyone moves in."""
    flow = world.flow
    accepted: list[Any] = []
    for match in proposal.matches:
        h = world.waiting.get(match.household)
        if h is None:
            continue
        rng = streams.keyed(DECLINES, week, match.household)
        declines, lapses = rng.random(), rng.random()
        if declines < flow.decline_probability:
            events.declined.append(match.household)
            world.declined.add((match.household, match.dwelling))
            if lapses < flow.lapse_on_decline:
                world.leave_list(match.household, match.move_in)
                events.lapsed.append(match.household)
                events.left_on[match.household] = match.move_in
            continue
        accepted.append((h, match))
    tenant_of = {d: h for h, d in world.applicants.items()}
    moving = {h.id for h, _ in accepted if h.id in world.applicants}
    while True:  # a link stands only if the tenant above it moves
        void = [
            m
            for h, m in accepted
            if m.dwelling in tenant_of and tenant_of[m.dwelling] not in moving
        ]
        if not void:
            break
        gone = {m.household for m in void}
        events.void += sorted(gone)
        accepted = [(h, m) for h, m in accepted if m.household not in gone]
        moving -= gone
    for h, match in accepted:
        if h.id in moving:
            world.move_tenant(h.id, match.move_in, turnover_days)
    for h, match in accepted:
        events.accepted.append(world.place(h, match.dwelling, match.move_in))


def housed(events: WeekEvents) -> list[Placement]:
    """Accepted offers of a permanent (non-temporary) dwelling."""
    return [p for p in events.accepted if p.dwelling.category is not Category.temporary]
