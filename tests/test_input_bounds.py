"""Bounded input (issue 17): what an input may cost to read, the text it may hold, the range
of every number and date, and the check that each objective tier fits CP-SAT's limits.

Each test builds its hostile input in tmp_path (a few KB: a far-away Excel cell is stored
sparsely, a 200,000-fold alias is one line repeated) and asserts the problem the user gets:
file, place, field, value, and what was expected."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from builders import building, district, dwelling, household, scenario
from click.testing import CliRunner

import allocator.io.bounds as bounds
import allocator.io.documents as documents
import allocator.io.tables as tables
from allocator.cli import main
from allocator.io.load import load_scenario
from allocator.limits import EXACT, representation_problems, tier_bounds
from allocator.solve import propose
from models.problems import InputError, Problem

DATA = Path(__file__).parent / "data" / "loaders"
CANONICAL: dict[str, Any] = json.loads((DATA / "canonical.json").read_text(encoding="utf-8"))


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    return caught.value.problems


def write_json(path: Path, tree: Any) -> Path:
    path.write_text(json.dumps(tree, ensure_ascii=True), encoding="utf-8")
    return path


def canonical(**changes: Any) -> dict[str, Any]:
    tree = copy.deepcopy(CANONICAL)
    tree["policy"] = {}
    tree.update(changes)
    return tree


# --- documents: text that cannot be data, absurd numbers, alias fan-out, size -----------


def test_nul_byte_in_yaml_is_a_problem_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "round.yaml"
    path.write_text("as_of: 2026-11-23\ndistricts:\n  - {id: D\x001}\n", encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem.file == str(path) and problem.location == "line 3, column 11"
    assert problem.value == "tegnet U+0000" and "kontrolltegn" in problem.expected


@pytest.mark.parametrize(
    "text",
    [
        '{"as_of": "2026-11-23", "districts": [{"id": "D\\ud800"}]}',
        '{"as_of": "2026-11-23", "districts": [{"id": "D\\u0000"}]}',
    ],
)
def test_lone_surrogates_and_control_characters_are_refused_by_place(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "round.json"
    path.write_text(text, encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem.location == "$.districts[0].id" and problem.field == "id"
    assert "tekst uten" in problem.expected and problem.value == "D\ufffd"


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_integers_of_thousands_of_digits_are_refused_not_converted(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"round{suffix}"
    path.write_text(
        '{"as_of": "2026-11-23", "buildings": [{"id": "B1", "district": "D1", '
        f'"units": {"9" * 5000}}}]}}',
        encoding="utf-8",
    )
    (problem,) = problems_of(path)
    assert problem.location == "$.buildings[0].units" and problem.field == "units"
    assert problem.value == "<tall med 5000 sifre>"
    assert f"høyst {bounds.MAX_NUMBER_DIGITS} sifre" in problem.expected
    assert len(problem.render()) < 300


def test_yaml_alias_fan_out_is_refused(tmp_path: Path) -> None:
    record = json.dumps(CANONICAL["households"][0])
    path = tmp_path / "round.yaml"
    path.write_text(
        f"as_of: 2026-11-23\nh: &h {record}\nhouseholds:\n" + "  - *h\n" * 200_000, encoding="utf-8"
    )
    (problem,) = problems_of(path)
    assert problem.location.startswith("line ") and "aliaser" in problem.expected


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    levels = "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
    )
    path = tmp_path / "round.yaml"
    path.write_text(
        "as_of: 2026-11-23\na: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + levels, encoding="utf-8"
    )
    (problem,) = problems_of(path)
    assert "aliaser" in problem.expected


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    tree = canonical()
    households = tree.pop("households")
    lines = [f"{key}: {json.dumps(value)}" for key, value in tree.items()]
    lines.append("households:")
    for k, h in enumerate(households):
        h.pop("needs", None)
        needs = '&needs {"wheelchair": false}' if k == 0 else "*needs"
        lines.append(f'  - {json.dumps(h)[:-1]}, "needs": {needs}}}')
    path = tmp_path / "round.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(load_scenario(path).households) == 6


def test_files_over_the_size_limit_are_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "MAX_FILE_BYTES", 100)
    path = write_json(tmp_path / "round.json", canonical())
    (problem,) = problems_of(path)
    assert problem.file == str(path) and "MiB" in problem.expected and "byte" in problem.value


def test_api_style_text_check_is_shared(tmp_path: Path) -> None:
    document = documents.parse_text('{"a": [1, {"b": "x\\ud800"}], "c\\u0001": 2}', "body")
    assert not document.readable
    assert sorted(p.location for p in document.problems) == ["$", "$.a[1].b"]


# --- flat tables: Excel by the cells that hold data, CSV limits ---------------------------


def excel_round(tmp_path: Path, damage: Any = None) -> Path:
    """The loader fixture's households as an Excel sheet (other tables inline)."""
    tree = canonical()
    households = tree.pop("households")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "households"
    columns = ["id", "approved_on", "adults", "main_applicant.age"]
    sheet.append(columns)
    for h in households:
        sheet.append([h["id"], h["approved_on"], h.get("adults", 1), h["main_applicant"]["age"]])
    if damage:
        damage(sheet)
    book.save(tmp_path / "households.xlsx")
    tree["households"] = "households.xlsx"
    tree["locks"] = {}
    return write_json(tmp_path / "round.json", tree)


