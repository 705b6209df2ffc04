"""Per-week and whole-replay KPIs, with their bokmål labels.

Why here and not in the proposal: a proposal knows one round; the replay knows what
happened afterwards (declines, who actually moved in, how long they had waited) and the
whole stock (the dissimilarity index over every tenant, not only this round's moves).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allocator.checker import Violation
from allocator.fairness import equal_treatment
from allocator.replay.flow import WeekEvents, housed
from allocator.replay.state import World
from models.proposal import Proposal
from models.scenario import Scenario

# KPI column -> (bokmål label, bokmål description). Plots and report follow this order;
# docs/replay.md describes each column in English.
KPI_LABELS: dict[str, tuple[str, str]] = {
    "waiting": ("Ventende husstander", "husstander med vedtak på listen ved møtet"),
    "vacancies": ("Ledige boliger på listen", "boliger på ukens liste"),
    "housed": ("Tildelt varig bolig", "aksepterte tilbud om bolig som ikke er midlertidig"),
    "wait_p50": (
        "Ventetid for dem som fikk bolig, median (dager)",
        "dager fra vedtak til innflytting for dem som fikk bolig denne uken",
    ),
    "wait_p90": (
        "Ventetid for dem som fikk bolig, 90-persentil (dager)",
        "dager fra vedtak til innflytting for dem som fikk bolig denne uken",
    ),
    "families_in_temporary": (
        "Barnefamilier i midlertidig bolig",
        "ventende barnefamilier i midlertidig botilbud ved møtet",
    ),
    "due_families": (
        "Barnefamilier med frist nå (R7)",
        "familier som må ut av midlertidig bolig før neste runde kan flytte dem",
    ),
    "breaches": (
        "Brudd på 3-månedersfristen",
        "familier med frist som ikke får bolig i tide denne runden (R7)",
    ),
    "days_over": ("Dager over 3-månedersfristen", "summert over bruddene denne runden"),
    "dissimilarity": (
        "Segregeringsindeks (Duncan)",
        "husstander med store behov mot alle leietakere, fordelt på bydeler, "
        "etter uken (0 = jevnt spredt)",
    ),
    "vacancy_days": (
        "Tomgangsdager",
        "dager fra ledig til innflytting for boliger som ble leid ut",
    ),
    "declines": ("Avslåtte tilbud", "tilbud husstanden takket nei til"),
    "violations": (
        "Regelbrudd funnet av kontrollen",
        "brudd på harde regler som den uavhengige kontrollen fant i ukens forslag",
    ),
}

SUMMARY_LABELS: dict[str, str] = {
    "policy": "Regelsett",
    "method": "Metode",
    "weeks": "Uker",
    "housed": "Tildelt varig bolig",
    "waiting_mean": "Ventende, snitt",
    "waiting_min": "Ventende, min",
    "waiting_max": "Ventende, maks",
    "waiting_end": "Ventende ved slutt",
    "wait_p50": "Ventetid median (dager)",
    "wait_p90": "Ventetid 90-persentil (dager)",
    "breaches": "Brudd (familie-uker)",
    "families_breached": "Familier over fristen",
    "days_over": "Dager over fristen",
    "dissimilarity_end": "Segregeringsindeks ved slutt",
    "vacancy_days": "Tomgangsdager",
    "vacancies_mean": "Ledige per uke, snitt",
    "declines": "Avslåtte tilbud",
    "lapsed": "Bortfalt etter avslag",
    "violations": "Regelbrudd",
    "equal_pairs": "Like par, én uten tilbud",
    "unequal_pairs": "Herav ikke forklart av reglene",
    "group_share_reserved": "Krav om andel: plasser holdt av",
    "group_share_placed": "Krav om andel: tildelt gruppen",
    "group_share_binding": "Krav om andel: uker bindende",
    "realised_breached_temporary": "Barnefamilier over 3-månedersfristen (faktisk)",
    "realised_days_over_temporary": "Dager over 3-månedersfristen (faktisk)",
    "realised_breached_release": "Over fristen ved løslatelse (faktisk)",
    "realised_days_over_release": "Dager over fristen ved løslatelse (faktisk)",
    "realised_breached_refugee": "Over bosettingsdatoen (faktisk)",
    "realised_days_over_refugee": "Dager over bosettingsdatoen (faktisk)",
    "realised_breached": "Over en frist, alle frister (faktisk)",
    "realised_days_over": "Dager over en frist, alle frister (faktisk)",
    "realised_housed": "Tildelt bolig (faktisk)",
    "realised_wait_p50": "Ventetid median (faktisk, dager)",
    "realised_wait_p90": "Ventetid 90-persentil (faktisk, dager)",
    "realised_vacancy_days": "Tomgangsdager (faktisk)",
    "hindsight_exact": "Etterpåklok plan bevist optimal (1) eller ikke bevist (0)",
    "hindsight_tier1_exact": "Etterpåklok plan eksakt på fristene (1) eller ikke (0)",
    "hindsight_broken": "Etterpåklok plan: plasseringer som bryter en regel over tid",
    "hindsight_repeatable": "Etterpåklok plan gjentakbar (1) eller avbrutt av klokken (0)",
    "transfer_applications": "Byttesøknader fra leietakere",
    "tenants_moved": "Leietakere som flyttet (bytte)",
    "overcrowded_resolved": "Trangbodde familier som flyttet",
    "housed_through_chains": "Tildelt frigjort bolig (flyttekjede)",
    "chains": "Flyttekjeder og bytter",
    "solve_s": "Løsetid totalt (s)",
    "wall_s": "Tid totalt (s)",
}


def percentile(values: list[int], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def week_row(
    *,
    policy: str,
    method: str,
    week: int,
    as_of: dt.date,
    scenario: Scenario,
    proposal: Proposal,
    violations: list[Violation],
    events: WeekEvents,
    world: World,
    solve_s: float,
    wall_s: float,
) -> dict[str, Any]:
    """One row of kpis.parquet: one policy, one week."""
    let = housed(events)
    waits = [(p.move_in - p.household.approved_on).days for p in let]
    k = proposal.kpis
    by_rule = Counter(v.rule for v in violations)
    equal = equal_treatment(scenario, proposal)
    return {
        "policy": policy,
        "method": method,
        "week": week,
        "as_of": as_of,
        "waiting": len(scenario.households),
        "waiting_end": len(world.waiting),
        "vacancies": len(scenario.dwellings),
        "arrivals": len(events.arrivals),
        "moved_out": len(events.moved_out),
        "withdrawn": len(events.withdrawn),
        "entered_temporary": len(events.entered_temporary),
        "offers": len(proposal.matches),
        "accepted": len(events.accepted),
        "housed": len(let),
        "to_temporary": len(events.accepted) - len(let),
        "declines": len(events.declined),
        "lapsed": len(events.lapsed),
        "empty": len(proposal.empty_dwellings),
        "wait_p50": percentile(waits, 50),
        "wait_p90": percentile(waits, 90),
        "families_in_temporary": sum(
            1 for h in scenario.households if h.children and h.situation.kind.value == "temporary"
        ),
        "due_families": k.due_families,
        "due_housed": k.due_housed,
        "breaches": k.breaches,
        "days_over": k.days_over,
        "dissimilarity": _round(world.dissimilarity(), 4),
        "vacancy_days": sum(max(0, (p.move_in - p.available_from).days) for p in let),
        "violations": len(violations),
        "violation_rules": ";".join(f"{r}:{n}" for r, n in sorted(by_rule.items())),
        "equal_pairs": len(equal.pairs),
        "unequal_pairs": len(equal.unexplained),
        **group_share_columns(proposal),
        # Transfers and vacancy chains (issue 15).
        "transfer_applications": len(events.transfer_applications),
        "tenants_moved": sum(1 for p in let if p.household.current_dwelling is not None),
        "overcrowded_resolved": sum(
            1
            for p in let
            if p.household.transfer is not None
            and p.household.transfer.reason.value == "overcrowded"
        ),
        "housed_through_chains": sum(
            1 for p in let if p.dwelling.id in {h.current_dwelling for h in scenario.households}
        ),
        "chains": k.chains,
        "void_offers": len(events.void),
        "status": proposal.run.status,
        "solve_s": round(proposal.run.wall_time_s, 4),
        "wall_s": round(wall_s, 4),
    }


def group_share_columns(proposal: Proposal) -> dict[str, int]:
    """The R10 group-share floor in one week (zeros when the policy sets none): places
    held for the group, how many it got, and whether the cap bound."""
    g = proposal.group_share
    if g is None:
        return {"group_share_reserved": 0, "group_share_placed": 0, "group_share_binding": 0}
    return {
        "group_share_reserved": g.reserved,
        "group_share_placed": g.members_placed,
        "group_share_binding": int(g.binding),
    }


@dataclass
class PolicyTotals:
    """What only the whole run knows: every housed household's wait, who breached."""

    waits: list[int] = field(default_factory=list)
    breached: set[str] = field(default_factory=set)

    def add(self, events: WeekEvents, proposal: Proposal) -> None:
        self.waits += [(p.move_in - p.household.approved_on).days for p in housed(events)]
        self.breached |= {b.household for b in proposal.breaches}


