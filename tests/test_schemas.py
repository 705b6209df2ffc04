"""The published JSON Schemas (schemas/): in step with the models, and they accept real
documents: the bundled example scenario, a solved proposal and a batch run's outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

jsonschema = pytest.importorskip("jsonschema")
pytest.importorskip("allocator.io.load")

from allocator.api.schemas import (  # noqa: E402
    PUBLISHED,
    build_schema,
    file_name,
    rendered,
    schema_id,
)
from allocator.io.load import load_scenario  # noqa: E402
from models.proposal import SCHEMA_VERSION  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
EXAMPLE = ROOT / "scenarios" / "example"


def published(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / file_name(name)).read_text(encoding="utf-8"))


def validator(name: str) -> Any:
    schema = published(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def errors(name: str, document: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(document)]


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_checked_in_schema_matches_the_models(name: str) -> None:
    path = SCHEMAS / file_name(name)
    assert path.is_file(), f"{path} is missing: run `allocator schemas --out schemas/`"
    assert path.read_text(encoding="utf-8") == rendered()[file_name(name)], (
        f"{path.name} differs from the models: the published contract changed. Review, "
        "bump SCHEMA_VERSION in models/proposal.py if it breaks clients, and run "
        "`allocator schemas --out schemas/`"
    )


def test_no_stray_schema_files() -> None:
    assert sorted(p.name for p in SCHEMAS.glob("*.schema.json")) == sorted(rendered())


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_schema_is_versioned(name: str) -> None:
    schema = build_schema(name)
    assert schema["$id"] == schema_id(name) and schema["$id"].endswith(":" + SCHEMA_VERSION)
    assert file_name(name) == f"{name}.v{SCHEMA_VERSION.split('.')[0]}.schema.json"
    assert schema["x-schema-version"] == SCHEMA_VERSION


def test_example_scenario_validates() -> None:
    tree = load_scenario(EXAMPLE).model_dump(mode="json")
    assert errors("scenario", tree) == []


def test_schema_rejects_a_broken_scenario() -> None:
    tree = load_scenario(EXAMPLE).model_dump(mode="json")
    tree["households"][0]["priority"] = 9
    del tree["dwellings"][0]["rent"]
    found = errors("scenario", tree)
    assert any("priority" in e or "9" in e for e in found)
    assert any("rent" in e for e in found)


def test_batch_outputs_validate(tmp_path: Path) -> None:
    from allocator.batch import run_batch

    scenario = load_scenario(EXAMPLE)
    tree = scenario.model_dump(mode="json")
    tree["policy"]["solver"]["time_limit_s"] = 10
    source = tmp_path / "scenario.json"
    source.write_text(json.dumps(tree), encoding="utf-8")
    out = tmp_path / "out"
    assert run_batch(source, out).exit_code in (0, 3)
    for name, file in (
        ("proposal", "proposal.json"),
        ("reservations", "reservations.json"),
        ("batch-run", "run.json"),
    ):
        document = json.loads((out / file).read_text(encoding="utf-8"))
        assert errors(name, document) == [], file
        assert (
            document.get("schema_version") or document["run"]["schema_version"]
        ) == SCHEMA_VERSION


def test_schemas_command_writes_and_checks(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from allocator.cli import main

    runner = CliRunner()
    assert runner.invoke(main, ["schemas", "--out", str(SCHEMAS), "--check"]).exit_code == 0
    assert runner.invoke(main, ["schemas", "--out", str(tmp_path), "--check"]).exit_code == 1
    assert runner.invoke(main, ["schemas", "--out", str(tmp_path)]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(rendered())
    assert runner.invoke(main, ["schemas", "--out", str(tmp_path), "--check"]).exit_code == 0
