"""Users, passwords, sessions, CSRF and roles.

- Passwords: argon2id via argon2-cffi (re-hashed on login when the parameters change).
- Sessions: server-side rows in ``sessions``. The cookie holds a random token signed with
  itsdangerous (HttpOnly, SameSite=Lax, Secure behind HTTPS); the database keeps only the
  token's SHA-256, so a leaked database cannot be replayed as cookies. Logout deletes the row.
- CSRF: a random token per session, rendered into every form and checked server-side on
  every POST (form field ``csrf_token`` or header ``X-CSRF-Token``). The login form, before
  any session exists, uses a signed double-submit cookie.
- Roles: caseworker (act), lead (act and publish), analyst (read only).
- Throttling: failed logins are stored (``login_failures``: the user when known, a keyed
  hash of the address); 5 per user or 20 per address within 15 minutes lock that user or
  address out for the rest of the window, and the lockout is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from allocator.web.tables import ROLES, LoginFailure, User, WebSession, utcnow

SESSION_COOKIE = "allocator_session"
LOGIN_CSRF_COOKIE = "allocator_login_csrf"

VIEW = frozenset(ROLES)
ACT = frozenset({"caseworker", "lead"})
PUBLISH = frozenset({"lead"})

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work either way)."""
    user = db.scalars(select(User).where(User.username == username.strip().lower())).first()
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def create_user(
    db: Session, username: str, role: str, password: str, display_name: str = ""
) -> User:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    user = User(
        username=username.strip().lower(),
        role=role,
        display_name=display_name,
        password_hash=hash_password(password),
    )
    db.add(user)
    db.flush()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_equal(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


@dataclass
class Current:
    """The logged-in user and their session (loaded once per request)."""

    user: User
    session: WebSession

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    def can(self, roles: frozenset[str]) -> bool:
        return self.user.role in roles


class Sessions:
    """Issues and resolves signed session cookies backed by ``sessions`` rows."""

    def __init__(self, secret: str, hours: float):
        self.secret = secret
        self.signer = TimestampSigner(secret, salt="allocator.session")
        self.login_signer = TimestampSigner(secret, salt="allocator.login-csrf")
        self.max_age = int(hours * 3600)

    def start(self, db: Session, user: User) -> str:
        """Create a session for `user`; returns the cookie value."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        db.execute(delete(WebSession).where(WebSession.expires_at < now))
        db.add(
            WebSession(
                id=_digest(token),
                user_id=user.id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + dt.timedelta(seconds=self.max_age),
            )
        )
        return self.signer.sign(token).decode()

    def _token(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return self.signer.unsign(cookie, max_age=self.max_age).decode()
        except BadSignature:
            return None

    def resolve(self, db: Session, cookie: str | None) -> Current | None:
        token = self._token(cookie)
        if token is None:
            return None
        row = db.get(WebSession, _digest(token))
        if row is None or row.expires_at < utcnow():
            return None
        user = db.get(User, row.user_id)
        if user is None or not user.active:
            return None
        return Current(user=user, session=row)

    def end(self, db: Session, cookie: str | None) -> None:
        token = self._token(cookie)
        if token is not None:
            db.execute(delete(WebSession).where(WebSession.id == _digest(token)))

    def login_csrf(self) -> tuple[str, str]:
        """A fresh (form token, cookie value) pair for the login form."""
        token = secrets.token_urlsafe(24)
        return token, self.login_signer.sign(token).decode()

    def check_login_csrf(self, cookie: str | None, given: str | None) -> bool:
        if not cookie:
            return False
        try:
            token = self.login_signer.unsign(cookie, max_age=3600 * 12).decode()
        except BadSignature:
            return False
        return csrf_equal(token, given)


# -- throttling -----------------------------------------------------------------------------
#: Failed logins counted over this window; a user (or an address) over its limit is locked
#: out until its oldest failure in the window is older than the window.
THROTTLE_WINDOW = dt.timedelta(minutes=15)
USER_LIMIT = 5
ADDRESS_LIMIT = 20


def address_key(secret: str, host: str | None) -> str:
    """A keyed hash of the client address: throttles per address without storing it."""
    return hmac.new(secret.encode(), (host or "?").encode(), hashlib.sha256).hexdigest()


def find_user(db: Session, username: str) -> User | None:
    return db.scalars(select(User).where(User.username == username.strip().lower())).first()


def _failures(
    db: Session, since: dt.datetime, *, user_id: int | None = None, address: str | None = None
) -> list[dt.datetime]:
    query = select(LoginFailure.at).where(LoginFailure.at >= since)
    if user_id is not None:
        query = query.where(LoginFailure.user_id == user_id)
    if address is not None:
        query = query.where(LoginFailure.address == address)
    return sorted(db.scalars(query))


def lockout(db: Session, user: User | None, address: str) -> dt.timedelta | None:
    """How long this user or address is still locked out, or None."""
    now = utcnow()
    since = now - THROTTLE_WINDOW
    waits = []
    for failures, limit in (
        (_failures(db, since, user_id=user.id) if user else [], USER_LIMIT),
        (_failures(db, since, address=address), ADDRESS_LIMIT),
    ):
        if len(failures) >= limit:
            waits.append(failures[-limit] + THROTTLE_WINDOW - now)
    return max(waits) if waits else None


def record_failure(db: Session, user: User | None, address: str) -> list[str]:
    """Store a failed login; returns what it locked out ("user", "address") just now."""
    db.add(LoginFailure(user_id=user.id if user else None, address=address))
    db.flush()
    since = utcnow() - THROTTLE_WINDOW
    started = []
    if user is not None and len(_failures(db, since, user_id=user.id)) == USER_LIMIT:
        started.append("user")
    if len(_failures(db, since, address=address)) == ADDRESS_LIMIT:
        started.append("address")
    return started


def clear_failures(db: Session, user: User) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id))
