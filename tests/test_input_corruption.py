"""Randomly corrupted input never crashes `allocator validate`: exit 2, the file named.

Every corruption below is built to be invalid for sure (a dict where a scalar or record
belongs, an id nobody has, a date that does not exist, a cut that removes the required last
value...), so the test can demand exit code 2 every time, never accept a silent 0.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from allocator.cli import main

DATA = Path(__file__).parent / "data" / "loaders"
TREE: dict[str, Any] = json.loads((DATA / "canonical.json").read_text(encoding="utf-8"))

TABLES = ("districts", "buildings", "dwellings", "households", "school_access")
REQUIRED = {
    "districts": ("id",),
    "buildings": ("id", "district", "units"),
    "dwellings": ("id", "building", "bedrooms", "rent", "available_from"),
    "households": ("id", "approved_on", "main_applicant"),
    "school_access": ("from_zone", "to_zone", "minutes"),
}
DATES = {"dwellings": ("available_from",), "households": ("approved_on", "ready_from")}
NUMBERS = {
    "districts": ("burden",),
    "buildings": ("units", "min_age"),
    "dwellings": ("rooms", "bedrooms", "area_m2", "floor", "rent", "board_approval_days"),
    "households": ("adults", "priority", "max_rent"),
    "school_access": ("minutes",),
}
REFERENCES = {"buildings": ("district",), "dwellings": ("building",)}
BAD_DATES = ("2026-13-01", "2026-02-30", "snart", "23/11/2026", "2026-1-5", "")
WORDS = ("many", "ti", "3 rom", "1,5,7", "{}")
ODD_VALUES: tuple[Any, ...] = ({"oops": [1]}, [{"oops": 1}])
SCALARS: tuple[Any, ...] = (7, True, 3.5, "households")
UNKNOWN = "ZZ-unknown"

# Flat-table variant: columns by kind, per CSV file of the csv/ fixture.
CSV_COLUMNS = {
    "households.csv": {
        "typed": (
            "adults",
            "main_applicant.age",
            "main_applicant.gender",
            "needs.wheelchair",
            "substance_use",
            "high_need",
            "situation.kind",
            "priority",
            "max_rent",
        ),
        "required": ("id", "approved_on", "main_applicant.age"),
        "dates": ("approved_on", "situation.since", "ready_from"),
        "references": ("excluded_districts", "preferred_districts", "acceptable_districts"),
        "numbers": ("adults", "main_applicant.age", "priority", "max_rent"),
    },
    "dwellings.csv": {
        "typed": (
            "rooms",
            "bedrooms",
            "area_m2",
            "floor",
            "elevator",
            "category",
            "rent",
            "board_approval_days",
        ),
        "required": ("id", "building", "bedrooms", "rent", "available_from"),
        "dates": ("available_from",),
        "references": ("building",),
        "numbers": ("rooms", "bedrooms", "floor", "rent", "board_approval_days"),
    },
    "buildings.csv": {
        "typed": ("units", "residents.high_need", "profile", "gender", "min_age"),
        "required": ("id", "district", "units"),
        "dates": (),
        "references": ("district",),
        "numbers": ("units", "residents.active", "max_age"),
    },
}
TREE_KINDS = (
    "retype",
    "delete_required",
    "bad_date",
    "break_reference",
    "truncate",
    "duplicate_id",
    "number_to_string",
    "table_to_scalar",
)
CSV_KINDS = (
    "retype",
    "delete_required",
    "bad_date",
    "break_reference",
    "truncate",
    "duplicate_id",
    "number_to_string",
    "table_to_scalar",
)


# --- trees (JSON and YAML) -----------------------------------------------------------------------


def paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the tree below the root."""
    found = []
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        found.append((*here, key))
        found += paths(child, (*here, key))
    return found


