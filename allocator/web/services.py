"""Round services: create and (re-)solve rounds, record the meeting's decisions, publish.

Every change writes an `AuditEntry` in the same transaction as the change itself. Actions
the round's state does not allow raise `ActionError` with a bokmål message for the user.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from allocator.hashing import policy_sha256, scenario_sha256
from allocator.recommend import why_not
from allocator.web.diff import diff
from allocator.web.ledger import Ledger, build_ledger, effective_scenario
from allocator.web.stability import propose_stable
from allocator.web.tables import AuditEntry, Decision, ProposalRun, Round, User, utcnow
from models.problems import InputError
from models.proposal import Proposal
from models.scenario import Scenario

ANSWERS = ("accepted", "declined")
#: Seconds an action waits for another process holding the round (then: a clear refusal).
LOCK_WAIT_S = 30
_round_locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
_registry_lock = threading.Lock()


class ActionError(Exception):
    """An action the round's state does not allow; the message is shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@contextmanager
def round_lock(round_id: int) -> Iterator[None]:
    """Serialise changes to one round within this process (PostgreSQL also locks the row)."""
    with _registry_lock:
        lock = _round_locks[round_id]
    with lock:
        yield


# -- reading -------------------------------------------------------------------------------
def snapshot(round_: Round) -> Scenario:
    return Scenario.model_validate(round_.scenario_json)


def decisions(db: Session, round_id: int) -> list[Decision]:
    return list(
        db.scalars(select(Decision).where(Decision.round_id == round_id).order_by(Decision.id))
    )


def proposals(db: Session, round_id: int) -> list[ProposalRun]:
    return list(
        db.scalars(
            select(ProposalRun).where(ProposalRun.round_id == round_id).order_by(ProposalRun.seq)
        )
    )


def latest(db: Session, round_id: int) -> ProposalRun | None:
    return db.scalars(
        select(ProposalRun)
        .where(ProposalRun.round_id == round_id)
        .order_by(ProposalRun.seq.desc())
        .limit(1)
    ).first()


def parsed(run: ProposalRun) -> Proposal:
    return Proposal.model_validate(run.proposal_json)


def is_stale(run: ProposalRun | None, ledger: Ledger) -> bool:
    """True when decisions changed the locks after `run` was solved."""
    return run is not None and run.locks_json != ledger.summary()


