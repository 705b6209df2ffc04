"""The rule families R1–R9, one module each, and the derived lookups of the registry.

A family states each of its rules once, in one of the shapes of `allocator.rules.base`
(pairwise rule, capacity, exclusion, deadline clock); `allocator.rules.registry` lists
them in order. Everything else (candidate pairs, the CP-SAT model, the warm start and its
certificates, explanations, validation, the benchmark's MIP) reads those lists.
"""

from __future__ import annotations

from allocator.rules.registry import CLOCKS, PAIR_RULES, ROUND_RULES

#: Every code a pair can be rejected with, in explanation order: the pairwise rules, then
#: the round rules a placement alone already breaks (a full building, a zero quota, an
#: existing mix of residents).
CODES: tuple[str, ...] = (*(r.code for r in PAIR_RULES), *(r.code for r in ROUND_RULES))
#: code -> rule number (R1–R9).
RULE_OF_CODE: dict[str, str] = {
    **{r.code: r.rule for r in PAIR_RULES},
    **{r.code: r.rule for r in ROUND_RULES},
}
#: code -> bokmål text of why the rule rules a pair out.
RULE_TEXT: dict[str, str] = {
    **{r.code: r.text for r in PAIR_RULES},
    **{r.code: r.text for r in ROUND_RULES},
}
#: 1-based position of each code; 0 means "allowed".
CODE_NUMBER: dict[str, int] = {c: i + 1 for i, c in enumerate(CODES)}
#: clock code -> its position in CLOCKS.
CLOCK_INDEX: dict[str, int] = {c.code: i for i, c in enumerate(CLOCKS)}

__all__ = [
    "CLOCKS",
    "CLOCK_INDEX",
    "CODES",
    "CODE_NUMBER",
    "PAIR_RULES",
    "ROUND_RULES",
    "RULE_OF_CODE",
    "RULE_TEXT",
]
