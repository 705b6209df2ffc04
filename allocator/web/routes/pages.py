"""Read-only pages (every role): rounds, a round, a household, diff, log, exports."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.deadlines import horizon_by_size
from allocator.hashing import scenario_sha256
from allocator.recommend import recommend, why_not
from allocator.web import documents, services
from allocator.web.auth import ACT, PUBLISH
from allocator.web.deadlines import GROUP_TEXT, WEEKS_AHEAD, clock_rows
from allocator.web.diff import causes, diff
from allocator.web.export import allocation, allocation_csv
from allocator.web.ledger import build_ledger, effective_scenario
from allocator.web.log_view import describe
from allocator.web.routes.common import Viewer, core_of, load_current, render
from allocator.web.tables import AuditEntry, ProposalRun, Round, User
from allocator.web.texts import url_id
from allocator.web.views import household_summary, vacancy_rows

router = APIRouter()


def _round(db: Session, round_id: int) -> Round:
    round_ = db.get(Round, round_id)
    if round_ is None:
        raise HTTPException(404, "Fant ikke runden.")
    return round_


def _users(db: Session) -> dict[int, str]:
    return {u.id: u.display_name or u.username for u in db.scalars(select(User))}


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/")
def home(request: Request) -> Response:
    target = "/rounds" if load_current(request) else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/rounds")
def rounds(request: Request, current: Viewer) -> Response:
    rows = []
    with core_of(request).tx() as db:
        for round_ in db.scalars(select(Round).order_by(Round.as_of.desc(), Round.id.desc())):
            runs = services.proposals(db, round_.id)
            last = runs[-1] if runs else None
            scenario = round_.scenario_json
            rows.append(
                {
                    "round": round_,
                    "runs": len(runs),
                    "last": last,
                    "dwellings": len(scenario["dwellings"]),
                    "households": len(scenario["households"]),
                    "housed": last.proposal_json["kpis"]["housed"] if last else None,
                }
            )
    return render(request, "rounds.html", current, rows=rows)


@router.get("/rounds/{round_id}")
def round_page(request: Request, round_id: int, current: Viewer, visning: str = "") -> Response:
    with core_of(request).tx() as db:
        round_ = _round(db, round_id)
        runs = services.proposals(db, round_id)
        decided = services.decisions(db, round_id)
        users = _users(db)
    scenario = services.snapshot(round_)
    ledger = build_ledger(decided)
    run = runs[-1] if runs else None
    proposal = services.parsed(run) if run else None
    history = []
    for i, r in enumerate(runs):
        changed = len(diff(runs[i - 1].proposal_json, r.proposal_json).dwellings) if i else None
        history.append({"run": r, "changed": changed, "by": users.get(r.created_by or -1)})
    changes = diff(runs[-2].proposal_json, run.proposal_json) if len(runs) > 1 and run else None
    changed_dwellings = {d for d, _, _ in changes.dwellings} if changes else set()
    why_changed = (
        causes(runs[-2].proposal_json, run.proposal_json, runs[-2].locks_json, run.locks_json)
        if changes and run
        else {}
    )
    households = scenario.household_by_id()
    draft = round_.status == "draft"
    rows = (
        vacancy_rows(scenario, proposal, ledger, run.locks_json if run else None)
        if proposal
        else []
    )
    clocks = clock_rows(scenario, proposal)
    bands = horizon_by_size(scenario, weeks=WEEKS_AHEAD)
    unmatched = (
        sorted(
            proposal.unmatched,
            key=lambda u: (
                households[u.household].priority if u.household in households else 9,
                households[u.household].approved_on
                if u.household in households
                else scenario.as_of,
                u.household,
            ),
        )
        if proposal
        else []
    )
    return render(
        request,
        "round.html",
        current,
        round=round_,
        run=run,
        proposal=proposal,
        rows=rows,
        clocks=clocks,
        bands=bands,
        group_text=GROUP_TEXT,
        unmatched=unmatched,
        breach_of={b.household: b for b in proposal.breaches} if proposal else {},
        changed_dwellings=changed_dwellings,
        why_changed=why_changed,
        changes=changes,
        history=history,
        decisions=list(reversed(decided)),
        users=users,
        ledger=ledger,
        stale=services.is_stale(run, ledger),
        households=households,
        summary=household_summary,
        policy_name=scenario.policy.name,
        rules_off=scenario.policy.rules_off(),
        projector=visning == "projektor",
        can_act=draft and current.can(ACT),
        can_publish=draft and current.can(PUBLISH),
    )


def _household_context(
    request: Request, round_id: int, household_id: str
) -> tuple[Round, Any, list[Any], dict[int, str]]:
    with core_of(request).tx() as db:
        round_ = _round(db, round_id)
        run = services.latest(db, round_id)
        decided = services.decisions(db, round_id)
        users = _users(db)
    return round_, run, decided, users


@router.get("/rounds/{round_id}/households/{household_id:path}")
def household_page(request: Request, round_id: int, household_id: str, current: Viewer) -> Response:
    round_, run, decided, users = _household_context(request, round_id, household_id)
    scenario = services.snapshot(round_)
    household = scenario.household_by_id().get(household_id)
    if household is None:
        raise HTTPException(404, "Fant ikke husstanden i runden.")
    ledger = build_ledger(decided)
    proposal = services.parsed(run) if run else None
    match = (
        next((m for m in proposal.matches if m.household == household_id), None)
        if proposal
        else None
    )
    unmatched = (
        next((u for u in proposal.unmatched if u.household == household_id), None)
        if proposal
        else None
    )
    breach = (
        next((b for b in proposal.breaches if b.household == household_id), None)
        if proposal
        else None
    )
    lapsed = household_id in ledger.lapsed
    ruled_out = {} if lapsed else why_not(effective_scenario(scenario, ledger), household_id)
    dwellings = sorted(scenario.dwellings, key=lambda d: d.id)
    districts = {d.id: d.name or d.id for d in scenario.districts}
    buildings = scenario.building_by_id()
    pinnable = [
        d
        for d in dwellings
        if d.id not in ruled_out and ledger.refusal("pin", household_id, d.id) is None
    ]
    forbiddable = [
        d
        for d in dwellings
        if d.id not in ruled_out and ledger.refusal("forbid", household_id, d.id) is None
    ]
    return render(
        request,
        "household.html",
        current,
        round=round_,
        h=household,
        match=match,
        unmatched=unmatched,
        breach=breach,
        lapsed=lapsed,
        ruled_out=ruled_out,
        dwellings=dwellings,
        pinnable=pinnable,
        forbiddable=forbiddable,
        districts=districts,
        district_of={d.id: districts[buildings[d.building].district] for d in dwellings},
        decisions=[d for d in reversed(decided) if d.household == household_id],
        users=users,
        ledger=ledger,
        summary=household_summary(household),
        as_of=scenario.as_of,
        waited=(scenario.as_of - household.approved_on).days,
        pinned_to=ledger.dwelling_of_household(household_id),
        can_act=round_.status == "draft" and current.can(ACT) and not lapsed,
    )


def _recommend(scenario: Any, household_id: str, current_proposal: Any) -> list[Any]:
    """`allocator.recommend` against the proposal on screen when the core supports it
    (`current=`), else against its own solve."""
    run: Any = recommend  # the keyword is checked at run time (older cores lack it)
    if "current" in inspect.signature(recommend).parameters:
        return list(run(scenario, household_id, top=5, current=current_proposal))
    return list(run(scenario, household_id, top=5))


@router.get("/rounds/{round_id}/recommendations")
def recommendations(
    request: Request, round_id: int, current: Viewer, household: str = ""
) -> Response:
    """The household's best dwellings (allocator.recommend), as an HTML fragment; slow
    (one solve per dwelling), so the household page loads it after the page itself. In
    the proposal and displaces are always read from the proposal on screen."""
    core = core_of(request)
    with core.tx() as db:
        round_ = _round(db, round_id)
        ledger = build_ledger(services.decisions(db, round_id))
        run = services.latest(db, round_id)
    proposal = services.parsed(run) if run else None
    if household in ledger.lapsed:
        options: list[Any] = []
    else:
        scenario = effective_scenario(services.snapshot(round_), ledger)
        if household not in scenario.household_by_id():
            raise HTTPException(404, "Fant ikke husstanden i runden.")
        key = (round_id, f"{scenario_sha256(scenario)}:{run.run_id if run else ''}", household)
        if key not in core.recommendations:
            if len(core.recommendations) > 256:
                core.recommendations.clear()
            core.recommendations[key] = _recommend(scenario, household, proposal)
        options = core.recommendations[key]
    holder = {m.dwelling: m.household for m in proposal.matches} if proposal else {}
    rows = [
        {
            "option": o,
            "in_proposal": holder.get(o.dwelling) == household,
            "displaces": (holder.get(o.dwelling) if holder.get(o.dwelling) != household else None),
            "can_pin": round_.status == "draft"
            and current.can(ACT)
            and ledger.refusal("pin", household, o.dwelling) is None,
        }
        for o in options
    ]
    districts = {d["id"]: d.get("name") or d["id"] for d in round_.scenario_json["districts"]}
    return render(
        request,
        "_recommendations.html",
        current,
        rows=rows,
        round=round_,
        household_id=household,
        districts=districts,
        against_current="current" in inspect.signature(recommend).parameters,
    )


@router.get("/rounds/{round_id}/confirm")
def confirm_page(
    request: Request,
    round_id: int,
    current: Viewer,
    action: str = "",
    household: str = "",
    dwelling: str = "",
    lapse: bool = False,
    reason: str = "",
) -> Response:
    """What-if before commit: the decision's consequence from a quick re-solve, and the
    form that saves it."""
    if not current.can(ACT):
        raise HTTPException(403, "Rollen din har ikke tilgang til denne handlingen.")
    core = core_of(request)
    with core.tx() as db:
        round_ = _round(db, round_id)
        consequence = services.preview(
            db, round_, action, household, dwelling, lapse, reason, core.settings.solve_time_limit_s
        )
    return render(request, "confirm.html", current, round=round_, c=consequence, reason=reason)


@router.get("/search")
def search_page(
    request: Request, current: Viewer, q: str = "", runde: int | None = None
) -> Response:
    """One search over a round's households and dwellings (id, district, building)."""
    with core_of(request).tx() as db:
        round_ = (
            db.get(Round, runde)
            if runde
            else db.scalars(select(Round).order_by(Round.as_of.desc(), Round.id.desc())).first()
        )
        if round_ is None:
            raise HTTPException(404, "Fant ikke runden.")
        run = services.latest(db, round_.id)
    scenario = services.snapshot(round_)
    needle = q.strip().lower()
    proposal = services.parsed(run) if run else None
    dwelling_of = {m.household: m.dwelling for m in proposal.matches} if proposal else {}
    holder = {m.dwelling: m.household for m in proposal.matches} if proposal else {}
    districts = {d.id: d.name or d.id for d in scenario.districts}
    buildings = scenario.building_by_id()
    households = [
        h
        for h in scenario.households
        if needle
        and (
            needle in h.id.lower()
            or any(needle in districts.get(x, x).lower() for x in h.preferred_districts)
        )
    ]
    dwellings = [
        d
        for d in scenario.dwellings
        if needle
        and (
            needle in d.id.lower()
            or needle in d.building.lower()
            or needle in districts.get(buildings[d.building].district, "").lower()
        )
    ]
    exact_h = [h for h in households if h.id.lower() == needle]
    exact_d = [d for d in dwellings if d.id.lower() == needle]
    if exact_h and not exact_d:
        return RedirectResponse(
            f"/rounds/{round_.id}/households/{url_id(exact_h[0].id)}", status_code=303
        )
    if exact_d and not exact_h:
        return RedirectResponse(
            f"/rounds/{round_.id}#bolig-{url_id(exact_d[0].id)}", status_code=303
        )
    return render(
        request,
        "search.html",
        current,
        round=round_,
        query=q,
        households=households,
        dwellings=dwellings,
        dwelling_of=dwelling_of,
        holder=holder,
        districts=districts,
        buildings=buildings,
        summary=household_summary,
    )


