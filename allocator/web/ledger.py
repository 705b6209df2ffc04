"""What the meeting's decisions mean for the next solve (pure functions, no database).

- pins: active ``pin`` decisions, offers sent and not yet answered, and accepted offers;
- forbidden pairs: active ``forbid`` decisions and declined offers;
- lapsed approvals: households removed from the round (with any lock that names them).

`effective_scenario` turns these into the scenario's ``locks`` (and household list).

The decisions form a state machine per (household, dwelling) pair::

    free ──pin──▶ pinned ──offer_sent──▶ offer_sent ──accepted──▶ accepted
      │                                      ▲  └──declined──▶ declined (+ approval lapsed)
      ├──offer_sent (pair in the proposal) ──┘
      └──forbid──▶ forbidden

`Ledger.refusal` is the one place that says whether an action is legal now: the services
refuse what it refuses, and the pages only offer what it allows. Undo (`undo_refusal`)
withdraws the newest decision of a pair; undoing a decline also restores a lapsed approval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from allocator.glossary import OSLO
from allocator.web.tables import Decision
from models.scenario import Scenario

Pair = tuple[str, str]


def local_date(at: dt.datetime) -> str:
    return at.astimezone(OSLO).strftime("%d.%m.%Y")


@dataclass
class Ledger:
    """The active state of a round's decisions, by pair."""

    pins: dict[Pair, Decision] = field(default_factory=dict)
    forbids: dict[Pair, Decision] = field(default_factory=dict)
    open_offers: dict[Pair, Decision] = field(default_factory=dict)
    accepted: dict[Pair, Decision] = field(default_factory=dict)
    declined: dict[Pair, Decision] = field(default_factory=dict)
    lapsed: dict[str, Decision] = field(default_factory=dict)
    active: list[Decision] = field(default_factory=list)

    def locked_pins(self) -> dict[Pair, str]:
        """Every pair the solver must keep, with the reason shown in the proposal."""
        out: dict[Pair, str] = {}
        for pair, d in self.pins.items():
            out[pair] = d.reason
        for pair, d in self.open_offers.items():
            out[pair] = f"Tilbud sendt {local_date(d.created_at)}"
        for pair, d in self.accepted.items():
            out[pair] = f"Tilbudet er akseptert {local_date(d.created_at)}"
        return {p: r for p, r in out.items() if p[0] not in self.lapsed}

    def locked_forbids(self) -> dict[Pair, str]:
        out: dict[Pair, str] = {}
        for pair, d in self.forbids.items():
            out[pair] = d.reason
        for pair, d in self.declined.items():
            out[pair] = f"Takket nei til tilbudet {local_date(d.created_at)}"
        return {p: r for p, r in out.items() if p[0] not in self.lapsed}

    def holder_of_dwelling(self, dwelling: str) -> str | None:
        for h, d in self.locked_pins():
            if d == dwelling:
                return h
        return None

    def dwelling_of_household(self, household: str) -> str | None:
        for h, d in self.locked_pins():
            if h == household:
                return d
        return None

    # -- the state machine ------------------------------------------------------------------
    def state(self, household: str, dwelling: str) -> str:
        """free, pinned, forbidden, offer_sent, accepted or declined."""
        pair = (household, dwelling)
        for name, table in (
            ("accepted", self.accepted),
            ("offer_sent", self.open_offers),
            ("declined", self.declined),
            ("pinned", self.pins),
            ("forbidden", self.forbids),
        ):
            if pair in table:
                return name
        return "free"

    def refusal(
        self, action: str, household: str, dwelling: str, in_proposal: bool = False
    ) -> str | None:
        """Why `action` on the pair is not allowed now (bokmål), or None when it is."""
        if household in self.lapsed:
            return f"Tilsagnet til {household} har falt bort. Angre det først."
        state = self.state(household, dwelling)
        pair = f"{household}–{dwelling}"
        holder = self.holder_of_dwelling(dwelling)
        held = self.dwelling_of_household(household)
        if action in ("accepted", "declined"):
            if state != "offer_sent":
                return f"Det finnes ikke noe ubesvart tilbud til {household} på {dwelling}."
            return None
        if state == "declined":
            return f"{household} har takket nei til {dwelling}. Angre svaret først."
        if state in ("offer_sent", "accepted"):
            return f"{household} har allerede et tilbud på {dwelling}."
        if action == "forbid":
            if state == "forbidden":
                return f"{pair} er allerede sperret."
            if state == "pinned":
                return f"{pair} er låst. Angre låsen først."
            return None
        if state == "forbidden":
            return f"{pair} er sperret. Angre sperringen først."
        if holder is not None and holder != household:
            return f"{dwelling} er allerede låst til {holder}. Angre den låsen først."
        if held is not None and held != dwelling:
            return f"{household} er allerede låst til {held}. Angre den låsen først."
        if action == "pin":
            return f"{household} er allerede låst til {dwelling}." if state == "pinned" else None
        if action == "offer_sent":
            if state != "pinned" and not in_proposal:
                return (
                    "Tilbud kan bare registreres for et par i gjeldende forslag eller et låst par."
                )
            return None
        return f"Ukjent handling: {action}."

    def newest(self, household: str, dwelling: str | None) -> Decision | None:
        """The newest active decision of a pair (what undo withdraws)."""
        found = [d for d in self.active if d.household == household and d.dwelling == dwelling]
        return found[-1] if found else None

    def undo_refusal(self, decision: Decision) -> str | None:
        """Why `decision` cannot be undone now, or None."""
        if not decision.active:
            return "Beslutningen er allerede angret."
        if decision.kind == "approval_lapsed":
            return None
        newest = self.newest(decision.household, decision.dwelling)
        if newest is not None and newest.id != decision.id:
            later = newest.kind
            if later in ("accepted", "declined"):
                return "Tilbudet er besvart. Angre svaret først."
            return "En nyere beslutning gjelder paret. Angre den først."
        return None

    def lapse_of(self, decision: Decision) -> Decision | None:
        """The approval lapse recorded together with a decline (undone with it)."""
        lapse = self.lapsed.get(decision.household)
        if decision.kind == "declined" and lapse is not None and lapse.id > decision.id:
            return lapse
        return None

    def summary(self) -> dict[str, Any]:
        """The locks as JSON, stored with each proposal (and compared to spot staleness)."""
        return {
            "pinned": [
                {"household": h, "dwelling": d, "reason": r}
                for (h, d), r in sorted(self.locked_pins().items())
            ],
            "forbidden": [
                {"household": h, "dwelling": d, "reason": r}
                for (h, d), r in sorted(self.locked_forbids().items())
            ],
            "lapsed": sorted(self.lapsed),
        }


