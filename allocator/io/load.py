"""Load a scenario or a proposal, listing every problem in the input at once.

A scenario is one of:

- a ``.json``, ``.yaml`` or ``.yml`` file holding the canonical tree of DOMAIN.md §5
  (``as_of``, ``policy``, ``districts``, ``buildings``, ``dwellings``, ``households``,
  ``school_access``, ``locks``);
- a folder holding ``scenario.yaml`` (or ``scenario.yml`` / ``scenario.json``) whose tables
  may be inline lists or files next to it.

In either, ``policy`` is an inline object or the name of a YAML/JSON file (relative to the
scenario file) holding any subset of the policy settings. Each table -- ``districts``,
``buildings``, ``dwellings``, ``households``, ``school_access``, ``locks.pinned``,
``locks.forbidden`` (written ``locks: {pinned: ..., forbidden: ...}``) and ``children`` -- is:

- an inline list of canonical records;
- a file name: ``households.csv``; ``tables.xlsx`` (the sheet named like the table, or the
  only sheet); ``households.json`` / ``.yaml`` (a list of canonical records);
- ``{file: tables.xlsx, sheet: households}``, or for dwellings from Husbanken's register
  ``{file: kobo.csv, mapping: kobo}`` (see ``allocator.io.kobo``);
- absent or null: empty, unless ``tables: tables.xlsx`` names a workbook with a sheet for it
  (sheet names: the table names; ``locks.pinned`` may also be ``pinned``, likewise
  ``forbidden``).

CSV and Excel tables follow the flat-table conventions of ``allocator.io.tables`` (dotted
columns for nested fields, ``;``-lists, a ``children`` table, yes/no/ja/nei, ids as text).

Every record is validated on its own with its model, so one bad row does not hide the next;
then the whole scenario is checked with ``models.scenario.reference_problems``. Each Problem
names the file, the spreadsheet row (header = row 1) or JSON path, the field, the value and
what was expected. Nothing is returned unless the whole input is valid.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from allocator.hashing import policy_sha256, scenario_sha256
from allocator.io.bounds import MAX_ROWS
from allocator.io.documents import read_tree
from allocator.io.fields import leaf_columns
from allocator.io.kobo import FutureVacancy, KoboRow
from allocator.io.kobo_input import KOBO_MAPPINGS, SPEC_KEYS, read_form
from allocator.io.origin import Origin, dotted_loc, loose_dates, validation_problems
from allocator.io.tables import (
    Book,
    Sheet,
    find_sheet,
    header_problems,
    id_text,
    open_workbook,
    read_csv,
    read_sheet,
    to_record,
)
from allocator.validation import scenario_problems
from models.policy import Policy
from models.problems import InputError, Problem
from models.proposal import Proposal
from models.scenario import (
    Building,
    Child,
    District,
    Dwelling,
    ExpectedHousehold,
    ExpectedVacancy,
    ForbiddenPair,
    Forecast,
    Household,
    Id,
    Locks,
    PinnedPair,
    Scenario,
    SchoolAccess,
    SchoolZone,
    reference_problems,
)

__all__ = [
    "LoadWarning",
    "Loaded",
    "load_proposal",
    "load_scenario",
    "policy_sha256",
    "read_scenario",
    "scenario_sha256",
]


class ChildRow(Child):
    """A row of the flat ``children`` table: one child and the id of its household."""

    household: Id


TABLE_MODELS: dict[str, type[BaseModel]] = {
    "districts": District,
    "buildings": Building,
    "dwellings": Dwelling,
    "households": Household,
    "school_access": SchoolAccess,
    "school_zones": SchoolZone,
    "expected_vacancies": ExpectedVacancy,
    "expected_households": ExpectedHousehold,
    "locks.pinned": PinnedPair,
    "locks.forbidden": ForbiddenPair,
    "children": ChildRow,
}
TOP_KEYS = (
    "as_of",
    "policy",
    "districts",
    "buildings",
    "dwellings",
    "households",
    "school_access",
    "school_zones",
    "expected_vacancies",
    "expected_households",
    "forecast",
    "locks",
    "children",
    "tables",
)
SCENARIO_FILES = ("scenario.yaml", "scenario.yml", "scenario.json")
TREE_SUFFIXES = (".json", ".yaml", ".yml")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_SHEET_ALIASES = {
    "locks.pinned": ("locks.pinned", "pinned"),
    "locks.forbidden": ("locks.forbidden", "forbidden"),
}
_COLUMN_HINTS = {
    "children": "no 'children' column: children come from the children table "
    "(columns household, age, school_zone, keep_school)"
}


class LoadWarning(UserWarning):
    """Something in the input was skipped on purpose (e.g. Kobo rows that are not vacant)."""


@dataclass(frozen=True)
class Loaded:
    """A valid scenario and the warnings its loading produced."""

    scenario: Scenario
    warnings: list[str]


@dataclass
class _Raw:
    """One record as read, before validation, and where it came from."""

    data: Any
    origin: Origin


@dataclass
class _Table:
    """One table's records, in file order, with their origins.

    A record that failed validation is kept as a partial stand-in (its valid fields only),
    so the whole-scenario checks still see its id and references; ``failed`` holds, per
    record, the fields already reported, whose reference problems would only repeat them.
    """

    records: list[Any] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    failed: list[set[str] | None] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(f is None for f in self.failed)


@dataclass
class _Context:
    """The scenario document being read, and what is collected along the way."""

    label: str
    folder: Path
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    books: dict[Path, Book | None] = field(default_factory=dict)
    kobo_rows: list[tuple[KoboRow, Origin]] = field(default_factory=list)
    kobo_future: list[tuple[FutureVacancy, Origin]] = field(default_factory=list)
    as_of: dt.date | None = None
    workbook: tuple[Path, str] | None = None
    unreadable: set[str] = field(default_factory=set)
    policy_origin: Origin | None = None

    def here(self, name: str) -> tuple[Path, str]:
        """A file named in the scenario: its path and the label problems show."""
        label = str(self.folder / name)
        if label not in self.files:
            self.files.append(label)
        return self.folder / name, label

    def problem(self, location: str, dotted: str, value: Any, expected: str) -> None:
        self.problems.append(
            Problem(
                file=self.label, location=location, field=dotted, value=value, expected=expected
            )
        )


# --- public API -------------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    """The scenario at ``path`` (file or folder); InputError lists every problem found."""
    loaded = read_scenario(path)
    for message in loaded.warnings:
        warnings.warn(message, LoadWarning, stacklevel=2)
    return loaded.scenario


def read_scenario(path: str | Path) -> Loaded:
    """Like ``load_scenario``, but returns the warnings instead of emitting them."""
    context, top = _open_scenario(Path(path))
    try:
        return _read(context, top)
    finally:
        for book in context.books.values():
            if book is not None:
                book.close()


def _read(context: _Context, top: dict[str, Any]) -> Loaded:
    for key in top:
        if key not in TOP_KEYS:
            context.problem("$", str(key), key, "a top-level key: " + ", ".join(TOP_KEYS))
    as_of = context.as_of = _as_of(top, context)
    policy = _policy(top.get("policy"), context)
    forecast = _forecast(top.get("forecast"), context)
    _workbook_shorthand(top.get("tables"), context)
    raws = {table: _read_table(table, top, context) for table in TABLE_MODELS}
    raws["expected_vacancies"] += _kobo_future(context)
    _fill_zones(raws["buildings"], context)
    _attach_children(
        [*raws["households"], *raws["expected_households"]], raws.pop("children"), context
    )
    tables = {table: _validate(table, rows, context) for table, rows in raws.items()}
    context.problems += _reference_problems(
        _stand_in(as_of or dt.date.max, tables), context, tables
    )
    if (
        context.problems
        or as_of is None
        or policy is None
        or not all(t.valid for t in tables.values())
    ):
        raise InputError(_ordered(context.problems, [context.label, *context.files]))
    scenario = _assemble(as_of, policy, tables, forecast)
    # Weights whose objective CP-SAT cannot represent, placed in the policy.
    context.problems += _representation_problems(scenario, context)
    # What propose would refuse beyond the records (pins against every rule), at its row.
    context.problems += _placed(scenario_problems(scenario), context, tables)
    if context.problems:
        raise InputError(_ordered(context.problems, [context.label, *context.files]))
    return Loaded(scenario=scenario, warnings=context.warnings)


def _representation_problems(scenario: Scenario, context: _Context) -> list[Problem]:
    """Weights that would overflow an objective tier for this scenario (allocator.limits),
    placed in the policy where the user wrote them."""
    from allocator.limits import representation_problems

    origin = context.policy_origin or Origin(context.label, "$.policy")
    return [origin.problem(p.field, p.value, p.expected) for p in representation_problems(scenario)]


def load_proposal(path: str | Path) -> Proposal:
    """A proposal JSON file; InputError lists every problem found."""
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError([Problem(file=label, expected="a proposal JSON file that exists")])
    if path.suffix.lower() != ".json":
        raise InputError(
            [Problem(file=label, value=path.suffix, expected="a proposal as a .json file")]
        )
    document = read_tree(path, label)
    if not document.readable:
        raise InputError(document.problems)
    try:
        proposal = Proposal.model_validate(document.tree)
    except ValidationError as error:
        origin = Origin(label, "$")
        problems = validation_problems(error, Proposal, origin, document.tree)
        raise InputError(document.problems + problems) from None
    if document.problems:
        raise InputError(document.problems)
    return proposal


def _open_scenario(path: Path) -> tuple[_Context, dict[str, Any]]:
    """Find and parse the scenario document; anything that stops reading is fatal."""
    label = str(path)
    if path.is_dir():
        found = [name for name in SCENARIO_FILES if (path / name).is_file()]
        if len(found) != 1:
            listing = ", ".join(sorted(p.name for p in path.iterdir())[:12]) or "nothing"
            expected = (
                "a folder holding scenario.yaml (or scenario.json)"
                if not found
                else "one scenario file, not " + " and ".join(found)
            )
            raise InputError(
                [Problem(file=label, value=f"folder holding {listing}", expected=expected)]
            )
        path = path / found[0]
        label = str(Path(label) / found[0])
    elif not path.exists():
        raise InputError(
            [
                Problem(
                    file=label,
                    expected="a scenario file (.json, .yaml, .yml) "
                    "or a folder holding scenario.yaml",
                )
            ]
        )
    if path.suffix.lower() not in TREE_SUFFIXES:
        raise InputError(
            [
                Problem(
                    file=label,
                    value=path.suffix,
                    expected="a scenario as .json, .yaml or .yml, or a folder",
                )
            ]
        )
    document = read_tree(path, label)
    if not document.readable:
        raise InputError(document.problems)
    tree = document.tree
    if tree is None:
        raise InputError(
            [Problem(file=label, expected="a scenario with as_of and tables; the file is empty")]
        )
    if not isinstance(tree, dict):
        raise InputError(
            [
                Problem(
                    file=label,
                    location="$",
                    value=_kind(tree),
                    expected="a mapping with the keys as_of, policy, districts, "
                    "buildings, dwellings, households, ...",
                )
            ]
        )
    context = _Context(label=label, folder=Path(label).parent)
    context.problems += document.problems
    return context, tree


_KIND_WORDS = {
    bool: "true/false",
    int: "a number",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}


def _kind(value: Any) -> str:
    """What the user wrote, in words: "5 (a number)", "[1] (a list)"."""
    text = repr(value)
    text = text if len(text) <= 50 else text[:47] + "..."
    return f"{text} ({_KIND_WORDS.get(type(value), type(value).__name__)})"


def _as_of(top: Mapping[str, Any], context: _Context) -> dt.date | None:
    """The round date, required at the top level."""
    if "as_of" not in top:
        context.problem("$", "as_of", None, "a date like 2026-11-23 (required)")
        return None
    data = {"as_of": top["as_of"]}
    checked = _check(Scenario, data, Origin(context.label, "$"))
    context.problems += checked.problems
    return None if checked.record is None else checked.record.as_of


def _policy(spec: Any, context: _Context) -> Policy | None:
    """The inline policy, or the policy file it names; None when it has problems."""
    if spec is None:
        return Policy()
    return _object_or_file(Policy, "policy", spec, context)  # type: ignore[no-any-return]


def _forecast(spec: Any, context: _Context) -> Forecast | None:
    """The inline forecast rates, or the file it names (``allocator estimate-rates``)."""
    if spec is None:
        return None
    return _object_or_file(Forecast, "forecast", spec, context)  # type: ignore[no-any-return]


def _object_or_file(model: type[BaseModel], key: str, spec: Any, context: _Context) -> Any:
    """An inline object for `key`, or the name of a .yaml/.json file next to the scenario
    holding it; None when it has problems (recorded in `context`)."""
    if isinstance(spec, str):
        path, label = context.here(spec)
        if not path.is_file():
            context.problem(
                f"$.{key}",
                key,
                spec,
                f"a {key} file (.yaml, .json) next to the scenario; {label} does not exist",
            )
            return None
        if path.suffix.lower() not in TREE_SUFFIXES:
            context.problem(f"$.{key}", key, spec, f"a {key} file ending .yaml, .yml, .json")
            return None
        document = read_tree(path, label)
        context.problems += document.problems
        if not document.readable:
            return None
        spec, origin = ({} if document.tree is None else document.tree), Origin(label, "$")
    elif isinstance(spec, dict):
        origin = Origin(context.label, f"$.{key}")
    else:
        context.problem(
            f"$.{key}",
            key,
            spec,
            f"a {key} object, or the name of a {key} file next to the scenario",
        )
        return None
    checked = _check(model, spec, origin)
    context.problems += checked.problems
    context.policy_origin = origin
    return checked.record


# --- tables -------------------------------------------------------------------------------------


def _workbook_shorthand(spec: Any, context: _Context) -> None:
    """`tables: tables.xlsx`: one sheet per table, named like the table."""
    if spec is None:
        return
    if isinstance(spec, dict) and set(spec) == {"file"}:
        spec = spec["file"]
    if not isinstance(spec, str) or Path(spec).suffix.lower() not in EXCEL_SUFFIXES:
        context.problem(
            "$.tables",
            "tables",
            spec,
            "the name of an Excel workbook (.xlsx) with one sheet per table",
        )
        return
    path, label = context.here(spec)
    book = _book(path, label, context, "$.tables", "tables", spec)
    if book is None:
        return
    context.workbook = (path, label)
    names = {alias for aliases in _SHEET_ALIASES.values() for alias in aliases}
    names |= set(TABLE_MODELS) - set(_SHEET_ALIASES)
    for title in book.sheetnames:
        if title.strip().lower() not in names:
            context.warnings.append(
                f"{label}: sheet '{title}' is not a table; ignored "
                f"(tables: {', '.join(sorted(names))})"
            )


def _book(
    path: Path, label: str, context: _Context, location: str, dotted: str, spec: Any
) -> Book | None:
    if path not in context.books:
        if not path.is_file():
            context.problem(
                location, dotted, spec, f"a table file that exists; {label} does not exist"
            )
            context.books[path] = None
            return None
        book, problems = open_workbook(path, label)
        context.problems += problems
        context.books[path] = book
    return context.books[path]


def _table_spec(table: str, top: Mapping[str, Any], context: _Context) -> tuple[Any, str, bool]:
    """The value naming a table, its JSON path, and whether the document names it at all."""
    if not table.startswith("locks."):
        return top.get(table), f"$.{table}", table in top
    locks = top.get("locks")
    key = table.split(".", 1)[1]
    if isinstance(locks, dict):
        if table == "locks.pinned":
            for extra in set(locks) - {"pinned", "forbidden"}:
                context.problem("$.locks", f"locks.{extra}", extra, "pinned or forbidden")
        return locks.get(key), f"$.{table}", key in locks
    if locks is not None and table == "locks.pinned":
        context.problem(
            "$.locks", "locks", _kind(locks), "an object with the lists pinned and forbidden"
        )
    return None, f"$.{table}", False


def _read_table(table: str, top: Mapping[str, Any], context: _Context) -> list[_Raw]:
    """A table's records; a table that gave problems and no rows is noted as unreadable,
    so references into it are not reported once per referring row."""
    before = len(context.problems)
    raws = _table_raws(table, top, context)
    if not raws and len(context.problems) > before:
        context.unreadable.add(table)
    if len(raws) > MAX_ROWS:  # sheets and CSV files stop reading there themselves
        extra = raws[MAX_ROWS]
        context.problems.append(
            Problem(
                file=extra.origin.file,
                location=extra.origin.location,
                value=f"{len(raws)} poster",
                expected=f"en tabell med høyst {MAX_ROWS:,} poster".replace(",", " "),
            )
        )
        raws = raws[:MAX_ROWS]
    return raws


def _table_raws(table: str, top: Mapping[str, Any], context: _Context) -> list[_Raw]:
    """The records of one table, wherever the scenario says they are."""
    spec, where, named = _table_spec(table, top, context)
    if not named and context.workbook is not None:
        return _workbook_table(table, context)
    if spec is None:
        return []
    if isinstance(spec, list):
        return [_Raw(item, Origin(context.label, f"{where}[{i}]")) for i, item in enumerate(spec)]
    if isinstance(spec, str):
        spec = {"file": spec}
    if isinstance(spec, dict):
        return _file_table(table, spec, where, context)
    context.problem(
        where,
        where[2:],
        _kind(spec),
        f"a list of records (the {table} table), or the name of a table file "
        "(.csv, .xlsx) next to the scenario",
    )
    return []


def _workbook_table(table: str, context: _Context) -> list[_Raw]:
    assert context.workbook is not None
    path, label = context.workbook
    book = context.books.get(path)
    if book is None:
        return []
    for name in _SHEET_ALIASES.get(table, (table,)):
        title = find_sheet(book, name)
        if title is not None:
            sheet, problems = read_sheet(book, title, label)
            context.problems += problems
            return _sheet_table(table, sheet, context)
    return []


def _file_table(table: str, spec: dict[str, Any], where: str, context: _Context) -> list[_Raw]:
    """A table in a file: CSV, an Excel sheet, or a JSON/YAML list; maybe Kobo-mapped."""
    for key in set(spec) - set(SPEC_KEYS):
        context.problem(
            where,
            f"{where[2:]}.{key}",
            key,
            "file, sheet or mapping (and for Kobo: categories, details)",
        )
    name, mapping = spec.get("file"), spec.get("mapping")
    if not isinstance(name, str) or not name.strip():
        context.problem(where, f"{where[2:]}.file", name, "the name of a table file")
        return []
    if mapping is not None and (mapping not in KOBO_MAPPINGS or table != "dwellings"):
        context.problem(
            where,
            f"{where[2:]}.mapping",
            mapping,
            "mapping: kobo (Kobo's import template) or kobo-api (Kobo Bolig API "
            "JSON), for the dwellings table only",
        )
        return []
    if mapping is not None:
        return _kobo_table(spec, where, context)
    for key in ("categories", "details"):
        if key in spec:
            context.problem(where, f"{where[2:]}.{key}", key, "mapping: kobo with " + key)
    path, label = context.here(name)
    suffix = path.suffix.lower()
    if suffix not in (".csv", *EXCEL_SUFFIXES, *TREE_SUFFIXES):
        context.problem(where, f"{where[2:]}.file", name, "a .csv, .xlsx, .json or .yaml file")
        return []
    if suffix in EXCEL_SUFFIXES:
        return _excel_table(table, spec, where, context)
    if not path.is_file():
        context.problem(
            where, f"{where[2:]}.file", name, f"a table file that exists; {label} does not exist"
        )
        return []
    if suffix in TREE_SUFFIXES:
        return _tree_table(table, path, label, context)
    sheet, problems = read_csv(path, label)
    context.problems += problems
    return [] if sheet is None else _sheet_table(table, sheet, context)


def _excel_table(table: str, spec: dict[str, Any], where: str, context: _Context) -> list[_Raw]:
    path, label = context.here(spec["file"])
    book = _book(path, label, context, where, f"{where[2:]}.file", spec["file"])
    if book is None:
        return []
    wanted = spec.get("sheet")
    names = (str(wanted),) if wanted is not None else _SHEET_ALIASES.get(table, (table,))
    title = next((t for t in map(lambda n: find_sheet(book, n), names) if t), None)
    if title is None and wanted is None and len(book.sheetnames) == 1:
        title = book.sheetnames[0]
    if title is None:
        context.problem(
            where,
            f"{where[2:]}.sheet",
            wanted or table,
            f"a sheet of {label}: {', '.join(book.sheetnames)}",
        )
        return []
    sheet, problems = read_sheet(book, title, label)
    context.problems += problems
    return _sheet_table(table, sheet, context)


def _tree_table(table: str, path: Path, label: str, context: _Context) -> list[_Raw]:
    document = read_tree(path, label)
    context.problems += document.problems
    tree = document.tree
    if not document.readable or tree is None:
        return []
    if not isinstance(tree, list):
        context.problems.append(
            Problem(
                file=label,
                location="$",
                value=_kind(tree),
                expected=f"a list of records (the {table} table)",
            )
        )
        return []
    return [_Raw(item, Origin(label, f"$[{i}]")) for i, item in enumerate(tree)]


def _sheet_table(table: str, sheet: Sheet, context: _Context) -> list[_Raw]:
    """Rows of a flat table -> canonical records with their row origins."""
    specs = leaf_columns(TABLE_MODELS[table], ("children",))
    context.problems += header_problems(sheet, specs, table, _COLUMN_HINTS)
    raws = []
    for number, cells in sheet.records():
        origin = Origin(sheet.file, sheet.location(number), flat=True, cells=cells)
        raws.append(_Raw(to_record(cells, specs), origin))
    return raws


def _kobo_table(spec: dict[str, Any], where: str, context: _Context) -> list[_Raw]:
    """Dwellings from Kobo (allocator.io.kobo_input): vacancies, and future vacancies."""
    form = read_form(spec, context.folder, where, context.label, context.as_of)
    for label in form.files:
        if label not in context.files:
            context.files.append(label)
    context.problems += form.problems
    context.warnings += form.warnings
    context.kobo_rows += form.rows
    context.kobo_future += form.future
    return [_Raw(record, origin) for record, origin in form.records]


def _kobo_future(context: _Context) -> list[_Raw]:
    """Let Kobo dwellings whose lease ends: known future vacancies, after the listed ones."""
    specs = leaf_columns(Dwelling)
    raws = []
    for future, origin in context.kobo_future:
        record = to_record(future.row.cells, specs)
        record.update(available_from=future.available_from.isoformat(), certainty=future.certainty)
        raws.append(_Raw(record, origin))
    return raws


# --- joining tables -----------------------------------------------------------------------------


def _ids(raws: list[_Raw]) -> dict[str, _Raw]:
    """Records by id (first one wins), for records that have an id at all."""
    found: dict[str, _Raw] = {}
    for raw in raws:
        if isinstance(raw.data, dict) and raw.data.get("id") is not None:
            found.setdefault(str(id_text(raw.data["id"])), raw)
    return found


def _fill_zones(buildings: list[_Raw], context: _Context) -> None:
    """Kobo rows carry school zones; a building without its own takes theirs."""
    by_id = _ids(buildings)
    chosen: dict[tuple[str, str], tuple[str, Origin]] = {}
    for row, origin in context.kobo_rows:
        building = by_id.get(row.building)
        if building is None:
            continue
        for target, zone_text in row.zones.items():
            zone = str(id_text(zone_text))
            own = building.data.get(target)
            if own not in (None, ""):
                if str(id_text(own)) != zone:
                    context.problems.append(
                        origin.problem(
                            target,
                            zone_text,
                            (
                                f"the {target} of building {row.building}: {own} "
                                f"({building.origin.file}, {building.origin.location})"
                            ),
                        )
                    )
                continue
            earlier = chosen.setdefault((row.building, target), (zone, origin))
            if earlier[0] != zone:
                context.problems.append(
                    origin.problem(
                        target,
                        zone_text,
                        (
                            f"the same zone as the other Kobo rows of building {row.building}: "
                            f"{earlier[0]} ({earlier[1].location})"
                        ),
                    )
                )
    for (building_id, target), (zone, _) in chosen.items():
        raw = by_id[building_id]
        raw.data = {**raw.data, target: zone}


def _attach_children(households: list[_Raw], children: list[_Raw], context: _Context) -> None:
    """Rows of the children table join their household's ``children`` list."""
    by_id = _ids(households)
    for raw in children:
        checked = _check(ChildRow, raw.data, raw.origin)
        context.problems += checked.problems
        named = raw.data.get("household") if isinstance(raw.data, dict) else None
        if named is None or "household" in checked.failed:
            continue
        household = by_id.get(str(id_text(named)))
        if household is None:
            if "households" not in context.unreadable:
                context.problems.append(
                    raw.origin.problem("household", named, "the id of a household in the scenario")
                )
            continue
        existing = household.data.get("children", [])
        if checked.record is None or not isinstance(existing, list):
            continue  # reported already, here or by the household's own validation
        child = Child.model_validate(checked.record.model_dump(exclude={"household"}))
        household.data = {**household.data, "children": [*existing, child]}
        parts = {**household.origin.parts, f"children[{len(existing)}]": raw.origin}
        household.origin = replace(household.origin, parts=parts)