def lock_round(db: Session, round_id: int) -> Round:
    """Take the round's lock for this transaction, across processes: the first statement
    bumps ``rounds.version``, which holds SQLite's write lock (other writers wait, up to the
    busy timeout) and PostgreSQL's row lock until commit. Everything read afterwards is the
    newest committed state, so two servers can never both pin one dwelling."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_S}s'"))
    bumped = db.execute(
        update(Round)
        .where(Round.id == round_id)
        .values(version=Round.version + 1)
        .execution_options(synchronize_session=False)
    )
    if not bumped.rowcount:  # type: ignore[attr-defined]
        raise LookupError(round_id)
    round_ = db.get(Round, round_id, populate_existing=True)
    assert round_ is not None
    return round_


def locked_version(round_: Round) -> int:
    """The version a transaction found before its own `lock_round` bump."""
    return round_.version - 1


# -- audit ---------------------------------------------------------------------------------
def audit(
    db: Session,
    actor: User | None,
    action: str,
    *,
    round_id: int | None = None,
    entity: str = "",
    entity_id: str | int = "",
    before: Any = None,
    after: Any = None,
    username: str | None = None,
) -> None:
    db.add(
        AuditEntry(
            user_id=actor.id if actor else None,
            username=username or (actor.username if actor else "system"),
            action=action,
            round_id=round_id,
            entity=entity,
            entity_id=str(entity_id),
            before=before,
            after=after,
        )
    )


def decision_json(d: Decision) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "household": d.household,
        "dwelling": d.dwelling,
        "reason": d.reason,
        "proposal_id": d.proposal_id,
        "created_at": d.created_at.isoformat() if d.created_at else None,
        "created_by": d.created_by,
        "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None,
        "revoked_by": d.revoked_by,
    }


# -- rounds and solving --------------------------------------------------------------------
def create_round(
    db: Session,
    scenario: Scenario,
    *,
    name: str,
    source: str,
    actor: User | None,
    time_limit_s: float | None = None,
) -> Round:
    """Store the scenario snapshot, import its locks as decisions, solve the first proposal."""
    round_ = Round(
        name=name,
        as_of=scenario.as_of,
        status="draft",
        source=source,
        scenario_json=scenario.model_dump(mode="json"),
        policy_json=scenario.policy.model_dump(mode="json"),
        input_sha256=scenario_sha256(scenario),
        policy_sha256=policy_sha256(scenario.policy),
        created_by=actor.id if actor else None,
    )
    db.add(round_)
    db.flush()
    audit(
        db,
        actor,
        "round.create",
        round_id=round_.id,
        entity="round",
        entity_id=round_.id,
        after={
            "name": name,
            "as_of": str(scenario.as_of),
            "source": source,
            "input_sha256": round_.input_sha256,
            "policy_sha256": round_.policy_sha256,
            "households": len(scenario.households),
            "dwellings": len(scenario.dwellings),
        },
    )
    imported = [
        Decision(
            round_id=round_.id,
            kind="pin",
            household=p.household,
            dwelling=p.dwelling,
            reason=p.reason or "Festet i innlest runde",
            created_by=actor.id if actor else None,
        )
        for p in scenario.locks.pinned
    ]
    imported += [
        Decision(
            round_id=round_.id,
            kind="forbid",
            household=f.household,
            dwelling=f.dwelling,
            reason=f.reason,
            created_by=actor.id if actor else None,
        )
        for f in scenario.locks.forbidden
    ]
    db.add_all(imported)
    db.flush()
    for d in imported:
        audit(
            db,
            actor,
            f"decision.{d.kind}",
            round_id=round_.id,
            entity="decision",
            entity_id=d.id,
            after=decision_json(d) | {"imported": True},
        )
    solve(db, round_, actor, time_limit_s=time_limit_s)
    return round_


@dataclass
class SolvePlan:
    """What a re-solve works from, read in one short transaction: the solve itself then
    runs outside any transaction, and `store_solve` keeps its result only if the round's
    version is still the one read here (an optimistic check across processes)."""

    round_id: int
    version: int
    scenario: Scenario
    locks: dict[str, Any]
    kept_from: list[tuple[str, str]]
    previous_id: int | None
    previous_seq: int | None
    previous_run_id: str | None


def plan_solve(db: Session, round_: Round) -> SolvePlan:
    _require_draft(round_)
    ledger = build_ledger(decisions(db, round_.id))
    try:
        scenario = effective_scenario(snapshot(round_), ledger)
    except ValueError as error:
        raise ActionError(f"Beslutningene kan ikke holde samtidig: {error}") from error
    previous = latest(db, round_.id)
    kept_from = (
        [(m["household"], m["dwelling"]) for m in previous.proposal_json["matches"]]
        if previous
        else []
    )
    return SolvePlan(
        round_id=round_.id,
        version=round_.version,
        scenario=scenario,
        locks=ledger.summary(),
        kept_from=kept_from,
        previous_id=previous.id if previous else None,
        previous_seq=previous.seq if previous else None,
        previous_run_id=previous.run_id if previous else None,
    )


def run_solve(plan: SolvePlan, time_limit_s: float | None = None) -> Proposal:
    """The solve of a plan (no database)."""
    try:
        return propose_stable(plan.scenario, plan.kept_from, time_limit_s=time_limit_s)
    except InputError as error:
        raise ActionError(_pin_clash_text(plan.scenario, error)) from error


def store_solve(
    db: Session,
    round_: Round,
    plan: SolvePlan,
    proposal: Proposal,
    actor: User | None,
    locked_version: int | None = None,
) -> ProposalRun:
    """Keep the solved proposal. `locked_version` is the version `lock_round` found: when
    it is not the plan's, the round changed while solving and nothing is stored."""
    _require_draft(round_)
    if locked_version is not None and locked_version != plan.version:
        raise ActionError(
            "Runden ble endret mens forslaget ble løst (en annen beslutning eller et annet "
            "forslag). Ingenting er lagret. Løs på nytt."
        )
    run = ProposalRun(
        round_id=round_.id,
        seq=(plan.previous_seq or 0) + 1,
        run_id=proposal.run.id,
        status=proposal.run.status,
        input_sha256=proposal.run.input_sha256,
        run_json=proposal.run.model_dump(mode="json"),
        proposal_json=proposal.model_dump(mode="json"),
        locks_json=plan.locks,
        previous_id=plan.previous_id,
        created_by=actor.id if actor else None,
    )
    db.add(run)
    db.flush()
    new_pairs = {(m.household, m.dwelling) for m in proposal.matches}
    audit(
        db,
        actor,
        "proposal.solve",
        round_id=round_.id,
        entity="proposal",
        entity_id=run.id,
        before=(
            {
                "proposal": plan.previous_seq,
                "run_id": plan.previous_run_id,
                "matches": len(plan.kept_from),
            }
            if plan.previous_id
            else None
        ),
        after={
            "proposal": run.seq,
            "run_id": run.run_id,
            "status": run.status,
            "matches": len(new_pairs),
            "kept": len(new_pairs & set(plan.kept_from)),
            "locks": run.locks_json,
        },
    )
    return run


