"""Paired differences against the baseline, with t-based 95 % confidence intervals.

Why paired: every policy of a seed faces the same arrivals, notices and declines (common
random numbers), so ``KPI(policy, seed) - KPI(baseline, seed)`` removes the seed's luck and
the interval over seeds is much narrower than comparing two unpaired means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: KPI column -> (bokmål label, decimals shown). Report order.
KPIS: dict[str, tuple[str, int]] = {
    "housed": ("Tildelt varig bolig", 1),
    "wait_mean": ("Ventetid for dem som fikk bolig, snitt (dager)", 1),
    "breaches": ("Brudd på 3-månedersfristen (familie-uker)", 1),
    "families_breached": ("Familier over 3-månedersfristen", 1),
    "dissimilarity_end": ("Segregeringsindeks (Duncan) ved slutt", 4),
    "vacancy_days": ("Tomgangsdager", 0),
}


@dataclass(frozen=True)
class Interval:
    n: int
    mean: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def t_interval(values: np.ndarray | list[float], level: float = 0.95) -> Interval:
    """Mean ± t(level, n-1) · s/√n; NaN bounds for fewer than two values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Interval(0, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n < 2:
        return Interval(n, mean, math.nan, math.nan)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Interval(n, mean, mean - half, mean + half)


def compare(cells: pd.DataFrame, baseline: str, kpis: list[str] | None = None) -> pd.DataFrame:
    """One row per (scenario, policy, KPI): baseline mean, policy mean, paired difference
    (policy - baseline) with its 95 % CI, over the seeds both have."""
    kpis = kpis or list(KPIS)
    rows = []
    if cells.empty:
        return pd.DataFrame()
    for scenario, g in cells.groupby("scenario", sort=False):
        base = g[g["policy"] == baseline].set_index("seed")
        for policy, p in g.groupby("policy", sort=False):
            p = p.set_index("seed")
            seeds = sorted(set(base.index) & set(p.index))
            for kpi in kpis:
                if kpi not in p.columns:
                    continue
                b = base.loc[seeds, kpi].astype(float).to_numpy()
                v = p.loc[seeds, kpi].astype(float).to_numpy()
                d = t_interval(v - b)
                rows.append(
                    {
                        "scenario": scenario,
                        "policy": policy,
                        "relaxed": str(p["relaxed"].iloc[0]) if "relaxed" in p else "",
                        "kpi": kpi,
                        "n": d.n,
                        "baseline_mean": _mean(b),
                        "policy_mean": _mean(v),
                        "diff_mean": d.mean,
                        "ci_low": d.low,
                        "ci_high": d.high,
                        "half_width": d.half_width,
                    }
                )
    return pd.DataFrame(rows)


def _mean(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else math.nan