# --- validation ---------------------------------------------------------------------------------


@dataclass
class _Checked:
    """One record validated on its own: the model (None if invalid), its problems, and the
    top-level fields they are about."""

    record: Any = None
    problems: list[Problem] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)


def _check(model: type[BaseModel], data: Any, origin: Origin) -> _Checked:
    """Validate one record: the model's errors, and dates given as numbers."""
    result = _Checked()
    failed_locs: set[str] = set()
    try:
        result.record = model.model_validate(data)
    except ValidationError as error:
        result.problems = validation_problems(error, model, origin, data)
        for entry in error.errors():
            failed_locs.add(".".join(map(str, entry["loc"])))
            result.failed.add(str(entry["loc"][0]) if entry["loc"] else "")
    for loc, value in loose_dates(model, data):
        if ".".join(map(str, loc)) not in failed_locs:
            result.problems.append(
                origin.problem(dotted_loc(loc), value, "a date like 2026-11-23, not a number")
            )
            result.failed.add(str(loc[0]))
            result.record = None
    return result


def _validate(table: str, raws: list[_Raw], context: _Context) -> _Table:
    """Each record on its own; broken ones are kept as partial stand-ins (see _Table)."""
    model = TABLE_MODELS[table]
    result = _Table()
    for raw in raws:
        checked = _check(model, raw.data, raw.origin)
        context.problems += checked.problems
        valid = checked.record is not None
        record = checked.record if valid else _partial(model, raw.data, checked.failed)
        if record is not None:
            result.records.append(record)
            result.origins.append(raw.origin)
            result.failed.append(None if valid else checked.failed)
    return result


