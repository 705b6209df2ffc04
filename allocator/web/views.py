"""What the round and household pages show, computed from the stored round (no solving).

Which buttons a row offers comes from `Ledger.refusal`, the same check the services apply,
so the page never offers an action the server would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from allocator.glossary import DECISION_TEXT, tidy
from allocator.web.ledger import Ledger
from allocator.web.tables import Decision
from models.proposal import Alternate, Breach, Match, Proposal
from models.scenario import Building, Dwelling, Household, Scenario


@dataclass
class AlternateRow:
    alternate: Alternate
    can_pin: bool


@dataclass
class RowNote:
    """A line under a row's household: a decision on the dwelling (with undo when it is the
    newest of its pair), or a change that waits for the next re-solve."""

    text: str
    kind: str = "history"  # history | pending
    undo: Decision | None = None


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
    notes: list[RowNote] = field(default_factory=list)
    breach: Breach | None = None
    can_pin: bool = False
    can_offer: bool = False
    can_answer: bool = False
    can_forbid: bool = False
    competitors: int = 0  # other households the rules allow in this dwelling
    placed_elsewhere: int = 0  # of those, how many the proposal houses elsewhere

    @property
    def anchor(self) -> str:
        return f"bolig-{self.dwelling.id}"

    @property
    def pending(self) -> bool:
        return any(n.kind == "pending" for n in self.notes)

    @property
    def state(self) -> str:
        """For filtering: the row's strongest badge."""
        if self.breach is not None:
            return "brudd"
        return self.badges[0][1].lower() if self.badges else ("foreslått" if self.match else "tom")


def household_summary(h: Household) -> str:
    parts = [f"{h.adults} voksen" if h.adults == 1 else f"{h.adults} voksne"]
    if h.children:
        ages = ", ".join(str(c.age) for c in sorted(h.children, key=lambda c: -c.age))
        parts.append(f"{len(h.children)} barn ({ages} år)")
    return ", ".join(parts) + f" · prioritet {h.priority}"


def _pairs(locks: dict[str, Any] | None, kind: str) -> dict[tuple[str, str], str]:
    return {
        (x["household"], x["dwelling"]): x.get("reason", "") for x in (locks or {}).get(kind, [])
    }


def pending_changes(
    ledger: Ledger, solved_with: dict[str, Any] | None
) -> dict[str, list[tuple[str, str]]]:
    """Lock changes since the proposal was solved, by dwelling ("" for household-only):
    (household, bokmål text)."""
    now = ledger.summary()
    out: dict[str, list[tuple[str, str]]] = {}
    for kind, added_text, removed_text in (
        ("pinned", "låst til {h}", "låsen til {h} er angret"),
        ("forbidden", "sperret for {h}", "sperringen for {h} er angret"),
    ):
        before, after = _pairs(solved_with, kind), _pairs(now, kind)
        for h, d in sorted(after.keys() - before.keys()):
            out.setdefault(d, []).append((h, added_text.format(h=h)))
        for h, d in sorted(before.keys() - after.keys()):
            out.setdefault(d, []).append((h, removed_text.format(h=h)))
    lapsed_before = set((solved_with or {}).get("lapsed", []))
    for h in sorted(set(now["lapsed"]) - lapsed_before):
        out.setdefault("", []).append((h, f"tilsagnet til {h} falt bort"))
    for h in sorted(lapsed_before - set(now["lapsed"])):
        out.setdefault("", []).append((h, f"tilsagnet til {h} er gjenopprettet"))
    return out


def _decision_note(d: Decision, ledger: Ledger) -> RowNote:
    text = f"{d.household}: {DECISION_TEXT[d.kind].lower()}"
    if d.reason and d.kind in ("pin", "forbid"):
        text += f" ({tidy(d.reason)})"
    lapse = ledger.lapse_of(d)
    if lapse is not None:
        text += ", tilsagnet falt bort"
    return RowNote(text=text, undo=d if ledger.undo_refusal(d) is None else None)


def vacancy_rows(
    scenario: Scenario,
    proposal: Proposal,
    ledger: Ledger,
    solved_with: dict[str, Any] | None = None,
) -> list[VacancyRow]:
    districts = {d.id: d.name or d.id for d in scenario.districts}
    buildings, households = scenario.building_by_id(), scenario.household_by_id()
    match_of = {m.dwelling: m for m in proposal.matches}
    empty_of = {e.dwelling: e.reason.text for e in proposal.empty_dwellings}
    breach_of = {b.household: b for b in proposal.breaches}
    pending = pending_changes(ledger, solved_with)
    rows = []
    for dwelling in sorted(scenario.dwellings, key=lambda d: d.id):
        building = buildings[dwelling.building]
        match = match_of.get(dwelling.id)
        row = VacancyRow(
            dwelling=dwelling,
            building=building,
            district=districts.get(building.district, building.district),
            match=match,
            household=households.get(match.household) if match else None,
            empty_reason=empty_of.get(dwelling.id),
        )
        if match is not None:
            h = match.household
            row.breach = breach_of.get(h)
            state = ledger.state(h, dwelling.id)
            badge = {
                "accepted": ("ok", DECISION_TEXT["accepted"]),
                "offer_sent": ("info", DECISION_TEXT["offer_sent"]),
                "pinned": ("lock", DECISION_TEXT["pin"]),
            }.get(state)
            if badge:
                row.badges.append(badge)
            row.can_pin = ledger.refusal("pin", h, dwelling.id, True) is None
            row.can_offer = ledger.refusal("offer_sent", h, dwelling.id, True) is None
            row.can_answer = ledger.refusal("accepted", h, dwelling.id, True) is None
            row.can_forbid = ledger.refusal("forbid", h, dwelling.id, True) is None
            row.alternates = [
                AlternateRow(a, ledger.refusal("pin", a.household, dwelling.id) is None)
                for a in match.alternates
            ]
            competition = next((r for r in match.reasons if r.code == "competition"), None)
            if competition is not None:
                row.competitors = int(competition.params.get("candidates", 0))
                row.placed_elsewhere = int(competition.params.get("elsewhere", 0))
        # Decisions on this dwelling, newest first; each newest-of-its-pair can be undone.
        for d in reversed(ledger.active):
            if d.dwelling == dwelling.id and d.kind != "approval_lapsed":
                row.notes.append(_decision_note(d, ledger))
        for _h, text in pending.get(dwelling.id, []):
            row.notes.append(RowNote(text=f"Venter på ny løsning: {text}", kind="pending"))
        if match is not None:
            for h, text in pending.get("", []):
                if h == match.household:
                    row.notes.append(RowNote(text=f"Venter på ny løsning: {text}", kind="pending"))
        rows.append(row)
    return rows
