"""Export of a round's decided allocation: JSON (machine-readable) and CSV (spreadsheets).

Both hold the allocation with each pair's state, the deadline breaches, and every decision
with who made it. The CSV neutralises cells a spreadsheet would run as a formula (a cell
that starts with ``= + - @``, a tab or a carriage return gets a leading apostrophe).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from allocator.glossary import DECISION_TEXT, STATE_TEXT, day, tidy
from allocator.web import services
from allocator.web.ledger import Ledger, local_date
from allocator.web.tables import Decision, ProposalRun, Round

EXPORT_VERSION = "1.1"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _state(ledger: Ledger, pair: tuple[str, str]) -> str:
    if pair in ledger.accepted:
        return "accepted"
    if pair in ledger.open_offers:
        return "offer_sent"
    if pair in ledger.pins:
        return "pinned"
    return "proposed"


def allocation(
    round_: Round,
    run: ProposalRun,
    ledger: Ledger,
    decisions: list[Decision],
    users: dict[int, str],
) -> dict[str, Any]:
    """The round, its latest proposal's allocation with each pair's state, the breaches,
    and every decision (withdrawn ones included, marked)."""
    proposal = services.parsed(run)
    scenario = services.snapshot(round_)
    dwellings, buildings = scenario.dwelling_by_id(), scenario.building_by_id()
    districts = {d.id: d.name or d.id for d in scenario.districts}
    breach_of = {b.household: b for b in proposal.breaches}
    rows = []
    for m in sorted(proposal.matches, key=lambda m: m.dwelling):
        pair = (m.household, m.dwelling)
        offer = ledger.accepted.get(pair) or ledger.open_offers.get(pair)
        building = buildings[dwellings[m.dwelling].building]
        breach = breach_of.get(m.household)
        rows.append(
            {
                "dwelling": m.dwelling,
                "building": building.id,
                "district": building.district,
                "district_name": districts.get(building.district, building.district),
                "household": m.household,
                "move_in": m.move_in.isoformat(),
                "state": _state(ledger, pair),
                "answered_at": (
                    ledger.accepted[pair].created_at.isoformat()
                    if pair in ledger.accepted
                    else None
                ),
                "offer_decision": offer.id if offer else None,
                "deadline": breach.deadline.isoformat() if breach else None,
                "days_over": breach.days_over if breach else None,
                "reasons": [r.model_dump(mode="json") for r in m.reasons],
            }
        )
    return {
        "export_version": EXPORT_VERSION,
        "round": {
            "id": round_.id,
            "name": round_.name,
            "as_of": round_.as_of.isoformat(),
            "status": round_.status,
            "input_sha256": round_.input_sha256,
            "policy_sha256": round_.policy_sha256,
            "published_at": round_.published_at.isoformat() if round_.published_at else None,
            "published_by": users.get(round_.published_by or -1),
        },
        "proposal": {"seq": run.seq, "run": run.run_json, "stale": services.is_stale(run, ledger)},
        "allocation": rows,
        "unmatched": [
            {"household": u.household, "reason": u.reason.model_dump(mode="json")}
            for u in proposal.unmatched
        ],
        "breaches": [b.model_dump(mode="json") for b in proposal.breaches],
        "locks": ledger.summary(),
        "decisions": [
            services.decision_json(d)
            | {
                "created_by": users.get(d.created_by or -1, "system"),
                "revoked_by": users.get(d.revoked_by or -1),
            }
            for d in decisions
        ],
    }


def cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


CSV_COLUMNS = [
    "type",
    "bolig",
    "bygg",
    "bydel",
    "husstand",
    "innflytting",
    "status",
    "frist",
    "dager over fristen",
    "beslutning",
    "av",
    "når",
    "begrunnelse",
]


def allocation_csv(data: dict[str, Any]) -> str:
    """Semicolon-separated with a BOM (Norwegian Excel): one row per allocated dwelling,
    one per household in breach without a dwelling, one per decision."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def row(values: list[Any]) -> None:
        writer.writerow([cell(v) for v in values])

    housed = set()
    for r in data["allocation"]:
        housed.add(r["household"])
        row(
            [
                "tildeling",
                r["dwelling"],
                r["building"],
                r["district_name"],
                r["household"],
                day(r["move_in"]),
                STATE_TEXT[r["state"]],
                day(r["deadline"]) if r["deadline"] else "",
                r["days_over"] if r["days_over"] is not None else "",
                "",
                "",
                "",
                " | ".join(tidy(x["text"]) for x in r["reasons"]),
            ]
        )
    for b in data["breaches"]:
        if b["household"] not in housed:
            row(
                [
                    "brudd",
                    "",
                    "",
                    "",
                    b["household"],
                    "",
                    "uten bolig",
                    day(b["deadline"]),
                    b["days_over"],
                    "",
                    "",
                    "",
                    tidy(b["reason"]["text"]),
                ]
            )
    for d in data["decisions"]:
        made = dt.datetime.fromisoformat(d["created_at"]) if d["created_at"] else None
        row(
            [
                "beslutning",
                d["dwelling"] or "",
                "",
                "",
                d["household"],
                "",
                "angret" if d["revoked_at"] else "gjelder",
                "",
                "",
                DECISION_TEXT.get(d["kind"], d["kind"]),
                d["created_by"],
                local_date(made) if made else "",
                d["reason"],
            ]
        )
    return out.getvalue()
