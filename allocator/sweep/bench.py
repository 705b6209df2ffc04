"""Sweep throughput: cells per minute on a LocalCluster with 1 and 2 workers.

    python -m allocator.sweep.bench                       # 16 cells x 26 weeks
    python -m allocator.sweep.bench --seeds 4 --weeks 52 --workers 1 2

The cells are the price-of-rules grid (8 policies) over ``--seeds`` seeds. For each worker
count a fresh LocalCluster is started (timed apart), every worker is warmed up with a
one-week cell (imports, first solve), then the whole grid runs into a temporary folder.
Parallel efficiency = (T1 / Tn) / n on the warm clusters. The in-process run (no Dask)
shows Dask's own overhead.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from allocator.sweep.cell import execute_cell
from allocator.sweep.grid import price_of_rules_grid
from allocator.sweep.runner import make_client, run_cells


def measure(cells: list[Any], workers: int) -> dict[str, Any]:
    """One timed sweep of ``cells`` (workers 0 = in this process, no Dask)."""
    load = os.getloadavg()[0]
    started = time.monotonic()
    client = make_client(workers=workers) if workers else None
    startup = time.monotonic() - started
    try:
        if client is not None:
            warm = dataclasses.replace(cells[0], weeks=1)
            client.run(execute_cell, warm)
        else:
            execute_cell(dataclasses.replace(cells[0], weeks=1))
        with tempfile.TemporaryDirectory() as folder:
            outcome = run_cells(cells, Path(folder), client=client, progress=False)
    finally:
        if client is not None:
            cluster = client.cluster
            client.close()
            cluster.close()
    assert outcome.ok, [f.errors for f in outcome.failures]
    return {
        "workers": workers,
        "cells": len(cells),
        "startup_s": round(startup, 2),
        "sweep_s": round(outcome.wall_s, 2),
        "cells_per_min": round(len(cells) / outcome.wall_s * 60, 1),
        "cell_s_mean": round(sum(outcome.timings.values()) / len(cells), 3),
        "cpu_s_mean": round(sum(outcome.cpu.values()) / len(cells), 3),
        "load_before": round(load, 2),
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="seeds 0..N-1 (x 8 policies)")
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    cells = price_of_rules_grid().with_overrides(weeks=args.weeks, seeds=args.seeds).cells()
    rows = [measure(cells, n) for n in args.workers]
    one = next((r for r in rows if r["workers"] == 1), None)
    for r in rows:
        if one is not None and r["workers"] >= 1:
            r["speedup"] = round(one["sweep_s"] / r["sweep_s"], 2)
            r["efficiency"] = round(r["speedup"] / r["workers"], 2)
    print(f"{len(cells)} cells x {args.weeks} weeks (price-of-rules policies, {args.seeds} seeds)")
    print(
        "| workers | cluster start (s) | sweep (s) | cells/min | cell wall (s) | cell CPU (s) "
        "| speedup | efficiency | load before |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        label = "in-process (no Dask)" if r["workers"] == 0 else str(r["workers"])
        print(
            f"| {label} | {r['startup_s']} | {r['sweep_s']} | {r['cells_per_min']} | "
            f"{r['cell_s_mean']} | {r['cpu_s_mean']} | {r.get('speedup', '–')} | "
            f"{r.get('efficiency', '–')} | {r['load_before']} |"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return rows


if __name__ == "__main__":
    main()
