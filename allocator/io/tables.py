"""Flat tables (CSV and Excel) and how their cells become the canonical records.

A scenario folder (or a scenario file) may give each table as a CSV file or an Excel sheet
instead of an inline list. These conventions hold for every flat table:

- **Header.** Row 1 names the columns; the first record is row 2, and problems name rows
  this way, as a spreadsheet shows them. Column names are matched after trimming and
  lower-casing. A column no model field has is a problem (with a "did you mean" hint), as
  is a repeated column or an unnamed column holding data. Blank rows are skipped (they
  keep their row numbers).
- **Nested fields** are dotted column names: ``residents.high_need``,
  ``main_applicant.age``, ``main_applicant.gender``, ``needs.wheelchair``,
  ``needs.step_free``, ``situation.kind``, ``situation.since``, ``situation.release_on``.
- **Empty cell = field omitted**, so the model default applies (DOMAIN.md §5 lists them).
- **Lists** (``excluded_districts``, ``acceptable_districts``, ``preferred_districts``) are
  ``;``-separated ids: ``D1;D3``. An empty cell is an empty list, except
  ``acceptable_districts``, where it means null: any district.
- **Children** are not a column of ``households``: they come from a ``children`` table with
  the columns ``household`` (the household's id), ``age``, ``school_zone``, ``keep_school``.
  Its rows are appended to that household's children in table order. A row naming an
  unknown household is a problem.
- **Booleans** accept ``true/false``, ``yes/no``, ``ja/nei``, ``1/0`` in any case (and
  Excel's TRUE/FALSE cells).
- **Ids are text.** ``1001``, ``1001.0`` (a float written by pandas or Excel) and an Excel
  number cell 1001 all give the id ``"1001"``. Keep leading zeros as text in Excel.
- **Numbers** may use a decimal comma and spaces between thousands: ``8 500,50``.
- **Dates** are ISO ``2026-11-23``, Norwegian ``23.11.2026``, or Excel date cells. A bare
  number in a date column (e.g. an Excel serial 46349) is a problem, not a Unix timestamp.
- **Enum words** (``category``, ``profile``, ``substance_use``, ``situation.kind``, ...)
  are lower-cased before checking, so ``Ordinary`` is ``ordinary``.
- **CSV** files are read as UTF-8 (a BOM is fine) or, failing that, Windows-1252, which
  Norwegian Excel writes. The separator is taken from the header line: ``,``, ``;`` (Excel
  in a Norwegian locale) or a tab. Quote a list cell when the separator is ``;``.
- **Excel** (``.xlsx``): a table is one sheet. Formulas are read as their cached values.
  Only the cells the sheet's XML holds are read (openpyxl's streaming reader), never the
  whole rectangle up to the farthest cell: a stray value in row 1,048,576 or column XFD
  costs nothing and is reported as beyond the limits.
- **Limits** (allocator.io.bounds): at most ``MAX_ROWS`` records and ``MAX_COLUMNS``
  columns per table, ``MAX_FILE_BYTES`` per file, ``MAX_WORKBOOK_UNPACKED_BYTES`` of XML per
  workbook and ``MAX_WORKBOOK_SECONDS`` to read one workbook. Text with control characters
  or lone surrogates is refused in any cell.

Cells are read as text (the csv module; openpyxl cell values turned into text here), so
this module, not a library's guess, decides every conversion.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import time
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from allocator.io.bounds import (
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_WORKBOOK_SECONDS,
    MAX_WORKBOOK_UNPACKED_BYTES,
    shown,
    text_flaw,
)
from allocator.io.fields import Spec
from models.problems import Problem

TRUE_WORDS = frozenset({"true", "yes", "ja", "1"})
FALSE_WORDS = frozenset({"false", "no", "nei", "0"})
_NORWEGIAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_FLOAT_ID = re.compile(r"(-?\d+)\.0*")
_LOCAL_NUMBER = re.compile(r"-?\d{1,3}(?:[ \u00a0]\d{3})+(?:,\d+)?|-?\d+,\d+")


@dataclass
class Sheet:
    """One flat table as text: the header and each non-blank row with its row number."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    sheet: str | None = None

    def location(self, row: int) -> str:
        """'row 7', or "sheet 'households', row 7" for an Excel sheet."""
        return f"sheet '{self.sheet}', row {row}" if self.sheet else f"row {row}"

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each row as {column: cell text}; unnamed columns are left out."""
        for number, cells in self.rows:
            yield (
                number,
                {name: cell for name, cell in zip(self.header, cells, strict=False) if name},
            )


def file_problem(file: str, expected: str, value: Any = None, location: str = "") -> Problem:
    return Problem(file=file, location=location, value=value, expected=expected)


# --- reading -------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _separator(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _sheet(
    file: str, grid: list[tuple[int, list[str]]], sheet: str | None = None
) -> tuple[Sheet, list[Problem]]:
    """Header (row 1) + non-blank numbered rows; a cell under no column name, or holding
    text that cannot be data, is a problem of its row."""
    header_cells = grid[0][1] if grid and grid[0][0] == 1 else []
    header = [cell.strip().lower() for cell in header_cells]
    table = Sheet(file=file, header=header, rows=[], sheet=sheet)
    problems = []
    for index, row in grid:
        cells = [cell.strip() for cell in row]
        for position, cell in enumerate(cells):
            flaw = text_flaw(cell)
            if flaw:
                problems.append(
                    Problem(
                        file=file,
                        location=table.location(index),
                        field=header[position]
                        if position < len(header) and header[position]
                        else f"column {position + 1}",
                        value=shown(cell),
                        expected=flaw,
                    )
                )
                cells[position] = ""
        if index == 1 or not any(cells):
            continue
        table.rows.append((index, cells))
        for position, cell in enumerate(cells):
            if cell and (position >= len(header) or not header[position]):
                problems.append(
                    Problem(
                        file=file,
                        location=table.location(index),
                        field=f"column {position + 1}",
                        value=cell,
                        expected=f"no cell outside the {sum(map(bool, header))} "
                        "columns named in row 1",
                    )
                )
    return table, problems


def _beyond_rows(file: str, location: str, count: str) -> Problem:
    rows = f"{MAX_ROWS:,}".replace(",", " ")
    return file_problem(
        file,
        f"en tabell med høyst {rows} rader med data (del den opp, eller "
        "fjern celler med innhold langt nede)",
        value=count,
        location=location,
    )


def _beyond_columns(file: str, location: str, column: int, value: Any) -> Problem:
    return Problem(
        file=file,
        location=location,
        field=f"column {get_column_letter(column)}" if column <= 18_278 else f"column {column}",
        value=value,
        expected=f"høyst {MAX_COLUMNS} kolonner; denne cellen ligger i kolonne {column}",
    )


def read_csv(path: Path, label: str) -> tuple[Sheet | None, list[Problem]]:
    """Read a CSV file as text cells; every failure is a Problem."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [_too_large(label, size)]
        text = _decode(path.read_bytes())
    except FileNotFoundError:
        return None, [file_problem(label, "a table file that exists")]
    except OSError as error:
        return None, [file_problem(label, f"a readable file ({error.strerror})")]
    if not text.strip():
        return None, [file_problem(label, "a CSV table with a header row; the file is empty")]
    separator = _separator(text)
    grid: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        for number, row in enumerate(reader, start=1):
            if len(row) > MAX_COLUMNS:
                far = max((i for i, cell in enumerate(row) if cell.strip()), default=-1)
                if far >= MAX_COLUMNS:
                    problems.append(
                        _beyond_columns(label, f"row {number}", far + 1, shown(row[far]))
                    )
                row = row[:MAX_COLUMNS]
            if number > MAX_ROWS + 1 and any(cell.strip() for cell in row):
                problems.append(_beyond_rows(label, f"row {number}", f"rad {number}"))
                break
            grid.append((number, row))
    except csv.Error as error:
        return None, [_parser_problem(label, str(error))]
    table, more = _sheet(label, grid)
    return table, problems + more


