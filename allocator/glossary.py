"""The one glossary of user-facing terms (bokmål): one word per concept.

The web pages, the proposal report, the meeting's documents (minutes, offer letters), and
the replay and sweep reports take their words from here, so a concept is never called two
things ("3-månedersfristen", never "-grensen"; "takket nei", never "avslått"). Code and
JSON keep their English names; only what people read comes from this module.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

#: Concepts of the domain, one term each.
TERMS: dict[str, str] = {
    "deadline_cap": "3-månedersfristen",
    "deadline": "frist",
    "days_over": "dager over fristen",
    "breach": "brudd på fristen",
    "due": "frist denne runden",
    "dissimilarity": "segregeringsindeks",
    "housed": "tildelt bolig",
    "vacancy": "ledig bolig",
    "household": "husstand",
    "round": "tildelingsmøte",
    "policy": "regelsett",
    "seed": "trekning",
    "proposal": "forslag",
    "alternate": "alternativ ved avslag",
    "vacancy_days": "tomgangsdager",
    "gap": "avstand til beste mulige",
    "tiebreak": "rekkefølge ved likhet",
    "transfer": "bytte av kommunal bolig",
    "tenant": "leietaker",
    "chain": "flyttekjede",
    "swap": "direkte bytte",
    "turnover": "klargjøring",
    "freed": "frigjort bolig",
}

#: Why a sitting tenant applies to move (households[].transfer.reason).
TRANSFER_REASON_TEXT: dict[str, str] = {
    "overcrowded": "trangbodd",
    "under_occupying": "bor for stort",
    "needs": "boligen passer ikke behovene",
    "safety": "sikkerhet",
    "step_down_from_staffed": "klar for bolig uten bemanning",
    "other": "annet",
}

#: The meeting's decisions: the state a pair is in after each one.
DECISION_TEXT: dict[str, str] = {
    "pin": "Låst",
    "forbid": "Sperret",
    "offer_sent": "Tilbud sendt",
    "accepted": "Takket ja",
    "declined": "Takket nei",
    "approval_lapsed": "Tilsagnet falt bort",
}

#: The verbs on the buttons that make those decisions.
ACTION_VERB: dict[str, str] = {
    "pin": "Lås",
    "forbid": "Sperr",
    "offer_sent": "Tilbud sendt",
    "accepted": "Takket ja",
    "declined": "Takket nei",
    "revoke": "Angre",
    "resolve": "Løs på nytt",
    "publish": "Publiser",
}


class TierNames(dict[str, str]):
    """Tier names by component; the serial tie-break's blocks (tiebreak_2, ...) share
    the tie-break's name."""

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        if key in self:
            return self[key]
        if key.startswith("tiebreak_") and "tiebreak" in self:
            return self["tiebreak"]
        return default


#: The tiers of the objective (allocator.model component names, plus the web's stability).
TIER_TEXT: dict[str, str] = TierNames(
    {
        "deadline_breaches": "Brudd på fristene",
        "deadline_days_over": "Dager over fristene",
        "lookahead_breaches": "Planlegging framover: ventede brudd på fristene",
        "lookahead_days_over": "Planlegging framover: ventede dager over fristene",
        "priority_waiting": "Prioritet og ventetid",
        "stability": "Stabilitet (beholdte tildelinger)",
        "fit": "Tilpasning",
        "tiebreak": "Rekkefølge ved likhet",
        "tiebreak_assignment": "Rekkefølge ved likhet: fast loddtrekning",
    }
)

#: Deadline clocks (DOMAIN.md "Deadline clocks").
CLOCK_TEXT: dict[str, str] = {
    "temporary": "3-månedersfristen (barnefamilie i midlertidig botilbud)",
    "release": "Løslatelse/utskrivning: bolig klar på dagen",
    "refugee": "Bosetting av flyktning: avtalt ankomst",
}
CLOCK_SHORT: dict[str, str] = {
    "temporary": "3-månedersfristen",
    "release": "Løslatelse",
    "refugee": "Bosetting",
}