def solve(
    db: Session, round_: Round, actor: User | None, time_limit_s: float | None = None
) -> ProposalRun:
    """Solve the round with its decisions as locks, keeping the previous proposal stable
    (in one transaction; the web's re-solve uses plan/run/store to solve unlocked)."""
    plan = plan_solve(db, round_)
    return store_solve(db, round_, plan, run_solve(plan, time_limit_s), actor)


def _pin_clash_text(scenario: Scenario, error: InputError) -> str:
    pins = scenario.locks.pinned
    named = [
        f"{pins[p.index].household}–{pins[p.index].dwelling}"
        for p in error.problems
        if p.table == "locks.pinned" and p.index is not None and p.index < len(pins)
    ]
    if named:
        return (
            "Festingene kan ikke holde samtidig under reglene for spredning og skjerming "
            f"(R5/R6): {', '.join(named)}. Opphev en av dem og løs på nytt."
        )
    problems = "; ".join(p.render() for p in error.problems)
    return f"Runden kan ikke løses med disse låsene: {problems}"


class StaleProposal(ActionError):
    """Publishing a proposal that is no longer the newest: the message names the newer one
    and the change (`changes`: dwelling, household before, household after)."""

    def __init__(self, seen: int, newest: int, changes: list[tuple[str, str | None, str | None]]):
        listed = "; ".join(f"{d}: {a or '–'} → {b or '–'}" for d, a, b in changes[:8])
        more = f" og {len(changes) - 8} til" if len(changes) > 8 else ""
        super().__init__(
            f"Du så på forslag #{seen}, men forslag #{newest} er nyere. "
            + (
                f"Endret siden: {listed}{more}. "
                if changes
                else "Ingen boliger har fått ny husstand, men forslaget er løst på nytt. "
            )
            + f"Se forslag #{newest} og publiser det."
        )
        self.seen, self.newest, self.changes = seen, newest, changes


def publish(db: Session, round_: Round, actor: User, seen_seq: int | None = None) -> None:
    """Mark the round as decided; it is read-only afterwards. `seen_seq` is the proposal the
    lead looked at: a newer one refuses with what changed since."""
    _require_draft(round_)
    run = latest(db, round_.id)
    if run is None:
        raise ActionError("Runden har ikke noe forslag ennå.")
    if seen_seq is None:
        raise ActionError("Skjemaet sier ikke hvilket forslag du så på. Last siden på nytt.")
    if seen_seq != run.seq:
        seen = next((r for r in proposals(db, round_.id) if r.seq == seen_seq), None)
        if seen is None:
            raise ActionError(f"Forslag #{seen_seq} finnes ikke i runden.")
        raise StaleProposal(
            seen_seq, run.seq, diff(seen.proposal_json, run.proposal_json).dwellings
        )
    if is_stale(run, build_ledger(decisions(db, round_.id))):
        raise ActionError(
            "Beslutninger er endret etter siste forslag. Løs på nytt før publisering."
        )
    round_.status, round_.published_at = "published", utcnow()
    round_.published_by = actor.id
    audit(
        db,
        actor,
        "round.publish",
        round_id=round_.id,
        entity="round",
        entity_id=round_.id,
        before={"status": "draft"},
        after={"status": "published", "proposal": run.seq, "run_id": run.run_id},
    )


# -- decisions -----------------------------------------------------------------------------
def _require_draft(round_: Round) -> None:
    if round_.status != "draft":
        raise ActionError("Runden er publisert og kan ikke endres.")


def _context(
    db: Session, round_: Round, household: str, dwelling: str | None
) -> tuple[Scenario, Ledger]:
    _require_draft(round_)
    scenario = snapshot(round_)
    if household not in scenario.household_by_id():
        raise ActionError(f"Ukjent husstand: {household}.")
    if dwelling is not None and dwelling not in scenario.dwelling_by_id():
        raise ActionError(f"Ukjent bolig: {dwelling}.")
    return scenario, build_ledger(decisions(db, round_.id))


