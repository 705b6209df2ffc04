"""The sweep report: paired differences against the baseline, one bar chart per KPI.

One HTML file (bokmål, PNGs embedded) that can be mailed; the PNGs also land in plots/ and
the numbers in comparison.csv.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from allocator.fairness.report import plot_groups, render_section
from allocator.sweep.fairness_price import render_section as render_price_of_fairness
from allocator.sweep.grid import Grid
from allocator.sweep.relax import RELAXATIONS, switches
from allocator.sweep.stats import KPIS, t_interval


def policy_labels(grid: Grid) -> dict[str, str]:
    """Policy name -> bokmål label ('Uten R5 spredning' for a relaxed family)."""
    out = {}
    for entry, _, _ in grid.policies:
        if entry.relax:
            out[entry.name] = "Uten " + ", ".join(RELAXATIONS[f].label for f in entry.relax)
        elif entry.name == grid.baseline:
            out[entry.name] = f"{entry.name} (grunnlinje)"
        else:
            out[entry.name] = entry.name
    return out


def num(value: Any, digits: int = 1) -> str:
    """Bokmål number: decimal comma, a real minus sign, no '-0'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{value:.{digits}f}".replace(".", ",").replace("-", "−")


def signed(value: float, digits: int = 1) -> str:
    """With a '+' for positive values."""
    text = num(value, digits)
    return "+" + text if text[0].isdigit() and text.strip("0,") else text


def plot_kpi(comparison: pd.DataFrame, kpi: str, labels: dict[str, str], path: Path) -> None:
    """Bars: mean paired difference per policy (grouped by scenario), 95 % CI error bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = comparison[comparison["kpi"] == kpi]
    policies = list(dict.fromkeys(data["policy"]))
    scenarios = list(dict.fromkeys(data["scenario"]))
    fig = Figure(figsize=(7.5, 3.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(scenarios))
    for k, scenario in enumerate(scenarios):
        s = data[data["scenario"] == scenario].set_index("policy").reindex(policies)
        xs = [i + (k - (len(scenarios) - 1) / 2) * width for i in range(len(policies))]
        err = s["half_width"].astype(float).fillna(0.0).to_numpy()
        ax.bar(
            xs,
            s["diff_mean"].astype(float).to_numpy(),
            width=width * 0.9,
            yerr=err,
            capsize=3,
            label=str(scenario),
            color=f"C{k}",
            alpha=0.85,
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(policies)))
    ax.set_xticklabels(
        [labels.get(p, p).removeprefix("Uten ") for p in policies],
        rotation=25,
        ha="right",
        fontsize=8,
    )
    ax.set_title(f"{KPIS[kpi][0]}: endring mot grunnlinjen", fontsize=10)
    ax.set_ylabel("Differanse (95 % KI)", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    if len(scenarios) > 1:
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, format="png")


def baseline_rows(cells: pd.DataFrame, baseline: str) -> list[dict[str, Any]]:
    """The baseline's level of each KPI (mean and 95 % CI over seeds), per scenario."""
    out = []
    for scenario, g in cells[cells["policy"] == baseline].groupby("scenario", sort=False):
        for kpi, (label, digits) in KPIS.items():
            i = t_interval(g[kpi].astype(float).to_numpy())
            out.append(
                {
                    "scenario": scenario,
                    "kpi": kpi,
                    "label": label,
                    "n": i.n,
                    "mean": num(i.mean, digits),
                    "ci": f"{num(i.low, digits)} – {num(i.high, digits)}",
                }
            )
    return out


