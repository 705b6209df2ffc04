"""R6 separation and site rules: active use apart from recovery; profile, gender, age bands."""

from __future__ import annotations

from collections import Counter, defaultdict

from allocator.checker import facts
from allocator.checker.base import PairRule, RoundRule
from allocator.checker.context import Context
from allocator.checker.violation import Violation
from models.proposal import Proposal
from models.scenario import Dwelling, Household, Profile, SubstanceUse


def site_profile(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R6 (``separation.sites == hard``): ``active_use`` sites take only active users,
    ``recovery`` sites only recovery."""
    if ctx.policy.separation.sites != "hard":
        return None
    b = ctx.building_of(d)
    wanted = {Profile.active_use: SubstanceUse.active, Profile.recovery: SubstanceUse.recovery}.get(
        b.profile
    )
    if wanted is None or h.substance_use is wanted:
        return None
    return (
        f"building {b.id} has profile {b.profile.value} and takes only households with "
        f"substance_use {wanted.value}; household {h.id} has {h.substance_use.value}"
    )


def site_gender(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R6 (``separation.sites == hard``): a women's site takes a female main applicant, a
    men's site a male one."""
    b = ctx.building_of(d)
    if ctx.policy.separation.sites != "hard" or b.gender is None:
        return None
    wanted = "female" if b.gender == "women" else "male"
    if h.main_applicant.gender == wanted:
        return None
    got = h.main_applicant.gender or "not given"
    return (
        f"building {b.id} is for {b.gender}; the main applicant of household {h.id} "
        f"has gender {got}"
    )


def site_age(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R6 (``separation.sites == hard``): the main applicant's age lies in the building's
    ``[min_age, max_age]``."""
    if ctx.policy.separation.sites != "hard":
        return None
    b = ctx.building_of(d)
    age = h.main_applicant.age
    too_young = b.min_age is not None and age < b.min_age
    too_old = b.max_age is not None and age > b.max_age
    if not (too_young or too_old):
        return None
    band = f"{'' if b.min_age is None else b.min_age}–{'' if b.max_age is None else b.max_age}"
    return f"the main applicant of household {h.id} is {age}; building {b.id} takes ages {band}"


def check_separation(ctx: Context, proposal: Proposal) -> list[Violation]:
    """R6 (``separation.mode == hard``): no new active use beside recovery, nor the reverse.

    A new household with active use breaks the rule when its scope, after the round, holds
    any household in recovery (existing or new), and symmetrically. Existing mixes that the
    round does not add to are not reported.
    """
    policy = ctx.policy
    if policy.separation.mode != "hard":
        return []
    members: dict[str, list[str]] = defaultdict(list)
    existing = {SubstanceUse.active: Counter[str](), SubstanceUse.recovery: Counter[str]()}
    for b in ctx.scenario.buildings:
        scope = facts.separation_scope(b, policy)
        members[scope].append(b.id)
        existing[SubstanceUse.active][scope] += b.residents.active
        existing[SubstanceUse.recovery][scope] += b.residents.recovery
    placements = list(ctx.placements(proposal))
    new = {SubstanceUse.active: Counter[str](), SubstanceUse.recovery: Counter[str]()}
    for _, h, d in placements:
        if h.substance_use in new:
            new[h.substance_use][facts.separation_scope(ctx.building_of(d), policy)] += 1

    out = []
    for match, h, d in placements:
        if h.substance_use not in new:
            continue
        other = (
            SubstanceUse.recovery if h.substance_use is SubstanceUse.active else SubstanceUse.active
        )
        scope = facts.separation_scope(ctx.building_of(d), policy)
        old, added = existing[other][scope], new[other][scope]
        if old + added == 0:
            continue
        where = scope
        if scope.startswith("cluster"):
            where += f" (buildings {', '.join(members[scope])})"
        label = "in recovery" if other is SubstanceUse.recovery else "with active use"
        out.append(
            Violation(
                rule="R6",
                code="separation",
                household=match.household,
                dwelling=match.dwelling,
                message=(
                    f"household {h.id} ({h.substance_use.value}) placed in {where}, which "
                    f"would hold {old + added} household(s) {label} "
                    f"({old} existing + {added} new)"
                ),
            )
        )
    return out


PAIR_RULES = (
    PairRule("R6", "site_profile", site_profile),
    PairRule("R6", "site_gender", site_gender),
    PairRule("R6", "site_age", site_age),
)

ROUND_RULES = (RoundRule("R6", "separation", check_separation),)
