"""Markdown summary of a benchmark run (printed and written to summary.md)."""

from __future__ import annotations

from typing import Any

DASH = "–"


def _n(value: Any, digits: int = 3) -> str:
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 1000:
            return f"{int(value):,}"
        return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _pct(value: Any) -> str:
    """Beyond 100 % only "> 100 %": the exact figure (a tie-break's bound over a value
    of 0) is not readable; the JSON keeps it."""
    if value is None:
        return DASH
    return "> 100 %" if value > 1 else f"{100 * value:.2f} %"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out + [""]


def _tier(t: dict[str, Any], name: str) -> dict[str, Any]:
    return next((x for x in (t.get("solve") or {}).get("tiers", []) if x["name"] == name), {})


def _g(t: dict[str, Any], *path: str) -> Any:
    node: Any = t
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def header(results: dict[str, Any]) -> list[str]:
    m, s = results["machine"], results["settings"]
    dirty = " (uncommitted changes)" if m.get("git_dirty") else ""
    return [
        "# Benchmark results",
        "",
        f"{m['date']} · {m['cpu']} · {m['cores']} cores · {m['ram_gb']} GB RAM · "
        f"Python {m['python']} · ortools {m['ortools']} · highspy {m['highspy'] or 'not installed'}"
        f" · commit {m['git_commit']}{dirty}",
        "",
        f"Time limit: {s['time_limit_s'] or 'per tier'} s · workers: "
        f"{s['workers'] or 'policy default'} · HiGHS: {'on' if s['highs'] else 'off'}",
        "",
    ]


def _pairs(t: dict[str, Any]) -> str:
    pairs, model = _g(t, "sizes", "pairs"), _g(t, "sizes", "model_pairs")
    return _n(pairs) + ("" if model in (None, pairs) else f" (model: {_n(model)})")


def solver_table(tiers: list[dict[str, Any]]) -> list[str]:
    rows = []
    for t in tiers:
        size = t.get("sizes") or t.get("instance") or {}
        rows.append(
            [
                t["tier"],
                f"{_n(size.get('households'))} × {_n(size.get('dwellings'))}",
                _pairs(t),
                _n(_g(t, "settings", "workers")),
                _n(_g(t, "build", "total_s")),
                _n(_g(t, "solve", "first_s")),
                _n(_g(t, "solve", "best_s")),
                _n(_g(t, "solve", "optimise_s")),
                _n(_g(t, "propose", "wall_s")),
                _n(t.get("rss_after_propose_mb")),
                _g(t, "solve", "status") or _g(t, "process", "killed") or t.get("phase", DASH),
                _n(_g(t, "check", "violations")),
            ]
        )
    return _table(
        [
            "tier",
            "households × dwellings",
            "pairs",
            "workers",
            "build s",
            "first proposal s",
            "best s",
            "optimise s",
            "propose s",
            "peak MB",
            "status",
            "violations",
        ],
        rows,
    )


def _best(t: dict[str, Any]) -> str:
    best = t.get("best_bound")
    return DASH if not best else f"{_pct(best['gap'])} ({best['source']}: {_n(best['bound'])})"


def quality_table(tiers: list[dict[str, Any]]) -> list[str]:
    rows = []
    for t in tiers:
        b, gr = t.get("bound") or {}, _g(t, "greedy", "components") or {}
        ours = [
            _tier(t, k).get("objective")
            for k in ("deadline_breaches", "deadline_days_over", "priority_waiting")
        ]
        rows.append(
            [
                t["tier"],
                f"{_n(ours[0])} / {_n(ours[1])}",
                f"{_n(b.get('deadline_breaches'))} / {_n(b.get('deadline_days_over'))}",
                _n(b.get("tier1_matched")),
                _n(ours[2]),
                _n(b.get("priority_waiting")),
                DASH
                if b.get("tier2_ratio") is None
                else f"{b['tier2_ratio']:.4f} ({_pct(b.get('tier2_gap'))})",
                _best(t),
                _n(_tier(t, "priority_waiting").get("status")),
                f"{_n(gr.get('deadline_breaches'))} / {_n(gr.get('deadline_days_over'))}",
                _n(gr.get("priority_waiting")),
                _n(_g(t, "greedy", "violations")),
            ]
        )
    return _table(
        [
            "tier",
            "tier 1 (breaches / days over)",
            "bound tier 1",
            "tier 1 = bound",
            "tier 2 (points)",
            "bound tier 2",
            "ratio to bound (gap)",
            "gap to best bound",
            "tier-2 status",
            "greedy tier 1",
            "greedy tier 2",
            "greedy violations",
        ],
        rows,
    )


