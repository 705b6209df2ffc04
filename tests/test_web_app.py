"""The web app over HTTP: round and household pages, the meeting's actions end to end,
diff, audit log, exports, publishing, and `allocator serve` as a real process."""

from __future__ import annotations

import csv
import html
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from web.fixtures import (  # noqa: F401
    HTML,
    Client,
    app,
    first_alternate,
    module_app,
    vacancy_holder,
)

from allocator.glossary import tidy
from allocator.io.load import load_scenario
from allocator.recommend import why_not
from allocator.web import services
from allocator.web.config import BUNDLED_SCENARIO, default_database_url

SCENARIO = load_scenario(BUNDLED_SCENARIO)


def _latest(app: FastAPI):  # type: ignore[no-untyped-def]  # noqa: F811
    with app.state.core.tx() as db:
        return services.parsed(services.latest(db, 1))


def test_round_page_shows_every_vacancy_with_reasons_and_alternates(module_app: FastAPI) -> None:  # noqa: F811
    page = Client(module_app, "analytiker").get("/rounds/1").text
    proposal = _latest(module_app)
    assert len(re.findall(r'<tr id="bolig-', page)) == len(SCENARIO.dwellings)
    for match in proposal.matches:
        assert vacancy_holder(page, match.dwelling) == match.household
        assert html.escape(tidy(match.reasons[0].text), quote=False) in page
        if match.alternates:
            assert first_alternate(page, match.dwelling) == match.alternates[0].household
    assert "Husstander uten bolig i forslaget" in page
    assert f">{proposal.unmatched[0].household}<" in page


def test_every_form_carries_the_session_csrf_token(module_app: FastAPI) -> None:  # noqa: F811
    client = Client(module_app, "leder")
    pages = [
        client.get("/rounds/1").text,
        client.get("/rounds/1/households/H29").text,
        client.get("/rounds/1/households/H29/recommendations").text,
    ]
    forms = [f for p in pages for f in re.findall(r'<form method="post".*?</form>', p, re.S)]
    assert len(forms) > 50
    for form in forms:
        assert f'name="csrf_token" value="{client.csrf}"' in form, form[:200]


def test_household_page_explains_and_recommends(module_app: FastAPI) -> None:  # noqa: F811
    client = Client(module_app, "saksbehandler")
    page = client.get("/rounds/1/households/H29").text
    assert "Husstand H29" in page and "Boliger som er utelukket" in page
    for dwelling, texts in why_not(SCENARIO, "H29").items():
        assert f'href="/rounds/1#bolig-{dwelling}">{dwelling}</a>' in page
        assert html.escape("; ".join(texts), quote=False) in page
    assert 'data-load="/rounds/1/recommendations?household=H29"' in page
    fragment = client.get("/rounds/1/recommendations?household=H29").text
    held = next(m.dwelling for m in _latest(module_app).matches if m.household == "H29")
    assert f">{held}</a>" in fragment and "Gjeldende bolig" in fragment
    assert client.get("/rounds/1/households/NOPE").status_code == 404
    assert client.get("/rounds/99").status_code == 404


