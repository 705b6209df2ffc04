"""Outcomes by group over many rounds: who is housed, how long they wait, where they land.

Why per household first: every measure is a statistic of one record per household that
was on the list (``HouseholdOutcome``), so the replay, the sweep and a future group
constraint (issue 19 item 3: "median wait of refugees vs others within N days") compute a
measure the same way from the same records, and a group's measure can always be set
against its share of approvals ("andel av vedtak"): a group that holds 20 % of the
approvals and 10 % of those housed is housed at half its share.

Offer quality is measured on the households housed in a permanent dwelling (where they
ended up): the wish met and its rank, spare bedrooms, and the living-condition burden of
the district placed in. Declines are counted over every offer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from allocator.fairness.groups import Group
from models.scenario import Household


@dataclass
class HouseholdOutcome:
    """One household's path through a replay (or any run of rounds)."""

    household: Household  # as first seen on the list: its record at approval
    origin: str | None = None  # district it lives in now, where known
    offers: int = 0
    declines: int = 0
    housed: bool = False  # accepted a permanent (not temporary) dwelling
    wait_days: int | None = None  # approval to move-in, when housed
    wish_rank: int | None = None  # 1 = first wish; len(wishes) + 1 outside; None: no wishes
    spare_bedrooms: int | None = None
    burden: float | None = None  # burden index of the district housed in
    breach_rounds: int = 0  # rounds in which it was listed as a deadline breach
    days_over: int = 0  # the most days over a deadline clock reported for it

    @property
    def wish_met(self) -> bool | None:
        if self.wish_rank is None:
            return None
        return self.wish_rank <= len(self.household.preferred_districts)


@dataclass(frozen=True)
class Measure:
    """A statistic of a group's outcomes (``members``) given everyone's (``everyone``)."""

    key: str
    label: str  # bokmål
    digits: int  # decimals in reports
    kind: str  # "count", "share" (0-1, shown as %), "days", "mean", "ratio"
    compute: Callable[[list[HouseholdOutcome], list[HouseholdOutcome]], float | None]
    top: float = math.inf  # the largest value the measure can take (shares: 1)

    @property
    def ceiling(self) -> float:
        return 1.0 if self.kind == "share" else self.top


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _housed(xs: Sequence[HouseholdOutcome]) -> list[HouseholdOutcome]:
    return [x for x in xs if x.housed]


def _percentile(
    q: float,
) -> Callable[[list[HouseholdOutcome], list[HouseholdOutcome]], float | None]:
    def compute(members: list[HouseholdOutcome], _: list[HouseholdOutcome]) -> float | None:
        waits = [x.wait_days for x in members if x.wait_days is not None]
        return round(float(np.percentile(waits, q)), 1) if waits else None

    return compute


def _mean(values: Sequence[float | int | None]) -> float | None:
    xs = [float(v) for v in values if v is not None]
    return round(float(np.mean(xs)), 4) if xs else None


def _ratio(members: list[HouseholdOutcome], everyone: list[HouseholdOutcome]) -> float | None:
    """Share of those housed against share of approvals (1 = housed at its share)."""
    approvals = _share(len(members), len(everyone))
    housed = _share(len(_housed(members)), len(_housed(everyone)))
    if not approvals or housed is None:
        return None
    return round(housed / approvals, 4)


MEASURES: tuple[Measure, ...] = (
    Measure("approvals", "Husstander på listen (vedtak)", 0, "count", lambda m, e: len(m)),
    Measure(
        "approval_share", "Andel av vedtakene", 1, "share", lambda m, e: _share(len(m), len(e))
    ),
    Measure("housed", "Tildelt varig bolig", 0, "count", lambda m, e: len(_housed(m))),
    Measure(
        "housed_share",
        "Andel av gruppen med tildelt bolig",
        1,
        "share",
        lambda m, e: _share(len(_housed(m)), len(m)),
    ),
    Measure(
        "share_of_housed",
        "Andel av alle tildelinger",
        1,
        "share",
        lambda m, e: _share(len(_housed(m)), len(_housed(e))),
    ),
    Measure("housed_vs_approvals", "Tildelinger mot vedtak (1 = sin andel)", 2, "ratio", _ratio),
    Measure("wait_p50", "Ventetid til tildelt bolig, median (dager)", 0, "days", _percentile(50)),
    Measure(
        "wait_p90", "Ventetid til tildelt bolig, 90-persentil (dager)", 0, "days", _percentile(90)
    ),
    Measure(
        "breached",
        "Husstander over en tidsfrist",
        0,
        "count",
        lambda m, e: sum(1 for x in m if x.breach_rounds),
    ),
    Measure(
        "breached_share",
        "Andel over en tidsfrist",
        1,
        "share",
        lambda m, e: _share(sum(1 for x in m if x.breach_rounds), len(m)),
    ),
    Measure(
        "days_over", "Dager over tidsfrister", 0, "count", lambda m, e: sum(x.days_over for x in m)
    ),
    Measure(
        "wish_met_share",
        "Tildelt bolig i ønsket bydel (av dem med ønsker)",
        1,
        "share",
        lambda m, e: _mean([x.wish_met for x in _housed(m) if x.wish_met is not None]),
    ),
    Measure(
        "wish_rank_mean",
        "Ønske nr., snitt (utenfor = antall ønsker + 1)",
        2,
        "mean",
        lambda m, e: _mean([x.wish_rank for x in _housed(m)]),
    ),
    Measure(
        "spare_bedrooms_mean",
        "Ekstra soverom, snitt",
        2,
        "mean",
        lambda m, e: _mean([x.spare_bedrooms for x in _housed(m)]),
    ),
    Measure(
        "burden_mean",
        "Belastning i bydelen boligen ligger i, snitt (0–1)",
        3,
        "mean",
        lambda m, e: _mean([x.burden for x in _housed(m)]),
        top=1.0,
    ),
    Measure("offers", "Tilbud", 0, "count", lambda m, e: sum(x.offers for x in m)),
    Measure(
        "decline_share",
        "Andel tilbud avslått",
        1,
        "share",
        lambda m, e: _share(sum(x.declines for x in m), sum(x.offers for x in m)),
    ),
)

