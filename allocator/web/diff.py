"""What changed between two proposals of a round: kept, moved, added and removed matches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ProposalDiff:
    kept: list[tuple[str, str]] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # household, from, to
    added: list[tuple[str, str]] = field(default_factory=list)  # newly housed
    removed: list[tuple[str, str]] = field(default_factory=list)  # no longer housed
    dwellings: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.moved) + len(self.added) + len(self.removed)


def _matches(proposal_json: dict[str, Any]) -> dict[str, str]:
    return {m["household"]: m["dwelling"] for m in proposal_json["matches"]}


def diff(before_json: dict[str, Any], after_json: dict[str, Any]) -> ProposalDiff:
    """Compare by household (kept/moved/added/removed) and by dwelling (new holder)."""
    a, b = _matches(before_json), _matches(after_json)
    out = ProposalDiff()
    for h in sorted(a.keys() | b.keys()):
        if h in a and h in b:
            if a[h] == b[h]:
                out.kept.append((h, a[h]))
            else:
                out.moved.append((h, a[h], b[h]))
        elif h in b:
            out.added.append((h, b[h]))
        else:
            out.removed.append((h, a[h]))
    holder_a = {d: h for h, d in a.items()}
    holder_b = {d: h for h, d in b.items()}
    for d in sorted(holder_a.keys() | holder_b.keys()):
        if holder_a.get(d) != holder_b.get(d):
            out.dwellings.append((d, holder_a.get(d), holder_b.get(d)))
    return out
