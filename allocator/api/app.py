"""The HTTP API: ``create_app(settings) -> FastAPI``.

Endpoints (all under /v1; every one but health needs ``Authorization: Bearer TOKEN``):

- ``POST /v1/proposals``: a scenario (canonical tree, policy inline or omitted) -> 202 and a
  job id; the solve runs on a worker thread under the server's time limit.
- ``GET /v1/proposals/{job_id}``: queued / running / done (with the proposal) / failed.
  Jobs are kept in a database (allocator.api.jobs), so a restart loses none.
- ``POST /v1/check``: ``{scenario, proposal}`` -> the independent checker's violations.
- ``GET /v1/health``: liveness, no authentication, no data.

Bodies are parsed by hand (allocator.api.inputs) rather than by FastAPI so that a bad
scenario gets the same problem list as ``allocator validate`` (422, every bad input); the
OpenAPI document still describes them, with the published pydantic schemas as components.
An unexpected error answers 500 with a JSON log line, never a traceback in the server log.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool

from allocator.api.inputs import BODY, check_inputs, parse_json, scenario_from_tree
from allocator.api.jobs import JobStore, QueueFull
from allocator.api.middleware import AccessLog, BodyLimit, InternalErrors
from allocator.api.settings import ApiSettings
from allocator.api.views import (
    CheckRequest,
    CheckResult,
    ErrorBody,
    Health,
    JobAccepted,
    JobView,
    ProblemReport,
)
from allocator.hashing import policy_sha256, run_id, scenario_sha256
from allocator.logs import EventLog, warnings_to
from models.problems import InputError, Problem
from models.proposal import SCHEMA_VERSION, Proposal
from models.scenario import Scenario

API_VERSION = "1"
_REF = "#/components/schemas/{model}"

_MODELS: list[tuple[type[BaseModel], str]] = [
    (Scenario, "validation"),
    (Proposal, "validation"),
    (Health, "serialization"),
    (ErrorBody, "serialization"),
    (ProblemReport, "serialization"),
    (JobAccepted, "serialization"),
    (JobView, "serialization"),
    (CheckResult, "serialization"),
    (CheckRequest, "validation"),
]


@cache
def _components() -> tuple[dict[tuple[type[BaseModel], str], dict[str, Any]], dict[str, Any]]:
    """$refs of the API's models and the schemas they point to (OpenAPI components)."""
    refs, top = models_json_schema(_MODELS, ref_template=_REF)  # type: ignore[arg-type]
    return dict(refs), top.get("$defs", {})  # type: ignore[arg-type]


def _ref(model: type[BaseModel], mode: str = "serialization") -> dict[str, Any]:
    return _components()[0][(model, mode)]


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


_Responses = dict[int | str, dict[str, Any]]
_UNAUTHORIZED: _Responses = {401: _json(_ref(ErrorBody), "Missing or wrong bearer token.")}
_TOO_LARGE: _Responses = {413: _json(_ref(ErrorBody), "Body over the server's size limit.")}
_INVALID: _Responses = {422: _json(_ref(ProblemReport), "Invalid input: every problem, located.")}


def _problems(error: InputError, detail: str = "invalid input") -> JSONResponse:
    report = ProblemReport(detail=detail, problems=error.problems)
    return JSONResponse(report.model_dump(mode="json"), status_code=422)


_bearer = HTTPBearer(auto_error=False, description="A token from ALLOCATOR_API_TOKENS.")


