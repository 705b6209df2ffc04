"""Re-solving a round while changing as little as possible of the previous proposal.

Approach: an extra lexicographic term, ``stability`` (maximise the number of the previous
proposal's matches kept, among pairs still allowed by every hard rule), ranked right after
``priority_waiting`` (`allocator.objective.stable_objective`) and solved like every other
component. Nothing in the model or the solve loop knows about it.

Why there: deadlines (tier 1) and priority/waiting time decide *who* is housed and are the
fairness guarantee, so a re-solve never trades them for stability. Fit (wishes, spare
bedrooms, school travel, vacancy loss) and the tie-break decide *where*; once the meeting
has seen a proposal (and offers may be out), moving households around for a small fit gain
is what the meeting does not want, so stability ranks above fit. Pins and forbids are hard
(the scenario's ``locks``); offers sent and accepted are pins too (`allocator.web.ledger`).
"""

from __future__ import annotations

from collections.abc import Iterable

from allocator.objective import STABILITY_AFTER, STABILITY_TIER, stable_objective
from allocator.solve import propose
from models.proposal import Proposal
from models.scenario import Scenario

__all__ = ["STABILITY_AFTER", "STABILITY_TIER", "propose_stable"]


def propose_stable(
    scenario: Scenario,
    previous: Iterable[tuple[str, str]] = (),
    time_limit_s: float | None = None,
    created_at: str | None = None,
) -> Proposal:
    """Like `allocator.solve.propose`, keeping as many of the `previous` (household,
    dwelling) matches as the higher tiers allow. Without previous matches: `propose`."""
    previous = list(previous)
    if not previous:
        return propose(scenario, time_limit_s=time_limit_s, created_at=created_at)
    proposal = propose(
        scenario,
        time_limit_s=time_limit_s,
        created_at=created_at,
        objective=stable_objective(scenario.policy, previous),
    )
    proposal.run.sizes["stability_tier"] = 1
    return _count_kept(proposal, previous)


def _count_kept(proposal: Proposal, previous: list[tuple[str, str]]) -> Proposal:
    kept = {(m.household, m.dwelling) for m in proposal.matches} & set(previous)
    proposal.run.sizes["stability_previous"] = len(previous)
    proposal.run.sizes["stability_kept"] = len(kept)
    return proposal
