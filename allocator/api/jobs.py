"""Solve jobs: queued by a request, solved on a worker thread, polled by id, kept in a
database so that a restart loses none.

Why threads and not the request: a solve can take the whole time limit, and a request must
answer at once (202). A bounded ThreadPoolExecutor caps concurrent solves.

Why a database (SQLAlchemy; SQLite by default, PostgreSQL by URL): jobs outlive the
process. A job's scenario is stored with it until it finishes, so a restart re-queues
every job that was queued or running, and a finished job's proposal and problems stay
readable. Stored documents are compressed JSON; finished jobs are kept within a number
*and* a byte budget (oldest forgotten first), so memory and disk stay bounded whatever
the size of the rounds. One API process per database: a starting process takes over the
jobs a stopped one left running.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)

from allocator.api.views import JobStatus, JobView
from allocator.logs import EventLog, tier_summary, tier_timings
from allocator.outcome import classify
from models.problems import InputError, Problem
from models.scenario import Scenario

metadata = MetaData()

jobs_table = Table(
    "api_jobs",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("run_id", String(64), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("time_limit_s", Float, nullable=False),
    Column("submitted_at", String(40), nullable=False),
    Column("started_at", String(40)),
    Column("finished_at", String(40)),
    Column("error", String(64)),
    Column("scenario", LargeBinary),  # compressed JSON, until the job finishes
    Column("proposal", LargeBinary),  # compressed JSON, when done
    Column("problems", LargeBinary),  # compressed JSON list, when the solver refused input
    Column("bytes", Integer, nullable=False, default=0),  # stored size of the blobs
)

FINISHED = ("done", "failed")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _pack(document: Any) -> bytes:
    return zlib.compress(json.dumps(document, ensure_ascii=False).encode("utf-8"), 6)


def _unpack(blob: bytes | None) -> Any:
    return None if blob is None else json.loads(zlib.decompress(blob).decode("utf-8"))


class QueueFull(Exception):
    """Too many jobs are waiting; the client should retry later (429)."""


class JobStore:
    """Jobs by id in the database, an executor that solves them, and the bounds on both."""

    def __init__(
        self,
        engine: Engine,
        max_concurrent: int,
        max_queued: int,
        max_kept: int,
        max_kept_bytes: int,
        log: EventLog,
    ) -> None:
        self._engine = engine
        self._max_concurrent = max_concurrent
        self._max_queued = max_queued
        self._max_kept = max_kept
        self._max_kept_bytes = max_kept_bytes
        self._log = log
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        metadata.create_all(engine)

    # --- reading ------------------------------------------------------------------------

    def view(self, job_id: str) -> dict[str, Any] | None:
        """The job as the API shows it (JobView, JSON-ready), or None when unknown."""
        with self._engine.connect() as conn:
            row = conn.execute(select(jobs_table).where(jobs_table.c.id == job_id)).first()
        if row is None:
            return None
        view = JobView(
            id=row.id,
            status=row.status,
            run_id=row.run_id,
            submitted_at=row.submitted_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            time_limit_s=row.time_limit_s,
            error=row.error,
        ).model_dump(mode="json")
        view["problems"] = _unpack(row.problems) or []
        view["proposal"] = _unpack(row.proposal)
        return view

    def counts(self) -> dict[str, int]:
        out = {"queued": 0, "running": 0, "done": 0, "failed": 0}
        with self._engine.connect() as conn:
            query = select(jobs_table.c.status, func.count()).group_by(jobs_table.c.status)
            for status, count in conn.execute(query):
                out[str(status)] = cast(int, count)
        return out

    def kept_bytes(self) -> int:
        """Stored size of the finished jobs' documents."""
        with self._engine.connect() as conn:
            total: int = conn.execute(
                select(func.coalesce(func.sum(jobs_table.c.bytes), 0)).where(
                    jobs_table.c.status.in_(FINISHED)
                )
            ).scalar_one()
        return int(total)

    # --- writing ------------------------------------------------------------------------

    def submit(self, scenario: Scenario, run_id: str, time_limit_s: float) -> str:
        """Store and queue a solve; raises QueueFull when ``max_queued`` jobs are waiting.
        Returns the job id."""
        job_id = uuid.uuid4().hex
        blob = _pack(scenario.model_dump(mode="json"))
        with self._lock, self._engine.begin() as conn:
            waiting = conn.execute(
                select(func.count()).select_from(jobs_table).where(jobs_table.c.status == "queued")
            ).scalar_one()
            if waiting >= self._max_queued:
                raise QueueFull()
            conn.execute(
                insert(jobs_table).values(
                    id=job_id,
                    run_id=run_id,
                    status="queued",
                    time_limit_s=time_limit_s,
                    submitted_at=_now(),
                    scenario=blob,
                    bytes=len(blob),
                )
            )
        self._log.event(
            "job.queued",
            job_id=job_id,
            run_id=run_id,
            status="queued",
            time_limit_s=time_limit_s,
            counts={"households": len(scenario.households), "dwellings": len(scenario.dwellings)},
        )
        self._pool().submit(self._run, job_id)
        return job_id

    def resume(self) -> int:
        """Re-queue the jobs a stopped server left queued or running; the number."""
        with self._engine.begin() as conn:
            conn.execute(
                update(jobs_table)
                .where(jobs_table.c.status == "running")
                .values(status="queued", started_at=None)
            )
            ids: list[str] = list(
                conn.execute(
                    select(jobs_table.c.id)
                    .where(jobs_table.c.status == "queued")
                    .order_by(jobs_table.c.seq)
                ).scalars()
            )
        for job_id in ids:
            self._pool().submit(self._run, job_id)
        return len(ids)

    def _pool(self) -> ThreadPoolExecutor:
        """The executor, (re)started on demand: an app may go through several lifespans."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._max_concurrent, thread_name_prefix="allocator-solve"
                )
            return self._executor

    def _claim(self, job_id: str) -> tuple[Scenario, str, float] | None:
        """Mark a queued job running (only one worker can) and read its scenario."""
        with self._engine.begin() as conn:
            claimed = conn.execute(
                update(jobs_table)
                .where(jobs_table.c.id == job_id, jobs_table.c.status == "queued")
                .values(status="running", started_at=_now())
            )
            if claimed.rowcount != 1:
                return None
            row = conn.execute(
                select(jobs_table.c.scenario, jobs_table.c.run_id, jobs_table.c.time_limit_s).where(
                    jobs_table.c.id == job_id
                )
            ).one()
        scenario = Scenario.model_validate(_unpack(row.scenario))
        return scenario, row.run_id, row.time_limit_s

    def _finish(
        self,
        job_id: str,
        status: JobStatus,
        error: str | None = None,
        proposal: Any = None,
        problems: list[Problem] | None = None,
    ) -> None:
        proposal_blob = None if proposal is None else _pack(proposal)
        problems_blob = (
            None if not problems else _pack([p.model_dump(mode="json") for p in problems])
        )
        size = len(proposal_blob or b"") + len(problems_blob or b"")
        with self._engine.begin() as conn:
            conn.execute(
                update(jobs_table)
                .where(jobs_table.c.id == job_id)
                .values(
                    status=status,
                    finished_at=_now(),
                    error=error,
                    scenario=None,
                    proposal=proposal_blob,
                    problems=problems_blob,
                    bytes=size,
                )
            )
        self._evict()

    def _evict(self) -> None:
        """Forget the oldest finished jobs beyond ``max_kept`` jobs or ``max_kept_bytes``."""
        with self._lock, self._engine.begin() as conn:
            rows = conn.execute(
                select(jobs_table.c.seq, jobs_table.c.bytes)
                .where(jobs_table.c.status.in_(FINISHED))
                .order_by(jobs_table.c.seq.desc())
            ).all()
            kept, total, forget = 0, 0, []
            for seq, stored in rows:
                size = cast(int, stored)
                if kept < self._max_kept and total + size <= self._max_kept_bytes:
                    kept, total = kept + 1, total + size
                else:
                    forget.append(seq)
            if forget:
                conn.execute(delete(jobs_table).where(jobs_table.c.seq.in_(forget)))

    def _run(self, job_id: str) -> None:
        """Solve, then check with the independent checker; never raises."""
        from allocator.checker import check_proposal
        from allocator.solve import propose

        started = time.monotonic()
        try:
            claimed = self._claim(job_id)
        except Exception as error:  # a database or stored-document failure: keep serving
            self._log.event(
                "job.finished",
                level="error",
                job_id=job_id,
                status="failed",
                error=type(error).__name__,
            )
            self._safe_finish(job_id, "internal_error")
            return
        if claimed is None:
            return
        scenario, run_id, time_limit_s = claimed
        self._log.event("job.started", job_id=job_id, run_id=run_id, status="running")
        try:
            proposal = propose(scenario, method="cp-sat", time_limit_s=time_limit_s)
            outcome = classify(proposal)
            if outcome.has_proposal:
                outcome = classify(proposal, check_proposal(scenario, proposal))
            if outcome.has_proposal:
                self._finish(job_id, "done", proposal=proposal.model_dump(mode="json"))
            else:
                self._finish(job_id, "failed", error=outcome.error)
            run = proposal.run
            self._log.event(
                "job.finished",
                level="info" if outcome.has_proposal else "error",
                job_id=job_id,
                run_id=run_id,
                status="done" if outcome.has_proposal else "failed",
                error=outcome.error,
                outcome=outcome.kind,
                tiers=tier_summary(run.tiers),
                counts={
                    "matches": len(proposal.matches),
                    "unmatched": len(proposal.unmatched),
                    "breaches": len(proposal.breaches),
                },
                timings={"job_s": round(time.monotonic() - started, 3), **tier_timings(run.tiers)},
            )
        except InputError as error:
            self._finish(
                job_id, "failed", error="input_rejected_by_solver", problems=error.problems
            )
            self._log.event(
                "job.finished",
                level="warning",
                job_id=job_id,
                run_id=run_id,
                status="failed",
                error="input_rejected_by_solver",
                counts={"problems": len(error.problems)},
            )
        except Exception as error:  # a bug: keep the server up, record what kind it was
            self._safe_finish(job_id, "internal_error")
            self._log.event(
                "job.finished",
                level="error",
                job_id=job_id,
                run_id=run_id,
                status="failed",
                error=type(error).__name__,
            )

    def _safe_finish(self, job_id: str, error: str) -> None:
        try:
            self._finish(job_id, "failed", error=error)
        except Exception as failure:  # the database itself failed: log, never raise
            self._log.event(
                "job.store_error", level="error", job_id=job_id, error=type(failure).__name__
            )

    def shutdown(self) -> None:
        """Stop taking work: running solves finish, queued ones stay queued in the
        database and run after the next start."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
