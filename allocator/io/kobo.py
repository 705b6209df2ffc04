"""Dwellings from Husbanken's Kobo, loaded through the ``kobo`` column mapping.

Use it in ``scenario.yaml`` as ``dwellings: {file: boligimport.csv, mapping: kobo}`` (CSV, or
Excel with ``sheet:``), optionally with ``categories:`` (the dwelling-type table) and
``details:`` (a companion table with area, rooms, elevator). docs/kobo.md maps every one of
the 35 columns of Kobo's dwelling import template; this docstring says why it works so.

- **Columns** are matched after trimming and lower-casing; columns the mapping does not read
  (owner, meter numbers, deposit, ...) are ignored: a register export carries many.
- **Ids** are built as the issue and Kobo's users name them: the building is
  ``"{gnrbnr} {gatenavn} {husnummer}{husbokstav}"`` (``118/1024 Storgata 5B``), so the
  scenario's buildings table can name it; the dwelling is ``ekstrareferanse`` when set,
  else the building + ``" "`` + ``bruksenhetsnummer`` (``118/1024 Storgata 5B H0201``).
- **Floor** comes from ``bruksenhetsnummer`` by the Norwegian address standard (H0201: main
  floor 02, unit 01; U underetasje, K kjeller, L loft): see ``floor_of``.
- **Status**: ``boligstatus`` + ``statusdato`` say which rows are this round's vacancies and
  from when; a let dwelling (``UTLEID``) whose lease has an end date is a known future
  vacancy; every other row is skipped and counted in one warning.
- **Missing fields**: the template has no area, rooms or elevator. A companion table keyed
  by the same dwelling id may add them; rooms default to bedrooms + 1 (the living room);
  each field still missing gives one warning for the whole file, not one per row.
- **Older exports** with the columns this mapping read before the template
  (``bolignummer``/``boligid``, ``byggnummer``/``bygningsid``, ``ledigfra``, ``antallrom``,
  ``bruksareal``/``p-areal``, ``etasjenummer``, ``heis``, ``styregodkjenningsdager``)
  still load: those columns are read as aliases.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from allocator.io.fields import leaf_columns
from allocator.io.origin import Origin, validation_problems
from allocator.io.tables import (
    FALSE_WORDS,
    TRUE_WORDS,
    Sheet,
    convert,
    id_text,
    open_workbook,
    read_csv,
    read_sheet,
    to_record,
)
from models.problems import Problem
from models.scenario import Category, Dwelling, Id

#: Kobo's dwelling import template, in order (docs/kobo.md maps each column).
TEMPLATE_COLUMNS = (
    "kommunenummer",
    "gnrbnr",
    "festenummer",
    "seksjonsnummer",
    "bruksenhetsnummer",
    "gatenavn",
    "husnummer",
    "husbokstav",
    "postnummer",
    "ekstrareferanse",
    "koboboligtype",
    "underkategoriboligtype",
    "kobodisposisjonsform",
    "boligeiersnavn",
    "boligeiersorganisasjonsnummer",
    "boligeiersmobilnummer",
    "boligstatus",
    "statusdato",
    "manedsleie",
    "malernummerstrom",
    "malernummervann",
    "depositum",
    "errullestoltilpasset",
    "antallsoverom",
    "skolekretsbarneskole",
    "skolekretsungdomsskole",
    "ovriginformasjon",
    "kvalifiserermvakompensasjon",
    "erbofellesskap",
    "erdognbemannet",
    "harpersonalbase",
    "hovedsoker",
    "leieforholdertidsubegrenset",
    "leieforholdstartdato",
    "leieforholdsluttdato",
)

#: Our dwelling field -> the columns it is read from directly, first non-empty wins. The
#: template's own columns come first; the older export's names follow as aliases.
DIRECT_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "bedrooms": ("antallsoverom",),
        "rent": ("manedsleie",),
        "wheelchair": ("errullestoltilpasset",),
        "rooms": ("antallrom",),
        "area_m2": ("bruksareal", "p-areal"),
        "elevator": ("heis",),
        "board_approval_days": ("styregodkjenningsdager",),
    }
)
#: Id columns, first non-empty wins, before the id built from building + bruksenhetsnummer.
#: ``koboid`` and ``leverandorboligid`` are no template columns: the Bolig API form keys on
#: them (allocator.io.kobo_api).
ID_COLUMNS = ("koboid", "leverandorboligid", "ekstrareferanse", "bolignummer", "boligid")
BUILDING_COLUMNS = ("byggnummer", "bygningsid")
ADDRESS_COLUMNS = ("gnrbnr", "gatenavn", "husnummer", "husbokstav")
FLOOR_COLUMNS = ("etasjenummer",)
UNIT_COLUMN = "bruksenhetsnummer"
STATUS_COLUMN = "boligstatus"
STATUS_DATE_COLUMN = "statusdato"
LEGACY_VACANT_FROM = "ledigfra"
TYPE_COLUMNS = ("underkategoriboligtype", "koboboligtype")
STAFFED_COLUMNS = ("erdognbemannet", "harpersonalbase")
SHARED_COLUMN = "erbofellesskap"
LEASE_END_COLUMN = "leieforholdsluttdato"
LEASE_OPEN_ENDED_COLUMN = "leieforholdertidsubegrenset"

#: Building field -> Kobo column (zones live on the building in our model).
KOBO_BUILDING_ZONES: Mapping[str, str] = MappingProxyType(
    {
        "school_zone_primary": "skolekretsbarneskole",
        "school_zone_lower_secondary": "skolekretsungdomsskole",
    }
)

#: ``boligstatus`` words (folded, see ``fold``) that make a row one of this round's vacancies.
VACANT_STATUSES = frozenset(
    {
        "ledig",
        "klar for innflytting",
        "klar for tildeling",
        "ledig for tildeling",
        "ledig for utleie",
    }
)
#: Statuses of a let dwelling: with a lease end date it is a known future vacancy.
LET_STATUSES = frozenset({"utleid", "oppsagt"})
#: Probability that a time-limited lease at its end frees the dwelling (FutureVacancy).
RENEWABLE_LEASE_CERTAINTY = 0.5

#: The usual Kobo dwelling types and sub-types -> our category. A municipality edits this
#: with ``categories:`` (its rows add to and override these); keys are folded (``fold``).
DEFAULT_CATEGORIES: Mapping[str, Category] = MappingProxyType(
    {
        **dict.fromkeys(
            (
                "ordinaer bolig",
                "ordinaer utleiebolig",
                "utleiebolig",
                "kommunal bolig",
                "kommunal utleiebolig",
                "komm.bolig",
                "gjennomgangsbolig",
                "flyktningbolig",
                "flyktningebolig",
                "bolig for flyktninger",
                "rus og psykiatribolig",
                "rus- og psykiatribolig",
                "psykiatribolig",
                "rusbolig",
                "bofellesskap",
                "familiebolig",
                "leie til eie",
            ),
            Category.ordinary,
        ),
        **dict.fromkeys(
            (
                "midlertidig bolig",
                "midlertidig botilbud",
                "akuttbolig",
                "nodbolig",
                "krisebolig",
                "hospits",
            ),
            Category.temporary,
        ),
        **dict.fromkeys(
            (
                "bemannet bolig",
                "bolig med bemanning",
                "bolig med heldogns omsorg",
                "heldogns omsorgsbolig",
                "omsorgsbolig med heldogns bemanning",
                "samlokalisert bolig med bemanning",
                "bofellesskap med bemanning",
                "barnebolig",
                "avlastningsbolig",
            ),
            Category.staffed,
        ),
        **dict.fromkeys(
            (
                "omsorgsbolig",
                "trygdebolig",
                "seniorbolig",
                "eldrebolig",
                "tilrettelagt bolig",
                "tilpasset bolig",
                "rullestolbolig",
                "bolig for personer med funksjonsnedsettelse",
            ),
            Category.adapted,
        ),
        **dict.fromkeys(("ungdomsbolig", "studentbolig", "startbolig for ungdom"), Category.youth),
    }
)

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_UNIT = re.compile(r"([HUKL])(\d{2})(\d{2})", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", "_": " "})


def fold(text: str) -> str:
    """Type and status words compared as Kobo's enums and people write them alike:
    ``BOLIG_MED_HELDØGNS_OMSORG`` and ``Bolig med heldogns omsorg`` are the same word."""
    text = unicodedata.normalize("NFC", text).lower().translate(_FOLD)
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class KoboRow:
    """One Kobo row mapped to our flat dwelling cells, and where each cell came from."""

    row: int
    cells: dict[str, str]
    columns: dict[str, str]
    source_cells: dict[str, str]
    building: str
    zones: dict[str, str]


@dataclass(frozen=True)
class FutureVacancy:
    """A let dwelling whose lease ends: it becomes vacant the day after the end date.

    ``certainty`` (the look-ahead's probability that it frees then): 1 when the tenant is
    leaving (status ``OPPSAGT``, or an open-ended lease that has an end date: notice was
    given); ``RENEWABLE_LEASE_CERTAINTY`` for a time-limited lease reaching its end, since
    such leases are often renewed while the need lasts. The companion table may set it.
    """

    row: KoboRow
    available_from: dt.date
    lease_open_ended: bool | None
    certainty: float = 1.0


@dataclass
class KoboTable:
    """The vacancies, known future vacancies, problems, skipped statuses and warnings.

    ``complete`` is False when a required column is missing: the rows then still tell their
    buildings' zones, but are no vacancies (a problem per row would only repeat the column).
    """

    rows: list[KoboRow] = field(default_factory=list)
    future: list[FutureVacancy] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    complete: bool = True


@dataclass(frozen=True)
class KoboSource:
    """Rows to map: a CSV/Excel sheet, or Kobo Bolig API objects laid out as template rows.

    ``label`` gives the name a problem shows for a column (the API's field path for the
    JSON form); ``locate`` the place of a row (``row 7`` or ``$[3]``).
    """

    file: str
    header: frozenset[str]
    records: Callable[[], Iterator[tuple[int, dict[str, str]]]]
    locate: Callable[[int], str]
    label: Callable[[str], str] = str

    @classmethod
    def of_sheet(cls, sheet: Sheet) -> KoboSource:
        return cls(
            file=sheet.file,
            header=frozenset(sheet.header),
            records=sheet.records,
            locate=sheet.location,
        )


# --- the companion table and the category table ------------------------------------------


class DwellingDetails(BaseModel):
    """A row of the companion table: what the template lacks, by the same dwelling id.

    Bounds are Dwelling's; ``elevator`` may be unknown (empty) rather than false.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id
    area_m2: float | None = Field(None, gt=0, le=1000)
    rooms: int | None = Field(None, ge=1, le=30)
    elevator: bool | None = None
    floor: int | None = Field(None, ge=-5, le=100)
    board_approval_days: int | None = Field(None, ge=0, le=365)
    certainty: float | None = Field(
        None, gt=0, le=1, description="A let dwelling's chance to free at its lease end."
    )


#: Companion columns: ours, and the Kobo register's names for the same fields.
DETAIL_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "bruksareal": "area_m2",
        "p-areal": "area_m2",
        "antallrom": "rooms",
        "heis": "elevator",
        "etasjenummer": "floor",
        "styregodkjenningsdager": "board_approval_days",
        "boligid": "id",
        "bolig": "id",
    }
)