def build_ledger(decisions: Iterable[Decision]) -> Ledger:
    """Replay the active decisions in the order they were made."""
    ledger = Ledger()
    for d in sorted(decisions, key=lambda d: d.id):
        if not d.active:
            continue
        ledger.active.append(d)
        pair = (d.household, d.dwelling or "")
        if d.kind == "pin":
            ledger.pins[pair] = d
        elif d.kind == "forbid":
            ledger.forbids[pair] = d
        elif d.kind == "offer_sent":
            ledger.open_offers[pair] = d
        elif d.kind in ("accepted", "declined") and pair in ledger.open_offers:
            del ledger.open_offers[pair]
            (ledger.accepted if d.kind == "accepted" else ledger.declined)[pair] = d
        elif d.kind == "approval_lapsed":
            ledger.lapsed[d.household] = d
    return ledger


def effective_scenario(snapshot: Scenario, ledger: Ledger) -> Scenario:
    """The round's scenario with the decisions as its locks and lapsed households removed."""
    tree = snapshot.model_dump(mode="json")
    tree["households"] = [h for h in tree["households"] if h["id"] not in ledger.lapsed]
    summary = ledger.summary()
    tree["locks"] = {
        "pinned": summary["pinned"],
        "forbidden": [
            f
            for f in summary["forbidden"]
            if (f["household"], f["dwelling"]) not in ledger.locked_pins()
        ],
    }
    return Scenario.model_validate(tree)
