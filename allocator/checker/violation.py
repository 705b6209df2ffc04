"""The checker's output record: one broken hard rule, with the ids and numbers involved."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

RuleId = Literal["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11"]


class Violation(BaseModel):
    """One hard-rule violation in a proposal.

    ``code`` is one of the stable codes of docs/rules.md (plus ``unmatched_list`` and
    ``empty_list`` for R1 bookkeeping); ``message`` is concrete English with the numbers,
    so a caseworker can see why without reading the rules.
    """

    model_config = ConfigDict(frozen=True)

    rule: RuleId
    code: str
    household: str | None = None
    dwelling: str | None = None
    message: str

    def render(self) -> str:
        """One line, e.g. ``R5 building_cap household=H7 dwelling=W3: building B3 ...``."""
        parts = [self.rule, self.code]
        if self.household is not None:
            parts.append(f"household={self.household}")
        if self.dwelling is not None:
            parts.append(f"dwelling={self.dwelling}")
        return " ".join(parts) + ": " + self.message
