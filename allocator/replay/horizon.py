"""Look-ahead against the hindsight optimum: per KPI, each policy's value (mean and 95 %
interval over the seeds) and its share of the greedy → hindsight gap closed.

Why this measure: the manual-meeting baseline (greedy) and the offline optimum with the
whole year known (hindsight) bracket what a policy can do on the same events; "share of
the gap closed" = (greedy − policy) / (greedy − hindsight), per seed, then averaged, is
comparable across seeds and municipalities. Every KPI here is realised
(allocator.replay.realised): each household counted once, in days it really waited.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from jinja2 import Environment, PackageLoader, select_autoescape  # noqa: E402

from allocator.sweep.stats import t_interval  # noqa: E402

#: KPI -> bokmål label; lower is better for every one.
KPIS: dict[str, str] = {
    "realised_breached_temporary": "Barnefamilier over 3-månedersfristen",
    "realised_days_over_temporary": "Dager over 3-månedersfristen",
    "realised_breached": "Husstander over en frist (alle frister)",
    "realised_days_over": "Dager over en frist (alle frister)",
    "realised_wait_p50": "Ventetid til tildelt bolig, median (dager)",
    "realised_wait_p90": "Ventetid til tildelt bolig, 90-persentil (dager)",
    "realised_vacancy_days": "Tomgangsdager",
}
BASELINE, REFERENCE = "greedy", "hindsight"


def comparison(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (policy, KPI): the mean over the seeds with its 95 % interval, and the
    share of the greedy → hindsight gap closed, (mean greedy − mean policy) / (mean greedy
    − mean hindsight), with a 95 % bootstrap interval over the seeds (paired: one seed's
    three values are drawn together). No share where hindsight is not better than greedy
    (by MIN_GAP) on the KPI (vacancy days: the plan houses more, so its dwellings wait longer)."""
    rows = []
    if summary.empty or "policy" not in summary:
        return pd.DataFrame()
    summary = summary if "seed" in summary else summary.assign(seed=0)
    seeds = sorted(summary["seed"].unique())
    wide = {
        kpi: summary.pivot_table(index="seed", columns="policy", values=kpi, aggfunc="first")
        for kpi in KPIS
        if kpi in summary
    }
    rng = np.random.default_rng(0)
    draws = rng.integers(0, len(seeds), size=(2000, len(seeds)))
    for policy in dict.fromkeys(summary["policy"]):
        for kpi, label in KPIS.items():
            table = wide.get(kpi)
            if table is None or policy not in table:
                continue
            values = table[policy].dropna()
            if values.empty:
                continue
            value = t_interval(values.to_numpy(dtype=float))
            share = low = high = None
            if {BASELINE, REFERENCE} <= set(table.columns):
                paired = table[[BASELINE, REFERENCE, policy]].dropna().to_numpy(dtype=float)
                if len(paired):
                    share = _share(paired)
                    if share is not None and len(paired) > 1:
                        idx = draws[:, : len(paired)] % len(paired)
                        boot = [x for x in (_share(paired[i]) for i in idx) if x is not None]
                        if boot:
                            low, high = (float(q) for q in np.percentile(boot, [2.5, 97.5]))
            rows.append(
                {
                    "policy": policy,
                    "kpi": kpi,
                    "label": label,
                    "seeds": len(values),
                    "mean": value.mean,
                    "low": value.low,
                    "high": value.high,
                    "gap_closed": share,
                    "gap_low": low,
                    "gap_high": high,
                }
            )
    return pd.DataFrame(rows)


#: A gap below this share of the baseline is no gap: a share of it would be noise (the
#: median wait of greedy and hindsight differ by hours, not days).
MIN_GAP = 0.01


def _share(paired: np.ndarray) -> float | None:
    """(greedy − policy) / (greedy − hindsight) on the means; None without a gap (hindsight
    not better than greedy by at least MIN_GAP of greedy's value)."""
    base, ref, value = paired.mean(axis=0)
    gap = base - ref
    return None if gap <= MIN_GAP * abs(base) else float((base - value) / gap)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def plot(table: pd.DataFrame, path: Path) -> None:
    """Share of the greedy → hindsight gap closed, per KPI and policy, with intervals."""
    view = table.dropna(subset=["gap_closed"])
    view = view[~view["policy"].isin([BASELINE, REFERENCE])]
    policies = list(dict.fromkeys(view["policy"]))
    kpis = [k for k in KPIS if k in set(view["kpi"])]
    fig, ax = plt.subplots(figsize=(9, 0.55 * max(3, len(kpis)) + 1.2), dpi=110)
    height = 0.8 / max(1, len(policies))
    for i, policy in enumerate(policies):
        part = view[view["policy"] == policy].set_index("kpi")
        y = np.arange(len(kpis)) + i * height
        x = [part.loc[k, "gap_closed"] * 100 if k in part.index else np.nan for k in kpis]
        lo = [part.loc[k, "gap_low"] * 100 if k in part.index else np.nan for k in kpis]
        hi = [part.loc[k, "gap_high"] * 100 if k in part.index else np.nan for k in kpis]
        err = np.array(
            [
                [xv - lv if not math.isnan(lv) else 0 for xv, lv in zip(x, lo, strict=True)],
                [hv - xv if not math.isnan(hv) else 0 for xv, hv in zip(x, hi, strict=True)],
            ]
        )
        ax.barh(y, x, height=height, label=policy, xerr=err, capsize=2)
    ax.set_yticks(np.arange(len(kpis)) + height * (len(policies) - 1) / 2)
    ax.set_yticklabels([KPIS[k] for k in kpis], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="#444", lw=0.8)
    ax.axvline(100, color="#2a7", lw=0.8, ls="--")
    ax.set_xlabel("Andel av avstanden fra grådig til etterpåklok optimum som er tatt inn (%)")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def render_section(table: pd.DataFrame, image: bytes | None) -> str:
    """The report's section (bokmål): the table and the figure."""
    from allocator.replay.report import _fmt

    if table.empty:
        return ""
    env = Environment(
        loader=PackageLoader("allocator.replay", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    env.filters["fmt"] = _fmt
    policies = list(dict.fromkeys(table["policy"]))
    cells = {(r["policy"], r["kpi"]): r for r in table.to_dict("records")}
    kpis = [k for k in KPIS if any((p, k) in cells for p in policies)]
    return env.get_template("horizon.html.j2").render(
        policies=policies,
        kpis=kpis,
        labels=KPIS,
        cells=cells,
        has_gap=bool(table["gap_closed"].notna().any()),
        image=None if image is None else base64.b64encode(image).decode("ascii"),
    )
