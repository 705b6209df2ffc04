"""Settings of the web application, from arguments and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import scenarios
from allocator.web.terms import LetterTerms

#: The bundled example week, loaded as the first round on an empty database.
BUNDLED_SCENARIO = Path(scenarios.__file__).resolve().parent / "example"


def data_dir() -> Path:
    """Where the default SQLite database lives: $ALLOCATOR_DATA_DIR, else the user's data
    directory ($XDG_DATA_HOME or ~/.local/share)/boligtildeling."""
    explicit = os.environ.get("ALLOCATOR_DATA_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "boligtildeling"


def default_database_url() -> str:
    """$ALLOCATOR_DATABASE_URL, else a SQLite file in `data_dir()`."""
    url = os.environ.get("ALLOCATOR_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'allocator.db'}"


@dataclass(frozen=True)
class WebSettings:
    """Everything the app needs to start. Secrets are never defaults in code: the session
    key comes from $ALLOCATOR_SECRET_KEY or is generated once and kept in the database."""

    database_url: str
    secret_key: str | None = None
    secure_cookies: bool = False
    session_hours: float = 12.0
    solve_time_limit_s: float | None = None
    seed_scenario: Path | None = BUNDLED_SCENARIO
    demo_users: bool = True
    demo_password: str | None = None
    document_templates: Path | None = None
    letter_terms: LetterTerms = LetterTerms()

    @classmethod
    def from_env(cls, database_url: str | None = None, **overrides: object) -> WebSettings:
        limit = os.environ.get("ALLOCATOR_SOLVE_TIME_LIMIT")
        values: dict[str, object] = {
            "database_url": database_url or default_database_url(),
            "secret_key": os.environ.get("ALLOCATOR_SECRET_KEY") or None,
            "secure_cookies": os.environ.get("ALLOCATOR_SECURE_COOKIES", "") in ("1", "true"),
            "solve_time_limit_s": float(limit) if limit else None,
            "demo_password": os.environ.get("ALLOCATOR_DEMO_PASSWORD") or None,
            "document_templates": Path(os.environ["ALLOCATOR_DOCUMENT_TEMPLATES"])
            if os.environ.get("ALLOCATOR_DOCUMENT_TEMPLATES")
            else None,
            "letter_terms": LetterTerms(
                municipality=os.environ.get("ALLOCATOR_MUNICIPALITY") or "Kommunen",
                service=os.environ.get("ALLOCATOR_HOUSING_SERVICE") or "Boligtjenesten",
                answer_days=int(os.environ.get("ALLOCATOR_ANSWER_DAYS") or 7),
                lease_years=int(os.environ.get("ALLOCATOR_LEASE_YEARS") or 3),
            ),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
