"""One verdict per result (allocator.outcome): `propose`, `batch` and the API agree; no
status without a proposal is ever exit 0; no command shows a traceback; Python warnings
never break the batch's JSON-lines log."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import allocator.solve
from allocator.batch import run_batch
from allocator.cli import main
from allocator.outcome import (
    EXIT_BREACHES,
    EXIT_INTERNAL,
    EXIT_NO_PROPOSAL,
    EXIT_OK,
    classify,
)

DATA = Path(__file__).parent / "data" / "loaders"
CANONICAL: dict[str, Any] = json.loads((DATA / "canonical.json").read_text(encoding="utf-8"))


def plain_round(tmp_path: Path) -> Path:
    tree = dict(CANONICAL, locks={}, policy={"solver": {"workers": 1, "time_limit_s": 10}})
    path = tmp_path / "round.json"
    path.write_text(json.dumps(tree), encoding="utf-8")
    return path


def with_tier_status(monkeypatch: pytest.MonkeyPatch, status: str) -> None:
    """Every solve ends with its first tier in ``status`` (as CP-SAT could report it)."""
    real = allocator.solve.propose

    def propose(*args: Any, **kwargs: Any) -> Any:
        proposal = real(*args, **kwargs)
        proposal.run.tiers[0].status = status
        proposal.run.status = "UNKNOWN"
        return proposal

    monkeypatch.setattr(allocator.solve, "propose", propose)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        ("MODEL_INVALID", EXIT_INTERNAL, "solver_refused"),
        ("UNKNOWN", EXIT_NO_PROPOSAL, "no_proposal"),
    ],
)
def test_no_proposal_is_never_exit_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str, code: int, kind: str
) -> None:
    with_tier_status(monkeypatch, status)
    source, out = plain_round(tmp_path), tmp_path / "p.json"
    result = CliRunner().invoke(main, ["propose", str(source), "--out", str(out)])
    assert result.exit_code == code and not out.exists(), result.output
    assert "Traceback" not in result.output
    batch = run_batch(source, tmp_path / "batch")
    assert batch.exit_code == code and not (tmp_path / "batch").exists()
    if code == EXIT_INTERNAL:
        (line,) = json_lines(result.output)
        assert line["event"] == "cli.error" and line["error"] == "solver_rejected_model"


def test_classify_agrees_for_every_kind(tmp_path: Path) -> None:
    from allocator.io.load import load_scenario

    proposal = allocator.solve.propose(load_scenario(plain_round(tmp_path)))
    assert classify(proposal).kind in ("ok", "breaches")
    expected = EXIT_BREACHES if proposal.breaches else EXIT_OK
    assert classify(proposal).exit_code == expected
    assert classify(proposal, ["a violation"]).error == "proposal_failed_independent_check"


def test_an_unexpected_error_is_one_json_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import allocator.io.load

    def boom(path: Any) -> Any:
        raise RuntimeError("H17 is secret")

    monkeypatch.setattr(allocator.io.load, "read_scenario", boom)
    for command in (
        ["validate", str(DATA / "canonical.json")],
        ["recommend", str(DATA / "canonical.json"), "H1"],
    ):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == EXIT_INTERNAL and result.exception is not None
        assert isinstance(result.exception, SystemExit)
        (line,) = json_lines(result.output)
        assert line["event"] == "cli.error" and line["error"] == "RuntimeError"
        assert line["command"] == command[0]
        assert "H17" not in result.output and "Traceback" not in result.output


def test_debug_shows_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import allocator.io.load

    monkeypatch.setattr(allocator.io.load, "read_scenario", lambda path: 1 / 0)
    monkeypatch.setenv("ALLOCATOR_DEBUG", "1")
    result = CliRunner().invoke(main, ["validate", str(DATA / "canonical.json")])
    assert isinstance(result.exception, ZeroDivisionError)


def test_python_warnings_go_into_the_batch_log_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = allocator.solve.propose

    def noisy(*args: Any, **kwargs: Any) -> Any:
        warnings.warn("a library's deprecation", DeprecationWarning, stacklevel=1)
        warnings.warn("something odd in the data", UserWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(allocator.solve, "propose", noisy)
    log = tmp_path / "batch.log"
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        result = CliRunner().invoke(
            main,
            [
                "batch",
                "--input",
                str(plain_round(tmp_path)),
                "--output",
                str(tmp_path / "out"),
                "--log-file",
                str(log),
            ],
        )
    assert result.exit_code in (EXIT_OK, EXIT_BREACHES), result.output
    lines = log.read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]  # every line is JSON
    warned = [e for e in events if e["event"] == "python.warning"]
    assert {(e["category"], e["warning"]) for e in warned} >= {
        ("DeprecationWarning", "a library's deprecation"),
        ("UserWarning", "something odd in the data"),
    }


def test_other_commands_show_warnings_as_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import allocator.io.load

    real = allocator.io.load.read_scenario

    def noisy(path: Any) -> Any:
        warnings.warn("cell styles are odd", UserWarning, stacklevel=1)
        return real(path)

    monkeypatch.setattr(allocator.io.load, "read_scenario", noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        result = CliRunner().invoke(main, ["validate", str(DATA / "canonical.json")])
    assert result.exit_code == 0
    assert "advarsel: UserWarning: cell styles are odd" in result.output
