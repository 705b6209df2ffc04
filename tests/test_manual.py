"""Manual allocations for ``allocator check``: the full proposal format and a minimal one
(JSON, CSV or Excel with household, dwelling and an optional move_in)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from allocator.cli import main
from allocator.io.load import load_scenario, read_scenario
from allocator.manual import ManualMatch, complete, load_allocation
from allocator.solve import propose
from models.problems import InputError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example"
KOBO = Path(__file__).parent / "data" / "kobo_template"
BIG_FLAT = "118/1024 Storgata 5B H0201"  # 3 bedrooms, 4 rooms, 78 m²


def check(scenario: Path, allocation: Path) -> Result:
    return CliRunner().invoke(main, ["check", str(scenario), str(allocation)])


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_csv_allocation_that_crowds_a_family_exits_1_naming_r2(tmp_path: Path) -> None:
    allocation = write_csv(
        tmp_path / "manual.csv", [["household", "dwelling"], ["H4", BIG_FLAT], ["H3", "NS3A-01"]]
    )
    result = check(KOBO, allocation)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("R2 ")]
    assert lines == [
        f"R2 crowding household=H4 dwelling={BIG_FLAT}: 6 person(s) in dwelling "
        f"{BIG_FLAT} with 4 room(s) and 78 m² (under 150 m² = 25 m² per person) "
        "is crowded by the SSB definition"
    ]


def test_minimal_json_derives_move_in_as_propose_does(tmp_path: Path) -> None:
    scenario = load_scenario(EXAMPLE)
    proposal = propose(scenario, time_limit_s=20)
    pairs = [{"household": m.household, "dwelling": m.dwelling} for m in proposal.matches]
    path = tmp_path / "manual.json"
    path.write_text(json.dumps({"matches": pairs}), encoding="utf-8")
    result = check(EXAMPLE, path)
    assert result.exit_code == 0, result.output
    completed = load_allocation(path, scenario)
    assert completed.minimal
    assert [(m.household, m.dwelling, m.move_in) for m in completed.proposal.matches] == [
        (m.household, m.dwelling, m.move_in) for m in proposal.matches
    ]
    assert [
        (b.household, b.deadline, b.days_over, b.dwelling) for b in completed.proposal.breaches
    ] == [(b.household, b.deadline, b.days_over, b.dwelling) for b in proposal.breaches]
    assert proposal.breaches and "merk: " in result.stdout  # breaches are told, not hidden


def test_full_proposal_still_checks(tmp_path: Path) -> None:
    out = tmp_path / "proposal.json"
    assert (
        CliRunner().invoke(main, ["propose", str(KOBO), "--out", str(out), "--quiet"]).exit_code
        == 0
    )
    result = check(KOBO, out)
    assert result.exit_code == 0, result.output
    assert not load_allocation(out, read_scenario(KOBO).scenario).minimal


def test_excel_with_norwegian_column_names_and_a_wrong_move_in(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Husstand", "Bolig", "Innflyttingsdato"])
    book.active.append(["H3", "NS3A-01", "24.12.2026"])
    book.save(tmp_path / "møtet.xlsx")
    result = check(KOBO, tmp_path / "møtet.xlsx")
    assert result.exit_code == 1, result.output
    assert "R9 move_in household=H3 dwelling=NS3A-01" in result.stdout


def test_json_list_and_unknown_ids(tmp_path: Path) -> None:
    path = tmp_path / "manual.json"
    path.write_text(
        json.dumps(
            [
                {"household": "H3", "dwelling": "NS3A-01"},
                {"household": "H99", "dwelling": "NS3A-01"},
            ]
        )
    )
    result = check(KOBO, path)
    assert result.exit_code == 1
    assert "R1 unknown_id household=H99" in result.stdout
    assert "R1 duplicate_dwelling dwelling=NS3A-01" in result.stdout


@pytest.mark.parametrize(
    "content,words",
    [
        ("household,dweling\nH3,NS3A-01\n", "did you mean 'dwelling'"),
        ("dwelling\nNS3A-01\n", "the columns household, dwelling"),
        ("household,dwelling,move_in\nH3,NS3A-01,2026-13-01\n", "a date like"),
        ("household,dwelling\nH3,\n", "(required)"),
    ],
)
def test_bad_allocation_table_exits_2(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "manual.csv"
    path.write_text(content, encoding="utf-8")
    result = check(KOBO, path)
    assert result.exit_code == 2, result.output
    assert words in result.stderr and "manual.csv" in result.stderr


def test_bad_allocation_json_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "manual.json"
    path.write_text(
        json.dumps(
            {"matches": [{"household": "H3"}, {"household": "H1", "dwelling": "X", "score": 3}]}
        )
    )
    with pytest.raises(InputError) as caught:
        load_allocation(path, read_scenario(KOBO).scenario)
    found = {(p.location, p.field) for p in caught.value.problems}
    assert found == {("$.matches[0].dwelling", "dwelling"), ("$.matches[1].score", "score")}
    path.write_text(json.dumps({"matches": [], "unmatched": []}))
    result = check(KOBO, path)
    assert result.exit_code == 2 and "a full proposal (with run)" in result.stderr


def test_pinned_pairs_stay_pinned_and_unallocated_are_listed() -> None:
    scenario = load_scenario(EXAMPLE)
    proposal = complete(
        scenario,
        [ManualMatch(household=scenario.households[0].id, dwelling=scenario.dwellings[0].id)],
    )
    assert len(proposal.unmatched) == len(scenario.households) - 1
    assert len(proposal.empty_dwellings) == len(scenario.dwellings) - 1
    assert {u.reason.code for u in proposal.unmatched} == {"not_allocated"}
    assert proposal.run.method == "manual"
