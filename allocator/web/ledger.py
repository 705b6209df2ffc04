"""What the meeting's decisions mean for the next solve (pure functions, no database).

- pins: active ``pin`` decisions, offers sent and not yet answered, and accepted offers;
- forbidden pairs: active ``forbid`` decisions and declined offers;
- lapsed approvals: households removed from the round (with any lock that names them).

`effective_scenario` turns these into the scenario's ``locks`` (and household list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from allocator.web.tables import Decision
from models.scenario import Scenario

Pair = tuple[str, str]
OSLO = ZoneInfo("Europe/Oslo")


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

    def locked_pins(self) -> dict[Pair, str]:
        """Every pair the solver must keep, with the reason shown in the proposal."""
        out: dict[Pair, str] = {}
        for pair, d in self.pins.items():
            out[pair] = d.reason or "Festet av tildelingsmøtet"
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

    def summary(self) -> dict[str, Any]:
        """The locks as JSON, stored with each proposal (and compared to spot staleness)."""
        return {
            "pinned": [{"household": h, "dwelling": d, "reason": r}
                       for (h, d), r in sorted(self.locked_pins().items())],
            "forbidden": [{"household": h, "dwelling": d, "reason": r}
                          for (h, d), r in sorted(self.locked_forbids().items())],
            "lapsed": sorted(self.lapsed),
        }


def build_ledger(decisions: Iterable[Decision]) -> Ledger:
    """Replay the active decisions in the order they were made."""
    ledger = Ledger()
    for d in sorted(decisions, key=lambda d: d.id):
        if not d.active:
            continue
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
    tree["locks"] = {"pinned": summary["pinned"],
                     "forbidden": [f for f in summary["forbidden"]
                                   if (f["household"], f["dwelling"]) not in ledger.locked_pins()]}
    return Scenario.model_validate(tree)
