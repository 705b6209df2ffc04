"""R6: separation of active substance use from recovery; site profiles, gender, age bands.

Hard: within a scope (building, or cluster when the policy says so), after the round, no
new active user shares a scope with anyone in recovery and no new recovery household with
an active user (000 l.727; 002 ch. 6). Site profiles, women/men-only sites and age bands
(youth sites) are pairwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from allocator.data import (
    GENDER_CODES,
    PROFILE_CODES,
    SITE_GENDER_CODES,
    SUBSTANCE_CODES,
    RoundData,
)
from models.scenario import Profile, SubstanceUse

if TYPE_CHECKING:
    from allocator.model import AllocationModel

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


def _scope_has(data: RoundData, counts: np.ndarray) -> np.ndarray:
    """Per scope: does any building in it hold existing residents of this kind?"""
    out = np.zeros(int(data.b_scope.max(initial=-1)) + 1, dtype=bool)
    np.logical_or.at(out, data.b_scope, counts > 0)
    return out


def reject_existing_mix(data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Hard: an active user never joins a scope with residents in recovery, nor the reverse."""
    if data.policy.separation.mode == "off":
        return np.zeros(len(h), dtype=bool)
    scope = data.b_scope[data.d_building[d]]
    has_recovery = _scope_has(data, data.b_recovery)[scope]
    has_active = _scope_has(data, data.b_active)[scope]
    substance = data.substance[h]
    return ((substance == ACTIVE) & has_recovery) | ((substance == RECOVERY) & has_active)


def build(m: AllocationModel) -> None:
    """Hard: per scope, new active users and new recovery households exclude each other.

    One Boolean per mixed scope says which kind may move in this round; each placement
    implies it. Scopes with existing residents of one kind were settled in the pairs
    already (reject_existing_mix)."""
    if m.data.policy.separation.mode == "off":
        return
    data, pairs = m.data, m.pairs
    scope = data.b_scope[data.d_building[pairs.d]]
    substance = data.substance[pairs.h]
    for s in np.unique(scope):
        active = np.flatnonzero((scope == s) & (substance == ACTIVE))
        recovery = np.flatnonzero((scope == s) & (substance == RECOVERY))
        if len(active) and len(recovery):
            active_may_move_in = m.cp.new_bool_var(f"scope{s}_active")
            for p in active:
                m.cp.add_implication(m.x[p], active_may_move_in)
            for p in recovery:
                m.cp.add_implication(m.x[p], active_may_move_in.Not())
            # Its value in a given proposal: true exactly when an active user moves in.
            m.auxiliary.append((active_may_move_in, active))
