"""The batch job that feeds the municipality's case system (``allocator batch``).

One run reads a scenario, solves it, checks the proposal with the independent checker and
publishes its files into the output folder as one set: ``proposal.json``, ``matches.csv``,
``reservations.json`` (mapped to the case system's field names), the same matches as Kobo
reservations and allocations (``kobo-boligreservasjoner.json``, ``kobo-tildelinger.json``,
allocator.kobo_out) and ``run.json`` (the run block, the exit status and the SHA-256 of
every other file). docs/batch.md is the contract.

Why it is built this way:
- *All or nothing*: the set is written into a staging folder next to the output folder and
  swapped in with one rename, so a reader never sees half a set, and bad input leaves the
  output folder exactly as it was (not even created). Files in the folder that are not
  ours survive any moment of a kill (allocator.publish).
- *One verdict*: propose, batch and the API classify a result the same way
  (allocator.outcome): MODEL_INVALID or any status without a proposal is never success.
- *Idempotent*: the run id comes from the input and policy hashes; the only fields that
  differ between two runs on the same input are ``created_at`` and wall times.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from allocator.io.write import dumps_canonical
from allocator.kobo_out import (
    KOBO_ALLOCATIONS_FILE,
    KOBO_RESERVATIONS_FILE,
    kobo_allocations,
    kobo_reservations,
)
from allocator.logs import EventLog, tier_summary, tier_timings
from allocator.outcome import (
    EXIT_BAD_INPUT,
    EXIT_BREACHES,
    EXIT_INTERNAL,
    EXIT_NO_PROPOSAL,
    EXIT_OK,
    classify,
)
from allocator.publish import publish
from models.problems import InputError, Problem
from models.proposal import SCHEMA_VERSION, Proposal, RunInfo
from models.scenario import Scenario

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BREACHES",
    "EXIT_INTERNAL",
    "EXIT_NO_PROPOSAL",
    "EXIT_OK",
    "BatchResult",
    "output_set",
    "publish",
    "run_batch",
]

PROPOSAL_FILE = "proposal.json"
MATCHES_FILE = "matches.csv"
RESERVATIONS_FILE = "reservations.json"
RUN_FILE = "run.json"
OUTPUT_FILES = (
    PROPOSAL_FILE,
    MATCHES_FILE,
    RESERVATIONS_FILE,
    KOBO_RESERVATIONS_FILE,
    KOBO_ALLOCATIONS_FILE,
    RUN_FILE,
)

MATCH_COLUMNS = (
    "household",
    "dwelling",
    "move_in",
    "pinned",
    "priority_points",
    "waiting_points",
    "preference_rank",
    "spare_bedrooms",
    "school_travel_minutes",
    "vacancy_days",
    "vacancy_rent_loss",
    "concentration_cost",
    "fit_cost",
    "reason_codes",
    "alternates",
    "run_id",
    "schema_version",
)


# --- output records (published as JSON Schemas, see allocator.api.schemas) -----------------


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Alternativ(_Out):
    """Who is next in line for the dwelling if the offer is declined (Norwegian: reserve)."""

    rekkefolge: int = Field(..., ge=1, description="Rank, 1 = first in line.")
    husstandId: str = Field(..., description="Household id, unchanged from the scenario.")
    innflyttingsdato: dt.date | None = Field(None, description="Their move-in date.")


class Reservasjon(_Out):
    """One dwelling reserved for one household: what the case system records."""

    boligId: str = Field(..., description="Dwelling id, unchanged from the scenario.")
    husstandId: str = Field(..., description="Household id, unchanged from the scenario.")
    innflyttingsdato: dt.date = Field(..., description="Earliest move-in date (R9).")
    status: Literal["reservert"] = "reservert"
    fastlaast: bool = Field(False, description="Pinned by the allocation meeting.")
    begrunnelseskoder: list[str] = Field(
        default_factory=list, description="Stable reason codes (docs/rules.md)."
    )
    alternativer: list[Alternativ] = Field(default_factory=list)


class Reservations(_Out):
    """``reservations.json``: the reservations of one round, in the case system's terms."""

    schema_version: str = SCHEMA_VERSION
    run_id: str
    created_at: str
    tildelingsdato: dt.date = Field(..., description="The round's date (as_of).")
    reservasjoner: list[Reservasjon] = Field(default_factory=list)


class OutputFile(_Out):
    name: str
    sha256: str
    bytes: int


