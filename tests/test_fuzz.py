"""Fuzz test (issue 17): hostile inputs in every input form -- JSON, YAML, CSV folders,
Excel workbooks, API bodies -- and every defect class of the issue (tests/fuzz_inputs.py)
never give a traceback, never a silent wrong answer, and `validate`, `propose`, `batch`
and the API agree on each one.

The full corpus run (720+ inputs, separate processes, 30-second hang limit, kill trials)
is tests/fuzz_corpus.py; docs/hardening.md has its figures."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from fuzz_inputs import all_kinds, build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.api import create_app
from allocator.api.settings import ApiSettings
from allocator.cli import main
from allocator.logs import EventLog

TOKEN = "fuzz-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
HAS_PROPOSAL = ("OPTIMAL", "FEASIBLE")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("fuzz-api")
    app = create_app(
        ApiSettings(
            tokens=(TOKEN,),
            time_limit_s=10.0,
            max_queued_jobs=64,
            database_url=f"sqlite:///{folder / 'jobs.db'}",
        ),
        log=EventLog.null(),
    )
    with TestClient(app) as client:
        yield client


def clean(result: Result) -> None:
    """No exception escaped and nothing printed a traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def api_verdict(client: TestClient, body: bytes) -> str:
    """'invalid' (422), or the job's end: 'done' (with a proposal) or its error code."""
    response = client.post("/v1/proposals", headers=AUTH, content=body)
    assert response.status_code in (202, 422), response.text
    if response.status_code == 422:
        return "invalid"
    location = response.json()["location"]
    deadline = time.monotonic() + 60
    while True:
        view = client.get(location, headers=AUTH).json()
        if view["status"] in ("done", "failed"):
            break
        assert time.monotonic() < deadline, "job did not finish"
        time.sleep(0.05)
    if view["status"] == "done":
        assert view["proposal"]["run"]["status"] in HAS_PROPOSAL
        return "done"
    return str(view["error"])


@pytest.mark.slow
@settings(
    max_examples=45,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(kind=st.sampled_from(all_kinds()), seed=st.integers(0, 10_000))
def test_hostile_input_never_breaks_the_contract(
    api: TestClient, kind: tuple[str, str], seed: int
) -> None:
    case = build(*kind, seed)
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        path = case.write(where / "in")
        validated = runner.invoke(main, ["validate", str(path)])
        clean(validated)
        assert validated.exit_code in (0, 2), validated.output

        out = where / "proposal.json"
        proposed = runner.invoke(main, ["propose", str(path), "--out", str(out), "--quiet"])
        clean(proposed)
        assert proposed.exit_code in (0, 2, 4), proposed.output
        assert (validated.exit_code == 2) == (proposed.exit_code == 2)  # one validation
        if proposed.exit_code == 0:
            written: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
            assert written["run"]["status"] in HAS_PROPOSAL
        else:
            assert not out.exists()

        batched = runner.invoke(
            main,
            [
                "batch",
                "--input",
                str(path),
                "--output",
                str(where / "out"),
                "--log-file",
                str(where / "log"),
            ],
        )
        clean(batched)
        expected = {0: (0, 3), 2: (2,), 4: (4,)}[proposed.exit_code]
        assert batched.exit_code in expected, batched.output
        assert (where / "out").exists() == (batched.exit_code in (0, 3))
        for line in (where / "log").read_text(encoding="utf-8").splitlines():
            json.loads(line)  # the log stays JSON lines, warnings included

        body = case.body()
        if body is not None:
            verdict = api_verdict(api, body)
            expected_verdict = {0: "done", 2: "invalid", 4: "no_proposal_within_time_limit"}[
                proposed.exit_code
            ]
            assert verdict == expected_verdict, verdict
