"""The round rules (allocator.rules.ROUND_RULES) evaluated for one more placement.

Alternates and explanations ask "could household u move into dwelling d if the rest of the
proposal stays as it is (and the declining household leaves)?"; the warm start's repair
asks it for each placement it keeps. Each rule answers from its own statement
(allocator.rules.base), so no rule can be forgotten here.
"""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData
from allocator.rules import ROUND_RULES


class RoundState:
    def __init__(self, data: RoundData, h: np.ndarray, d: np.ndarray):
        self.rules = [r for r in ROUND_RULES if r.enabled(data.policy)]
        self.states = [r.state(data, h, d) for r in self.rules]

    def place(self, u: int, dwelling: int) -> None:
        """Record one more placement (greedy construction)."""
        for s in self.states:
            s.place(u, dwelling)

    def broken_by(
        self, u: int, dwelling: int, leaving: int | None = None, leaving_from: int | None = None
    ) -> list[str]:
        """Codes of the round rules broken by placing u in `dwelling`, after `leaving`
        moves out of `leaving_from` (a declined offer)."""
        return [
            r.code
            for r, s in zip(self.rules, self.states, strict=True)
            if s.broken_by(u, dwelling, leaving, leaving_from)
        ]


def broken_rules(data: RoundData, h: np.ndarray, d: np.ndarray) -> dict[str, np.ndarray]:
    """For placements (h[i], d[i]): per round rule switched on, which placements break it
    (only rules broken at least once)."""
    out = {}
    for rule in ROUND_RULES:
        if rule.enabled(data.policy):
            broken = rule.broken(data, h, d)
            if broken.any():
                out[rule.code] = broken
    return out
