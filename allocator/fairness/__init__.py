"""Equal treatment (likebehandling): who gains and who loses, per proposal and over a replay.

``equal_treatment(scenario, proposal)`` lists equal households with unequal outcomes in one
round and what separates them (the proposal report and the meeting page show it);
``groups`` names the groups the replay and sweep reports compare, ``outcomes`` the
measures. See docs/fairness.md.
"""

from allocator.fairness.equal_treatment import (
    SEPARATOR_LABELS,
    EqualPair,
    EqualTreatment,
    equal_treatment,
)
from allocator.fairness.groups import CORE, Group, groups_for

__all__ = [
    "CORE",
    "SEPARATOR_LABELS",
    "EqualPair",
    "EqualTreatment",
    "Group",
    "equal_treatment",
    "groups_for",
]
