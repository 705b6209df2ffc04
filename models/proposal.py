"""The proposal: what the allocator answers, and what `check` reads back.

Reasons carry stable English codes plus parameters; Norwegian text is rendered from the
code (allocator.reasons) for people, so the case system can rely on the codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.3"

#: The deadline clocks (docs/rules.md "Deadline clocks"): the 3-month cap on temporary housing
#: for families (R7), the dwelling ready on release from prison or institution, and on a
#: refugee's agreed arrival.
Clock = Literal["temporary", "release", "refugee"]

TierStatus = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN", "MODEL_INVALID", "SKIPPED"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reason(_Out):
    """A machine-readable reason: a stable code, its parameters and a bokmål text."""

    code: str
    params: dict[str, Any] = Field(default_factory=dict)
    text: str = ""


class TierResult(_Out):
    name: str
    status: TierStatus
    objective: float | None = None
    bound: float | None = None
    gap: float | None = Field(None, description="|objective - bound| / max(1, |objective|).")
    bound_source: str | None = Field(
        None,
        description="Where the bound comes from (allocator.bounds): cp-sat, relaxation, "
        "sub-solve, flow (Lagrangian min-cost flow), lp (the stage's LP dual) or range.",
    )
    wall_time_s: float = 0.0
    note: str | None = Field(None, description="Why the tier has no bound or was skipped.")


class RunInfo(_Out):
    id: str
    schema_version: str = SCHEMA_VERSION
    created_at: str = ""
    as_of: dt.date
    input_sha256: str
    policy_sha256: str
    policy_name: str = "default"
    method: Literal["cp-sat", "greedy", "manual"] = "cp-sat"
    versions: dict[str, str] = Field(default_factory=dict)
    seed: int = 0
    workers: int = 1
    status: TierStatus = "UNKNOWN"
    tiers: list[TierResult] = Field(default_factory=list)
    sizes: dict[str, int] = Field(default_factory=dict)
    wall_time_s: float = 0.0


class ScoreParts(_Out):
    """The objective contributions of one match, per tier."""

    priority_points: int = 0
    waiting_points: int = 0
    preference_rank: int | None = None
    spare_bedrooms: int = 0
    school_travel_minutes: int = 0
    vacancy_days: int = 0
    vacancy_rent_loss: float = 0.0
    concentration_cost: int = 0
    fit_cost: int = 0
    transfer_points: int = Field(
        0,
        description="Tier-2 points of a tenant's transfer reason, plus those for letting a "
        "flat an under-occupying tenant frees (policy.transfers).",
    )


class Alternate(_Out):
    """Who would get the dwelling if the match is declined, best first (computed, re-solved)."""

    rank: int
    household: str
    move_in: dt.date | None = None
    reason: Reason | None = None


class Match(_Out):
    household: str
    dwelling: str
    move_in: dt.date
    from_dwelling: str | None = Field(
        None, description="A tenant's current dwelling, freed by this move (R11)."
    )
    pinned: bool = False
    score: ScoreParts = Field(default_factory=ScoreParts)
    reasons: list[Reason] = Field(default_factory=list)
    alternates: list[Alternate] = Field(default_factory=list)


class Blocking(_Out):
    dwelling: str
    rule: str
    code: str


class Unmatched(_Out):
    household: str
    reason: Reason
    blocking_rules: list[Blocking] = Field(default_factory=list)
    outranked_by: list[dict[str, str]] = Field(default_factory=list)


class EmptyDwelling(_Out):
    dwelling: str
    reason: Reason


class Breach(_Out):
    household: str
    clock: Clock = "temporary"
    deadline: dt.date
    days_over: int
    dwelling: str | None = None
    reason: Reason


class ChainLink(_Out):
    """One move of a vacancy chain: `household` moves into `dwelling` on `move_in`,
    leaving `from_dwelling` (a tenant's) free after the turnover days."""

    household: str
    dwelling: str
    move_in: dt.date
    from_dwelling: str | None = None


class Chain(_Out):
    """A vacancy chain (a vacancy → tenant → the tenant's dwelling → …) or a two-way swap,
    as one story: `text` in bokmål, e.g. "D12 → H07 (flytter fra D40) → D40 → H19"."""

    links: list[ChainLink]
    swap: bool = False
    freed_unlet: str | None = Field(
        None, description="The last tenant's dwelling when no one moves into it this round."
    )
    text: str


class Kpis(_Out):
    households: int = 0
    vacancies: int = 0
    housed: int = 0
    unmatched: int = 0
    empty_dwellings: int = 0
    due_families: int = Field(0, description="Households due under a deadline clock.")
    due_housed: int = 0
    breaches: int = 0
    days_over: int = 0
    breaches_by_clock: dict[str, int] = Field(
        default_factory=dict,
        description="Breaches per deadline clock (temporary, release, refugee).",
    )
    dissimilarity_before: float | None = None
    dissimilarity_after: float | None = None
    vacancy_days: int = 0
    vacancy_rent_loss: float = 0.0
    mean_wait_days_housed: float | None = None
    occupied_dwellings: int = Field(0, description="Tenants' dwellings in the round (R11).")
    transfer_applications: int = 0
    tenants_moved: int = 0
    overcrowded_resolved: int = Field(
        0, description="Tenants applying as overcrowded who move this round."
    )
    family_flats_freed: int = Field(
        0,
        description="Dwellings with two or more bedrooms that under-occupying tenants leave "
        "and that are let again this round.",
    )
    tenant_spare_bedrooms_before: int = Field(
        0, description="Spare bedrooms of the tenants' dwellings before the round."
    )
    tenant_spare_bedrooms_after: int = Field(
        0, description="Spare bedrooms of the tenants' dwellings after it (moved or not)."
    )
    chains: int = Field(0, description="Vacancy chains and swaps in the proposal.")
    chain_lengths: dict[str, int] = Field(
        default_factory=dict, description="Chains per number of moves."
    )
    housed_through_chains: int = Field(
        0, description="Households housed in a dwelling a moving tenant frees."
    )


class GroupShareReport(_Out):
    """What the R10 group-share floor (policy ``fairness.group_share``) did in this round:
    its figures (docs/rules.md "R10 group share"), the placements inside and outside the
    group, and whether it binds. ``reasons`` say it in bokmål."""

    group: str
    label: str = Field(description="The group's name in bokmål.")
    min_ratio: float
    households: int = Field(description="n: households on the round's list.")
    members: int = Field(description="m: of them in the group.")
    most_placements: int = Field(description="M: most placements the pairwise rules allow.")
    members_fit: int = Field(description="ν: most placements of the group's households.")
    target: int = Field(description="t = ceil(min_ratio · m · M / n).")
    reserved: int = Field(description="r = min(t, ν): placements held for the group.")
    cap_others: int | None = Field(
        None,
        description="K = M − r: most placements of households outside the group that "
        "are not due under a deadline clock; None when the rule has no cap this round.",
    )
    members_placed: int = 0
    others_placed: int = Field(0, description="Placements the cap counts.")
    due_others_placed: int = Field(
        0, description="Due households outside the group placed (not counted by the cap)."
    )
    held_back: int = Field(
        0,
        description="Households the cap counts, left without an offer "
        "although a dwelling fits them, while the cap is reached.",
    )
    held_back_households: list[str] = Field(default_factory=list)
    binding: bool = Field(False, description="The cap is reached and holds someone back.")
    met: bool = Field(True, description="The group got every place held for it.")
    reasons: list[Reason] = Field(default_factory=list)


class Proposal(_Out):
    run: RunInfo
    matches: list[Match] = Field(default_factory=list)
    unmatched: list[Unmatched] = Field(default_factory=list)
    empty_dwellings: list[EmptyDwelling] = Field(default_factory=list)
    breaches: list[Breach] = Field(default_factory=list)
    kpis: Kpis = Field(default_factory=Kpis)
    chains: list[Chain] = Field(
        default_factory=list, description="Vacancy chains and two-way swaps (R11)."
    )
    group_share: GroupShareReport | None = Field(
        None, description="The R10 group-share floor's figures, when the policy sets one."
    )
