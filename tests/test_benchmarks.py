"""Smoke tests of the benchmark runner and the recorded instance hashes (no timing asserts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from allocator.hashing import scenario_sha256
from benchmarks.instances import (
    HERE,
    INSTANCES_YAML,
    InstanceHashMismatch,
    generate,
    load_instance,
    load_specs,
)
from benchmarks.runner import Options, run

SPECS = load_specs()

SOLVER_FIELDS = {"status", "optimise_s", "first_s", "best_s", "tier2_best_s", "tiers", "stages"}
TIER_FIELDS = {
    "tier",
    "phase",
    "instance",
    "settings",
    "sizes",
    "build",
    "solve",
    "propose",
    "check",
    "greedy",
    "bound",
    "peak_rss_mb",
    "rss_after_propose_mb",
    "process",
    "goals",
    "ok",
    "headline",
    "best_bound",
}


@pytest.mark.parametrize("name", [n for n, s in SPECS.items() if s.file])
def test_committed_instances_match_their_hash_and_generator(name: str) -> None:
    spec = SPECS[name]
    committed = load_instance(spec)  # raises on a hash mismatch
    assert scenario_sha256(committed) == spec.sha256
    assert scenario_sha256(generate(spec)) == spec.sha256


@pytest.mark.parametrize("name", [n for n, s in SPECS.items() if not s.file])
def test_regenerated_instances_match_their_hash(name: str) -> None:
    assert scenario_sha256(load_instance(SPECS[name])) == SPECS[name].sha256


def test_every_tier_records_a_hash() -> None:
    assert {"week", "city", "example", "horizon", "stock"} <= set(SPECS)
    for spec in SPECS.values():
        assert spec.sha256 and len(spec.sha256) == 64, spec.name
        if spec.file:
            assert (HERE / spec.file).exists(), spec.file


def test_changed_instance_fails_loudly(tmp_path: Path) -> None:
    text = INSTANCES_YAML.read_text(encoding="utf-8").replace(SPECS["week"].sha256 or "", "0" * 64)
    changed = tmp_path / "instances.yaml"
    changed.write_text(text, encoding="utf-8")
    with pytest.raises(InstanceHashMismatch, match="week"):
        load_instance(load_specs(changed)["week"])
    with pytest.raises(InstanceHashMismatch, match="week"):
        run(
            Options(
                tiers=["week"],
                time_limit=1,
                out=tmp_path / "out",
                highs=False,
                instances=changed,
                quiet=True,
            )
        )


@pytest.fixture(scope="module")
def week_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("bench")
    results = run(Options(tiers=["week"], time_limit=2, workers=2, out=out, highs=True, quiet=True))
    return results, out


def test_runner_writes_json_and_markdown_with_every_field(
    week_run: tuple[dict[str, Any], Path],
) -> None:
    results, out = week_run
    on_disk = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert on_disk["tiers"][0]["tier"] == "week"
    for key in ("date", "cpu", "cores", "ram_gb", "python", "ortools", "highspy"):
        assert key in on_disk["machine"]
    tier = on_disk["tiers"][0]
    assert set(tier) >= TIER_FIELDS, TIER_FIELDS - set(tier)
    assert tier["ok"] and tier["phase"] == "done"
    assert tier["instance"]["sha256"] == SPECS["week"].sha256
    assert tier["instance"]["sha256_ok"] is True
    assert set(tier["solve"]) >= SOLVER_FIELDS
    assert tier["check"]["violations"] == 0
    assert tier["sizes"]["pairs"] > 0
    assert {c["name"] for c in tier["solve"]["tiers"]} >= {
        "deadline_breaches",
        "deadline_days_over",
        "priority_waiting",
        "fit",
    }
    assert "priority_waiting" in tier["greedy"]["components"]
    assert "violations" in tier["greedy"]
    assert {
        "deadline_breaches",
        "deadline_days_over",
        "priority_waiting",
        "tier1_matched",
        "tier2_ratio",
    } <= set(tier["bound"])
    assert tier["peak_rss_mb"] > 0
    assert set(tier["goals"]) == set(SPECS["week"].goals)
    summary = (out / "summary.md").read_text(encoding="utf-8")
    for heading in (
        "# Benchmark results",
        "## Our solver",
        "## Quality",
        "## HiGHS",
        "## Goals",
        "## Per component",
    ):
        assert heading in summary
    assert "| week |" in summary


def test_highs_solves_the_same_model(week_run: tuple[dict[str, Any], Path]) -> None:
    tier = week_run[0]["tiers"][0]
    assert tier["mip"]["ours_violates"] == 0  # CP-SAT's proposal is feasible for the MIP
    highs = tier["highs"]
    assert {
        "status",
        "objective",
        "bound",
        "gap",
        "time_to_target_s",
        "peak_rss_mb",
        "solution_check",
    } <= set(highs)
    assert highs["solution_check"]["violations"] == 0  # HiGHS's solution passes the checker
    assert (
        highs["solution_check"]["components"]["deadline_breaches"]
        <= tier["mip"]["held"]["deadline_breaches"]
    )
    if highs["status"] == "Optimal":
        assert highs["objective"] == pytest.approx(tier["mip"]["target"])  # both optimal
    assert tier["headline"] is not None and tier["headline"]["mismatch"] is False


def test_markdown_handles_a_killed_tier() -> None:
    from benchmarks.report import markdown

    results = {
        "machine": {
            "date": "d",
            "cpu": "c",
            "cores": 1,
            "ram_gb": 1,
            "python": "3",
            "ortools": "9",
            "highspy": None,
            "git_commit": None,
        },
        "settings": {"time_limit_s": 1, "workers": None, "highs": False},
        "tiers": [
            {
                "tier": "stock",
                "phase": "propose",
                "highs": {"skipped": "x"},
                "process": {
                    "killed": "killed: no result within 1 s",
                    "returncode": -9,
                    "seconds": 1,
                },
                "goals": {},
            }
        ],
    }
    text = markdown(results)
    assert "killed" in text and "| stock |" in text


def test_unknown_generator_is_refused() -> None:
    from benchmarks.instances import TierSpec

    with pytest.raises(ValueError, match="unknown generator"):
        generate(
            TierSpec(name="x", generator="nope", sha256=None, seed=1, dwellings=1, households=1)
        )


def test_random_rounds_benchmark_counts_what_it_solved(tmp_path: Path) -> None:
    from benchmarks import random_rounds

    assert random_rounds.draws(3, 5, 20) == random_rounds.draws(3, 5, 20)
    assert random_rounds.main(["--rounds", "3", "--seed", "5", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "random_rounds.json").read_text())
    rounds = result["rounds"]
    assert [r["seed"] for r in rounds] == [d["seed"] for d in random_rounds.draws(3, 5, 30)]
    s = result["summary"]
    assert s["rounds"] == 3
    assert s["optimal"] == sum(r["status"] == "OPTIMAL" for r in rounds)
    assert s["propose_s_max"] == max(r["propose_s"] for r in rounds)
    assert result["machine"]["ortools"]
