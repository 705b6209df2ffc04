"""`allocator batch`: the output set, idempotent reruns, all-or-nothing writes, exit codes
and structured logs. Scenarios are tiny and written to JSON in tmp_path."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from builders import building, district, dwelling, household, scenario
from click.testing import CliRunner

pytest.importorskip("allocator.io.load")

from allocator.batch import (  # noqa: E402
    EXIT_BAD_INPUT,
    EXIT_BREACHES,
    EXIT_NO_PROPOSAL,
    EXIT_OK,
    OUTPUT_FILES,
    run_batch,
)
from allocator.cli import main  # noqa: E402
from allocator.logs import EventLog  # noqa: E402
from models.proposal import SCHEMA_VERSION  # noqa: E402

POLICY = {"solver": {"workers": 2, "time_limit_s": 10}}


def plain_round() -> dict[str, Any]:
    """Three households, two dwellings, no deadline pressure."""
    return scenario(
        districts=[district("D1"), district("D2")],
        buildings=[building("B1", "D1"), building("B2", "D2")],
        dwellings=[dwelling("W1", "B1", bedrooms=1), dwelling("W2", "B2", bedrooms=2)],
        households=[
            household("H1", approved_on="2025-03-01"),
            household("H2", approved_on="2025-06-01", children=[{"age": 3}, {"age": 7}]),
            household("H3", approved_on="2026-02-01", preferred_districts=["D2"]),
        ],
        policy=POLICY,
    ).model_dump(mode="json")


def breach_round() -> dict[str, Any]:
    """A family long in temporary housing and only a one-bedroom flat: an R7 breach."""
    return scenario(
        dwellings=[dwelling("W1", "B1", bedrooms=1)],
        households=[
            household(
                "F1", children=[{"age": 4}], situation={"kind": "temporary", "since": "2026-06-01"}
            ),
            household("S1"),
        ],
        policy=POLICY,
    ).model_dump(mode="json")


def write_json(path: Path, tree: Any) -> Path:
    path.write_text(json.dumps(tree, indent=2), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def without_timings(name: str, data: bytes) -> Any:
    """A file's content with every timestamp and wall time removed (they may differ)."""
    if name.endswith(".csv"):
        return data
    tree = json.loads(data)
    tree.pop("created_at", None)
    run = tree.get("run")
    if run is not None:
        run.pop("created_at"), run.pop("wall_time_s")
        run["sizes"].pop("build_ms", None)
        for tier in run["tiers"]:
            tier.pop("wall_time_s")
    for entry in tree.get("files", []):
        if entry["name"] != "matches.csv":  # the JSON files hold timestamps
            entry.pop("sha256"), entry.pop("bytes")
    return tree


