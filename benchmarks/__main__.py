"""`python -m benchmarks [--tiers week,city,...] [--time-limit S] [--workers N] [--out DIR]`.

Runs each tier in a fresh process, prints the Markdown summary and writes
DIR/results.json and DIR/summary.md. Exit codes: 0 every tier done and checked; 1 a tier
failed, was killed or its proposal broke a hard rule; 3 an instance hash differs from
benchmarks/instances.yaml (nothing is measured on a changed instance).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.instances import INSTANCES_YAML, InstanceHashMismatch
from benchmarks.report import markdown
from benchmarks.runner import DEFAULT_OUT, DEFAULT_TIERS, Options, run

EXIT_FAILED = 1
EXIT_HASH = 3


def main_with(opts: Options) -> int:
    """Run, print the summary, return the exit code (shared with `allocator bench`)."""
    try:
        results = run(opts)
    except InstanceHashMismatch as error:
        print(f"benchmark instance changed: {error}", file=sys.stderr)
        return EXIT_HASH
    print(markdown(results))
    print(f"wrote {opts.out / 'results.json'} and {opts.out / 'summary.md'}", file=sys.stderr)
    return 0 if all(t["ok"] for t in results["tiers"]) else EXIT_FAILED


def parse(argv: Sequence[str] | None = None) -> Options:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument(
        "--tiers",
        default=",".join(DEFAULT_TIERS),
        help="comma-separated tiers from instances.yaml (default: %(default)s)",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="CP-SAT (and HiGHS) seconds per tier (default: the tier's)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="CP-SAT workers (default: the policy's solver.workers)",
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--no-highs", action="store_true", help="skip the HiGHS comparison")
    p.add_argument("--instances", type=Path, default=INSTANCES_YAML)
    p.add_argument(
        "--tier-timeout",
        type=float,
        default=None,
        help="kill a tier after this many seconds (default: 2 × limit + 300)",
    )
    p.add_argument(
        "--max-rss-gb",
        type=float,
        default=None,
        help="kill a tier above this memory (default: 80 %% of RAM)",
    )
    a = p.parse_args(argv)
    return Options(
        tiers=[t for t in a.tiers.split(",") if t],
        time_limit=a.time_limit,
        workers=a.workers,
        out=a.out,
        highs=not a.no_highs,
        instances=a.instances,
        tier_timeout=a.tier_timeout,
        max_rss_gb=a.max_rss_gb,
    )


if __name__ == "__main__":
    sys.exit(main_with(parse()))