def _too_large(label: str, size: int) -> Problem:
    return file_problem(
        label,
        f"en fil på høyst {MAX_FILE_BYTES // 2**20} MiB",
        value=f"{size:,} byte".replace(",", " "),
    )


def _missing(cell: Any) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell))


def _parser_problem(label: str, message: str) -> Problem:
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        return file_problem(
            label,
            f"at most {fields[1]} cells per row, like the header",
            value=f"{fields[3]} cells",
            location=f"line {fields[2]}",
        )
    line = re.search(r"line (\d+)", message)
    return file_problem(
        label,
        f"a well-formed CSV table ({message.strip()})",
        location=f"line {line[1]}" if line else "",
    )


@dataclass
class Book:
    """An Excel workbook opened for streaming (openpyxl read-only mode): its sheet names,
    and its sheets read on demand within one time budget. ``close`` releases the file."""

    label: str
    workbook: Workbook
    deadline: float

    @property
    def sheetnames(self) -> list[str]:
        return list(self.workbook.sheetnames)

    def close(self) -> None:
        self.workbook.close()


def open_workbook(path: Path, label: str) -> tuple[Book | None, list[Problem]]:
    """Open an Excel workbook; a missing, truncated, oversized or non-Excel file is a
    Problem. The budget of MAX_WORKBOOK_SECONDS starts here."""
    if not path.is_file():
        return None, [file_problem(label, "an Excel workbook (.xlsx) that exists")]
    deadline = time.monotonic() + MAX_WORKBOOK_SECONDS
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [_too_large(label, size)]
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_WORKBOOK_UNPACKED_BYTES:
            return None, [
                file_problem(
                    label,
                    f"en arbeidsbok som pakket ut er høyst "
                    f"{MAX_WORKBOOK_UNPACKED_BYTES // 2**20} MiB",
                    value=f"{unpacked:,} byte pakket ut".replace(",", " "),
                )
            ]
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    # An untrusted file can make a third-party parser raise almost anything (zip, XML,
    # KeyError for a missing part, ValueError, TypeError...): every one means "not a
    # workbook we can read", and becomes that problem.
    except Exception as error:  # noqa: BLE001
        return None, [file_problem(label, f"an Excel workbook (.xlsx) that opens ({_why(error)})")]
    return Book(label=label, workbook=workbook, deadline=deadline), []