@router.get("/rounds/{round_id}/diff")
def diff_page(
    request: Request, round_id: int, current: Viewer, a: int | None = None, b: int | None = None
) -> Response:
    with core_of(request).tx() as db:
        round_ = _round(db, round_id)
        runs = services.proposals(db, round_id)
    by_seq = {r.seq: r for r in runs}
    if not runs:
        raise HTTPException(404, "Runden har ingen forslag.")
    b = b if b in by_seq else runs[-1].seq
    a = a if a in by_seq else max(1, b - 1)
    result = diff(by_seq[a].proposal_json, by_seq[b].proposal_json)
    why = causes(
        by_seq[a].proposal_json, by_seq[b].proposal_json, by_seq[a].locks_json, by_seq[b].locks_json
    )
    return render(
        request,
        "diff.html",
        current,
        round=round_,
        runs=runs,
        a=by_seq[a],
        b=by_seq[b],
        d=result,
        why=why,
    )


@router.get("/rounds/{round_id}/log")
def log_page(request: Request, round_id: int, current: Viewer) -> Response:
    with core_of(request).tx() as db:
        round_ = _round(db, round_id)
        entries = list(
            db.scalars(
                select(AuditEntry)
                .where(AuditEntry.round_id == round_id)
                .order_by(AuditEntry.id.desc())
            )
        )
        users = _users(db)
        decided = {d.id: d for d in services.decisions(db, round_id)}
    return render(
        request,
        "log.html",
        current,
        round=round_,
        entries=[describe(e, users, decided) for e in entries],
    )


