"""R6: separation of active substance use from recovery; site profiles, gender, age bands.

Hard: within a scope (building, or cluster when the policy says so), after the round, no
new active user shares a scope with anyone in recovery and no new recovery household with
an active user (000 l.727; 002 ch. 6). Site profiles, women/men-only sites and age bands
(youth sites) are pairwise. A scope is keyed by its kind and id, so a cluster named like a
building is still a cluster.
"""

from __future__ import annotations

import numpy as np

from allocator.data import (
    GENDER_CODES,
    PROFILE_CODES,
    SITE_GENDER_CODES,
    SUBSTANCE_CODES,
    RoundData,
)
from allocator.rules.base import ExclusionRule, PairRule, hard
from models.scenario import Profile, SubstanceUse

ACTIVE = SUBSTANCE_CODES[SubstanceUse.active]
RECOVERY = SUBSTANCE_CODES[SubstanceUse.recovery]


def reject_profile(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: active_use sites take only active users; recovery sites only recovery."""
    profile = data.b_profile[data.d_building][None, :]
    substance = data.substance[hs][:, None]
    return ((profile == PROFILE_CODES[Profile.active_use]) & (substance != ACTIVE)) | (
        (profile == PROFILE_CODES[Profile.recovery]) & (substance != RECOVERY)
    )


def reject_gender(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: women-only sites take female main applicants only; men-only likewise."""
    site = data.b_gender[data.d_building][None, :]
    gender = data.applicant_gender[hs][:, None]
    return ((site == SITE_GENDER_CODES["women"]) & (gender != GENDER_CODES["female"])) | (
        (site == SITE_GENDER_CODES["men"]) & (gender != GENDER_CODES["male"])
    )


def reject_age(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: the main applicant's age within the building's age band."""
    age = data.applicant_age[hs][:, None]
    b = data.d_building
    return (age < data.b_min_age[b][None, :]) | (age > data.b_max_age[b][None, :])


def building_scope(data: RoundData) -> np.ndarray:
    """Scope index per building: the building itself, or its cluster (scope 'cluster')."""
    cluster = data.policy.separation.scope == "cluster"
    keys = [
        ("cluster", b.cluster) if cluster and b.cluster else ("building", b.id)
        for b in data.scenario.buildings
    ]
    index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    return np.array([index[k] for k in keys], dtype=np.int64)


def _scope_of_dwelling(data: RoundData) -> np.ndarray:
    return data.derived("R6.building_scope", building_scope)[data.d_building]  # type: ignore[no-any-return]


def _kind(data: RoundData) -> np.ndarray:
    """1 for active use, 2 for recovery, 0 otherwise."""
    return np.where(data.substance == ACTIVE, 1, np.where(data.substance == RECOVERY, 2, 0))


def _existing(data: RoundData) -> np.ndarray:
    scope = data.derived("R6.building_scope", building_scope)
    S = int(scope.max(initial=-1)) + 1
    return np.vstack(
        [
            np.bincount(scope, weights=data.b_active, minlength=S),
            np.bincount(scope, weights=data.b_recovery, minlength=S),
        ]
    ).astype(np.int64)


_sites = hard("separation", "sites")

PAIR_RULES = (
    PairRule(
        "site_profile",
        "R6",
        reject_profile,
        "botilbudet er for en annen målgruppe (rus/rusfri)",
        _sites,
    ),
    PairRule("site_gender", "R6", reject_gender, "botilbudet er kjønnsdelt", _sites),
    PairRule(
        "site_age",
        "R6",
        reject_age,
        "hovedsøkers alder er utenfor botilbudets aldersgrense",
        _sites,
    ),
)

SEPARATION = ExclusionRule(
    "separation",
    "R6",
    "aktiv rus og rusfrie/i bedring skal ikke bo i samme bygg",
    hard("separation", "mode"),
    _scope_of_dwelling,
    _kind,
    _existing,
)

ROUND_RULES = (SEPARATION,)