def _record(
    db: Session,
    round_: Round,
    actor: User,
    kind: str,
    household: str,
    dwelling: str | None,
    reason: str = "",
) -> Decision:
    run = latest(db, round_.id)
    decision = Decision(
        round_id=round_.id,
        kind=kind,
        household=household,
        dwelling=dwelling,
        reason=reason,
        proposal_id=run.id if run else None,
        created_by=actor.id,
    )
    db.add(decision)
    db.flush()
    audit(
        db,
        actor,
        f"decision.{kind}",
        round_id=round_.id,
        entity="decision",
        entity_id=decision.id,
        after=decision_json(decision),
    )
    return decision


def in_proposal(db: Session, round_: Round, household: str, dwelling: str) -> bool:
    run = latest(db, round_.id)
    return run is not None and any(
        m["household"] == household and m["dwelling"] == dwelling
        for m in run.proposal_json["matches"]
    )


def _check(
    ledger: Ledger, action: str, household: str, dwelling: str, proposed: bool = False
) -> None:
    refusal = ledger.refusal(action, household, dwelling, proposed)
    if refusal:
        raise ActionError(refusal)


def pair_blocked(scenario: Scenario, ledger: Ledger, household: str, dwelling: str) -> list[str]:
    """The pairwise rules that rule the pair out (empty when a lock is allowed)."""
    return why_not(effective_scenario(scenario, ledger), household).get(dwelling, [])


def pin(
    db: Session, round_: Round, actor: User, household: str, dwelling: str, reason: str = ""
) -> Decision:
    """Lock a pair into every following proposal."""
    scenario, ledger = _context(db, round_, household, dwelling)
    _check(ledger, "pin", household, dwelling)
    blocked = pair_blocked(scenario, ledger, household, dwelling)
    if blocked:
        raise ActionError(f"{household} kan ikke få {dwelling}: " + "; ".join(blocked) + ".")
    return _record(db, round_, actor, "pin", household, dwelling, reason.strip())


def forbid(
    db: Session, round_: Round, actor: User, household: str, dwelling: str, reason: str
) -> Decision:
    """Keep a pair out of every following proposal; a reason is required."""
    _, ledger = _context(db, round_, household, dwelling)
    reason = reason.strip()
    if len(reason) < 3:
        raise ActionError("Skriv en begrunnelse for sperringen.")
    _check(ledger, "forbid", household, dwelling)
    return _record(db, round_, actor, "forbid", household, dwelling, reason)


def offer_sent(db: Session, round_: Round, actor: User, household: str, dwelling: str) -> Decision:
    """Record that the offer letter for a proposed (or pinned) pair was sent; the pair is
    then locked."""
    _, ledger = _context(db, round_, household, dwelling)
    _check(ledger, "offer_sent", household, dwelling, in_proposal(db, round_, household, dwelling))
    return _record(db, round_, actor, "offer_sent", household, dwelling)


def answer(
    db: Session,
    round_: Round,
    actor: User,
    household: str,
    dwelling: str,
    result: str,
    lapse: bool = False,
    reason: str = "",
) -> list[Decision]:
    """Record the household's answer; a decline forbids the pair and may lapse the approval."""
    _, ledger = _context(db, round_, household, dwelling)
    if result not in ANSWERS:
        raise ActionError("Svaret må være «takket ja» eller «takket nei».")
    _check(ledger, result, household, dwelling)
    if lapse and result != "declined":
        raise ActionError("Tilsagnet kan bare falle bort når husstanden takker nei.")
    made = [_record(db, round_, actor, result, household, dwelling, reason.strip())]
    if lapse:
        made.append(
            _record(
                db,
                round_,
                actor,
                "approval_lapsed",
                household,
                None,
                f"Tilsagnet falt bort etter at husstanden takket nei til {dwelling}.",
            )
        )
    return made


def revoke(db: Session, round_: Round, actor: User, decision_id: int) -> list[Decision]:
    """Undo a decision (kept, marked as withdrawn, and audited). Only the newest decision of
    a pair can be undone; undoing a decline also restores the approval it lapsed."""
    _require_draft(round_)
    decision = db.get(Decision, decision_id)
    if decision is None or decision.round_id != round_.id:
        raise ActionError("Ukjent beslutning.")
    ledger = build_ledger(decisions(db, round_.id))
    refusal = ledger.undo_refusal(decision)
    if refusal:
        raise ActionError(refusal)
    lapse = ledger.lapse_of(decision)
    undone = [decision] + ([lapse] if lapse is not None else [])
    for d in undone:
        before = decision_json(d)
        d.revoked_at, d.revoked_by = utcnow(), actor.id
        db.flush()
        audit(
            db,
            actor,
            "decision.revoke",
            round_id=round_.id,
            entity="decision",
            entity_id=d.id,
            before=before,
            after=decision_json(d),
        )
    return undone


