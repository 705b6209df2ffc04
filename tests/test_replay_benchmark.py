"""Smoke test of the replay benchmark (no timing assertions)."""

from __future__ import annotations

from benchmarks.replay import markdown, measure


def test_replay_benchmark_reports_both_policies() -> None:
    report = measure(weeks=2, seed=1)
    assert [r["policy"] for r in report["policies"]] == ["default", "greedy"]
    assert all(r["weeks"] == 2 and r["wall_s"] >= 0 for r in report["policies"])
    optimiser = report["policies"][0]
    assert optimiser["violations"] == 0  # the optimiser never breaks a hard rule
    text = markdown(report)
    assert "| default | cp-sat |" in text and "Goal: optimiser under 30 s" in text
