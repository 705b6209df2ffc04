"""Structured logs: one JSON object per line, for the batch job and the HTTP API.

Why a whitelist and not free-form logging: the allocator handles data about vulnerable
households, and logs travel further than outputs (log shippers, support tickets, screen
shares). So an event carries only run-level facts -- run and job ids, status, exit code,
timings and counts. Scenario content is never logged. Pseudonymous household or dwelling
ids may be attached under ``ids``, and are written only when both the event and the log are
at debug level. Any other field is dropped (its name is listed under ``dropped``).

Line format: ``{"ts": ..., "level": ..., "event": ..., "run_id": ..., <whitelisted>}``.
Python warnings are routed into the log as ``python.warning`` events (``warnings_to``), so
stderr stays pure JSON lines when it is the log.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

LEVELS: dict[str, int] = {"debug": 10, "info": 20, "warning": 30, "error": 40}

# Fields an event may carry (besides ts, level, event), and the shape each must have.
SCALAR_FIELDS = frozenset(
    {
        "run_id",
        "job_id",
        "status",
        "exit_code",
        "outcome",
        "method",
        "schema_version",
        "error",
        "reproducible",
        "time_limit_s",
        "command",
        "category",
        "warning",
    }
)
MAPPING_FIELDS = frozenset({"timings", "counts", "tiers", "http"})
LIST_FIELDS = frozenset({"files"})
DEBUG_ONLY_FIELDS = frozenset({"ids"})

Scalar = str | int | float | bool | None


def _scalar(value: Any) -> Scalar:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _clean(key: str, value: Any) -> Any:
    """A field value reduced to the allowed shape: scalars, or one level of scalars."""
    if key in SCALAR_FIELDS:
        return _scalar(value)
    if key in MAPPING_FIELDS:
        return {str(k): _scalar(v) for k, v in dict(value).items()}
    if key in LIST_FIELDS:
        return [_scalar(v) for v in value]
    # ids: {"matched": ["H1", ...]} -- pseudonymous ids only, never records.
    return {str(k): [str(i) for i in v] for k, v in dict(value).items()}


class EventLog:
    """A thread-safe JSON-lines writer with a level threshold and a field whitelist."""

    def __init__(
        self, stream: TextIO | None = None, level: str = "info", owns_stream: bool = False
    ) -> None:
        if level not in LEVELS:
            raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
        self._stream = stream
        self._threshold = LEVELS[level]
        self._owns = owns_stream
        self._lock = threading.Lock()

    @classmethod
    def open(cls, target: str | Path | None = None, level: str = "info") -> EventLog:
        """Log to a file (appended), or to stderr when ``target`` is None or ``-``."""
        if target is None or str(target) == "-":
            return cls(sys.stderr, level)
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path.open("a", encoding="utf-8"), level, owns_stream=True)

    @classmethod
    def null(cls) -> EventLog:
        """A log that writes nothing (library use without logging)."""
        return cls(None, "error")

    @property
    def debug_enabled(self) -> bool:
        return self._threshold <= LEVELS["debug"]

    def event(self, name: str, level: str = "info", **fields: Any) -> None:
        """Write one event if ``level`` passes the threshold; see the module docstring."""
        if self._stream is None or LEVELS[level] < self._threshold:
            return
        record: dict[str, Any] = {
            "ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "event": name,
            "run_id": _scalar(fields.pop("run_id", None)),
        }
        dropped = []
        for key, value in fields.items():
            if key in DEBUG_ONLY_FIELDS:
                if level == "debug" and value is not None:
                    record[key] = _clean(key, value)
            elif key in SCALAR_FIELDS | MAPPING_FIELDS | LIST_FIELDS:
                if value is not None:
                    record[key] = _clean(key, value)
            else:
                dropped.append(key)
        if dropped:
            record["dropped"] = sorted(dropped)
        line = json.dumps(record, ensure_ascii=False, sort_keys=False, allow_nan=False, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def close(self) -> None:
        if self._owns and self._stream is not None:
            self._stream.close()
        self._stream = None


def tier_summary(tiers: list[Any]) -> Mapping[str, str]:
    """tier name -> status, for the ``tiers`` field of an event."""
    return {t.name: t.status for t in tiers}


def tier_timings(tiers: list[Any]) -> dict[str, float]:
    """tier name -> wall seconds, for the ``timings`` field of an event."""
    return {f"tier_{t.name}_s": round(float(t.wall_time_s), 4) for t in tiers}


#: Longest warning text logged (library warnings are free text; they hold no records).
WARNING_CHARS = 300


def warning_text(message: Warning | str) -> str:
    text = " ".join(str(message).split())
    return text if len(text) <= WARNING_CHARS else text[: WARNING_CHARS - 1] + "…"


@contextmanager
def warnings_to(log: EventLog) -> Iterator[None]:
    """Route Python warnings into ``log`` as ``python.warning`` events while the block
    runs: where stderr is the JSON-lines log, a bare warning line would break it."""
    original = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        log.event(
            "python.warning",
            level="warning",
            category=category.__name__,
            warning=warning_text(message),
        )

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = original
