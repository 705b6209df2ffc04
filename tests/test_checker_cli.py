"""`allocator check SCENARIO PROPOSAL` end to end: files in, violations and exit code out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from models.scenario import Scenario

pytest.importorskip("allocator.io.load")

from allocator.cli import main  # noqa: E402


def write_round(tmp_path: Path, wheelchair: bool) -> tuple[Path, Path]:
    """One household needing a wheelchair dwelling, one dwelling; matched to each other."""
    scenario = Scenario.model_validate(
        {
            "as_of": "2025-03-03",
            "districts": [{"id": "D1"}],
            "buildings": [{"id": "B1", "district": "D1", "units": 10}],
            "dwellings": [
                {
                    "id": "W1",
                    "building": "B1",
                    "rooms": 2,
                    "bedrooms": 1,
                    "area_m2": 50,
                    "rent": 8000,
                    "available_from": "2025-02-01",
                    "wheelchair": wheelchair,
                }
            ],
            "households": [
                {
                    "id": "H1",
                    "approved_on": "2024-06-01",
                    "main_applicant": {"age": 40},
                    "needs": {"wheelchair": True},
                }
            ],
        }
    )
    proposal: dict[str, Any] = {
        "run": {
            "id": "manual-1",
            "as_of": "2025-03-03",
            "input_sha256": "x",
            "policy_sha256": "y",
            "method": "manual",
        },
        "matches": [{"household": "H1", "dwelling": "W1", "move_in": "2025-03-17"}],
    }
    scenario_path = tmp_path / "scenario.json"
    proposal_path = tmp_path / "proposal.json"
    scenario_path.write_text(json.dumps(scenario.model_dump(mode="json")))
    proposal_path.write_text(json.dumps(proposal))
    return scenario_path, proposal_path


def test_check_reports_violation_and_exits_1(tmp_path: Path) -> None:
    scenario_path, proposal_path = write_round(tmp_path, wheelchair=False)
    result = CliRunner().invoke(main, ["check", str(scenario_path), str(proposal_path)])
    assert result.exit_code == 1, result.output
    assert "R8 wheelchair household=H1 dwelling=W1: " in result.output
    assert "1 hard-rule violation(s)" in result.output


def test_check_json_output(tmp_path: Path) -> None:
    scenario_path, proposal_path = write_round(tmp_path, wheelchair=False)
    result = CliRunner().invoke(main, ["check", str(scenario_path), str(proposal_path), "--json"])
    assert result.exit_code == 1, result.output
    rows = json.loads(result.output)
    assert [(r["rule"], r["code"], r["household"], r["dwelling"]) for r in rows] == [
        ("R8", "wheelchair", "H1", "W1")
    ]


def test_check_clean_proposal_exits_0(tmp_path: Path) -> None:
    scenario_path, proposal_path = write_round(tmp_path, wheelchair=True)
    result = CliRunner().invoke(main, ["check", str(scenario_path), str(proposal_path)])
    assert result.exit_code == 0, result.output
    assert "OK: no hard rule is broken" in result.output