def put(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        tree = tree[key]
    tree[path[-1]] = value


def corrupt_tree(data: st.DataObject, tree: dict[str, Any], kind: str) -> str | None:
    """Corrupt ``tree`` in place; return a truncation marker or None."""
    if kind == "retype":
        put(tree, data.draw(st.sampled_from(paths(tree))), data.draw(st.sampled_from(ODD_VALUES)))
    elif kind == "delete_required":
        table = data.draw(st.sampled_from([*REQUIRED, "as_of"]))
        if table == "as_of":
            del tree["as_of"]
        else:
            row = data.draw(st.sampled_from(tree[table]))
            del row[data.draw(st.sampled_from(REQUIRED[table]))]
    elif kind == "bad_date":
        table = data.draw(st.sampled_from(sorted(DATES)))
        row = data.draw(st.sampled_from(tree[table]))
        row[data.draw(st.sampled_from(DATES[table]))] = data.draw(st.sampled_from(BAD_DATES))
    elif kind == "break_reference":
        table = data.draw(st.sampled_from([*REFERENCES, "pinned", "forbidden", "preferred"]))
        if table in REFERENCES:
            data.draw(st.sampled_from(tree[table]))[REFERENCES[table][0]] = UNKNOWN
        elif table == "preferred":
            data.draw(st.sampled_from(tree["households"]))["preferred_districts"] = [UNKNOWN]
        else:
            pair = tree["locks"][table][0]
            pair[data.draw(st.sampled_from(["household", "dwelling"]))] = UNKNOWN
    elif kind == "duplicate_id":
        table = data.draw(st.sampled_from(["districts", "buildings", "dwellings", "households"]))
        first, second = data.draw(
            st.lists(st.sampled_from(range(len(tree[table]))), min_size=2, max_size=2, unique=True)
        )
        tree[table][second]["id"] = tree[table][first]["id"]
    elif kind == "number_to_string":
        table = data.draw(st.sampled_from(sorted(NUMBERS)))
        row = data.draw(st.sampled_from(tree[table]))
        row[data.draw(st.sampled_from(NUMBERS[table]))] = data.draw(st.sampled_from(WORDS))
    elif kind == "table_to_scalar":
        key = data.draw(st.sampled_from([*TABLES, "locks", "policy"]))
        tree[key] = data.draw(st.sampled_from(SCALARS))
    else:
        return "truncate"
    return None


def serialise(tree: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(tree, indent=2, ensure_ascii=False)
    # as_of last: a YAML cut anywhere before its end loses the one required key.
    ordered = {k: v for k, v in tree.items() if k != "as_of"}
    if "as_of" in tree:
        ordered["as_of"] = tree["as_of"]
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False)


def truncate(data: st.DataObject, text: str) -> str:
    """Cut before the last significant character: JSON loses its closing brace, YAML the
    end of the as_of date (written last)."""
    end = len(text.rstrip()) - 1
    return text[: data.draw(st.integers(min_value=0, max_value=end - 1))]


# --- flat tables ---------------------------------------------------------------------------------


def read_table(path: Path) -> tuple[str, list[list[str]]]:
    text = path.read_text(encoding="utf-8")
    header = text.split("\n", 1)[0]
    separator = ";" if header.count(";") > header.count(",") else ","
    return separator, list(csv.reader(io.StringIO(text), delimiter=separator))


def write_table(path: Path, separator: str, grid: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\n").writerows(grid)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def approved_on_last(folder: Path) -> None:
    """Put the required date last in households.csv, so a cut inside any row breaks it."""
    separator, grid = read_table(folder / "households.csv")
    column = grid[0].index("approved_on")
    write_table(
        folder / "households.csv",
        separator,
        [row[:column] + row[column + 1 :] + [row[column]] for row in grid],
    )


def corrupt_csv(data: st.DataObject, folder: Path, kind: str) -> str:
    """Corrupt one file of the CSV folder; return the name of the file corrupted."""
    if kind == "table_to_scalar":
        key = data.draw(st.sampled_from(["districts", "households", "school_access", "locks"]))
        text = (folder / "scenario.yaml").read_text(encoding="utf-8")
        tree = yaml.safe_load(text)
        tree[key] = data.draw(st.sampled_from(SCALARS))
        (folder / "scenario.yaml").write_text(yaml.safe_dump(tree), encoding="utf-8")
        return "scenario.yaml"
    if kind == "truncate":
        text = (folder / "households.csv").read_text(encoding="utf-8")
        start = text.index("\n") + 2
        # Never at a row's end: the cut must fall inside a row, so its last cell (the
        # required approved_on) is lost or left as a partial date.
        cuts = [p for p in range(start, len(text) - 1) if "\n" not in text[p - 1 : p + 1]]
        (folder / "households.csv").write_text(
            text[: data.draw(st.sampled_from(cuts))], encoding="utf-8"
        )
        return "households.csv"
    name = data.draw(st.sampled_from(sorted(CSV_COLUMNS)))
    separator, grid = read_table(folder / name)
    header, rows = grid[0], grid[1:]
    row = data.draw(st.sampled_from(rows))
    columns = CSV_COLUMNS[name]
    if kind == "duplicate_id":
        other = data.draw(st.sampled_from([r for r in rows if r is not row]))
        row[0] = other[0]
    else:
        group, values = {
            "retype": ("typed", ("{oops}", "[1, 2]")),
            "delete_required": ("required", ("",)),
            "bad_date": ("dates", BAD_DATES[:-1]),
            "break_reference": ("references", (UNKNOWN,)),
            "number_to_string": ("numbers", WORDS),
        }[kind]
        if not columns[group]:  # buildings have no dates: use dwellings
            return corrupt_csv(data, folder, "break_reference")
        column = header.index(data.draw(st.sampled_from(columns[group])))
        row[column] = data.draw(st.sampled_from(values))
    write_table(folder / name, separator, grid)
    return name


# --- the property --------------------------------------------------------------------------------


def validate(path: Path) -> str:
    result = CliRunner().invoke(main, ["validate", str(path)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    return result.output


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), fmt=st.sampled_from(["json", "yaml", "csv"]))
def test_corrupted_input_is_rejected_with_exit_2(data: st.DataObject, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if fmt == "csv":
            folder = Path(shutil.copytree(DATA / "csv", root / "round"))
            shutil.copy(DATA / "policy.yaml", root / "policy.yaml")
            approved_on_last(folder)
            kind = data.draw(st.sampled_from(CSV_KINDS), label="kind")
            event(f"csv: {kind}")
            name = corrupt_csv(data, folder, kind)
            output = validate(folder)
            assert str(folder / name) in output
        else:
            tree = copy.deepcopy(TREE)
            kind = data.draw(st.sampled_from(TREE_KINDS), label="kind")
            event(f"{fmt}: {kind}")
            cut = corrupt_tree(data, tree, kind)
            text = serialise(tree, fmt)
            path = root / f"round.{fmt}"
            path.write_text(truncate(data, text) if cut else text, encoding="utf-8")
            output = validate(path)
            assert str(path) in output
        assert "Traceback" not in output
        assert output.splitlines()[0].endswith("problem(s) in the input:")


def test_uncorrupted_inputs_are_valid() -> None:
    """The baselines the property corrupts are valid, so every exit 2 is the corruption's."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for fmt in ("json", "yaml"):
            path = root / f"round.{fmt}"
            path.write_text(serialise(copy.deepcopy(TREE), fmt), encoding="utf-8")
            result = CliRunner().invoke(main, ["validate", str(path)], catch_exceptions=False)
            assert result.exit_code == 0, result.output
        folder = Path(shutil.copytree(DATA / "csv", root / "round"))
        shutil.copy(DATA / "policy.yaml", root / "policy.yaml")
        approved_on_last(folder)
        result = CliRunner().invoke(main, ["validate", str(folder)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