def highs_table(tiers: list[dict[str, Any]]) -> list[str]:
    rows = []
    for t in tiers:
        h, head, mip = t.get("highs") or {}, t.get("headline") or {}, t.get("mip") or {}
        if "status" not in h:
            reason = h.get("skipped") or _g(h, "process", "killed") or "not run"
            rows.append([t["tier"], reason] + [DASH] * 8)
            continue
        ratio = (
            DASH
            if not head
            else (
                (">" if head["censored"] else "")
                + f"{head['speedup']:.1f}×"
                + (" (MISMATCH)" if head.get("mismatch") else "")
            )
        )
        rows.append(
            [
                t["tier"],
                f"{_n(mip.get('columns'))} × {_n(mip.get('rows'))}",
                _n(_g(t, "solve", "tier2_best_s")),
                _pct(mip.get("target_gap")),
                _n(h.get("time_to_target_s")),
                _n(h.get("time_to_target_gap_s")),
                f"{h['status']}, {_n(h.get('objective'))}, gap {_pct(h.get('gap'))}",
                _n(h.get("peak_rss_mb")),
                _n(_g(h, "solution_check", "violations")),
                ratio,
            ]
        )
    return _table(
        [
            "tier",
            "MIP columns × rows",
            "ours to tier 2 s",
            "our tier-2 gap",
            "HiGHS to our tier 2 s",
            "HiGHS to our gap (own bound) s",
            "HiGHS final",
            "HiGHS peak MB",
            "HiGHS violations",
            "speed ratio",
        ],
        rows,
    )


def goals_table(tiers: list[dict[str, Any]]) -> list[str]:
    rows = []
    for t in tiers:
        for name, g in (t.get("goals") or {}).items():
            met = {True: "yes", False: "**no**", None: "n/a"}[g["met"]]
            rows.append([t["tier"], name, _n(g["target"]), _n(g["value"]), met])
    return _table(["tier", "goal", "target", "measured", "met"], rows)


def components_table(tiers: list[dict[str, Any]]) -> list[str]:
    rows = []
    for t in tiers:
        for c in _g(t, "solve", "tiers") or []:
            rows.append(
                [
                    t["tier"],
                    c["name"],
                    c["status"],
                    _n(c.get("objective")),
                    _n(c.get("bound")),
                    c.get("bound_source") or "–",
                    _pct(c.get("gap")),
                    _n(c.get("wall_time_s")),
                ]
            )
    return _table(
        ["tier", "component", "status", "objective", "bound", "bound source", "gap", "stage s"],
        rows,
    )


def notes(tiers: list[dict[str, Any]]) -> list[str]:
    out = []
    for t in tiers:
        for label, proc in (("tier", t.get("process")), ("HiGHS", _g(t, "highs", "process"))):
            if proc and (proc.get("killed") or proc.get("returncode")):
                out.append(
                    f"- {t['tier']} ({label}): {proc.get('killed') or 'exit code '}"
                    f"{'' if proc.get('killed') else proc.get('returncode')}"
                    f" after {proc.get('seconds')} s, phase {t.get('phase')}"
                )
        if t.get("error"):
            out.append(f"- {t['tier']}: {t['error']}")
        for step in ("greedy", "bound", "highs"):
            if isinstance(t.get(step), dict) and t[step].get("error"):
                out.append(f"- {t['tier']} ({step}): {t[step]['error']}")
        if _g(t, "mip", "ours_violates"):
            out.append(
                f"- {t['tier']}: our proposal breaks {t['mip']['ours_violates']} MIP "
                "rows: the MIP is not the CP-SAT model"
            )
    return (["## Notes", "", *out, ""]) if out else []


def markdown(results: dict[str, Any]) -> str:
    tiers = results["tiers"]
    lines = header(results)
    lines += ["## Our solver (times in seconds from the start of propose())", ""]
    lines += solver_table(tiers)
    lines += ["## Quality: assignment bound (no round rules) and greedy baseline", ""]
    lines += quality_table(tiers)
    lines += ["## HiGHS on the tier-2 stage (same MIP, tier 1 held at CP-SAT's values)", ""]
    lines += highs_table(tiers)
    lines += ["## Goals", ""] + goals_table(tiers)
    lines += ["## Per component (CP-SAT)", ""] + components_table(tiers)
    lines += notes(tiers)
    return "\n".join(lines)


def _main() -> None:
    """`python -m benchmarks.report RESULTS.json [MORE.json ...]`: print the summary of
    one or more runs as one (headline, best bound and goals recomputed)."""
    import json
    import sys
    from pathlib import Path

    from benchmarks import goals
    from benchmarks.instances import load_specs
    from benchmarks.runner import best_bound, headline

    specs = load_specs()
    runs = [json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[1:]]
    merged = runs[0]
    merged["tiers"] = [t for r in runs for t in r["tiers"]]
    for t in merged["tiers"]:
        t["headline"], t["best_bound"] = headline(t), best_bound(t)
        if t["tier"] in specs:
            t["goals"] = goals.check(t, specs[t["tier"]].goals)
    print(markdown(merged))


if __name__ == "__main__":
    _main()
