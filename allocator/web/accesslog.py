"""The server's access log without household ids: paths under ``/households/`` and
``/letters/`` and every query string (search words, what-if pairs) are cut before a line
is written. `log_config()` is uvicorn's logging set-up with that filter on the access log."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

_ID_PATHS = re.compile(r"/(households|letters)/.*$")


def redact(path: str) -> str:
    """'/rounds/1/households/H/1?x=y' -> '/rounds/1/households/…'."""
    bare, _, query = path.partition("?")
    bare = _ID_PATHS.sub(lambda m: f"/{m[1]}/…", bare)
    return bare + ("?…" if query else "")


class RedactIds(logging.Filter):
    """Rewrites uvicorn's access record (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = redact(str(args[2]))
            record.args = tuple(args)
        return True


def log_config() -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_ids"] = {"()": f"{__name__}.RedactIds"}
    config["handlers"]["access"]["filters"] = ["redact_ids"]
    return config
