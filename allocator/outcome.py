"""What a solve's result means for its caller: one classification, one set of exit codes.

Why one module: ``allocator propose``, ``allocator batch`` and the HTTP API must agree on
every input. A round either has a proposal (every solved tier OPTIMAL or FEASIBLE) or it
does not, and "not" is never success: a tier that ran out of time without any solution is
"no proposal within the time limit" (exit 4), and a tier CP-SAT refused as MODEL_INVALID
is an internal error (exit 1): the input was validated, so the model should have been
valid (allocator.limits checks the objective fits before solving). A proposal that breaks
a hard rule in the independent checker is an internal error too. docs/hardening.md has
the table of inputs, exit codes and API statuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from models.proposal import Proposal

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_BREACHES = 3
EXIT_NO_PROPOSAL = 4

HAS_PROPOSAL = ("OPTIMAL", "FEASIBLE")

Kind = Literal["ok", "breaches", "no_proposal", "solver_refused", "check_failed"]


@dataclass(frozen=True)
class Outcome:
    """The class of one solve's result, with its batch exit code and API error code."""

    kind: Kind
    exit_code: int  # for `allocator batch`; `propose` exits 0 for "breaches" too
    error: str | None  # the API job's `error` when it failed
    message: str  # for the operator, in bokmål

    @property
    def has_proposal(self) -> bool:
        return self.kind in ("ok", "breaches")


def classify(proposal: Proposal, violations: Sequence[object] = ()) -> Outcome:
    """The outcome of ``proposal``; ``violations`` are the independent checker's findings."""
    run = proposal.run
    refused = [t.name for t in run.tiers if t.status == "MODEL_INVALID"]
    if refused:
        return Outcome(
            "solver_refused",
            EXIT_INTERNAL,
            "solver_rejected_model",
            "intern feil: CP-SAT avviste modellen (MODEL_INVALID) for "
            f"{', '.join(refused)}; ingenting skrevet. Meld fra med loggen.",
        )
    if run.status not in HAS_PROPOSAL:
        failed = ", ".join(
            f"{t.name} {t.status}" for t in run.tiers if t.status not in (*HAS_PROPOSAL, "SKIPPED")
        )
        return Outcome(
            "no_proposal",
            EXIT_NO_PROPOSAL,
            "no_proposal_within_time_limit",
            f"ingen løsning innen tidsgrensen ({failed or run.status}); ingenting skrevet",
        )
    if violations:
        return Outcome(
            "check_failed",
            EXIT_INTERNAL,
            "proposal_failed_independent_check",
            f"intern feil: forslaget bryter {len(violations)} harde regler i den "
            "uavhengige kontrollen; ingenting skrevet. Meld fra med loggen.",
        )
    if proposal.breaches:
        return Outcome(
            "breaches",
            EXIT_BREACHES,
            None,
            f"{len(proposal.breaches)} brudd på fristen for midlertidig bolig (R7)",
        )
    return Outcome("ok", EXIT_OK, None, "ok")
