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


def _locks(locks: dict[str, Any] | None, kind: str) -> dict[tuple[str, str], str]:
    return {
        (x["household"], x["dwelling"]): x.get("reason", "") for x in (locks or {}).get(kind, [])
    }


def causes(
    before_json: dict[str, Any],
    after_json: dict[str, Any],
    locks_before: dict[str, Any] | None,
    locks_after: dict[str, Any] | None,
) -> dict[str, str]:
    """Why each dwelling got a new household between two proposals (bokmål), from the
    lock changes the second was solved with: a new lock, a decline or sperring, a lapsed
    approval, an undone lock, or a knock-on effect of one of these."""
    d = diff(before_json, after_json)
    pins_a, pins_b = _locks(locks_before, "pinned"), _locks(locks_after, "pinned")
    forbid_a, forbid_b = _locks(locks_before, "forbidden"), _locks(locks_after, "forbidden")
    lapsed = set((locks_after or {}).get("lapsed", [])) - set(
        (locks_before or {}).get("lapsed", [])
    )
    new_pins = {p: r for p, r in pins_b.items() if p not in pins_a}
    undone_pins = {p for p in pins_a if p not in pins_b}
    new_forbids = {p: r for p, r in forbid_b.items() if p not in forbid_a}
    moved_to = {h: y for h, _, y in d.moved}
    out: dict[str, str] = {}
    for dwelling, old, new in d.dwellings:
        if new is not None and (new, dwelling) in new_pins:
            reason = new_pins[(new, dwelling)]
            out[dwelling] = f"{new} ble låst til boligen" + (f" ({reason})" if reason else "")
        elif old is not None and old in lapsed:
            out[dwelling] = f"tilsagnet til {old} falt bort"
        elif old is not None and (old, dwelling) in new_forbids:
            reason = new_forbids[(old, dwelling)]
            out[dwelling] = (
                f"{old} takket nei"
                if reason.startswith("Takket nei")
                else f"boligen ble sperret for {old} ({reason})"
            )
        elif old is not None and (old, dwelling) in undone_pins:
            out[dwelling] = f"låsen til {old} ble angret"
        elif old is not None and old in moved_to and (old, moved_to[old]) in new_pins:
            out[dwelling] = f"{old} ble låst til {moved_to[old]}"
    for dwelling, _old, _new in d.dwellings:
        if dwelling in out:
            continue
        first = next(iter(out.items()), None)
        if first is not None:
            out[dwelling] = f"ringvirkning av at {first[1]} ({first[0]})"
        else:
            out[dwelling] = "ny løsning uten endrede beslutninger"
    return out
