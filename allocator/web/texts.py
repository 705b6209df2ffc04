"""Formatting helpers for the templates; every word comes from `allocator.glossary`."""

from __future__ import annotations

from urllib.parse import quote

from allocator import glossary
from allocator.glossary import (
    ACTION_VERB,
    CATEGORY_TEXT,
    CLOCK_SHORT,
    CLOCK_TEXT,
    DECISION_TEXT,
    LOG_ACTION_TEXT,
    NEED_TEXT,
    ROLE_TEXT,
    SITUATION_TEXT,
    SOLVER_TEXT,
    STATE_TEXT,
    STATUS_TEXT,
    SUBSTANCE_TEXT,
    TERMS,
    TIER_TEXT,
)


def nok(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}".replace(",", "\u00a0") + "\u00a0kr"


def number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}".replace(",", "\u00a0")
    return text.replace(".", ",")


def signed(value: float) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "") + number(abs(value)) if value else "0"


def url_id(value: str) -> str:
    """An id as one URL path segment ("H/1" -> "H%2F1"; routes take the rest of the path)."""
    return quote(str(value), safe="")


FILTERS = {
    "when": glossary.moment,
    "day": glossary.day,
    "nok": nok,
    "number": number,
    "signed": signed,
    "tidy": glossary.tidy,
    "u": url_id,
}
GLOBALS = {
    "decision_text": DECISION_TEXT,
    "status_text": STATUS_TEXT,
    "solver_text": SOLVER_TEXT,
    "category_text": CATEGORY_TEXT,
    "need_text": NEED_TEXT,
    "situation_text": SITUATION_TEXT,
    "substance_text": SUBSTANCE_TEXT,
    "action_text": LOG_ACTION_TEXT,
    "tier_text": TIER_TEXT,
    "verb": ACTION_VERB,
    "clock_text": CLOCK_TEXT,
    "clock_short": CLOCK_SHORT,
    "state_text": STATE_TEXT,
    "terms": TERMS,
    "role_text": ROLE_TEXT,
    "count": glossary.count,
}
