"""Measure one tier in this (fresh) process; the runner starts one per tier.

    python -m benchmarks.tier NAME OUT.json [--highs-dir DIR] [--time-limit S] [--workers N]

Order: load and hash-check the instance; one traced `propose()` (build, warm start, stages,
explanations); the checker on its proposal; the greedy baseline and its violations; the
assignment bound; with --highs-dir, the tier-2 MIP saved as .npz and solved by HiGHS in a
child process (`benchmarks.highs_run`), whose solution then goes through the checker too.
OUT.json is rewritten after each step, so a tier killed for time or memory still reports
what it reached; a failing greedy, bound or HiGHS step is recorded and the rest goes on.
Peak memory is this process's high-water mark (VmHWM, with `ru_maxrss` beside it). Exit
code 3 when the instance hash differs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.instances import (
    INSTANCES_YAML,
    InstanceHashMismatch,
    TierSpec,
    load_instance,
    load_specs,
)
from benchmarks.proc import peak_rss_mb, python_module, ram_mb, watch

EXIT_HASH = 3


def rss_mb() -> float:
    """Peak memory so far (VmHWM; ru_maxrss is recorded beside it)."""
    return peak_rss_mb()


class Output:
    """The tier's result dict, written atomically after every step."""

    def __init__(self, path: Path, tier: str):
        self.path = path
        self.data: dict[str, Any] = {"tier": tier, "phase": "start"}

    def update(self, phase: str, **parts: Any) -> None:
        self.data.update(parts)
        self.data["phase"] = phase
        self.data["peak_rss_mb"] = rss_mb()
        self.data["ru_maxrss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=str), encoding="utf-8")
        os.replace(tmp, self.path)


def with_solver(scenario: Any, workers: int | None) -> Any:
    """The scenario with its policy's worker count replaced (the hash excludes the policy)."""
    if workers is None:
        return scenario
    policy = scenario.policy
    solver = policy.solver.model_copy(update={"workers": workers})
    return scenario.model_copy(update={"policy": policy.model_copy(update={"solver": solver})})


def reached_gap(proposal: Any, assignment_gap: float | None) -> float | None:
    """The tier-2 gap CP-SAT reached: 0 when proven optimal, else the smaller of its own
    gap and the gap to the assignment bound (when that bound is valid)."""
    from benchmarks import measure as ms

    tier = next(t for t in proposal.run.tiers if t.name == ms.TIER2)
    if tier.status == "OPTIMAL":
        return 0.0
    gaps = [g for g in (tier.gap, assignment_gap) if g is not None]
    return min(gaps) if gaps else None


def compare_highs(
    scenario: Any,
    proposal: Any,
    main: Any,
    out: Output,
    workdir: Path,
    held: dict[str, int],
    target: int,
    gap: float | None,
    time_limit: float,
    max_rss_mb: float,
) -> None:
    """Save the tier-2 MIP, solve it with HiGHS in a child process, check its solution."""
    from allocator.checker import check_proposal
    from allocator.explain import assemble
    from benchmarks import measure as ms
    from benchmarks import mip as mip_module

    m0 = time.monotonic()
    mip = mip_module.build(main, held)
    npz = workdir / f"{out.data['tier']}.npz"
    mip.save(npz)
    chosen = ms.chosen_of(main, proposal)
    out.update(
        "mip",
        mip={
            "columns": len(mip.cost),
            "rows": mip.rows,
            "nonzeros": len(mip.index),
            "held": held,
            "target": target,
            "target_gap": gap,
            "ours_violates": mip_module.violated_rows(mip, mip_module.complete(main, mip, chosen)),
            "seconds": round(time.monotonic() - m0, 4),
        },
    )
    result_path = workdir / f"{out.data['tier']}-highs.json"
    cmd = python_module(
        "benchmarks.highs_run",
        str(npz),
        str(result_path),
        "--time-limit",
        str(time_limit),
        "--target",
        str(target),
    )
    if gap is not None:
        cmd += ["--target-gap", str(gap)]
    run = watch(cmd, 2 * time_limit + 120, max_rss_mb, workdir / f"{out.data['tier']}-highs")
    highs: dict[str, Any] = json.loads(result_path.read_text()) if result_path.exists() else {}
    highs["process"] = run
    picked = highs.pop("chosen", None)
    if picked is not None and "status" in highs:
        theirs = np.zeros(len(main.pairs), dtype=bool)
        theirs[np.asarray(picked, dtype=np.int64)] = True
        checked = check_proposal(scenario, assemble(main.data, main.pairs, theirs, proposal.run))
        highs["solution_check"] = {
            "violations": len(checked),
            "rules": sorted({v.rule for v in checked}),
            "components": ms.component_values(main, theirs),
        }
    out.update("highs", highs=highs)


def guarded(out: Output, phase: str, step: Any) -> None:
    """Run one optional step; an exception is recorded under `phase`, not fatal."""
    try:
        step()
    except Exception as error:  # noqa: BLE001 - reported in the results
        out.update(
            phase,
            **{
                phase: {
                    "error": f"{type(error).__name__}: {error}",
                    "traceback": traceback.format_exc()[-3000:],
                }
            },
        )


def held_tier2_bound(
    data: Any, full: Any, ours: dict[str, Any], bound: dict[str, int], seconds: float
) -> int | None:
    """A bound on tier 2 over every candidate pair for the proposals no worse than ours
    in tier 1, when ours is not the assignment bound's: only when our breaches equal the
    bound's (then no proposal has fewer, and "no worse" is "days over at most ours"),
    the Lagrangian min-cost flow on housing points with that one hold priced
    (allocator.bounds.Lagrangian; every multiplier tried gives a valid bound, the least
    is kept), over `seconds` at most."""
    from types import SimpleNamespace

    from allocator.bounds import Lagrangian, to_gain
    from allocator.objective import default_objective

    if "deadline_breaches" not in bound or ours.get("deadline_breaches") is None:
        return None
    if ours["deadline_breaches"] != bound["deadline_breaches"]:
        return None
    terms = {t.name: t for t in default_objective(data.policy).terms}
    days = terms["deadline_days_over"].component(full)
    stand_in = SimpleNamespace(pairs=full, data=data, matches=max(1, min(data.H, data.D)))
    lagrangian = Lagrangian(stand_in)  # type: ignore[arg-type]
    hold = (days.gain.astype(np.int64), to_gain(days, ours["deadline_days_over"]))
    housing = full.housing.astype(np.int64)
    return lagrangian.bound(housing, [hold], time.monotonic() + seconds)


def measure(
    spec: TierSpec,
    out: Output,
    time_limit: float,
    workers: int | None,
    workdir: Path | None,
    max_rss_mb: float,
) -> None:
    from allocator.checker import check_proposal
    from allocator.heap import settle
    from allocator.pairs import bound_pairs, candidate_pairs
    from allocator.solve import propose
    from allocator.warmstart import assignment_bound
    from benchmarks import measure as ms
    from benchmarks.trace import traced

    started = time.monotonic()
    scenario = with_solver(load_instance(spec), workers)
    out.update(
        "instance",
        instance={
            "source": spec.file or spec.describe(),
            "generator": spec.generator,
            "seed": spec.seed,
            "households": len(scenario.households),
            "dwellings": len(scenario.dwellings),
            "sha256": spec.sha256,
            "sha256_ok": True,
            "load_s": round(time.monotonic() - started, 4),
        },
        settings={
            "time_limit_s": time_limit,
            "workers": scenario.policy.solver.workers,
            "seed": scenario.policy.solver.seed,
        },
    )

    settle()  # as the command line does once the input is loaded (allocator.heap)
    with traced() as trace:
        t0 = time.monotonic()
        proposal = propose(scenario, time_limit_s=time_limit)
        t1 = time.monotonic()
    main = trace.main
    assert main is not None, "propose() built no AllocationModel (is the trace out of date?)"
    opt = trace.spans["optimise"]
    first, best = ms.first_proposal(trace), ms.best_proposal(trace)
    tier2 = ms.tier_value(proposal, ms.TIER2)
    tier2_at = ms.tier2_found(trace, tier2)

    def since(t: float | None, origin: float = t0) -> float | None:
        return None if t is None else round(t - origin, 4)

    candidates = int(proposal.run.sizes.get("pairs", len(main.pairs)))
    out.update(
        "propose",
        sizes={
            "households": main.data.H,
            "dwellings": main.data.D,
            "pairs": candidates,
            "model_pairs": len(main.pairs),
            "sparsified": trace.sparsified is not None
            and trace.sparsified[1] < trace.sparsified[0],
            "variables": len(main.cp.proto.variables),
            "constraints": len(main.cp.proto.constraints),
            "stages": [s.name for s in main.stages],
        },
        build={k: None if v is None else round(v, 4) for k, v in ms.build_times(trace).items()},
        solve={
            "status": proposal.run.status,
            "optimise_s": since(opt[1], opt[0]),
            "first_s": since(first),
            "best_s": since(best),
            "first_after_optimise_s": since(first, opt[0]),
            "tier2_best_s": since(tier2_at, opt[0]),
            "tiers": ms.tier_rows(proposal),
            "stages": ms.stage_rows(trace, t0),
        },
        propose={
            "wall_s": round(t1 - t0, 4),
            "assemble_s": round(t1 - opt[1], 4),
            "matches": len(proposal.matches),
            "unmatched": len(proposal.unmatched),
        },
        rss_after_propose_mb=rss_mb(),
    )

    c0 = time.monotonic()
    violations = check_proposal(scenario, proposal)
    out.update(
        "check",
        check={
            "violations": len(violations),
            "rules": sorted({v.rule for v in violations}),
            "seconds": round(time.monotonic() - c0, 4),
        },
    )

    # Greedy and the bound work on every candidate pair (the model may hold fewer); with
    # sitting tenants, each pair onto an occupied dwelling once, at the earliest move-in
    # of its chain variants (allocator.pairs.bound_pairs: the bound stays valid without
    # making every variant; greedy's tiers 1 and 2 are then read at those dates).
    if len(main.pairs) == candidates:
        full = main.pairs
    elif main.data.occupied.any():
        full = bound_pairs(main.data)
    else:
        full = candidate_pairs(main.data)

    def greedy_step() -> None:
        g0 = time.monotonic()
        greedy = propose(scenario, method="greedy", time_limit_s=time_limit)
        g1 = time.monotonic()
        greedy_violations = check_proposal(scenario, greedy)
        picked = ms.chosen_in(main.data, full, greedy)
        out.update(
            "greedy",
            greedy={
                "seconds": round(g1 - g0, 4),
                "matches": len(greedy.matches),
                "components": {
                    c.name: c.value(picked)
                    for c in ms.components_for(main.data, full)
                    if c.name != "tiebreak"
                },
                "violations": len(greedy_violations),
                "rules": sorted({v.rule for v in greedy_violations}),
            },
        )

    ours = {name: ms.tier_value(proposal, name) for name in (*ms.TIER1, ms.TIER2)}

    def bound_step() -> None:
        b0 = time.monotonic()
        bound = assignment_bound(main.data, full)
        matched = all(ours[k] == bound[k] for k in ms.TIER1)
        out.update(
            "bound",
            bound={
                **bound,
                "seconds": round(time.monotonic() - b0, 4),
                "tier1_matched": matched,
                "tier2_ratio": None if tier2 is None else tier2 / max(1, bound[ms.TIER2]),
                "tier2_gap": None if tier2 is None else ms.relative_gap(tier2, bound[ms.TIER2]),
            },
        )
        if not matched and tier2 is not None:
            held = held_tier2_bound(main.data, full, ours, bound, time_limit)
            if held is not None:
                out.update(
                    "bound",
                    bound={
                        **out.data["bound"],
                        "held_tier2": held,
                        "held_tier2_gap": ms.relative_gap(tier2, held),
                        "held_seconds": round(time.monotonic() - b0, 4),
                    },
                )

    # The bound first: on the whole stock with transfers greedy's second `propose` and
    # its check (thousands of unmatched due families) had not finished after 15 minutes.
    guarded(out, "bound", bound_step)
    guarded(out, "greedy", greedy_step)

    if workdir is not None and tier2 is not None:
        bound = out.data.get("bound") or {}
        gap = reached_gap(proposal, bound.get("tier2_gap") if bound.get("tier1_matched") else None)
        held = {k: v for k, v in ours.items() if k in ms.TIER1 and v is not None}
        guarded(
            out,
            "highs",
            lambda: compare_highs(
                scenario, proposal, main, out, workdir, held, tier2, gap, time_limit, max_rss_mb
            ),
        )
    out.update("done")


def _main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tier")
    parser.add_argument("tier")
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--highs-dir",
        type=Path,
        default=None,
        help="solve the tier-2 MIP with HiGHS, files in this folder",
    )
    parser.add_argument(
        "--max-rss-mb",
        type=float,
        default=0.8 * ram_mb(),
        help="memory ceiling for the HiGHS child",
    )
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--instances", type=Path, default=INSTANCES_YAML)
    args = parser.parse_args(argv)
    spec = load_specs(args.instances)[args.tier]
    out = Output(args.out, args.tier)
    try:
        measure(
            spec,
            out,
            args.time_limit or spec.time_limit_s,
            args.workers,
            args.highs_dir,
            args.max_rss_mb,
        )
    except InstanceHashMismatch as error:
        out.update("error", error=str(error))
        print(error, file=sys.stderr)
        raise SystemExit(EXIT_HASH) from None
    except Exception as error:  # report, then fail
        out.update(
            "error", error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc()
        )
        raise


if __name__ == "__main__":
    _main()
