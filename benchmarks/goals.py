"""The issue's goals per tier (instances.yaml `goals:`), checked against a tier's result."""

from __future__ import annotations

from typing import Any


def _get(result: dict[str, Any], *path: str) -> Any:
    node: Any = result
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _le(value: Any, target: float) -> bool | None:
    return None if value is None else bool(value <= target)


def check(result: dict[str, Any], goals: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """name -> {target, value, met}; met is None when the tier did not get that far."""
    out: dict[str, dict[str, Any]] = {}
    for name, target in goals.items():
        value: Any
        met: bool | None
        if name == "checked":
            value = _get(result, "check", "violations")
            met = None if value is None else value == 0
        elif name == "optimal":
            value = _get(result, "solve", "status")
            met = None if value is None else value == "OPTIMAL"
        elif name == "solve_s":
            value = _get(result, "solve", "optimise_s")
            met = _le(value, target)
        elif name == "tier2_gap":
            value = _get(result, "best_bound", "gap")
            met = _le(value, target)
        elif name == "tier2_best_s":
            # "within the gap in <= T s": the time counts only if the gap goal is met.
            value = _get(result, "solve", "tier2_best_s")
            met = _le(value, target)
            gap, gap_goal = _get(result, "best_bound", "gap"), goals.get("tier2_gap")
            if met and gap_goal is not None:
                met = None if gap is None else gap <= gap_goal
        elif name == "highs_speedup":
            value = _get(result, "headline", "speedup")
            censored = _get(result, "headline", "censored")
            met = (
                None
                if value is None
                else (value >= target if not censored else (True if value >= target else None))
            )
        elif name in ("fit_gap", "tiebreak_gap"):
            # The proposal's own gap of that component (its best valid bound, see
            # allocator/bounds.py); for the tie-break, the largest over its components.
            prefix = name.removesuffix("_gap")
            gaps = [
                t.get("gap")
                for t in _get(result, "solve", "tiers") or []
                if t.get("name") == prefix or t.get("name", "").startswith(prefix + "_")
            ]
            value = None if not gaps or None in gaps else max(gaps)
            met = _le(value, target)
        elif name == "build_s":
            value = _get(result, "build", "total_s")
            met = _le(value, target)
        elif name == "propose_s":
            value = _get(result, "propose", "wall_s")
            met = _le(value, target)
        elif name == "peak_rss_gb":
            mb = _get(result, "rss_after_propose_mb")
            value = None if mb is None else round(mb / 1024, 2)
            met = _le(value, target)
        else:
            raise ValueError(f"unknown goal {name!r}")
        out[name] = {"target": target, "value": value, "met": met}
    return out