class BatchRun(_Out):
    """``run.json``: written last into the set; the manifest a reader starts from."""

    schema_version: str = SCHEMA_VERSION
    run_id: str
    created_at: str
    exit_code: int
    outcome: Literal["ok", "breaches"]
    reproducible: bool = Field(
        ...,
        description="Every tier OPTIMAL, or solver.deterministic_time set: a rerun "
        "on the same machine gives the same proposal.",
    )
    counts: dict[str, int] = Field(default_factory=dict)
    run: RunInfo
    files: list[OutputFile]


# --- building the outputs ----------------------------------------------------------------


def matches_csv(proposal: Proposal) -> bytes:
    """One row per match; lists joined with ``;``. RFC 4180 CSV in UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(MATCH_COLUMNS)
    for m in proposal.matches:
        s = m.score
        writer.writerow(
            [
                m.household,
                m.dwelling,
                m.move_in.isoformat(),
                str(m.pinned).lower(),
                s.priority_points,
                s.waiting_points,
                "" if s.preference_rank is None else s.preference_rank,
                s.spare_bedrooms,
                s.school_travel_minutes,
                s.vacancy_days,
                f"{s.vacancy_rent_loss:.2f}",
                s.concentration_cost,
                s.fit_cost,
                ";".join(r.code for r in m.reasons),
                ";".join(a.household for a in sorted(m.alternates, key=lambda a: a.rank)),
                proposal.run.id,
                proposal.run.schema_version,
            ]
        )
    return buffer.getvalue().encode("utf-8")


def reservations(proposal: Proposal) -> Reservations:
    """The proposal's matches mapped onto the case system's reservation fields."""
    return Reservations(
        run_id=proposal.run.id,
        created_at=proposal.run.created_at,
        tildelingsdato=proposal.run.as_of,
        reservasjoner=[
            Reservasjon(
                boligId=m.dwelling,
                husstandId=m.household,
                innflyttingsdato=m.move_in,
                fastlaast=m.pinned,
                begrunnelseskoder=[r.code for r in m.reasons],
                alternativer=[
                    Alternativ(
                        rekkefolge=a.rank, husstandId=a.household, innflyttingsdato=a.move_in
                    )
                    for a in sorted(m.alternates, key=lambda a: a.rank)
                ],
            )
            for m in proposal.matches
        ],
    )


def reproducible(proposal: Proposal, scenario: Scenario) -> bool:
    """Wall-clock limits make CP-SAT runs differ; proven optima or deterministic time don't."""
    solved = [t for t in proposal.run.tiers if t.status != "SKIPPED"]
    return scenario.policy.solver.deterministic_time is not None or all(
        t.status == "OPTIMAL" for t in solved
    )


