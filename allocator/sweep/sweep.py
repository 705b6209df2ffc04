"""A whole sweep: run the grid's cells, then write the tables, failures.json and the report.

Files under the output folder (see docs/sweep.md): ``cells/`` and ``weeks/`` (the Parquet
dataset), ``summary.csv`` (this grid's cells), ``comparison.csv`` (paired differences
against the baseline), ``failures.json`` (cells that failed after their retry; ``[]``
when none), ``sweep.json`` (the grid, each cell's status, timings), ``plots/`` and
``report.html``; ``groups/`` and ``fairness.csv`` hold the outcomes by group per cell,
``fairness_summary.csv`` their mean and 95 % interval over seeds per scenario and policy;
``price_of_fairness.csv`` (grids with a group-share floor) what each floor costs and buys.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from allocator.fairness.outcomes import summarize
from allocator.io.write import write_json_atomic, write_text_atomic
from allocator.solve import versions
from allocator.sweep.fairness_price import fairness_prices
from allocator.sweep.grid import Grid
from allocator.sweep.report import write_report
from allocator.sweep.runner import SweepOutcome, Task, run_cells
from allocator.sweep.stats import compare
from allocator.sweep.store import CELLS, GROUPS, read_table


def run_sweep(
    grid: Grid,
    out: Path,
    *,
    client: Any = None,
    resume: bool = False,
    progress: bool = True,
    task: Task | None = None,
) -> SweepOutcome:
    """Run every missing cell of ``grid`` (on ``client``, or here without one) and write
    every output file. Raises SweepExists when results exist and ``resume`` is false."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cells = grid.cells()
    kwargs = {"task": task} if task is not None else {}
    outcome = run_cells(cells, out, client=client, resume=resume, progress=progress, **kwargs)
    write_outputs(grid, out, outcome)
    return outcome


def write_outputs(grid: Grid, out: Path, outcome: SweepOutcome) -> dict[str, Path]:
    """Tables, failures.json, sweep.json and the report for the grid's finished cells."""
    ids = [c.id for c in outcome.cells]
    table = read_table(out, ids, CELLS)
    comparison = compare(table, grid.baseline) if not table.empty else pd.DataFrame()
    groups = read_table(out, ids, GROUPS)
    paths = {
        name: out / name
        for name in (
            "summary.csv",
            "comparison.csv",
            "fairness.csv",
            "fairness_summary.csv",
            "failures.json",
            "sweep.json",
        )
    }
    write_text_atomic(paths["summary.csv"], table.to_csv(index=False))
    write_text_atomic(paths["comparison.csv"], comparison.to_csv(index=False))
    group_summary = summarize(groups, by=("scenario", "policy"))
    write_text_atomic(paths["fairness.csv"], groups.to_csv(index=False))
    write_text_atomic(paths["fairness_summary.csv"], group_summary.to_csv(index=False))
    failures = [f.record() for f in outcome.failures]
    write_json_atomic(paths["failures.json"], failures)
    info = sweep_info(grid, outcome)
    write_json_atomic(paths["sweep.json"], info)
    info = info | {
        "failures": failures,
        "grid_json": json.dumps(grid.describe(), indent=1, ensure_ascii=False),
        "groups_missing": len(set(table.get("cell_id", [])) - set(groups.get("cell_id", []))),
    }
    prices = fairness_prices(grid, table, groups)
    if not prices.empty:
        paths["price_of_fairness.csv"] = out / "price_of_fairness.csv"
        write_text_atomic(paths["price_of_fairness.csv"], prices.to_csv(index=False))
    paths["report.html"] = write_report(grid, table, comparison, out, info, group_summary, prices)
    return paths


def sweep_info(grid: Grid, outcome: SweepOutcome) -> dict[str, Any]:
    failed = {f.cell.id for f in outcome.failures}
    skipped = set(outcome.skipped)

    def status(cell_id: str) -> str:
        return "failed" if cell_id in failed else "skipped" if cell_id in skipped else "done"

    return {
        "grid": grid.describe(),
        "cells": len(outcome.cells),
        "done": len(outcome.done),
        "skipped": len(outcome.skipped),
        "failed": len(outcome.failures),
        "retried": len(outcome.retried),
        "wall_s": round(outcome.wall_s, 2),
        "cell_list": [
            c.columns()
            | {
                "status": status(c.id),
                "attempts": outcome.retried.get(c.id, 1),
                "wall_s": outcome.timings.get(c.id),
                "worker": outcome.workers.get(c.id),
            }
            for c in outcome.cells
        ],
        "versions": versions(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
