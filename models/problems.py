"""Input problems: one record per thing wrong with the input, all reported at once."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

#: The pydantic error type of ``inconsistent``; loaders turn it into a record problem.
INCONSISTENT = "inconsistent"


class Problem(BaseModel):
    """One problem in the input: where it is, which field, the value, what was expected.

    ``table`` and ``index`` locate the problem in the scenario's tables (0-based index);
    loaders translate them into ``file`` and ``location`` (a spreadsheet row or a JSON path)
    the user can open.
    """

    model_config = ConfigDict(frozen=True)

    file: str | None = None
    location: str = ""
    table: str | None = None
    index: int | None = None
    field: str = ""
    value: Any = None
    expected: str = ""
    message: str = Field(
        "",
        description="A record-level problem in words (bokmål), naming the fields and "
        "values that do not fit together; empty for a single bad value.",
    )

    def render(self) -> str:
        location = self.location
        if not location and self.table is not None:
            location = self.table + (f"[{self.index}]" if self.index is not None else "")
        where = ", ".join(p for p in (self.file or "", location) if p) or "input"
        field = f"field '{self.field}'" if self.field else "record"
        if self.message:
            return f"{where}: {field}: {self.message}"
        got = "" if self.value is None else f"got {_short(self.value)}; "
        return f"{where}: {field}: {got}expected {self.expected}"


def inconsistent(message: str, *fields: str, value: Any = None) -> PydanticCustomError:
    """The error a model validator raises when fields do not fit together.

    ``message`` says it in bokmål with the fields and values ("preferred_districts og
    excluded_districts inneholder begge D1"); ``fields`` are the dotted fields it is about
    (the first places the problem: its cell or JSON path); ``value`` is what to show.
    """
    return PydanticCustomError(
        INCONSISTENT, "{message}", {"message": message, "fields": list(fields), "value": value}
    )


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int of over 4,300 digits has no repr
        text = "<et svært langt tall>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputError(Exception):
    """Raised with every problem found in an input; the CLI turns it into exit code 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the input")

    def render(self, limit: int | None = None) -> str:
        """Every problem, one per line; with ``limit``, the first ``limit`` and a count of
        the rest (a 200,000-line list helps nobody on a terminal; ``--json`` has them all)."""
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [f"{len(self.problems)} problem(s) in the input:"]
        lines += [f"  - {p.render()}" for p in shown]
        rest = len(self.problems) - len(shown)
        if rest:
            lines.append(
                f"  … og {rest:,} flere (hele listen: allocator validate --json)".replace(",", " ")
            )
        return "\n".join(lines)
