"""Request and response bodies of the HTTP API (besides Scenario and Proposal themselves)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from allocator.checker import Violation
from models.problems import Problem
from models.proposal import SCHEMA_VERSION, Proposal
from models.scenario import Scenario

JobStatus = Literal["queued", "running", "done", "failed"]


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(_View):
    status: Literal["ok"] = "ok"
    schema_version: str = SCHEMA_VERSION


class ErrorBody(_View):
    detail: str


class ProblemReport(_View):
    """422: every problem with the input at once (file, location, field, value, expected)."""

    detail: str
    problems: list[Problem]


class JobAccepted(_View):
    """202: the job is queued; poll ``location`` for its status."""

    id: str
    status: JobStatus
    run_id: str = Field(..., description="Derived from input and policy hashes.")
    location: str


class JobView(_View):
    """A solve job. ``proposal`` is set when ``status`` is ``done``."""

    id: str
    status: JobStatus
    run_id: str
    submitted_at: str
    started_at: str | None = None
    finished_at: str | None = None
    time_limit_s: float
    error: str | None = Field(None, description="Why a failed job failed (a stable code).")
    problems: list[Problem] = Field(default_factory=list)
    proposal: Proposal | None = None


class CheckResult(_View):
    """The independent checker's verdict on a proposal: ``ok`` when no hard rule is broken."""

    ok: bool
    count: int
    violations: list[Violation]


class CheckRequest(_View):
    """``POST /v1/check``: a scenario and a proposal to check (also a manual one)."""

    scenario: Scenario
    proposal: Proposal
