"""The FastAPI application: `create_app(settings)` migrates, bootstraps and wires routes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from allocator.glossary import FIELD_TEXT
from allocator.web import bootstrap, documents
from allocator.web.auth import Sessions
from allocator.web.config import WebSettings
from allocator.web.db import make_engine, migrate, session_factory, transaction
from allocator.web.texts import FILTERS, GLOBALS

HERE = Path(__file__).resolve().parent
log = logging.getLogger("allocator.web")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


class NotLoggedIn(Exception):
    """A page was asked for without a session (redirect browsers to the login page)."""


class Core:
    """Per-app state: settings, database, sessions, templates and caches."""

    def __init__(self, settings: WebSettings):
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        migrate(self.engine)
        self.factory = session_factory(self.engine)
        with self.tx() as db:
            secret = bootstrap.secret_key(db, settings.secret_key)
        self.sessions = Sessions(secret, settings.session_hours)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.filters.update(FILTERS)
        self.templates.env.globals.update(**GLOBALS)
        self.recommendations: dict[tuple[int, str, str], Any] = {}
        self.documents = documents.environment(settings.document_templates)

    @contextmanager
    def tx(self) -> Iterator[Session]:
        with transaction(self.factory) as db:
            yield db


def create_app(settings: WebSettings) -> FastAPI:
    """Build the app: migrate the database (``alembic upgrade head``), create the demo users
    and the first round on an empty database, and mount the routes."""
    from allocator.web.routes import actions, auth_routes, pages

    core = Core(settings)
    startup = bootstrap.Startup()
    with core.tx() as db:
        if settings.demo_users:
            startup.users = bootstrap.demo_users(db, settings.demo_password)
    with core.tx() as db:
        startup.round_id = bootstrap.first_round(
            db, settings.seed_scenario, settings.solve_time_limit_s
        )

    app = FastAPI(title="Boligtildeling", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.core = core
    app.state.startup = startup
    # check_dir=False: a wheel built without "*.css"/"*.js" package data still starts.
    app.mount(
        "/static", StaticFiles(directory=str(HERE / "static"), check_dir=False), name="static"
    )
    app.include_router(auth_routes.router)
    app.include_router(pages.router)
    app.include_router(actions.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "public, max-age=3600")
        else:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _: NotLoggedIn) -> Response:
        if _wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
        return JSONResponse({"detail": "Ikke innlogget"}, status_code=401)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        return await _error_page(
            request, error.status_code, _detail(error), getattr(error, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        fields = sorted(
            {FIELD_TEXT.get(str(e.get("loc", ["?"])[-1]), "ukjent felt") for e in error.errors()}
        )
        return await _error_page(
            request,
            422,
            "Forespørselen mangler eller har ugyldige felt: " + ", ".join(fields) + ".",
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return await _error_page(
            request,
            500,
            "En uventet feil oppstod. Handlingen ble ikke "
            "lagret. Prøv igjen, eller kontakt brukerstøtte.",
        )

    async def _error_page(
        request: Request, status: int, detail: str, headers: dict[str, str] | None = None
    ) -> Response:
        """A Norwegian error page with the top bar (the user stays logged in), or JSON."""
        if not _wants_html(request):
            return JSONResponse({"detail": detail}, status_code=status, headers=headers)
        from starlette.concurrency import run_in_threadpool

        from allocator.web.routes.common import load_current

        try:
            current = await run_in_threadpool(load_current, request)
        except Exception:  # noqa: BLE001 - the error page must render even without a database
            current = None
        return core.templates.TemplateResponse(
            request,
            "error.html",
            {
                "status": status,
                "detail": detail,
                "current": current,
                "csrf": current.csrf_token if current else "",
                "messages": [],
            },
            status_code=status,
            headers=headers,
        )

    return app


#: Norwegian texts for the status codes Starlette raises on its own ("Not Found" …).
STATUS_DETAIL = {
    404: "Siden finnes ikke.",
    405: "Handlingen er ikke tillatt på denne adressen.",
    413: "Forespørselen er for stor.",
    429: "For mange forespørsler. Vent litt.",
}


def _detail(error: StarletteHTTPException) -> str:
    from http import HTTPStatus

    detail = str(error.detail)
    try:
        english = HTTPStatus(error.status_code).phrase
    except ValueError:
        english = ""
    if not detail or detail == english:
        return STATUS_DETAIL.get(error.status_code, "Noe gikk galt.")
    return detail


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