MEASURE_BY_KEY: dict[str, Measure] = {m.key: m for m in MEASURES}
#: Columns of the group tables by type (fixed Parquet schema in the sweep's dataset).
COUNT_COLUMNS = frozenset(m.key for m in MEASURES if m.kind == "count")
FLOAT_COLUMNS = frozenset(m.key for m in MEASURES if m.kind != "count")
KEY_COLUMNS = ("group", "dimension", "label")


def group_rows(
    outcomes: Sequence[HouseholdOutcome], groups: Sequence[Group]
) -> list[dict[str, Any]]:
    """One row per group: its key, dimension and label, then every measure."""
    everyone = list(outcomes)
    rows = []
    for g in groups:
        members = [x for x in everyone if g.has(x.household, x.origin)]
        row: dict[str, Any] = {"group": g.key, "dimension": g.dimension, "label": g.label}
        for m in MEASURES:
            value = m.compute(members, everyone)
            row[m.key] = int(value) if m.kind == "count" and value is not None else value
        rows.append(row)
    return rows


def summarize(
    rows: pd.DataFrame, by: Sequence[str] = ("policy",), level: float = 0.95
) -> pd.DataFrame:
    """Mean and t-interval over seeds of every measure, per ``by`` and group (long format:
    one row per measure; the interval of allocator.sweep.stats.t_interval, cut to the
    measure's range: >= 0, shares and the burden index <= 1). ``rows`` holds one row per
    seed, ``by`` and group. With one seed the bounds are missing."""
    keys = [*by, *KEY_COLUMNS]
    columns = [*keys, "measure", "n", "mean", "ci_low", "ci_high"]
    measures = [m.key for m in MEASURES if m.key in rows]
    if rows.empty or not measures:
        return pd.DataFrame(columns=columns)
    values = rows[keys].copy()
    values[measures] = rows[measures].apply(pd.to_numeric, errors="coerce").astype(float)
    long = values.melt(id_vars=keys, value_vars=measures, var_name="measure")
    stats = long.groupby([*keys, "measure"], sort=False)["value"].agg(["count", "mean", "std"])
    stats = stats.reset_index().rename(columns={"count": "n"})
    half = pd.Series(np.nan, index=stats.index)
    several = stats["n"] >= 2
    if several.any():
        from scipy.stats import t

        n = stats.loc[several, "n"].astype(float)
        half[several] = t.ppf(0.5 + level / 2, n - 1) * stats.loc[several, "std"] / np.sqrt(n)
    stats["mean"] = stats["mean"].where(stats["n"] > 0)
    # Every measure is >= 0 and some have a ceiling (shares, the burden index <= 1): the
    # interval is cut to what can occur.
    top = stats["measure"].map(lambda k: MEASURE_BY_KEY[k].ceiling)
    stats["ci_low"] = (stats["mean"] - half).clip(lower=0)
    stats["ci_high"] = np.minimum(stats["mean"] + half, top)
    order = {m: k for k, m in enumerate(measures)}
    stats = stats.sort_values("measure", key=lambda c: c.map(order), kind="stable")
    first = {g: k for k, g in enumerate(dict.fromkeys(rows["group"]))}
    stats = stats.sort_values("group", key=lambda c: c.map(first), kind="stable")
    stats = stats.sort_values(
        list(by), key=lambda c: c.map({v: k for k, v in enumerate(dict.fromkeys(c))}), kind="stable"
    )
    return stats[columns].reset_index(drop=True)