def summary_row(
    policy: str, method: str, rows: list[dict[str, Any]], totals: PolicyTotals
) -> dict[str, Any]:
    """One line of the summary table: a policy's year."""

    def col(name: str) -> list[Any]:
        return [r[name] for r in rows]

    waiting = col("waiting")
    last = rows[-1] if rows else {}
    return {
        "policy": policy,
        "method": method,
        "weeks": len(rows),
        "housed": sum(col("housed")),
        "waiting_mean": round(float(np.mean(waiting)), 1) if waiting else None,
        "waiting_min": min(waiting, default=None),
        "waiting_max": max(waiting, default=None),
        "waiting_end": last.get("waiting_end"),
        "wait_p50": percentile(totals.waits, 50),
        "wait_p90": percentile(totals.waits, 90),
        "breaches": sum(col("breaches")),
        "families_breached": len(totals.breached),
        "days_over": sum(col("days_over")),
        "dissimilarity_end": last.get("dissimilarity"),
        "vacancy_days": sum(col("vacancy_days")),
        "vacancies_mean": round(float(np.mean(col("vacancies"))), 1) if rows else None,
        "declines": sum(col("declines")),
        "lapsed": sum(col("lapsed")),
        "violations": sum(col("violations")),
        "equal_pairs": sum(col("equal_pairs")),
        "unequal_pairs": sum(col("unequal_pairs")),
        "group_share_reserved": sum(col("group_share_reserved")),
        "group_share_placed": sum(col("group_share_placed")),
        "group_share_binding": sum(col("group_share_binding")),
        "transfer_applications": sum(col("transfer_applications")),
        "tenants_moved": sum(col("tenants_moved")),
        "overcrowded_resolved": sum(col("overcrowded_resolved")),
        "housed_through_chains": sum(col("housed_through_chains")),
        "chains": sum(col("chains")),
        "solve_s": round(sum(col("solve_s")), 2),
        "wall_s": round(sum(col("wall_s")), 2),
    }