SOLVER_TEXT: dict[str, str] = {
    "OPTIMAL": "bevist optimal",
    "FEASIBLE": "gyldig, ikke bevist optimal",
    "UNKNOWN": "ingen løsning funnet",
    "INFEASIBLE": "umulig",
    "MODEL_INVALID": "modellen er ugyldig",
    "SKIPPED": "hoppet over",
}
STATUS_TEXT: dict[str, str] = {"draft": "Utkast", "published": "Publisert"}
ROLE_TEXT: dict[str, str] = {
    "caseworker": "saksbehandler",
    "lead": "leder",
    "analyst": "analytiker",
}
CATEGORY_TEXT: dict[str, str] = {
    "ordinary": "ordinær",
    "temporary": "midlertidig",
    "staffed": "bemannet",
    "adapted": "tilrettelagt",
    "youth": "ungdomsbolig",
}
NEED_TEXT: dict[str, str] = {
    "wheelchair": "rullestol",
    "step_free": "trinnfri adkomst",
    "staffed": "bemanning",
    "adapted": "tilrettelagt bolig",
}
SITUATION_TEXT: dict[str, str] = {
    "homeless": "bostedsløs",
    "temporary": "midlertidig botilbud",
    "institution": "institusjon",
    "prison": "fengsel",
    "crisis_centre": "krisesenter",
    "unsuitable": "uegnet bolig",
    "refugee": "flyktning som skal bosettes",
    "other": "annet",
}
SUBSTANCE_TEXT: dict[str, str] = {"none": "ingen", "active": "aktiv rus", "recovery": "i bedring"}
#: States of an allocated dwelling in exports and documents.
STATE_TEXT: dict[str, str] = {
    "proposed": "foreslått",
    "pinned": "låst",
    "offer_sent": "tilbud sendt",
    "accepted": "takket ja",
}

#: Audit-log actions.
LOG_ACTION_TEXT: dict[str, str] = {
    "round.create": "Runde opprettet",
    "round.publish": "Runde publisert",
    "proposal.solve": "Nytt forslag",
    "decision.revoke": "Beslutning angret",
    "auth.login": "Innlogging",
    "auth.login_failed": "Mislykket innlogging",
    "auth.lockout": "Innlogging sperret midlertidig",
    "auth.logout": "Utlogging",
    "users.create_demo": "Demobrukere opprettet",
    "user.add": "Bruker opprettet",
    "user.passwd": "Passord endret",
    "user.disable": "Bruker sperret",
    **{f"decision.{k}": v for k, v in DECISION_TEXT.items()},
}

#: Request fields named in error messages.
FIELD_TEXT: dict[str, str] = {
    "round_id": "rundenummer",
    "seq": "forslagsnummer",
    "decision_id": "beslutningsnummer",
    "household": "husstand",
    "household_id": "husstand",
    "dwelling": "bolig",
    "reason": "begrunnelse",
    "result": "svar",
    "proposal": "forslagsnummer",
    "a": "forslaget det sammenlignes fra",
    "b": "forslaget det sammenlignes med",
    "lapse": "bortfall av tilsagnet",
    "runde": "rundenummer",
    "username": "brukernavn",
    "password": "passord",
}

_NOUNS: dict[str, tuple[str, str]] = {
    "husstand": ("husstand", "husstander"),
    "bolig": ("bolig", "boliger"),
    "dag": ("dag", "dager"),
    "brudd": ("brudd", "brudd"),
    "familie": ("familie", "familier"),
    "beslutning": ("beslutning", "beslutninger"),
    "uke": ("uke", "uker"),
}


def count(n: int, noun: str) -> str:
    """'1 husstand', '2 husstander' (never '1 husstander')."""
    singular, plural = _NOUNS.get(noun, (noun, noun))
    return f"{n} {singular if abs(n) == 1 else plural}"


def day(value: dt.date | dt.datetime | str | None) -> str:
    """dd.mm.yyyy, the one date format people read."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.strftime("%d.%m.%Y")


#: The time zone people read times of day in.
OSLO = ZoneInfo("Europe/Oslo")


def moment(value: dt.datetime | str | None) -> str:
    """24.11.2026 kl. 10.15, in Oslo time: the one format for a time people read."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(OSLO).strftime("%d.%m.%Y kl. %H.%M")


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DOUBLE_STOP = re.compile(r"\.\.(?!\.)")


def tidy(text: str) -> str:
    """A reason text as people read it: dd.mm.yyyy dates, no double full stops
    ('m.fl..'), no 'x: x' repetitions of a lock's own wording."""
    text = _ISO_DATE.sub(lambda m: f"{m[3]}.{m[2]}.{m[1]}", text)
    return _DOUBLE_STOP.sub(".", text)


def district_name(districts: dict[str, Any], district_id: str) -> str:
    """A district's name from `{id: District or name}`, the id only when it has no name."""
    found = districts.get(district_id)
    if found is None:
        return district_id
    if isinstance(found, str):
        return found or district_id
    return getattr(found, "name", None) or district_id
