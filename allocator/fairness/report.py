"""The group table and figure that the replay and sweep reports share (bokmål).

Why one renderer: "the same group table per policy" in both reports, with the same
numbers, labels, confidence intervals and flags; each report only places the fragment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from allocator.fairness.groups import DIMENSIONS
from allocator.fairness.outcomes import MEASURE_BY_KEY, Measure

#: Measures in the report table, in column order.
TABLE_MEASURES: tuple[str, ...] = (
    "approvals",
    "approval_share",
    "housed_share",
    "share_of_housed",
    "housed_vs_approvals",
    "wait_p50",
    "wait_p90",
    "breached_share",
    "days_over",
    "wish_met_share",
    "spare_bedrooms_mean",
    "burden_mean",
    "decline_share",
)
#: Short column headings (the long labels are in the legend below the table).
HEADINGS: dict[str, str] = {
    "approvals": "Vedtak",
    "approval_share": "Andel av vedtak",
    "housed_share": "Andel av gruppen med tildelt bolig",
    "share_of_housed": "Andel av alle tildelinger",
    "housed_vs_approvals": "Tildelinger mot vedtak",
    "wait_p50": "Ventetid median",
    "wait_p90": "Ventetid 90-pst.",
    "breached_share": "Over tidsfrist",
    "days_over": "Dager over frist",
    "wish_met_share": "I ønsket bydel",
    "spare_bedrooms_mean": "Ekstra soverom",
    "burden_mean": "Belastning",
    "decline_share": "Avslått",
}
#: A group housed under 4/5 of its share of approvals (or over 5/4) is flagged: the
#: four-fifths rule of thumb for adverse impact, applied to "share housed vs approvals".
LOW, HIGH = 0.8, 1.25
#: Groups with fewer households than this per seed are marked as uncertain.
SMALL = 10


def num(value: float | None, digits: int) -> str:
    """Bokmål number: decimal comma, a real minus sign, '–' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{round(float(value), digits) + 0.0:.{digits}f}"
    return text.replace(".", ",").replace("-", "−")


def show(measure: Measure, value: float | None) -> str:
    if measure.kind == "share":
        return "–" if value is None or math.isnan(value) else f"{num(100 * value, 1)} %"
    return num(value, measure.digits)


def cell(measure: Measure, row: pd.Series | None) -> dict[str, Any]:
    """One table cell: the mean over seeds, its 95 % interval, a flag for the ratio."""
    if row is None:
        return {"text": "–", "ci": "", "cls": ""}
    mean, low, high = (_float(row.get(k)) for k in ("mean", "ci_low", "ci_high"))
    ci = ""
    if low is not None and high is not None:
        ci = f"{show(measure, low)} – {show(measure, high)}"
    cls = ""
    if measure.key == "housed_vs_approvals" and mean is not None:
        below = high < 1 if high is not None else mean < LOW
        above = low > 1 if low is not None else mean > HIGH
        cls = "under" if below and mean < LOW else "over" if above and mean > HIGH else ""
    return {"text": show(measure, mean), "ci": ci, "cls": cls}


def _float(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def tables(
    summary: pd.DataFrame, by: Sequence[str] = ("policy",), titles: dict[Any, str] | None = None
) -> list[dict[str, Any]]:
    """One table per ``by`` value (a policy, or scenario and policy): groups as rows."""
    out: list[dict[str, Any]] = []
    if summary.empty:
        return out
    for key, g in summary.groupby(list(by), sort=False):
        index = {(r["group"], r["measure"]): r for _, r in g.iterrows()}
        rows, seen = [], set()
        for (group, dimension, label), _ in g.groupby(["group", "dimension", "label"], sort=False):
            heading = DIMENSIONS.get(dimension, dimension) if dimension not in seen else None
            seen.add(dimension)
            approvals = (
                _float(index[(group, "approvals")]["mean"])
                if (group, "approvals") in index
                else None
            )
            rows.append(
                {
                    "label": label,
                    "heading": heading,
                    "empty": not approvals,
                    "small": approvals is not None and 0 < approvals < SMALL,
                    "cells": [
                        cell(MEASURE_BY_KEY[m], index.get((group, m))) for m in TABLE_MEASURES
                    ],
                }
            )
        name = key[0] if isinstance(key, tuple) and len(key) == 1 else key
        seeds = int(g[g["measure"] == "approvals"]["n"].max()) if not g.empty else 0
        rows_title = (titles or {}).get(
            name, " / ".join(map(str, name)) if isinstance(name, tuple) else str(name)
        )
        out.append({"title": rows_title, "seeds": seeds, "rows": rows})
    return out


def render_section(
    summary: pd.DataFrame,
    *,
    by: Sequence[str] = ("policy",),
    titles: dict[Any, str] | None = None,
    image: str | None = None,
    csv_name: str = "fairness.csv",
) -> str:
    """The HTML fragment: explanation, one table per policy, the figure, the legend."""
    env = Environment(
        loader=PackageLoader("allocator.fairness", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    seeds = int(summary[summary["measure"] == "approvals"]["n"].max()) if not summary.empty else 0
    runs = len(summary[list(by)].drop_duplicates()) if not summary.empty else 0
    return env.get_template("groups.html.j2").render(
        tables=tables(summary, by, titles),
        seeds=seeds,
        image=image,
        csv_name=csv_name,
        heatmap=runs > MAX_BARS,
        headings=[HEADINGS[m] for m in TABLE_MEASURES],
        legend=[(HEADINGS[m], MEASURE_BY_KEY[m].label) for m in TABLE_MEASURES],
        low=num(LOW, 2),
        high=num(HIGH, 2),
        small=SMALL,
    )


#: Figure panels: (measure, title, scale to percent).
PANELS: tuple[tuple[str, str, bool], ...] = (
    ("share_of_housed", "Andel av alle tildelinger (%)\nrød strek: andel av vedtakene", True),
    ("housed_share", "Andel av gruppen med tildelt bolig (%)", True),
    ("wait_p50", "Ventetid til tildelt bolig, median (dager)", False),
    ("burden_mean", "Belastning i bydelen boligen ligger i (0–1)", False),
)


#: More policies than this: a heat map instead of bars (bars of 8 policies do not read).
MAX_BARS = 4


def plot_groups(summary: pd.DataFrame, path: Path, *, by: str = "policy") -> None:
    """Outcomes by group: bars for a few policies, a heat map for many."""
    if summary[by].nunique() > MAX_BARS:
        heatmap_groups(summary, path, by=by)
    else:
        bar_groups(summary, path, by=by)


def _present(summary: pd.DataFrame) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """(groups with households, their labels, their dimensions), in table order."""
    approvals = summary[summary["measure"] == "approvals"]
    present = approvals[approvals["mean"].fillna(0) > 0]
    groups = list(dict.fromkeys(present["group"]))
    labels = dict(zip(present["group"], present["label"], strict=False))
    dims = dict(zip(present["group"], present["dimension"], strict=False))
    return groups, labels, dims


#: Heat-map panels: (measure, title, colour map, value range, format).
HEAT_PANELS: tuple[tuple[str, str, str, tuple[float, float], str], ...] = (
    ("housed_vs_approvals", "Tildelinger mot vedtak (1 = sin andel)", "RdBu", (0.4, 1.6), "{:.2f}"),
    ("wait_p50", "Ventetid til tildelt bolig, median (dager)", "Oranges", (0, 0), "{:.0f}"),
)


def heatmap_groups(summary: pd.DataFrame, path: Path, *, by: str = "policy") -> None:
    """Groups down the side, policies across, the mean over seeds in each cell."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups, labels, dims = _present(summary)
    policies = list(dict.fromkeys(summary[by]))
    fig = Figure(
        figsize=(4 + 1.1 * len(policies) * len(HEAT_PANELS), 0.3 * len(groups) + 2.6), dpi=100
    )
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(HEAT_PANELS), sharey=True)
    for ax, (measure, title, cmap, (vmin, vmax), fmt) in zip(axes, HEAT_PANELS, strict=True):
        data = summary[summary["measure"] == measure]
        grid = data.pivot_table(
            index="group", columns=by, values="mean", aggfunc="first", dropna=False
        ).reindex(index=groups, columns=policies)
        values = grid.astype(float).to_numpy()
        if vmin == vmax:
            vmin, vmax = 0.0, float(pd.Series(values.ravel()).max(skipna=True) or 1.0)
        image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
        for i in range(len(groups)):
            for j in range(len(policies)):
                v = values[i, j]
                if v == v:  # not NaN
                    r, g, b, _ = image.cmap(image.norm(v))
                    dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                    ax.text(
                        j,
                        i,
                        fmt.format(v).replace(".", ","),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if dark else "black",
                    )
        ax.set_xticks(range(len(policies)))
        ax.set_xticklabels(policies, rotation=35, ha="right", fontsize=8)
        ax.set_title(title, fontsize=9)
        for y in range(1, len(groups)):
            if dims[groups[y]] != dims[groups[y - 1]]:
                ax.axhline(y - 0.5, color="0.3", linewidth=0.8)
        fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    axes[0].set_yticks(range(len(groups)))
    axes[0].set_yticklabels([labels[g] for g in groups], fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")


def bar_groups(summary: pd.DataFrame, path: Path, *, by: str = "policy") -> None:
    """Four panels, groups down the side, one colour per policy, 95 % CI whiskers
    (none with one seed); groups without households are left out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups, labels, dims = _present(summary)
    policies = list(dict.fromkeys(summary[by]))
    fig = Figure(figsize=(15, 0.3 * len(groups) + 1.6), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(PANELS), sharey=True)
    ys = list(range(len(groups)))
    height = 0.8 / max(1, len(policies))
    whiskers = bool((summary["n"] > 1).any())
    for ax, (measure, title, percent) in zip(axes, PANELS, strict=True):
        scale = 100.0 if percent else 1.0
        data = summary[summary["measure"] == measure]
        for k, policy in enumerate(policies):
            d = data[data[by] == policy].set_index("group").reindex(groups)
            if measure == "share_of_housed":  # 100 % by definition: not drawn
                d.loc[d.index == "all", ["mean", "ci_low", "ci_high"]] = None
            mean = d["mean"].astype(float) * scale
            offset = [y + (k - (len(policies) - 1) / 2) * height for y in ys]
            err = None
            if whiskers:
                low = (mean - d["ci_low"].astype(float) * scale).clip(lower=0).fillna(0)
                high = (d["ci_high"].astype(float) * scale - mean).clip(lower=0).fillna(0)
                err = [low.to_numpy(), high.to_numpy()]
            ax.barh(
                offset,
                mean.fillna(0).to_numpy(),
                height=height * 0.9,
                xerr=err,
                capsize=2 if whiskers else 0,
                color=f"C{k}",
                alpha=0.85,
                label=str(policy),
                error_kw={"linewidth": 0.8},
            )
        if measure == "share_of_housed":
            share = (
                summary[(summary["measure"] == "approval_share") & (summary[by] == policies[0])]
                .set_index("group")
                .reindex(groups)
            )
            share.loc[share.index == "all", "mean"] = None
            ax.errorbar(
                (share["mean"].astype(float) * scale).to_numpy(),
                ys,
                yerr=0.45,
                fmt="none",
                ecolor="#b00020",
                elinewidth=1.8,
                label="andel av vedtak",
            )
        ax.set_title(title, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
        for y in range(1, len(groups)):
            if dims[groups[y]] != dims[groups[y - 1]]:
                ax.axhline(y - 0.5, color="0.7", linewidth=0.6)
    axes[0].set_yticks(ys)
    axes[0].set_yticklabels([labels[g] for g in groups], fontsize=8)
    axes[0].invert_yaxis()
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, format="png")
