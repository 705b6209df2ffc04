"""Kobo's dwelling import template (35 columns) and its Bolig API JSON as input forms.

The fixture tests/data/kobo_template is a hand-made, synthetic template export: four
buildings, floors H0101-H0402 and U0101, a bofellesskap keyed by ekstrareferanse, vacant,
let (two with a lease end), maintenance and unavailable rows, and a companion table.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from allocator.checker import check_proposal
from allocator.cli import main
from allocator.io.kobo import TEMPLATE_COLUMNS, floor_of, fold
from allocator.io.kobo_input import read_form
from allocator.io.load import read_scenario
from allocator.solve import propose
from models.problems import InputError, Problem
from models.scenario import Category

DATA = Path(__file__).parent / "data" / "kobo_template"
STORGATA = "118/1024 Storgata 5B"
LEV = "117/702 Lars Eriksens veg 11"


def grid(path: Path = DATA / "boligimport.csv") -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def copy_fixture(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DATA, tmp_path / "round"))


def write_grid(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)


def edit_cell(folder: Path, unit: str, column: str, value: str) -> int:
    """Set ``column`` of the Storgata row ``unit``; returns its spreadsheet row number."""
    rows = grid(folder / "boligimport.csv")
    at = rows[0].index(column)
    number = next(i for i, r in enumerate(rows) if r[4] == unit and r[5] == "Storgata") + 1
    rows[number - 1][at] = value
    write_grid(folder / "boligimport.csv", rows)
    return number


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        read_scenario(folder)
    return caught.value.problems


def test_the_fixture_is_the_whole_template() -> None:
    assert len(TEMPLATE_COLUMNS) == 35
    assert grid()[0] == list(TEMPLATE_COLUMNS)


def test_template_loads_with_ids_floors_and_categories() -> None:
    loaded = read_scenario(DATA)
    dwellings = loaded.scenario.dwelling_by_id()
    assert sorted(dwellings) == sorted(
        [
            f"{STORGATA} H0101",
            f"{STORGATA} H0201",
            f"{STORGATA} H0301",
            f"{STORGATA} H0401",
            f"{STORGATA} U0101",
            f"{LEV} H0101",
            f"{LEV} H0201",
            "NS3A-01",
            "118/55 Torget 2 H0101",
        ]
    )
    floors = {
        unit: dwellings[f"{STORGATA} {unit}"].floor
        for unit in ("H0101", "H0201", "H0301", "H0401", "U0101")
    }
    assert floors == {"H0101": 1, "H0201": 2, "H0301": 3, "H0401": 4, "U0101": 0}
    first = dwellings[f"{STORGATA} H0101"]
    assert first.building == STORGATA
    assert (first.bedrooms, first.rent, first.wheelchair) == (2, 9800.0, True)
    assert first.available_from == dt.date(2026, 11, 15)  # statusdato of a vacant row
    assert (first.area_m2, first.rooms, first.elevator) == (64.5, 3, True)  # companion table
    assert dwellings[f"{STORGATA} H0301"].rooms == 2  # bedrooms + 1 living room
    assert dwellings[f"{STORGATA} H0401"].rooms == 1  # a studio
    categories = {d.id: d.category for d in dwellings.values()}
    assert categories["NS3A-01"] is Category.staffed  # erdognbemannet
    assert categories[f"{LEV} H0201"] is Category.adapted  # Omsorgsbolig
    assert categories["118/55 Torget 2 H0101"] is Category.temporary  # sub-type
    assert categories[f"{STORGATA} U0101"] is Category.ordinary  # inline categories
    assert dwellings["NS3A-01"].rooms == 1  # a bofellesskap unit: its bedroom only
    buildings = loaded.scenario.building_by_id()
    assert buildings[STORGATA].school_zone_primary == "Sentrum skole"
    assert buildings[LEV].school_zone_lower_secondary == "Fjell ungdomsskole"


def test_missing_fields_warn_once_each_and_skips_are_counted() -> None:
    warnings = read_scenario(DATA).warnings
    skipped = [w for w in warnings if "hoppet over" in w]
    assert len(skipped) == 1 and "hoppet over 4 Kobo-rader" in skipped[0]
    assert "UTLEID x2" in skipped[0] and "VEDLIKEHOLD x1" in skipped[0]
    for words in ("mangler bruksareal", "mangler antall rom", "mangler heis"):
        found = [w for w in warnings if words in w]
        assert len(found) == 1, (words, warnings)
    assert "3 av 9 ledige boliger mangler bruksareal" in " ".join(warnings)
    assert not any("mangler etasje" in w for w in warnings)  # every row has a unit number


def test_let_dwellings_with_a_lease_end_are_future_vacancies() -> None:
    scenario_yaml = DATA / "scenario.yaml"
    form = read_form(
        {"file": "boligimport.csv", "mapping": "kobo", "details": "boligdetaljer.csv"},
        DATA,
        "$.dwellings",
        str(scenario_yaml),
        dt.date(2026, 11, 23),
    )
    future = {f.row.cells["id"]: (f.available_from, f.certainty) for f, _ in form.future}
    assert future == {
        f"{STORGATA} H0102": (dt.date(2027, 2, 1), 0.5),  # a time-limited lease ends
        f"{STORGATA} H0302": (dt.date(2027, 1, 1), 1.0),  # an open-ended lease with an end
    }


def test_future_vacancies_become_expected_vacancies() -> None:
    loaded = read_scenario(DATA)
    expected = {v.id: v for v in loaded.scenario.expected_vacancies}
    assert sorted(expected) == [f"{STORGATA} H0102", f"{STORGATA} H0302"]
    first = expected[f"{STORGATA} H0102"]
    assert (first.available_from, first.certainty, first.bedrooms, first.floor) == (
        dt.date(2027, 2, 1),
        0.5,
        1,
        1,
    )
    assert first.building == STORGATA and first.rent == 8400.0
    assert expected[f"{STORGATA} H0302"].certainty == 1.0
    assert any(
        "2 utleide boliger blir ledige" in w and "expected_vacancies" in w for w in loaded.warnings
    )


def test_template_round_validates_solves_and_checks(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(DATA)])
    assert result.exit_code == 0, result.output
    assert "9 vacancies" in result.stdout and "advarsel:" in result.stderr
    out = tmp_path / "proposal.json"
    result = runner.invoke(main, ["propose", str(DATA), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["check", str(DATA), str(out)])
    assert result.exit_code == 0, result.output
    matches = {m["household"]: m["dwelling"] for m in json.loads(out.read_text())["matches"]}
    assert matches["H3"] == "NS3A-01"  # the only staffed dwelling
    assert matches["H7"] == f"{LEV} H0201"  # adapted and step-free (elevator)
    assert matches["H1"] == f"{STORGATA} H0201"  # keeps Sentrum skole


def test_excel_template_with_other_columns_and_upper_case_names(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    rows = grid()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Boliger"
    sheet.append(["NOTAT", *(c.upper() for c in rows[0])])
    for row in rows[1:]:
        sheet.append(["intern merknad", *row])
    book.save(folder / "boligimport.xlsx")
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    (folder / "scenario.yaml").write_text(
        text.replace("file: boligimport.csv", "file: boligimport.xlsx")
    )
    from_excel = read_scenario(folder).scenario
    assert from_excel.dwellings == read_scenario(DATA).scenario.dwellings


def test_a_bad_cell_names_its_row_and_column(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    bedrooms_row = edit_cell(folder, "H0301", "antallsoverom", "to")
    unit_row = edit_cell(folder, "H0401", "bruksenhetsnummer", "X0401")
    date_row = edit_cell(folder, "H0101", "statusdato", "31.11.2026")
    found = {(p.location, p.field, p.value) for p in problems_of(folder)}
    assert found == {
        (f"row {bedrooms_row}", "antallsoverom", "to"),
        (f"row {unit_row}", "bruksenhetsnummer", "X0401"),
        (f"row {date_row}", "statusdato", "31.11.2026"),
    }


def test_unknown_building_and_type_are_problems_at_their_cells(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    number = edit_cell(folder, "H0301", "husbokstav", "C")
    type_row = edit_cell(folder, "H0101", "koboboligtype", "Luksusbolig")
    problems = problems_of(folder)
    where = {(p.location, p.field): p for p in problems}
    assert set(where) == {(f"row {number}", "gatenavn"), (f"row {type_row}", "koboboligtype")}
    assert where[(f"row {number}", "gatenavn")].value == "118/1024 Storgata 5C"
    assert "the id of a building" in where[(f"row {number}", "gatenavn")].expected


def test_category_table_from_a_file_overrides_the_defaults(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    (folder / "kategorier.csv").write_text(
        "boligtype;category\nOmsorgsbolig;ordinary\nUkrainabolig;ordinary\n", encoding="utf-8"
    )
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    (folder / "scenario.yaml").write_text(
        text.replace("categories: {Ukrainabolig: ordinary}", "categories: kategorier.csv")
    )
    dwellings = read_scenario(folder).scenario.dwelling_by_id()
    assert dwellings[f"{LEV} H0201"].category is Category.ordinary
    assert dwellings["NS3A-01"].category is Category.staffed  # staffing still wins


def test_companion_row_for_an_unknown_dwelling_is_a_problem(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    with (folder / "boligdetaljer.csv").open("a", encoding="utf-8") as handle:
        handle.write("118/1024 Storgata 5B H0501;70;3;Ja\n")
    [problem] = problems_of(folder)
    assert problem.file == str(folder / "boligdetaljer.csv")
    assert (problem.location, problem.field) == ("row 9", "id")


def test_floors_by_the_address_standard() -> None:
    assert [floor_of(u) for u in ("H0101", "h0402", "U0101", "U0201", "K0101")] == [1, 4, 0, -1, -1]
    assert floor_of("L0101", top_main_floor=3) == 4
    assert [floor_of(u) for u in ("H0001", "H0100", "X0101", "H101", "")] == [None] * 5
    assert fold("BOLIG_MED_HELDØGNS_OMSORG") == fold("Bolig med heldøgns  omsorg")


def api_dwelling(kobo_id: str, unit: str, **kw: Any) -> dict[str, Any]:
    base = {
        "koboId": kobo_id,
        "leverandorBoligId": f"FDV-{kobo_id[:4]}",
        "adresse": {
            "gatenavn": "Storgata",
            "husnummer": 5,
            "husbokstav": "B",
            "postnummer": "3015",
        },
        "eiendom": {"gardsnummer": 118, "bruksnummer": 1024},
        "bruksenhetsnummer": unit,
        "antallSoverom": 2,
        "boligtype": "Utleiebolig",
        "bruksareal": 61.5,
        "erTilgjengeligForRullestolbruker": False,
        "erBofellesskap": False,
        "leiekostnad": {"manedsleie": 9800},
        "egenskaper": [],
        "kvalifisererMvaKompensasjon": False,
        "leieTilEiePotensial": False,
    }
    return {**base, **kw}


def test_kobo_bolig_api_json_loads_like_the_template(tmp_path: Path) -> None:
    boliger = [
        api_dwelling("6f1c2a40-0000-4000-8000-000000000001", "H0201"),
        api_dwelling(
            "6f1c2a40-0000-4000-8000-000000000002",
            "U0101",
            antallSoverom=1,
            erTilgjengeligForRullestolbruker=True,
            etasjenummer=None,
        ),
        api_dwelling(
            "6f1c2a40-0000-4000-8000-000000000003",
            "H0301",
            husstand={"id": "T1"},
            leieforhold={
                "startdato": "2024-01-01",
                "sluttdato": "2027-01-31",
                "erTidsubegrenset": False,
            },
        ),
        api_dwelling(
            "6f1c2a40-0000-4000-8000-000000000004",
            "H0302",
            leieforhold={"startdato": "2021-01-01", "sluttdato": "2026-10-31"},
        ),
    ]
    (tmp_path / "boliger.json").write_text(json.dumps({"boliger": boliger}), encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(
        "as_of: 2026-11-23\ndistricts: [{id: sentrum}]\n"
        f"buildings: [{{id: {STORGATA}, district: sentrum, units: 9}}]\n"
        "dwellings: {file: boliger.json, mapping: kobo-api}\n"
        "households: [{id: H1, approved_on: 2026-01-05, main_applicant: {age: 50}}]\n",
        encoding="utf-8",
    )
    loaded = read_scenario(tmp_path)
    dwellings = loaded.scenario.dwelling_by_id()
    first, second, ended = (dwellings[f"6f1c2a40-0000-4000-8000-00000000000{i}"] for i in (1, 2, 4))
    assert len(dwellings) == 3  # the let one is a future vacancy
    assert (first.building, first.floor, first.bedrooms, first.rent, first.area_m2) == (
        STORGATA,
        2,
        2,
        9800.0,
        61.5,
    )
    assert (second.floor, second.wheelchair) == (0, True)
    assert ended.available_from == dt.date(2026, 11, 1)  # the day after the lease ended
    proposal = propose(loaded.scenario, time_limit_s=10)
    assert check_proposal(loaded.scenario, proposal) == []
    assert len(proposal.matches) == 1


def test_kobo_api_bad_field_names_the_api_path(tmp_path: Path) -> None:
    boliger = [api_dwelling("6f1c2a40-0000-4000-8000-000000000001", "H0201", antallSoverom="mange")]
    (tmp_path / "boliger.json").write_text(json.dumps(boliger), encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(
        f"as_of: 2026-11-23\ndistricts: [{{id: D1}}]\n"
        f"buildings: [{{id: {STORGATA}, district: D1, units: 9}}]\n"
        "dwellings: {file: boliger.json, mapping: kobo-api}\n",
        encoding="utf-8",
    )
    [problem] = problems_of(tmp_path)
    assert (problem.location, problem.field, problem.value) == ("$[0]", "antallSoverom", "mange")
