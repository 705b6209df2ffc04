"""Policy sweeps: a grid of policies x seeds x scenarios, one replay per cell, on Dask.

``grid`` reads the YAML grid, ``cell`` runs one replay (what a worker executes),
``runner`` submits the cells (retry once, resume), ``store`` writes the Parquet dataset,
``stats`` and ``report`` compare every policy with the baseline (paired by seed), ``relax``
and ``transforms`` say how a rule family is switched off. See docs/sweep.md.
"""

from allocator.sweep.cell import Cell, CellResult, execute_cell
from allocator.sweep.grid import Grid, load_grid, price_of_rules_grid
from allocator.sweep.runner import SweepExists, SweepOutcome, client_for, make_client
from allocator.sweep.sweep import run_sweep

__all__ = [
    "Cell",
    "CellResult",
    "Grid",
    "SweepExists",
    "SweepOutcome",
    "client_for",
    "execute_cell",
    "load_grid",
    "make_client",
    "price_of_rules_grid",
    "run_sweep",
]
