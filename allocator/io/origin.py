"""Where each record came from, and how a model error becomes a Problem the user can find.

Why: records are validated one by one, away from their file. Each carries an ``Origin``
(file, spreadsheet row or JSON path, and for flat tables the column each field came from)
so pydantic's ``loc`` and ``reference_problems``' ``table``/``index`` can be turned into
"households.csv, row 7: field 'main_applicant.age'" or "$.households[5].main_applicant.age".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from allocator.io.fields import describe, field_specs, spec_at
from models.problems import INCONSISTENT, Problem

_INDEX = re.compile(r"\[\d+\]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Origin:
    """The place of one record: a file plus a row ("row 7") or a JSON path ("$.x[3]")."""

    file: str
    location: str
    flat: bool = False
    columns: Mapping[str, str] = field(default_factory=dict)
    cells: Mapping[str, str] = field(default_factory=dict)
    parts: Mapping[str, Origin] = field(default_factory=dict)

    def column(self, dotted: str) -> str:
        """The column a (dotted, possibly indexed) field was read from."""
        base = _INDEX.sub("", dotted)
        return self.columns.get(base, base)

    def cell(self, dotted: str) -> str | None:
        return self.cells.get(self.column(dotted))

    def problem(self, dotted: str, value: Any, expected: str) -> Problem:
        """A Problem about field ``dotted`` of this record, placed where the user can see it."""
        for prefix, sub in self.parts.items():
            if dotted == prefix or dotted.startswith(prefix + "."):
                return sub.problem(dotted[len(prefix) + 1 :], value, expected)
        if self.flat:
            return Problem(
                file=self.file,
                location=self.location,
                field=self.column(dotted),
                value=plain(value),
                expected=expected,
            )
        return Problem(
            file=self.file,
            location=self.location + json_suffix(dotted),
            field=dotted,
            value=plain(value),
            expected=expected,
        )


def json_suffix(dotted: str) -> str:
    """'main_applicant.age' -> '.main_applicant.age'; 'children[0].age' -> '.children[0].age'."""
    return "." + dotted if dotted else ""


def dotted_loc(loc: Sequence[str | int]) -> str:
    """pydantic loc ('children', 0, 'age') -> 'children[0].age'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def plain(value: Any, depth: int = 0) -> Any:
    """A value as the user wrote it, without Python reprs of dates or models.

    The depth bound also stops at self-referencing YAML (``&a [*a]``).
    """
    if depth > 4:
        return "..."
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {key: plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item, depth + 1) for item in value]
    return value


def _lookup(raw: Any, loc: Sequence[str | int]) -> Any:
    for part in loc:
        try:
            raw = raw[part]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _field_in_message(
    model: type[BaseModel], loc: tuple[str | int, ...], msg: str
) -> tuple[str, ...]:
    """The field a model-level check is about, named in its message (e.g. 'bedrooms 3 ...')."""
    for token in re.findall(r"[A-Za-z_][\w.]*", msg):
        parts = token.split(".")
        for start in range(len(parts)):
            candidate = tuple(parts[start:])
            if all(candidate) and spec_at(model, loc + candidate) is not None:
                return candidate
    return ()


def _expected(model: type[BaseModel], loc: tuple[str | int, ...], error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = spec_at(model, loc[:-1])
        known = ", ".join(field_specs(parent.model)) if parent and parent.model else ""
        return f"no field of this name (known fields: {known})"
    spec = spec_at(model, loc)
    if spec is None:
        return str(error["msg"])
    words = describe(spec)
    if kind == "missing":
        return f"{words} (required)"
    if spec.kind == "date" and _numeric_date(error.get("input")):
        return f"{words}, not a number"
    return words


def validation_problems(
    error: ValidationError, model: type[BaseModel], origin: Origin, raw: Any
) -> list[Problem]:
    """Translate each entry of a record's ValidationError into a located Problem."""
    problems = []
    for entry in error.errors(include_url=False):
        loc = tuple(entry["loc"])
        spec = spec_at(model, loc)
        if entry["type"] == INCONSISTENT:
            problems.append(_record_problem(loc, entry, origin))
            continue
        if entry["type"] in ("value_error", "assertion_error") and (
            spec is None or spec.kind == "model"
        ):
            loc += _field_in_message(model, loc, entry["msg"])
            why = re.sub(r"^(Value|Assertion) error, ", "", entry["msg"])
            expected = f"consistent values ({why})"
            value = _lookup(raw, loc) if len(loc) else None
        else:
            expected = _expected(model, loc, entry)
            value = None if entry["type"] == "missing" else entry.get("input")
        dotted = dotted_loc(loc)
        if origin.flat and origin.cell(dotted) is not None:
            value = origin.cell(dotted)
        problems.append(origin.problem(dotted, value, expected))
    return problems


def _record_problem(
    loc: tuple[str | int, ...], entry: Mapping[str, Any], origin: Origin
) -> Problem:
    """A record-level check (``models.problems.inconsistent``), placed at its first field."""
    context = entry.get("ctx") or {}
    fields = list(context.get("fields") or [])
    here = loc + tuple(fields[0].split(".")) if fields else loc
    message = str(context.get("message") or entry["msg"])
    value = plain(context.get("value"))
    problem = origin.problem(dotted_loc(here), value, message)
    return problem.model_copy(update={"message": message})


def loose_dates(
    model: type[BaseModel], raw: Any, loc: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], Any]]:
    """Date fields given as plain numbers, which pydantic would read as Unix timestamps.

    A date written as ``0`` or ``45000`` (an Excel serial) is a mistake, not 1970-01-01.
    """
    found: list[tuple[tuple[str | int, ...], Any]] = []
    if not isinstance(raw, Mapping):
        return found
    for name, value in raw.items():
        spec = field_specs(model).get(name) if isinstance(name, str) else None
        if spec is None:
            continue
        here = (*loc, name)
        if spec.kind == "date" and _numeric_date(value):
            found.append((here, value))
        elif spec.kind == "model" and spec.model is not None:
            found += loose_dates(spec.model, value, here)
        elif (
            spec.kind == "list"
            and spec.item is not None
            and spec.item.model is not None
            and isinstance(value, list)
        ):
            for index, item in enumerate(value):
                found += loose_dates(spec.item.model, item, (*here, index))
    return found


def _numeric_date(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return (
        isinstance(value, str)
        and not _ISO_DATE.match(value.strip())
        and bool(re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", value))
    )