def test_excel_reads_as_before(tmp_path: Path) -> None:
    assert len(load_scenario(excel_round(tmp_path)).households) == 6


@pytest.mark.parametrize(
    ("row", "column", "where", "field"),
    [
        (1_048_576, 1, "sheet 'households', row 1048576", ""),
        (2, 16_384, "sheet 'households', row 2", "column XFD"),
        (1_048_576, 16_384, "sheet 'households', row 1048576", ""),
    ],
)
def test_a_far_away_excel_cell_is_a_problem_not_a_hang(
    tmp_path: Path, row: int, column: int, where: str, field: str
) -> None:
    path = excel_round(tmp_path, lambda sheet: sheet.cell(row=row, column=column, value="x"))
    problems = [p for p in problems_of(path) if p.file and p.file.endswith(".xlsx")]
    assert problems[0].location == where and problems[0].field == field
    assert "høyst" in problems[0].expected


def test_malformed_sheet_xml_is_a_problem(tmp_path: Path) -> None:
    path = excel_round(tmp_path)
    book = tmp_path / "households.xlsx"
    source = zipfile.ZipFile(io.BytesIO(book.read_bytes()))
    with zipfile.ZipFile(book, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.startswith("xl/worksheets/"):
                data = data.replace(b"</row>", b"</rox>", 1)
            target.writestr(name, data)
    (problem,) = problems_of(path)
    assert problem.location == "sheet 'households'" and "ParseError" in problem.expected


def test_excel_unpacked_size_and_time_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = excel_round(tmp_path)
    monkeypatch.setattr(tables, "MAX_WORKBOOK_UNPACKED_BYTES", 1000)
    (problem,) = problems_of(path)
    assert "pakket ut" in problem.expected
    monkeypatch.undo()
    monkeypatch.setattr(tables, "MAX_WORKBOOK_SECONDS", -1.0)
    path = excel_round(tmp_path, lambda sheet: sheet.cell(row=5000, column=1, value="H99"))
    problems = problems_of(path)
    assert any("kan leses på høyst" in p.expected for p in problems)


def test_csv_rows_and_columns_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "MAX_ROWS", 3)
    tree = canonical()
    rows = ["id,name"] + [f"D{i},d" for i in range(10)]
    (tmp_path / "districts.csv").write_text("\n".join(rows), encoding="utf-8")
    tree["districts"] = "districts.csv"
    (problem, *_) = [
        p
        for p in problems_of(write_json(tmp_path / "r.json", tree))
        if p.file and p.file.endswith("districts.csv")
    ]
    assert problem.location == "row 5" and "høyst 3 rader" in problem.expected
    monkeypatch.undo()
    (tmp_path / "districts.csv").write_text("id,name\nD1,d" + "," * 300 + "x\n", encoding="utf-8")
    (problem, *_) = [
        p
        for p in problems_of(write_json(tmp_path / "r.json", tree))
        if p.file and p.file.endswith("districts.csv")
    ]
    assert problem.location == "row 2" and problem.field == "column KP"


