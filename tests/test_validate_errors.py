"""Each kind of bad input gives a Problem naming the right file, location and field."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from allocator.cli import main
from allocator.io.load import load_scenario
from models.problems import InputError, Problem

DATA = Path(__file__).parent / "data" / "loaders"
CANONICAL: dict[str, Any] = json.loads((DATA / "canonical.json").read_text(encoding="utf-8"))


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    return caught.value.problems


def json_scenario(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    tree = copy.deepcopy(CANONICAL)
    edit(tree)
    path = tmp_path / "round.json"
    path.write_text(json.dumps(tree), encoding="utf-8")
    return path


def csv_scenario(tmp_path: Path, file: str, old: str, new: str) -> Path:
    folder = Path(shutil.copytree(DATA / "csv", tmp_path / "round"))
    shutil.copy(DATA / "policy.yaml", tmp_path / "policy.yaml")
    text = (folder / file).read_text(encoding="utf-8")
    assert old in text
    (folder / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [p.render() for p in problems]
    return problems[0]


def setter(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(tree: dict[str, Any]) -> None:
        node = tree
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def deleter(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def edit(tree: dict[str, Any]) -> None:
        node = tree
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return edit


# (edit, location, field, words in expected)
JSON_CASES = {
    "type error": (
        setter("households", 2, "adults", value="two"),
        "$.households[2].adults",
        "adults",
        "an integer from 1 to 12",
    ),
    "missing field": (deleter("dwellings", 1, "rent"), "$.dwellings[1].rent", "rent", "(required)"),
    "missing nested field": (
        deleter("households", 4, "main_applicant", "age"),
        "$.households[4].main_applicant.age",
        "main_applicant.age",
        "an integer from 15 to 120 (required)",
    ),
    "bad date": (
        setter("dwellings", 0, "available_from", value="2026-13-01"),
        "$.dwellings[0].available_from",
        "available_from",
        "a date like 2026-11-23",
    ),
    "date as a number": (
        setter("households", 1, "ready_from", value=46349),
        "$.households[1].ready_from",
        "ready_from",
        "not a number",
    ),
    "out of range": (
        setter("districts", 0, "burden", value=1.5),
        "$.districts[0].burden",
        "burden",
        "a number from 0 to 1",
    ),
    "priority out of range": (
        setter("households", 0, "priority", value=4),
        "$.households[0].priority",
        "priority",
        "an integer from 1 to 3",
    ),
    "unknown enum": (
        setter("dwellings", 2, "category", value="luxury"),
        "$.dwellings[2].category",
        "category",
        "one of: ordinary, temporary",
    ),
    "unknown reference": (
        setter("buildings", 1, "district", value="D9"),
        "$.buildings[1].district",
        "district",
        "the id of a district in the scenario",
    ),
    "unknown list reference": (
        setter("households", 0, "preferred_districts", value=["D2", "D7"]),
        "$.households[0].preferred_districts",
        "preferred_districts",
        "the id of a district",
    ),
    "unknown child zone": (
        setter("households", 0, "children", 0, "school_zone", value="P-Mars"),
        "$.households[0].children[0].school_zone",
        "children[0].school_zone",
        "the id of a school zone",
    ),
    "duplicate id": (
        setter("households", 4, "id", value="H1"),
        "$.households[4].id",
        "id",
        "an id not used by another row",
    ),
    "date after as_of": (
        setter("households", 0, "situation", "since", value="2026-12-01"),
        "$.households[0].situation.since",
        "situation.since",
        "on or before as_of 2026-11-23",
    ),
    "bedrooms > rooms": (
        setter("dwellings", 0, "bedrooms", value=4),
        "$.dwellings[0].bedrooms",
        "bedrooms",
        "bedrooms 4 er flere enn rooms 3",
    ),
    "temporary without since": (
        deleter("households", 0, "situation", "since"),
        "$.households[0].situation.since",
        "situation.since",
        "trenger since",
    ),
    "unknown field": (
        setter("districts", 1, "colour", value="red"),
        "$.districts[1].colour",
        "colour",
        "no field of this name",
    ),
    "record not an object": (
        setter("school_access", 0, value=5),
        "$.school_access[0]",
        "",
        "an object with the fields from_zone",
    ),
    "policy out of range": (
        setter("policy", "school", value={"min_age": 30}),
        "$.policy.school.min_age",
        "school.min_age",
        "an integer from 0 to 25",
    ),
    "forbidden pair without reason": (
        deleter("locks", "forbidden", 0, "reason"),
        "$.locks.forbidden[0].reason",
        "reason",
        "(required)",
    ),
    "missing as_of": (deleter("as_of"), "$", "as_of", "(required)"),
    "bad as_of": (setter("as_of", value="next week"), "$.as_of", "as_of", "a date like"),
    "unknown top-level key": (setter("vacancies", value=[]), "$", "vacancies", "a top-level key"),
    "table not a list": (
        setter("households", value=5),
        "$.households",
        "households",
        "a list of records (the households table)",
    ),
    "locks not a mapping": (
        setter("locks", value=[1]),
        "$.locks",
        "locks",
        "an object with the lists pinned and forbidden",
    ),
    "table file missing": (
        setter("households", value="households.csv"),
        "$.households",
        "households.file",
        "does not exist",
    ),
    "policy file missing": (
        setter("policy", value="nope.yaml"),
        "$.policy",
        "policy",
        "does not exist",
    ),
}


@pytest.mark.parametrize("case", JSON_CASES)
def test_json_error_kinds(case: str, tmp_path: Path) -> None:
    edit, location, field, words = JSON_CASES[case]
    path = json_scenario(tmp_path, edit)
    problem = only(problems_of(path))
    assert problem.file == str(path)
    assert (problem.location, problem.field) == (location, field)
    assert words in problem.expected


def test_pinned_pair_with_unknown_ids(tmp_path: Path) -> None:
    path = json_scenario(
        tmp_path, setter("locks", "pinned", 0, value={"household": "H99", "dwelling": "L999"})
    )
    found = {(p.location, p.field, p.value) for p in problems_of(path)}
    assert found == {
        ("$.locks.pinned[0].household", "household", "H99"),
        ("$.locks.pinned[0].dwelling", "dwelling", "L999"),
    }


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    def edit(tree: dict[str, Any]) -> None:
        tree["households"][0]["adults"] = "many"
        tree["households"][0]["approved_on"] = "2027-01-01"
        tree["households"][1]["main_applicant"]["age"] = 9
        tree["dwellings"][5]["building"] = "B77"
        tree["districts"][2]["burden"] = -1

    found = {(p.location, p.field) for p in problems_of(json_scenario(tmp_path, edit))}
    assert found == {
        ("$.households[0].adults", "adults"),
        ("$.households[0].approved_on", "approved_on"),
        ("$.households[1].main_applicant.age", "main_applicant.age"),
        ("$.dwellings[5].building", "building"),
        ("$.districts[2].burden", "burden"),
    }


def test_problem_in_a_broken_record_does_not_hide_its_references(tmp_path: Path) -> None:
    def edit(tree: dict[str, Any]) -> None:
        tree["dwellings"][0].update(bedrooms=9, building="B9")

    found = {(p.field, p.value) for p in problems_of(json_scenario(tmp_path, edit))}
    assert found == {("bedrooms", 9), ("building", "B9")}


def test_references_to_a_broken_record_are_not_reported(tmp_path: Path) -> None:
    path = json_scenario(tmp_path, setter("buildings", 0, "units", value="forty"))
    assert [(p.location, p.field) for p in problems_of(path)] == [("$.buildings[0].units", "units")]


# --- flat tables ---------------------------------------------------------------------------------

CSV_CASES = {
    "type error": (
        "households.csv",
        "H3,2025-11-30,,29",
        "H3,2025-11-30,two,29",
        "row 4",
        "adults",
    ),
    "missing field": (
        "dwellings.csv",
        "L202;B2;2;1;45;2;;;temporary;7900;23.11.2026",
        "L202;B2;2;1;45;2;;;temporary;;23.11.2026",
        "row 5",
        "rent",
    ),
    "bad date": ("households.csv", "H6,2026-01-10", "H6,10/01/2026", "row 7", "approved_on"),
    "date as a number": ("households.csv", "H6,2026-01-10", "H6,46032", "row 7", "approved_on"),
    "out of range": (
        "buildings.csv",
        "B4,D1,P-Sentrum,U-Sentrum,,6",
        "B4,D1,P-Sentrum,U-Sentrum,,0",
        "row 5",
        "units",
    ),
    "unknown enum": ("buildings.csv", "Recovery,women", "Recovery,children", "row 4", "gender"),
    "unknown reference": ("dwellings.csv", "L301;B3", "L301;B8", "row 6", "building"),
    "unknown list reference": ("households.csv", "D2;D3", "D2;D8", "row 2", "preferred_districts"),
    "duplicate id": ("districts.csv", "D3,Gulskogen", "D2,Gulskogen", "row 4", "id"),
    "date after as_of": (
        "households.csv",
        "crisis_centre,2026-10-30",
        "crisis_centre,2026-11-30",
        "row 7",
        "situation.since",
    ),
    "pinned pair with unknown ids": ("pinned.csv", "H6,L202", "H6,L302", "row 2", "dwelling"),
    "bedrooms > rooms": ("dwellings.csv", "L102;B1;1;0", "L102;B1;1;2", "row 3", "bedrooms"),
    "unknown column": ("districts.csv", "id,name,burden", "id,name,burdon", "row 1", "burdon"),
    "repeated column": ("districts.csv", "id,name,burden", "id,name,name", "row 1", "name"),
    "children column": ("households.csv", "id,approved_on", "id,children", "row 1", "children"),
    "child of an unknown household": ("children.csv", "H5,16", "H7,16", "row 5", "household"),
    "child out of range": ("children.csv", "H5,16", "H5,41", "row 5", "age"),
    "cell outside the header": (
        "school_access.csv",
        "P-Sentrum,P-Konnerud,25",
        "P-Sentrum,P-Konnerud,25,x",
        "row 2",
        "column 4",
    ),
}


@pytest.mark.parametrize("case", CSV_CASES)
def test_csv_error_kinds(case: str, tmp_path: Path) -> None:
    file, old, new, location, field = CSV_CASES[case]
    folder = csv_scenario(tmp_path, file, old, new)
    problem = next(p for p in problems_of(folder) if p.field == field)
    assert (problem.file, problem.location) == (str(folder / file), location)
    assert problem.expected


def test_csv_problem_shows_the_cell_as_written(tmp_path: Path) -> None:
    folder = csv_scenario(
        tmp_path, "dwellings.csv", "L101;B1;3;2;62,5;3;ja", "L101;B1;3;2;62,5;3;kanskje"
    )
    problem = only(problems_of(folder))
    assert (problem.location, problem.field, problem.value) == ("row 2", "elevator", "kanskje")


def test_excel_problems_name_the_sheet(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "districts"
    sheet.append(["id", "burden"])
    sheet.append(["D1", 0.5])
    sheet.append(["D2", 7])
    book.save(tmp_path / "t.xlsx")
    (tmp_path / "scenario.yaml").write_text("as_of: 2026-11-23\ndistricts: t.xlsx\n")
    problem = only(problems_of(tmp_path))
    assert (problem.file, problem.location, problem.field, problem.value) == (
        str(tmp_path / "t.xlsx"),
        "sheet 'districts', row 3",
        "burden",
        "7",
    )


def test_excel_missing_sheet(tmp_path: Path) -> None:
    import openpyxl

    openpyxl.Workbook().save(tmp_path / "t.xlsx")
    (tmp_path / "scenario.yaml").write_text(
        "as_of: 2026-11-23\ndistricts: {file: t.xlsx, sheet: bydeler}\n"
    )
    problem = only(problems_of(tmp_path))
    assert (problem.file, problem.location, problem.field) == (
        str(tmp_path / "scenario.yaml"),
        "$.districts",
        "districts.sheet",
    )
    assert "Sheet" in problem.expected


def test_truncated_workbook(tmp_path: Path) -> None:
    (tmp_path / "t.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "scenario.yaml").write_text("as_of: 2026-11-23\ntables: t.xlsx\n")
    problem = only(problems_of(tmp_path))
    assert problem.file == str(tmp_path / "t.xlsx")
    assert "Excel workbook" in problem.expected


# --- files ---------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    problem = only(problems_of(tmp_path / "nope.yaml"))
    assert problem.file == str(tmp_path / "nope.yaml")
    assert "scenario file" in problem.expected


def test_folder_without_scenario_yaml(tmp_path: Path) -> None:
    (tmp_path / "households.csv").write_text("id\n")
    problem = only(problems_of(tmp_path))
    assert problem.file == str(tmp_path)
    assert "scenario.yaml" in problem.expected and "households.csv" in str(problem.value)


def test_truncated_json(tmp_path: Path) -> None:
    text = (DATA / "canonical.json").read_text(encoding="utf-8")
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index('"L201"') + 3], encoding="utf-8")
    problem = only(problems_of(path))
    assert problem.file == str(path)
    assert problem.location.startswith("line ") and ", column " in problem.location
    assert "valid JSON" in problem.expected


def test_broken_yaml_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("as_of: 2026-11-23\ndistricts:\n  - {id: D1, name: [Sentrum}\n")
    problem = only(problems_of(path))
    assert problem.location.startswith("line 3, column ")
    assert "valid YAML" in problem.expected


def test_key_written_twice_in_yaml(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text(
        "as_of: 2026-11-23\ndistricts: [{id: D1}]\nbuildings: []\ndistricts: [{id: D2}]\n"
    )
    problem = only(problems_of(path))
    assert (problem.file, problem.location, problem.field) == (str(path), "line 4", "districts")
    assert "each key once" in problem.expected


def test_key_written_twice_in_json(tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    path.write_text('{"as_of": "2026-11-23", "districts": [{"id": "D1", "id": "D2"}]}')
    problem = only(problems_of(path))
    assert (problem.file, problem.field) == (str(path), "id")
    assert "each key once" in problem.expected


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.yaml", "", "empty"),
        ("blank.json", "  \n", "empty"),
        ("list.yaml", "- 1\n- 2\n", "a mapping"),
        ("scalar.json", "42", "a mapping"),
        ("notes.txt", "as_of: 2026-11-23", ".json, .yaml or .yml"),
    ],
)
def test_unusable_documents(tmp_path: Path, name: str, content: str, words: str) -> None:
    (tmp_path / name).write_text(content)
    problem = only(problems_of(tmp_path / name))
    assert problem.file == str(tmp_path / name)
    assert words in problem.expected


def test_empty_csv_table(tmp_path: Path) -> None:
    folder = csv_scenario(tmp_path, "school_access.csv", "from_zone", "from_zone")
    (folder / "school_access.csv").write_text("")
    problem = only(problems_of(folder))
    assert problem.file == str(folder / "school_access.csv")
    assert "empty" in problem.expected


# --- the command line ----------------------------------------------------------------------------

TEN_MISTAKES = [
    ("households.csv", 2, "adults"),
    ("households.csv", 3, "main_applicant.age"),
    ("households.csv", 4, "approved_on"),
    ("households.csv", 5, "priority"),
    ("households.csv", 6, "substance_use"),
    ("households.csv", 7, "approved_on"),
    ("buildings.csv", 3, "district"),
    ("dwellings.csv", 5, "id"),
    ("dwellings.csv", 7, "bedrooms"),
    ("pinned.csv", 2, "dwelling"),
]


def test_validate_lists_all_ten_mistakes() -> None:
    folder = DATA / "ten_mistakes"
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == "10 problem(s) in the input:"
    for file, row, field in TEN_MISTAKES:
        wanted = f"{folder / file}, row {row}: field '{field}'"
        assert sum(wanted in line for line in lines) == 1, wanted
    assert "Traceback" not in result.output


@pytest.mark.filterwarnings("ignore::allocator.io.load.LoadWarning")
@pytest.mark.parametrize("path", ["canonical.yaml", "canonical.json", "csv", "kobo"])
def test_validate_accepts_valid_scenarios(path: str) -> None:
    result = CliRunner().invoke(main, ["validate", str(DATA / path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: ")
    if path == "kobo":  # non-vacant Kobo rows are skipped with a warning on stderr
        assert "advarsel:" in result.stderr and "ikke er ledige" in result.stderr


def test_validate_prints_one_problem_per_line(tmp_path: Path) -> None:
    def edit(tree: dict[str, Any]) -> None:
        tree["districts"][0]["burden"] = 3
        tree["dwellings"][0]["rent"] = "dyr"

    result = CliRunner().invoke(main, ["validate", str(json_scenario(tmp_path, edit))])
    assert result.exit_code == 2
    problem_lines = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert len(problem_lines) == 2
    assert "$.districts[0].burden" in problem_lines[0]
    assert "$.dwellings[0].rent" in problem_lines[1]


# --- record-level problems: the fields and values, in bokmål -----------------------------------


def test_record_problem_names_the_fields_and_values(tmp_path: Path) -> None:
    def clash(tree: dict[str, Any]) -> None:
        tree["households"][2]["preferred_districts"] = ["D1"]
        tree["households"][2]["excluded_districts"] = ["D1", "D2"]

    problem = only(problems_of(json_scenario(tmp_path, clash)))
    assert (problem.location, problem.field, problem.value) == (
        "$.households[2].preferred_districts",
        "preferred_districts",
        ["D1"],
    )
    assert problem.message == "preferred_districts og excluded_districts inneholder begge D1"
    line = problem.render()
    assert line.endswith(
        "field 'preferred_districts': preferred_districts og excluded_districts inneholder begge D1"
    )
    assert "got None" not in line and "expected" not in line


def test_record_problem_in_a_table_names_the_column(tmp_path: Path) -> None:
    folder = csv_scenario(tmp_path, "dwellings.csv", "L101;B1;3;2;", "L101;B1;3;4;")
    problem = only(problems_of(folder))
    assert (problem.location, problem.field) == ("row 2", "bedrooms")
    assert problem.message == "bedrooms 4 er flere enn rooms 3"


def test_missing_value_is_not_rendered_as_none() -> None:
    line = Problem(
        file="f.csv", location="row 3", field="rent", expected="a number (required)"
    ).render()
    assert line == "f.csv, row 3: field 'rent': expected a number (required)"
