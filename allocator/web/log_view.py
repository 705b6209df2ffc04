"""The audit log as people read it: who (display name), what (glossary), and a sentence
for the entry's content; never raw JSON or English entity names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from allocator.glossary import DECISION_TEXT, LOG_ACTION_TEXT, SOLVER_TEXT, day, tidy
from allocator.web.tables import AuditEntry, Decision


@dataclass
class LogLine:
    at: dt.datetime
    who: str
    what: str
    text: str


def _decision_text(data: dict[str, Any] | None) -> str:
    if not data:
        return ""
    kind = DECISION_TEXT.get(str(data.get("kind")), str(data.get("kind", "")))
    pair = str(data.get("household", ""))
    if data.get("dwelling"):
        pair += f" – {data['dwelling']}"
    text = f"{kind}: {pair}"
    if data.get("reason"):
        text += f". Begrunnelse: {tidy(str(data['reason']))}"
    if data.get("imported"):
        text += " (fra innlest runde)"
    return text


def describe(
    entry: AuditEntry, users: dict[int, str], decisions: dict[int, Decision] | None = None
) -> LogLine:
    """One log line in bokmål."""
    who = users.get(entry.user_id or -1) or (
        "system"
        if entry.username == "system"
        else "ukjent brukernavn"
        if entry.username == "?"
        else entry.username
    )
    what = LOG_ACTION_TEXT.get(entry.action, entry.action)
    after, before = entry.after or {}, entry.before or {}
    text = ""
    if entry.action.startswith("decision.") and entry.action != "decision.revoke":
        text = _decision_text(after)
    elif entry.action == "decision.revoke":
        text = "Angret: " + _decision_text(before)
    elif entry.action == "proposal.solve":
        locks = after.get("locks") or {}
        text = (
            f"Forslag #{after.get('proposal')}: {after.get('matches')} tildelinger"
            + (f", {after.get('kept')} beholdt fra forrige forslag" if before else "")
            + f"; {len(locks.get('pinned', []))} låst, {len(locks.get('forbidden', []))} "
            f"sperret; løser: {SOLVER_TEXT.get(str(after.get('status')), '')}."
        )
    elif entry.action == "round.create":
        text = (
            f"{after.get('name', '')}, rundedato {day(after.get('as_of'))}: "
            f"{after.get('dwellings')} ledige boliger, {after.get('households')} husstander."
        )
    elif entry.action == "round.publish":
        text = f"Forslag #{after.get('proposal')} er vedtatt."
    elif entry.action == "auth.lockout":
        text = (
            f"Sperret {after.get('minutes')} minutter etter for mange mislykkede forsøk "
            f"({after.get('locked')})."
        )
    return LogLine(at=entry.at, who=who, what=what, text=text)