@dataclass(frozen=True)
class Detail:
    """One validated companion row and where it is (for problems about its values)."""

    values: DwellingDetails
    origin: Origin
    columns: dict[str, str]


def read_side_sheet(
    path: Path, label: str, sheet: str | None = None
) -> tuple[Sheet | None, list[Problem]]:
    """A companion or category table: CSV, or an Excel sheet (``sheet`` or the only one)."""
    if path.suffix.lower() not in (".csv", *EXCEL_SUFFIXES):
        return None, [Problem(file=label, value=path.suffix, expected="a .csv or .xlsx table")]
    if path.suffix.lower() == ".csv":
        return read_csv(path, label)
    book, problems = open_workbook(path, label)
    if book is None:
        return None, problems
    titles = [t for t in book.sheetnames if sheet is None or t.strip().lower() == sheet.lower()]
    if len(titles) != 1:
        return None, [
            Problem(
                file=label,
                field="sheet",
                value=sheet,
                expected="the sheet to read: " + ", ".join(book.sheetnames),
            )
        ]
    return read_sheet(book, titles[0], label)


def read_details(sheet: Sheet) -> tuple[dict[str, Detail], list[Problem]]:
    """The companion table by dwelling id; every bad cell or unknown column is a problem."""
    problems: list[Problem] = []
    known = set(DwellingDetails.model_fields) | set(DETAIL_ALIASES)
    for name in sheet.header:
        if name and name not in known:
            problems.append(
                Problem(
                    file=sheet.file,
                    location=sheet.location(1),
                    field=name,
                    value=name,
                    expected="a column of the Kobo companion table: "
                    + ", ".join(sorted(DwellingDetails.model_fields)),
                )
            )
    if "id" not in {DETAIL_ALIASES.get(n, n) for n in sheet.header}:
        problems.append(
            Problem(
                file=sheet.file,
                location=sheet.location(1),
                field="id",
                expected="a column id: the dwelling id as the Kobo mapping "
                "builds it (docs/kobo.md)",
            )
        )
        return {}, problems
    specs = leaf_columns(DwellingDetails)
    found: dict[str, Detail] = {}
    for number, cells in sheet.records():
        renamed = {DETAIL_ALIASES.get(k, k): v for k, v in cells.items() if k in known}
        columns = {DETAIL_ALIASES.get(k, k): k for k in cells if k in known}
        origin = Origin(sheet.file, sheet.location(number), flat=True, columns=columns, cells=cells)
        raw = to_record(renamed, specs)
        try:
            values = DwellingDetails.model_validate(raw)
        except ValidationError as error:
            problems += validation_problems(error, DwellingDetails, origin, raw)
            continue
        if values.id in found:
            earlier = found[values.id].origin.location
            problems.append(
                origin.problem(
                    "id", values.id, f"each dwelling once in the companion table (also {earlier})"
                )
            )
            continue
        found[values.id] = Detail(values, origin, columns)
    return found, problems


