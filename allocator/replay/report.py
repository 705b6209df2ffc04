"""Write a replay's outputs: KPI tables (Parquet + CSV), one PNG per KPI, an HTML report.

Why these formats: analysts load Parquet into pandas/R/Excel-with-Power-Query with types
intact, CSV opens anywhere, the PNGs go into slides, and the HTML report (bokmål, plots
embedded) can be mailed as one file.

A replay over several seeds (``--seeds N``) is a list of results, one per seed: the tables
hold every seed's rows (a ``seed`` column), the report shows means over the seeds, and the
outcomes by group (``fairness.csv``) get 95 % confidence intervals over them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from allocator import glossary
from allocator.fairness.outcomes import summarize
from allocator.fairness.report import plot_groups, render_section
from allocator.io.write import write_json_atomic, write_text_atomic
from allocator.replay import horizon
from allocator.replay.fairness import replay_groups
from allocator.replay.kpis import KPI_LABELS, SUMMARY_LABELS
from allocator.replay.municipality import calibration_rows
from allocator.replay.runner import ReplayResult
from allocator.solve import versions

PLOT_KPIS = list(KPI_LABELS)

Results = ReplayResult | Sequence[ReplayResult]


def seeds_of(results: Results) -> list[ReplayResult]:
    """The results one per seed, first seed first."""
    return [results] if isinstance(results, ReplayResult) else list(results)


def _with_seed(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Each row with its seed after the policy and method columns."""
    out = []
    for row in rows:
        keys = list(row)
        at = keys.index("method") + 1 if "method" in keys else 0
        out.append({k: row[k] for k in keys[:at]} | {"seed": seed} | {k: row[k] for k in keys[at:]})
    return out


def frames(results: Results) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-week KPIs, one summary row per policy), every seed's rows."""
    runs = seeds_of(results)
    kpis = pd.DataFrame([r for x in runs for r in _with_seed(x.kpis(), x.settings.seed)])
    if not kpis.empty:
        kpis["as_of"] = pd.to_datetime(kpis["as_of"])
    summary = pd.DataFrame([r for x in runs for r in _with_seed(x.summary(), x.settings.seed)])
    return kpis, summary


