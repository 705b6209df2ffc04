"""Request helpers shared by the routes: current user, role checks, CSRF, flash, render."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from allocator.web.app import Core, NotLoggedIn
from allocator.web.auth import ACT, PUBLISH, SESSION_COOKIE, VIEW, Current, csrf_equal
from allocator.web.tables import WebSession


def core_of(request: Request) -> Core:
    return request.app.state.core  # type: ignore[no-any-return]


def load_current(request: Request) -> Current | None:
    """The logged-in user of this request (resolved once, then cached on the request)."""
    if not hasattr(request.state, "current"):
        core = core_of(request)
        with core.tx() as db:
            request.state.current = core.sessions.resolve(db, request.cookies.get(SESSION_COOKIE))
    return request.state.current  # type: ignore[no-any-return]


def viewer(request: Request) -> Current:
    """Dependency of every page: any logged-in user (browsers without a session are sent to
    the login page, other clients get 401)."""
    current = load_current(request)
    if current is None:
        raise NotLoggedIn()
    return current


def actor(roles: frozenset[str]) -> Callable[[Request], Awaitable[Current]]:
    """Dependency of every POST action: 401 without a session, 403 for a role outside
    `roles`, 403 without the session's CSRF token."""

    async def check(request: Request) -> Current:
        current = await run_in_threadpool(load_current, request)
        if current is None:
            raise HTTPException(
                401,
                "Du er ikke innlogget.",
                headers={"WWW-Authenticate": 'Session realm="boligtildeling"'},
            )
        if not current.can(roles):
            raise HTTPException(403, "Rollen din har ikke tilgang til denne handlingen.")
        form = await request.form()
        given = form.get("csrf_token") or request.headers.get("x-csrf-token")
        if not csrf_equal(current.csrf_token, given if isinstance(given, str) else None):
            raise HTTPException(
                403,
                "Skjemaet mangler gyldig sikkerhetsnøkkel (CSRF). "
                "Last siden på nytt og prøv igjen.",
            )
        return current

    return check


#: Route parameter types: who may see or do what (checked on every request).
Viewer = Annotated[Current, Depends(viewer)]
AnyUser = Annotated[Current, Depends(actor(VIEW))]
Caseworker = Annotated[Current, Depends(actor(ACT))]
Lead = Annotated[Current, Depends(actor(PUBLISH))]


def flash(request: Request, current: Current, kind: str, text: str) -> None:
    """Queue a message for the next page this session shows."""
    with core_of(request).tx() as db:
        row = db.get(WebSession, current.session.id)
        if row is not None:
            row.flash = [*(row.flash or []), {"kind": kind, "text": text}]


def pop_flash(request: Request, current: Current | None) -> list[dict[str, str]]:
    if current is None or not current.session.flash:
        return []
    with core_of(request).tx() as db:
        row = db.get(WebSession, current.session.id)
        messages = list(row.flash or []) if row is not None else []
        if row is not None:
            row.flash = None
    return messages


def render(
    request: Request, name: str, current: Current | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    core = core_of(request)
    return core.templates.TemplateResponse(
        request,
        name,
        {
            "current": current,
            "csrf": current.csrf_token if current else "",
            "messages": pop_flash(request, current),
            **context,
        },
        status_code=status_code,
    )


def safe_next(target: str | None, fallback: str) -> str:
    """Only local paths, never another host (open-redirect guard)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback
