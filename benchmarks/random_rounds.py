"""Many small random rounds (the property tests' generator) solved one after another: how
many are proven optimal within the policy's time limit, and how long `propose` takes.

    python -m benchmarks.random_rounds [--rounds 300] [--seed 1] [--max-households 30]
                                       [--without-assignment-rows] [--out DIR]

Sizes are drawn per round: 10 to `--max-households` households and 10 to twice as many
dwellings, tightness in [0, 1), pins in half the rounds (`scenarios.random_scenario`).
`--without-assignment-rows` solves the CP-SAT stages as before 2026-12-03, without the
one-per-household and one-per-dwelling rows in the LP (`allocator.lexicographic`,
`FULL_LP_MODEL`), the baseline of the same rounds. Writes random_rounds.json (one record per
round: its draw, status, seconds and per-tier status) and prints the summary.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path
from typing import Any

from allocator import lexicographic
from allocator.io.write import write_json_atomic
from allocator.solve import propose
from benchmarks.machine import info as machine_info
from scenarios.random_scenario import random_scenario

DEFAULT_OUT = Path(__file__).resolve().parent / "results"


def draws(rounds: int, seed: int, max_households: int) -> list[dict[str, Any]]:
    """The rounds' generator arguments, the same for the same seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(rounds):
        households = rng.randint(10, max_households)
        out.append(
            {
                "seed": rng.randrange(2**32),
                "households": households,
                "dwellings": rng.randint(10, 2 * max_households),
                "tightness": rng.random(),
                "pin": rng.random() < 0.5,
            }
        )
    return out


def measure(draw: dict[str, Any]) -> dict[str, Any]:
    scenario = random_scenario(**draw)
    started = time.perf_counter()
    proposal = propose(scenario)
    seconds = time.perf_counter() - started
    return {
        **draw,
        "status": proposal.run.status,
        "propose_s": round(seconds, 4),
        "pairs": proposal.run.sizes.get("pairs", 0),
        "tiers": {t.name: t.status for t in proposal.run.tiers},
    }


def summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = sorted(r["propose_s"] for r in records)
    unproven = [r for r in records if r["status"] != "OPTIMAL"]
    return {
        "rounds": len(records),
        "optimal": len(records) - len(unproven),
        "propose_s_median": statistics.median(seconds),
        "propose_s_p99": seconds[min(len(seconds) - 1, int(0.99 * len(seconds)))],
        "propose_s_max": seconds[-1],
        "propose_s_total": round(sum(seconds), 2),
        "unproven": [
            {k: r[k] for k in ("seed", "households", "dwellings", "pairs", "status", "propose_s")}
            for r in unproven
        ],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.random_rounds")
    p.add_argument("--rounds", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-households", type=int, default=30)
    p.add_argument("--without-assignment-rows", action="store_true")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    if args.rounds < 1 or args.max_households < 10:
        p.error("--rounds must be at least 1 and --max-households at least 10")
    rows_up_to = lexicographic.FULL_LP_MODEL
    if args.without_assignment_rows:
        lexicographic.FULL_LP_MODEL = -1
    try:
        records = [measure(d) for d in draws(args.rounds, args.seed, args.max_households)]
    finally:
        lexicographic.FULL_LP_MODEL = rows_up_to
    result = {
        "machine": machine_info(),
        "settings": vars(args) | {"out": str(args.out)},
        "summary": summary(records),
        "rounds": records,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(args.out / "random_rounds.json", result)
    s = result["summary"]
    print(
        f"{s['optimal']} of {s['rounds']} rounds proven optimal; propose s: median "
        f"{s['propose_s_median']:.3f}, p99 {s['propose_s_p99']:.3f}, max "
        f"{s['propose_s_max']:.3f}, total {s['propose_s_total']:.1f}"
    )
    for r in s["unproven"]:
        print(f"  not proven: {r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
