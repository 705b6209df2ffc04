"""One cell of a sweep: one policy, one seed, one scenario, N weeks = one replay.

``execute_cell`` is what a Dask worker runs. It is a pure function of the cell: the same
cell gives the same KPI rows on any worker, in any order (the replay's common random
numbers are seeded by the cell's seed; CP-SAT runs on ``solver_workers`` = 1 thread).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allocator.replay.fairness import replay_groups
from allocator.replay.municipality import Municipality, MunicipalityConfig, generate
from allocator.replay.policies import PolicySpec
from allocator.replay.runner import Settings, run_policy
from allocator.replay.source import from_scenario
from allocator.sweep.transforms import apply_transforms
from models import Policy, Scenario


@dataclass(frozen=True, eq=False)
class Source:
    """A scenario of the grid, loaded and validated by the driver."""

    name: str
    path: str
    config: MunicipalityConfig
    scenario: Scenario | None  # None: a municipality config, generated per seed
    digest: str  # SHA-256 of the content

    def municipality(self, seed: int) -> Municipality:
        """Day 0 for this seed, as ``allocator replay`` builds it."""
        if self.scenario is None:
            return generate(self.config, seed)
        return from_scenario(self.scenario, self.config, seed)


@dataclass(frozen=True, eq=False)
class Cell:
    """One replay of the grid."""

    policy: str
    method: str
    rules: Policy
    relaxed: tuple[str, ...]
    transforms: tuple[str, ...]
    seed: int
    source: Source
    weeks: int
    time_limit_s: float
    solver_workers: int

    @property
    def scenario(self) -> str:
        return self.source.name

    def identity(self) -> dict[str, Any]:
        """Everything that decides the cell's numbers (hashed into its id)."""
        return {
            "policy": self.policy,
            "method": self.method,
            "rules": self.rules.model_dump(mode="json"),
            "transforms": list(self.transforms),
            "seed": self.seed,
            "scenario": self.source.name,
            "digest": self.source.digest,
            "weeks": self.weeks,
            "time_limit_s": self.time_limit_s,
            "solver_workers": self.solver_workers,
        }

    @property
    def id(self) -> str:
        """Stable cell id: 16 hex digits of SHA-256 over ``identity()``."""
        text = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def label(self) -> str:
        return f"{self.scenario}/{self.policy}/seed={self.seed}"

    def columns(self) -> dict[str, Any]:
        """The cell's key columns, first in both tables."""
        return {
            "cell_id": self.id,
            "scenario": self.scenario,
            "policy": self.policy,
            "relaxed": ";".join(self.relaxed),
            "transforms": ";".join(self.transforms),
            "seed": self.seed,
            "weeks": self.weeks,
        }


@dataclass
class CellResult:
    """What a worker sends back: the replay's weekly rows, its summary row and its
    outcomes by group (one row per group, allocator.fairness.outcomes)."""

    cell_id: str
    weeks: list[dict[str, Any]]
    summary: dict[str, Any]
    wall_s: float
    worker: str = ""
    attempts: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    groups: list[dict[str, Any]] = field(default_factory=list)


def execute_cell(cell: Cell) -> CellResult:
    """Run the cell's replay (one policy) and return its KPI rows."""
    started, cpu = time.monotonic(), time.process_time()
    m = apply_transforms(cell.source.municipality(cell.seed), cell.transforms)
    spec = PolicySpec(cell.policy, cell.rules, cell.method, f"sweep:{cell.policy}")  # type: ignore[arg-type]
    settings = Settings(
        weeks=cell.weeks,
        seed=cell.seed,
        time_limit_s=cell.time_limit_s,
        workers=cell.solver_workers,
        progress=False,
    )
    run = run_policy(m, spec, settings)
    key = cell.columns()
    weeks = [key | row for row in run.rows]
    waits = run.totals.waits
    dissimilarity = [r["dissimilarity"] for r in run.rows if r["dissimilarity"] is not None]
    summary = (
        key
        | run.summary()
        | {
            "wait_mean": round(float(np.mean(waits)), 2) if waits else None,
            "dissimilarity_mean": round(float(np.mean(dissimilarity)), 4)
            if dissimilarity
            else None,
        }
    )
    groups = [key | row for row in run.group_rows(replay_groups(m))]
    return CellResult(
        cell.id,
        weeks,
        summary,
        time.monotonic() - started,
        _worker_name(),
        extra={"cpu_s": time.process_time() - cpu},
        groups=groups,
    )


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"
