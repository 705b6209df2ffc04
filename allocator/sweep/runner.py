"""Run a grid's cells on Dask distributed: submit, retry once, store, report failures.

Why by-hand retries instead of ``client.submit(..., retries=1)``: each attempt's error is
kept, so ``failures.json`` shows both tracebacks and the attempt count, and a cell that
failed once and then succeeded is still visible in ``sweep.json``. Results come back to
the driver, which writes every file: workers need no shared filesystem.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from allocator.sweep.cell import Cell, CellResult, execute_cell
from allocator.sweep.store import is_done, write_cell

MAX_ATTEMPTS = 2  # the first run and one retry

Task = Callable[[Cell], CellResult]


class SweepExists(Exception):
    """Some cells of this grid already have results and ``resume`` was not given."""

    def __init__(self, done: int, total: int, out: Path) -> None:
        self.done, self.total, self.out = done, total, out
        super().__init__(
            f"{done} of {total} cells already have results in {out}; "
            "pass --resume to skip them, or choose another --out"
        )


@dataclass
class Failure:
    cell: Cell
    errors: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {
            "cell_id": self.cell.id,
            **self.cell.columns(),
            "attempts": len(self.errors),
            "errors": self.errors,
            "traceback": self.tracebacks[-1:],
        }


@dataclass
class SweepOutcome:
    cells: list[Cell]
    done: list[str] = field(default_factory=list)  # run now
    skipped: list[str] = field(default_factory=list)  # already had results
    failures: list[Failure] = field(default_factory=list)
    retried: dict[str, int] = field(default_factory=dict)  # cell id -> attempts (> 1)
    timings: dict[str, float] = field(default_factory=dict)  # cell id -> worker wall s
    workers: dict[str, str] = field(default_factory=dict)  # cell id -> worker address
    cpu: dict[str, float] = field(default_factory=dict)  # cell id -> worker CPU s
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def make_client(scheduler: str | None = None, workers: int = 2) -> Any:
    """A client for ``scheduler`` (tcp://host:8786), or for a new LocalCluster: ``workers``
    processes of one thread each on loopback; scheduler and dashboard on free ports (no
    clash with another cluster on 8786/8787)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        host="127.0.0.1",
        silence_logs=logging.CRITICAL,
    )  # failures are reported by us
    return Client(cluster)


@contextlib.contextmanager
def client_for(scheduler: str | None, workers: int) -> Iterator[Any]:
    """``make_client`` that closes the client (and a cluster it started) afterwards."""
    client = make_client(scheduler, workers)
    try:
        yield client
    finally:
        cluster = None if scheduler else client.cluster
        client.close()
        if cluster is not None:
            cluster.close()


def pending(cells: list[Cell], out: Path, resume: bool) -> tuple[list[Cell], list[str]]:
    """(cells to run, ids of cells with results). Raises SweepExists without resume."""
    done = [c.id for c in cells if is_done(out, c.id)]
    if done and not resume:
        raise SweepExists(len(done), len(cells), out)
    finished = set(done)
    return [c for c in cells if c.id not in finished], done


def run_cells(
    cells: list[Cell],
    out: Path,
    *,
    client: Any = None,
    resume: bool = False,
    progress: bool = True,
    task: Task = execute_cell,
) -> SweepOutcome:
    """Every cell without a result; ``client`` None runs them here, one by one."""
    started = time.monotonic()
    todo, skipped = pending(cells, out, resume)
    outcome = SweepOutcome(cells, skipped=skipped)
    bar = tqdm(total=len(todo), desc="celler", unit="celle", disable=not progress or not todo)
    if client is None:
        _run_local(todo, out, task, outcome, bar)
    else:
        _run_dask(todo, out, task, outcome, bar, client)
    bar.close()
    outcome.wall_s = time.monotonic() - started
    return outcome


def _land(out: Path, result: CellResult, attempts: int, outcome: SweepOutcome) -> None:
    write_cell(out, result)
    outcome.done.append(result.cell_id)
    outcome.timings[result.cell_id] = round(result.wall_s, 3)
    outcome.workers[result.cell_id] = result.worker
    outcome.cpu[result.cell_id] = round(float(result.extra.get("cpu_s", 0.0)), 3)
    if attempts > 1:
        outcome.retried[result.cell_id] = attempts


def _run_local(todo: list[Cell], out: Path, task: Task, outcome: SweepOutcome, bar: tqdm) -> None:
    for cell in todo:
        failure = Failure(cell)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                result = task(cell)
            except Exception as error:  # a failed cell must not stop the sweep
                failure.errors.append(f"{type(error).__name__}: {error}")
                failure.tracebacks.append(traceback.format_exc())
                continue
            _land(out, result, attempt, outcome)
            break
        else:
            outcome.failures.append(failure)
        bar.update(1)


def _run_dask(
    todo: list[Cell], out: Path, task: Task, outcome: SweepOutcome, bar: tqdm, client: Any
) -> None:
    from distributed import as_completed

    by_key: dict[str, tuple[Cell, int]] = {}
    failures: dict[str, Failure] = {}

    def submit(cell: Cell, attempt: int) -> Any:
        key = f"cell-{cell.id}-{attempt}-{uuid.uuid4().hex[:8]}"
        future = client.submit(task, cell, key=key, pure=False)
        by_key[future.key] = (cell, attempt)
        return future

    queue = as_completed([submit(c, 1) for c in todo])
    for future in queue:
        cell, attempt = by_key.pop(future.key)
        if future.status == "finished":
            _land(out, future.result(), attempt, outcome)
            bar.update(1)
        else:
            failure = failures.setdefault(cell.id, Failure(cell))
            failure.errors.append(_error_text(future))
            failure.tracebacks.append(_traceback_text(future))
            if attempt < MAX_ATTEMPTS:
                queue.add(submit(cell, attempt + 1))
            else:
                outcome.failures.append(failure)
                bar.update(1)
        future.release()


def _error_text(future: Any) -> str:
    if future.status == "cancelled":
        return "CancelledError: the cluster cancelled the task (lost worker or scheduler?)"
    error = future.exception()
    return f"{type(error).__name__}: {error}"


def _traceback_text(future: Any) -> str:
    if future.status == "cancelled":
        return ""
    return "".join(traceback.format_tb(future.traceback()))
