"""One public entry point: `propose(scenario) -> Proposal`.

Data (allocator.data) → candidate pairs (allocator.pairs) → CP-SAT model (allocator.model)
→ lexicographic solve (allocator.lexicographic) → proposal with reasons (allocator.explain).
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from typing import Literal

import numpy as np

import allocator
from allocator.data import build_round_data
from allocator.explain import assemble
from allocator.greedy import greedy_choice
from allocator.hashing import policy_sha256, run_id, scenario_sha256
from allocator.lexicographic import LexResult, solve_tiers
from allocator.model import AllocationModel
from allocator.pairs import candidate_pairs
from allocator.warmstart import warm_start
from models.proposal import Proposal, RunInfo

Method = Literal["cp-sat", "greedy"]


#: From this many pair variables on, tier 1 is solved first on the due families alone.
DEADLINES_FIRST = 20_000


def optimise(model: AllocationModel, settings, time_limit_s: float | None = None) -> LexResult:  # type: ignore[no-untyped-def]
    """Hint CP-SAT with a complete, feasible proposal, then solve the stages.

    On large models the deadline tier is first solved exactly on a small model of the due
    families' pairs (plus pins): removing placements never breaks a round rule, so its
    optimum is the whole round's tier-1 optimum. The flow warm start is then built around
    those placements, so CP-SAT starts at the tier-1 optimum with a good tier 2."""
    data, pairs = model.data, model.pairs
    budget = time_limit_s if time_limit_s is not None else settings.time_limit_s
    started = time.monotonic()
    fixed = None
    if len(pairs) >= DEADLINES_FIRST and data.due.any():
        pinned = np.zeros(len(pairs), dtype=bool)
        pinned[pairs.pinned_pairs()] = True
        sub_idx = np.flatnonzero(data.due[pairs.h] | pinned)
        sub = pairs.subset(sub_idx)
        first = solve_tiers(AllocationModel(data, sub), settings, budget / 3,
                            hint=warm_start(data, sub),
                            tiers=["deadline_breaches", "deadline_days_over"])
        fixed = sub_idx[first.chosen]
    hint = warm_start(data, pairs, fixed)
    return solve_tiers(model, settings, budget - (time.monotonic() - started), hint=hint)


def versions() -> dict[str, str]:
    import ortools
    import pydantic

    return {"allocator": allocator.__version__, "ortools": ortools.__version__,
            "pydantic": pydantic.VERSION, "numpy": np.__version__,
            "python": platform.python_version()}


def propose(scenario, method: Method = "cp-sat", time_limit_s: float | None = None,  # type: ignore[no-untyped-def]
            created_at: str | None = None) -> Proposal:
    """Solve one round and explain it. Raises InputError for pins that break hard rules."""
    started = time.monotonic()
    data = build_round_data(scenario)
    pairs = candidate_pairs(data)
    build_s = time.monotonic() - started
    settings = scenario.policy.solver
    if method == "greedy":
        chosen = greedy_choice(data, pairs)
        lex = LexResult(chosen=chosen, tiers=[])
        status = "FEASIBLE"
    else:
        model = AllocationModel(data, pairs)
        build_s = time.monotonic() - started
        lex = optimise(model, settings, time_limit_s)
        status = lex.status
    input_sha, policy_sha = scenario_sha256(scenario), policy_sha256(scenario.policy)
    run = RunInfo(
        id=run_id(input_sha, policy_sha, method),
        created_at=created_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        as_of=scenario.as_of, input_sha256=input_sha, policy_sha256=policy_sha,
        policy_name=scenario.policy.name, method=method, versions=versions(),
        seed=settings.seed, workers=settings.workers, status=status, tiers=lex.tiers,
        sizes={"households": data.H, "dwellings": data.D, "pairs": len(pairs),
               **{f"rejected_{k}": v for k, v in pairs.rejected.items() if v}},
        wall_time_s=0.0,
    )
    proposal = assemble(data, pairs, lex.chosen, run)
    proposal.run.wall_time_s = round(time.monotonic() - started, 3)
    proposal.run.sizes["build_ms"] = int(build_s * 1000)
    return proposal
