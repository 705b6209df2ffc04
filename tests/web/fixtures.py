"""Shared fixtures of the web tests. Test modules import the fixtures they use:
``from web.fixtures import app, db_url, ...  # noqa: F401``.

- ``db_url``: parametrised over SQLite (a temporary file) and PostgreSQL (a fresh schema in
  the database of $ALLOCATOR_TEST_PG_URL, dropped afterwards; skipped with the reason when
  the variable is unset — scripts/test-services sets it).
- ``app``: the web app on a temporary SQLite database with the example round and demo users
  (password `DEMO_PASSWORD`).
- `Client`: a TestClient that logs in and sends the session's CSRF token.
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from allocator.web import WebSettings, create_app

DEMO_PASSWORD = "test-" + secrets.token_urlsafe(8)
TIME_LIMIT = 10.0
PG_ENV = "ALLOCATOR_TEST_PG_URL"
PG_SKIP = (
    f"PostgreSQL not available: ${PG_ENV} is unset (scripts/test-services installs and "
    "starts PostgreSQL and sets it)"
)
HTML = {"accept": "text/html"}


def _pg_url_with_schema(base: str, schema: str) -> str:
    url = make_url(base)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema (dropped afterwards)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url_with_schema(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'allocator.db'}"
    return str(request.getfixturevalue("pg_url"))


def make_app(database_url: str, **overrides: object) -> FastAPI:
    values: dict[str, object] = {
        "database_url": database_url,
        "demo_password": DEMO_PASSWORD,
        "solve_time_limit_s": TIME_LIMIT,
        "secret_key": None,
    }
    values.update(overrides)
    return create_app(WebSettings(**values))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def module_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """One app (SQLite, example round) shared by a module's read-mostly tests."""
    path = tmp_path_factory.mktemp("web") / "allocator.db"
    return make_app(f"sqlite:///{path}")


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    """A fresh app (SQLite, example round) for tests that change the round."""
    return make_app(f"sqlite:///{tmp_path / 'allocator.db'}")


class Client:
    """A logged-in test client that sends the session's CSRF token with every POST."""

    def __init__(self, app: FastAPI, username: str | None = None):
        self.http = TestClient(app, follow_redirects=False)
        self.csrf = ""
        if username:
            self.login(username)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> Response:
        page = self.http.get("/login", headers=HTML)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        response = self.http.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
        )
        if response.status_code == 303:
            self.csrf = self.csrf_from(self.get("/rounds").text)
        return response

    @staticmethod
    def csrf_from(html: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert found, "no CSRF token in the page"
        return found.group(1)

    def get(self, path: str, **kwargs: object) -> Response:
        return self.http.get(path, headers=HTML, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, str] | None = None, csrf: bool = True) -> Response:
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf
        return self.http.post(path, data=form, headers=HTML)

    def act(self, path: str, data: dict[str, str] | None = None) -> str:
        """POST an action, follow the redirect, and return the page's messages."""
        response = self.post(path, data)
        assert response.status_code == 303, (response.status_code, response.text[:500])
        page = self.get(response.headers["location"].split("#")[0])
        return " ".join(re.findall(r'class="flash flash-\w+"[^>]*>([^<]*)<', page.text))


def vacancy_holder(html: str, dwelling: str) -> str:
    """The household proposed for `dwelling` on a round page."""
    found = re.search(rf'data-dwelling="{dwelling}" data-household="([^"]*)"', html)
    assert found, f"no row for {dwelling}"
    return found.group(1)


def first_alternate(html: str, dwelling: str) -> str:
    row = html.split(f'data-dwelling="{dwelling}"', 1)[1].split("</tr>", 1)[0]
    found = re.search(r'data-alternate="([^"]+)"', row)
    assert found, f"no alternate for {dwelling}"
    return found.group(1)
