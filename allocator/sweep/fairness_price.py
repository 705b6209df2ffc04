"""The price of fairness in a sweep: what a group-share floor (R10, policy
``fairness.group_share``) costs everyone and what it buys its group.

Why paired, like the price of each rule (allocator.sweep.stats): every policy of a seed
sees the same approvals, notices and declines, so ``measure(policy, seed) −
measure(baseline, seed)`` removes the seed's luck. The cost is read from the cells'
KPIs (housed, mean wait, deadline breaches, vacancy days); what it buys from the group's
own outcomes (allocator.fairness.outcomes: housed, housed against its share of approvals,
median wait), each with its t-based 95 % interval over seeds. How often the floor bound,
and the places it held and filled, come from the weekly proposals' ``group_share``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from allocator.fairness.groups import CORE, group_by_key
from allocator.fairness.outcomes import MEASURE_BY_KEY
from allocator.sweep.grid import Grid
from allocator.sweep.stats import KPIS, t_interval

#: Everyone's KPIs that price the floor (cells' columns), in report order.
COST_KPIS = ("housed", "wait_mean", "breaches", "families_breached", "vacancy_days")
#: The group's measures it buys (groups' columns), in report order.
GROUP_MEASURES = ("housed", "housed_vs_approvals", "housed_share", "wait_p50")
#: The floor's own weekly figures, summed over the weeks of a cell.
FLOOR_COLUMNS = {
    "group_share_binding": "Uker bindende",
    "group_share_reserved": "Plasser holdt av",
    "group_share_placed": "Tildelt gruppen",
}


def floors(grid: Grid) -> dict[str, tuple[str, float]]:
    """Policy name -> (group key, min_ratio) for the grid's policies with a floor."""
    out: dict[str, tuple[str, float]] = {}
    for entry, policy, _ in grid.policies:
        share = policy.fairness.group_share
        if share is not None and entry.name != grid.baseline:
            out[entry.name] = (share.group, share.min_ratio)
    return out


def _paired(base: pd.DataFrame, other: pd.DataFrame, column: str) -> dict[str, Any]:
    """Mean of each side and the paired difference with its interval, over common seeds."""
    b, p = base.set_index("seed")[column], other.set_index("seed")[column]
    seeds = sorted(set(b.index) & set(p.index))
    bv, pv = b.loc[seeds].astype(float).to_numpy(), p.loc[seeds].astype(float).to_numpy()
    d = t_interval(pv - bv)
    return {
        "n": d.n,
        "baseline_mean": _mean(bv),
        "policy_mean": _mean(pv),
        "diff_mean": d.mean,
        "ci_low": d.low,
        "ci_high": d.high,
    }


def _mean(values: Any) -> float:
    s = pd.Series(values, dtype="float64").dropna()
    return float(s.mean()) if len(s) else math.nan


def fairness_prices(grid: Grid, cells: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """One row per (scenario, policy with a floor, measure): ``side`` is ``cost`` (a KPI
    of everyone), ``group`` (a measure of the floor's group) or ``floor`` (the floor's own
    weekly figures, summed per cell; the baseline has none, so its mean is 0)."""
    rows: list[dict[str, Any]] = []
    priced = floors(grid)
    if cells.empty or not priced:
        return pd.DataFrame()
    for scenario, c in cells.groupby("scenario", sort=False):
        base = c[c["policy"] == grid.baseline]
        for policy, (group, ratio) in priced.items():
            mine = c[c["policy"] == policy]
            if mine.empty or base.empty:
                continue
            key = {"scenario": scenario, "policy": policy, "group": group, "min_ratio": ratio}
            for kpi in COST_KPIS:
                if kpi in mine:
                    rows.append(key | {"side": "cost", "measure": kpi} | _paired(base, mine, kpi))
            for column in FLOOR_COLUMNS:
                if column in mine:
                    rows.append(
                        key | {"side": "floor", "measure": column} | _paired(base, mine, column)
                    )
            if groups.empty:
                continue
            g = groups[(groups["scenario"] == scenario) & (groups["group"] == group)]
            gb, gp = g[g["policy"] == grid.baseline], g[g["policy"] == policy]
            for measure in GROUP_MEASURES:
                if measure in g and not gb.empty and not gp.empty:
                    rows.append(
                        key | {"side": "group", "measure": measure} | _paired(gb, gp, measure)
                    )
    return pd.DataFrame(rows)


def _num(value: float, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = round(float(value), digits) + 0.0
    return f"{value:.{digits}f}".replace(".", ",").replace("-", "−")


def _signed(value: float, digits: int) -> str:
    text = _num(value, digits)
    return "+" + text if text[0].isdigit() and text.strip("0,") else text


def _span(row: Any, scale: float, digits: int) -> str:
    """The 95 % interval as «low – high»."""
    return f"{_num(row.ci_low * scale, digits)} – {_num(row.ci_high * scale, digits)}"


def _label(side: str, measure: str) -> tuple[str, int]:
    if side == "cost":
        return KPIS[measure]
    if side == "floor":
        return FLOOR_COLUMNS[measure], 1
    m = MEASURE_BY_KEY[measure]
    return m.label, {"share": 1, "ratio": 2}.get(m.kind, 1)


def render_section(prices: pd.DataFrame, labels: dict[str, str], baseline_label: str) -> str:
    """The bokmål section «Pris for likebehandling» (empty without a floor in the grid)."""
    if prices.empty:
        return ""
    blocks = []
    for (scenario, policy), rows in prices.groupby(["scenario", "policy"], sort=False):
        first = rows.iloc[0]
        sides = []
        for side in ("group", "cost", "floor"):
            cells = []
            for r in rows[rows["side"] == side].itertuples(index=False):
                label, digits = _label(side, r.measure)
                shown = 100 if side == "group" and MEASURE_BY_KEY[r.measure].kind == "share" else 1
                clear = not math.isnan(r.ci_low) and (r.ci_low > 0 or r.ci_high < 0)
                cells.append(
                    {
                        "label": label
                        + (" (%; differanse i prosentpoeng)" if shown == 100 else ""),
                        "baseline": _num(r.baseline_mean * shown, digits),
                        "policy": _num(r.policy_mean * shown, digits),
                        "diff": _signed(r.diff_mean * shown, digits),
                        "ci": "" if math.isnan(r.ci_low) else _span(r, shown, digits),
                        "clear": clear,
                        "n": int(r.n),
                    }
                )
            sides.append((side, cells))
        blocks.append(
            {
                "scenario": scenario,
                "policy": policy,
                "label": labels.get(policy, policy),
                "group": group_by_key(CORE, first["group"]).label,
                "ratio": _num(first["min_ratio"], 2),
                "sides": sides,
            }
        )
    env = Environment(
        loader=PackageLoader("allocator.sweep", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    return env.get_template("fairness_price.html.j2").render(
        blocks=blocks, baseline_label=baseline_label, several=prices["scenario"].nunique() > 1
    )
