"""First start: the cookie-signing key, demo users and the bundled example round."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allocator.web import services
from allocator.web.auth import create_user
from allocator.web.tables import Round, Setting, User

#: Demo users created on an empty database: (login, role, display name).
DEMO_USERS = [
    ("saksbehandler", "caseworker", "Kari Saksbehandler (demo)"),
    ("leder", "lead", "Lars Leder (demo)"),
    ("analytiker", "analyst", "Anne Analytiker (demo)"),
]


@dataclass
class Startup:
    """What the first start created (passwords only when generated, to print once)."""

    users: list[tuple[str, str, str | None]] = field(default_factory=list)
    round_id: int | None = None


def secret_key(db: Session, configured: str | None) -> str:
    """The configured key, else one generated on first start and kept in ``settings``."""
    if configured:
        return configured
    row = db.get(Setting, "secret_key")
    if row is None:
        row = Setting(key="secret_key", value=secrets.token_urlsafe(48))
        db.add(row)
        db.flush()
    return row.value


def demo_users(db: Session, password: str | None) -> list[tuple[str, str, str | None]]:
    """Create the demo users on a database without users. Each gets `password` (from
    $ALLOCATOR_DEMO_PASSWORD) or a random one, returned so it can be printed once."""
    if db.scalar(select(func.count()).select_from(User)):
        return []
    created = []
    for username, role, name in DEMO_USERS:
        chosen = password or secrets.token_urlsafe(12)
        create_user(db, username, role, chosen, display_name=name)
        created.append((username, role, None if password else chosen))
    services.audit(
        db, None, "users.create_demo", entity="user", after={"users": [u for u, _, _ in DEMO_USERS]}
    )
    return created


def first_round(db: Session, scenario_path: Path | None, time_limit_s: float | None) -> int | None:
    """On a database without rounds, create one from `scenario_path` (the example week)."""
    if scenario_path is None or db.scalar(select(func.count()).select_from(Round)):
        return None
    from allocator.io.load import load_scenario

    scenario = load_scenario(scenario_path)
    round_ = services.create_round(
        db,
        scenario,
        name=f"Tildelingsmøte {scenario.as_of:%d.%m.%Y}",
        source=str(scenario_path),
        actor=None,
        time_limit_s=time_limit_s,
    )
    return round_.id
