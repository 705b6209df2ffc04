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

from collections.abc import Iterable

import numpy as np

from allocator.model import AllocationModel, Component
from allocator.solve import propose
from models.proposal import Proposal
from models.scenario import Scenario

#: The stability objective is solved right after this one.
STABILITY_AFTER = "priority_waiting"
STABILITY_TIER = "stability"


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
    matches can be kept at most."""
    keep = _kept_pairs(model, previous)
    weights = np.zeros(len(model.pairs), dtype=np.int64)
    weights[keep] = 1
    components = list(model.components)
    at = [c.name for c in components].index(STABILITY_AFTER) + 1
    components.insert(at, Component(STABILITY_TIER, "max", 0, weights))
    model.components = components
    return len(keep)


def propose_stable(scenario: Scenario, previous: Iterable[tuple[str, str]] = (),
                   time_limit_s: float | None = None, created_at: str | None = None) -> Proposal:
    """Like `allocator.solve.propose`, keeping as many of the `previous` (household,
    dwelling) matches as the higher tiers allow. Without previous matches: `propose`."""
    previous = list(previous)
    if not previous:
        return propose(scenario, time_limit_s=time_limit_s, created_at=created_at)

    def stability(model: AllocationModel) -> dict[str, int]:
        return {"stability_tier": 1, "stability_keepable": add_stability_tier(model, previous)}

    proposal = propose(scenario, time_limit_s=time_limit_s, created_at=created_at,
                       model_hook=stability)
    return _count_kept(proposal, previous)


def _count_kept(proposal: Proposal, previous: list[tuple[str, str]]) -> Proposal:
    kept = {(m.household, m.dwelling) for m in proposal.matches} & set(previous)
    proposal.run.sizes["stability_previous"] = len(previous)
    proposal.run.sizes["stability_kept"] = len(kept)
    return proposal
