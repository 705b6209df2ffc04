"""Read-only pages (every role): rounds, a round, a household, diff, log, exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from allocator.hashing import scenario_sha256
from allocator.recommend import recommend, why_not
from allocator.web import services
from allocator.web.auth import ACT, PUBLISH
from allocator.web.diff import diff
from allocator.web.export import allocation, allocation_csv
from allocator.web.ledger import build_ledger, effective_scenario
from allocator.web.routes.common import Viewer, core_of, load_current, render
from allocator.web.tables import AuditEntry, ProposalRun, Round, User
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
            rows.append({"round": round_, "runs": len(runs), "last": last,
                         "dwellings": len(scenario["dwellings"]),
                         "households": len(scenario["households"]),
                         "housed": last.proposal_json["kpis"]["housed"] if last else None})
    return render(request, "rounds.html", current, rows=rows)


@router.get("/rounds/{round_id}")
def round_page(request: Request, round_id: int, current: Viewer) -> Response:
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
    households = scenario.household_by_id()
    draft = round_.status == "draft"
    return render(
        request, "round.html", current, round=round_, run=run, proposal=proposal,
        rows=vacancy_rows(scenario, proposal, ledger) if proposal else [],
        changed_dwellings=changed_dwellings, changes=changes, history=history,
        decisions=list(reversed(decided)), users=users, ledger=ledger,
        stale=services.is_stale(run, ledger), households=households,
        summary=household_summary, policy_name=scenario.policy.name,
        rules_off=scenario.policy.rules_off(),
        can_act=draft and current.can(ACT), can_publish=draft and current.can(PUBLISH))


@router.get("/rounds/{round_id}/households/{household_id}")
def household_page(request: Request, round_id: int, household_id: str,
                   current: Viewer) -> Response:
    with core_of(request).tx() as db:
        round_ = _round(db, round_id)
        run = services.latest(db, round_id)
        decided = services.decisions(db, round_id)
        users = _users(db)
    scenario = services.snapshot(round_)
    household = scenario.household_by_id().get(household_id)
    if household is None:
        raise HTTPException(404, "Fant ikke husstanden i runden.")
    ledger = build_ledger(decided)
    proposal = services.parsed(run) if run else None
    match = next((m for m in proposal.matches if m.household == household_id), None) \
        if proposal else None
    unmatched = next((u for u in proposal.unmatched if u.household == household_id), None) \
        if proposal else None
    lapsed = household_id in ledger.lapsed
    ruled_out = {} if lapsed else why_not(effective_scenario(scenario, ledger), household_id)
    dwellings = sorted(scenario.dwellings, key=lambda d: d.id)
    districts = {d.id: d.name or d.id for d in scenario.districts}
    buildings = scenario.building_by_id()
    return render(
        request, "household.html", current, round=round_, h=household, match=match,
        unmatched=unmatched, lapsed=lapsed, ruled_out=ruled_out, dwellings=dwellings,
        district_of={d.id: districts[buildings[d.building].district] for d in dwellings},
        decisions=[d for d in reversed(decided) if d.household == household_id], users=users,
        summary=household_summary(household), as_of=scenario.as_of,
        waited=(scenario.as_of - household.approved_on).days,
        pinned_to=ledger.dwelling_of_household(household_id),
        can_act=round_.status == "draft" and current.can(ACT) and not lapsed)


@router.get("/rounds/{round_id}/households/{household_id}/recommendations")
def recommendations(request: Request, round_id: int, household_id: str,
                    current: Viewer) -> Response:
    """The household's best dwellings (allocator.recommend), as an HTML fragment; slow
    (one solve per dwelling), so the household page loads it after the page itself."""
    core = core_of(request)
    with core.tx() as db:
        round_ = _round(db, round_id)
        ledger = build_ledger(services.decisions(db, round_id))
    if household_id in ledger.lapsed:
        options: list[Any] = []
    else:
        scenario = effective_scenario(services.snapshot(round_), ledger)
        if household_id not in scenario.household_by_id():
            raise HTTPException(404, "Fant ikke husstanden i runden.")
        key = (round_id, scenario_sha256(scenario), household_id)
        if key not in core.recommendations:
            if len(core.recommendations) > 256:
                core.recommendations.clear()
            core.recommendations[key] = recommend(scenario, household_id, top=5)
        options = core.recommendations[key]
    can_pin = (round_.status == "draft" and current.can(ACT)
               and ledger.dwelling_of_household(household_id) is None)
    taken = {d for (_, d) in ledger.locked_pins()}
    districts = {d["id"]: d.get("name") or d["id"] for d in round_.scenario_json["districts"]}
    return render(request, "_recommendations.html", current, options=options, round=round_,
                  household_id=household_id, can_pin=can_pin, taken=taken, districts=districts)


@router.get("/rounds/{round_id}/diff")
def diff_page(request: Request, round_id: int, current: Viewer,
              a: int | None = None, b: int | None = None) -> Response:
    with core_of(request).tx() as db:
        round_ = _round(db, round_id)
        runs = services.proposals(db, round_id)
    by_seq = {r.seq: r for r in runs}
    if not runs:
        raise HTTPException(404, "Runden har ingen forslag.")
    b = b if b in by_seq else runs[-1].seq
    a = a if a in by_seq else max(1, b - 1)
    result = diff(by_seq[a].proposal_json, by_seq[b].proposal_json)
    return render(request, "diff.html", current, round=round_, runs=runs, a=by_seq[a],
                  b=by_seq[b], d=result)


@router.get("/rounds/{round_id}/log")
def log_page(request: Request, round_id: int, current: Viewer) -> Response:
    with core_of(request).tx() as db:
        round_ = _round(db, round_id)
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.round_id == round_id)
                                  .order_by(AuditEntry.id.desc())))
    return render(request, "log.html", current, round=round_, entries=entries)


def _export(request: Request, round_id: int) -> tuple[Round, dict[str, Any]]:
    with core_of(request).tx() as db:
        round_ = _round(db, round_id)
        run = services.latest(db, round_id)
        decided = services.decisions(db, round_id)
        users = {u.id: u.username for u in db.scalars(select(User))}
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
    data["exported_by"] = current.user.username
    return JSONResponse(data, headers={
        "Content-Disposition": f'attachment; filename="{_filename(round_, "json")}"'})


@router.get("/rounds/{round_id}/export.csv")
def export_csv(request: Request, round_id: int, current: Viewer) -> Response:
    round_, data = _export(request, round_id)
    return Response(allocation_csv(data), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{_filename(round_, "csv")}"'})


@router.get("/rounds/{round_id}/proposals/{seq}.json")
def proposal_json(request: Request, round_id: int, seq: int,
                  current: Viewer) -> Response:
    with core_of(request).tx() as db:
        _round(db, round_id)
        run = db.scalars(select(ProposalRun).where(ProposalRun.round_id == round_id,
                                                   ProposalRun.seq == seq)).first()
    if run is None:
        raise HTTPException(404, "Fant ikke forslaget.")
    return JSONResponse(run.proposal_json)
