"""Instrument one `propose()` call without touching the solver modules.

Inside `traced()`, the names `allocator.solve` looks up at call time are wrapped:
`build_round_data`, `model_pairs` (candidate pairs and, for whole-stock rounds, the
selection; records how many were kept), `AllocationModel` (a subclass that remembers which
stage each solve optimises: it wraps whichever of `maximise` / `objective` the model has),
`optimise` and `solve_tiers` (entered on the whole round's model = the first complete
proposal, its hint, exists), `_proven_by_lp` (when a stage LP proves a tier without a
CP-SAT stage), plus timers on `relaxation`, `warm_start` and
`assignment_bound` when present. `CpSolver.solve` (which `Solve` calls) gets a solution
callback recording (time, objective, bound) of every solution. Only the benchmark child
process does this; the overhead is a Python call per solution.

All times are `time.monotonic()` values; the report subtracts the propose() start.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

import allocator.solve as solve_module
from allocator.model import AllocationModel
from allocator.objective import Stage

#: Steps of propose() timed when allocator.solve has them.
OPTIONAL = ("relaxation", "warm_start", "assignment_bound")
#: AllocationModel methods that set a stage's objective (the first Stage argument counts).
STAGE_SETTERS = ("maximise", "objective")


@dataclass
class SolveRecord:
    """One CP-SAT solve: which model and stage, when, and every solution found."""

    model: int  # index into Trace.models
    stage: Stage | None
    start: float
    end: float = 0.0
    status: str = ""
    solutions: list[tuple[float, float, float]] = field(default_factory=list)  # t, obj, bound


@dataclass
class Trace:
    """What one traced propose() did, with monotonic timestamps."""

    spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    models: list[AllocationModel] = field(default_factory=list)
    solves: list[SolveRecord] = field(default_factory=list)
    #: (time, model index, hinted) per solve_tiers call
    solve_calls: list[tuple[float, int, bool]] = field(default_factory=list)
    lex: Any = None  # the LexResult optimise() returned
    sparsified: tuple[int, int] | None = None  # pairs in, pairs kept (whole-stock rounds)
    #: (time, components) each time a stage LP proved components without a CP-SAT stage
    lp_proofs: list[tuple[float, list[str]]] = field(default_factory=list)

    @property
    def main(self) -> AllocationModel | None:
        """The whole round's model (propose builds it first)."""
        return self.models[0] if self.models else None


class _Recorder(cp_model.CpSolverSolutionCallback):
    def __init__(self, record: SolveRecord):
        super().__init__()
        self.record = record

    def on_solution_callback(self) -> None:
        self.record.solutions.append(
            (time.monotonic(), self.ObjectiveValue(), self.BestObjectiveBound())
        )


