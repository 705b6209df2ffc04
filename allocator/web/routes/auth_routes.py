"""Login and logout."""

from __future__ import annotations

import math

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from allocator.web import services
from allocator.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    THROTTLE_WINDOW,
    address_key,
    authenticate,
    clear_failures,
    find_user,
    lockout,
    record_failure,
)
from allocator.web.routes.common import AnyUser, core_of, load_current, render, safe_next

router = APIRouter()


def _login_page(
    request: Request, next_url: str, error: str | None = None, status_code: int = 200
) -> Response:
    token, cookie = core_of(request).sessions.login_csrf()
    response = render(
        request,
        "login.html",
        None,
        status_code=status_code,
        login_csrf=token,
        next_url=next_url,
        error=error,
    )
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, cookie, max_age=3600 * 12)
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=core_of(request).settings.secure_cookies,
        path="/",
    )


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:  # noqa: A002
    if load_current(request) is not None:
        return RedirectResponse(safe_next(next, "/rounds"), status_code=303)
    return _login_page(request, next)


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next_url: str = Form("", alias="next"),
) -> Response:
    core = core_of(request)
    if not core.sessions.check_login_csrf(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return _login_page(request, next_url, "Skjemaet var utløpt. Prøv igjen.", 403)
    address = address_key(core.sessions.secret, request.client.host if request.client else None)
    with core.tx() as db:
        known = find_user(db, username)
        wait = lockout(db, known, address)
        if wait is not None:
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            refused = (
                f"For mange mislykkede innlogginger. Prøv igjen om {minutes} "
                f"{'minutt' if minutes == 1 else 'minutter'}."
            )
            cookie = None
        else:
            refused = None
            user = authenticate(db, username, password)
            if user is None:
                # The typed name is kept only when it is a real user's: a password typed in
                # the wrong box must not end up in the log.
                services.audit(
                    db,
                    None,
                    "auth.login_failed",
                    entity="user",
                    entity_id=known.id if known else "",
                    username=known.username if known else "?",
                )
                for what in record_failure(db, known, address):
                    services.audit(
                        db,
                        None,
                        "auth.lockout",
                        entity="user",
                        entity_id=known.id if known and what == "user" else "",
                        username=known.username if known and what == "user" else "?",
                        after={
                            "locked": "bruker" if what == "user" else "adresse",
                            "minutes": int(THROTTLE_WINDOW.total_seconds() // 60),
                        },
                    )
                cookie = None
            else:
                clear_failures(db, user)
                cookie = core.sessions.start(db, user)
                services.audit(db, user, "auth.login", entity="user", entity_id=user.id)
    if refused is not None:
        return _login_page(request, next_url, refused, 429)
    if cookie is None:
        return _login_page(request, next_url, "Feil brukernavn eller passord.", 401)
    response = RedirectResponse(safe_next(next_url, "/rounds"), status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, cookie, max_age=core.sessions.max_age)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, current: AnyUser) -> Response:
    core = core_of(request)
    with core.tx() as db:
        core.sessions.end(db, request.cookies.get(SESSION_COOKIE))
        services.audit(db, current.user, "auth.logout", entity="user", entity_id=current.user.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
