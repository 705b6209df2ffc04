"""Server settings of the HTTP API, from arguments or ``ALLOCATOR_API_*`` environment vars.

Tokens are SecretStr so that printing the settings (or an error about them) never shows
them. With no token configured every authenticated request is refused (fail closed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

ENV_TOKENS = "ALLOCATOR_API_TOKENS"
ENV_PREFIX = "ALLOCATOR_API_"
MIN_TOKEN_LENGTH = 16


class ApiSettings(BaseModel):
    """Limits and credentials of one API server."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tokens: tuple[SecretStr, ...] = Field(
        (), description="Accepted bearer tokens (env ALLOCATOR_API_TOKENS, comma-separated)."
    )
    max_body_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, description="Largest request body; larger gives 413."
    )
    max_concurrent_jobs: int = Field(1, ge=1, le=32, description="Solves running at once.")
    max_queued_jobs: int = Field(16, ge=1, description="Jobs waiting; more gives 429.")
    max_kept_jobs: int = Field(200, ge=1, description="Finished jobs kept.")
    max_kept_bytes: int = Field(
        256 * 1024 * 1024,
        ge=1024,
        description="Stored size (compressed JSON) of the finished jobs kept; the oldest "
        "are forgotten beyond it.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the job store; None = SQLite file api-jobs.db "
        "in the data directory ($ALLOCATOR_DATA_DIR, else "
        "~/.local/share/boligtildeling).",
    )
    time_limit_s: float = Field(30.0, gt=0, description="Cap on the policy's solver.time_limit_s.")
    log_file: Path | None = Field(None, description="JSON-lines log; None = stderr.")
    log_level: str = Field("info", pattern="^(debug|info|warning|error)$")

    @field_validator("tokens")
    @classmethod
    def _strong_tokens(cls, tokens: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        for token in tokens:
            if len(token.get_secret_value()) < MIN_TOKEN_LENGTH:
                raise ValueError(f"each API token needs at least {MIN_TOKEN_LENGTH} characters")
        return tokens

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ApiSettings:
        """Settings from ``ALLOCATOR_API_TOKENS``, ``ALLOCATOR_API_MAX_BODY_BYTES``,
        ``ALLOCATOR_API_MAX_CONCURRENT_JOBS``, ``ALLOCATOR_API_TIME_LIMIT_S`` (and the other
        field names upper-cased); keyword overrides that are not None win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        raw_tokens = env.get(ENV_TOKENS, "")
        values["tokens"] = tuple(t.strip() for t in raw_tokens.split(",") if t.strip())
        for name in cls.model_fields:
            key = ENV_PREFIX + name.upper()
            if name != "tokens" and key in env:
                values[name] = env[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)

    def job_database_url(self) -> str:
        """The job store's URL: the configured one, else a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        from allocator.web.config import data_dir

        return f"sqlite:///{data_dir() / 'api-jobs.db'}"

    def token_bytes(self) -> list[bytes]:
        return [t.get_secret_value().encode("utf-8") for t in self.tokens]
