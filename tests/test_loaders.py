"""Every scenario format loads to the same Scenario and the same hashes (allocator.io.load)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from allocator.io.fields import Spec
from allocator.io.load import (
    LoadWarning,
    load_proposal,
    load_scenario,
    policy_sha256,
    read_scenario,
    scenario_sha256,
)
from allocator.io.tables import cell_text, convert, id_text
from models.policy import Policy
from models.problems import InputError, Problem
from models.scenario import Category, Scenario

DATA = Path(__file__).parent / "data" / "loaders"
CSV_TABLES = {
    "districts": "districts.csv",
    "buildings": "buildings.csv",
    "dwellings": "dwellings.csv",
    "households": "households.csv",
    "children": "children.csv",
    "school_access": "school_access.csv",
    "pinned": "pinned.csv",
    "locks.forbidden": "forbidden.csv",
}


def read_grid(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    return list(csv.reader(text.splitlines(), delimiter=delimiter))


def spreadsheet_value(text: str) -> Any:
    """What a person typing into Excel would get: numbers, dates and booleans as such."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text or None


def write_workbook(path: Path, sheets: dict[str, list[list[str]]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, grid in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(grid, start=1):
            for c, text in enumerate(row, start=1):
                sheet.cell(row=r, column=c, value=text if r == 1 else spreadsheet_value(text))
    book.save(path)


def excel_folder(tmp_path: Path) -> Path:
    """The csv/ fixture as one workbook, one sheet per table, via `tables: tables.xlsx`."""
    folder = tmp_path / "excel"
    folder.mkdir()
    sheets = {name: read_grid(DATA / "csv" / file) for name, file in CSV_TABLES.items()}
    write_workbook(folder / "tables.xlsx", sheets)
    shutil.copy(DATA / "policy.yaml", tmp_path / "policy.yaml")
    (folder / "scenario.yaml").write_text(
        "as_of: 2026-11-23\npolicy: ../policy.yaml\ntables: tables.xlsx\n", encoding="utf-8"
    )
    return folder


def json_with_table_files(tmp_path: Path) -> Path:
    """A single JSON file naming its tables as CSV files and an Excel sheet."""
    folder = tmp_path / "mixed"
    shutil.copytree(DATA / "csv", folder)
    write_workbook(folder / "book.xlsx", {"vacancies": read_grid(DATA / "csv" / "dwellings.csv")})
    shutil.copy(DATA / "policy.yaml", folder / "policy.yaml")
    tree = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    tree.update(
        as_of="2026-11-23",
        policy="policy.yaml",
        dwellings={"file": "book.xlsx", "sheet": "vacancies"},
    )
    path = folder / "round.json"
    path.write_text(json.dumps(tree), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference() -> Scenario:
    return load_scenario(DATA / "canonical.yaml")


FORMATS = {
    "yaml": lambda tmp: DATA / "canonical.yaml",
    "json": lambda tmp: DATA / "canonical.json",
    "yml": lambda tmp: Path(shutil.copy(DATA / "canonical.yaml", tmp / "round.yml")),
    "csv-folder": lambda tmp: DATA / "csv",
    "csv-scenario-file": lambda tmp: DATA / "csv" / "scenario.yaml",
    "excel": excel_folder,
    "json-with-table-files": json_with_table_files,
}


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_loads_the_same_scenario(
    name: str, tmp_path: Path, reference: Scenario
) -> None:
    if name == "yml":
        shutil.copy(DATA / "policy.yaml", tmp_path / "policy.yaml")
    loaded = load_scenario(FORMATS[name](tmp_path))
    assert loaded.model_dump() == reference.model_dump()
    assert scenario_sha256(loaded) == scenario_sha256(reference)
    assert policy_sha256(loaded.policy) == policy_sha256(reference.policy)


def test_reference_scenario_holds_the_fixture(reference: Scenario) -> None:
    assert [
        len(reference.districts),
        len(reference.buildings),
        len(reference.dwellings),
        len(reference.households),
    ] == [3, 4, 6, 6]
    h1 = reference.household_by_id()["H1"]
    assert [c.age for c in h1.children] == [7, 13]
    assert [c.keep_school for c in h1.children] == [True, False]
    assert h1.preferred_districts == ["D2", "D3"]
    assert reference.household_by_id()["H2"].acceptable_districts == ["D2", "D3"]
    assert reference.household_by_id()["H3"].acceptable_districts is None
    assert reference.locks.pinned[0].dwelling == "L202"


def test_csv_cells_follow_the_norwegian_excel_conventions(reference: Scenario) -> None:
    l101 = load_scenario(DATA / "csv").dwelling_by_id()["L101"]
    assert (l101.area_m2, l101.rent, l101.available_from, l101.elevator) == (
        62.5,
        9500.0,
        dt.date(2026, 11, 20),
        True,
    )
    assert l101 == reference.dwelling_by_id()["L101"]


def test_hashes_are_sha256_of_canonical_json(reference: Scenario) -> None:
    digest = scenario_sha256(reference)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    other_policy = reference.model_copy(update={"policy": Policy()})
    assert scenario_sha256(other_policy) == digest
    assert policy_sha256(other_policy.policy) != policy_sha256(reference.policy)
    fewer = reference.model_copy(update={"households": reference.households[:-1]})
    assert scenario_sha256(fewer) != digest


def test_policy_is_read_from_a_path_relative_to_the_scenario(reference: Scenario) -> None:
    assert reference.policy.name == "drammen-2026"
    assert reference.policy.offer_lead_days == 10
    assert reference.policy.school.max_travel_minutes == 25
    assert reference.policy.weights.preference == 120
    assert reference.policy.round_days == 7  # not in the file: the default
    assert reference.policy == load_scenario(DATA / "canonical.json").policy


def test_policy_path_in_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "strict.yml").write_text("temporary: {max_days: 60}\n")
    tree = json.loads((DATA / "canonical.json").read_text(encoding="utf-8"))
    tree["policy"] = "policies/strict.yml"
    (tmp_path / "round.json").write_text(json.dumps(tree))
    assert load_scenario(tmp_path / "round.json").policy.temporary.max_days == 60


def test_empty_policy_file_means_defaults(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("# nothing set\n")
    (tmp_path / "s.yaml").write_text("as_of: 2026-11-23\npolicy: policy.yaml\n")
    assert load_scenario(tmp_path / "s.yaml").policy == Policy()


# --- Kobo ---------------------------------------------------------------------------------------


def test_kobo_export_maps_vacant_rows_to_dwellings() -> None:
    with pytest.warns(LoadWarning, match=r"hoppet over 2 Kobo-rader.*Under oppussing x1.*Utleid"):
        scenario = load_scenario(DATA / "kobo")
    dwellings = scenario.dwelling_by_id()
    assert sorted(dwellings) == ["5001", "5002", "5101"]
    first = dwellings["5001"]
    assert (first.building, first.rooms, first.bedrooms, first.area_m2, first.floor) == (
        "701",
        3,
        2,
        61.5,
        2,
    )
    assert (first.elevator, first.wheelchair, first.category, first.rent) == (
        True,
        False,
        Category.ordinary,
        9800.0,
    )
    assert first.available_from == dt.date(2026, 12, 1)
    assert dwellings["5002"].area_m2 == 48.0  # p-areal when bruksareal is empty
    assert dwellings["5002"].rent == 8200.0 and dwellings["5002"].wheelchair is True
    assert dwellings["5101"].category == Category.staffed  # erdognbemannet: Ja
    assert dwellings["5101"].building == "702"  # 702.0 in the export


def test_kobo_zones_fill_a_building_without_zones() -> None:
    loaded = read_scenario(DATA / "kobo")
    buildings = loaded.scenario.building_by_id()
    assert buildings["701"].school_zone_primary == "Konnerud skole"
    assert buildings["701"].school_zone_lower_secondary == "Galterud ungdomsskole"
    assert buildings["702"].school_zone_primary == "Sentrum skole"  # its own, kept
    assert loaded.warnings and "kobo.csv" in loaded.warnings[0]


def kobo_copy(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    folder = Path(shutil.copytree(DATA / "kobo", tmp_path / "kobo"))
    if edit:
        path = folder / "kobo.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    return folder


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        read_scenario(path)
    return caught.value.problems


def test_kobo_zone_conflicting_between_rows_is_a_problem(tmp_path: Path) -> None:
    folder = kobo_copy(
        tmp_path,
        (
            "0;Ja;Ja;Nei;8 200;23.11.2026;Konnerud skole",
            "0;Ja;Ja;Nei;8 200;23.11.2026;Vestbygda skole",
        ),
    )
    [problem] = problems_of(folder)
    assert problem.file == str(folder / "kobo.csv")
    assert (problem.location, problem.field, problem.value) == (
        "row 3",
        "skolekretsbarneskole",
        "Vestbygda skole",
    )
    assert "Konnerud skole" in problem.expected and "row 2" in problem.expected


def test_kobo_zone_conflicting_with_the_building_is_a_problem(tmp_path: Path) -> None:
    folder = kobo_copy(tmp_path, ("6500;2026-11-30;;;LEDIG", "6500;2026-11-30;;Fjell skole;LEDIG"))
    [problem] = problems_of(folder)
    assert (problem.location, problem.field, problem.value) == (
        "row 5",
        "skolekretsungdomsskole",
        "Fjell skole",
    )
    assert "Kongsgården ungdomsskole" in problem.expected


def test_kobo_bad_cells_name_the_kobo_column(tmp_path: Path) -> None:
    folder = kobo_copy(tmp_path, ("5001;701;Konnerudgata 1;3;2", "5001;799;Konnerudgata 1;3;x"))
    found = {(p.location, p.field) for p in problems_of(folder)}
    assert found == {("row 2", "antallsoverom"), ("row 2", "byggnummer")}


def test_kobo_export_without_a_required_column(tmp_path: Path) -> None:
    folder = kobo_copy(tmp_path, ("manedsleie", "husleie"))
    [problem] = problems_of(folder)
    assert (problem.location, problem.field) == ("row 1", "manedsleie")


def test_kobo_without_status_column_takes_every_row(tmp_path: Path) -> None:
    folder = kobo_copy(tmp_path)
    grid = read_grid(folder / "kobo.csv")
    with (folder / "kobo.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(row[:-1] for row in grid)
    assert len(read_scenario(folder).scenario.dwellings) == 5


# --- cells: ids, booleans, lists ---------------------------------------------------------------


def test_workbook_sheet_that_is_no_table_is_a_warning(tmp_path: Path) -> None:
    write_workbook(
        tmp_path / "t.xlsx", {"districts": [["id"], ["D1"]], "notater": [["anything"], ["goes"]]}
    )
    (tmp_path / "scenario.yaml").write_text("as_of: 2026-11-23\ntables: t.xlsx\n")
    loaded = read_scenario(tmp_path)
    assert [d.id for d in loaded.scenario.districts] == ["D1"]
    assert len(loaded.warnings) == 1 and "'notater' is not a table" in loaded.warnings[0]


def test_ids_from_spreadsheet_numbers(tmp_path: Path) -> None:
    write_workbook(
        tmp_path / "t.xlsx",
        {
            "districts": [["id", "name"], ["1", "Sentrum"], ["2", "Konnerud"]],
            "buildings": [["id", "district", "units"], ["1001", "1.0", "10"]],
            "dwellings": [
                ["id", "building", "bedrooms", "rent", "available_from"],
                ["2001", "1001", "1", "7000", "2026-11-30"],
            ],
            "households": [
                ["id", "approved_on", "main_applicant.age", "preferred_districts"],
                ["3001", "2026-01-05", "40", "2;1"],
            ],
            "children": [["household", "age"], ["3001.0", "8"]],
        },
    )
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    book["buildings"]["B2"] = 1.0  # a float cell, as pandas would write it
    book.save(tmp_path / "t.xlsx")
    (tmp_path / "scenario.yaml").write_text("as_of: 2026-11-23\ntables: t.xlsx\n")
    scenario = load_scenario(tmp_path)
    assert [d.id for d in scenario.districts] == ["1", "2"]
    assert scenario.buildings[0].id == "1001" and scenario.buildings[0].district == "1"
    assert scenario.dwellings[0].building == "1001"
    household = scenario.households[0]
    assert household.id == "3001" and household.preferred_districts == ["2", "1"]
    assert [c.age for c in household.children] == [8]


def test_float_ids_in_csv(tmp_path: Path) -> None:
    (tmp_path / "districts.csv").write_text("id,burden\n7.0,0.5\n")
    (tmp_path / "buildings.csv").write_text("id,district,units\n12.0,7,3\n")
    (tmp_path / "scenario.yaml").write_text(
        "as_of: 2026-11-23\ndistricts: districts.csv\nbuildings: buildings.csv\n"
    )
    scenario = load_scenario(tmp_path)
    assert (scenario.districts[0].id, scenario.buildings[0].id) == ("7", "12")


@pytest.mark.parametrize("value", [1001, 1001.0, "1001", " 1001 ", "1001.0"])
def test_id_text(value: Any) -> None:
    assert id_text(value) == "1001"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (1001.0, "1001"),
        (float("nan"), ""),
        (None, ""),
        (True, "true"),
        (0.25, "0.25"),
        (dt.datetime(2026, 11, 23), "2026-11-23"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (7, "7"),
    ],
)
def test_cell_text(cell: Any, expected: str) -> None:
    assert cell_text(cell) == expected


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("ja", True),
        ("JA", True),
        ("Nei", False),
        ("nei", False),
        ("yes", True),
        ("No", False),
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
    ],
)
def test_booleans_in_norwegian_and_english(word: str, value: bool) -> None:
    assert convert(word, Spec("bool")) is value


def test_norwegian_booleans_load_from_a_table(tmp_path: Path) -> None:
    (tmp_path / "households.csv").write_text(
        "id,approved_on,main_applicant.age,needs.wheelchair,needs.step_free,high_need\n"
        "H1,2026-01-05,40,Ja,nei,JA\nH2,2026-01-06,41,NEI,ja,\n"
    )
    (tmp_path / "scenario.yaml").write_text("as_of: 2026-11-23\nhouseholds: households.csv\n")
    h1, h2 = load_scenario(tmp_path).households
    assert (h1.needs.wheelchair, h1.needs.step_free, h1.high_need) == (True, False, True)
    assert (h2.needs.wheelchair, h2.needs.step_free, h2.high_need) == (False, True, False)


def test_unknown_boolean_word_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "households.csv").write_text(
        "id,approved_on,main_applicant.age,high_need\nH1,2026-01-05,40,kanskje\n"
    )
    (tmp_path / "scenario.yaml").write_text("as_of: 2026-11-23\nhouseholds: households.csv\n")
    [problem] = problems_of(tmp_path)
    assert (problem.location, problem.field, problem.value) == ("row 2", "high_need", "kanskje")
    assert "ja/nei" in problem.expected


def test_list_cells_and_empty_acceptable_districts() -> None:
    spec = Spec("list", item=Spec("id"))
    assert convert("D1; D2 ;;D3", spec) == ["D1", "D2", "D3"]
    scenario = load_scenario(DATA / "csv")
    h1 = scenario.household_by_id()["H1"]
    assert h1.acceptable_districts is None and h1.excluded_districts == ["D1"]
    assert scenario.household_by_id()["H3"].excluded_districts == []


def test_inline_tables_and_a_children_table_in_one_folder(tmp_path: Path) -> None:
    (tmp_path / "children.csv").write_text("household,age,school_zone\nH1,9,Z1\nH1,4,\n")
    (tmp_path / "scenario.yaml").write_text(
        "as_of: 2026-11-23\n"
        "buildings: [{id: B1, district: D1, units: 4, school_zone_primary: Z1}]\n"
        "districts: [{id: D1}]\n"
        "households:\n  - {id: H1, approved_on: 2026-02-01, main_applicant: {age: 30}}\n"
        "children: children.csv\nlocks: {pinned: [], forbidden: []}\n"
    )
    [household] = load_scenario(tmp_path).households
    assert [(c.age, c.school_zone) for c in household.children] == [(9, "Z1"), (4, None)]


# --- proposals ----------------------------------------------------------------------------------


def test_load_proposal_round_trip(tmp_path: Path) -> None:
    proposal = {
        "run": {
            "id": "r1",
            "as_of": "2026-11-23",
            "input_sha256": "a" * 64,
            "policy_sha256": "b" * 64,
        },
        "matches": [{"household": "H1", "dwelling": "L201", "move_in": "2026-12-14"}],
    }
    (tmp_path / "p.json").write_text(json.dumps(proposal))
    loaded = load_proposal(tmp_path / "p.json")
    assert loaded.matches[0].move_in == dt.date(2026, 12, 14)
    assert loaded.run.input_sha256 == "a" * 64


def test_load_proposal_problems_have_json_paths(tmp_path: Path) -> None:
    bad = {
        "run": {"id": "r1", "as_of": "soon", "input_sha256": "a", "policy_sha256": "b"},
        "matches": [{"household": "H1", "move_in": "2026-12-14"}],
    }
    (tmp_path / "p.json").write_text(json.dumps(bad))
    with pytest.raises(InputError) as caught:
        load_proposal(tmp_path / "p.json")
    found = {(p.file, p.location) for p in caught.value.problems}
    assert found == {
        (str(tmp_path / "p.json"), "$.run.as_of"),
        (str(tmp_path / "p.json"), "$.matches[0].dwelling"),
    }


@pytest.mark.parametrize(
    ("name", "content"), [("p.json", '{"run": '), ("p.yaml", "run: {}"), ("missing.json", None)]
)
def test_load_proposal_bad_files(tmp_path: Path, name: str, content: str | None) -> None:
    if content is not None:
        (tmp_path / name).write_text(content)
    with pytest.raises(InputError) as caught:
        load_proposal(tmp_path / name)
    assert caught.value.problems[0].file == str(tmp_path / name)