def mean_over_seeds(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per policy: the mean of each number over the seeds (one seed: as is)."""
    if summary.empty or summary["seed"].nunique() < 2:
        return summary.drop(columns=["seed"], errors="ignore")
    numbers = summary.drop(columns=["seed"]).select_dtypes("number").columns
    grouped = summary.groupby(["policy", "method"], sort=False)
    return grouped[list(numbers)].mean().round(4).reset_index()


def fairness_frames(results: Results) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(outcomes by group: one row per seed, policy and group; their mean and 95 % CI
    over the seeds: one row per policy, group and measure)."""
    rows = []
    for x in seeds_of(results):
        groups = replay_groups(x.municipality)
        for run in x.runs:
            rows += _with_seed(run.group_rows(groups), x.settings.seed)
    table = pd.DataFrame(rows)
    return table, summarize(table, by=("policy",))


def calibration(result: ReplayResult, kpis: pd.DataFrame) -> list[dict[str, Any]]:
    """Published figures against the generated municipality and the replayed flow."""
    m = result.municipality
    if m.origin != "generated":
        return []
    rows = calibration_rows(m)
    p = m.config.published
    flow = kpis[kpis["week"] > 0] if not kpis.empty else kpis
    if flow.empty:
        return rows
    low, high = p.applications_per_month
    arrivals = flow.groupby("policy")["arrivals"].mean().iloc[0]
    rows.append(
        {
            "figure": "Nye vedtak per uke",
            "published": f"{low * 12 / 52 * p.grant_share:.1f}–"
            f"{high * 12 / 52 * p.grant_share:.1f} "
            f"({low}–{high} søknader/mnd, ca. halvparten innvilget)",
            "generated": f"{arrivals:.1f}",
        }
    )
    for policy, g in kpis.groupby("policy", sort=False):
        rows.append(
            {
                "figure": f"Ventende husstander ({policy})",
                "published": "{}–{}".format(*p.waiting),
                "generated": f"{g['waiting'].min()}–{g['waiting'].max()} "
                f"(snitt {g['waiting'].mean():.0f})",
            }
        )
        rows.append(
            {
                "figure": f"Ledige boliger på listen per uke ({policy})",
                "published": "{:g}–{:g}".format(*p.vacancies_per_week),
                "generated": f"snitt {g['vacancies'].mean():.1f} (nye oppsigelser "
                f"{g['moved_out'][g['week'] > 0].mean():.1f})",
            }
        )
    return rows


def plot_kpi(kpis: pd.DataFrame, kpi: str, path: Path) -> None:
    """One KPI over the weeks, one line per policy (Agg canvas; no pyplot state); with
    several seeds, the mean over them per week."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 3.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if "seed" in kpis and kpis["seed"].nunique() > 1:
        kpis = kpis.groupby(["policy", "week"], sort=False)[kpi].mean().reset_index()
    for policy, g in kpis.groupby("policy", sort=False):
        ax.plot(
            g["week"],
            g[kpi].astype(float),
            marker="o",
            markersize=2.5,
            linewidth=1.4,
            label=str(policy),
        )
    label, _ = KPI_LABELS[kpi]
    ax.set_title(label, fontsize=11)
    ax.set_xlabel("Uke")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, format="png")


def write_outputs(results: Results, out: Path) -> dict[str, Path]:
    """Every output file under ``out``; returns them by name."""
    out = Path(out)
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    runs = seeds_of(results)
    result = runs[0]
    kpis, summary = frames(runs)
    paths = {
        "kpis.parquet": out / "kpis.parquet",
        "kpis.csv": out / "kpis.csv",
        "summary.parquet": out / "summary.parquet",
        "summary.csv": out / "summary.csv",
        "fairness.csv": out / "fairness.csv",
        "fairness_summary.csv": out / "fairness_summary.csv",
        "report.html": out / "report.html",
        "run.json": out / "run.json",
    }
    kpis.to_parquet(paths["kpis.parquet"], index=False)
    write_text_atomic(paths["kpis.csv"], kpis.to_csv(index=False))
    summary.to_parquet(paths["summary.parquet"], index=False)
    write_text_atomic(paths["summary.csv"], summary.to_csv(index=False))
    images: dict[str, str] = {}
    for kpi in PLOT_KPIS:
        if kpis.empty or kpi not in kpis:
            continue
        png = plots / f"{kpi}.png"
        plot_kpi(kpis, kpi, png)
        paths[f"plots/{kpi}.png"] = png
        images[kpi] = base64.b64encode(png.read_bytes()).decode("ascii")
    first = kpis[kpis["seed"] == result.settings.seed] if not kpis.empty else kpis
    cal = calibration(result, first)
    if cal:
        paths["calibration.csv"] = out / "calibration.csv"
        write_text_atomic(paths["calibration.csv"], pd.DataFrame(cal).to_csv(index=False))
    groups, group_summary = fairness_frames(runs)
    write_text_atomic(paths["fairness.csv"], groups.to_csv(index=False))
    write_text_atomic(paths["fairness_summary.csv"], group_summary.to_csv(index=False))
    fairness_image = None
    if not group_summary.empty:
        png = plots / "fairness.png"
        plot_groups(group_summary, png)
        paths["plots/fairness.png"] = png
        fairness_image = base64.b64encode(png.read_bytes()).decode("ascii")
    fairness_html = render_section(group_summary, image=fairness_image)
    horizon_table = horizon.comparison(summary)
    horizon_html = ""
    if not horizon_table.empty:
        paths["horizon.csv"] = out / "horizon.csv"
        write_text_atomic(paths["horizon.csv"], horizon_table.to_csv(index=False))
        image = None
        if horizon_table["gap_closed"].notna().any():
            png = plots / "horizon.png"
            horizon.plot(horizon_table, png)
            paths["plots/horizon.png"] = png
            image = png.read_bytes()
        horizon_html = horizon.render_section(horizon_table, image)
    write_text_atomic(
        paths["report.html"],
        render_html(runs, mean_over_seeds(summary), images, cal, fairness_html, horizon_html),
    )
    write_json_atomic(paths["run.json"], run_info(runs))
    return paths


def run_info(results: Results) -> dict[str, Any]:
    runs = seeds_of(results)
    result = runs[0]
    s, m = result.settings, result.municipality
    walls: dict[str, float] = {}
    for x in runs:
        for r in x.runs:
            walls[r.spec.name] = walls.get(r.spec.name, 0.0) + r.wall_s
    return {
        "municipality": m.config.name if m.origin == "generated" else m.origin,
        "synthetic": m.config.synthetic if m.origin == "generated" else None,
        "start": m.start.isoformat(),
        "weeks": s.weeks,
        "seed": s.seed,
        "seeds": [x.settings.seed for x in runs],
        "time_limit_s_per_round": s.time_limit_s,
        "workers": s.workers,
        "policies": [
            {
                "name": r.spec.name,
                "method": r.spec.method,
                "source": r.spec.source,
                "wall_s": round(walls[r.spec.name], 2),
            }
            for r in result.runs
        ],
        "versions": versions(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _fmt(value: Any) -> str:
    """Numbers for people: indices with three decimals, counts whole, the rest one."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        if value.is_integer():
            return f"{value:.0f}"
        if abs(value) < 1:
            return f"{value:.3f}".replace(".", ",")
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def render_html(
    results: Results,
    summary: pd.DataFrame,
    images: dict[str, str],
    cal: list[dict[str, Any]],
    fairness_html: str = "",
    horizon_html: str = "",
) -> str:
    """The report; ``summary`` has one row per policy (means over the seeds)."""
    env = Environment(
        loader=PackageLoader("allocator.replay", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    env.filters["fmt"] = _fmt
    env.filters["day"] = glossary.day
    env.filters["when"] = glossary.moment
    runs = seeds_of(results)
    rows = summary.to_dict("records")
    table = [
        (SUMMARY_LABELS.get(col, col), [r[col] for r in rows])
        for col in summary.columns
        if col not in ("policy",)
    ]
    m = runs[0].municipality
    info = run_info(runs)
    return env.get_template("replay.html.j2").render(
        info=info,
        policies=[r["policy"] for r in rows],
        table=table,
        images=[(k, KPI_LABELS[k][0], KPI_LABELS[k][1], v) for k, v in images.items()],
        calibration=cal,
        municipality=m,
        buildings=len(m.buildings),
        dwellings=len(m.dwellings),
        fairness=fairness_html,
        seeds=info["seeds"],
        horizon=horizon_html,
        run_json=json.dumps(info, indent=1, ensure_ascii=False),
    )


def summary_lines(results: Results) -> list[str]:
    """The summary table as plain text (the CLI prints it at the end; means over seeds)."""
    _, summary = frames(results)
    summary = mean_over_seeds(summary)
    cols = [
        "policy",
        "housed",
        "waiting_mean",
        "waiting_max",
        "wait_p50",
        "wait_p90",
        "breaches",
        "families_breached",
        "days_over",
        "dissimilarity_end",
        "vacancy_days",
        "declines",
        "violations",
        "unequal_pairs",
        "tenants_moved",
        "overcrowded_resolved",
        "housed_through_chains",
        "wall_s",
    ]
    view = summary[[c for c in cols if c in summary]]
    return view.to_string(
        index=False, float_format=lambda v: f"{v:.3g}" if abs(v) < 1 else f"{v:.1f}"
    ).splitlines()