def test_writes_the_output_set(tmp_path: Path) -> None:
    source = write_json(tmp_path / "scenario.json", plain_round())
    out = tmp_path / "out"
    result = run_batch(source, out)
    assert result.exit_code == EXIT_OK, result.message
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)

    proposal = json.loads((out / "proposal.json").read_text())
    matches = {m["household"]: m["dwelling"] for m in proposal["matches"]}
    assert matches == {"H1": "W1", "H2": "W2"}
    assert proposal["run"]["schema_version"] == SCHEMA_VERSION

    rows = list(csv.DictReader(io.StringIO((out / "matches.csv").read_text())))
    assert {(r["household"], r["dwelling"]) for r in rows} == set(matches.items())
    assert {r["run_id"] for r in rows} == {proposal["run"]["id"]}
    assert {r["schema_version"] for r in rows} == {SCHEMA_VERSION}

    reservations = json.loads((out / "reservations.json").read_text())
    assert reservations["schema_version"] == SCHEMA_VERSION
    assert reservations["run_id"] == proposal["run"]["id"]
    assert reservations["tildelingsdato"] == proposal["run"]["as_of"]
    by_dwelling = {r["boligId"]: r for r in reservations["reservasjoner"]}
    assert by_dwelling["W2"]["husstandId"] == "H2"
    assert by_dwelling["W2"]["status"] == "reservert"
    move_in = {m["dwelling"]: m["move_in"] for m in proposal["matches"]}
    assert by_dwelling["W2"]["innflyttingsdato"] == move_in["W2"]

    run = json.loads((out / "run.json").read_text())
    assert run["exit_code"] == EXIT_OK and run["outcome"] == "ok"
    assert run["run_id"] == proposal["run"]["id"] and run["run"] == proposal["run"]
    assert run["schema_version"] == SCHEMA_VERSION and run["reproducible"] is True
    listed = {f["name"]: f for f in run["files"]}
    assert sorted(listed) == [
        "kobo-boligreservasjoner.json",
        "kobo-tildelinger.json",
        "matches.csv",
        "proposal.json",
        "reservations.json",
    ]
    for name, entry in listed.items():
        data = (out / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_rerun_is_identical_apart_from_timestamps(tmp_path: Path) -> None:
    source = write_json(tmp_path / "scenario.json", plain_round())
    out = tmp_path / "out"
    assert run_batch(source, out).exit_code == EXIT_OK
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "notes.txt").write_text("kept")  # a foreign file survives the swap
    assert run_batch(source, out).exit_code == EXIT_OK
    second = {p.name: p.read_bytes() for p in out.iterdir()}
    assert second.pop("notes.txt") == b"kept"
    assert sorted(first) == sorted(second)
    assert first["matches.csv"] == second["matches.csv"]
    for name in first:
        assert without_timings(name, first[name]) == without_timings(name, second[name]), name


def test_corrupt_input_leaves_existing_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_batch(write_json(tmp_path / "good.json", plain_round()), out).exit_code == 0
    before = snapshot(out)
    bad = tmp_path / "bad.json"
    bad.write_text('{"as_of": "2026-11-23", "households": [', encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", "--input", str(bad), "--output", str(out)])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "good.json", "out"]


def test_invalid_input_does_not_create_the_folder(tmp_path: Path) -> None:
    tree = plain_round()
    tree["households"][0]["adults"] = 0  # every problem is reported, nothing is written
    tree["dwellings"][0]["building"] = "nowhere"
    source = write_json(tmp_path / "scenario.json", tree)
    out = tmp_path / "new" / "out"
    result = CliRunner().invoke(main, ["batch", "--input", str(source), "--output", str(out)])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "adults" in result.output and "nowhere" in result.output
    assert not (tmp_path / "new").exists()


def test_unavoidable_breach_exits_3_and_is_written(tmp_path: Path) -> None:
    source = write_json(tmp_path / "scenario.json", breach_round())
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["batch", "--input", str(source), "--output", str(out), "--time-limit", "10"]
    )
    assert result.exit_code == EXIT_BREACHES, result.output
    proposal = json.loads((out / "proposal.json").read_text())
    assert [b["household"] for b in proposal["breaches"]] == ["F1"]
    run = json.loads((out / "run.json").read_text())
    assert run["exit_code"] == EXIT_BREACHES and run["outcome"] == "breaches"
    assert run["counts"]["breaches"] == 1


def test_no_proposal_in_time_exits_4_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import allocator.solve

    real = allocator.solve.propose

    def timed_out(*args: Any, **kwargs: Any) -> Any:
        proposal = real(*args, **kwargs)
        proposal.run.tiers[0].status = "UNKNOWN"
        proposal.run.status = "UNKNOWN"
        return proposal

    monkeypatch.setattr(allocator.solve, "propose", timed_out)
    source = write_json(tmp_path / "scenario.json", plain_round())
    out = tmp_path / "out"
    result = run_batch(source, out)
    assert result.exit_code == EXIT_NO_PROPOSAL
    assert "ingen løsning innen tidsgrensen" in result.message
    assert not out.exists()