def read_categories(
    spec: Any, folder: Path, where: str, label: str
) -> tuple[dict[str, Category], list[Problem], list[str]]:
    """The dwelling-type table: the defaults, with the municipality's rows added on top.

    ``spec`` is an inline mapping ``{Omsorgsbolig: adapted, ...}`` or a CSV/Excel file with
    the columns ``boligtype`` and ``category``. Returns the table, problems, files read.
    """
    table = dict(DEFAULT_CATEGORIES)
    if spec is None:
        return table, [], []
    choices = ", ".join(c.value for c in Category)
    problems: list[Problem] = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            category = _category(value)
            if category is None:
                problems.append(
                    Problem(
                        file=label,
                        location=f"{where}.categories",
                        field=str(key),
                        value=value,
                        expected=f"one of: {choices}",
                    )
                )
            else:
                table[fold(str(key))] = category
        return table, problems, []
    if not isinstance(spec, str) or not spec.strip():
        return (
            table,
            [
                Problem(
                    file=label,
                    location=f"{where}.categories",
                    field="categories",
                    value=spec,
                    expected="a mapping {Kobo type: category} or the "
                    "name of a CSV/Excel table next to the "
                    "scenario",
                )
            ],
            [],
        )
    path = folder / spec
    side_label = str(path)
    sheet, problems = read_side_sheet(path, side_label)
    if sheet is None:
        return table, problems, [side_label]
    for needed in ("boligtype", "category"):
        if needed not in sheet.header:
            problems.append(
                Problem(
                    file=side_label,
                    location=sheet.location(1),
                    field=needed,
                    expected="the columns boligtype and category",
                )
            )
    if problems:
        return table, problems, [side_label]
    for number, cells in sheet.records():
        kind, word = cells.get("boligtype", ""), cells.get("category", "")
        category = _category(word)
        if not kind:
            problems.append(
                Problem(
                    file=side_label,
                    location=sheet.location(number),
                    field="boligtype",
                    value=kind,
                    expected="a Kobo dwelling type or sub-type",
                )
            )
        elif category is None:
            problems.append(
                Problem(
                    file=side_label,
                    location=sheet.location(number),
                    field="category",
                    value=word,
                    expected=f"one of: {choices}",
                )
            )
        else:
            table[fold(kind)] = category
    return table, problems, [side_label]