def _export(request: Request, round_id: int) -> tuple[Round, dict[str, Any]]:
    with core_of(request).tx() as db:
        round_ = _round(db, round_id)
        run = services.latest(db, round_id)
        decided = services.decisions(db, round_id)
        users = _users(db)
    if run is None:
        raise HTTPException(404, "Runden har ingen forslag.")
    return round_, allocation(round_, run, build_ledger(decided), decided, users)


def _filename(round_: Round, ext: str) -> str:
    state = "publisert" if round_.status == "published" else "utkast"
    return f"tildeling-{round_.as_of:%Y-%m-%d}-runde{round_.id}-{state}.{ext}"


@router.get("/rounds/{round_id}/export.json")
def export_json(request: Request, round_id: int, current: Viewer) -> Response:
    round_, data = _export(request, round_id)
    data["exported_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    data["exported_by"] = current.user.display_name or current.user.username
    return JSONResponse(
        data, headers={"Content-Disposition": f'attachment; filename="{_filename(round_, "json")}"'}
    )


@router.get("/rounds/{round_id}/export.csv")
def export_csv(request: Request, round_id: int, current: Viewer) -> Response:
    round_, data = _export(request, round_id)
    return Response(
        allocation_csv(data),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(round_, "csv")}"'},
    )


@router.get("/rounds/{round_id}/proposals/{seq}.json")
def proposal_json(request: Request, round_id: int, seq: int, current: Viewer) -> Response:
    with core_of(request).tx() as db:
        _round(db, round_id)
        run = db.scalars(
            select(ProposalRun).where(ProposalRun.round_id == round_id, ProposalRun.seq == seq)
        ).first()
    if run is None:
        raise HTTPException(404, "Fant ikke forslaget.")
    return JSONResponse(run.proposal_json)