def test_output_path_that_is_a_file_is_bad_input(tmp_path: Path) -> None:
    source = write_json(tmp_path / "scenario.json", plain_round())
    target = tmp_path / "out"
    target.write_text("not a folder")
    assert run_batch(source, target).exit_code == EXIT_BAD_INPUT
    assert target.read_text() == "not a folder"


PERSONAL = (
    "main_applicant",
    "gender",
    "children",
    "approved_on",
    "substance_use",
    "situation",
    "female",
    "needs",
)


def log_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_logs_are_json_with_run_id_and_no_household_fields(tmp_path: Path) -> None:
    source = write_json(tmp_path / "scenario.json", breach_round())
    log_file = tmp_path / "logs" / "batch.jsonl"
    result = CliRunner().invoke(
        main,
        [
            "batch",
            "--input",
            str(source),
            "--output",
            str(tmp_path / "out"),
            "--log-file",
            str(log_file),
        ],
    )
    assert result.exit_code == EXIT_BREACHES
    text = log_file.read_text()
    events = log_lines(text)
    assert all({"ts", "level", "event", "run_id"} <= set(e) for e in events)
    end = [e for e in events if e["event"] == "batch.end"]
    assert len(end) == 1 and end[0]["exit_code"] == EXIT_BREACHES
    assert end[0]["run_id"] and end[0]["status"] in ("OPTIMAL", "FEASIBLE")
    assert any(e["event"] == "batch.solved" and e["counts"]["breaches"] == 1 for e in events)
    for word in PERSONAL + ("F1", "S1", "W1"):  # no fields, and no ids below debug level
        assert word not in text, word


def test_ids_only_at_debug_level(tmp_path: Path) -> None:
    source = write_json(tmp_path / "scenario.json", plain_round())
    stream = io.StringIO()
    assert run_batch(source, tmp_path / "out", log=EventLog(stream, "debug")).exit_code == 0
    events = log_lines(stream.getvalue())
    with_ids = [e for e in events if "ids" in e]
    assert with_ids and all(e["level"] == "debug" for e in with_ids)
    assert sorted(with_ids[0]["ids"]["households"]) == ["H1", "H2"]
    for word in PERSONAL:
        assert word not in stream.getvalue()


def test_unknown_log_fields_are_dropped() -> None:
    stream = io.StringIO()
    log = EventLog(stream, "info")
    # Values no timestamp can contain (a 2-digit age flaked when the clock read :40).
    log.event("x", run_id="r1", household={"age": 40417}, ids={"households": ["H1-x"]})
    (event,) = log_lines(stream.getvalue())
    assert event["dropped"] == ["household"] and "ids" not in event
    assert "40417" not in stream.getvalue() and "H1-x" not in stream.getvalue()


def test_bad_input_is_logged_without_content(tmp_path: Path) -> None:
    tree = copy.deepcopy(plain_round())
    tree["households"][1]["main_applicant"]["age"] = 7
    source = write_json(tmp_path / "scenario.json", tree)
    stream = io.StringIO()
    result = run_batch(source, tmp_path / "out", log=EventLog(stream, "debug"))
    assert result.exit_code == EXIT_BAD_INPUT and result.problems
    (end,) = [e for e in log_lines(stream.getvalue()) if e["event"] == "batch.end"]
    assert end["status"] == "bad_input" and end["counts"]["problems"] >= 1
    assert "main_applicant" not in stream.getvalue() and "H2" not in stream.getvalue()


def test_publish_without_atomic_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where renameat2 is missing the old set is renamed aside: still never half a set."""
    import allocator.batch as batch

    out = tmp_path / "out"
    batch.publish(out, {"a.txt": b"1", "b.txt": b"1"})
    (out / "keep.txt").write_text("mine")
    import allocator.publish

    monkeypatch.setattr(allocator.publish, "_exchange", lambda a, b: False)
    batch.publish(out, {"a.txt": b"2", "b.txt": b"2"})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        "a.txt": b"2",
        "b.txt": b"2",
        "keep.txt": b"mine",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
