"""Re-solving a round while changing as little as possible of the previous proposal.

Approach: an extra lexicographic objective, ``stability`` (maximise the number of the
previous proposal's matches kept, among pairs still allowed by every hard rule), placed
right after ``priority_waiting`` in `AllocationModel`'s objective order and solved by
`allocator.lexicographic.solve_tiers` like every other tier. Neither `allocator.model` nor
`allocator.lexicographic` is changed: this module inserts the extra objective into the
model it builds.

Why there: deadlines (R7) and priority/waiting time decide *who* is housed and are the
fairness guarantee, so a re-solve never trades them for stability. Fit (wishes, spare
bedrooms, school travel, vacancy loss) and the tie-break decide *where*; once the meeting
has seen a proposal (and offers may be out), moving households around for a small fit gain
is what the meeting does not want, so stability ranks above fit. Pins and forbids are hard
(the scenario's ``locks``); offers sent and accepted are pins too (`allocator.web.ledger`).

The model's objective layout is being reworked (tiers → packed components); the insertion
supports both. Should neither be found, the re-solve falls back to a plain solve and says
so in ``run.sizes["stability_tier"] = 0`` (the tests require 1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Iterable

import numpy as np
from ortools.sat.python import cp_model

from allocator.data import build_round_data
from allocator.explain import assemble
from allocator.hashing import policy_sha256, run_id, scenario_sha256
from allocator.lexicographic import solve_tiers
from allocator.model import AllocationModel
from allocator.pairs import candidate_pairs
from allocator.solve import propose, versions
from models.proposal import Proposal, RunInfo
from models.scenario import Scenario

#: The stability objective is solved right after this one.
STABILITY_AFTER = "priority_waiting"
STABILITY_TIER = "stability"
log = logging.getLogger(__name__)


def _kept_pairs(model: AllocationModel, previous: Iterable[tuple[str, str]]) -> list[int]:
    """Indices of the previous matches that are still candidate pairs."""
    data, index = model.data, model.pairs.index()
    keep = []
    for household, dwelling in previous:
        h, d = data.household_index.get(household), data.dwelling_index.get(dwelling)
        if h is not None and d is not None and (h, d) in index:
            keep.append(index[(h, d)])
    return keep


def add_stability_tier(model: AllocationModel, previous: Iterable[tuple[str, str]]) -> int:
    """Insert the stability objective after `STABILITY_AFTER`; return how many previous
    matches can be kept at most. Raises NotImplementedError for an unknown model layout."""
    keep = _kept_pairs(model, previous)
    if hasattr(model, "components") and hasattr(model, "stages"):
        from allocator.model import Component, _pack  # packed-components layout

        weights = np.zeros(len(model.pairs), dtype=np.int64)
        weights[keep] = 1
        components = list(model.components)
        at = [c.name for c in components].index(STABILITY_AFTER) + 1
        components.insert(at, Component(STABILITY_TIER, "max", 0, weights))
        model.components = components
        model.stages = _pack(components, model.matches)
        return len(keep)
    if hasattr(model, "tiers"):
        from allocator.model import Tier  # type: ignore[attr-defined]  # older layout

        expr = cp_model.LinearExpr.Sum([model.x[p] for p in keep]) if keep else 0
        extra = ({"parts": ((STABILITY_TIER, 1),)}
                 if "parts" in {f.name for f in dataclasses.fields(Tier)} else {})
        names = [t.name for t in model.tiers]
        model.tiers.insert(names.index(STABILITY_AFTER) + 1,
                           Tier(STABILITY_TIER, "max", expr, not keep, **extra))
        return len(keep)
    raise NotImplementedError("unknown AllocationModel objective layout")


def _hint(data, pairs) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A feasible starting proposal (the flow warm start where available)."""
    try:
        from allocator.warmstart import warm_start
    except ImportError:
        from allocator.greedy import greedy_choice

        return greedy_choice(data, pairs, round_rules=True)
    return warm_start(data, pairs)


def propose_stable(scenario: Scenario, previous: Iterable[tuple[str, str]] = (),
                   time_limit_s: float | None = None, created_at: str | None = None) -> Proposal:
    """Like `allocator.solve.propose`, keeping as many of the `previous` (household,
    dwelling) matches as the higher tiers allow. Without previous matches: `propose`."""
    previous = list(previous)
    if not previous:
        return propose(scenario, time_limit_s=time_limit_s, created_at=created_at)
    started = time.monotonic()
    data = build_round_data(scenario)
    pairs = candidate_pairs(data)
    model = AllocationModel(data, pairs)
    try:
        keepable = add_stability_tier(model, previous)
    except NotImplementedError:
        log.warning("stability tier unavailable for this model layout; plain re-solve")
        proposal = propose(scenario, time_limit_s=time_limit_s, created_at=created_at)
        proposal.run.sizes["stability_tier"] = 0
        return _count_kept(proposal, previous)
    build_s = time.monotonic() - started
    settings = scenario.policy.solver
    lex = solve_tiers(model, settings, time_limit_s, hint=_hint(data, pairs))
    input_sha, policy_sha = scenario_sha256(scenario), policy_sha256(scenario.policy)
    run = RunInfo(
        id=run_id(input_sha, policy_sha, "cp-sat"),
        created_at=created_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        as_of=scenario.as_of, input_sha256=input_sha, policy_sha256=policy_sha,
        policy_name=scenario.policy.name, method="cp-sat", versions=versions(),
        seed=settings.seed, workers=settings.workers, status=lex.status, tiers=lex.tiers,
        sizes={"households": data.H, "dwellings": data.D, "pairs": len(pairs),
               "stability_tier": 1, "stability_keepable": keepable,
               **{f"rejected_{k}": v for k, v in pairs.rejected.items() if v}},
    )
    proposal = assemble(data, pairs, lex.chosen, run)
    proposal.run.wall_time_s = round(time.monotonic() - started, 3)
    proposal.run.sizes["build_ms"] = int(build_s * 1000)
    return _count_kept(proposal, previous)


def _count_kept(proposal: Proposal, previous: list[tuple[str, str]]) -> Proposal:
    kept = {(m.household, m.dwelling) for m in proposal.matches} & set(previous)
    proposal.run.sizes["stability_previous"] = len(previous)
    proposal.run.sizes["stability_kept"] = len(kept)
    return proposal
