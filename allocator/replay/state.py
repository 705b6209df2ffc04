"""The municipality as it changes week by week: who lives where, what is vacant, who waits.

Why plain dicts and counters instead of pydantic models: the replay touches the state
dozens of times a week for 52 weeks per policy; only the weekly round is turned into a
validated ``Scenario``, and only the buildings whose residents changed get a new
``Building``. Everything else stays as built by the generator (frozen models, shared).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from allocator.kpis import dissimilarity
from allocator.replay.municipality import (
    TEMPORARY_BEFORE_APPROVAL_DAYS,
    FlowCfg,
    HouseholdFactory,
    Municipality,
    Tenant,
)
from models import Building, Category, Dwelling, Household, Policy, Profile, Scenario, SubstanceUse
from models.scenario import (
    ArrivalRate,
    ForbiddenPair,
    Forecast,
    Locks,
    Residents,
    Situation,
    SituationKind,
    VacancyRate,
)

DECLINED_REASON = "Takket nei til denne boligen tidligere; tilbudet gjentas ikke."
IN_TEMPORARY_REASON = "Bor allerede i en midlertidig kommunal bolig."


def moveout_kind(d: Dwelling, b: Building) -> str | None:
    """Which annual move-out rate of the flow config applies (None: temporary dwellings
    are freed by their occupant being housed, not by notice)."""
    if d.category is Category.temporary:
        return None
    if b.profile is Profile.active_use:
        return "active_use"
    if b.profile is Profile.recovery:
        return "recovery"
    if d.category in (Category.staffed, Category.adapted, Category.youth):
        return d.category.value
    return "small" if d.bedrooms <= 1 else "family"


@dataclass
class Placement:
    """An accepted offer, for the KPIs."""

    household: Household
    dwelling: Dwelling
    move_in: dt.date
    available_from: dt.date


class World:
    """Mutable state of one policy's replay; built from a (shared, unchanged) Municipality."""

    def __init__(self, m: Municipality, flow: FlowCfg, factory: HouseholdFactory) -> None:
        self.flow = flow
        self.factory = factory
        self.start = m.start
        self.districts = m.districts
        self.school_access = m.school_access
        self.dwellings: dict[str, Dwelling] = {d.id: d for d in m.dwellings}
        self.order: list[str] = [d.id for d in m.dwellings]
        self.base: dict[str, Building] = {b.id: b for b in m.buildings}
        self.tenants: dict[str, Tenant] = dict(m.tenants)
        self.vacant: dict[str, dt.date] = dict(m.vacant)
        self.waiting: dict[str, Household] = {h.id: h for h in m.waiting}
        self.temp_home: dict[str, str] = {
            t.household: d for d, t in m.tenants.items() if t.household is not None
        }
        self.pending_temporary: dict[str, dt.date] = {}
        self.declined: set[tuple[str, str]] = set()
        #: Sitting tenants with a transfer application (issue 15): household -> the
        #: dwelling it holds. They wait on the list like anyone; the dwelling is in the
        #: round as occupied and is let only if they move.
        self.applicants: dict[str, str] = {}
        kinds = [moveout_kind(d, self.base[d.building]) for d in m.dwellings]
        self.moveout_p = np.array(
            [
                0.0 if k is None else flow.weekly_moveout(k)  # type: ignore[arg-type]
                for k in kinds
            ]
        )
        district_index = {t.id: i for i, t in enumerate(m.districts)}
        self.d_district = np.array(
            [district_index[self.base[d.building].district] for d in m.dwellings]
        )
        self.d_index = {d: i for i, d in enumerate(self.order)}
        self.counts: dict[str, list[int]] = {}
        for b in m.buildings:
            r = b.residents
            self.counts[b.id] = [r.high_need, r.active, r.recovery]
        self._buildings: dict[str, Building] = dict(self.base)

    # -- occupancy ------------------------------------------------------------------------
    def _count(self, dwelling_id: str, tenant: Tenant, sign: int) -> None:
        bid = self.dwellings[dwelling_id].building
        c = self.counts[bid]
        c[0] += sign * tenant.counts_high_need
        c[1] += sign * (tenant.substance is SubstanceUse.active)
        c[2] += sign * (tenant.substance is SubstanceUse.recovery)
        self._buildings.pop(bid, None)

    def occupy(self, dwelling_id: str, tenant: Tenant) -> None:
        self.vacant.pop(dwelling_id, None)
        self.tenants[dwelling_id] = tenant
        self._count(dwelling_id, tenant, +1)

    def vacate(self, dwelling_id: str, available_from: dt.date) -> Tenant | None:
        """The tenant leaves; the dwelling is on the list from now, free from the date."""
        tenant = self.tenants.pop(dwelling_id, None)
        if tenant is not None:
            self._count(dwelling_id, tenant, -1)
        self.vacant[dwelling_id] = available_from
        return tenant

    def leave_list(self, household_id: str, on: dt.date) -> None:
        """Withdrawn, lapsed or housed: off the list; a temporary dwelling it held is freed.
        A transfer applicant stays in its dwelling (a move vacates it: `move_tenant`)."""
        self.waiting.pop(household_id, None)
        self.applicants.pop(household_id, None)
        self.pending_temporary.pop(household_id, None)
        home = self.temp_home.pop(household_id, None)
        if home is not None:
            self.vacate(home, on)

    def place(self, h: Household, dwelling_id: str, move_in: dt.date) -> Placement:
        """An accepted offer. A temporary dwelling keeps the household on the list."""
        d = self.dwellings[dwelling_id]
        available = self.vacant.get(dwelling_id, move_in)
        tenant = Tenant(h.id, h.high_need, h.substance_use, placed=True)
        if d.category is Category.temporary:
            old = self.temp_home.pop(h.id, None)
            if old is not None:
                self.vacate(old, move_in)
            self.temp_home[h.id] = dwelling_id
            self.occupy(
                dwelling_id, Tenant(h.id, h.high_need, h.substance_use, household=h.id, placed=True)
            )
            if h.situation.kind is not SituationKind.temporary:
                self.pending_temporary[h.id] = move_in
        else:
            self.leave_list(h.id, move_in)
            self.occupy(dwelling_id, tenant)
        return Placement(h, d, move_in, available)

    def move_tenant(self, household_id: str, move_in: dt.date, turnover_days: int) -> None:
        """A transfer applicant accepted an offer: its dwelling is vacated, free
        `turnover_days` after its move-in (let in the same round when a chain goes on)."""
        did = self.applicants.pop(household_id)
        self.vacate(did, move_in + dt.timedelta(days=turnover_days))

    def update_situations(self, as_of: dt.date) -> None:
        """Households who moved into a temporary dwelling are in temporary housing from
        their move-in day (set once that day has come, so ``since <= as_of``)."""
        for hid, since in list(self.pending_temporary.items()):
            if since <= as_of and hid in self.waiting:
                self.set_temporary(hid, since)
                del self.pending_temporary[hid]

    def set_temporary(self, household_id: str, since: dt.date) -> None:
        h = self.waiting[household_id]
        self.waiting[household_id] = h.model_copy(
            update={"situation": Situation(kind=SituationKind.temporary, since=since)}
        )

    # -- the weekly round -----------------------------------------------------------------
    def residents(self, building_id: str) -> Residents:
        c = self.counts[building_id]
        return Residents(high_need=c[0], active=c[1], recovery=c[2])

    def buildings(self) -> list[Building]:
        out = []
        for bid, base in self.base.items():
            b = self._buildings.get(bid)
            if b is None:
                b = base.model_copy(update={"residents": self.residents(bid)})
                self._buildings[bid] = b
            out.append(b)
        return out

    def forecast(self, policy: Policy) -> Forecast:
        """The flow model's rates as the look-ahead reads them: every let dwelling whose
        tenant may give notice (its weekly move-out probability, free after the mean
        release delay), and the clocked approvals (releases from prison or an institution)
        and refugee arrivals per week by archetype, with the mean days from approval to the
        deadline; and the weekly chance that a family without a home is placed in temporary
        housing."""
        low, high = self.flow.release_days
        notice = (low + high) // 2
        vacancies = []
        for i, did in enumerate(self.order):
            tenant = self.tenants.get(did)
            if tenant is None or tenant.household is not None or tenant.placed:
                continue
            if self.moveout_p[i] > 0:
                vacancies.append(
                    VacancyRate(
                        dwelling=self.dwellings[did],
                        per_week=float(self.moveout_p[i]),
                        notice_days=notice,
                    )
                )
        arrivals = []
        per_week = self.flow.approvals_per_week
        h = self.factory.hcfg
        delays = {
            SituationKind.prison: h.release_days,
            SituationKind.institution: h.release_days,
            SituationKind.refugee: h.refugee_arrival_days,
        }
        for a in h.archetypes:
            # One template per family size (the archetype's children table): the size
            # decides which dwellings fit (R2), and a large family fits only the scarcest
            # flats, so a single representative size would hide exactly the families the
            # look-ahead has to keep those flats for.
            sizes = {n: w for n, w in a.children.items() if w > 0}
            total = sum(sizes.values())
            for kind, weight in a.situation.items():
                if weight <= 0 or kind not in (SituationKind.temporary, *delays):
                    continue
                for n, share in sizes.items():
                    template = self.factory.template(a, kind, n if len(sizes) > 1 else None)
                    if kind is SituationKind.temporary and template.is_family:
                        # Families placed in temporary housing up to three weeks before
                        # they are approved (HouseholdFactory.draw): due about 80 days after.
                        lo = hi = policy.temporary.max_days - TEMPORARY_BEFORE_APPROVAL_DAYS // 2
                    elif kind in delays:
                        lo, hi = delays[kind]
                    else:
                        continue
                    arrivals.append(
                        ArrivalRate(
                            household=template,
                            per_week=per_week * a.share * weight * share / total,
                            deadline_after_days=(lo + hi) // 2,
                        )
                    )
        return Forecast(
            vacancies=vacancies,
            arrivals=arrivals,
            temporary_entry_per_week=self.flow.enter_temporary.family,
        )

    def round(self, as_of: dt.date, policy: Policy) -> Scenario:
        """This week's round: the vacancies on the list and everyone waiting.

        Locks forbid what the meeting would not offer again: a dwelling a household
        declined, and a second temporary dwelling to someone already in one.
        """
        vacancies = [
            self.dwellings[d].model_copy(update={"available_from": a})
            for d, a in sorted(self.vacant.items())
        ]
        # Transfer applicants' dwellings (R11): allocatable only if the tenant moves.
        vacancies += [
            self.dwellings[d].model_copy(update={"available_from": as_of, "occupied": True})
            for d in sorted(self.applicants.values())
        ]
        households = list(self.waiting.values())
        forbidden = [
            ForbiddenPair(household=h, dwelling=d, reason=DECLINED_REASON)
            for h, d in sorted(self.declined)
            if h in self.waiting and d in self.vacant
        ]
        temporary = [d.id for d in vacancies if d.category is Category.temporary]
        forbidden += [
            ForbiddenPair(household=h, dwelling=d, reason=IN_TEMPORARY_REASON)
            for h in sorted(self.temp_home)
            for d in temporary
        ]
        forecast = self.forecast(policy) if policy.lookahead.weeks > 0 else None
        return Scenario.model_validate(
            {
                "as_of": as_of,
                "policy": policy,
                "districts": self.districts,
                "buildings": self.buildings(),
                "dwellings": vacancies,
                "households": households,
                "school_access": self.school_access,
                "locks": Locks(forbidden=forbidden),
                "forecast": forecast,
            }
        )

    # -- KPIs of the stock ----------------------------------------------------------------
    def dissimilarity(self) -> float | None:
        """Duncan's D of high-need tenants against all tenants across districts."""
        T = len(self.districts)
        occupied = np.zeros(T)
        high = np.zeros(T)
        for did, tenant in self.tenants.items():
            t = self.d_district[self.d_index[did]]
            occupied[t] += 1
            high[t] += tenant.counts_high_need
        return dissimilarity(high, occupied)

    def families_in_temporary(self) -> int:
        return sum(
            1
            for h in self.waiting.values()
            if h.children and h.situation.kind is SituationKind.temporary
        )
