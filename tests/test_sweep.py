"""Policy sweeps on Dask: the same numbers as plain replays, retry-once and failure
reporting, idempotent resume, the paired statistics and the price-of-rules grid.

One 2-worker LocalCluster (processes, one thread each) serves the module; the cells are
4-5 weeks long, so the whole file stays well under a minute.
"""

from __future__ import annotations

import functools
import io
import json
import math
import random
import shutil
import sys
from pathlib import Path
from typing import Any

import cloudpickle
import pandas as pd
import pytest
from click.testing import CliRunner

from allocator.cli import main
from allocator.replay import Settings, run_replay
from allocator.replay.municipality import DEFAULT_CONFIG, generate
from allocator.replay.policies import PolicySpec
from allocator.sweep import (
    Cell,
    CellResult,
    SweepExists,
    execute_cell,
    load_grid,
    make_client,
    price_of_rules_grid,
    run_sweep,
)
from allocator.sweep.grid import PRICE_OF_RULES, Grid, GridFile, resolve_grid
from allocator.sweep.relax import FAMILIES, RELAXATIONS
from allocator.sweep.stats import compare, t_interval
from allocator.sweep.store import CELLS, GROUPS, WEEKS, cell_path, read_table, typed
from allocator.sweep.transforms import apply_transforms
from models.problems import InputError

WEEKS_PER_CELL = 5
TIMING = ["solve_s", "wall_s"]
# A valid policy; `always_fails` (shipped to the workers) or `boom_replays` (in-process)
# make its cells raise. Values that used to make a replay raise (offers moving in after the
# year 9999) are now refused as input, before any cell runs.
BOOM = {"name": "boom", "set": {"offer_lead_days": 15}}
BOOM_ERROR = "ValueError: boom policy cells always fail"


def always_fails(cell: Cell) -> CellResult:
    """A task whose cells of the boom policy always raise (deterministically)."""
    if cell.policy == "boom":
        raise ValueError("boom policy cells always fail")
    return execute_cell(cell)


def boom_replays(monkeypatch: pytest.MonkeyPatch) -> None:
    """In this process, replays of the boom policy raise like `always_fails`."""
    import allocator.sweep.cell as cell_module

    real = cell_module.run_policy

    def run_policy(m: Any, spec: PolicySpec, settings: Settings) -> Any:
        if spec.name == "boom":
            raise ValueError("boom policy cells always fail")
        return real(m, spec, settings)

    monkeypatch.setattr(cell_module, "run_policy", run_policy)


def make_grid(
    policies: list[Any], seeds: list[int], weeks: int = WEEKS_PER_CELL, baseline: str | None = None
) -> Grid:
    spec = GridFile.model_validate(
        {
            "name": "test",
            "weeks": weeks,
            "seeds": seeds,
            "baseline": baseline,
            "scenarios": [{"name": "drammen", "path": str(DEFAULT_CONFIG)}],
            "policies": policies,
        }
    )
    return resolve_grid(spec, Path.cwd())


@pytest.fixture(scope="module")
def client() -> Any:
    c = make_client(workers=2)
    yield c
    cluster = c.cluster
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def grid() -> Grid:
    """2 policies x 4 seeds = 8 cells."""
    return make_grid([{"name": "alle"}, {"name": "uten-R5", "relax": ["R5"]}], [0, 1, 2, 3])


