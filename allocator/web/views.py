"""What the round and household pages show, computed from the stored round (no solving)."""

from __future__ import annotations

from dataclasses import dataclass, field

from allocator.web.ledger import Ledger
from allocator.web.tables import Decision
from models.proposal import Alternate, Match, Proposal
from models.scenario import Building, Dwelling, Household, Scenario


@dataclass
class AlternateRow:
    alternate: Alternate
    can_pin: bool


@dataclass
class VacancyRow:
    """One vacancy of the round page with its proposed household and what can be done."""

    dwelling: Dwelling
    building: Building
    district: str
    match: Match | None
    household: Household | None
    empty_reason: str | None
    alternates: list[AlternateRow] = field(default_factory=list)
    badges: list[tuple[str, str]] = field(default_factory=list)  # (css class, text)
    history: list[str] = field(default_factory=list)
    pin_decision: Decision | None = None
    can_pin: bool = False
    can_offer: bool = False
    can_answer: bool = False
    can_forbid: bool = False

    @property
    def anchor(self) -> str:
        return f"bolig-{self.dwelling.id}"


def household_summary(h: Household) -> str:
    parts = [f"{h.adults} voksen" if h.adults == 1 else f"{h.adults} voksne"]
    if h.children:
        ages = ", ".join(str(c.age) for c in sorted(h.children, key=lambda c: -c.age))
        parts.append(f"{len(h.children)} barn ({ages} år)")
    return ", ".join(parts) + f" · prioritet {h.priority}"


def _free(ledger: Ledger, household: str) -> bool:
    return household not in ledger.lapsed and ledger.dwelling_of_household(household) is None


def vacancy_rows(scenario: Scenario, proposal: Proposal, ledger: Ledger) -> list[VacancyRow]:
    districts = {d.id: d.name or d.id for d in scenario.districts}
    buildings, households = scenario.building_by_id(), scenario.household_by_id()
    match_of = {m.dwelling: m for m in proposal.matches}
    empty_of = {e.dwelling: e.reason.text for e in proposal.empty_dwellings}
    locked = ledger.locked_pins()
    rows = []
    for dwelling in sorted(scenario.dwellings, key=lambda d: d.id):
        building = buildings[dwelling.building]
        match = match_of.get(dwelling.id)
        row = VacancyRow(dwelling=dwelling, building=building,
                         district=districts.get(building.district, building.district),
                         match=match, household=households.get(match.household) if match else None,
                         empty_reason=empty_of.get(dwelling.id))
        holder = ledger.holder_of_dwelling(dwelling.id)
        if match is not None:
            pair = (match.household, dwelling.id)
            if pair in ledger.accepted:
                row.badges.append(("ok", "Akseptert"))
            elif pair in ledger.open_offers:
                row.badges.append(("info", "Tilbud sendt"))
            if pair in ledger.pins:
                row.badges.append(("lock", "Festet"))
            elif pair in locked and not row.badges:
                row.badges.append(("lock", "Låst"))
            offered = {h for h, _ in ledger.open_offers} | {h for h, _ in ledger.accepted}
            taken = {d for _, d in ledger.open_offers} | {d for _, d in ledger.accepted}
            row.can_pin = pair not in locked and holder is None and _free(ledger, match.household)
            row.can_offer = (pair not in ledger.open_offers and pair not in ledger.accepted
                             and match.household not in offered and dwelling.id not in taken)
            row.can_answer = pair in ledger.open_offers
            row.pin_decision = ledger.pins.get(pair)
            row.can_forbid = pair not in locked
            forbidden = ledger.locked_forbids()
            row.alternates = [AlternateRow(a, holder is None and _free(ledger, a.household)
                                           and (a.household, dwelling.id) not in forbidden)
                              for a in match.alternates]
        for h, d in ledger.declined:
            if d == dwelling.id:
                row.history.append(f"{h} takket nei")
        for (h, d), decision in ledger.forbids.items():
            if d == dwelling.id:
                row.history.append(f"{h} forbudt: {decision.reason}")
        rows.append(row)
    return rows
