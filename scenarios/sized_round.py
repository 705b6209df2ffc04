"""Rounds of any size from the Drammen-like municipality: benchmark tiers city, horizon, stock.

A city larger than one Drammen is built from replicas of the generated municipality (seeds
differ; every id gets a replica prefix, so an Oslo-sized stock is many Drammen-like
districts). `dwellings` dwellings are vacated (their tenants leave, so building residents
counts drop) with release dates spread over a planning horizon, and the waiting list is
filled to `households` by the municipality's own household factory. Deterministic per seed.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from allocator.replay.municipality import (
    DEFAULT_CONFIG,
    Municipality,
    MunicipalityConfig,
    generate,
    load_config,
    residents_of,
)
from models.policy import Policy
from models.scenario import Category, Household, Scenario, SituationKind


def _prefixed(m: Municipality, p: str) -> Municipality:
    """The same municipality with every id (districts, zones, clusters, buildings,
    dwellings, tenants, households) prefixed, so replicas can share one scenario."""

    def z(zone: str | None) -> str | None:
        return None if zone is None else p + zone

    def ds(ids: list[str] | None) -> list[str] | None:
        return None if ids is None else [p + i for i in ids]

    def household(h: Household) -> Household:
        return h.model_copy(
            update={
                "id": p + h.id,
                "excluded_districts": ds(h.excluded_districts),
                "acceptable_districts": ds(h.acceptable_districts),
                "preferred_districts": ds(h.preferred_districts),
                "children": [
                    c.model_copy(update={"school_zone": z(c.school_zone)}) for c in h.children
                ],
            }
        )

    from dataclasses import replace

    return replace(
        m,
        districts=[
            d.model_copy(update={"id": p + d.id, "name": f"{d.name} ({p[:-1]})"})
            for d in m.districts
        ],
        buildings=[
            b.model_copy(
                update={
                    "id": p + b.id,
                    "district": p + b.district,
                    "cluster": z(b.cluster),
                    "school_zone_primary": z(b.school_zone_primary),
                    "school_zone_lower_secondary": z(b.school_zone_lower_secondary),
                }
            )
            for b in m.buildings
        ],
        dwellings=[
            d.model_copy(update={"id": p + d.id, "building": p + d.building}) for d in m.dwellings
        ],
        tenants={p + k: t for k, t in m.tenants.items()},
        vacant={p + k: v for k, v in m.vacant.items()},
        waiting=[household(h) for h in m.waiting],
        school_access=[
            a.model_copy(update={"from_zone": p + a.from_zone, "to_zone": p + a.to_zone})
            for a in m.school_access
        ],
        zones={p + k: ([p + x for x in a], [p + x for x in b]) for k, (a, b) in m.zones.items()},
        district_shares={
            p + k: v
            for k, v in (m.district_shares or {d.id: d.share for d in m.config.districts}).items()
        },
    )


def _applicants(
    rng: random.Random,
    replicas: list[Municipality],
    factories: list[Any],
    n: int,
    taken: set[str],
    start: dt.date,
) -> list[tuple[Any, Any]]:
    """`n` (occupied dwelling, transfer applicant) pairs from the permanent stock not
    already vacant."""
    if n == 0:
        return []
    from allocator.replay.flow import shaped_applicant
    from allocator.replay.municipality import pick

    transfer_cfg = load_config(DEFAULT_CONFIG.parent / "drammen-transfers.yaml").flow.transfers
    assert transfer_cfg is not None
    held = [
        (r, d)
        for r, m in enumerate(replicas)
        for d in m.dwellings
        if d.category is not Category.temporary
        and d.id not in taken
        and d.id in m.tenants
        and m.tenants[d.id].household is None
    ]
    out = []
    for k, (r, d) in enumerate(rng.sample(held, k=min(n, len(held)))):
        tenant = replicas[r].tenants[d.id]
        approved = start - dt.timedelta(days=rng.randint(7, 400))
        h = factories[r].draw(rng, f"R{r + 1:02d}-S{k + 1:05d}", approved)
        h = shaped_applicant(
            h, d, pick(rng, transfer_cfg.reasons), tenant.high_need, tenant.substance
        )
        out.append((d.model_copy(update={"occupied": True, "available_from": start}), h))
    return out


def sized_round(
    seed: int,
    dwellings: int,
    households: int,
    *,
    config: MunicipalityConfig | str | Path = DEFAULT_CONFIG,
    horizon_weeks: int = 12,
    policy: dict[str, Any] | None = None,
    applicants: int = 0,
) -> Scenario:
    """One round with `dwellings` vacancies and `households` waiting households.

    `applicants` > 0 (transfers, issue 15): that many of the households are sitting tenants
    with a transfer application, each holding one more dwelling of the stock (listed as
    occupied, beside the vacancies), shaped to a reason drawn from the transfer flow of
    drammen-transfers.yaml (allocator.replay.flow.shaped_applicant)."""
    cfg = config if isinstance(config, MunicipalityConfig) else load_config(config)
    rng = random.Random(f"sized-round:{seed}:{dwellings}:{households}")
    replicas: list[Municipality] = []
    stock = 0
    # Enough stock that the vacancies are at most ~90 % of it (whole-stock re-plans).
    while not replicas or stock < dwellings / 0.9:
        r = len(replicas)
        m = _prefixed(generate(cfg, seed=seed * 1000 + r), f"R{r + 1:02d}-")
        replicas.append(m)
        stock += len(m.dwellings)
    start = replicas[0].start

    all_dwellings = [d for m in replicas for d in m.dwellings]
    tenants = {k: t for m in replicas for k, t in m.tenants.items()}
    day0 = {k: v for m in replicas for k, v in m.vacant.items()}
    # Vacate: the day-0 vacancies first, then a seeded sample of permanent stock.
    permanent = [
        d.id for d in all_dwellings if d.category is not Category.temporary and d.id not in day0
    ]
    chosen = sorted(day0)[:dwellings]
    chosen += rng.sample(permanent, k=min(len(permanent), dwellings - len(chosen)))
    chosen_set = set(chosen)
    for d in chosen:
        tenants.pop(d, None)
    horizon = 7 * horizon_weeks
    vacancies = [
        d.model_copy(
            update={
                "available_from": day0.get(d.id)
                or start + dt.timedelta(days=rng.randint(-7, horizon))
            }
        )
        for d in all_dwellings
        if d.id in chosen_set
    ]

    buildings = [b for m in replicas for b in m.buildings]
    residents = residents_of(buildings, all_dwellings, tenants)
    buildings = [b.model_copy(update={"residents": residents[b.id]}) for b in buildings]

    waiting = [h for m in replicas for h in m.waiting][: households - applicants]
    factories = [m.household_factory() for m in replicas]
    low, high = cfg.households.initial_wait_days
    k = 0
    while len(waiting) < households - applicants:
        r = k % len(replicas)
        approved = start - dt.timedelta(days=rng.randint(low, max(low, 3 * high)))
        h = factories[r].draw(rng, f"R{r + 1:02d}-X{k + 1:05d}", approved)
        if h.situation.kind is SituationKind.temporary:
            since = start - dt.timedelta(days=rng.randint(*cfg.households.temporary_days))
            h = h.model_copy(
                update={
                    "situation": h.situation.model_copy(
                        update={"since": max(since, approved - dt.timedelta(days=21))}
                    )
                }
            )
        waiting.append(h)
        k += 1

    occupied = _applicants(rng, replicas, factories, applicants, chosen_set, start)
    vacancies += [d for d, _ in occupied]
    waiting += [h for _, h in occupied]

    return Scenario.model_validate(
        {
            "as_of": start,
            "policy": Policy.model_validate(policy or {}),
            "districts": [d for m in replicas for d in m.districts],
            "buildings": buildings,
            "dwellings": vacancies,
            "households": waiting,
            "school_access": [a for m in replicas for a in m.school_access],
        }
    )
