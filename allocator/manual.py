"""A manual allocation (the meeting's own, from a spreadsheet) as a proposal to check.

``allocator check SCENARIO ALLOCATION`` takes either a full proposal (``proposal.json`` as
``propose`` writes it) or a minimal allocation: JSON ``{"matches": [{"household": "H5",
"dwelling": "W1"}]}`` (or just the list), CSV or Excel with the columns ``household``,
``dwelling`` and optionally ``move_in``. The minimal form is completed here into a Proposal
the independent checker reads like any other, so there is one checker, not two:

- ``move_in`` left out is derived as ``propose`` derives it (R9, ``allocator.rules``);
- every household not matched is listed as unmatched and every dwelling not matched as
  empty, with the reason ``not_allocated``;
- ``breaches`` are the due families the allocation leaves in breach of their deadline,
  computed as ``propose`` computes them (R7), so the checker judges the allocation's rules,
  not bookkeeping a spreadsheet cannot hold.

Bad input (unknown columns, a missing id, a date that is no date) is an InputError: every
problem at once, with file, row and column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from allocator.hashing import policy_sha256, run_id, scenario_sha256
from allocator.io.documents import read_tree
from allocator.io.fields import leaf_columns
from allocator.io.origin import Origin, validation_problems
from allocator.io.tables import (
    Sheet,
    header_problems,
    open_workbook,
    read_csv,
    read_sheet,
    to_record,
)
from models.problems import InputError, Problem
from models.proposal import (
    Breach,
    EmptyDwelling,
    Kpis,
    Match,
    Proposal,
    Reason,
    RunInfo,
    Unmatched,
)
from models.scenario import Id, Scenario

NOT_ALLOCATED = Reason(code="not_allocated", text="Ikke tildelt i den manuelle tildelingen.")
#: Column names a Norwegian spreadsheet may use for the same fields.
COLUMN_ALIASES = {
    "husstand": "household",
    "bolig": "dwelling",
    "innflytting": "move_in",
    "innflyttingsdato": "move_in",
}


class ManualMatch(BaseModel):
    """One row of a minimal allocation: who gets which dwelling, and from when (optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    household: Id
    dwelling: Id
    move_in: dt.date | None = None


@dataclass(frozen=True)
class Allocation:
    """What ``allocator check`` checks: a proposal, and whether it was completed here."""

    proposal: Proposal
    minimal: bool


def load_allocation(path: str | Path, scenario: Scenario) -> Allocation:
    """The proposal or minimal allocation at ``path``, as a Proposal for ``scenario``."""
    from allocator.io.load import load_proposal

    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    file=label,
                    expected="a proposal or allocation file that exists (.json, .csv, .xlsx)",
                )
            ]
        )
    suffix = path.suffix.lower()
    if suffix == ".json":
        document = read_tree(path, label)
        if not document.readable:
            raise InputError(document.problems)
        tree = document.tree
        if isinstance(tree, dict) and "run" in tree:
            return Allocation(load_proposal(path), minimal=False)
        rows = _json_rows(tree, label)
    elif suffix in (".csv", ".xlsx", ".xlsm"):
        rows = _table_rows(path, label)
    else:
        raise InputError(
            [
                Problem(
                    file=label,
                    value=path.suffix,
                    expected="a proposal (.json) or an allocation (.json, .csv, .xlsx)",
                )
            ]
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Allocation(complete(scenario, rows, digest), minimal=True)


def _json_rows(tree: Any, label: str) -> list[ManualMatch]:
    where, items = "$", tree
    if isinstance(tree, dict):
        extra = sorted(set(tree) - {"matches"})
        if extra or "matches" not in tree:
            raise InputError(
                [
                    Problem(
                        file=label,
                        location="$",
                        field=", ".join(extra) or "matches",
                        expected="a full proposal (with run), or an allocation with only "
                        "'matches': [{household, dwelling, move_in}]",
                    )
                ]
            )
        where, items = "$.matches", tree["matches"]
    if not isinstance(items, list):
        raise InputError(
            [
                Problem(
                    file=label,
                    location=where,
                    value=type(items).__name__,
                    expected="a list of matches {household, dwelling, move_in}",
                )
            ]
        )
    rows, problems = [], []
    for index, item in enumerate(items):
        origin = Origin(label, f"{where}[{index}]")
        try:
            rows.append(ManualMatch.model_validate(item))
        except ValidationError as error:
            problems += validation_problems(error, ManualMatch, origin, item)
    if problems:
        raise InputError(problems)
    return rows


def _table_rows(path: Path, label: str) -> list[ManualMatch]:
    sheet: Sheet | None
    if path.suffix.lower() == ".csv":
        sheet, problems = read_csv(path, label)
    else:
        book, problems = open_workbook(path, label)
        sheet = None
        if book is not None:
            sheet, more = read_sheet(book, book.sheetnames[0], label)
            problems += more
    if sheet is None:
        raise InputError(problems)
    sheet.header = [COLUMN_ALIASES.get(name, name) for name in sheet.header]
    specs = leaf_columns(ManualMatch)
    problems += header_problems(sheet, specs, "allocation")
    for column in ("household", "dwelling"):
        if column not in sheet.header:
            problems.append(
                Problem(
                    file=label,
                    location=sheet.location(1),
                    field=column,
                    expected="the columns household, dwelling and (optionally) move_in",
                )
            )
    rows = []
    if not problems:
        for number, cells in sheet.records():
            origin = Origin(label, sheet.location(number), flat=True, cells=cells)
            record = to_record(cells, specs)
            try:
                rows.append(ManualMatch.model_validate(record))
            except ValidationError as error:
                problems += validation_problems(error, ManualMatch, origin, record)
    if problems:
        raise InputError(problems)
    return rows


def complete(scenario: Scenario, rows: list[ManualMatch], digest: str = "") -> Proposal:
    """The Proposal of a minimal allocation: move-in dates, unmatched, empty, breaches."""
    from allocator.data import build_round_data
    from allocator.explain import date_of
    from allocator.pairs import candidate_pairs
    from allocator.rules import r9_timing, r11_transfers
    from allocator.solve import versions

    data = build_round_data(scenario)
    h_index = {hid: i for i, hid in enumerate(data.household_ids)}
    d_index = {did: i for i, did in enumerate(data.dwelling_ids)}
    pinned = {(p.household, p.dwelling) for p in scenario.locks.pinned}
    matches: list[Match] = []
    placed: dict[int, tuple[int, int]] = {}  # household -> (dwelling, R9 move-in day)
    for row in rows:
        h, d = h_index.get(row.household), d_index.get(row.dwelling)
        if h is not None and d is not None:
            placed.setdefault(h, (d, int(r9_timing.move_in(data, np.array([h]), np.array([d]))[0])))
    # Into a dwelling a moving tenant frees, the chain's day (R11), as `propose` gives it.
    days = r11_transfers.chain_days(data, placed)
    placed = {h: (d, days[h]) for h, (d, _) in placed.items()}
    for row in rows:
        h, d = h_index.get(row.household), d_index.get(row.dwelling)
        formula = placed[h][1] if h is not None and d is not None and placed[h][0] == d else None
        if formula is None and h is not None and d is not None:
            formula = int(r9_timing.move_in(data, np.array([h]), np.array([d]))[0])
        move_in = row.move_in or (date_of(formula) if formula is not None else scenario.as_of)
        matches.append(
            Match(
                household=row.household,
                dwelling=row.dwelling,
                move_in=move_in,
                pinned=(row.household, row.dwelling) in pinned,
            )
        )
    matched_h = {m.household for m in matches}
    matched_d = {m.dwelling for m in matches}
    unmatched_over = candidate_pairs(data).unmatched_over_h
    breaches = _breaches(data, placed, unmatched_over)
    input_sha, policy_sha = scenario_sha256(scenario), policy_sha256(scenario.policy)
    run = RunInfo(
        id=run_id(input_sha, policy_sha, f"manual:{digest[:16]}"),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        as_of=scenario.as_of,
        input_sha256=input_sha,
        policy_sha256=policy_sha,
        policy_name=scenario.policy.name,
        method="manual",
        versions=versions(),
        seed=scenario.policy.solver.seed,
        workers=0,
    )
    due = np.flatnonzero(data.due)
    return Proposal(
        run=run,
        matches=matches,
        unmatched=[
            Unmatched(household=h.id, reason=NOT_ALLOCATED)
            for h in scenario.households
            if h.id not in matched_h
        ],
        empty_dwellings=[
            EmptyDwelling(dwelling=d.id, reason=NOT_ALLOCATED)
            for d in scenario.dwellings
            if d.id not in matched_d
        ],
        breaches=breaches,
        kpis=Kpis(
            households=data.H,
            vacancies=data.D,
            housed=len(placed),
            unmatched=data.H - len(placed),
            empty_dwellings=data.D - len({d for d, _ in placed.values()}),
            due_families=len(due),
            due_housed=sum(1 for h in due if int(h) in placed),
            breaches=len(breaches),
            days_over=sum(b.days_over for b in breaches),
        ),
    )


def _breaches(
    data: Any, placed: dict[int, tuple[int, int]], unmatched_over: np.ndarray
) -> list[Breach]:
    """Households in breach of their deadline clock, as ``propose`` lists them
    (allocator.explain): due and unmatched, or matched late or into temporary housing."""
    from allocator.explain import date_of
    from allocator.reasons import reason
    from allocator.rules import CLOCKS, r7_clocks

    out = []
    for index in np.flatnonzero(data.has_clock):
        h = int(index)
        clock = CLOCKS[int(data.clock[h])]
        deadline = date_of(data.deadline[h])
        common = dict(clock=clock.code, clock_name=clock.name, deadline=deadline)
        hid = data.household_ids[h]
        if h not in placed:
            if data.due[h]:
                days = int(unmatched_over[h])
                out.append(
                    Breach(
                        household=hid,
                        clock=clock.code,
                        deadline=deadline,
                        days_over=days,
                        reason=reason("no_dwelling_in_time", days_over=days, **common),
                    )
                )
            continue
        d, move_in = placed[h]
        breach, over = r7_clocks.matched_breach(
            data, np.array([h]), np.array([d]), np.array([move_in]), np.array([unmatched_over[h]])
        )
        if bool(breach[0]):
            days = int(over[0])
            out.append(
                Breach(
                    household=hid,
                    clock=clock.code,
                    deadline=deadline,
                    days_over=days,
                    dwelling=data.dwelling_ids[d],
                    reason=reason("moved_in_late", days_over=days, **common),
                )
            )
    return sorted(out, key=lambda b: b.household)