# -- documents -------------------------------------------------------------------------------
def _document_data(
    request: Request, round_id: int
) -> tuple[Round, ProposalRun, list[Any], list[AuditEntry], dict[int, User]]:
    with core_of(request).tx() as db:
        round_ = _round(db, round_id)
        run = services.latest(db, round_id)
        decided = services.decisions(db, round_id)
        entries = list(
            db.scalars(
                select(AuditEntry).where(AuditEntry.round_id == round_id).order_by(AuditEntry.id)
            )
        )
        users = {u.id: u for u in db.scalars(select(User))}
    if run is None:
        raise HTTPException(404, "Runden har ingen forslag.")
    return round_, run, decided, entries, users


def _document(
    request: Request, name: str, context: dict[str, Any], pdf: bool, filename: str
) -> Response:
    core = core_of(request)
    if not pdf:
        return HTMLResponse(
            documents.render_html(core.documents, name, context, css_href="/documents/document.css")
        )
    html = documents.render_html(core.documents, name, context)
    try:
        body = documents.render_pdf(html)
    except documents.DocumentError as error:
        raise HTTPException(503, str(error)) from error
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/documents/document.css")
def document_css(request: Request, current: Viewer) -> Response:
    """The documents' stylesheet (the municipality's own when it has one)."""
    return Response(documents.render_css(core_of(request).documents), media_type="text/css")


def _minutes(request: Request, round_id: int, pdf: bool) -> Response:
    round_, run, decided, entries, users = _document_data(request, round_id)
    context = documents.minutes_context(
        round_, run, decided, entries, users, core_of(request).settings.letter_terms
    )
    return _document(
        request,
        "minutes.html",
        context,
        pdf,
        f"referat-{round_.as_of:%Y-%m-%d}-runde{round_.id}.pdf",
    )


@router.get("/rounds/{round_id}/minutes")
def minutes_page(request: Request, round_id: int, current: Viewer) -> Response:
    """The minutes (referat) of the round, printable HTML."""
    return _minutes(request, round_id, pdf=False)


@router.get("/rounds/{round_id}/minutes.pdf")
def minutes_pdf(request: Request, round_id: int, current: Viewer) -> Response:
    return _minutes(request, round_id, pdf=True)


@router.get("/rounds/{round_id}/letters/{household_id:path}")
def letter(request: Request, round_id: int, household_id: str, current: Viewer) -> Response:
    """The offer letter of a matched household: ``…/letters/H01`` (HTML) or
    ``…/letters/H01.pdf``; a draft until the offer is recorded as sent."""
    pdf = household_id.endswith(".pdf")
    hid = household_id[:-4] if pdf else household_id
    round_, run, decided, _, users = _document_data(request, round_id)
    try:
        context = documents.letter_context(
            round_, run, decided, hid, users, core_of(request).settings.letter_terms
        )
    except LookupError:
        raise HTTPException(
            404, f"{hid} har ingen bolig i gjeldende forslag, så det finnes ikke noe tilbudsbrev."
        ) from None
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in hid)
    return _document(request, "letter.html", context, pdf, f"tilbud-{safe}-runde{round_.id}.pdf")