def test_the_meeting_over_http(app: FastAPI) -> None:  # noqa: F811
    worker, lead, analyst = (
        Client(app, "saksbehandler"),
        Client(app, "leder"),
        Client(app, "analytiker"),
    )
    page = worker.get("/rounds/1").text
    alternate = first_alternate(page, "D03")
    message = worker.act("/rounds/1/pin", {"household": alternate, "dwelling": "D03"})
    assert f"{alternate} er låst til D03" in message and "Løs på nytt" in message
    assert "beholdt" in worker.act("/rounds/1/resolve")
    page = worker.get("/rounds/1").text
    assert vacancy_holder(page, "D03") == alternate

    declining, promoted = vacancy_holder(page, "D05"), first_alternate(page, "D05")
    worker.act("/rounds/1/offer", {"household": declining, "dwelling": "D05"})
    message = worker.act(
        "/rounds/1/answer",
        {"household": declining, "dwelling": "D05", "result": "declined", "lapse": "true"},
    )
    assert "bortfalt" in message
    worker.act("/rounds/1/resolve")
    page = worker.get("/rounds/1").text
    assert vacancy_holder(page, "D05") == promoted
    assert vacancy_holder(page, "D03") == alternate
    assert "Tilsagnet falt bort" in worker.get(f"/rounds/1/households/{declining}").text

    error = worker.act("/rounds/1/forbid", {"household": promoted, "dwelling": "D05", "reason": ""})
    assert "begrunnelse" in error

    diff = analyst.get("/rounds/1/diff?a=2&b=3").text
    assert re.search(
        rf'D05</a></td><td data-label="Før">{declining}</td>'
        rf'<td class="strong" data-label="Etter">{promoted}</td>'
        r'<td class="small" data-label="Hvorfor">tilsagnet til',
        diff,
    )
    log = analyst.get("/rounds/1/log").text
    for action in ("Låst", "Nytt forslag", "Tilbud sendt", "Takket nei", "Tilsagnet falt bort"):
        assert action in log
    assert "Kari Saksbehandler (demo)" in log and "{" not in log

    exported = analyst.get("/rounds/1/export.json").json()
    rows = {r["dwelling"]: r for r in exported["allocation"]}
    assert rows["D05"]["household"] == promoted and rows["D03"]["state"] == "pinned"
    assert exported["round"]["status"] == "draft"
    assert [d["kind"] for d in exported["decisions"]][-2:] == ["declined", "approval_lapsed"]

    assert "#2" in lead.act("/rounds/1/publish", {"proposal": "2"})  # #3 is newer
    assert "Runden er publisert" in lead.act("/rounds/1/publish", {"proposal": "3"})
    page = worker.get("/rounds/1").text
    assert "Publisert" in page and 'action="/rounds/1/pin"' not in page
    assert "publisert" in worker.act("/rounds/1/pin", {"household": promoted, "dwelling": "D05"})
    response = analyst.get("/rounds/1/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "publisert.csv" in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert table[0][1] == "bolig"
    assert len([r for r in table if r[0] == "tildeling"]) == len(SCENARIO.dwellings)
    assert analyst.get("/rounds/1/export.json").json()["round"]["status"] == "published"


def test_proposal_json_download(module_app: FastAPI) -> None:  # noqa: F811
    client = Client(module_app, "analytiker")
    data = client.get("/rounds/1/proposals/1.json").json()
    assert data["run"]["input_sha256"] and len(data["matches"]) == len(SCENARIO.dwellings)
    assert client.get("/rounds/1/proposals/99.json").status_code == 404


def test_default_database_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALLOCATOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("ALLOCATOR_DATA_DIR", str(tmp_path))
    assert default_database_url() == f"sqlite:///{tmp_path / 'allocator.db'}"
    monkeypatch.delenv("ALLOCATOR_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_database_url() == f"sqlite:///{tmp_path / 'boligtildeling' / 'allocator.db'}"
    monkeypatch.setenv("ALLOCATOR_DATABASE_URL", "postgresql://u@h/db")
    assert default_database_url() == "postgresql://u@h/db"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path) -> tuple[subprocess.Popen[str], list[str], str]:
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ALLOCATOR_DEMO_PASSWORD", "ALLOCATOR_DATABASE_URL")
    }
    env["ALLOCATOR_DATA_DIR"] = str(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "allocator.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        assert line, "serve exited early:\n" + "".join(lines)
        lines.append(line)
        if line.startswith("Åpne http"):
            break
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return process, lines, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("serve did not answer:\n" + "".join(lines))


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_allocator_serve(tmp_path: Path) -> None:
    """First start: SQLite in the data dir, the example round, demo users with random
    passwords printed once; a second start prints no passwords and creates nothing."""
    process, lines, base = _serve(tmp_path)
    try:
        output = "".join(lines)
        assert (tmp_path / "allocator.db").exists()
        assert "Runde 1 opprettet" in output
        users = dict(re.findall(r"^\s+(\w+)\s+\w+\s+(\S+)$", output, re.M))
        assert set(users) == {"saksbehandler", "leder", "analytiker"}
        with httpx.Client(base_url=base) as http:
            page = http.get("/login", headers=HTML)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None
            response = http.post(
                "/login",
                data={
                    "username": "leder",
                    "password": users["leder"],
                    "csrf_token": token.group(1),
                },
            )
            assert response.status_code == 303
            assert "Tildelingsmøte" in http.get("/rounds", headers=HTML).text
    finally:
        _stop(process)
    process, lines, _ = _serve(tmp_path)
    _stop(process)
    output = "".join(lines)
    assert "Demobrukere" not in output and "opprettet fra" not in output


def test_round_with_rules_switched_off_is_marked_as_an_analysis(app: FastAPI) -> None:  # noqa: F811
    relaxed = SCENARIO.model_copy(
        update={
            "policy": SCENARIO.policy.model_copy(
                update={"needs": SCENARIO.policy.needs.model_copy(update={"mode": "off"})}
            )
        }
    )
    with app.state.core.tx() as db:
        round_id = services.create_round(
            db, relaxed, name="Analyse", source="test", actor=None, time_limit_s=10
        ).id
    client = Client(app, "analytiker")
    assert "Regler slått av i regelsettet: needs.mode" in client.get(f"/rounds/{round_id}").text
    assert "Regler slått av" not in client.get("/rounds/1").text


def test_round_page_tells_each_vacancy_chain_as_one_story(app: FastAPI) -> None:  # noqa: F811
    """Transfers (R11): the meeting page lists the chains and swaps of the proposal, and
    the freed dwelling's row says whose move frees it."""
    transfers = load_scenario(Path(__file__).parent.parent / "scenarios/transfers/scenario.yaml")
    with app.state.core.tx() as db:
        round_id = services.create_round(
            db, transfers, name="Bytter", source="test", actor=None, time_limit_s=10
        ).id
    page = Client(app, "analytiker").get(f"/rounds/{round_id}").text
    assert "Bytter og flyttekjeder" in page
    assert html.escape("D12 → H07 (flytter fra D40) → D40 → H20", quote=False) in page
    assert "H31 (fra D55) og H32 (fra D56) bytter bolig" in page
    assert "Boligen blir ledig fordi H07 flytter ut 07.12.2026" in page
    assert vacancy_holder(page, "D40") == "H20"
    # 5 households in 2 vacancies and 3 dwellings freed by moves: never "5 / 2".
    assert "5 / 5" in page and "2 ledige, 3 frigjort ved flytting" in page