# -- what-if ---------------------------------------------------------------------------------
#: Actions the meeting can preview before saving them (they change who gets what).
PREVIEWABLE = ("pin", "forbid", "declined")
#: Seconds for a preview's quick re-solve (the real re-solve uses the full limit).
PREVIEW_LIMIT_S = 5.0


@dataclass
class Consequence:
    """What a decision would change, from a quick re-solve before it is saved."""

    action: str
    household: str
    dwelling: str
    lapse: bool
    refusal: str | None = None
    error: str | None = None
    changes: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)
    lost: list[tuple[str, str]] = field(default_factory=list)  # household, dwelling it had
    gained: list[tuple[str, str]] = field(default_factory=list)
    tiers: list[tuple[str, float, float]] = field(default_factory=list)  # name, before, after
    kpis: list[tuple[str, float, float]] = field(default_factory=list)
    solver_status: str = ""


def _hypothetical(
    action: str, household: str, dwelling: str, lapse: bool, reason: str
) -> list[Decision]:
    now = utcnow()
    made = [
        Decision(
            id=10**12,
            kind=action,
            household=household,
            dwelling=dwelling,
            reason=reason,
            created_at=now,
        )
    ]
    if action == "declined" and lapse:
        made.append(
            Decision(
                id=10**12 + 1,
                kind="approval_lapsed",
                household=household,
                dwelling=None,
                reason="",
                created_at=now,
            )
        )
    return made


def preview(
    db: Session,
    round_: Round,
    action: str,
    household: str,
    dwelling: str,
    lapse: bool = False,
    reason: str = "",
    time_limit_s: float | None = None,
) -> Consequence:
    """Re-solve with the decision added (nothing stored) and compare with the proposal."""
    out = Consequence(action=action, household=household, dwelling=dwelling, lapse=lapse)
    if action not in PREVIEWABLE:
        out.refusal = "Denne handlingen endrer ikke forslaget."
        return out
    try:
        scenario, ledger = _context(db, round_, household, dwelling)
    except ActionError as error:
        out.refusal = error.message
        return out
    out.refusal = ledger.refusal(
        action, household, dwelling, in_proposal(db, round_, household, dwelling)
    )
    if out.refusal is None and action == "pin":
        blocked = pair_blocked(scenario, ledger, household, dwelling)
        if blocked:
            out.refusal = f"{household} kan ikke få {dwelling}: " + "; ".join(blocked) + "."
    run = latest(db, round_.id)
    if out.refusal is not None or run is None:
        return out
    hypothetical = build_ledger(
        [*decisions(db, round_.id), *_hypothetical(action, household, dwelling, lapse, reason)]
    )
    try:
        what_if = effective_scenario(scenario, hypothetical)
        kept_from = [(m["household"], m["dwelling"]) for m in run.proposal_json["matches"]]
        proposal = propose_stable(
            what_if, kept_from, time_limit_s=min(time_limit_s or PREVIEW_LIMIT_S, PREVIEW_LIMIT_S)
        )
    except (InputError, ValueError) as error:
        out.error = (
            _pin_clash_text(scenario, error) if isinstance(error, InputError) else str(error)
        )
        return out
    after = proposal.model_dump(mode="json")
    changed = diff(run.proposal_json, after)
    out.changes, out.moved, out.gained = changed.dwellings, changed.moved, changed.added
    out.lost = changed.removed
    before_tiers = {t["name"]: t.get("objective") for t in run.run_json.get("tiers", [])}
    for t in proposal.run.tiers:
        if (
            t.name in before_tiers
            and t.objective is not None
            and before_tiers[t.name] is not None
            and t.name != "tiebreak"
        ):
            out.tiers.append((t.name, float(before_tiers[t.name]), float(t.objective)))
    k_before, k_after = run.proposal_json["kpis"], after["kpis"]
    for key in ("housed", "vacancy_days"):
        out.kpis.append((key, float(k_before.get(key) or 0), float(k_after.get(key) or 0)))
    out.solver_status = proposal.run.status
    return out
