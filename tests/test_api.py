"""The HTTP API with FastAPI's TestClient: authentication, size limit, validation, the job
lifecycle to a checked proposal, /v1/check, logs; and a schemathesis run over the OpenAPI
document asserting that no generated request makes the server fail (5xx)."""

from __future__ import annotations

import io
import json
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("allocator.io.load")

from builders import building, district, dwelling, household, scenario  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from allocator.api import create_app  # noqa: E402
from allocator.api.settings import ApiSettings  # noqa: E402
from allocator.checker import check_proposal  # noqa: E402
from allocator.logs import EventLog  # noqa: E402
from models.proposal import SCHEMA_VERSION, Proposal  # noqa: E402
from models.scenario import Scenario  # noqa: E402

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SETTINGS = ApiSettings(
    tokens=(TOKEN, "second-token-0123456789"),
    max_body_bytes=64 * 1024,
    time_limit_s=5.0,
    max_concurrent_jobs=1,
    max_queued_jobs=4,
)


def small_round() -> dict[str, Any]:
    return scenario(
        districts=[district("D1"), district("D2")],
        buildings=[building("B1", "D1"), building("B2", "D2")],
        dwellings=[dwelling("W1", "B1", bedrooms=1), dwelling("W2", "B2", bedrooms=2)],
        households=[
            household("H1", approved_on="2025-03-01"),
            household("H2", children=[{"age": 3}, {"age": 7}]),
            household("H3", approved_on="2026-02-01"),
        ],
        policy={"solver": {"workers": 2, "time_limit_s": 30}},
    ).model_dump(mode="json")


@pytest.fixture
def log_stream() -> io.StringIO:
    return io.StringIO()


def with_store(settings: ApiSettings, folder: Path) -> ApiSettings:
    """The settings with a job database of their own (jobs persist across app restarts)."""
    return settings.model_copy(update={"database_url": f"sqlite:///{folder / 'jobs.db'}"})


@pytest.fixture
def client(log_stream: io.StringIO, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(with_store(SETTINGS, tmp_path), log=EventLog(log_stream, "info"))
    with TestClient(app) as test_client:
        yield test_client


def wait_for(client: TestClient, location: str, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        view = client.get(location, headers=AUTH).json()
        if view["status"] in ("done", "failed") or time.monotonic() > deadline:
            return view  # type: ignore[no-any-return]
        time.sleep(0.05)


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Bearer {TOKEN}x"},
    ],
)
@pytest.mark.parametrize(
    "method,path",
    [
        ("post", "/v1/proposals"),
        ("get", "/v1/proposals/abc"),
        ("post", "/v1/check"),
    ],
)
def test_requests_without_a_valid_token_get_401(
    client: TestClient, headers: dict[str, str], method: str, path: str
) -> None:
    response = client.request(method.upper(), path, headers=headers, json=small_round())
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_any_configured_token_works_and_health_is_open(client: TestClient) -> None:
    assert client.get("/v1/health").json() == {"status": "ok", "schema_version": SCHEMA_VERSION}
    other = {"Authorization": "Bearer second-token-0123456789"}
    assert client.get("/v1/proposals/none", headers=other).status_code == 404


def test_no_configured_token_refuses_everyone(tmp_path: Path) -> None:
    app = create_app(with_store(ApiSettings(), tmp_path), log=EventLog.null())
    with TestClient(app) as test_client:
        assert test_client.post("/v1/check", headers=AUTH, json={}).status_code == 401


def test_settings_from_env() -> None:
    settings = ApiSettings.from_env(
        {
            "ALLOCATOR_API_TOKENS": f" {TOKEN} ,,other-token-0123456789",
            "ALLOCATOR_API_MAX_BODY_BYTES": "2048",
            "ALLOCATOR_API_TIME_LIMIT_S": "3",
        },
        max_concurrent_jobs=2,
    )
    assert settings.token_bytes() == [TOKEN.encode(), b"other-token-0123456789"]
    assert (settings.max_body_bytes, settings.time_limit_s, settings.max_concurrent_jobs) == (
        2048,
        3.0,
        2,
    )
    assert TOKEN not in repr(settings)
    with pytest.raises(ValidationError):
        ApiSettings.from_env({"ALLOCATOR_API_TOKENS": "short"})


