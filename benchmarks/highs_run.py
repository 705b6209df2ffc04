"""Solve a saved `Mip` with HiGHS, in its own process (never beside ortools).

    python -m benchmarks.highs_run MIP.npz OUT.json --time-limit S --target V --target-gap G

Records every improving solution and every MIP log line (running time, primal, dual
bound), then reports when HiGHS first held a solution at least as good as `target` (our
tier-2 value) and when its own proven gap first reached `target-gap` (CP-SAT's gap), its
final status, objective, bound and gap, its peak memory and the chosen pairs (so the
caller can run the checker on HiGHS's solution). Imports numpy and highspy only.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.proc import peak_rss_mb


def _gap(primal: float, dual: float) -> float:
    return abs(dual - primal) / max(1.0, abs(dual))


def _option(h: Any, name: str) -> Any:
    value = h.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


def solve(
    path: Path,
    time_limit: float,
    target: float | None,
    target_gap: float | None,
    threads: int | None = None,
) -> dict[str, Any]:
    import highspy
    import numpy as np

    started = time.monotonic()
    with np.load(path) as f:
        a = {k: f[k] for k in f.files}
    h = highspy.Highs()
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.999)  # objectives are integral
    h.setOptionValue("random_seed", 0)
    if threads:
        h.setOptionValue("threads", int(threads))
    n, m = len(a["cost"]), len(a["row_lower"])
    empty_i, empty_f = np.zeros(0, dtype=np.int32), np.zeros(0)
    h.addCols(n, a["cost"], a["col_lower"], a["col_upper"], 0, empty_i, empty_i, empty_f)
    h.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger, dtype=np.uint8)
    )
    h.addRows(
        m,
        a["row_lower"],
        a["row_upper"],
        len(a["index"]),
        a["starts"][:-1].astype(np.int32),
        a["index"].astype(np.int32),
        a["value"],
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    build_s = time.monotonic() - started

    events: list[tuple[float, float, float]] = []  # running time, primal, dual bound

    def record(e: Any) -> None:
        out = e.data_out
        primal = (
            out.objective_function_value
            if e.callback_type == highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution
            else out.mip_primal_bound
        )
        events.append((float(out.running_time), float(primal), float(out.mip_dual_bound)))

    h.cbMipImprovingSolution.subscribe(record)
    h.cbMipLogging.subscribe(record)
    solve_started = time.monotonic()
    h.run()
    solve_s = time.monotonic() - solve_started
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    primal = float(info.objective_function_value) if info.primal_solution_status else None
    chosen: list[int] = []
    if primal is not None:
        x = np.asarray(h.getSolution().col_value[: int(a["n_pairs"])])
        chosen = np.flatnonzero(x > 0.5).tolist()
    dual = float(info.mip_dual_bound)
    finite = [e for e in events if abs(e[1]) < 1e30 and abs(e[2]) < 1e30]
    to_value = next((t for t, p, _ in finite if target is not None and p >= target - 0.5), None)
    to_gap = next(
        (t for t, p, d in finite if target_gap is not None and _gap(p, d) <= target_gap + 1e-12),
        None,
    )
    if status == "Optimal" and primal is not None and target_gap is not None:
        to_gap = to_gap if to_gap is not None else solve_s
    return {
        "version": h.version(),
        "columns": n,
        "rows": m,
        "nonzeros": int(len(a["index"])),
        "threads": _option(h, "threads"),
        "time_limit_s": time_limit,
        "build_s": round(build_s, 4),
        "solve_s": round(solve_s, 4),
        "status": status,
        "objective": primal,
        "bound": dual if abs(dual) < 1e30 else None,
        "gap": _gap(primal, dual) if primal is not None and abs(dual) < 1e30 else None,
        "nodes": int(info.mip_node_count),
        "target": target,
        "target_gap": target_gap,
        "time_to_target_s": to_value,
        "time_to_target_gap_s": to_gap,
        "first_solution_s": next((t for t, p, _ in finite), None),
        "events": [[round(t, 4), p, d] for t, p, d in finite[-200:]],
        "chosen": chosen,
        "peak_rss_mb": peak_rss_mb(),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.highs_run")
    parser.add_argument("mip", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--time-limit", type=float, required=True)
    parser.add_argument("--target", type=float, default=None)
    parser.add_argument("--target-gap", type=float, default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        result = solve(args.mip, args.time_limit, args.target, args.target_gap, args.threads)
    except ImportError as error:
        result = {"skipped": f"highspy is not installed ({error}); pip install -e ."}
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    _main()
