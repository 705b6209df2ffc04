"""Run the benchmark tiers, each in a fresh process, and write results.json + summary.md.

Per tier: `python -m benchmarks.tier` (our solver, checker, greedy, bound, and the tier-2
MIP, which it hands to `python -m benchmarks.highs_run` in a process of its own: HiGHS
never shares a process with ortools, and its memory is measured on its own). A watchdog
kills a child that passes the tier timeout or the memory ceiling; what the child wrote so
far is still reported.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import goals, machine, report
from benchmarks.instances import INSTANCES_YAML, InstanceHashMismatch, load_specs
from benchmarks.proc import python_module, ram_mb, watch
from benchmarks.tier import EXIT_HASH

DEFAULT_TIERS = ("week", "city", "example", "horizon")
DEFAULT_OUT = Path("benchmarks/results")


@dataclass(frozen=True)
class Options:
    tiers: Sequence[str] = DEFAULT_TIERS
    time_limit: float | None = None  # None: each tier's time_limit_s
    workers: int | None = None  # None: the scenario policy's solver.workers
    out: Path = DEFAULT_OUT
    highs: bool = True
    instances: Path = INSTANCES_YAML
    tier_timeout: float | None = None  # None: 2 × time limit + 300 s
    max_rss_gb: float | None = None  # None: 80 % of RAM
    quiet: bool = False


def best_bound(result: dict[str, Any]) -> dict[str, Any] | None:
    """The tightest known upper bound on tier 2 and our gap to it. Valid bounds: the
    assignment bound when our tier 1 equals its tier 1, else its Lagrangian with our
    tier 1 held (on the proposals no worse than ours there); CP-SAT's own and HiGHS's bound
    when tier 1 is proven optimal (both hold tier 1 at our values) and the model was not
    sparsified."""
    tiers = {t["name"]: t for t in (result.get("solve") or {}).get("tiers", [])}
    ours = (tiers.get("priority_waiting") or {}).get("objective")
    if ours is None:
        return None
    # A sparsified model's bounds hold for its own pairs only, not for the round.
    proven = all(
        (tiers.get(k) or {}).get("status") == "OPTIMAL"
        for k in ("deadline_breaches", "deadline_days_over")
    ) and not (result.get("sizes") or {}).get("sparsified", False)
    bound, highs = result.get("bound") or {}, result.get("highs") or {}
    found: list[tuple[float, str]] = []
    if bound.get("tier1_matched"):
        found.append((bound["priority_waiting"], "assignment bound"))
    elif bound.get("held_tier2") is not None:
        # Over every candidate pair, for the proposals no worse than ours in tier 1
        # (benchmarks.tier.held_tier2_bound): the bound when our tier 1 is not the
        # assignment bound's.
        found.append((bound["held_tier2"], "assignment bound, tier 1 held at ours"))
    if proven and tiers["priority_waiting"].get("bound") is not None:
        # The proposal's own bound, named by its source (CP-SAT's, the stage LP's, …).
        own = tiers["priority_waiting"].get("bound_source") or "cp-sat"
        found.append((tiers["priority_waiting"]["bound"], f"proposal, {own}"))
    if (
        proven
        and highs.get("bound") is not None
        and not (highs.get("solution_check") or {}).get("violations")
    ):
        found.append(
            (highs["bound"], "HiGHS" + (" (optimal)" if highs.get("status") == "Optimal" else ""))
        )
    if not found:
        return None
    value, source = min(found, key=lambda f: f[0])  # ties: the first listed
    return {"bound": value, "source": source, "gap": (value - ours) / max(1.0, abs(value))}


def headline(result: dict[str, Any]) -> dict[str, Any] | None:
    """HiGHS time to our tier-2 value / our time to it (the issue's speed ratio)."""
    highs, ours = result.get("highs") or {}, (result.get("solve") or {}).get("tier2_best_s")
    if not highs or "status" not in highs or ours is None:
        return None
    censored = highs.get("time_to_target_s") is None
    theirs = highs["solve_s"] if censored else highs["time_to_target_s"]
    tier2: dict[str, Any] = next(
        (t for t in result["solve"]["tiers"] if t["name"] == "priority_waiting"), {}
    )
    better = (
        tier2.get("status") == "OPTIMAL"
        and highs.get("objective") is not None
        and highs["objective"] > tier2["objective"] + 0.5
    )
    broken = bool((highs.get("solution_check") or {}).get("violations"))
    mismatch = better or broken
    return {
        "ours_s": ours,
        "highs_s": theirs,
        "censored": censored,
        "speedup": round(theirs / max(ours, 1e-3), 2),
        "highs_to_gap_s": highs.get("time_to_target_gap_s"),
        "mismatch": mismatch,
    }


def run_tier(name: str, opts: Options, tmp: Path) -> dict[str, Any]:
    """One tier in a fresh `benchmarks.tier` process under the watchdog."""
    spec = load_specs(opts.instances)[name]
    limit = opts.time_limit if opts.time_limit is not None else spec.time_limit_s
    timeout = opts.tier_timeout or 2 * limit + 300
    ceiling = opts.max_rss_gb * 1024 if opts.max_rss_gb else 0.8 * ram_mb()
    out = tmp / f"{name}.json"
    cmd = python_module(
        "benchmarks.tier",
        name,
        str(out),
        "--time-limit",
        str(limit),
        "--instances",
        str(opts.instances),
        "--max-rss-mb",
        str(ceiling),
    )
    if opts.highs and spec.highs:
        cmd += ["--highs-dir", str(tmp)]
    if opts.workers is not None:
        cmd += ["--workers", str(opts.workers)]
    run = watch(cmd, timeout, ceiling, tmp / f"{name}-tier")
    result: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {"tier": name}
    result["process"] = run
    if run["returncode"] == EXIT_HASH:
        raise InstanceHashMismatch(result.get("error") or run["stderr_tail"])
    if not (opts.highs and spec.highs):
        result["highs"] = {
            "skipped": "--no-highs"
            if not opts.highs
            else "highs: false for this tier in instances.yaml"
        }
    result["headline"] = headline(result)
    result["best_bound"] = best_bound(result)
    result["goals"] = goals.check(result, spec.goals)
    result["ok"] = (
        result.get("phase") == "done"
        and run["returncode"] == 0
        and (result.get("check") or {}).get("violations") == 0
    )
    return result


def run(opts: Options) -> dict[str, Any]:
    """Every tier in `opts.tiers`; writes results.json and summary.md into `opts.out`."""
    specs = load_specs(opts.instances)
    unknown = [t for t in opts.tiers if t not in specs]
    if unknown:
        raise ValueError(f"unknown tiers {unknown}; instances.yaml has {list(specs)}")
    results: dict[str, Any] = {
        "machine": machine.info(),
        "settings": {
            "tiers": list(opts.tiers),
            "time_limit_s": opts.time_limit,
            "workers": opts.workers,
            "highs": opts.highs,
        },
        "tiers": [],
    }
    opts.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name in opts.tiers:
            if not opts.quiet:
                print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            try:
                result = run_tier(name, opts, Path(tmp))
            finally:
                _write(results, opts.out)
            results["tiers"].append(result)
            _write(results, opts.out)
            if not opts.quiet:
                status = "ok" if result["ok"] else "FAILED"
                print(
                    f"[bench] {name}: {status} in {result['process']['seconds']} s",
                    file=sys.stderr,
                    flush=True,
                )
    return results


def _write(results: dict[str, Any], out: Path) -> None:
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    (out / "summary.md").write_text(report.markdown(results), encoding="utf-8")