# --- size limit -------------------------------------------------------------------------


def test_declared_body_over_the_limit_gets_413(client: TestClient) -> None:
    body = b"{" + b" " * SETTINGS.max_body_bytes + b"}"
    response = client.post(
        "/v1/proposals", headers={**AUTH, "Content-Type": "application/json"}, content=body
    )
    assert response.status_code == 413


def test_streamed_body_over_the_limit_gets_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the body itself is counted
        for _ in range(SETTINGS.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = client.post(
        "/v1/check", headers={**AUTH, "Content-Type": "application/json"}, content=chunks()
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


# --- validation -----------------------------------------------------------------------------


def test_bad_scenario_gets_422_with_every_problem(client: TestClient) -> None:
    tree = small_round()
    tree["households"][0]["adults"] = 0
    tree["dwellings"][1]["building"] = "B9"
    response = client.post("/v1/proposals", headers=AUTH, json=tree)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert {"file", "location", "field", "value", "expected"} <= set(problems[0])
    found = {(p["location"], p["field"], p["value"]) for p in problems}
    assert ("$.households[0].adults", "adults", 0) in found
    assert any(p["field"] == "building" and p["value"] == "B9" for p in problems)
    assert all(p["file"] == "request body" for p in problems)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"policy": "../../etc/policy.yaml"}, "policy"),
        ({"households": "households.csv"}, "households"),
        ({"tables": "tables.xlsx"}, "tables"),
        ({"locks": {"pinned": "pins.csv"}}, "locks.pinned"),
    ],
)
def test_file_references_are_refused(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/proposals", headers=AUTH, json={**small_round(), **change})
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["problems"]] == [field]


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'{"as_of": 5}', b"\xff\xfe"])
def test_malformed_bodies_get_422(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/v1/proposals", headers={**AUTH, "Content-Type": "application/json"}, content=body
    )
    assert response.status_code == 422
    assert response.json()["problems"]


# --- jobs ------------------------------------------------------------------------------


def test_job_lifecycle_to_a_checked_proposal(client: TestClient, log_stream: io.StringIO) -> None:
    tree = small_round()
    response = client.post("/v1/proposals", headers=AUTH, json=tree)
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["status"] == "queued" and response.headers["location"] == accepted["location"]
    view = wait_for(client, accepted["location"])
    assert view["status"] == "done", view
    assert view["run_id"] == accepted["run_id"] == view["proposal"]["run"]["id"]
    assert view["time_limit_s"] == SETTINGS.time_limit_s  # the server caps the policy's 30 s
    proposal = Proposal.model_validate(view["proposal"])
    assert check_proposal(Scenario.model_validate(tree), proposal) == []
    assert {m.household for m in proposal.matches} == {"H1", "H2"}

    checked = client.post(
        "/v1/check", headers=AUTH, json={"scenario": tree, "proposal": view["proposal"]}
    )
    assert checked.status_code == 200 and checked.json() == {
        "ok": True,
        "count": 0,
        "violations": [],
    }

    events = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    finished = [e for e in events if e["event"] == "job.finished"]
    assert finished and finished[0]["run_id"] == view["run_id"]
    assert finished[0]["status"] == "done"
    for word in ("main_applicant", "children", "H1", "H2", "W1", "approved_on"):
        assert word not in log_stream.getvalue()


def test_unknown_job_is_404(client: TestClient) -> None:
    assert client.get("/v1/proposals/0123", headers=AUTH).status_code == 404