def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Accept any configured token, compared in constant time; 401 otherwise."""
    given = (credentials.credentials if credentials else "").encode("utf-8")
    matched = False
    for token in request.app.state.token_bytes:  # no early exit: timing tells no token
        matched |= secrets.compare_digest(given, token)
    if credentials is None or not matched:
        raise HTTPException(
            status_code=401,
            detail="missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


def create_app(settings: ApiSettings | None = None, log: EventLog | None = None) -> FastAPI:
    """The API for ``settings`` (default: from the environment); logs as JSON lines."""
    settings = settings or ApiSettings.from_env()
    log = log or EventLog.open(settings.log_file, settings.log_level)
    from allocator.web.db import make_engine

    engine = make_engine(settings.job_database_url())
    store = JobStore(
        engine,
        settings.max_concurrent_jobs,
        settings.max_queued_jobs,
        settings.max_kept_jobs,
        settings.max_kept_bytes,
        log,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        with warnings_to(log):
            resumed = store.resume()
            log.event(
                "api.start",
                schema_version=SCHEMA_VERSION,
                counts={
                    "tokens": len(settings.tokens),
                    "max_concurrent_jobs": settings.max_concurrent_jobs,
                    "resumed_jobs": resumed,
                },
                time_limit_s=settings.time_limit_s,
            )
            yield
            store.shutdown()
            log.event("api.stop", counts=store.counts())

    app = FastAPI(
        title="Boligtildeling API",
        version=f"{API_VERSION} (schema {SCHEMA_VERSION})",
        summary="Propose and check allocations of municipal rental housing.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.jobs = store
    app.state.token_bytes = settings.token_bytes()
    auth = [Depends(require_token)]

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for e in error.errors():
            loc = [str(p) for p in e.get("loc") or ("",)]
            problems.append(
                Problem(
                    file=BODY, location=".".join(loc), field=loc[-1], expected=str(e.get("msg", ""))
                )
            )
        return _problems(InputError(problems), "invalid request")

    @app.get("/v1/health", response_model=Health, tags=["service"], operation_id="health")
    async def health() -> Health:
        """Liveness: the server answers. No authentication, no data."""
        return Health()

    @app.post(
        "/v1/proposals",
        status_code=202,
        dependencies=auth,
        tags=["proposals"],
        operation_id="submitProposal",
        response_class=JSONResponse,
        openapi_extra=_body(
            _ref(Scenario, "validation"),
            "A scenario in the canonical tree, policy inline or omitted.",
        ),
        responses={
            202: _json(_ref(JobAccepted), "Queued; poll the Location."),
            429: _json(_ref(ErrorBody), "Too many jobs waiting; retry later."),
            **_UNAUTHORIZED,
            **_TOO_LARGE,
            **_INVALID,
        },
    )
    async def submit_proposal(request: Request) -> JSONResponse:
        """Validate the scenario and queue a solve; 202 with the job id."""
        body = await request.body()
        try:
            scenario = await run_in_threadpool(lambda: scenario_from_tree(parse_json(body)))
        except InputError as error:
            log.event(
                "proposal.rejected", status="invalid", counts={"problems": len(error.problems)}
            )
            return _problems(error)
        limit = min(settings.time_limit_s, scenario.policy.solver.time_limit_s)
        rid = run_id(scenario_sha256(scenario), policy_sha256(scenario.policy), "cp-sat")
        try:
            job_id = await run_in_threadpool(store.submit, scenario, rid, limit)
        except QueueFull:
            return JSONResponse(
                {"detail": "too many jobs waiting; retry later"},
                status_code=429,
                headers={"Retry-After": "10"},
            )
        location = f"/v1/proposals/{job_id}"
        accepted = JobAccepted(id=job_id, status="queued", run_id=rid, location=location)
        return JSONResponse(
            accepted.model_dump(mode="json"), status_code=202, headers={"Location": location}
        )

    @app.get(
        "/v1/proposals/{job_id}",
        dependencies=auth,
        tags=["proposals"],
        operation_id="getProposal",
        response_class=JSONResponse,
        responses={
            200: _json(_ref(JobView), "The job; with the proposal when done."),
            404: _json(_ref(ErrorBody), "No such job (or forgotten)."),
            **_UNAUTHORIZED,
        },
    )
    async def get_proposal(job_id: str) -> JSONResponse:
        """The status of a solve job and, when done, its proposal."""
        view = await run_in_threadpool(store.view, job_id)
        if view is None:
            return JSONResponse({"detail": "no such job"}, status_code=404)
        return JSONResponse(view)

    @app.post(
        "/v1/check",
        dependencies=auth,
        tags=["check"],
        response_class=JSONResponse,
        operation_id="checkProposal",
        openapi_extra=_body(
            _ref(CheckRequest, "validation"), "A scenario and a proposal (also a manual one)."
        ),
        responses={
            200: _json(_ref(CheckResult), "The hard-rule violations, if any."),
            **_UNAUTHORIZED,
            **_TOO_LARGE,
            **_INVALID,
        },
    )
    async def check(request: Request) -> JSONResponse:
        """Check a proposal against every hard rule with the independent checker."""
        from allocator.checker import check_proposal

        body = await request.body()
        try:
            scenario, proposal = await run_in_threadpool(lambda: check_inputs(parse_json(body)))
        except InputError as error:
            return _problems(error)
        violations = await run_in_threadpool(check_proposal, scenario, proposal)
        log.event(
            "check.done",
            run_id=proposal.run.id,
            status="ok" if not violations else "violations",
            counts={"violations": len(violations)},
        )
        result = CheckResult(ok=not violations, count=len(violations), violations=violations)
        return JSONResponse(result.model_dump(mode="json"))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=__doc__,
                routes=app.routes,
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(_components()[1])
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    # Added innermost first: the access log sees every request, 413s and 500s included.
    app.add_middleware(InternalErrors, log=log)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog, log=log)
    return app
