"""The allocation meeting's web application (tildelingsmøtet).

FastAPI with server-rendered Jinja2 templates; storage with SQLAlchemy 2 and Alembic
(SQLite by default, PostgreSQL by URL). Entry points: `create_app` and `allocator serve`.
See docs/web.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from allocator.web.app import create_app
    from allocator.web.config import WebSettings

__all__ = ["WebSettings", "create_app"]


def __getattr__(name: str) -> Any:
    """Import lazily, so `python -m allocator.web.db` does not import itself twice."""
    if name == "create_app":
        from allocator.web.app import create_app

        return create_app
    if name == "WebSettings":
        from allocator.web.config import WebSettings

        return WebSettings
    raise AttributeError(name)