_UNKNOWN = "\x00unknown"


def _partial(model: type[BaseModel], data: Any, failed: set[str]) -> BaseModel | None:
    """A stand-in built from the fields that validate on their own; None if not a mapping."""
    if not isinstance(data, Mapping):
        return None
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in data and name not in failed:
            try:
                values[name] = _adapter(model, name).validate_python(data[name])
                continue
            except ValidationError:
                pass
        if info.is_required():
            values[name] = _placeholder(info.annotation)
    return model.model_construct(**values)


@cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    """A validator for one field alone (its type and constraints, no model checks)."""
    info = model.model_fields[name]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]  # type: ignore[valid-type]
    return TypeAdapter(annotation)


def _placeholder(annotation: Any) -> Any:
    """A value no reference check can trip on: an unknown id, the earliest date."""
    if annotation is dt.date:
        return dt.date.min
    return _UNKNOWN if annotation is str else None


def _tables_tree(tables: Mapping[str, _Table]) -> dict[str, Any]:
    return {
        **{
            name: tables[name].records
            for name in (
                "districts",
                "buildings",
                "dwellings",
                "households",
                "school_access",
                "school_zones",
                "expected_vacancies",
                "expected_households",
            )
        },
        "locks": {
            "pinned": tables["locks.pinned"].records,
            "forbidden": tables["locks.forbidden"].records,
        },
    }


