"""The price of fairness in a sweep (issue 19 item 3): a group-share floor priced beside
the baseline, paired by seed: what it costs everyone (the cells' KPIs), what it buys the
group (its outcomes by group) and the floor's own weekly figures; the bundled grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from allocator.replay.municipality import DEFAULT_CONFIG
from allocator.sweep import load_grid, run_sweep
from allocator.sweep.fairness_price import floors
from allocator.sweep.grid import ROOT, GridFile, resolve_grid
from allocator.sweep.stats import t_interval

FLOOR = {"fairness": {"group_share": {"group": "priority_3", "min_ratio": 1.0}}}


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = GridFile.model_validate(
        {
            "name": "fair",
            "weeks": 4,
            "seeds": [0, 1, 2],
            "baseline": "alle-regler",
            "scenarios": [{"name": "drammen", "path": str(DEFAULT_CONFIG)}],
            "policies": [{"name": "alle-regler"}, {"name": "p3", "set": FLOOR}],
            "solver_workers": 1,
        }
    )
    out = tmp_path_factory.mktemp("fair")
    outcome = run_sweep(resolve_grid(spec, Path.cwd()), out, progress=False)
    assert outcome.ok
    return out


def _paired(frame: pd.DataFrame, column: str) -> tuple[float, float, float]:
    wide = frame.pivot(index="seed", columns="policy", values=column)
    i = t_interval((wide["p3"] - wide["alle-regler"]).astype(float).to_numpy())
    return i.mean, i.low, i.high


def test_cost_buy_and_floor_are_paired_differences(swept: Path) -> None:
    prices = pd.read_csv(swept / "price_of_fairness.csv")
    assert set(prices["policy"]) == {"p3"} and set(prices["group"]) == {"priority_3"}
    assert set(prices["side"]) == {"cost", "group", "floor"}
    cells = pd.read_csv(swept / "summary.csv")
    assert (cells["violations"] == 0).all()
    groups = pd.read_csv(swept / "fairness.csv")
    p3 = groups[groups["group"] == "priority_3"]
    row = prices.set_index(["side", "measure"])
    for side, measure, frame in [
        ("cost", "housed", cells),
        ("cost", "wait_mean", cells),
        ("group", "housed", p3),
        ("group", "wait_p50", p3),
        ("floor", "group_share_binding", cells),
    ]:
        want = _paired(frame, measure)
        got = row.loc[(side, measure), ["diff_mean", "ci_low", "ci_high"]].to_numpy(float)
        np.testing.assert_allclose(got, want, equal_nan=True)
    # The floor's own figures: the baseline has none; the floor's weekly ones add up.
    weeks = pd.concat(pd.read_parquet(p) for p in (swept / "weeks").glob("*.parquet"))
    mine = weeks[weeks["policy"] == "p3"]
    assert row.loc[("floor", "group_share_reserved"), "baseline_mean"] == 0
    assert row.loc[("floor", "group_share_reserved"), "policy_mean"] == pytest.approx(
        mine.groupby("seed")["group_share_reserved"].sum().mean()
    )
    assert mine["group_share_binding"].isin([0, 1]).all()
    assert (weeks[weeks["policy"] == "alle-regler"]["group_share_reserved"] == 0).all()


def test_the_report_has_the_section(swept: Path) -> None:
    html = (swept / "report.html").read_text(encoding="utf-8")
    assert "Pris for likebehandling" in html
    assert "p3: prioritet 3, minst 1,00 × andelen" in html
    assert "Hva det gir gruppen (prioritet 3)" in html and "Hva det koster" in html


def test_the_bundled_grid_prices_floors() -> None:
    grid = load_grid(ROOT / "sweeps" / "price_of_fairness.yaml")
    assert grid.baseline == "alle-regler"
    assert floors(grid) == {
        "rullestol-80": ("wheelchair", 0.8),
        "flyktning-80": ("refugees", 0.8),
        "prioritet3-80": ("priority_3", 0.8),
        "prioritet3-100": ("priority_3", 1.0),
    }
