"""Export of a round's decided allocation: JSON (machine-readable) and CSV (spreadsheets)."""

from __future__ import annotations

import csv
import io
from typing import Any

from allocator.web import services
from allocator.web.ledger import Ledger
from allocator.web.tables import Decision, ProposalRun, Round

EXPORT_VERSION = "1.0"
STATE_TEXT = {"proposed": "foreslått", "pinned": "festet", "offer_sent": "tilbud sendt",
              "accepted": "akseptert"}


def _state(ledger: Ledger, pair: tuple[str, str]) -> str:
    if pair in ledger.accepted:
        return "accepted"
    if pair in ledger.open_offers:
        return "offer_sent"
    if pair in ledger.pins:
        return "pinned"
    return "proposed"


def allocation(round_: Round, run: ProposalRun, ledger: Ledger,
               decisions: list[Decision], users: dict[int, str]) -> dict[str, Any]:
    """The round, its latest proposal's allocation with each pair's state, and every
    decision (withdrawn ones included, marked)."""
    proposal = services.parsed(run)
    scenario = services.snapshot(round_)
    dwellings, buildings = scenario.dwelling_by_id(), scenario.building_by_id()
    rows = []
    for m in sorted(proposal.matches, key=lambda m: m.dwelling):
        pair = (m.household, m.dwelling)
        offer = ledger.accepted.get(pair) or ledger.open_offers.get(pair)
        building = buildings[dwellings[m.dwelling].building]
        rows.append({"dwelling": m.dwelling, "building": building.id,
                     "district": building.district, "household": m.household,
                     "move_in": m.move_in.isoformat(), "state": _state(ledger, pair),
                     "answered_at": (ledger.accepted[pair].created_at.isoformat()
                                     if pair in ledger.accepted else None),
                     "offer_decision": offer.id if offer else None,
                     "reasons": [r.model_dump(mode="json") for r in m.reasons]})
    return {
        "export_version": EXPORT_VERSION,
        "round": {"id": round_.id, "name": round_.name, "as_of": round_.as_of.isoformat(),
                  "status": round_.status, "input_sha256": round_.input_sha256,
                  "policy_sha256": round_.policy_sha256,
                  "published_at": round_.published_at.isoformat() if round_.published_at
                  else None,
                  "published_by": users.get(round_.published_by or -1)},
        "proposal": {"seq": run.seq, "run": run.run_json,
                     "stale": services.is_stale(run, ledger)},
        "allocation": rows,
        "unmatched": [{"household": u.household, "reason": u.reason.model_dump(mode="json")}
                      for u in proposal.unmatched],
        "locks": ledger.summary(),
        "decisions": [services.decision_json(d) | {
            "created_by": users.get(d.created_by or -1, "system"),
            "revoked_by": users.get(d.revoked_by or -1)} for d in decisions],
    }


CSV_COLUMNS = ["bolig", "bygg", "bydel", "husstand", "innflytting", "status", "begrunnelse"]


def allocation_csv(data: dict[str, Any]) -> str:
    """One row per allocated dwelling; semicolon-separated with a BOM (Norwegian Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in data["allocation"]:
        writer.writerow([row["dwelling"], row["building"], row["district"], row["household"],
                         row["move_in"], STATE_TEXT[row["state"]],
                         " | ".join(r["text"] for r in row["reasons"])])
    return out.getvalue()