def _assemble(
    as_of: dt.date, policy: Policy, tables: Mapping[str, _Table], forecast: Forecast | None = None
) -> Scenario:
    """The scenario of valid records (references are checked separately)."""
    data = {"as_of": as_of, "policy": policy, **_tables_tree(tables), "forecast": forecast}
    return Scenario.model_validate(data, context={"skip_references": True})


def _stand_in(as_of: dt.date, tables: Mapping[str, _Table]) -> Scenario:
    """A scenario of valid and partial records, unvalidated, for the reference checks."""
    tree = _tables_tree(tables)
    locks = Locks.model_construct(**tree.pop("locks"))
    return Scenario.model_construct(as_of=as_of, locks=locks, **tree)


def _placed(
    problems: list[Problem], context: _Context, tables: Mapping[str, _Table]
) -> list[Problem]:
    """Problems of a valid scenario placed at the rows they are about."""
    out = []
    for problem in problems:
        table = tables.get(problem.table or "")
        if table is None or problem.index is None or problem.index >= len(table.origins):
            out.append(problem.model_copy(update={"file": context.label}))
        else:
            out.append(
                table.origins[problem.index].problem(problem.field, problem.value, problem.expected)
            )
    return out


def _reference_problems(
    scenario: Scenario, context: _Context, tables: Mapping[str, _Table]
) -> list[Problem]:
    """Whole-scenario problems placed at their rows, minus echoes of problems reported."""
    problems = []
    for problem in reference_problems(scenario):
        table = tables.get(problem.table or "")
        if table is None or problem.index is None or problem.index >= len(table.origins):
            problems.append(problem.model_copy(update={"file": context.label}))
            continue
        failed = table.failed[problem.index] or set()
        if (
            problem.value == _UNKNOWN
            or re.split(r"[.\[]", problem.field)[0] in failed
            or _into_unreadable(problem, context.unreadable)
        ):
            continue
        origin = table.origins[problem.index]
        problems.append(origin.problem(problem.field, problem.value, problem.expected))
    return problems


_REFERENCED_TABLES = {
    "the id of a district": ("districts",),
    "the id of a building": ("buildings",),
    "the id of a dwelling": ("dwellings",),
    "the id of a household": ("households",),
    "the id of a school zone": ("buildings", "school_access"),
}


def _into_unreadable(problem: Problem, unreadable: set[str]) -> bool:
    """An unknown-id problem about a table that could not be read at all."""
    for words, tables in _REFERENCED_TABLES.items():
        if problem.expected.startswith(words):
            return any(table in unreadable for table in tables)
    return False


def _ordered(problems: list[Problem], files: list[str]) -> list[Problem]:
    """Problems by file (in reading order), then by row; exact repeats dropped."""
    unique = list({p.render(): p for p in problems}.values())
    rank = {name: index for index, name in enumerate(files)}

    def key(item: tuple[int, Problem]) -> tuple[int, int, int]:
        seq, p = item
        row = re.search(r"(?:row|line) (\d+)", p.location)
        return rank.get(p.file or "", len(rank)), int(row[1]) if row else 0, seq

    return [p for _, p in sorted(enumerate(unique), key=key)]