def test_inline_tables_are_bounded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import allocator.io.load as load

    monkeypatch.setattr(load, "MAX_ROWS", 2)
    problems = problems_of(write_json(tmp_path / "r.json", canonical()))
    assert any(p.location == "$.buildings[2]" and "høyst 2 poster" in p.expected for p in problems)


def test_control_characters_in_cells_are_refused(tmp_path: Path) -> None:
    tree = canonical()
    (tmp_path / "districts.csv").write_text("id,name\nD1,a\x00b\nD2,x\nD3,y\n", encoding="utf-8")
    tree["districts"] = "districts.csv"
    (problem,) = problems_of(write_json(tmp_path / "r.json", tree))
    assert (problem.location, problem.field) == ("row 2", "name")
    assert "kontrolltegn" in problem.expected


# --- ranges: every number and date the solver could not represent -----------------------


def put(tree: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node = tree
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    node[path[-1]] = value


@pytest.mark.parametrize(
    ("path", "value", "location"),
    [
        (
            ("policy", "weights", "priority_points", "1"),
            10**18,
            "$.policy.weights.priority_points.1",
        ),
        (
            ("policy", "weights", "waiting_points_per_day"),
            10**15,
            "$.policy.weights.waiting_points_per_day",
        ),
        (("policy", "weights", "concentration"), 10**19, "$.policy.weights.concentration"),
        (
            ("policy", "weights", "vacancy_per_rent_day"),
            1e19,
            "$.policy.weights.vacancy_per_rent_day",
        ),
        (
            ("policy", "weights", "vacancy_per_rent_day"),
            float("inf"),
            "$.policy.weights.vacancy_per_rent_day",
        ),
        (("policy", "weights", "preference"), 10**19, "$.policy.weights.preference"),
        (("as_of",), "9999-12-31", "$.as_of"),
        (("policy", "offer_lead_days"), 10**9, "$.policy.offer_lead_days"),
        (("policy", "round_days"), 10**9, "$.policy.round_days"),
        (("policy", "temporary", "max_days"), 10**12, "$.policy.temporary.max_days"),
        (("policy", "solver", "seed"), 2**31, "$.policy.solver.seed"),
        (("policy", "solver", "time_limit_s"), float("nan"), "$.policy.solver.time_limit_s"),
        (("buildings", 0, "units"), 2**63, "$.buildings[0].units"),
        (("districts", 0, "max_new_high_need"), 2**63, "$.districts[0].max_new_high_need"),
        (("dwellings", 0, "available_from"), "0001-01-01", "$.dwellings[0].available_from"),
    ],
)
def test_issue_values_are_refused_by_validate(
    tmp_path: Path, path: tuple[Any, ...], value: Any, location: str
) -> None:
    tree = canonical()
    put(tree, path, value)
    source = tmp_path / "r.json"
    source.write_text(json.dumps(tree), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(source), "--json"])
    assert result.exit_code == 2, result.output
    report = json.loads(result.output)
    assert location in [p["location"] for p in report["problems"]], report


def test_dates_are_described_with_their_range(tmp_path: Path) -> None:
    (problem,) = problems_of(write_json(tmp_path / "r.json", canonical(as_of="2200-01-01")))
    assert "from 1900-01-01 to 2199-12-31" in problem.expected


# --- representability: every objective tier within CP-SAT's 64-bit limits ---------------


def big_round(vacancy_weight: float) -> Any:
    """31 × 31 with a dear dwelling vacant since 1900: within every field range, but the
    vacancy-loss term of the fit tier can exceed 2^53 over a proposal."""
    dwellings = [
        dwelling(
            f"W{i}",
            rent=200_000 if i == 0 else 8000,
            available_from="1900-01-01" if i == 0 else "2026-12-01",
        )
        for i in range(31)
    ]
    return scenario(
        dwellings=dwellings,
        households=[household(f"H{i}") for i in range(31)],
        policy={
            "weights": {"vacancy_per_rent_day": vacancy_weight},
            "solver": {"workers": 1, "time_limit_s": 10},
        },
    )


