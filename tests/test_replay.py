"""The weekly replay: common random numbers across policies, a clean optimiser, the flow's
bookkeeping, the outputs and the CLI. Short runs (2–4 weeks) keep this under ~15 s."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from allocator.checker import check_proposal
from allocator.cli import main
from allocator.io.load import load_scenario
from allocator.replay import Settings, load_source, resolve_all, run_replay
from allocator.replay.flow import after_round, before_round, poisson
from allocator.replay.kpis import KPI_LABELS
from allocator.replay.municipality import DEFAULT_CONFIG, Municipality, generate, residents_of
from allocator.replay.policies import for_replay
from allocator.replay.report import write_outputs
from allocator.replay.runner import ReplayResult
from allocator.replay.state import DECLINED_REASON, World
from allocator.replay.streams import Streams
from allocator.solve import propose
from models import Category, Policy

ROOT = Path(__file__).resolve().parents[1]
WEEKS = 4


@pytest.fixture(scope="module")
def town() -> Municipality:
    return generate(DEFAULT_CONFIG, seed=0)


@pytest.fixture(scope="module")
def result(town: Municipality) -> ReplayResult:
    specs = resolve_all(["default", "greedy"])
    return run_replay(town, specs, Settings(weeks=WEEKS, seed=0, progress=False))


def test_policies_see_the_same_arrivals_and_vacancies(result: ReplayResult) -> None:
    optimiser, greedy = result.runs
    assert [r.spec.method for r in result.runs] == ["cp-sat", "greedy"]
    assert len(optimiser.trace) == len(greedy.trace) == WEEKS
    for a, b in zip(optimiser.trace, greedy.trace, strict=True):
        assert a.arrivals == b.arrivals
        assert a.moveout_draws == b.moveout_draws
    assert sum(len(t.arrivals) for t in optimiser.trace) > 0
    assert sum(len(t.moveout_draws) for t in optimiser.trace) > 0
    # Day 0 is shared; week 1's notices fall on the same (still occupied) dwellings.
    assert optimiser.trace[1].moved_out == greedy.trace[1].moved_out


def test_same_seed_same_replay(town: Municipality, result: ReplayResult) -> None:
    again = run_replay(
        town, resolve_all(["default"]), Settings(weeks=WEEKS - 1, seed=0, progress=False)
    )
    timing = {"solve_s", "wall_s"}
    for a, b in zip(again.runs[0].rows, result.runs[0].rows, strict=False):
        assert {k: v for k, v in a.items() if k not in timing} == {
            k: v for k, v in b.items() if k not in timing
        }


def test_streams_are_pure_functions_of_seed_process_week_and_key() -> None:
    s, t = Streams(7), Streams(8)
    assert s.week("arrivals", 3).random() == Streams(7).week("arrivals", 3).random()
    assert s.week("arrivals", 3).random() != s.week("vacancies", 3).random()
    assert s.week("arrivals", 3).random() != t.week("arrivals", 3).random()
    assert (s.week_array("vacancies", 2, 5) == Streams(7).week_array("vacancies", 2, 5)).all()
    assert s.keyed("declines", 1, "H1").random() != s.keyed("declines", 1, "H2").random()
    rng = Streams(0).week("arrivals", 0)
    draws = [poisson(rng, 7.8) for _ in range(2000)]
    assert 7.4 < sum(draws) / len(draws) < 8.2


def test_greedy_baseline_never_breaks_a_hard_rule(result: ReplayResult) -> None:
    greedy = result.runs[1]
    assert all(r["violations"] == 0 for r in greedy.rows)
    assert sum(r["offers"] for r in greedy.rows) > 0


def test_optimiser_never_breaks_a_hard_rule(result: ReplayResult) -> None:
    optimiser = result.runs[0]
    assert [r["week"] for r in optimiser.rows] == list(range(WEEKS))
    assert all(r["violations"] == 0 for r in optimiser.rows)
    assert all(r["unequal_pairs"] == 0 for r in optimiser.rows)  # equal cases: rules decide
    assert all(r["status"] == "OPTIMAL" for r in optimiser.rows)
    assert sum(r["offers"] for r in optimiser.rows) > 0
    for row in optimiser.rows:
        assert set(KPI_LABELS) <= set(row)


def test_flow_bookkeeping_offers_moves_and_declines(town: Municipality) -> None:
    """Accepted offers move households into the stock and the residents counts follow;
    declined dwellings return next week and are not offered to the same household."""
    world = World(town, town.config.flow, town.household_factory())
    streams = Streams(0)
    policy = for_replay(Policy(), time_limit_s=5, workers=1)
    declined: list[tuple[str, str]] = []
    for week in range(3):
        as_of = town.start + dt.timedelta(days=7 * week)
        events = before_round(world, streams, week, as_of)
        scenario = world.round(as_of, policy)
        forbidden = {
            (f.household, f.dwelling)
            for f in scenario.locks.forbidden
            if f.reason == DECLINED_REASON
        }
        assert {p for p in declined if p[0] in world.waiting} <= forbidden
        proposal = propose(scenario)
        assert check_proposal(scenario, proposal) == []
        after_round(world, streams, week, proposal, events)
        for p in events.accepted:
            assert world.tenants[p.dwelling.id].id == p.household.id
            if p.dwelling.category is not Category.temporary:
                assert p.household.id not in world.waiting
        by_hh = {m.household: m.dwelling for m in proposal.matches}
        for hid in events.declined:
            assert by_hh[hid] in world.vacant
            declined.append((hid, by_hh[hid]))
        for s in scenario.households:
            assert s.situation.since is None or s.situation.since <= as_of
    buildings = world.buildings()
    recount = residents_of(buildings, list(world.dwellings.values()), world.tenants)
    assert all(b.residents == recount[b.id] for b in buildings)
    assert not set(world.tenants) & set(world.vacant)


def test_outputs_parquet_csv_png_html(result: ReplayResult, tmp_path: Path) -> None:
    paths = write_outputs(result, tmp_path)
    kpis = pd.read_parquet(tmp_path / "kpis.parquet")
    assert len(kpis) == 2 * WEEKS and set(kpis["seed"]) == {0}
    assert set(KPI_LABELS) <= set(kpis.columns)
    assert list(pd.read_csv(tmp_path / "kpis.csv")["policy"].unique()) == ["default", "greedy"]
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert list(summary["policy"]) == ["default", "greedy"]
    assert pd.read_parquet(tmp_path / "summary.parquet").shape == summary.shape
    for kpi in KPI_LABELS:
        assert (tmp_path / "plots" / f"{kpi}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Sammendrag" in html and "Syntetiske data" in html and "greedy" in html
    assert "data:image/png;base64," in html and "Kalibrering" in html
    assert json.loads((tmp_path / "run.json").read_text())["weeks"] == WEEKS
    assert all(p.exists() for p in paths.values())
    # Outcomes by group (allocator.fairness): per seed, policy and group; one seed, no CI.
    groups = pd.read_csv(tmp_path / "fairness.csv")
    assert list(groups.columns[:6]) == ["policy", "method", "seed", "group", "dimension", "label"]
    assert set(groups["policy"]) == {"default", "greedy"} and set(groups["seed"]) == {0}
    assert {
        "all",
        "families",
        "single_adults",
        "active_use",
        "recovery",
        "refugees",
        "wheelchair",
        "priority_1",
        "priority_3",
        "situation_temporary",
        "origin_stromso",
        "origin_konnerud",
    } <= set(groups["group"])
    assert pd.read_csv(tmp_path / "fairness_summary.csv")["ci_low"].isna().all()
    assert (tmp_path / "plots" / "fairness.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Likebehandling: utfall etter gruppe" in html and "rullestolbrukere" in html
    assert "kjør med <code>--seeds N</code>" in html


def test_cli_replay_writes_everything(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "replay",
            str(DEFAULT_CONFIG),
            "--weeks",
            "2",
            "--policy",
            "default",
            "--policy",
            "greedy",
            "--seed",
            "1",
            "--out",
            str(out),
            "--quiet",
            "--save-rounds",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "default" in result.output and "greedy" in result.output
    for name in (
        "kpis.parquet",
        "kpis.csv",
        "summary.csv",
        "report.html",
        "plots/waiting.png",
        "calibration.csv",
    ):
        assert (out / name).is_file(), name
    # A saved week is a normal round: load it and check the proposal made for it.
    week1 = out / "rounds" / "default" / "week-001.scenario.json"
    checked = CliRunner().invoke(
        main, ["check", str(week1), str(week1).replace("scenario", "proposal")]
    )
    assert checked.exit_code == 0, checked.output
    assert load_scenario(week1).as_of == dt.date(2026, 1, 12)


def test_cli_replay_accepts_a_folder_and_a_plain_scenario(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = runner.invoke(
        main,
        [
            "replay",
            str(DEFAULT_CONFIG.parent),
            "--weeks",
            "1",
            "--policy",
            "greedy",
            "--out",
            str(tmp_path / "a"),
            "--quiet",
        ],
    )
    assert folder.exit_code == 0, folder.output
    plain = runner.invoke(
        main,
        [
            "replay",
            str(ROOT / "scenarios" / "example"),
            "--weeks",
            "2",
            "--policy",
            "default",
            "--out",
            str(tmp_path / "b"),
            "--quiet",
        ],
    )
    assert plain.exit_code == 0, plain.output
    m = load_source(ROOT / "scenarios" / "example")
    assert m.origin == "scenario"
    assert len(m.dwellings) == sum(b.units for b in m.buildings)


def test_cli_replay_rejects_unknown_policy(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["replay", str(DEFAULT_CONFIG), "--policy", "nope", "--out", str(tmp_path), "--quiet"]
    )
    assert result.exit_code == 2
    assert "nope" in result.output


def test_policy_file_is_a_third_policy(tmp_path: Path) -> None:
    path = tmp_path / "tight.yaml"
    path.write_text("name: tight\nspread: {building_max_share: 0.1}\n", encoding="utf-8")
    specs = resolve_all(["default", str(path), "default"])
    assert [s.name for s in specs] == ["default", "tight", "default-2"]
    assert specs[1].policy.spread.building_max_share == 0.1
    replay_policy = for_replay(specs[1].policy, time_limit_s=2, workers=1)
    assert replay_policy.solver.alternates == 0 and replay_policy.spread == specs[1].policy.spread


def test_report_numbers_and_dates_read_as_people_write_them() -> None:
    """Counts whole (a mean of 0 breaches is "0", not "0,000"), indices with three
    decimals, the rest one, a decimal comma; dates dd.mm.yyyy."""
    from allocator.glossary import moment
    from allocator.replay.report import _fmt

    assert [_fmt(x) for x in (0.0, 3.0, 0.117, 47.2, None)] == ["0", "3", "0,117", "47,2", "–"]
    assert moment("2026-12-03T15:30:24+00:00") == "03.12.2026 kl. 16.30"  # Oslo, winter
