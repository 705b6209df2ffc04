"""Access: argon2 passwords, signed HttpOnly SameSite=Lax session cookies backed by
server-side sessions, CSRF on every form, and role checks on EVERY page and action route."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from web.fixtures import DEMO_PASSWORD, HTML, Client, app, make_app, module_app  # noqa: F401

from allocator.web import bootstrap
from allocator.web.auth import SESSION_COOKIE, authenticate
from allocator.web.tables import AuditEntry, User, WebSession

#: Every POST route and the roles that may use it. A new route must be added here.
ACTIONS = {
    "/logout": {"caseworker", "lead", "analyst"},
    "/rounds/{round_id}/pin": {"caseworker", "lead"},
    "/rounds/{round_id}/forbid": {"caseworker", "lead"},
    "/rounds/{round_id}/offer": {"caseworker", "lead"},
    "/rounds/{round_id}/answer": {"caseworker", "lead"},
    "/rounds/{round_id}/decisions/{decision_id}/revoke": {"caseworker", "lead"},
    "/rounds/{round_id}/resolve": {"caseworker", "lead"},
    "/rounds/{round_id}/publish": {"lead"},
}
PUBLIC = {"/login", "/healthz", "/", "/static"}
ROLES = {"caseworker": "saksbehandler", "lead": "leder", "analyst": "analytiker"}
PARAMS = {"round_id": "1", "decision_id": "1", "household_id:path": "H29", "seq": "1"}
#: Pages only some roles may see (the what-if page saves nothing, but prepares an action).
ROLE_PAGES = {"/rounds/{round_id}/confirm": {"caseworker", "lead"}}
#: Query strings of the pages that need one.
QUERIES = {
    "/rounds/{round_id}/recommendations": "?household=H29",
    "/rounds/{round_id}/confirm": "?action=forbid&household=H29&dwelling=D05",
    "/search": "?q=H2",
}


def _fill(path: str) -> str:
    query = QUERIES.get(path, "")
    for key, value in PARAMS.items():
        path = path.replace("{" + key + "}", value)
    return path + query


def _flat(routes: list) -> list[APIRoute]:  # type: ignore[type-arg]
    """API routes, also inside included routers (newer FastAPI wraps them lazily)."""
    out: list[APIRoute] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out += _flat(inner.routes)
        elif isinstance(route, APIRoute):
            out.append(route)
    return out


def _routes(application: FastAPI, method: str) -> set[str]:
    return {r.path for r in _flat(application.routes) if method in r.methods}


def test_every_post_route_is_listed(module_app: FastAPI) -> None:  # noqa: F811
    assert _routes(module_app, "POST") - {"/login"} == set(ACTIONS)


@pytest.mark.parametrize("path", sorted(ACTIONS))
def test_action_without_session_is_401(module_app: FastAPI, path: str) -> None:  # noqa: F811
    client = TestClient(module_app, follow_redirects=False)
    assert client.post(_fill(path), data={}, headers=HTML).status_code == 401
    client.cookies.set(SESSION_COOKIE, "forged.value.signature")
    assert client.post(_fill(path), data={"csrf_token": "x"}).status_code == 401


@pytest.mark.parametrize(
    ("path", "role"),
    [(p, r) for p in sorted(ACTIONS) for r in sorted(ROLES) if r not in ACTIONS[p]],
)
def test_action_with_wrong_role_is_403(module_app: FastAPI, path: str, role: str) -> None:  # noqa: F811
    client = Client(module_app, ROLES[role])
    response = client.post(_fill(path), {"household": "H29", "dwelling": "D05"})
    assert response.status_code == 403
    assert "Ingen tilgang" in response.text


@pytest.mark.parametrize("path", sorted(ACTIONS))
def test_action_without_csrf_token_is_403(module_app: FastAPI, path: str) -> None:  # noqa: F811
    client = Client(module_app, "leder")
    data = {"household": "H29", "dwelling": "D05", "reason": "test"}
    assert client.post(_fill(path), data, csrf=False).status_code == 403
    assert client.http.post(_fill(path), data=data | {"csrf_token": "wrong"}).status_code == 403
    other = Client(module_app, "saksbehandler")  # another session's token does not work
    assert client.http.post(_fill(path), data=data | {"csrf_token": other.csrf}).status_code == 403


def test_action_with_allowed_role_passes(app: FastAPI) -> None:  # noqa: F811
    """With role and token, every action runs (303 back to the page, with its message)."""
    worker, lead = Client(app, "saksbehandler"), Client(app, "leder")
    data = {
        "household": "H29",
        "dwelling": "D05",
        "reason": "Konflikt med nabo",
        "result": "accepted",
    }
    for path in sorted(ACTIONS, key=lambda p: (p.endswith("publish"), p == "/logout")):
        for role, client in (("caseworker", worker), ("lead", lead)):
            if role not in ACTIONS[path] or (path == "/logout" and role == "lead"):
                continue
            response = client.post(_fill(path), data)
            assert response.status_code == 303, (path, role, response.text[:300])


def test_header_csrf_token_is_accepted(module_app: FastAPI) -> None:  # noqa: F811
    client = Client(module_app, "analytiker")
    response = client.http.post("/logout", headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == 303


@pytest.mark.parametrize("role", sorted(ROLES))
def test_pages_for_every_role(module_app: FastAPI, role: str) -> None:  # noqa: F811
    client = Client(module_app, ROLES[role])
    for path in sorted(_routes(module_app, "GET") - PUBLIC):
        response = client.get(_fill(path))
        allowed = role in ROLE_PAGES.get(path, {role})
        assert response.status_code == (200 if allowed else 403), (path, response.status_code)
    page = client.get("/rounds/1").text
    assert ('action="/rounds/1/pin"' in page) == (role != "analyst")
    assert ('action="/rounds/1/resolve"' in page) == (role != "analyst")
    assert ('action="/rounds/1/publish"' in page) == (role == "lead")


def test_pages_without_session(module_app: FastAPI) -> None:  # noqa: F811
    """Browsers are sent to the login page (and back afterwards); other clients get 401."""
    client = TestClient(module_app, follow_redirects=False)
    for path in sorted(_routes(module_app, "GET") - PUBLIC):
        page = client.get(_fill(path), headers=HTML)
        assert page.status_code == 303, path
        assert page.headers["location"].startswith("/login?next=/")
        assert client.get(_fill(path), headers={"accept": "application/json"}).status_code == 401


def test_cookie_flags(module_app: FastAPI, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client = Client(module_app)
    response = client.login("saksbehandler")
    cookie = [
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    ][0]
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" not in flags
    secure = make_app(f"sqlite:///{tmp_path / 's.db'}", secure_cookies=True, seed_scenario=None)
    response = Client(secure).login("saksbehandler")
    assert "secure" in response.headers["set-cookie"].lower()


def test_login_failures(module_app: FastAPI) -> None:  # noqa: F811
    client = Client(module_app)
    response = client.login("saksbehandler", "wrong password")
    assert response.status_code == 401
    assert "Feil brukernavn eller passord" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert client.login("ukjent", DEMO_PASSWORD).status_code == 401
    # The login form has its own CSRF token (double-submit cookie).
    fresh = TestClient(module_app, follow_redirects=False)
    response = fresh.post(
        "/login", data={"username": "saksbehandler", "password": DEMO_PASSWORD, "csrf_token": "x"}
    )
    assert response.status_code == 403
    with module_app.state.core.tx() as db:
        failed = db.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login_failed"))
        # A known user's name is kept; a name no user has is not (it may be a password).
        assert {e.username for e in failed} >= {"saksbehandler", "?"}
        assert "ukjent" not in {e.username for e in failed}


def test_login_redirects_only_to_local_paths(module_app: FastAPI) -> None:  # noqa: F811
    for target, expected in (
        ("/rounds/1", "/rounds/1"),
        ("https://evil.example/", "/rounds"),
        ("//evil.example/", "/rounds"),
    ):
        client = TestClient(module_app, follow_redirects=False)
        page = client.get(f"/login?next={target}", headers=HTML)
        token = Client.csrf_from(page.text)
        response = client.post(
            "/login",
            data={
                "username": "leder",
                "password": DEMO_PASSWORD,
                "csrf_token": token,
                "next": target,
            },
        )
        assert response.headers["location"] == expected


def test_logout_ends_the_session_on_the_server(module_app: FastAPI) -> None:  # noqa: F811
    client = Client(module_app, "saksbehandler")
    cookie = client.http.cookies.get(SESSION_COOKIE)
    assert client.post("/logout").status_code == 303
    replay = TestClient(module_app, follow_redirects=False)
    replay.cookies.set(SESSION_COOKIE, cookie)
    assert replay.get("/rounds", headers={"accept": "application/json"}).status_code == 401
    assert replay.post("/rounds/1/resolve", data={"csrf_token": client.csrf}).status_code == 401


def test_expired_and_tampered_sessions(module_app: FastAPI) -> None:  # noqa: F811
    client = Client(module_app, "saksbehandler")
    cookie = client.http.cookies.get(SESSION_COOKIE)
    tampered = TestClient(module_app, follow_redirects=False)
    tampered.cookies.set(SESSION_COOKIE, cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"))
    assert tampered.get("/rounds", headers={"accept": "application/json"}).status_code == 401
    with module_app.state.core.tx() as db:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        db.execute(update(WebSession).values(expires_at=past))
    assert client.get("/rounds").status_code == 303


def test_passwords_are_argon2_hashes(module_app: FastAPI) -> None:  # noqa: F811
    with module_app.state.core.tx() as db:
        for user in db.scalars(select(User)):
            assert user.password_hash.startswith("$argon2id$")
            assert DEMO_PASSWORD not in user.password_hash
        assert authenticate(db, "leder", DEMO_PASSWORD) is not None
        assert authenticate(db, "leder", DEMO_PASSWORD + "x") is None


def test_demo_passwords_are_random_and_given_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    fresh = make_app(f"sqlite:///{tmp_path / 'd.db'}", demo_password=None, seed_scenario=None)
    created = fresh.state.startup.users
    passwords = [p for _, _, p in created]
    assert len(created) == 3 and all(passwords) and len(set(passwords)) == 3
    with fresh.state.core.tx() as db:
        for username, _, password in created:
            assert authenticate(db, username, password) is not None
        assert bootstrap.demo_users(db, None) == []  # never again on the same database


def test_security_headers(module_app: FastAPI) -> None:  # noqa: F811
    response = TestClient(module_app).get("/login", headers=HTML)
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_user_administration(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Real users from the shell; then no demo users; disabling logs the user out."""
    from allocator.web import users

    url = f"sqlite:///{tmp_path / 'u.db'}"
    monkeypatch.setenv("ALLOCATOR_NEW_PASSWORD", "a-long-password-1")
    assert users.main(["--database", url, "add", "Kari", "caseworker"]) == 0
    fresh = make_app(url, seed_scenario=None)
    assert fresh.state.startup.users == []  # a database with users gets no demo users
    client = Client(fresh)
    assert client.login("kari", "a-long-password-1").status_code == 303
    assert users.main(["--database", url, "disable", "kari"]) == 0
    assert client.get("/rounds").status_code == 303  # logged out
    assert client.login("kari", "a-long-password-1").status_code == 401
    monkeypatch.setenv("ALLOCATOR_NEW_PASSWORD", "short")
    with pytest.raises(SystemExit):
        users.main(["--database", url, "add", "per", "analyst"])
    users.main(["--database", url, "list"])
    assert "sperret" in capsys.readouterr().out
