"""Batch outputs in the vocabulary of Kobo's Bolig API: reservations and allocations.

Kobo's Bolig API (v1) has two operations for what a round decides: *behandle
boligreservasjon* (hold a dwelling for a household while the offer is out) and *behandle
tildeling* (the allocation itself, which leads to a lease, *leieforhold*). ``allocator
batch`` writes one file for each beside its own files: ``kobo-boligreservasjoner.json`` and
``kobo-tildelinger.json``. docs/batch.md maps every field.

Ids pass through unchanged: ``boligId`` is the dwelling id of the scenario, which is Kobo's
``koboId`` when the dwellings were read from the Bolig API (``mapping: kobo-api``), and
``husstandId`` the scenario's household id. Field names follow Kobo's camelCase; enum words
are Kobo-style upper case (``RESERVERT``). The files are not Kobo API requests themselves:
an integration makes one call per entry with them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.proposal import SCHEMA_VERSION, Match, Proposal

KOBO_RESERVATIONS_FILE = "kobo-boligreservasjoner.json"
KOBO_ALLOCATIONS_FILE = "kobo-tildelinger.json"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KoboReserve(_Out):
    """Next in line for the dwelling if the offer is declined."""

    rekkefolge: int = Field(..., ge=1, description="Rank, 1 = first in line.")
    husstandId: str = Field(..., description="Household id, unchanged from the scenario.")


class KoboBoligreservasjon(_Out):
    """A dwelling held for one household while the offer is out (boligreservasjon)."""

    boligId: str = Field(..., description="Dwelling id, unchanged (koboId with kobo-api).")
    husstandId: str = Field(..., description="Household id, unchanged from the scenario.")
    reservasjonsstatus: Literal["RESERVERT"] = "RESERVERT"
    reservertFraDato: dt.date = Field(..., description="The allocation meeting's date.")
    planlagtInnflyttingsdato: dt.date = Field(..., description="Earliest move-in (R9).")
    laastAvTildelingsmotet: bool = Field(False, description="Pinned by the meeting.")
    begrunnelse: str = Field("", description="Why this household: the reasons in bokmål.")
    reserveliste: list[KoboReserve] = Field(default_factory=list)


class KoboBoligreservasjoner(_Out):
    """``kobo-boligreservasjoner.json``: one reservation per match of the round."""

    schema_version: str = SCHEMA_VERSION
    run_id: str
    created_at: str
    tildelingsdato: dt.date = Field(..., description="The round's date (as_of).")
    boligreservasjoner: list[KoboBoligreservasjon] = Field(default_factory=list)


class KoboLeieforhold(_Out):
    """The lease the allocation leads to, as far as the round knows it."""

    startdato: dt.date = Field(..., description="Planned lease start: the move-in date.")


class KoboTildeling(_Out):
    """One proposed allocation (tildeling): the meeting confirms it, then Kobo records it."""

    boligId: str = Field(..., description="Dwelling id, unchanged (koboId with kobo-api).")
    husstandId: str = Field(..., description="Household id, unchanged from the scenario.")
    tildelingsstatus: Literal["FORESLATT"] = Field(
        "FORESLATT", description="Proposed by the allocator; not yet decided by the meeting."
    )
    tildelingsdato: dt.date = Field(..., description="The allocation meeting's date.")
    leieforhold: KoboLeieforhold
    begrunnelseskoder: list[str] = Field(
        default_factory=list, description="Stable reason codes (docs/rules.md)."
    )


class KoboTildelinger(_Out):
    """``kobo-tildelinger.json``: the round's proposed allocations."""

    schema_version: str = SCHEMA_VERSION
    run_id: str
    created_at: str
    tildelingsdato: dt.date = Field(..., description="The round's date (as_of).")
    tildelinger: list[KoboTildeling] = Field(default_factory=list)


def _reasons(match: Match) -> str:
    return " ".join(r.text for r in match.reasons if r.text)


def kobo_reservations(proposal: Proposal) -> KoboBoligreservasjoner:
    """The proposal's matches as Kobo boligreservasjoner."""
    run = proposal.run
    return KoboBoligreservasjoner(
        run_id=run.id,
        created_at=run.created_at,
        tildelingsdato=run.as_of,
        boligreservasjoner=[
            KoboBoligreservasjon(
                boligId=m.dwelling,
                husstandId=m.household,
                reservertFraDato=run.as_of,
                planlagtInnflyttingsdato=m.move_in,
                laastAvTildelingsmotet=m.pinned,
                begrunnelse=_reasons(m),
                reserveliste=[
                    KoboReserve(rekkefolge=a.rank, husstandId=a.household)
                    for a in sorted(m.alternates, key=lambda a: a.rank)
                ],
            )
            for m in proposal.matches
        ],
    )


def kobo_allocations(proposal: Proposal) -> KoboTildelinger:
    """The proposal's matches as proposed Kobo tildelinger."""
    run = proposal.run
    return KoboTildelinger(
        run_id=run.id,
        created_at=run.created_at,
        tildelingsdato=run.as_of,
        tildelinger=[
            KoboTildeling(
                boligId=m.dwelling,
                husstandId=m.household,
                tildelingsdato=run.as_of,
                leieforhold=KoboLeieforhold(startdato=m.move_in),
                begrunnelseskoder=[r.code for r in m.reasons],
            )
            for m in proposal.matches
        ],
    )
