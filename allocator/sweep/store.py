"""The sweep's Parquet dataset: one file per cell, written atomically.

Layout under the output folder::

    cells/<cell_id>.parquet   one row: the cell's keys and its whole-run KPIs
    weeks/<cell_id>.parquet   one row per week: the replay's per-week KPIs
    groups/<cell_id>.parquet  one row per group: outcomes by group (allocator.fairness)

A cell is done when ``cells/<cell_id>.parquet`` exists; it is written last (after the
weekly file), each through a temporary file and a rename, so a crash never leaves a
half-written file that a resumed sweep would take for a result. Column types are fixed
(counts int64, rates float64), so every file has the same schema and DuckDB or pandas can
read the whole folder as one table.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from allocator.fairness.outcomes import COUNT_COLUMNS, FLOAT_COLUMNS
from allocator.io.write import write_bytes_atomic
from allocator.sweep.cell import CellResult

CELLS = "cells"
WEEKS = "weeks"
GROUPS = "groups"

_FLOATS = {
    "wait_p50",
    "wait_p90",
    "wait_mean",
    "dissimilarity",
    "dissimilarity_end",
    "dissimilarity_mean",
    "waiting_mean",
    "vacancies_mean",
    "solve_s",
    "wall_s",
    *FLOAT_COLUMNS,
}
_INTS = {
    "seed",
    "weeks",
    "week",
    "waiting",
    "waiting_end",
    "waiting_min",
    "waiting_max",
    "vacancies",
    "arrivals",
    "moved_out",
    "withdrawn",
    "entered_temporary",
    "offers",
    "accepted",
    "housed",
    "to_temporary",
    "declines",
    "lapsed",
    "empty",
    "families_in_temporary",
    "due_families",
    "due_housed",
    "breaches",
    "days_over",
    "families_breached",
    "vacancy_days",
    "violations",
    "equal_pairs",
    "unequal_pairs",
    "group_share_reserved",
    "group_share_placed",
    "group_share_binding",
    *COUNT_COLUMNS,
}
_STRINGS = {
    "cell_id",
    "scenario",
    "policy",
    "relaxed",
    "transforms",
    "method",
    "status",
    "violation_rules",
    "group",
    "dimension",
    "label",
}


def cell_path(out: Path, cell_id: str, table: str = CELLS) -> Path:
    return Path(out) / table / f"{cell_id}.parquet"


def is_done(out: Path, cell_id: str) -> bool:
    return cell_path(out, cell_id).is_file()


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Fixed column types (an all-missing column would otherwise be typed 'null')."""
    df = df.copy()
    for col in df.columns:
        if col in _FLOATS:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        elif col in _INTS:
            df[col] = df[col].astype("int64")
        elif col in _STRINGS:
            df[col] = df[col].astype("string")
        elif col == "as_of":
            df[col] = pd.to_datetime(df[col]).astype("datetime64[ms]")
    return df


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    typed(df).to_parquet(buffer, index=False)
    return buffer.getvalue()


def write_cell(out: Path, result: CellResult) -> None:
    """The weekly rows and the group rows, then the summary row (its file marks the cell
    as done)."""
    write_bytes_atomic(
        cell_path(out, result.cell_id, WEEKS), _parquet_bytes(pd.DataFrame(result.weeks))
    )
    if result.groups:
        write_bytes_atomic(
            cell_path(out, result.cell_id, GROUPS), _parquet_bytes(pd.DataFrame(result.groups))
        )
    write_bytes_atomic(
        cell_path(out, result.cell_id, CELLS), _parquet_bytes(pd.DataFrame([result.summary]))
    )


def read_table(out: Path, cell_ids: list[str], table: str = CELLS) -> pd.DataFrame:
    """The given cells' rows of one table (in the order of ``cell_ids``)."""
    frames = [
        pd.read_parquet(cell_path(out, c, table))
        for c in cell_ids
        if cell_path(out, c, table).is_file()
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
