"""The API under hostile input and restarts (issue 17): 422 for every bad input, 500 without
a traceback for a bug, jobs kept in a database (a restart loses none, on SQLite and
PostgreSQL), finished jobs bounded by bytes."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from builders import building, district, dwelling, household, scenario  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from web.fixtures import db_url, pg_url  # noqa: E402, F401

import allocator.solve  # noqa: E402
from allocator.api import create_app  # noqa: E402
from allocator.api.settings import ApiSettings  # noqa: E402
from allocator.logs import EventLog  # noqa: E402

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}", "content-type": "application/json"}


def settings(database_url: str, **changes: Any) -> ApiSettings:
    return ApiSettings(
        tokens=(TOKEN,),
        max_body_bytes=256 * 1024,
        time_limit_s=5.0,
        database_url=database_url,
        **changes,
    )


def small_round(**policy: Any) -> dict[str, Any]:
    return scenario(
        districts=[district("D1"), district("D2")],
        buildings=[building("B1", "D1"), building("B2", "D2")],
        dwellings=[dwelling("W1", "B1", bedrooms=1), dwelling("W2", "B2", bedrooms=2)],
        households=[household("H1", approved_on="2025-03-01"), household("H2")],
        policy={"solver": {"workers": 1, "time_limit_s": 5}, **policy},
    ).model_dump(mode="json")


def wait_for(client: TestClient, location: str, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        view = client.get(location, headers=AUTH).json()
        if view["status"] in ("done", "failed") or time.monotonic() > deadline:
            return view  # type: ignore[no-any-return]
        time.sleep(0.05)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jobs.db'}"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            '{"as_of": "2026-11-23", "buildings": [{"id": "B1", "district": "D1", "units": '
            + "9" * 5000
            + "}]}",
            "$.buildings[0].units",
        ),
        ('{"as_of": "2026-11-23", "districts": [{"id": "D\\ud800"}]}', "$.districts[0].id"),
        ('{"as_of": "2026-11-23", "districts": [{"id": "D\\u0000"}]}', "$.districts[0].id"),
        (
            '{"as_of": "2026-11-23", "policy": {"weights": {"vacancy_per_rent_day": Infinity}}}',
            "$.policy.weights.vacancy_per_rent_day",
        ),
        ('{"as_of": "9999-12-31"}', "$.as_of"),
        ('{"as_of": "2026-11-23", "as_of": "2026-11-24"}', ""),
    ],
)
def test_bad_input_is_422_never_500(sqlite_url: str, body: str, where: str) -> None:
    with TestClient(create_app(settings(sqlite_url), log=EventLog.null())) as client:
        for path in ("/v1/proposals", "/v1/check"):
            wrapped = (
                body if path == "/v1/proposals" else ('{"scenario": ' + body + ', "proposal": {}}')
            )
            response = client.post(path, headers=AUTH, content=wrapped.encode("utf-8"))
            assert response.status_code == 422, (path, response.text)
            locations = [p["location"] for p in response.json()["problems"]]
            if where and path == "/v1/proposals":
                assert where in locations, locations


def test_weights_the_solver_cannot_represent_are_422_not_a_failed_job(sqlite_url: str) -> None:
    tree = scenario(
        dwellings=[dwelling(f"W{i}", rent=200_000, available_from="1900-01-01") for i in range(31)],
        households=[household(f"H{i}") for i in range(31)],
        policy={"weights": {"vacancy_per_rent_day": 1_000_000}},
    ).model_dump(mode="json")
    with TestClient(create_app(settings(sqlite_url), log=EventLog.null())) as client:
        response = client.post("/v1/proposals", headers=AUTH, json=tree)
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert problem["location"] == "$.policy.weights.vacancy_per_rent_day"
    assert "64-bits" in problem["expected"]


def test_a_bug_is_500_with_a_json_log_line(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import allocator.api.app as app_module

    def broken(tree: Any, where: str = "$") -> Any:
        raise KeyError("H1")

    monkeypatch.setattr(app_module, "scenario_from_tree", broken)
    stream = io.StringIO()
    with TestClient(create_app(settings(sqlite_url), log=EventLog(stream))) as client:
        response = client.post("/v1/proposals", headers=AUTH, json=small_round())
    assert response.status_code == 500 and response.json() == {"detail": "internal error"}
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    (error,) = [e for e in events if e["event"] == "api.error"]
    assert error["error"] == "KeyError" and "H1" not in stream.getvalue()
    (access,) = [e for e in events if e["event"] == "http.request"]
    assert access["http"]["status"] == 500


def test_jobs_survive_a_restart(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A job queued or running when the server stops is solved after the next start; a
    finished job stays readable."""
    release = threading.Event()
    real = allocator.solve.propose

    def held(*args: Any, **kwargs: Any) -> Any:
        release.wait(20)
        return real(*args, **kwargs)

    with TestClient(create_app(settings(db_url), log=EventLog.null())) as client:
        done = client.post("/v1/proposals", headers=AUTH, json=small_round()).json()
        assert wait_for(client, done["location"])["status"] == "done"
        monkeypatch.setattr(allocator.solve, "propose", held)
        running = client.post("/v1/proposals", headers=AUTH, json=small_round()).json()
        queued = client.post("/v1/proposals", headers=AUTH, json=small_round()).json()
        deadline = time.monotonic() + 10
        while client.get(running["location"], headers=AUTH).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
    # The server stopped mid-solve: as after a crash, the database says running/queued.
    monkeypatch.setattr(allocator.solve, "propose", real)
    stream = io.StringIO()
    with TestClient(create_app(settings(db_url), log=EventLog(stream))) as client:
        for job in (running, queued):
            view = wait_for(client, job["location"])
            assert view["status"] == "done" and view["proposal"]["run"]["id"] == job["run_id"]
        assert client.get(done["location"], headers=AUTH).json()["status"] == "done"
    release.set()
    start = [json.loads(line) for line in stream.getvalue().splitlines() if '"api.start"' in line]
    assert start[0]["counts"]["resumed_jobs"] == 2


def test_finished_jobs_are_bounded_by_bytes(sqlite_url: str) -> None:
    with TestClient(
        create_app(settings(sqlite_url, max_kept_bytes=6000), log=EventLog.null())
    ) as client:
        store = client.app.state.jobs  # type: ignore[attr-defined]
        locations = []
        for _ in range(6):
            job = client.post("/v1/proposals", headers=AUTH, json=small_round()).json()
            assert wait_for(client, job["location"])["status"] == "done"
            locations.append(job["location"])
            assert store.kept_bytes() <= 6000
        codes = [client.get(loc, headers=AUTH).status_code for loc in locations]
    assert codes[-1] == 200 and 404 in codes  # the newest kept, the oldest forgotten
    assert codes == sorted(codes, reverse=True)  # forgotten oldest first
