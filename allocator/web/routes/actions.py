"""POST actions. Each checks session (401), role (403) and CSRF token (403) server-side,
runs in one transaction with its audit entry, and redirects back (303) with a message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from allocator.web import services
from allocator.web.auth import Current
from allocator.web.routes.common import Caseworker, Lead, core_of, flash, safe_next
from allocator.web.services import ActionError
from allocator.web.tables import Round

router = APIRouter(prefix="/rounds/{round_id}")
log = logging.getLogger("allocator.web")

FormText = Annotated[str, Form()]
Next = Annotated[str, Form(alias="next")]


def _act(
    request: Request,
    current: Current,
    round_id: int,
    change: Callable[[Session, Round], object],
    done: str,
    next_url: str,
    anchor: str = "",
) -> RedirectResponse:
    """Run `change` under the round's lock; flash `done` (or the text `change` returns)."""
    core = core_of(request)
    try:
        with services.round_lock(round_id), core.tx() as db:
            try:
                round_ = services.lock_round(db, round_id)
            except LookupError:
                raise HTTPException(404, "Fant ikke runden.") from None
            result = change(db, round_)
        flash(request, current, "ok", result if isinstance(result, str) else done)
    except ActionError as error:
        flash(request, current, "error", error.message)
    except OperationalError as error:
        # Another server process held the round past the wait (SQLite busy, PostgreSQL
        # lock timeout): nothing was stored.
        log.warning("round %s busy: %s", round_id, type(error.orig).__name__)
        flash(
            request,
            current,
            "error",
            "Runden er opptatt med en annen handling akkurat nå. "
            "Ingenting ble lagret. Prøv igjen om litt.",
        )
    target = safe_next(next_url, f"/rounds/{round_id}")
    return RedirectResponse(
        target + (f"#{anchor}" if anchor and "#" not in target else ""), status_code=303
    )


@router.post("/pin")
def pin(
    request: Request,
    round_id: int,
    current: Caseworker,
    household: FormText,
    dwelling: FormText,
    reason: FormText = "",
    next_url: Next = "",
) -> RedirectResponse:
    return _act(
        request,
        current,
        round_id,
        lambda db, r: services.pin(db, r, current.user, household, dwelling, reason),
        f"{household} er låst til {dwelling}. Løs på nytt for å oppdatere forslaget.",
        next_url,
        f"bolig-{dwelling}",
    )


@router.post("/forbid")
def forbid(
    request: Request,
    round_id: int,
    current: Caseworker,
    household: FormText,
    dwelling: FormText,
    reason: FormText = "",
    next_url: Next = "",
) -> RedirectResponse:
    return _act(
        request,
        current,
        round_id,
        lambda db, r: services.forbid(db, r, current.user, household, dwelling, reason),
        f"{household}–{dwelling} er sperret. Løs på nytt for å oppdatere forslaget.",
        next_url,
        f"bolig-{dwelling}",
    )


@router.post("/offer")
def offer(
    request: Request,
    round_id: int,
    current: Caseworker,
    household: FormText,
    dwelling: FormText,
    next_url: Next = "",
) -> RedirectResponse:
    return _act(
        request,
        current,
        round_id,
        lambda db, r: services.offer_sent(db, r, current.user, household, dwelling),
        f"Tilbud til {household} på {dwelling} er registrert som sendt.",
        next_url,
        f"bolig-{dwelling}",
    )


@router.post("/answer")
def answer(
    request: Request,
    round_id: int,
    current: Caseworker,
    household: FormText,
    dwelling: FormText,
    result: FormText,
    lapse: Annotated[bool, Form()] = False,
    reason: FormText = "",
    next_url: Next = "",
) -> RedirectResponse:
    text = "takket ja til" if result == "accepted" else "takket nei til"
    done = (
        f"{household} har {text} {dwelling}."
        + (" Tilsagnet er registrert som bortfalt." if lapse and result == "declined" else "")
        + (" Løs på nytt for å gi boligen til neste kandidat." if result == "declined" else "")
    )
    return _act(
        request,
        current,
        round_id,
        lambda db, r: services.answer(
            db, r, current.user, household, dwelling, result, lapse, reason
        ),
        done,
        next_url,
        f"bolig-{dwelling}",
    )


@router.post("/decisions/{decision_id}/revoke")
def revoke(
    request: Request, round_id: int, decision_id: int, current: Caseworker, next_url: Next = ""
) -> RedirectResponse:
    return _act(
        request,
        current,
        round_id,
        lambda db, r: services.revoke(db, r, current.user, decision_id),
        "Beslutningen er angret. Løs på nytt for å oppdatere forslaget.",
        next_url,
        "beslutninger",
    )


@router.post("/resolve")
def resolve(
    request: Request, round_id: int, current: Caseworker, next_url: Next = ""
) -> RedirectResponse:
    """Re-solve: read the round (short transaction), solve outside any transaction (a long
    solve never holds the database), then store the proposal under the round's lock only if
    nothing changed meanwhile (version check)."""
    core = core_of(request)
    limit = core.settings.solve_time_limit_s
    try:
        with core.tx() as db:
            found = db.get(Round, round_id)
            if found is None:
                raise HTTPException(404, "Fant ikke runden.")
            plan = services.plan_solve(db, found)
        proposal = services.run_solve(plan, limit)
    except ActionError as error:
        flash(request, current, "error", error.message)
        return RedirectResponse(safe_next(next_url, f"/rounds/{round_id}"), status_code=303)

    def store(db: Session, round_: Round) -> str:
        result = services.store_solve(
            db, round_, plan, proposal, current.user, services.locked_version(round_)
        )
        kept = result.run_json["sizes"].get("stability_kept")
        before = result.run_json["sizes"].get("stability_previous")
        return f"Nytt forslag #{result.seq} er løst." + (
            f" {kept} av {before} tildelinger er beholdt." if before else ""
        )

    return _act(request, current, round_id, store, "Nytt forslag er løst.", next_url)


@router.post("/publish")
def publish(
    request: Request,
    round_id: int,
    current: Lead,
    proposal: Annotated[int | None, Form()] = None,
    next_url: Next = "",
) -> RedirectResponse:
    return _act(
        request,
        current,
        round_id,
        lambda db, r: services.publish(db, r, current.user, proposal),
        "Runden er publisert. Den kan ikke lenger endres.",
        next_url,
    )
