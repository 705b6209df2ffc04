"""The tier-2 stage as a plain MIP, built from the Pairs arrays, for HiGHS.

Columns: one binary per candidate pair, then one binary `y` per exclusion scope (R6
separation) that has households of both kinds among its pairs. Rows, from the same rule
statements as the CP-SAT model (allocator.rules.ROUND_RULES):

- R1: at most one pair per household and per dwelling; pins fixed to 1 (column bounds);
- every capacity rule (R5 building cap, district quota, school-zone quota): Σ counted
  pairs <= headroom per group, where it can bind;
- every exclusion rule: x_first <= y and x_second <= 1 - y per mixed scope;
- tier 1 held: every component before `objective` no worse than CP-SAT's value.

Objective: maximise the `objective` component (housing points). Only numpy is needed to
read the saved arrays, so the HiGHS child never imports ortools.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from allocator.lp_bound import capacity_rows, exclusion_scopes, round_rows
from allocator.model import AllocationModel


@dataclass(frozen=True)
class Mip:
    """max cost·x s.t. row_lower <= A x <= row_upper, col_lower <= x <= col_upper, x binary;
    A in CSR form (starts, index, value)."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    index: np.ndarray
    value: np.ndarray
    n_pairs: int

    @property
    def rows(self) -> int:
        return len(self.row_lower)

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = {k: np.asarray(v) for k, v in asdict(self).items()}
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: Path) -> Mip:
        with np.load(path) as f:
            arrays: dict[str, Any] = {k: f[k] for k in f.files}
        arrays["n_pairs"] = int(arrays["n_pairs"])
        return cls(**arrays)


#: (first-kind pairs, second-kind pairs) per mixed exclusion scope, in column order.
scopes = exclusion_scopes
#: (pairs, bound) of every capacity that can bind.
capacities = capacity_rows


def build(
    model: AllocationModel,
    held: dict[str, int],
    objective: str = "priority_waiting",
) -> Mip:
    """The stage of `objective` with the components before it held at `held` values."""
    pairs = model.pairs
    n = len(pairs)
    rows, mixed = round_rows(model)
    names = [c.name for c in model.components]
    if objective not in names:
        raise ValueError(f"no component {objective!r} in the model ({names})")
    target = model.components[names.index(objective)]
    for c in model.components[: names.index(objective)]:
        if c.name not in held or not np.any(c.weights):
            continue
        nz = np.flatnonzero(c.weights)
        limit = float(held[c.name] - c.constant)
        lower, upper = (-np.inf, limit) if c.sense == "min" else (limit, np.inf)
        rows.add(nz, c.weights[nz].astype(np.float64), lower, upper)
    cols = n + len(mixed)
    A = rows.csr(cols)
    col_lower = np.zeros(cols)
    col_lower[pairs.pinned_pairs()] = 1.0
    cost = np.zeros(cols)
    cost[:n] = target.gain
    return Mip(
        cost=cost,
        col_lower=col_lower,
        col_upper=np.ones(cols),
        row_lower=np.array(rows.lower),
        row_upper=np.array(rows.upper),
        starts=A.indptr.astype(np.int32),
        index=A.indices.astype(np.int32),
        value=A.data.astype(np.float64),
        n_pairs=n,
    )


def complete(model: AllocationModel, mip: Mip, chosen: np.ndarray) -> np.ndarray:
    """A full MIP column vector for a proposal: y true where an active user moves in."""
    x = np.zeros(len(mip.cost))
    x[: mip.n_pairs] = chosen
    for s, (active, _) in enumerate(scopes(model)):
        x[mip.n_pairs + s] = float(chosen[active].any())
    return x


def violated_rows(mip: Mip, x: np.ndarray, tol: float = 1e-6) -> int:
    """Rows and column bounds that `x` breaks (0 for CP-SAT's proposal, or the MIP is not
    the same model)."""
    activity = (
        np.add.reduceat(mip.value * x[mip.index], mip.starts[:-1])
        if len(mip.index)
        else np.zeros(mip.rows)
    )
    empty = mip.starts[:-1] == mip.starts[1:]
    activity[empty] = 0.0
    rows = int(((activity < mip.row_lower - tol) | (activity > mip.row_upper + tol)).sum())
    cols = int(((x < mip.col_lower - tol) | (x > mip.col_upper + tol)).sum())
    return rows + cols
