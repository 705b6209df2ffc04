"""Request bodies to validated models, with the loader's problem reports.

Why through the file loader: ``allocator.io.load`` already reports every problem at once
with a location; the API reuses it by writing the (already parsed) tree to a private
temporary file. Before that, the tree must be *inline*: a policy or table given as a file
name would make the server read its own files, so such references are refused here.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

from allocator.io.documents import parse_text
from models.problems import InputError, Problem
from models.proposal import Proposal
from models.scenario import Scenario

BODY = "request body"
TABLES = ("districts", "buildings", "dwellings", "households", "school_access", "children")


def parse_json(body: bytes) -> Any:
    """The JSON of a request body; InputError (with line and column) when it is not."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            [Problem(file=BODY, value=f"byte {error.start}", expected="JSON in UTF-8")]
        ) from None
    if not text.strip():
        raise InputError([Problem(file=BODY, expected="a JSON object; the body is empty")])
    # The file loader's parser: line and column of syntax errors, keys written twice,
    # integers of absurd length and text no file can store, each refused with its place.
    document = parse_text(text, BODY)
    if document.problems:
        raise InputError(document.problems)
    return document.tree


def _kind(value: Any) -> str:
    return type(value).__name__ if value is not None else "null"


def inline_problems(tree: Any, where: str = "$") -> list[Problem]:
    """Problems that make ``tree`` more than an inline scenario (file references, non-objects)."""
    if not isinstance(tree, dict):
        return [
            Problem(
                file=BODY,
                location=where,
                value=_kind(tree),
                expected="a scenario object with as_of, districts, buildings, ...",
            )
        ]
    problems = []
    policy = tree.get("policy")
    if policy is not None and not isinstance(policy, dict):
        problems.append(
            Problem(
                file=BODY,
                location=f"{where}.policy",
                field="policy",
                value=_kind(policy),
                expected="an inline policy object, or no policy (defaults); "
                "the API does not read policy files",
            )
        )
    if "tables" in tree:
        problems.append(
            Problem(
                file=BODY,
                location=f"{where}.tables",
                field="tables",
                value=_kind(tree["tables"]),
                expected="inline tables; the API does not read workbooks",
            )
        )
    for table in TABLES:
        value = tree.get(table)
        if value is not None and not isinstance(value, list):
            problems.append(
                Problem(
                    file=BODY,
                    location=f"{where}.{table}",
                    field=table,
                    value=_kind(value),
                    expected=f"an inline list of {table} records; the API "
                    "does not read table files",
                )
            )
    locks = tree.get("locks")
    if locks is not None:
        if not isinstance(locks, dict):
            problems.append(
                Problem(
                    file=BODY,
                    location=f"{where}.locks",
                    field="locks",
                    value=_kind(locks),
                    expected="an object with the lists pinned and forbidden",
                )
            )
        else:
            for key in ("pinned", "forbidden"):
                value = locks.get(key)
                if value is not None and not isinstance(value, list):
                    problems.append(
                        Problem(
                            file=BODY,
                            location=f"{where}.locks.{key}",
                            field=f"locks.{key}",
                            value=_kind(value),
                            expected=f"an inline list of {key} pairs",
                        )
                    )
    return problems


def _relabel(problem: Problem, temp: Path, where: str) -> Problem:
    """A loader problem about the temporary file, restated about the request body."""
    location = problem.location
    if where != "$" and location.startswith("$"):
        location = where + location[1:]
    file = problem.file
    if file is None or str(temp.parent) in file:
        file = BODY
    return problem.model_copy(update={"file": file, "location": location})


def _load_via_file(tree: Any, where: str, loader: Any) -> Any:
    with tempfile.TemporaryDirectory(prefix="allocator-api-") as folder:
        path = Path(folder) / "body.json"
        path.write_text(json.dumps(tree, ensure_ascii=False), encoding="utf-8")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return loader(path)
        except InputError as error:
            raise InputError([_relabel(p, path, where) for p in error.problems]) from None


def scenario_from_tree(tree: Any, where: str = "$") -> Scenario:
    """A validated scenario from an inline tree; InputError lists every problem."""
    from allocator.io.load import load_scenario

    problems = inline_problems(tree, where)
    if problems:
        raise InputError(problems)
    return _load_via_file(tree, where, load_scenario)  # type: ignore[no-any-return]


def proposal_from_tree(tree: Any, where: str = "$") -> Proposal:
    """A validated proposal from a tree; InputError lists every problem."""
    from allocator.io.load import load_proposal

    return _load_via_file(tree, where, load_proposal)  # type: ignore[no-any-return]


def check_inputs(tree: Any) -> tuple[Scenario, Proposal]:
    """Both parts of a /v1/check body, with the problems of both reported together."""
    if not isinstance(tree, dict) or set(tree) - {"scenario", "proposal"}:
        raise InputError(
            [
                Problem(
                    file=BODY,
                    location="$",
                    value=_kind(tree),
                    expected="an object with exactly the keys scenario and proposal",
                )
            ]
        )
    problems: list[Problem] = []
    scenario = proposal = None
    for key in ("scenario", "proposal"):
        if key not in tree:
            problems.append(
                Problem(file=BODY, location="$", field=key, expected=f"a {key} object (required)")
            )
    try:
        if "scenario" in tree:
            scenario = scenario_from_tree(tree["scenario"], "$.scenario")
    except InputError as error:
        problems += error.problems
    try:
        if "proposal" in tree:
            proposal = proposal_from_tree(tree["proposal"], "$.proposal")
    except InputError as error:
        problems += error.problems
    if problems or scenario is None or proposal is None:
        raise InputError(problems)
    return scenario, proposal