def output_set(proposal: Proposal, scenario: Scenario) -> dict[str, bytes]:
    """The files of one run, as bytes; ``run.json`` lists the others' SHA-256."""
    files = {
        PROPOSAL_FILE: dumps_canonical(proposal.model_dump(mode="json")).encode("utf-8"),
        MATCHES_FILE: matches_csv(proposal),
        RESERVATIONS_FILE: dumps_canonical(reservations(proposal).model_dump(mode="json")).encode(
            "utf-8"
        ),
        KOBO_RESERVATIONS_FILE: dumps_canonical(
            kobo_reservations(proposal).model_dump(mode="json")
        ).encode("utf-8"),
        KOBO_ALLOCATIONS_FILE: dumps_canonical(
            kobo_allocations(proposal).model_dump(mode="json")
        ).encode("utf-8"),
    }
    exit_code = EXIT_BREACHES if proposal.breaches else EXIT_OK
    k = proposal.kpis
    manifest = BatchRun(
        run_id=proposal.run.id,
        created_at=proposal.run.created_at,
        exit_code=exit_code,
        outcome="breaches" if proposal.breaches else "ok",
        reproducible=reproducible(proposal, scenario),
        counts={
            "households": k.households,
            "vacancies": k.vacancies,
            "housed": k.housed,
            "unmatched": k.unmatched,
            "empty_dwellings": k.empty_dwellings,
            "breaches": len(proposal.breaches),
        },
        run=proposal.run,
        files=[
            OutputFile(name=name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
            for name, data in files.items()
        ],
    )
    files[RUN_FILE] = dumps_canonical(manifest.model_dump(mode="json")).encode("utf-8")
    return files


# --- the job ------------------------------------------------------------------------------


@dataclass
class BatchResult:
    """What one batch run did: its exit code, and what to tell the operator."""

    exit_code: int
    message: str
    run_id: str | None = None
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # name -> sha256


def _bad_output(output_dir: Path) -> list[Problem]:
    if output_dir.exists() and not output_dir.is_dir():
        return [
            Problem(
                file=str(output_dir),
                field="--output",
                value=str(output_dir),
                expected="a folder (or a path where one can be created), not a file",
            )
        ]
    return []


def run_batch(
    scenario_path: Path,
    output_dir: Path,
    time_limit_s: float | None = None,
    log: EventLog | None = None,
    created_at: str | None = None,
) -> BatchResult:
    """Read, solve, check and publish one round; see the module docstring and docs/batch.md."""
    from allocator.checker import check_proposal
    from allocator.io.load import load_scenario
    from allocator.solve import propose

    log = log or EventLog.null()
    started = time.monotonic()
    log.event("batch.start", schema_version=SCHEMA_VERSION, time_limit_s=time_limit_s)
    problems = _bad_output(Path(output_dir))
    try:
        if problems:
            raise InputError(problems)
        scenario = load_scenario(scenario_path)
        loaded_s = time.monotonic() - started
        log.event(
            "batch.loaded",
            counts={"households": len(scenario.households), "dwellings": len(scenario.dwellings)},
            timings={"load_s": round(loaded_s, 3)},
        )
        proposal = propose(
            scenario, method="cp-sat", time_limit_s=time_limit_s, created_at=created_at
        )
    except InputError as error:
        log.event(
            "batch.end",
            level="error",
            status="bad_input",
            exit_code=EXIT_BAD_INPUT,
            counts={"problems": len(error.problems)},
            timings={"total_s": round(time.monotonic() - started, 3)},
        )
        return BatchResult(EXIT_BAD_INPUT, "bad input: nothing written", problems=error.problems)

    run = proposal.run
    log.event(
        "batch.solved",
        run_id=run.id,
        status=run.status,
        tiers=tier_summary(run.tiers),
        timings={"solve_s": run.wall_time_s, **tier_timings(run.tiers)},
        counts={
            "matches": len(proposal.matches),
            "unmatched": len(proposal.unmatched),
            "breaches": len(proposal.breaches),
        },
    )
    log.event(
        "batch.matches",
        level="debug",
        run_id=run.id,
        ids={
            "households": [m.household for m in proposal.matches],
            "dwellings": [m.dwelling for m in proposal.matches],
        },
    )
    outcome = classify(proposal)
    if outcome.has_proposal:
        outcome = classify(proposal, check_proposal(scenario, proposal))
    if not outcome.has_proposal:
        log.event(
            "batch.end",
            level="error",
            run_id=run.id,
            status=run.status,
            exit_code=outcome.exit_code,
            error=outcome.error,
            outcome=outcome.kind,
            tiers=tier_summary(run.tiers),
            timings={"total_s": round(time.monotonic() - started, 3)},
        )
        return BatchResult(outcome.exit_code, outcome.message, run_id=run.id)

    files = output_set(proposal, scenario)
    try:
        cleaned = publish(Path(output_dir), files)
    except OSError as error:  # not writable, disk full: the folder keeps its previous set
        log.event(
            "batch.end",
            level="error",
            run_id=run.id,
            status="output_failed",
            exit_code=EXIT_BAD_INPUT,
            error=type(error).__name__,
            timings={"total_s": round(time.monotonic() - started, 3)},
        )
        problem = Problem(
            file=str(output_dir),
            field="--output",
            value=str(output_dir),
            expected=f"en mappe det kan skrives i ({error.strerror}); mappen er uendret",
        )
        return BatchResult(
            EXIT_BAD_INPUT,
            "kunne ikke skrive utdata: ingenting skrevet",
            run_id=run.id,
            problems=[problem],
        )
    if cleaned:
        log.event(
            "batch.recovered", level="warning", run_id=run.id, counts={"leftover_folders": cleaned}
        )
    exit_code = EXIT_BREACHES if proposal.breaches else EXIT_OK
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    log.event(
        "batch.end",
        level="warning" if proposal.breaches else "info",
        run_id=run.id,
        status=run.status,
        exit_code=exit_code,
        outcome="breaches" if proposal.breaches else "ok",
        reproducible=reproducible(proposal, scenario),
        files=sorted(files),
        counts={"matches": len(proposal.matches), "breaches": len(proposal.breaches)},
        timings={"total_s": round(time.monotonic() - started, 3)},
    )
    summary = (
        f"run {run.id}: {len(proposal.matches)} reservation(s), "
        f"{len(proposal.breaches)} temporary-housing breach(es); wrote {output_dir}"
    )
    return BatchResult(exit_code, summary, run_id=run.id, files=digests)
