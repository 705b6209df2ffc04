"""The 52-week replay benchmark (issue 4): wall time per policy on the example
municipality, next to the greedy baseline. Goal: under 30 s for the optimiser on 2 cores.

    python -m benchmarks.replay [--weeks 52] [--seed 0] [--out benchmarks/results]

Writes replay.json and replay.md to the results folder and prints the table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from allocator.io.write import write_text_atomic
from allocator.replay import Settings, load_source, resolve_all, run_replay
from benchmarks.machine import info as machine_info

HERE = Path(__file__).resolve().parent
GOAL_S = 30.0


def measure(
    weeks: int = 52, seed: int = 0, policies: tuple[str, ...] = ("default", "greedy")
) -> dict:
    source = HERE.parent / "scenarios" / "municipality" / "drammen.yaml"
    municipality = load_source(source, seed=seed)
    started = time.perf_counter()
    result = run_replay(
        municipality, resolve_all(list(policies)), Settings(weeks=weeks, seed=seed, progress=False)
    )
    rows = [run.summary() for run in result.runs]
    return {
        "weeks": weeks,
        "seed": seed,
        "total_s": round(time.perf_counter() - started, 2),
        "goal_s": GOAL_S,
        "policies": rows,
        "machine": machine_info(),
    }


def markdown(report: dict) -> str:
    keys = [k for k in report["policies"][0] if k not in ("policy", "method")]
    lines = [
        f"# Replay benchmark: {report['weeks']} weeks, seed {report['seed']}",
        "",
        "| policy | method | " + " | ".join(keys) + " |",
        "|---|---|" + "---|" * len(keys),
    ]
    for row in report["policies"]:
        lines.append(
            f"| {row.get('policy')} | {row.get('method')} | "
            + " | ".join(str(row[k]) for k in keys)
            + " |"
        )
    optimiser = [r for r in report["policies"] if r.get("method") != "greedy"]
    met = all(r["wall_s"] < GOAL_S for r in optimiser)
    lines += [
        "",
        f"Goal: optimiser under {GOAL_S:.0f} s for {report['weeks']} weeks — "
        + ("met" if met else "**not met**")
        + ".",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    report = measure(args.weeks, args.seed)
    text = markdown(report)
    write_text_atomic(args.out / "replay.json", json.dumps(report, indent=2, default=str) + "\n")
    write_text_atomic(args.out / "replay.md", text)
    print(text)


if __name__ == "__main__":
    main()