def _category(word: Any) -> Category | None:
    try:
        return Category(str(word).strip().lower())
    except ValueError:
        return None


# --- the mapping ---------------------------------------------------------------------------


def status_kind(status: str) -> str:
    """``vacant``, ``let`` or ``other`` for a ``boligstatus`` cell."""
    word = fold(status)
    return "vacant" if word in VACANT_STATUSES else "let" if word in LET_STATUSES else "other"


def floor_of(unit: str, top_main_floor: int = 1) -> int | None:
    """The floor of a bruksenhetsnummer, counted as ``Dwelling.floor`` counts (1 = ground).

    By the address standard (matrikkelforskriften): ``H0201`` is main floor 02 (floor 2),
    unit 01. ``U`` (underetasje) floors count down from the ground floor: U01 is 0, U02 -1.
    ``K`` (kjeller) lies below them: K01 is -1. ``L`` (loft) counts up from the building's
    top main floor (``top_main_floor``): L01 above H03 is floor 4. None when not this format.
    """
    match = _UNIT.fullmatch(unit.strip())
    if match is None or int(match[2]) == 0 or int(match[3]) == 0:
        return None
    kind, number = match[1].upper(), int(match[2])
    if kind == "H":
        return number
    if kind == "U":
        return 1 - number
    if kind == "K":
        return -number
    return max(top_main_floor, 1) + number


