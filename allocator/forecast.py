"""`allocator estimate-rates`: the look-ahead's forecast rates, from past rounds' files.

Why from the rounds: every municipality keeps its weekly lists; the rounds already say
which dwellings came onto the list each week (a notice, a new build, a purchase) and which
households joined it. Per kind of dwelling (building, bedrooms, category, wheelchair,
step-free access) the rate is the number of new vacancies of that kind per week of
history, and its notice the mean days from the round that first listed it to its
`available_from`; per kind of household under a deadline clock (release from prison or an
institution, refugee arrival), the rate is the number of such new households per week and
`deadline_after_days` the mean days from approval to the deadline. Households without a
clock are not forecast: the look-ahead plans for deadlines only (allocator.lookahead),
except that a family without a home may be placed in temporary housing while it waits,
which starts its 3-month clock: `temporary_entry_per_week` is the share of such families
on one round's list that are in temporary housing on the next, per week between them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from models.scenario import (
    ENTERS_TEMPORARY,
    ArrivalRate,
    Dwelling,
    Forecast,
    Household,
    Scenario,
    SituationKind,
    VacancyRate,
)

CLOCKED = (SituationKind.prison, SituationKind.institution, SituationKind.refugee)


def _dwelling_kind(d: Dwelling) -> tuple[object, ...]:
    step_free = d.elevator or (d.floor is not None and d.floor <= 1)
    return (d.building, d.bedrooms, d.category.value, d.wheelchair, step_free)


def _household_kind(h: Household) -> tuple[object, ...]:
    needs = tuple(k for k, v in h.needs.model_dump().items() if v)
    return (h.situation.kind.value, h.all_adults, h.minors, needs, h.substance_use.value)


def _deadline(h: Household) -> dt.date | None:
    return (
        h.situation.arrives_on
        if h.situation.kind is SituationKind.refugee
        else h.situation.release_on
    )


def estimate(rounds: Sequence[Scenario]) -> Forecast:
    """Rates per week over the rounds (sorted by date); the first round only sets what
    was already on the list. Raises ValueError with fewer than two rounds."""
    ordered = sorted(rounds, key=lambda s: s.as_of)
    if len(ordered) < 2:
        raise ValueError("at least two rounds are needed to see what joins the list")
    weeks = max(1, round((ordered[-1].as_of - ordered[0].as_of).days / 7))
    seen_d = {d.id for d in ordered[0].dwellings}
    seen_h = {h.id for h in ordered[0].households}
    new_d: dict[tuple[object, ...], list[tuple[Dwelling, int]]] = defaultdict(list)
    new_h: dict[tuple[object, ...], list[tuple[Household, int]]] = defaultdict(list)
    for s in ordered[1:]:
        for d in s.dwellings:
            if d.id not in seen_d:
                seen_d.add(d.id)
                new_d[_dwelling_kind(d)].append((d, max(0, (d.available_from - s.as_of).days)))
        for h in s.households:
            if h.id in seen_h:
                continue
            seen_h.add(h.id)
            limit = _deadline(h)
            if h.situation.kind in CLOCKED and limit is not None:
                new_h[_household_kind(h)].append((h, max(0, (limit - h.approved_on).days)))
    vacancies = []
    for kind, items in sorted(new_d.items(), key=lambda kv: str(kv[0])):
        template = items[-1][0].model_copy(update={"id": "rate-" + "-".join(map(str, kind))})
        notice = round(sum(n for _, n in items) / len(items))
        vacancies.append(
            VacancyRate(
                dwelling=template,
                per_week=round(len(items) / weeks, 4),
                notice_days=min(365, notice),
            )
        )
    arrivals = []
    for kind, hitems in sorted(new_h.items(), key=lambda kv: str(kv[0])):
        person = hitems[-1][0].model_copy(update={"id": "rate-" + "-".join(map(str, kind))})
        after = round(sum(n for _, n in hitems) / len(hitems))
        arrivals.append(
            ArrivalRate(
                household=person,
                per_week=round(len(hitems) / weeks, 4),
                deadline_after_days=min(730, after),
            )
        )
    return Forecast(
        vacancies=vacancies,
        arrivals=arrivals,
        temporary_entry_per_week=_temporary_entry(ordered),
        history_weeks=weeks,
    )


def _temporary_entry(ordered: Sequence[Scenario]) -> float | None:
    """Weekly probability that a family without a home on one round's list is in temporary
    housing on the next (None when no such family was seen twice): entries per week of
    exposure, each family seen on two rounds `g` days apart exposed g/7 weeks (weekly
    rounds: the share that entered)."""
    entered, exposure = 0, 0.0
    for before, after in zip(ordered, ordered[1:], strict=False):
        weeks = max(1, (after.as_of - before.as_of).days) / 7
        later = {h.id: h for h in after.households}
        for h in before.households:
            if not h.is_family or h.situation.kind not in ENTERS_TEMPORARY:
                continue
            seen = later.get(h.id)
            if seen is None:
                continue  # housed or off the list: its chance of entering is not seen
            exposure += weeks
            entered += seen.situation.kind is SituationKind.temporary
    if exposure == 0:
        return None
    return round(min(1.0, entered / exposure), 4)