def test_busy_server_answers_429(
    log_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import allocator.solve

    release = threading.Event()
    real = allocator.solve.propose

    def slow(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(allocator.solve, "propose", slow)
    settings = with_store(SETTINGS.model_copy(update={"max_queued_jobs": 1}), tmp_path)
    with TestClient(create_app(settings, log=EventLog(log_stream))) as test_client:
        first = test_client.post("/v1/proposals", headers=AUTH, json=small_round()).json()
        deadline = time.monotonic() + 10
        while test_client.get(first["location"], headers=AUTH).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        second = test_client.post("/v1/proposals", headers=AUTH, json=small_round())
        third = test_client.post("/v1/proposals", headers=AUTH, json=small_round())
        assert (second.status_code, third.status_code) == (202, 429)
        assert third.headers["retry-after"]
        release.set()
        assert wait_for(test_client, first["location"])["status"] == "done"
        assert wait_for(test_client, second.json()["location"])["status"] == "done"


# --- /v1/check ---------------------------------------------------------------------------


def test_check_reports_violations_of_a_manual_proposal(client: TestClient) -> None:
    tree = small_round()
    manual = {
        "run": {
            "id": "manual-1",
            "as_of": tree["as_of"],
            "input_sha256": "x",
            "policy_sha256": "y",
            "method": "manual",
        },
        "matches": [{"household": "H2", "dwelling": "W1", "move_in": "2026-12-07"}],
    }
    response = client.post("/v1/check", headers=AUTH, json={"scenario": tree, "proposal": manual})
    assert response.status_code == 200
    result = response.json()
    assert result["ok"] is False and result["count"] == len(result["violations"]) > 0
    assert any(v["rule"] == "R2" and v["household"] == "H2" for v in result["violations"])


def test_check_lists_problems_of_both_parts(client: TestClient) -> None:
    tree = small_round()
    tree["dwellings"][0]["rent"] = -1
    response = client.post(
        "/v1/check", headers=AUTH, json={"scenario": tree, "proposal": {"matches": "none"}}
    )
    assert response.status_code == 422
    locations = [p["location"] for p in response.json()["problems"]]
    assert any(loc.startswith("$.scenario.dwellings[0]") for loc in locations)
    assert any(loc.startswith("$.proposal") for loc in locations)


# --- OpenAPI ----------------------------------------------------------------------------


def test_openapi_document(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {
        "/v1/health",
        "/v1/proposals",
        "/v1/proposals/{job_id}",
        "/v1/check",
    }
    post = spec["paths"]["/v1/proposals"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Scenario"
    }
    assert {"202", "401", "413", "422", "429"} <= set(post["responses"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "Proposal" in spec["components"]["schemas"]


# --- property test: no generated request makes the server fail -----------------------------

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

# The schema is read at import, so the store cannot be a fixture's; the directory is
# removed when the test process exits.
_fuzz_store = tempfile.TemporaryDirectory(prefix="allocator-api-fuzz-")
_fuzz_settings = with_store(
    SETTINGS.model_copy(update={"time_limit_s": 1.0, "max_queued_jobs": 2}),
    Path(_fuzz_store.name),
)
_fuzz_app = create_app(_fuzz_settings, log=EventLog.null())
api_schema = schemathesis.openapi.from_asgi("/openapi.json", _fuzz_app)
# The coverage phase enumerates every boundary case of the scenario schema (thousands of
# requests); random generation with a fixed budget keeps this test to seconds.
api_schema.config.phases.update(phases=["examples", "fuzzing"])


@api_schema.parametrize()
@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any) -> None:
    case.call_and_validate(headers=AUTH, checks=[not_a_server_error])


def test_api_command_needs_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from allocator.cli import main

    monkeypatch.delenv("ALLOCATOR_API_TOKENS", raising=False)
    result = CliRunner().invoke(main, ["api", "--port", "0"])
    assert result.exit_code == 2 and "ALLOCATOR_API_TOKENS" in result.output
    monkeypatch.setenv("ALLOCATOR_API_TOKENS", "short")
    result = CliRunner().invoke(main, ["api", "--port", "0"])
    assert result.exit_code == 2 and "short" not in result.output
