"""The database layout (SQLAlchemy 2 ORM). Changes go through an Alembic migration in
`allocator/web/migrations/versions/`; `tests/test_web_storage.py` holds the two together.

- ``users``: login name, role (caseworker, lead, analyst), argon2 password hash.
- ``sessions``: server-side login sessions; the cookie carries a signed random token whose
  SHA-256 is the key here, plus the session's CSRF token and a pending flash message.
- ``settings``: key/value, e.g. the generated cookie-signing key.
- ``rounds``: one allocation meeting: the scenario snapshot as loaded (JSON), its policy,
  input and policy hashes, status draft/published.
- ``proposals``: every solve of a round: run block, full proposal JSON, the locks it was
  solved with, and the proposal it kept stable against.
- ``decisions``: the meeting's decisions (pin, forbid, offer sent, accepted, declined,
  approval lapsed), who and when; withdrawn by marking, never deleted.
- ``login_failures``: failed logins (user if known, hashed address) for throttling.
- ``audit_log``: append-only (who, when, what, before/after); UPDATE and DELETE are refused
  by database triggers created in the migration.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("caseworker", "lead", "analyst")
ROUND_STATUSES = ("draft", "published")
DECISION_KINDS = ("pin", "forbid", "offer_sent", "accepted", "declined", "approval_lapsed")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use allocator.web.tables.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UtcDateTime}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class WebSession(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    flash: Mapped[Any | None] = mapped_column(JSON, default=None)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Round(Base):
    __tablename__ = "rounds"
    __table_args__ = (CheckConstraint(_in("status", ROUND_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    source: Mapped[str] = mapped_column(String(500), default="")
    scenario_json: Mapped[Any] = mapped_column(JSON)
    policy_json: Mapped[Any] = mapped_column(JSON)
    input_sha256: Mapped[str] = mapped_column(String(64))
    policy_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    published_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    #: Bumped by every action (allocator.web.services.lock_round): the cross-process lock.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ProposalRun(Base):
    __tablename__ = "proposals"
    __table_args__ = (UniqueConstraint("round_id", "seq", name="uq_proposals_round_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    input_sha256: Mapped[str] = mapped_column(String(64))
    run_json: Mapped[Any] = mapped_column(JSON)
    proposal_json: Mapped[Any] = mapped_column(JSON)
    locks_json: Mapped[Any] = mapped_column(JSON)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (CheckConstraint(_in("kind", DECISION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    household: Mapped[str] = mapped_column(String(64))
    dwelling: Mapped[str | None] = mapped_column(String(64), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class LoginFailure(Base):
    """A failed login, for throttling across processes: the user when the name is known,
    and a keyed hash of the client address (never the typed name or the address itself)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    address: Mapped[str] = mapped_column(String(64), index=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), default=None, index=True)
    entity: Mapped[str] = mapped_column(String(32), default="")
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[Any | None] = mapped_column(JSON, default=None)
    after: Mapped[Any | None] = mapped_column(JSON, default=None)