def _why(error: Exception) -> str:
    text = shown(str(error).splitlines()[0] if str(error) else "", 120)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def find_sheet(book: Book, name: str) -> str | None:
    """The sheet called ``name`` (case-insensitive), or None."""
    for title in book.sheetnames:
        if title.strip().lower() == name.lower():
            return title
    return None


def read_sheet(book: Book, title: str, label: str) -> tuple[Sheet, list[Problem]]:
    """One sheet's cells as text, streamed: only the cells its XML holds, at most
    MAX_ROWS data rows and MAX_COLUMNS columns, within the workbook's time budget."""
    location = f"sheet '{title}'"
    grid: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    wide = False
    try:
        worksheet = book.workbook[title]
        # Trust the cells, not the <dimension> the file claims: rows are as long as their
        # last cell, and rows the XML leaves out are skipped (yielded as empty).
        worksheet.reset_dimensions()  # type: ignore[union-attr]
        rows = worksheet.iter_rows(values_only=True)  # type: ignore[union-attr]
        for number, row in enumerate(rows, start=1):
            if number % 1024 == 0 and time.monotonic() > book.deadline:
                problems.append(
                    file_problem(
                        label,
                        f"en arbeidsbok som kan leses på høyst {MAX_WORKBOOK_SECONDS:.0f} s "
                        "(lagre den på nytt, eller som CSV)",
                        value=f"rad {number}",
                        location=location,
                    )
                )
                break
            last = len(row)
            while last and (_missing(row[last - 1]) or row[last - 1] == ""):
                last -= 1
            if not last:
                continue
            if number > MAX_ROWS + 1:
                problems.append(_beyond_rows(label, f"{location}, row {number}", f"rad {number}"))
                break
            if last > MAX_COLUMNS:
                if not wide:
                    problems.append(
                        _beyond_columns(
                            label,
                            f"{location}, row {number}",
                            last,
                            shown(cell_text(row[last - 1])),
                        )
                    )
                wide = True
                last = MAX_COLUMNS
            grid.append((number, [cell_text(v) for v in row[:last]]))
    except Exception as error:  # noqa: BLE001 -- see open_workbook: an unreadable sheet
        problems.append(
            file_problem(
                label, f"an Excel sheet that can be read ({_why(error)})", location=location
            )
        )
    table, more = _sheet(label, grid, sheet=title)
    return table, problems + more


