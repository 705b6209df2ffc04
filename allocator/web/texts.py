"""Bokmål labels and formatting helpers for the templates."""

from __future__ import annotations

import datetime as dt

from allocator.web.ledger import OSLO

DECISION_TEXT = {"pin": "Festet", "forbid": "Forbudt", "offer_sent": "Tilbud sendt",
                 "accepted": "Akseptert", "declined": "Avslått",
                 "approval_lapsed": "Tilsagn bortfalt"}
STATUS_TEXT = {"draft": "Utkast", "published": "Publisert"}
SOLVER_TEXT = {"OPTIMAL": "bevist optimal", "FEASIBLE": "gyldig, ikke bevist optimal",
               "UNKNOWN": "ingen løsning funnet", "INFEASIBLE": "umulig", "SKIPPED": "hoppet over"}
TIER_TEXT = {"deadline_breaches": "Brudd på 3-månedersfristen",
             "deadline_days_over": "Dager over fristen",
             "priority_waiting": "Prioritet og ventetid",
             "stability": "Stabilitet (beholdte tildelinger)",
             "fit": "Tilpasning",
             "tiebreak": "Likhetsbrudd"}
CATEGORY_TEXT = {"ordinary": "ordinær", "temporary": "midlertidig", "staffed": "bemannet",
                 "adapted": "tilrettelagt", "youth": "ungdomsbolig"}
NEED_TEXT = {"wheelchair": "rullestol", "step_free": "trinnfri adkomst",
             "staffed": "bemanning", "adapted": "tilrettelagt bolig"}
SITUATION_TEXT = {"homeless": "bostedsløs", "temporary": "midlertidig botilbud",
                  "institution": "institusjon", "prison": "fengsel",
                  "crisis_centre": "krisesenter", "unsuitable": "uegnet bolig",
                  "other": "annet"}
SUBSTANCE_TEXT = {"none": "ingen", "active": "aktiv rus", "recovery": "i bedring"}
ACTION_TEXT = {"round.create": "Runde opprettet", "round.publish": "Runde publisert",
               "proposal.solve": "Forslag løst", "decision.revoke": "Beslutning opphevet",
               "auth.login": "Innlogging", "auth.login_failed": "Mislykket innlogging",
               "auth.logout": "Utlogging",
               **{f"decision.{k}": v for k, v in DECISION_TEXT.items()}}


def when(value: dt.datetime | None) -> str:
    """24.11.2026 kl. 10.15 (Oslo time)."""
    if value is None:
        return "–"
    return value.astimezone(OSLO).strftime("%d.%m.%Y kl. %H.%M")


def day(value: dt.date | str | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%d.%m.%Y")


def nok(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}".replace(",", "\u00a0") + "\u00a0kr"


def number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}".replace(",", "\u00a0")
    return text.replace(".", ",")


def signed(value: float) -> str:
    return ("+" if value > 0 else "") + number(value) if value else "0"


FILTERS = {"when": when, "day": day, "nok": nok, "number": number, "signed": signed}
GLOBALS = {"decision_text": DECISION_TEXT, "status_text": STATUS_TEXT, "solver_text": SOLVER_TEXT,
           "category_text": CATEGORY_TEXT, "need_text": NEED_TEXT,
           "situation_text": SITUATION_TEXT, "substance_text": SUBSTANCE_TEXT,
           "action_text": ACTION_TEXT, "tier_text": TIER_TEXT}
