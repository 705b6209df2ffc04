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

Cells are read as text (pandas ``dtype=str`` with NA detection off; openpyxl cell values
turned into text here), so this module, not a library's guess, decides every conversion.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

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
            yield number, {name: cell for name, cell in zip(self.header, cells, strict=False)
                           if name}


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


def _sheet(file: str, grid: list[list[str]], sheet: str | None = None
           ) -> tuple[Sheet, list[Problem]]:
    """Header + non-blank rows; a cell under no column name is a problem of its row."""
    header = [cell.strip().lower() for cell in grid[0]] if grid else []
    table = Sheet(file=file, header=header, rows=[], sheet=sheet)
    problems = []
    for index, row in enumerate(grid[1:], start=2):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        table.rows.append((index, cells))
        for position, cell in enumerate(cells):
            if cell and (position >= len(header) or not header[position]):
                problems.append(Problem(
                    file=file, location=table.location(index), field=f"column {position + 1}",
                    value=cell, expected=f"no cell outside the {sum(map(bool, header))} "
                                         "columns named in row 1"))
    return table, problems


def read_csv(path: Path, label: str) -> tuple[Sheet | None, list[Problem]]:
    """Read a CSV file as text cells; every failure is a Problem."""
    try:
        text = _decode(path.read_bytes())
    except FileNotFoundError:
        return None, [file_problem(label, "a table file that exists")]
    except OSError as error:
        return None, [file_problem(label, f"a readable file ({error.strerror})")]
    if not text.strip():
        return None, [file_problem(label, "a CSV table with a header row; the file is empty")]
    separator = _separator(text)
    try:
        width = max(len(row) for row in csv.reader(io.StringIO(text), delimiter=separator))
        frame = pd.read_csv(io.StringIO(text), sep=separator, header=None, names=range(width),
                            dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False)
    except (csv.Error, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        return None, [_parser_problem(label, str(error))]
    grid = [["" if _missing(c) else str(c) for c in row] for row in frame.itertuples(index=False)]
    return _sheet(label, grid)


def _missing(cell: Any) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell))


def _parser_problem(label: str, message: str) -> Problem:
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        return file_problem(label, f"at most {fields[1]} cells per row, like the header",
                            value=f"{fields[3]} cells", location=f"line {fields[2]}")
    line = re.search(r"line (\d+)", message)
    return file_problem(label, f"a well-formed CSV table ({message.strip()})",
                        location=f"line {line[1]}" if line else "")


def open_workbook(path: Path, label: str) -> tuple[Workbook | None, list[Problem]]:
    """Open an Excel workbook; a missing, truncated or non-Excel file is a Problem."""
    if not path.is_file():
        return None, [file_problem(label, "an Excel workbook (.xlsx) that exists")]
    try:
        return openpyxl.load_workbook(path, data_only=True), []
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        return None, [file_problem(label, f"an Excel workbook (.xlsx) that opens ({error})")]


def find_sheet(book: Workbook, name: str) -> str | None:
    """The sheet called ``name`` (case-insensitive), or None."""
    for title in book.sheetnames:
        if title.strip().lower() == name.lower():
            return title
    return None


def read_sheet(book: Workbook, title: str, label: str) -> tuple[Sheet, list[Problem]]:
    grid = [[cell_text(v) for v in row] for row in book[title].iter_rows(values_only=True)]
    return _sheet(label, grid, sheet=title)


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


def header_problems(sheet: Sheet, allowed: Mapping[str, Any], table: str,
                    hints: Mapping[str, str] | None = None) -> list[Problem]:
    """Unknown or repeated columns: each a Problem on row 1."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in sheet.header:
        if not name:
            continue
        if name in seen:
            problems.append(Problem(file=sheet.file, location=sheet.location(1), field=name,
                                    value=name, expected="each column once"))
        seen.add(name)
        if name not in allowed:
            problems.append(Problem(file=sheet.file, location=sheet.location(1), field=name,
                                    value=name,
                                    expected=_unknown_column_words(name, allowed, table, hints)))
    return problems


def _unknown_column_words(name: str, allowed: Mapping[str, Any], table: str,
                          hints: Mapping[str, str] | None) -> str:
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