UNIT_WORDS = (
    "a bruksenhetsnummer like H0201: H (hovedetasje), U (underetasje), K (kjeller) "
    "or L (loft), two digits for the floor and two for the unit"
)


def building_id(cells: Mapping[str, str]) -> str:
    """``"{gnrbnr} {gatenavn} {husnummer}{husbokstav}"``, trimmed, single spaces."""
    number = str(id_text(cells.get("husnummer", ""))) + cells.get("husbokstav", "").strip()
    parts = (cells.get("gnrbnr", ""), cells.get("gatenavn", ""), number)
    return _SPACES.sub(" ", " ".join(parts)).strip()


def read_kobo(
    source: KoboSource | Sheet,
    categories: Mapping[str, Category] | None = None,
    details: Mapping[str, Detail] | None = None,
    as_of: dt.date | None = None,
) -> KoboTable:
    """Map Kobo rows to dwelling cells: vacancies, future vacancies, problems, warnings."""
    if isinstance(source, Sheet):
        source = KoboSource.of_sheet(source)
    mapper = _Mapper(source, categories or DEFAULT_CATEGORIES, details or {}, as_of)
    return mapper.run()


@dataclass
class _Mapper:
    source: KoboSource
    categories: Mapping[str, Category]
    details: Mapping[str, Detail]
    as_of: dt.date | None
    result: KoboTable = field(default_factory=KoboTable)
    missing: Counter[str] = field(default_factory=Counter)
    undated: int = 0
    unknown_subtypes: Counter[str] = field(default_factory=Counter)
    used_details: set[str] = field(default_factory=set)
    id_trouble: bool = False

    def run(self) -> KoboTable:
        self.result.problems = self._missing_columns()
        self.result.complete = not self.result.problems
        records = list(self.source.records())
        top_floor = self._top_main_floors(records)
        has_status = STATUS_COLUMN in self.source.header
        for number, cells in records:
            status = cells.get(STATUS_COLUMN, "")
            kind = status_kind(status) if has_status else "vacant"
            lease_end = cells.get(LEASE_END_COLUMN, "")
            if kind == "other" or (kind == "let" and not lease_end):
                self.result.skipped[status or "(tom)"] += 1
                continue
            row = self._map_row(number, cells, top_floor, vacant=kind == "vacant")
            if kind == "vacant":
                self.result.rows.append(row)
            else:
                self._future(row, number, cells)
        self._unknown_detail_ids()
        self._warn()
        return self.result

    # -- columns and rows ------------------------------------------------------------------

    def _problem(self, number: int, column: str, value: Any, expected: str) -> None:
        self.result.problems.append(
            Problem(
                file=self.source.file,
                location=self.source.locate(number),
                field=self.source.label(column),
                value=value,
                expected=expected,
            )
        )

    def _missing_columns(self) -> list[Problem]:
        header = self.source.header
        needed = {"bedrooms": DIRECT_COLUMNS["bedrooms"], "rent": DIRECT_COLUMNS["rent"]}
        problems = []
        for target, sources in needed.items():
            if not any(s in header for s in sources):
                problems.append(
                    self._header_problem(
                        sources[0],
                        f"a Kobo column {' or '.join(sources)} (the dwelling's {target})",
                    )
                )
        if not any(c in header for c in (UNIT_COLUMN, *ID_COLUMNS)):
            problems.append(
                self._header_problem(
                    UNIT_COLUMN,
                    "a Kobo column bruksenhetsnummer or ekstrareferanse (to name each dwelling)",
                )
            )
        if not any(c in header for c in (*BUILDING_COLUMNS, "gatenavn", "gnrbnr")):
            problems.append(
                self._header_problem(
                    "gatenavn",
                    "the Kobo columns gnrbnr, gatenavn, husnummer, husbokstav (to "
                    "name each building)",
                )
            )
        if STATUS_COLUMN in header and not {STATUS_DATE_COLUMN, LEGACY_VACANT_FROM} & header:
            problems.append(
                self._header_problem(
                    STATUS_DATE_COLUMN, "a Kobo column statusdato (when a vacant dwelling is free)"
                )
            )
        return problems

    def _header_problem(self, column: str, expected: str) -> Problem:
        return Problem(
            file=self.source.file,
            location=self.source.locate(1),
            field=self.source.label(column),
            value=None,
            expected=expected,
        )

    def _top_main_floors(self, records: list[tuple[int, dict[str, str]]]) -> dict[str, int]:
        """Each building's highest H floor in the file, from which loft floors count."""
        top: dict[str, int] = {}
        for _, cells in records:
            unit = cells.get(UNIT_COLUMN, "")
            match = _UNIT.fullmatch(unit.strip())
            if match and match[1].upper() == "H":
                building = self._building(cells)[0]
                top[building] = max(top.get(building, 1), int(match[2]))
        return top

    def _building(self, cells: Mapping[str, str]) -> tuple[str, str]:
        """The building id and the column it is read from (for problems)."""
        for column in BUILDING_COLUMNS:
            if cells.get(column):
                return str(id_text(cells[column])), column
        return building_id(cells), "gatenavn"

    def _map_row(
        self, number: int, cells: dict[str, str], top_floor: Mapping[str, int], vacant: bool
    ) -> KoboRow:
        mapped: dict[str, str] = {}
        columns: dict[str, str] = {}

        def put(target: str, value: str, column: str) -> None:
            mapped[target] = value
            columns[target] = self.source.label(column)

        building, building_column = self._building(cells)
        put("building", building, building_column)
        if not building:
            self._problem(
                number,
                "gatenavn",
                "",
                "an address (gnrbnr, gatenavn, husnummer, husbokstav) naming the building",
            )
        self._id(number, cells, building, put)
        for target, sources in DIRECT_COLUMNS.items():
            source = next((s for s in sources if cells.get(s)), sources[0])
            if cells.get(source):
                put(target, cells[source], source)
        self._floor(number, cells, building, top_floor, put)
        self._category(number, cells, put)
        if vacant:
            self._available_from(number, cells, put)
        else:
            put("available_from", "", LEASE_END_COLUMN)
        self._apply_details(mapped, columns)
        if vacant and not mapped.get("rooms"):
            self.missing["rooms"] += 1
        self._default_rooms(cells, mapped, columns)
        if vacant:
            for target in ("area_m2", "elevator", "floor"):
                if not mapped.get(target):
                    self.missing[target] += 1
        zones = {
            target: cells[column]
            for target, column in KOBO_BUILDING_ZONES.items()
            if cells.get(column)
        }
        source_cells = {self.source.label(k): v for k, v in cells.items()}
        return KoboRow(
            row=number,
            cells=mapped,
            columns=columns,
            source_cells=source_cells,
            building=building,
            zones=zones,
        )

    def _id(
        self,
        number: int,
        cells: Mapping[str, str],
        building: str,
        put: Callable[[str, str, str], None],
    ) -> None:
        for column in ID_COLUMNS:
            if cells.get(column):
                put("id", str(id_text(cells[column])), column)
                return
        unit = cells.get(UNIT_COLUMN, "").strip().upper()
        if not unit:
            self.id_trouble = True
            self._problem(
                number,
                UNIT_COLUMN,
                "",
                f"{UNIT_WORDS} (H0101 for a house with one dwelling), or an ekstrareferanse",
            )
            put("id", "", UNIT_COLUMN)
            return
        put("id", f"{building} {unit}" if building else unit, UNIT_COLUMN)

    def _floor(
        self,
        number: int,
        cells: Mapping[str, str],
        building: str,
        top_floor: Mapping[str, int],
        put: Callable[[str, str, str], None],
    ) -> None:
        explicit = next((c for c in FLOOR_COLUMNS if cells.get(c)), None)
        if explicit is not None:
            put("floor", cells[explicit], explicit)
            return
        unit = cells.get(UNIT_COLUMN, "")
        if not unit:
            return
        floor = floor_of(unit, top_floor.get(building, 1))
        if floor is None:
            self._problem(number, UNIT_COLUMN, unit, UNIT_WORDS)
            self.id_trouble = True
            return
        put("floor", str(floor), UNIT_COLUMN)

    def _category(
        self, number: int, cells: Mapping[str, str], put: Callable[[str, str, str], None]
    ) -> None:
        """Staffed when Kobo says so; else the type table, the sub-type before the type."""
        for column in STAFFED_COLUMNS:
            text = cells.get(column, "")
            if not text:
                continue
            word = _yes_no(text)
            if word is None:
                self._problem(number, column, text, "true or false (also yes/no, ja/nei, 1/0)")
            elif word:
                put("category", Category.staffed.value, column)
                return
        sub, main = (cells.get(c, "").strip() for c in TYPE_COLUMNS)
        if sub and fold(sub) in self.categories:
            put("category", self.categories[fold(sub)].value, TYPE_COLUMNS[0])
        elif main and fold(main) in self.categories:
            put("category", self.categories[fold(main)].value, TYPE_COLUMNS[1])
            if sub:
                self.unknown_subtypes[sub] += 1
        elif main or sub:
            column, value = (TYPE_COLUMNS[1], main) if main else (TYPE_COLUMNS[0], sub)
            self._problem(
                number,
                column,
                value,
                "a dwelling type of the category table (dwellings.categories in "
                "the scenario; docs/kobo.md lists the defaults)",
            )

    def _available_from(
        self, number: int, cells: Mapping[str, str], put: Callable[[str, str, str], None]
    ) -> None:
        for column in (LEGACY_VACANT_FROM, STATUS_DATE_COLUMN):
            if cells.get(column):
                put("available_from", cells[column], column)
                return
        if self.as_of is None:
            self._problem(number, STATUS_DATE_COLUMN, "", "the date the dwelling is free")
            return
        self.undated += 1
        put("available_from", self.as_of.isoformat(), STATUS_DATE_COLUMN)

    def _apply_details(self, mapped: dict[str, str], columns: dict[str, str]) -> None:
        """Companion values win over the row's own: the municipality added them on purpose."""
        detail = self.details.get(mapped.get("id", ""))
        if detail is None:
            return
        self.used_details.add(detail.values.id)
        for target in ("area_m2", "rooms", "elevator", "floor", "board_approval_days"):
            value = getattr(detail.values, target)
            if value is not None:
                mapped[target] = str(value).lower() if isinstance(value, bool) else str(value)
                columns[target] = (
                    f"{detail.columns[target]} ({detail.origin.file}, {detail.origin.location})"
                )

    def _default_rooms(
        self, cells: Mapping[str, str], mapped: dict[str, str], columns: dict[str, str]
    ) -> None:
        """Rooms = bedrooms + the living room; in a bofellesskap the living room is shared,
        so the unit's own rooms are its bedrooms (at least 1)."""
        if mapped.get("rooms"):
            return
        bedrooms = _integer(mapped.get("bedrooms", ""))
        if bedrooms is None:
            return
        shared = _yes_no(cells.get(SHARED_COLUMN, "")) is True
        mapped["rooms"] = str(max(1, bedrooms) if shared else bedrooms + 1)
        columns["rooms"] = self.source.label(DIRECT_COLUMNS["bedrooms"][0])

    def _future(self, row: KoboRow, number: int, cells: Mapping[str, str]) -> None:
        text = cells[LEASE_END_COLUMN]
        end = _date(text)
        if end is None:
            self._problem(number, LEASE_END_COLUMN, text, "a date like 2026-11-23 or 23.11.2026")
            return
        if self.as_of is not None and end < self.as_of:
            self.result.skipped[f"{cells.get(STATUS_COLUMN, '')}, leie utløpt"] += 1
            return
        open_ended = _yes_no(cells.get(LEASE_OPEN_ENDED_COLUMN, ""))
        leaving = open_ended is True or fold(cells.get(STATUS_COLUMN, "")) == "oppsagt"
        certainty = 1.0 if leaving else RENEWABLE_LEASE_CERTAINTY
        detail = self.details.get(row.cells.get("id", ""))
        if detail is not None and detail.values.certainty is not None:
            certainty = detail.values.certainty
        self.result.future.append(
            FutureVacancy(row, end + dt.timedelta(days=1), open_ended, certainty)
        )

    def _unknown_detail_ids(self) -> None:
        """Companion ids the Kobo file lacks; not when its own ids are broken (an echo)."""
        if self.id_trouble:
            return
        known = {r.cells.get("id") for r in self.result.rows}
        known |= {f.row.cells.get("id") for f in self.result.future}
        all_ids = known | self._skipped_ids()
        for dwelling_id, detail in self.details.items():
            if dwelling_id not in all_ids:
                self.result.problems.append(
                    detail.origin.problem(
                        "id", dwelling_id, f"the id of a dwelling in {self.source.file}"
                    )
                )

    def _skipped_ids(self) -> set[str]:
        """Ids of rows that are no vacancies (a companion table may list every dwelling)."""
        ids = set()
        for _, cells in self.source.records():
            building = self._building(cells)[0]
            named = next((str(id_text(cells[c])) for c in ID_COLUMNS if cells.get(c)), None)
            unit = cells.get(UNIT_COLUMN, "").strip().upper()
            ids.add(named if named else f"{building} {unit}")
        return ids

    def _warn(self) -> None:
        """One warning per missing field for the whole file, saying what the rules do."""
        name, total = self.source.file, len(self.result.rows)
        if not total:
            return
        said = {
            "area_m2": "mangler bruksareal (area_m2): trangboddhet (R2) vurderes bare etter "
            "antall rom",
            "rooms": "mangler antall rom (rooms): satt til soverom + 1 stue (i bofellesskap: "
            "soverommene); uten bruksareal teller en ettromsbolig som trangbodd "
            "for én person (SSB)",
            "elevator": "mangler heis (elevator): trinnfri (R8) bare i etasje 1 eller lavere",
            "floor": "mangler etasje: trinnfri (R8) bare med heis",
        }
        for target, words in said.items():
            count = self.missing[target]
            if count:
                self.result.warnings.append(
                    f"{name}: {count} av {total} ledige boliger "
                    f"{words}; legg feltet i tilleggstabellen "
                    "(details:) for å rette det"
                )
        if self.undated and self.as_of is not None:
            self.result.warnings.append(
                f"{name}: {self.undated} ledige boliger uten statusdato: regnet som ledige fra "
                f"tildelingsdatoen {self.as_of:%d.%m.%Y}"
            )
        for sub, count in sorted(self.unknown_subtypes.items()):
            self.result.warnings.append(
                f"{name}: underkategoriboligtype '{sub}' ({count} rader) står ikke i "
                "kategoritabellen; kategorien er tatt fra koboboligtype"
            )


def _yes_no(text: str) -> bool | None:
    word = text.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def _integer(text: str) -> int | None:
    value = convert(text, leaf_columns(Dwelling)["bedrooms"]) if text else None
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _date(text: str) -> dt.date | None:
    value = convert(text.strip(), leaf_columns(Dwelling)["available_from"])
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
