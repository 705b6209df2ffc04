"""Web hardening (issue 17, item 5): two server processes on one database, login
throttling and its audit, ids with "/", an access log without ids, CSV cells that cannot
run as formulas."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from test_web_app import _free_port, _stop
from web.fixtures import HTML, Client, app, make_app, pg_url  # noqa: F401

from allocator.io.load import load_scenario
from allocator.web import services
from allocator.web.accesslog import RedactIds, redact
from allocator.web.auth import ADDRESS_LIMIT, USER_LIMIT
from allocator.web.config import BUNDLED_SCENARIO
from allocator.web.export import cell
from allocator.web.tables import AuditEntry

PASSWORD = "hardening-password-123"


def _start(database: str, tmp_path: Path, name: str) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "ALLOCATOR_DATABASE_URL"}
    env.update(
        ALLOCATOR_DEMO_PASSWORD=PASSWORD,
        ALLOCATOR_DATA_DIR=str(tmp_path),
        ALLOCATOR_SOLVE_TIME_LIMIT="10",
    )
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed by the process end
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "allocator.cli",
            "serve",
            "--port",
            str(port),
            "--database",
            database,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        assert process.poll() is None, (tmp_path / f"{name}.log").read_text()
        threading.Event().wait(0.1)
    raise AssertionError("serve did not answer:\n" + (tmp_path / f"{name}.log").read_text())


def _login(base: str) -> tuple[httpx.Client, str]:
    http = httpx.Client(base_url=base, headers=HTML, timeout=60)
    page = http.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = http.post(
        "/login",
        data={"username": "saksbehandler", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 303, response.text[:300]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/rounds").text)
    assert csrf is not None
    return http, csrf.group(1)


def _messages(http: httpx.Client) -> str:
    page = http.get("/rounds/1").text
    return " ".join(re.findall(r'class="flash flash-\w+"[^>]*>([^<]*)<', page))


def _two_servers_pin_one_dwelling(database: str, tmp_path: Path) -> None:
    first, base_a = _start(database, tmp_path, "a")
    second = None
    try:
        second, base_b = _start(database, tmp_path, "b")
        (a, csrf_a), (b, csrf_b) = _login(base_a), _login(base_b)
        proposal = a.get("/rounds/1/proposals/1.json").json()
        match = next(m for m in proposal["matches"] if len(m["alternates"]) >= 2)
        dwelling = match["dwelling"]
        rivals = [x["household"] for x in match["alternates"][:2]]
        start = threading.Barrier(2)
        statuses: list[int] = []

        def pin(http: httpx.Client, csrf: str, household: str) -> None:
            start.wait()
            response = http.post(
                "/rounds/1/pin",
                data={"csrf_token": csrf, "household": household, "dwelling": dwelling},
            )
            statuses.append(response.status_code)

        threads = [
            threading.Thread(target=pin, args=(a, csrf_a, rivals[0])),
            threading.Thread(target=pin, args=(b, csrf_b, rivals[1])),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert statuses == [303, 303]  # never a 500
        said = _messages(a) + " " + _messages(b)
        assert said.count(f"er låst til {dwelling}") == 1, said
        assert said.count(f"{dwelling} er allerede låst til") == 1, said
        export = a.get("/rounds/1/export.json").json()
        pins = [p for p in export["locks"]["pinned"] if p["dwelling"] == dwelling]
        assert len(pins) == 1 and pins[0]["household"] in rivals
        # The round still works from both processes afterwards.
        other = next(
            m for m in proposal["matches"] if m["dwelling"] != dwelling and not m["pinned"]
        )
        response = b.post(
            "/rounds/1/pin",
            data={
                "csrf_token": csrf_b,
                "household": other["household"],
                "dwelling": other["dwelling"],
            },
        )
        assert response.status_code == 303 and "er låst til" in _messages(b)
        assert a.post("/rounds/1/resolve", data={"csrf_token": csrf_a}).status_code == 303
        assert "Nytt forslag #2" in _messages(a)
        # The access log names no household.
        a.get(f"/rounds/1/households/{rivals[0]}")
        a.get(f"/search?q={rivals[0]}")
    finally:
        if second is not None:
            _stop(second)  # type: ignore[arg-type]
        _stop(first)  # type: ignore[arg-type]
    log = (tmp_path / "a.log").read_text()
    assert "/households/…" in log and "GET /search?…" in log
    for household in rivals:
        assert household not in log


def test_two_servers_on_sqlite_give_one_pin_and_one_refusal(tmp_path: Path) -> None:
    _two_servers_pin_one_dwelling(f"sqlite:///{tmp_path / 'shared.db'}", tmp_path)


def test_two_servers_on_postgresql_give_one_pin_and_one_refusal(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    _two_servers_pin_one_dwelling(pg_url, tmp_path)


def test_login_throttling_per_user_and_per_address(app: FastAPI) -> None:  # noqa: F811
    client = Client(app)
    for _ in range(USER_LIMIT):
        assert client.login("leder", "wrong password").status_code == 401
    locked = client.login("leder")  # the right password, but locked out
    assert locked.status_code == 429 and "For mange mislykkede" in locked.text
    assert Client(app).login("saksbehandler").status_code == 303  # others are not locked
    typed = "my-secret-password-in-the-name-box"
    for _ in range(ADDRESS_LIMIT - USER_LIMIT):
        assert client.login(typed, "x").status_code == 401
    assert client.login("analytiker").status_code == 429  # the address is locked now
    with app.state.core.tx() as db:
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action.like("auth.%"))))
    failed = [e for e in entries if e.action == "auth.login_failed"]
    assert {e.username for e in failed} == {"leder", "?"}  # unknown names are not kept
    assert all(typed not in json.dumps([e.username, e.after, e.entity_id]) for e in entries)
    lockouts = [e for e in entries if e.action == "auth.lockout"]
    assert [(e.username, e.after["locked"]) for e in lockouts] == [
        ("leder", "bruker"),
        ("?", "adresse"),
    ]


@pytest.fixture
def odd_ids(tmp_path: Path) -> FastAPI:
    """The example round with a household id holding "/" and a dwelling id that a
    spreadsheet would run as a formula."""
    tree = load_scenario(BUNDLED_SCENARIO).model_dump(mode="json")
    text = json.dumps(tree).replace('"H01"', '"H/01"').replace('"D14"', '"=D14"')
    path = tmp_path / "scenario.json"
    path.write_text(text, encoding="utf-8")
    return make_app(f"sqlite:///{tmp_path / 'odd.db'}", seed_scenario=path)


def test_ids_with_a_slash_and_formula_cells(odd_ids: FastAPI) -> None:
    client = Client(odd_ids, "leder")
    with odd_ids.state.core.tx() as db:
        run = services.latest(db, 1)
        assert run is not None
        proposal = services.parsed(run)
    held = next(m.dwelling for m in proposal.matches if m.household == "H/01")
    page = client.get("/rounds/1/households/H%2F01")
    assert page.status_code == 200 and "Husstand H/01" in page.text
    assert 'href="/rounds/1/households/H%2F01"' in client.get("/rounds/1").text
    fragment = client.get("/rounds/1/recommendations?household=H%2F01")
    assert fragment.status_code == 200 and "Gjeldende bolig" in fragment.text
    assert (
        client.get(f"/rounds/1/confirm?action=forbid&household=H%2F01&dwelling={held}").status_code
        == 200
    )
    assert client.get("/rounds/1/letters/H%2F01").status_code == 200
    assert "H/01" in client.act("/rounds/1/pin", {"household": "H/01", "dwelling": held})
    csv_text = client.get("/rounds/1/export.csv").text
    assert ";'=D14;" in csv_text and ";=D14;" not in csv_text
    assert cell("+1") == "'+1" and cell("-2") == "'-2" and cell("@x") == "'@x"
    assert cell("\tx") == "'\tx" and cell("D01") == "D01" and cell(None) == ""


def test_access_log_filter_removes_ids() -> None:
    assert redact("/rounds/1/households/H/01") == "/rounds/1/households/…"
    assert redact("/rounds/1/letters/H01.pdf") == "/rounds/1/letters/…"
    assert redact("/rounds/1/confirm?action=pin&household=H01") == "/rounds/1/confirm?…"
    assert redact("/rounds/1") == "/rounds/1"
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/rounds/1/households/H01", "1.1", 200),
        None,
    )
    assert RedactIds().filter(record) and "H01" not in record.getMessage()


def test_a_resolve_is_not_stored_when_the_round_changed_meanwhile(app: FastAPI) -> None:  # noqa: F811
    """The solve runs outside any transaction; a decision made meanwhile (here: by another
    user) bumps the round's version, and the finished solve is refused, not stored."""
    core = app.state.core
    with core.tx() as db:
        round_ = db.get(services.Round, 1)
        assert round_ is not None
        plan = services.plan_solve(db, round_)
    proposal = services.run_solve(plan, 10)
    match = next(m for m in proposal.matches if not m.pinned)
    worker = Client(app, "saksbehandler")
    assert "er låst til" in worker.act(
        "/rounds/1/pin", {"household": match.household, "dwelling": match.dwelling}
    )
    with services.round_lock(1), core.tx() as db:
        locked = services.lock_round(db, 1)
        with pytest.raises(services.ActionError, match="endret mens"):
            services.store_solve(db, locked, plan, proposal, None, services.locked_version(locked))
    with core.tx() as db:
        latest = services.latest(db, 1)
        assert latest is not None and latest.seq == 1