def diff_table(
    comparison: pd.DataFrame, labels: dict[str, str], baseline: str
) -> list[dict[str, Any]]:
    """Rows per (scenario, policy): each KPI's difference '±' and whether the CI excludes 0."""
    rows = []
    for (scenario, policy), g in comparison.groupby(["scenario", "policy"], sort=False):
        if policy == baseline:
            continue
        cells = []
        for kpi, (_, digits) in KPIS.items():
            r = g[g["kpi"] == kpi]
            if r.empty:
                cells.append({"text": "–", "ci": "", "significant": False})
                continue
            r = r.iloc[0]
            clear = bool(not math.isnan(r["ci_low"]) and (r["ci_low"] > 0 or r["ci_high"] < 0))
            cells.append(
                {
                    "text": signed(r["diff_mean"], digits),
                    "ci": f"± {num(r['half_width'], digits)}"
                    if not math.isnan(r["half_width"])
                    else "",
                    "significant": clear,
                }
            )
        rows.append(
            {
                "scenario": scenario,
                "policy": policy,
                "label": labels.get(policy, policy),
                "n": int(g["n"].max()),
                "cells": cells,
            }
        )
    return rows


def render(
    grid: Grid,
    cells: pd.DataFrame,
    comparison: pd.DataFrame,
    images: dict[str, str],
    info: dict[str, Any],
    fairness_html: str = "",
    price_of_fairness_html: str = "",
) -> str:
    env = Environment(
        loader=PackageLoader("allocator.sweep", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    labels = policy_labels(grid)
    relaxed = sorted({f for e, _, _ in grid.policies for f in e.relax})
    notes = [
        {
            "family": f,
            "label": RELAXATIONS[f].label,
            "remains": RELAXATIONS[f].remains,
            "switches": switches(f),
        }
        for f in relaxed
    ]
    return env.get_template("sweep.html.j2").render(
        grid=grid.describe(),
        info=info,
        kpis=[(k, v[0]) for k, v in KPIS.items()],
        baseline=grid.baseline,
        baseline_label=labels.get(grid.baseline, grid.baseline),
        baseline_rows=baseline_rows(cells, grid.baseline) if not cells.empty else [],
        rows=diff_table(comparison, labels, grid.baseline) if not comparison.empty else [],
        images=[(k, KPIS[k][0], v) for k, v in images.items()],
        notes=notes,
        failures=info.get("failures", []),
        fairness=fairness_html,
        price_of_fairness=price_of_fairness_html,
    )


def write_report(
    grid: Grid,
    cells: pd.DataFrame,
    comparison: pd.DataFrame,
    out: Path,
    info: dict[str, Any],
    groups: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
) -> Path:
    """plots/KPI.png, plots/fairness.png and report.html under ``out``; ``groups`` is the
    outcomes by group, summarised over seeds per scenario and policy; ``prices`` the price
    of each group-share floor (allocator.sweep.fairness_price)."""
    from allocator.io.write import write_text_atomic

    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    labels = policy_labels(grid)
    images: dict[str, str] = {}
    if not comparison.empty:
        shown = comparison[comparison["policy"] != grid.baseline]
        for kpi in KPIS:
            if shown.empty or kpi not in set(shown["kpi"]):
                continue
            png = plots / f"{kpi}.png"
            plot_kpi(shown, kpi, labels, png)
            images[kpi] = base64.b64encode(png.read_bytes()).decode("ascii")
    path = out / "report.html"
    price_html = (
        ""
        if prices is None
        else render_price_of_fairness(prices, labels, labels.get(grid.baseline, grid.baseline))
    )
    write_text_atomic(
        path,
        render(
            grid, cells, comparison, images, info, fairness_section(grid, groups, plots), price_html
        ),
    )
    return path


def fairness_section(grid: Grid, groups: pd.DataFrame | None, plots: Path) -> str:
    """The outcomes-by-group tables (one per scenario and policy) and their figure."""
    if groups is None or groups.empty:
        return ""
    labels = policy_labels(grid)
    several = groups["scenario"].nunique() > 1
    titles = {
        (s, p): f"{labels.get(p, p)}" + (f" ({s})" if several else "")
        for s, p in groups[["scenario", "policy"]].drop_duplicates().itertuples(index=False)
    }
    view = groups.assign(
        run=[titles[(s, p)] for s, p in zip(groups["scenario"], groups["policy"], strict=True)]
    )
    png = plots / "fairness.png"
    plot_groups(view, png, by="run")
    image = base64.b64encode(png.read_bytes()).decode("ascii")
    return render_section(
        groups, by=("scenario", "policy"), titles=titles, image=image, csv_name="fairness.csv"
    )
