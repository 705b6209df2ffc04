"""Dwellings exported from Husbanken's Kobo register, loaded through a column mapping.

Use it in ``scenario.yaml`` as ``dwellings: {file: kobo.csv, mapping: kobo}`` (a CSV file,
or an Excel file with ``sheet:``). Kobo's import columns are DOMAIN.md §5's; the id, building
and date columns are Kobo-style names chosen here. Column names are matched after trimming
and lower-casing. Where a row names several source columns, the first non-empty one wins.

| Kobo column                         | our field                   | notes                  |
|-------------------------------------|-----------------------------|------------------------|
| ``bolignummer``, else ``boligid``   | ``id``                      | required               |
| ``byggnummer``, else ``bygningsid`` | ``building``                | required               |
| ``antallrom``                       | ``rooms``                   |                        |
| ``antallsoverom``                   | ``bedrooms``                | required               |
| ``bruksareal``, else ``p-areal``    | ``area_m2``                 | p-areal if BRA empty   |
| ``etasjenummer``                    | ``floor``                   |                        |
| ``heis``                            | ``elevator``                | yes/no                 |
| ``errullestoltilpasset``            | ``wheelchair``              | yes/no                 |
| ``erdognbemannet``                  | ``category``                | yes: staffed, no: ordinary |
| ``manedsleie``                      | ``rent``                    | required               |
| ``ledigfra``                        | ``available_from``          | required               |
| ``styregodkjenningsdager``          | ``board_approval_days``     |                        |
| ``skolekretsbarneskole``            | building ``school_zone_primary`` | see below         |
| ``skolekretsungdomsskole``          | building ``school_zone_lower_secondary`` | see below |
| ``boligstatus``                     | (which rows are vacancies)  | see below              |

- **Cells** follow the flat-table conventions of ``allocator.io.tables`` (yes/no/ja/nei,
  decimal commas, Norwegian dates, ids as text).
- **School zones** belong to the building in our model. A building without a zone takes it
  from its Kobo rows; a Kobo zone that differs from the building's own zone, or from
  another Kobo row of the same building, is a problem.
- **Status.** Only rows whose ``boligstatus`` means vacant become vacancies:
  ``ledig``, ``ledig for tildeling``, ``klar for tildeling``, ``ledig for utleie`` (any
  case, spaces collapsed). Other rows (``utleid``, ``under oppussing``, an empty status...)
  are skipped and counted in a warning, never an error. Without a ``boligstatus`` column
  every row is a vacancy (the export was filtered already).
- **Other columns** (addresses, cadastre numbers, owner...) are ignored: a register export
  carries many columns the allocator has no use for.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from allocator.io.tables import FALSE_WORDS, TRUE_WORDS, Sheet, id_text
from models.problems import Problem

#: Our dwelling field -> the Kobo columns it is read from, first non-empty wins.
KOBO_DWELLING_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "id": ("bolignummer", "boligid"),
    "building": ("byggnummer", "bygningsid"),
    "rooms": ("antallrom",),
    "bedrooms": ("antallsoverom",),
    "area_m2": ("bruksareal", "p-areal"),
    "floor": ("etasjenummer",),
    "elevator": ("heis",),
    "wheelchair": ("errullestoltilpasset",),
    "category": ("erdognbemannet",),
    "rent": ("manedsleie",),
    "available_from": ("ledigfra",),
    "board_approval_days": ("styregodkjenningsdager",),
})

#: Yes/no Kobo columns whose answer is a word of one of our fields.
KOBO_VALUE_WORDS: Mapping[str, Mapping[bool, str]] = MappingProxyType({
    "erdognbemannet": {True: "staffed", False: "ordinary"},
})

#: Building field -> Kobo column (zones live on the building in our model).
KOBO_BUILDING_ZONES: Mapping[str, str] = MappingProxyType({
    "school_zone_primary": "skolekretsbarneskole",
    "school_zone_lower_secondary": "skolekretsungdomsskole",
})

KOBO_STATUS_COLUMN = "boligstatus"
KOBO_VACANT_STATUSES = frozenset(
    {"ledig", "ledig for tildeling", "klar for tildeling", "ledig for utleie"}
)
KOBO_REQUIRED = ("id", "building", "bedrooms", "rent", "available_from")


@dataclass(frozen=True)
class KoboRow:
    """One vacant Kobo row, renamed to our flat dwelling columns."""

    row: int
    cells: dict[str, str]
    columns: dict[str, str]
    source_cells: dict[str, str]
    building: str
    zones: dict[str, str]


@dataclass
class KoboTable:
    """The vacant rows, problems, skipped statuses; ``complete`` is False when a required
    column is missing (the rows then still tell their buildings' zones, but are no
    vacancies: a problem per row would only repeat the missing column)."""

    rows: list[KoboRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    complete: bool = True


def known_columns() -> set[str]:
    """Every Kobo column the mapping reads."""
    names = {c for sources in KOBO_DWELLING_COLUMNS.values() for c in sources}
    return names | set(KOBO_BUILDING_ZONES.values()) | {KOBO_STATUS_COLUMN}


def is_vacant(status: str) -> bool:
    return re.sub(r"\s+", " ", status.strip().lower()) in KOBO_VACANT_STATUSES


def read_kobo(sheet: Sheet) -> KoboTable:
    """Map a Kobo export's rows to dwelling cells, skipping rows that are not vacant."""
    result = KoboTable(problems=_missing_columns(sheet))
    result.complete = not result.problems
    has_status = KOBO_STATUS_COLUMN in sheet.header
    for number, cells in sheet.records():
        status = cells.get(KOBO_STATUS_COLUMN, "")
        if has_status and not is_vacant(status):
            result.skipped[status or "(empty)"] += 1
            continue
        row, problems = _map_row(sheet, number, cells)
        result.rows.append(row)
        result.problems += problems
    return result


def _missing_columns(sheet: Sheet) -> list[Problem]:
    problems = []
    for target in KOBO_REQUIRED:
        sources = KOBO_DWELLING_COLUMNS[target]
        if not any(source in sheet.header for source in sources):
            problems.append(Problem(
                file=sheet.file, location=sheet.location(1), field=sources[0], value=None,
                expected=f"a Kobo column {' or '.join(sources)} (the dwelling's {target})"))
    return problems


def _map_row(sheet: Sheet, number: int, cells: dict[str, str]) -> tuple[KoboRow, list[Problem]]:
    mapped: dict[str, str] = {}
    columns: dict[str, str] = {}
    problems: list[Problem] = []
    for target, sources in KOBO_DWELLING_COLUMNS.items():
        source = next((s for s in sources if cells.get(s)), sources[0])
        text = cells.get(source, "")
        columns[target] = source
        if source in KOBO_VALUE_WORDS and text:
            word = _yes_no(text)
            if word is None:
                problems.append(Problem(file=sheet.file, location=sheet.location(number),
                                        field=source, value=text,
                                        expected="true or false (also yes/no, ja/nei, 1/0)"))
                continue
            text = KOBO_VALUE_WORDS[source][word]
        mapped[target] = text
    zones = {target: cells[column] for target, column in KOBO_BUILDING_ZONES.items()
             if cells.get(column)}
    building = id_text(mapped.get("building", ""))
    row = KoboRow(row=number, cells=mapped, columns=columns, source_cells=dict(cells),
                  building=str(building), zones=zones)
    return row, problems


def _yes_no(text: str) -> bool | None:
    word = text.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None
