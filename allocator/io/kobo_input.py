"""The two Kobo input forms of the dwellings table, read into records with their origins.

``dwellings: {file: boligimport.csv, mapping: kobo}`` reads Kobo's dwelling import template
(CSV or Excel, ``sheet:`` optional); ``{file: boliger.json, mapping: kobo-api}`` reads
dwellings as Kobo's Bolig API (v1) describes them (``allocator.io.kobo_api``). Both may
name ``categories:`` (the editable dwelling-type table, inline or a file) and ``details:``
(the companion table with area, rooms, elevator). The rows are mapped by
``allocator.io.kobo`` the same way for both forms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allocator.io.documents import read_tree
from allocator.io.fields import leaf_columns
from allocator.io.kobo import (
    EXCEL_SUFFIXES,
    KOBO_BUILDING_ZONES,
    Detail,
    FutureVacancy,
    KoboRow,
    KoboSource,
    read_categories,
    read_details,
    read_kobo,
    read_side_sheet,
)
from allocator.io.kobo_api import api_source
from allocator.io.origin import Origin
from allocator.io.tables import open_workbook, read_csv, read_sheet, to_record
from models.problems import Problem
from models.scenario import Dwelling

#: ``mapping:`` values of the dwellings table.
KOBO_MAPPINGS = ("kobo", "kobo-api")
SPEC_KEYS = ("file", "sheet", "mapping", "categories", "details")


@dataclass
class KoboForm:
    """What a Kobo dwellings table gave: records, rows (for the buildings' school zones),
    known future vacancies, problems, warnings and the files read."""

    records: list[tuple[dict[str, Any], Origin]] = field(default_factory=list)
    rows: list[tuple[KoboRow, Origin]] = field(default_factory=list)
    future: list[tuple[FutureVacancy, Origin]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def read_form(
    spec: dict[str, Any], folder: Path, where: str, label: str, as_of: dt.date | None
) -> KoboForm:
    """Read the Kobo table ``spec`` names (relative to ``folder``; ``label`` is the
    scenario file, ``where`` the table's JSON path in it)."""
    form = KoboForm()
    mapping, name = spec.get("mapping"), spec.get("file")
    path = folder / str(name)
    form.files.append(str(path))
    source = _source(mapping, path, str(path), spec.get("sheet"), where, label, as_of, form)
    categories, problems, files = read_categories(spec.get("categories"), folder, where, label)
    form.problems += problems
    form.files += files
    details = _details(spec.get("details"), folder, where, label, form)
    if source is None:
        return form
    kobo = read_kobo(source, categories, details, as_of)
    form.problems += kobo.problems
    if kobo.skipped:
        counts = ", ".join(f"{status} x{n}" for status, n in sorted(kobo.skipped.items()))
        form.warnings.append(
            f"{source.file}: hoppet over {sum(kobo.skipped.values())} "
            f"Kobo-rader som ikke er ledige ({counts})"
        )
    form.warnings += kobo.warnings
    specs = leaf_columns(Dwelling)
    for row in kobo.rows:
        origin = _origin(source, row)
        form.rows.append((row, origin))
        if kobo.complete:
            form.records.append((to_record(row.cells, specs), origin))
    for future in kobo.future if kobo.complete else []:
        form.future.append((future, _origin(source, future.row)))
    if form.future:
        first = min(f.available_from for f, _ in form.future)
        form.warnings.append(
            f"{source.file}: {len(form.future)} utleide boliger blir ledige når leieforholdet "
            f"slutter (første {first:%d.%m.%Y}): lagt i expected_vacancies, ikke ledige i "
            "denne runden"
        )
    return form


def _origin(source: KoboSource, row: KoboRow) -> Origin:
    columns = {**row.columns, **{k: source.label(v) for k, v in KOBO_BUILDING_ZONES.items()}}
    return Origin(
        source.file, source.locate(row.row), flat=True, columns=columns, cells=row.source_cells
    )


def _source(
    mapping: Any,
    path: Path,
    file: str,
    sheet: Any,
    where: str,
    label: str,
    as_of: dt.date | None,
    form: KoboForm,
) -> KoboSource | None:
    suffix = path.suffix.lower()
    if mapping == "kobo-api":
        if suffix != ".json":
            form.problems.append(
                Problem(
                    file=label,
                    location=where,
                    field="file",
                    value=path.name,
                    expected="mapping: kobo-api reads a .json file of Kobo Bolig API dwellings",
                )
            )
            return None
        if not path.is_file():
            form.problems.append(Problem(file=file, expected="a file that exists"))
            return None
        document = read_tree(path, file)
        form.problems += document.problems
        if not document.readable:
            return None
        source, problems = api_source(document.tree, file, as_of)
        form.problems += problems
        return source
    if suffix == ".csv":
        found, problems = read_csv(path, file)
    elif suffix in EXCEL_SUFFIXES:
        book, problems = open_workbook(path, file)
        found = None
        if book is not None:
            titles = [
                t
                for t in book.sheetnames
                if sheet is None or t.strip().lower() == str(sheet).lower()
            ]
            if sheet is None and len(titles) > 1:
                titles = [t for t in titles if t.strip().lower() == "dwellings"] or titles
            if len(titles) == 1:
                found, more = read_sheet(book, titles[0], file)
                problems += more
            else:
                problems.append(
                    Problem(
                        file=file,
                        field="sheet",
                        value=sheet,
                        expected="the sheet to read: " + ", ".join(book.sheetnames),
                    )
                )
    else:
        form.problems.append(
            Problem(
                file=label,
                location=where,
                field="file",
                value=path.name,
                expected="mapping: kobo reads a .csv "
                "or .xlsx file (Kobo's dwelling import template)",
            )
        )
        return None
    form.problems += problems
    return None if found is None else KoboSource.of_sheet(found)


def _details(spec: Any, folder: Path, where: str, label: str, form: KoboForm) -> dict[str, Detail]:
    """The companion table (``details: file`` or ``{file, sheet}``), by dwelling id."""
    if spec is None:
        return {}
    name, sheet = (
        (spec, None)
        if isinstance(spec, str)
        else ((spec.get("file"), spec.get("sheet")) if isinstance(spec, dict) else (None, None))
    )
    if not isinstance(name, str) or not name.strip():
        form.problems.append(
            Problem(
                file=label,
                location=f"{where}.details",
                field="details",
                value=spec,
                expected="the name of a CSV/Excel table "
                "with the columns id, area_m2, rooms, elevator",
            )
        )
        return {}
    path = folder / name
    form.files.append(str(path))
    found, problems = read_side_sheet(path, str(path), None if sheet is None else str(sheet))
    form.problems += problems
    if found is None:
        return {}
    details, problems = read_details(found)
    form.problems += problems
    return details
