"""Solve jobs: queued by a request, solved on a worker thread, polled by id.

Why threads and not the request: a solve can take the whole time limit, and a request must
answer at once (202). A bounded ThreadPoolExecutor caps concurrent solves; the queue and
the number of finished jobs kept in memory are bounded too, so a busy client gets 429
instead of the server running out of memory.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from allocator.api.views import JobStatus, JobView
from allocator.logs import EventLog, tier_summary, tier_timings
from models.problems import InputError, Problem
from models.proposal import Proposal
from models.scenario import Scenario


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class QueueFull(Exception):
    """Too many jobs are waiting; the client should retry later (429)."""


@dataclass
class Job:
    id: str
    run_id: str
    time_limit_s: float
    status: JobStatus = "queued"
    submitted_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    problems: list[Problem] = field(default_factory=list)
    proposal: Proposal | None = None

    def view(self) -> JobView:
        return JobView(id=self.id, status=self.status, run_id=self.run_id,
                       submitted_at=self.submitted_at, started_at=self.started_at,
                       finished_at=self.finished_at, time_limit_s=self.time_limit_s,
                       error=self.error, problems=self.problems, proposal=self.proposal)


class JobStore:
    """Jobs by id, an executor that solves them, and the bounds on both."""

    def __init__(self, max_concurrent: int, max_queued: int, max_kept: int,
                 log: EventLog) -> None:
        self._max_concurrent = max_concurrent
        self._executor: ThreadPoolExecutor | None = None
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._max_queued = max_queued
        self._max_kept = max_kept
        self._log = log

    def view(self, job_id: str) -> JobView | None:
        """A consistent snapshot of one job, or None for an unknown (or forgotten) id."""
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else job.view()

    def counts(self) -> dict[str, int]:
        with self._lock:
            out = {"queued": 0, "running": 0, "done": 0, "failed": 0}
            for job in self._jobs.values():
                out[job.status] += 1
            return out

    def submit(self, scenario: Scenario, run_id: str, time_limit_s: float) -> Job:
        """Queue a solve; raises QueueFull when ``max_queued`` jobs are already waiting."""
        job = Job(id=uuid.uuid4().hex, run_id=run_id, time_limit_s=time_limit_s)
        with self._lock:
            waiting = sum(1 for j in self._jobs.values() if j.status == "queued")
            if waiting >= self._max_queued:
                raise QueueFull()
            self._jobs[job.id] = job
            self._evict()
        self._log.event("job.queued", job_id=job.id, run_id=run_id, status="queued",
                        time_limit_s=time_limit_s,
                        counts={"households": len(scenario.households),
                                "dwellings": len(scenario.dwellings)})
        self._pool().submit(self._run, job, scenario)
        return job

    def _pool(self) -> ThreadPoolExecutor:
        """The executor, (re)started on demand: an app may go through several lifespans."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self._max_concurrent,
                                                    thread_name_prefix="allocator-solve")
            return self._executor

    def _evict(self) -> None:
        """Forget the oldest finished jobs beyond ``max_kept`` (lock held)."""
        finished = [j.id for j in self._jobs.values() if j.status in ("done", "failed")]
        while len(self._jobs) > self._max_kept and finished:
            self._jobs.pop(finished.pop(0), None)

    def _finish(self, job: Job, status: JobStatus, **changes: object) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(job, key, value)
            job.status = status
            job.finished_at = _now()
            self._evict()

    def _run(self, job: Job, scenario: Scenario) -> None:
        """Solve, then check with the independent checker; never raises."""
        from allocator.checker import check_proposal
        from allocator.solve import propose

        with self._lock:
            job.status = "running"
            job.started_at = _now()
        started = time.monotonic()
        self._log.event("job.started", job_id=job.id, run_id=job.run_id, status="running")
        try:
            proposal = propose(scenario, method="cp-sat", time_limit_s=job.time_limit_s)
            run = proposal.run
            if run.status not in ("OPTIMAL", "FEASIBLE"):
                self._finish(job, "failed", error="no_proposal_within_time_limit")
            elif check_proposal(scenario, proposal):
                self._finish(job, "failed", error="proposal_failed_independent_check")
            else:
                self._finish(job, "done", proposal=proposal)
            self._log.event("job.finished", job_id=job.id, run_id=job.run_id,
                            status=job.status, error=job.error,
                            tiers=tier_summary(run.tiers),
                            counts={"matches": len(proposal.matches),
                                    "unmatched": len(proposal.unmatched),
                                    "breaches": len(proposal.breaches)},
                            timings={"job_s": round(time.monotonic() - started, 3),
                                     **tier_timings(run.tiers)})
        except InputError as error:
            self._finish(job, "failed", error="input_rejected_by_solver",
                         problems=error.problems)
            self._log.event("job.finished", level="warning", job_id=job.id, run_id=job.run_id,
                            status="failed", error="input_rejected_by_solver",
                            counts={"problems": len(error.problems)})
        except Exception as error:  # a bug: keep the server up, record what kind it was
            self._finish(job, "failed", error="internal_error")
            self._log.event("job.finished", level="error", job_id=job.id, run_id=job.run_id,
                            status="failed", error=type(error).__name__)

    def shutdown(self) -> None:
        """Stop taking work: running solves finish, queued ones are marked failed."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for job in self._jobs.values():
                if job.status == "queued":
                    job.status, job.error, job.finished_at = "failed", "server_stopped", _now()