@pytest.fixture(scope="module")
def swept(client: Any, grid: Grid, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweep")
    outcome = run_sweep(grid, out, client=client, progress=False)
    assert outcome.ok and len(outcome.done) == 8 and not outcome.skipped
    assert len({outcome.workers[c] for c in outcome.done}) == 2  # both workers ran cells
    return out


def replay_one_by_one(grid: Grid) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The grid's cells as plain ``run_replay`` calls, in this process, without Dask."""
    weeks, summaries = [], []
    for cell in grid.cells():
        m = generate(DEFAULT_CONFIG, cell.seed)
        spec = PolicySpec(cell.policy, cell.rules, "cp-sat", "test")
        result = run_replay(m, [spec], Settings(weeks=cell.weeks, seed=cell.seed, progress=False))
        weeks += [cell.columns() | row for row in result.kpis()]
        summaries += [cell.columns() | row for row in result.summary()]
    return typed(pd.DataFrame(weeks)), pd.DataFrame(summaries)


def test_sweep_equals_replays_run_one_by_one(swept: Path, grid: Grid) -> None:
    ids = [c.id for c in grid.cells()]
    got_weeks = read_table(swept, ids, WEEKS).drop(columns=TIMING)
    got_cells = read_table(swept, ids, CELLS)
    want_weeks, want_cells = replay_one_by_one(grid)
    assert len(got_weeks) == 8 * WEEKS_PER_CELL
    pd.testing.assert_frame_equal(got_weeks, want_weeks.drop(columns=TIMING), check_exact=True)
    kpis = [c for c in want_cells.columns if c not in TIMING]
    pd.testing.assert_frame_equal(got_cells[kpis], typed(want_cells)[kpis], check_exact=True)
    assert got_cells["violations"].sum() == 0


def test_outputs_and_paired_comparison(swept: Path, grid: Grid) -> None:
    assert json.loads((swept / "failures.json").read_text()) == []
    info = json.loads((swept / "sweep.json").read_text())
    assert info["done"] == 8 and info["failed"] == 0
    assert {c["status"] for c in info["cell_list"]} == {"done"}
    comparison = pd.read_csv(swept / "comparison.csv")
    base = comparison[comparison["policy"] == "alle"]
    assert (base["diff_mean"] == 0).all() and (base["n"] == 4).all()
    cells = pd.read_csv(swept / "summary.csv")
    housed = cells.pivot(index="seed", columns="policy", values="housed")
    row = comparison[(comparison["policy"] == "uten-R5") & (comparison["kpi"] == "housed")]
    diff = (housed["uten-R5"] - housed["alle"]).to_numpy()
    assert row["diff_mean"].iloc[0] == pytest.approx(diff.mean())
    assert row["ci_low"].iloc[0] == pytest.approx(t_interval(diff).low, nan_ok=True)
    html = (swept / "report.html").read_text(encoding="utf-8")
    assert 'lang="nb"' in html and "Hva koster og hva gir hver regel?" in html
    assert html.count("data:image/png;base64,") == 7  # 6 KPIs and the outcomes by group
    assert "spread.building_cap: off, spread.district_quota: off" in html  # what "off" means
    assert len(list((swept / "plots").glob("*.png"))) == 7


def test_outcomes_by_group_per_cell(swept: Path, grid: Grid) -> None:
    ids = [c.id for c in grid.cells()]
    groups = read_table(swept, ids, GROUPS)
    cells = read_table(swept, ids, CELLS).set_index("cell_id")
    everyone = groups[groups["group"] == "all"].set_index("cell_id")
    assert sorted(everyone.index) == sorted(ids)
    assert (everyone["housed"] == cells.loc[everyone.index, "housed"]).all()
    assert (everyone["wait_p50"] == cells.loc[everyone.index, "wait_p50"]).all()
    assert groups["approvals"].dtype == "int64" and groups["housed_share"].dtype == "float64"
    summary = pd.read_csv(swept / "fairness_summary.csv")
    housed = summary[(summary["group"] == "all") & (summary["measure"] == "housed")]
    assert sorted(housed["policy"]) == ["alle", "uten-R5"] and (housed["n"] == 4).all()
    mean = everyone.reset_index().groupby("policy")["housed"].mean()
    assert housed.set_index("policy")["mean"].to_dict() == pytest.approx(mean.to_dict())
    assert len(pd.read_csv(swept / "fairness.csv")) == len(groups)
    html = (swept / "report.html").read_text(encoding="utf-8")
    assert "Likebehandling: utfall etter gruppe per regelsett" in html
    assert "barnefamilier" in html and "Tildelinger mot vedtak" in html


def test_failed_cell_is_retried_once_and_reported(client: Any, tmp_path: Path) -> None:
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    g = make_grid([{"name": "alle"}, BOOM], [0, 1], weeks=3)
    outcome = run_sweep(g, tmp_path, client=client, progress=False, task=always_fails)
    assert sorted(c.policy for c in outcome.cells if c.id in outcome.done) == ["alle", "alle"]
    failures = json.loads((tmp_path / "failures.json").read_text())
    assert sorted((f["policy"], f["seed"], f["attempts"]) for f in failures) == [
        ("boom", 0, 2),
        ("boom", 1, 2),
    ]
    assert all(
        f["errors"] == [BOOM_ERROR] * 2 and f["traceback"] for f in failures
    )  # the same error twice (deterministic), with a traceback
    assert not any(cell_path(tmp_path, f["cell_id"]).exists() for f in failures)
    assert len(list((tmp_path / "cells").glob("*.parquet"))) == 2
    assert "feilet også i andre forsøk" in (tmp_path / "report.html").read_text("utf-8")


def fail_first_attempt(markers: Path, cell: Cell) -> CellResult:
    """A task that fails on a cell's first attempt only (shipped to workers by value)."""
    marker = markers / cell.id
    if not marker.exists():
        marker.touch()
        raise RuntimeError("first attempt fails")
    return execute_cell(cell)


def test_a_cell_that_fails_once_lands_on_its_retry(client: Any, tmp_path: Path) -> None:
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    g = make_grid([{"name": "alle"}], [0, 1], weeks=2)
    (tmp_path / "markers").mkdir()
    task = functools.partial(fail_first_attempt, tmp_path / "markers")
    outcome = run_sweep(g, tmp_path / "out", client=client, progress=False, task=task)
    assert outcome.ok and sorted(outcome.retried.values()) == [2, 2]
    info = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert [c["attempts"] for c in info["cell_list"]] == [2, 2] and info["retried"] == 2
    assert json.loads((tmp_path / "out" / "failures.json").read_text()) == []


def test_resume_skips_finished_cells(client: Any, swept: Path, grid: Grid, tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(swept, out)
    with pytest.raises(SweepExists):
        run_sweep(grid, out, client=client, progress=False)
    again = run_sweep(grid, out, client=client, resume=True, progress=False)
    assert again.done == [] and len(again.skipped) == 8
    lost = [c.id for c in grid.cells()[:2]]
    before = {c: cell_path(out, c).read_bytes() for c in lost}
    for c in lost:
        cell_path(out, c).unlink()
    again = run_sweep(grid, out, client=client, resume=True, progress=False)
    assert sorted(again.done) == sorted(lost) and len(again.skipped) == 6
    for c in lost:  # the same numbers again (timings aside)
        a = pd.read_parquet(cell_path(out, c)).drop(columns=TIMING)
        b = pd.read_parquet(io.BytesIO(before[c])).drop(columns=TIMING)
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_cli_exit_codes_without_dask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    boom_replays(monkeypatch)
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text(
        json.dumps(
            {
                "name": "cli",
                "weeks": 2,
                "seeds": [0],
                "scenarios": [{"name": "drammen", "path": str(DEFAULT_CONFIG)}],
                "policies": ["default", BOOM],
            }
        ),
        encoding="utf-8",
    )
    runner = CliRunner()
    out = tmp_path / "out"
    args = ["sweep", str(grid_file), "--workers", "0", "--out", str(out), "--quiet"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "FAILED drammen/boom/seed=0" in result.output
    assert runner.invoke(main, args).exit_code == 2  # results exist, no --resume
    assert runner.invoke(main, [*args, "--resume"]).exit_code == 1  # boom fails again
    assert runner.invoke(main, ["sweep"]).exit_code == 2
    grid_file.write_text("name: bad\nseeds: [0]\npolicies: [default]\nscenarios: [nope.yaml]\n")
    bad = runner.invoke(main, ["sweep", str(grid_file), "--workers", "0", "--out", str(out)])
    assert bad.exit_code == 2 and "nope.yaml" in bad.output


def test_cell_ids_are_stable_and_sensitive(grid: Grid) -> None:
    ids = [c.id for c in grid.cells()]
    assert len(set(ids)) == 8
    assert ids == [
        c.id
        for c in make_grid(
            [{"name": "alle"}, {"name": "uten-R5", "relax": ["R5"]}], [0, 1, 2, 3]
        ).cells()
    ]
    longer = grid.with_overrides(weeks=WEEKS_PER_CELL + 1)
    assert not set(ids) & {c.id for c in longer.cells()}


def test_price_of_rules_grid_relaxes_one_family_each() -> None:
    g = price_of_rules_grid()
    assert g.baseline == "alle-regler" and len(g.seeds) >= 8 and g.weeks == 52
    by_name = {e.name: (e, p) for e, p, _ in g.policies}
    assert set(by_name) == {"alle-regler", *(f"uten-{f}" for f in FAMILIES)}
    base = by_name["alle-regler"][1]
    assert base.occupancy.crowding == "hard" and base.school.mode == "hard"
    assert by_name["uten-R2"][1].occupancy.crowding == "off"
    assert by_name["uten-R4"][1].school.mode == "off"
    assert by_name["uten-R5"][1].spread.building_cap == "off"
    assert by_name["uten-R5"][1].spread.district_quota == "off"
    assert by_name["uten-R2"][1].occupancy.bedrooms == "off"
    assert by_name["uten-R3"][1].location.mode == "off"
    assert by_name["uten-R6"][1].separation.mode == "off"
    assert by_name["uten-R6"][1].separation.sites == "off"
    assert by_name["uten-R7"][1].temporary.mode == "off"
    assert by_name["uten-R8"][1].needs.mode == "off"
    # Every family is relaxed by policy switches alone (solver and checker read them).
    assert all(c.transforms == () for c in g.cells())
    changed = {
        name: {k for k, v in p.model_dump().items() if k != "name" and v != base.model_dump()[k]}
        for name, (_, p) in by_name.items()
    }
    assert changed["uten-R2"] == {"occupancy"} and changed["uten-R3"] == {"location"}
    assert changed["uten-R7"] == {"temporary"} and changed["uten-R8"] == {"needs"}
    assert all(RELAXATIONS[f].family == f for f in FAMILIES)
    assert load_grid(PRICE_OF_RULES).baseline == g.baseline


def test_transforms_keep_common_random_numbers() -> None:
    m = generate(DEFAULT_CONFIG, 0)
    t = apply_transforms(m, ("open_location", "drop_needs"))
    assert [h.id for h in t.waiting] == [h.id for h in m.waiting]
    assert all(
        h.acceptable_districts is None
        and not h.excluded_districts
        and not h.needs.wheelchair
        and h.max_rent is None
        for h in t.waiting
    )
    assert any(h.acceptable_districts is not None for h in m.waiting)  # m is untouched
    f, g = m.household_factory(), t.household_factory()
    drawn = [
        (f.draw(random.Random(k), f"X{k}", m.start), g.draw(random.Random(k), f"X{k}", m.start))
        for k in range(100)
    ]
    assert all(
        a.children == b.children
        and a.approved_on == b.approved_on
        and a.preferred_districts == b.preferred_districts
        and a.needs.staffed == b.needs.staffed
        for a, b in drawn
    )
    assert all(b.max_rent is None and b.acceptable_districts is None for _, b in drawn)


def test_t_interval_and_bad_grids() -> None:
    i = t_interval([1.0, 2.0, 3.0])
    assert i.mean == 2 and i.half_width == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert math.isnan(t_interval([5.0]).low)
    assert compare(pd.DataFrame(), "x").empty
    with pytest.raises(InputError) as error:
        make_grid([{"name": "a"}, {"name": "a"}], [0])
    assert "unique policy names" in error.value.render()
    with pytest.raises(InputError):
        make_grid([{"name": "a", "set": {"school": {"mode": "sometimes"}}}], [0])
    with pytest.raises(InputError):
        make_grid([{"name": "a"}], [0], baseline="b")
