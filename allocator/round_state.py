"""Round rules (R5 caps and quotas, R6 separation) evaluated for one more placement.

Alternates and explanations ask "could household u move into dwelling d if the rest of the
proposal stays as it is (and the declining household leaves)?". This answers it from the
same headroom definitions the CP-SAT model uses (allocator.rules.r5_spread / r6_separation).
"""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData
from allocator.rules import r5_spread
from allocator.rules.r6_separation import ACTIVE, RECOVERY


class RoundState:
    def __init__(self, data: RoundData, h: np.ndarray, d: np.ndarray):
        self.data = data
        B, T = len(data.building_ids), len(data.district_ids)
        S = int(data.b_scope.max(initial=-1)) + 1
        high = data.high_need[h]
        self.building_room = r5_spread.building_headroom(data) - np.bincount(
            data.d_building[d[high]], minlength=B
        )
        self.district_room = r5_spread.district_headroom(data) - np.bincount(
            data.d_district[d[high]], minlength=T
        )
        scope_of_d = data.b_scope[data.d_building[d]]
        self.active = np.bincount(data.b_scope, weights=data.b_active, minlength=S) + np.bincount(
            scope_of_d[data.substance[h] == ACTIVE], minlength=S
        )
        self.recovery = np.bincount(
            data.b_scope, weights=data.b_recovery, minlength=S
        ) + np.bincount(scope_of_d[data.substance[h] == RECOVERY], minlength=S)

    def place(self, u: int, dwelling: int) -> None:
        """Record one more placement (greedy construction)."""
        data = self.data
        b, t = data.d_building[dwelling], data.d_district[dwelling]
        s = data.b_scope[b]
        if data.high_need[u]:
            self.building_room[b] -= 1
            self.district_room[t] -= 1
        self.active[s] += data.substance[u] == ACTIVE
        self.recovery[s] += data.substance[u] == RECOVERY

    def broken_by(
        self, u: int, dwelling: int, leaving: int | None = None, leaving_from: int | None = None
    ) -> list[str]:
        """Round-rule codes broken by placing u in `dwelling`, after `leaving` moves out of
        `leaving_from` (a declined offer)."""
        data = self.data
        b, t = data.d_building[dwelling], data.d_district[dwelling]
        s = data.b_scope[b]
        building_room, district_room = self.building_room[b], self.district_room[t]
        active, recovery = self.active[s], self.recovery[s]
        if leaving is not None and leaving_from is not None:
            lb, lt = data.d_building[leaving_from], data.d_district[leaving_from]
            if data.high_need[leaving]:
                building_room += lb == b
                district_room += lt == t
            if data.b_scope[lb] == s:
                active -= data.substance[leaving] == ACTIVE
                recovery -= data.substance[leaving] == RECOVERY
        broken = []
        if data.high_need[u]:
            if building_room < 1:
                broken.append("building_cap")
            if district_room < 1:
                broken.append("district_quota")
        if data.policy.separation.mode == "hard" and (
            (data.substance[u] == ACTIVE and recovery > 0)
            or (data.substance[u] == RECOVERY and active > 0)
        ):
            broken.append("separation")
        return broken
