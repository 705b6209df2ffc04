"""The machine interfaces: the HTTP API (FastAPI) and the published JSON Schemas.

``create_app`` is imported lazily so that ``allocator schemas`` does not load FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from allocator.api.settings import ApiSettings
    from allocator.logs import EventLog

__all__ = ["create_app"]


def create_app(settings: ApiSettings | None = None, log: EventLog | None = None) -> FastAPI:
    """The API application; see allocator.api.app."""
    from allocator.api.app import create_app as _create_app

    return _create_app(settings, log)