def _timed(trace: Trace, name: str, fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.monotonic()
        out = fn(*args, **kwargs)
        first = trace.spans.get(name)
        trace.spans[name] = (first[0] if first else start, time.monotonic())
        return out

    return wrapper


@contextmanager
def traced() -> Iterator[Trace]:
    """Patch allocator.solve and CpSolver.solve for the duration; yields the Trace."""
    trace = Trace()
    by_cp: dict[int, int] = {}
    saved = {
        name: getattr(solve_module, name)
        for name in (
            "build_round_data",
            "model_pairs",
            "AllocationModel",
            "optimise",
            "solve_tiers",
            "_proven_by_lp",
            *OPTIONAL,
        )
        if hasattr(solve_module, name)
    }
    original_solve = cp_model.CpSolver.solve

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        start = time.monotonic()
        AllocationModel.__init__(self, *args, **kwargs)
        if not trace.models:
            trace.spans["model"] = (start, time.monotonic())
        trace.models.append(self)

    def build(self: Any) -> None:
        # The CP-SAT part is built on first use (never, when the relaxation proves all).
        start = time.monotonic()
        AllocationModel._build(self)
        if self is trace.models[0]:
            trace.spans["cp_model"] = (start, time.monotonic())
        by_cp[id(self._cp)] = next(i for i, m in enumerate(trace.models) if m is self)

    def setter(name: str) -> Any:
        base = getattr(AllocationModel, name)

        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            stage = next((a for a in args if isinstance(a, Stage)), None)
            if stage is not None:
                self.current = stage
            return base(self, *args, **kwargs)

        return method

    methods = {n: setter(n) for n in STAGE_SETTERS if hasattr(AllocationModel, n)}
    if not methods:
        raise RuntimeError(
            f"AllocationModel has none of {STAGE_SETTERS}; update benchmarks/trace.py"
        )
    traced_model = type(
        "TracedModel",
        (AllocationModel,),
        {"__init__": init, "_build": build, "current": None, **methods},
    )

    def solve(
        self: cp_model.CpSolver, model: cp_model.CpModel, solution_callback: Any = None
    ) -> Any:
        index = by_cp.get(id(model))
        if index is None or solution_callback is not None:
            return original_solve(self, model, solution_callback)
        record = SolveRecord(
            model=index,
            stage=trace.models[index].current,  # type: ignore[attr-defined]
            start=time.monotonic(),
        )
        trace.solves.append(record)
        code = original_solve(self, model, _Recorder(record))
        record.end = time.monotonic()
        record.status = self.status_name(code)
        return code

    def solve_tiers(model: Any, *args: Any, **kwargs: Any) -> Any:
        hinted = kwargs.get("hint") is not None or (len(args) >= 3 and args[2] is not None)
        index = next((i for i, m in enumerate(trace.models) if m is model), -1)
        trace.solve_calls.append((time.monotonic(), index, hinted))
        return saved["solve_tiers"](model, *args, **kwargs)

    def optimise(*args: Any, **kwargs: Any) -> Any:
        trace.lex = _timed(trace, "optimise", saved["optimise"])(*args, **kwargs)
        return trace.lex

    def proven_by_lp(*args: Any, **kwargs: Any) -> Any:
        proof = saved["_proven_by_lp"](*args, **kwargs)
        if proof:
            trace.lp_proofs.append((time.monotonic(), sorted(proof)))
        return proof

    try:
        solve_module.build_round_data = _timed(trace, "data", saved["build_round_data"])
        timed_pairs = _timed(trace, "pairs", saved["model_pairs"])

        def model_pairs(data: Any) -> Any:
            pairs, total = timed_pairs(data)
            trace.sparsified = (total, len(pairs))
            return pairs, total

        solve_module.model_pairs = model_pairs
        for name in OPTIONAL:
            if name in saved:
                setattr(solve_module, name, _timed(trace, name, saved[name]))
        solve_module.AllocationModel = traced_model  # type: ignore[misc, assignment]
        solve_module.optimise = optimise
        solve_module.solve_tiers = solve_tiers  # type: ignore[assignment]
        if "_proven_by_lp" in saved:
            solve_module._proven_by_lp = proven_by_lp
        cp_model.CpSolver.solve = solve  # type: ignore[method-assign]
        yield trace
    finally:
        for name, value in saved.items():
            setattr(solve_module, name, value)
        cp_model.CpSolver.solve = original_solve  # type: ignore[method-assign]


def decode(stage: Stage, packed: float) -> dict[str, int]:
    """Component values from a stage's packed objective (mixed radix: each component's
    scale is the product of the ranges below it, see allocator.model)."""
    rest = round(packed) - sum(low * s for low, s in zip(stage.lows, stage.scales, strict=True))
    out: dict[str, int] = {}
    for k, (c, scale) in enumerate(zip(stage.components, stage.scales, strict=True)):
        digit = rest // scale
        if k > 0:
            digit %= stage.scales[k - 1] // scale
        gain = int(digit) + stage.lows[k]
        out[c.name] = c.constant + (gain if c.sense == "max" else -gain)
    return out
