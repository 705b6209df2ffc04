"""Run N weekly rounds per policy on one municipality and collect the KPIs.

Each policy gets its own ``World`` built from the same day-0 municipality and the same
``Streams`` (common random numbers), so the policies differ only by what they decide.
Every weekly proposal goes through the independent checker; its violation count is a KPI.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from allocator.checker import check_proposal
from allocator.fairness.groups import Group
from allocator.fairness.outcomes import group_rows
from allocator.io.write import write_json_atomic
from allocator.replay.fairness import Ledger
from allocator.replay.flow import after_round, before_round, housed
from allocator.replay.hindsight import hindsight
from allocator.replay.kpis import PolicyTotals, summary_row, week_row
from allocator.replay.municipality import Municipality
from allocator.replay.policies import PolicySpec, for_replay
from allocator.replay.realised import Realised
from allocator.replay.state import World
from allocator.replay.streams import Streams
from allocator.solve import propose
from models.problems import InputError, Problem

HINDSIGHT = "hindsight"
DEFAULT_TIME_LIMIT_S = 5.0
DEFAULT_WORKERS = 1


@dataclass(frozen=True)
class Settings:
    weeks: int = 52
    seed: int = 0
    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    workers: int = DEFAULT_WORKERS
    progress: bool = True
    rounds_dir: Path | None = None


@dataclass
class WeekTrace:
    """The policy-independent draws of one week (for the common-random-numbers check)."""

    week: int
    arrivals: list[dict[str, Any]]
    moveout_draws: list[str]
    moved_out: list[str]
    #: Sitting tenants' transfer applications of the week (issue 15).
    transfer_applications: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PolicyRun:
    spec: PolicySpec
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: PolicyTotals = field(default_factory=PolicyTotals)
    trace: list[WeekTrace] = field(default_factory=list)
    wall_s: float = 0.0
    ledger: Ledger | None = None
    realised: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        if self.spec.source == HINDSIGHT:
            row: dict[str, Any] = {"policy": self.spec.name, "method": "hindsight"}
        else:
            row = summary_row(self.spec.name, self.spec.method, self.rows, self.totals)
        row.update(self.realised)
        row["wall_s"] = round(self.wall_s, 2)
        return row

    def group_rows(self, groups: list[Group]) -> list[dict[str, Any]]:
        """Outcomes by group over the run (allocator.fairness.outcomes)."""
        records = self.ledger.records.values() if self.ledger is not None else []
        return [
            {"policy": self.spec.name, "method": self.spec.method} | row
            for row in group_rows(list(records), groups)
        ]


@dataclass
class ReplayResult:
    municipality: Municipality
    settings: Settings
    runs: list[PolicyRun]

    def kpis(self) -> list[dict[str, Any]]:
        return [row for run in self.runs for row in run.rows]

    def summary(self) -> list[dict[str, Any]]:
        return [run.summary() for run in self.runs]


def run_policy(m: Municipality, spec: PolicySpec, settings: Settings) -> PolicyRun:
    """One policy's replay: ``settings.weeks`` rounds from day 0."""
    started = time.monotonic()
    world = World(m, m.config.flow, m.household_factory())
    streams = Streams(settings.seed)
    policy = for_replay(spec.policy, time_limit_s=settings.time_limit_s, workers=settings.workers)
    ledger = Ledger(m, world)
    realised = Realised(policy)
    run = PolicyRun(spec, ledger=ledger)
    bar = tqdm(
        total=settings.weeks,
        desc=f"{spec.name:>12}",
        unit="uke",
        disable=not settings.progress,
        leave=True,
    )
    for week in range(settings.weeks):
        t0 = time.monotonic()
        as_of = m.start + dt.timedelta(days=7 * week)
        events = before_round(world, streams, week, as_of)
        scenario = world.round(as_of, policy)
        proposal = propose(scenario, method=spec.method, created_at=as_of.isoformat())
        violations = check_proposal(scenario, proposal)
        after_round(world, streams, week, proposal, events, policy.transfers.turnover_days)
        if settings.rounds_dir is not None:
            _save_round(settings.rounds_dir / spec.name, week, scenario, proposal)
        run.rows.append(
            week_row(
                policy=spec.name,
                method=spec.method,
                week=week,
                as_of=as_of,
                scenario=scenario,
                proposal=proposal,
                violations=violations,
                events=events,
                world=world,
                solve_s=proposal.run.wall_time_s,
                wall_s=time.monotonic() - t0,
            )
        )
        run.totals.add(events, proposal)
        ledger.add(scenario, proposal, events)
        realised.seen(scenario.households)
        for placement in housed(events):
            realised.housed(placement.household, placement.move_in, placement.available_from)
        for hid, on in events.left_on.items():
            realised.left(hid, on)
        run.trace.append(
            WeekTrace(
                week,
                [h.model_dump(mode="json") for h in events.arrivals],
                events.moveout_draws,
                events.moved_out,
                [h.model_dump(mode="json") for h in events.transfer_applications],
            )
        )
        bar.update(1)
        bar.set_postfix(venter=len(world.waiting), regelbrudd=len(violations))
    bar.close()
    run.realised = realised.kpis(m.start + dt.timedelta(days=7 * settings.weeks))
    run.wall_s = time.monotonic() - started
    return run


def run_hindsight(m: Municipality, spec: PolicySpec, settings: Settings) -> PolicyRun:
    """The year's offline optimum (allocator.replay.hindsight), as a run with no weeks."""
    plan = hindsight(m, spec.policy, settings.seed, settings.weeks)
    run = PolicyRun(spec)
    run.realised = {
        **plan.kpis,
        "hindsight_exact": int(plan.exact),
        "hindsight_tier1_exact": int(plan.tier1_exact),
        "hindsight_broken": plan.broken,
        "hindsight_repeatable": int(plan.repeatable),
    }
    run.wall_s = plan.wall_s
    return run


def run_replay(m: Municipality, specs: list[PolicySpec], settings: Settings) -> ReplayResult:
    """Every policy on the same municipality and the same random streams. The hindsight
    reference plans without transfers, so it is refused for a flow that has them."""
    if m.config.flow.transfers is not None and any(s.source == HINDSIGHT for s in specs):
        raise InputError(
            [
                Problem(
                    field="--policy",
                    value=HINDSIGHT,
                    expected="a weekly policy: the hindsight reference does not model "
                    "transfers (flow.transfers), so it cannot be compared on this config",
                )
            ]
        )
    return ReplayResult(
        m,
        settings,
        [
            run_hindsight(m, spec, settings)
            if spec.source == HINDSIGHT
            else run_policy(m, spec, settings)
            for spec in specs
        ],
    )


def _save_round(folder: Path, week: int, scenario: Any, proposal: Any) -> None:
    """The week's round as a normal scenario (``allocator propose`` reads it) and the
    proposal the policy made for it."""
    write_json_atomic(
        folder / f"week-{week:03d}.scenario.json", json.loads(scenario.model_dump_json())
    )
    write_json_atomic(
        folder / f"week-{week:03d}.proposal.json", json.loads(proposal.model_dump_json())
    )