def cell_text(value: Any) -> str:
    """An Excel (or pandas) cell as the text a CSV would hold: 1001.0 -> '1001', NaN -> ''."""
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "date") and hasattr(value, "hour"):  # datetime
        midnight = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
        return value.date().isoformat() if midnight else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- header and cells ------------------------------------------------------------------------


def header_problems(
    sheet: Sheet, allowed: Mapping[str, Any], table: str, hints: Mapping[str, str] | None = None
) -> list[Problem]:
    """Unknown or repeated columns: each a Problem on row 1."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in sheet.header:
        if not name:
            continue
        if name in seen:
            problems.append(
                Problem(
                    file=sheet.file,
                    location=sheet.location(1),
                    field=name,
                    value=name,
                    expected="each column once",
                )
            )
        seen.add(name)
        if name not in allowed:
            problems.append(
                Problem(
                    file=sheet.file,
                    location=sheet.location(1),
                    field=name,
                    value=name,
                    expected=_unknown_column_words(name, allowed, table, hints),
                )
            )
    return problems


def _unknown_column_words(
    name: str, allowed: Mapping[str, Any], table: str, hints: Mapping[str, str] | None
) -> str:
    if hints and name in hints:
        return hints[name]
    close = difflib.get_close_matches(name, list(allowed), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"a column of the {table} table ({', '.join(allowed)}){hint}"


def to_record(cells: Mapping[str, str], specs: Mapping[str, Spec]) -> dict[str, Any]:
    """Cells of one row -> the nested canonical record; empty cells are left out."""
    record: dict[str, Any] = {}
    for column, text in cells.items():
        spec = specs.get(column)
        if spec is None or not text:
            continue
        target = record
        *parents, leaf = column.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = convert(text, spec)
    return record


def convert(text: str, spec: Spec) -> Any:
    """One non-empty cell to the value pydantic should see; unknown words pass unchanged."""
    if spec.kind == "bool":
        word = text.lower()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else text
    if spec.kind == "list":
        item = spec.item or Spec("str")
        return [convert(part.strip(), item) for part in text.split(";") if part.strip()]
    if spec.kind == "id":
        return id_text(text)
    if spec.kind in ("float", "int") and _LOCAL_NUMBER.fullmatch(text):
        return re.sub(r"[ \u00a0]", "", text).replace(",", ".")
    if spec.kind == "date":
        day = _NORWEGIAN_DATE.fullmatch(text)
        return f"{day[3]}-{int(day[2]):02d}-{int(day[1]):02d}" if day else text
    if spec.kind == "enum":
        return text.lower()
    return text


def id_text(value: Any) -> Any:
    """Ids as text: 1001, 1001.0 and ' 1001 ' are all '1001'; other values pass unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        match = _FLOAT_ID.fullmatch(value.strip())
        return match[1] if match else value.strip()
    return value