def test_a_tier_that_cannot_be_represented_names_the_weight_and_its_largest_value() -> None:
    s = big_round(1_000_000)
    (problem,) = representation_problems(s)
    assert problem.field == "weights.vacancy_per_rent_day" and problem.value == 1_000_000
    assert "«fit»" in problem.expected and "64-bits" in problem.expected
    largest = float(problem.expected.split()[1].rstrip(":").replace(" ", ""))
    assert 0 < largest < 1_000_000
    assert representation_problems(big_round(largest)) == []
    with pytest.raises(InputError):
        propose(s)


def test_validate_places_the_weight_in_the_policy_file(tmp_path: Path) -> None:
    tree = big_round(1_000_000).model_dump(mode="json")
    (tmp_path / "policy.json").write_text(json.dumps(tree.pop("policy")), encoding="utf-8")
    tree["policy"] = "policy.json"
    (problem,) = problems_of(write_json(tmp_path / "r.json", tree))
    assert problem.file == str(tmp_path / "policy.json")
    assert problem.location == "$.weights.vacancy_per_rent_day"


def with_lookahead(s: Any, weeks: int) -> Any:
    policy = s.policy.model_copy(
        update={"lookahead": s.policy.lookahead.model_copy(update={"weeks": weeks})}
    )
    return s.model_copy(update={"policy": policy})


def scenarios_to_bound() -> list[Any]:
    from scenarios.random_scenario import random_scenario

    example = load_scenario("scenarios/example")
    return [
        load_scenario(DATA / "canonical.json"),
        example,
        *(random_scenario(seed, 40, 15) for seed in range(6)),
        big_round(100),
        with_lookahead(example, 4),
    ]


@pytest.mark.parametrize("index", range(10))
def test_the_bounds_hold_every_weight_the_model_uses(index: int) -> None:
    """Each tier's per-pair bound is at least the largest weight the model gives a pair
    (the look-ahead's tiers included), so a scenario the check passes cannot overflow."""
    from allocator.data import build_round_data
    from allocator.lookahead import assess
    from allocator.lookahead import with_lookahead as ranked_ahead
    from allocator.model import AllocationModel
    from allocator.objective import default_objective
    from allocator.pairs import candidate_pairs

    s = scenarios_to_bound()[index]
    data = build_round_data(s)
    objective = default_objective(s.policy)
    outlook = assess(s, data)
    if outlook is not None and outlook.at_risk().any():
        objective = ranked_ahead(objective, outlook)
    model = AllocationModel(data, candidate_pairs(data), objective=objective)
    bound = {b.tier: b for b in tier_bounds(s)}
    checked = set()
    for component in model.components:
        if component.name in bound and len(component.weights):
            checked.add(component.name)
            assert int(abs(component.weights).max()) <= bound[component.name].per_pair, (
                component.name
            )
    assert {"priority_waiting", "fit"} <= checked
    if s.policy.lookahead.weeks:
        assert {"lookahead_breaches", "lookahead_days_over"} <= checked
    assert all(b.matches * b.per_pair <= EXACT for b in bound.values() if b.fits)


# --- the printed list is capped; --json has every problem ---------------------------------


def test_problem_list_is_capped_on_the_terminal_and_complete_in_json(tmp_path: Path) -> None:
    tree = canonical()
    tree["districts"] = [{"id": f"D{i}", "burden": 7} for i in range(120)]
    source = write_json(tmp_path / "r.json", tree)
    result = CliRunner().invoke(main, ["validate", str(source)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0].startswith("1") and len(lines) == bounds.PRINTED_PROBLEMS + 2
    assert "flere (hele listen: allocator validate --json)" in lines[-1]
    full = CliRunner().invoke(main, ["validate", str(source), "--json"])
    report = json.loads(full.output)
    assert full.exit_code == 2 and report["ok"] is False
    assert report["count"] == len(report["problems"]) > bounds.PRINTED_PROBLEMS
    ok = CliRunner().invoke(main, ["validate", str(DATA / "canonical.json"), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["counts"]["households"] == 6


def test_small_round_still_builds(tmp_path: Path) -> None:
    s = scenario(
        districts=[district("D1")],
        buildings=[building("B1")],
        dwellings=[dwelling("W1")],
        households=[household("H1")],
    )
    assert representation_problems(s) == []
