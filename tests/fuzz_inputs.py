"""Hostile inputs for the hardening fuzz test (tests/test_fuzz.py) and the fuzz corpus
(tests/fuzz_corpus.py, docs/hardening.md).

A case is one small scenario in one input form -- a JSON file, a YAML file, a folder of
CSV tables, a folder with an Excel workbook -- built from the valid loader fixture
(tests/data/loaders) and damaged by one defect class of issue 17: numbers and dates the
solver cannot represent, 5,000-digit integers, lone surrogates, NUL bytes, YAML alias
fan-out, far-away Excel cells, malformed sheet XML, truncated or bit-flipped files,
values of the wrong type. Cases are a pure function of (form, defect, seed), so a failure
found by the corpus is rebuilt exactly by ``build(form, defect, seed)``.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import random
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import yaml

DATA = Path(__file__).parent / "data" / "loaders"
FORMS = ("json", "yaml", "csv", "xlsx")
DEFECTS = (
    "valid",
    "unrepresentable",
    "edge_weights",
    "huge_integer",
    "lone_surrogate",
    "nul_byte",
    "extreme_date",
    "wrong_type",
    "truncated",
    "byte_flip",
    "alias_fanout",
    "far_cell",
    "malformed_xml",
)
#: Defects that only exist in some forms.
ONLY = {"alias_fanout": ("yaml",), "far_cell": ("csv", "xlsx"), "malformed_xml": ("xlsx",)}
CSV_TABLES = {
    "districts": "districts.csv",
    "buildings": "buildings.csv",
    "dwellings": "dwellings.csv",
    "households": "households.csv",
    "children": "children.csv",
    "school_access": "school_access.csv",
    "pinned": "pinned.csv",
    "forbidden": "forbidden.csv",
}
HUGE = "9" * 5000
#: Policy settings that used to pass `validate` and then break the solve (issue 17, item 2).
UNREPRESENTABLE: tuple[tuple[tuple[str, ...], Any], ...] = (
    (("weights", "priority_points", "1"), 10**18),
    (("weights", "waiting_points_per_day"), 10**15),
    (("weights", "concentration"), 10**19),
    (("weights", "vacancy_per_rent_day"), 1e19),
    (("weights", "vacancy_per_rent_day"), float("inf")),
    (("weights", "preference"), 10**19),
    (("weights", "spare_bedroom"), -5),
    (("offer_lead_days",), 10**9),
    (("round_days",), 10**9),
    (("temporary", "max_days"), 10**12),
    (("solver", "seed"), 2**31),
    (("solver", "time_limit_s"), float("nan")),
    (("solver", "workers"), 2**63),
    (("waiting_cap_days",), 10**7),
)
#: The documented maxima (models/policy.py): valid, and must solve or be refused cleanly.
EDGE_WEIGHTS = {
    "priority_points": {1: 10**9, 2: 10**9, 3: 10**9},
    "waiting_points_per_day": 10**6,
    "waiting_cap_days": 36500,
    "preference": 10**9,
    "spare_bedroom": 10**9,
    "school_travel_minute": 10**9,
    "vacancy_per_rent_day": 10**6,
    "concentration": 10**9,
}
BAD_DATES = (
    "9999-12-31",
    "0001-01-01",
    "1899-12-31",
    "2200-01-01",
    "2026-02-30",
    "99999-01-01",
    "-2026-01-01",
)
WRONG = ({"x": [1]}, [[1]], True, None, "", "ti", 3.5, -1, [], {})


@dataclass
class Case:
    """One input: file name -> bytes, and the path (relative) to give the commands."""

    form: str
    defect: str
    seed: int
    files: dict[str, bytes] = field(default_factory=dict)
    entry: str = ""
    note: str = ""

    @property
    def name(self) -> str:
        return f"{self.form}-{self.defect}-{self.seed}"

    def write(self, folder: Path) -> Path:
        """Write the files under ``folder``; the path to validate."""
        for name, data in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return folder / self.entry

    def body(self) -> bytes | None:
        """The request body for the API: the JSON form's file (None for other forms)."""
        return self.files[self.entry] if self.form == "json" else None


def defects_for(form: str) -> list[str]:
    return [d for d in DEFECTS if form in ONLY.get(d, FORMS)]


def all_kinds() -> list[tuple[str, str]]:
    return [(form, defect) for form in FORMS for defect in defects_for(form)]


# --- the valid base ------------------------------------------------------------------------


def base_tree() -> dict[str, Any]:
    """The canonical fixture with its policy inline."""
    tree = json.loads((DATA / "canonical.json").read_text(encoding="utf-8"))
    tree["policy"] = yaml.safe_load((DATA / "policy.yaml").read_text(encoding="utf-8"))
    tree["policy"]["solver"] = {"workers": 1, "time_limit_s": 10}
    return tree


def base_tables() -> dict[str, list[list[str]]]:
    tables = {}
    for table, name in CSV_TABLES.items():
        text = (DATA / "csv" / name).read_text(encoding="utf-8")
        first = text.splitlines()[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        tables[table] = list(csv.reader(text.splitlines(), delimiter=delimiter))
    return tables


def base_policy() -> dict[str, Any]:
    return base_tree()["policy"]  # type: ignore[no-any-return]


# --- damage ------------------------------------------------------------------------------


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        found.append((*here, key))
        found += _paths(child, (*here, key))
    return found


def _leaves(tree: Any, kind: type | tuple[type, ...]) -> list[tuple[Any, ...]]:
    out = []
    for path in _paths(tree):
        value = tree
        for key in path:
            value = value[key]
        if isinstance(value, kind) and not isinstance(value, bool):
            out.append(path)
    return out


def _put(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        tree = tree[key]
    tree[path[-1]] = value


def _set_policy(policy: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = policy
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


MARK = "@@LITERAL@@"


def _json_text(tree: Any, literal: str | None = None) -> str:
    """JSON of the tree; the string MARK, if present, becomes ``literal`` unquoted."""
    text = json.dumps(tree, ensure_ascii=False, indent=1, allow_nan=True)
    if literal is not None:
        text = text.replace(json.dumps(MARK), literal, 1)
    return text


def _yaml_text(tree: Any, literal: str | None = None) -> str:
    text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=1000)
    if literal is not None:
        quoted = f"'{MARK}'"
        text = text.replace(quoted if quoted in text else MARK, literal, 1)
    return text


def _tree_case(case: Case, rng: random.Random) -> None:
    tree = base_tree()
    literal: str | None = None
    defect = case.defect
    raw: bytes | None = None
    if defect == "unrepresentable":
        path, value = rng.choice(UNREPRESENTABLE)
        _set_policy(tree["policy"], path, value)
        case.note = ".".join(path)
        if isinstance(value, float) and value != value:  # NaN: JSON literal NaN / YAML .nan
            _set_policy(tree["policy"], path, MARK)
            literal = "NaN" if case.form == "json" else ".nan"
        elif value == float("inf"):
            _set_policy(tree["policy"], path, MARK)
            literal = "Infinity" if case.form == "json" else ".inf"
    elif defect == "edge_weights":
        tree["policy"]["weights"] = copy.deepcopy(EDGE_WEIGHTS)
    elif defect == "huge_integer":
        path = rng.choice(_leaves(tree, (int, float, str)))
        _put(tree, path, MARK)
        literal = rng.choice([HUGE, "-" + HUGE, "1" + "0" * 400, "1e99999", "-1e99999"])
        case.note = "/".join(map(str, path))
    elif defect == "lone_surrogate":
        path = rng.choice(_leaves(tree, str))
        value = tree
        for key in path:
            value = value[key]
        surrogate = rng.choice(["\ud800", "\udfff", "\udc00x"])
        _put(tree, path, str(value)[:3] + surrogate)
        case.note = "/".join(map(str, path))
        if case.form == "yaml":  # a YAML escape; PyYAML cannot dump a lone surrogate
            _put(tree, path, MARK)
            literal = '"' + str(value)[:3] + surrogate.encode("unicode_escape").decode() + '"'
        else:
            raw = json.dumps(tree, ensure_ascii=True).encode("ascii")  # \ud800 escape
    elif defect == "nul_byte":
        path = rng.choice(_leaves(tree, str))
        _put(tree, path, MARK)
        case.note = "/".join(map(str, path))
        literal = (
            rng.choice(['"a\\u0000b"', '"\\u0007"'])
            if case.form == "json"
            else (rng.choice(["a\x00b", '"a\\0b"', "\x1b"]))
        )
    elif defect == "extreme_date":
        dates = [
            p for p in _leaves(tree, str) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(_get(tree, p)))
        ]
        for path in rng.sample(dates, k=min(len(dates), rng.randint(1, 3))):
            _put(tree, path, rng.choice(BAD_DATES))
        if rng.random() < 0.5:
            tree["as_of"] = rng.choice(BAD_DATES)
    elif defect == "wrong_type":
        for path in rng.sample(_paths(tree), k=rng.randint(1, 3)):
            with contextlib.suppress(KeyError, IndexError, TypeError):  # inside a replaced node
                _put(tree, path, copy.deepcopy(rng.choice(WRONG)))
    elif defect == "alias_fanout":
        fan = rng.choice([30_000, 60_000, 200_000])
        head = "as_of: 2026-11-23\nrecord: &h " + json.dumps(tree["households"][0]) + "\n"
        if rng.random() < 0.5:
            body = "households:\n" + "  - *h\n" * fan
        else:  # billion laughs
            body = (
                "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
                + "".join(
                    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
                    for i in range(8)
                )
                + "households: *i\n"
            )
        raw = (head + body).encode("utf-8")
    if raw is None:
        text = _json_text(tree, literal) if case.form == "json" else _yaml_text(tree, literal)
        raw = text.encode("utf-8", errors="surrogatepass")
    if defect == "truncated":
        raw = raw[: rng.randint(0, max(0, len(raw) - 1))]
    elif defect == "byte_flip":
        data = bytearray(raw)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        raw = bytes(data)
    name = "scenario.json" if case.form == "json" else "scenario.yaml"
    case.files = {name: raw}
    case.entry = name


def _get(tree: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _csv_bytes(grid: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(grid)
    return buffer.getvalue().encode("utf-8", errors="surrogatepass")


def _damage_cell(tables: dict[str, list[list[str]]], rng: random.Random, text: str) -> str:
    table = rng.choice([t for t, g in tables.items() if len(g) > 1])
    grid = tables[table]
    row = rng.randrange(1, len(grid))
    column = rng.randrange(len(grid[0]))
    while len(grid[row]) <= column:
        grid[row].append("")
    grid[row][column] = text
    return f"{table}[{row}].{grid[0][column]}"


def _flat_case(case: Case, rng: random.Random) -> None:
    tables = base_tables()
    policy = base_policy()
    defect = case.defect
    far: tuple[int, int] | None = None
    if defect == "unrepresentable":
        path, value = rng.choice(UNREPRESENTABLE)
        _set_policy(policy, path, value)
        case.note = ".".join(path)
    elif defect == "edge_weights":
        policy["weights"] = copy.deepcopy(EDGE_WEIGHTS)
    elif defect == "huge_integer":
        case.note = _damage_cell(tables, rng, rng.choice([HUGE, "-" + HUGE, "1e99999"]))
    elif defect == "lone_surrogate":
        case.note = _damage_cell(tables, rng, "H" + rng.choice(["\ud800", "\udfff"]))
    elif defect == "nul_byte":
        case.note = _damage_cell(tables, rng, rng.choice(["a\x00b", "\x07", "x\x1f"]))
    elif defect == "extreme_date":
        for _ in range(rng.randint(1, 3)):
            _damage_cell(tables, rng, rng.choice(BAD_DATES))
    elif defect == "wrong_type":
        for _ in range(rng.randint(1, 3)):
            _damage_cell(tables, rng, rng.choice(["ti", "{}", "[1]", "ja", "", "1,5,7", "-1"]))
    elif defect == "far_cell":
        far = rng.choice([(1_048_576, 1), (2, 16_384), (1_048_576, 16_384), (150_000, 2), (3, 201)])
        case.note = f"row {far[0]} column {far[1]}"
    files: dict[str, bytes] = {}
    scenario = {"as_of": "2026-11-23", "policy": "policy.yaml"}
    if case.form == "csv":
        for table, name in CSV_TABLES.items():
            grid = tables[table]
            if far and table == "households":
                row = min(far[0], 150_000)
                grid = [*grid, *([[""]] * (row - len(grid) - 1)), [""] * (far[1] - 1) + ["x"]]
            files[name] = _csv_bytes(grid)
        scenario.update({t: n for t, n in CSV_TABLES.items() if t not in ("pinned", "forbidden")})
        scenario["locks"] = {"pinned": "pinned.csv", "forbidden": "forbidden.csv"}  # type: ignore[assignment]
    else:
        files["tables.xlsx"] = _workbook(tables, far)
        scenario["tables"] = "tables.xlsx"
        if defect == "malformed_xml":
            files["tables.xlsx"] = _malformed(files["tables.xlsx"], rng)
    files["scenario.yaml"] = yaml.safe_dump(scenario, sort_keys=False).encode("utf-8")
    files["policy.yaml"] = _yaml_text(policy).encode("utf-8")
    if defect in ("truncated", "byte_flip"):
        target = rng.choice(sorted(files))
        data = bytearray(files[target])
        if defect == "truncated":
            data = data[: rng.randint(0, max(0, len(data) - 1))]
        else:
            for _ in range(rng.randint(1, 8)):
                if data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
        files[target] = bytes(data)
        case.note = target
    case.files = {f"case/{name}": data for name, data in files.items()}
    case.entry = "case"


def _workbook(tables: dict[str, list[list[str]]], far: tuple[int, int] | None) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, grid in tables.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(grid, start=1):
            for c, text in enumerate(row, start=1):
                if text:
                    try:
                        sheet.cell(row=r, column=c, value=text)
                    except Exception:  # openpyxl refuses control characters in cells
                        sheet.cell(row=r, column=c, value=repr(text))
        if far and title == "households":
            sheet.cell(row=far[0], column=far[1], value="x")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _malformed(workbook: bytes, rng: random.Random) -> bytes:
    """The workbook with one sheet's XML broken (cut, garbage, or a bad entity)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    sheets = [n for n in source.namelist() if n.startswith("xl/worksheets/sheet")]
    victim = rng.choice(sheets)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == victim:
                how = rng.choice(["cut", "garbage", "entity", "tag"])
                if how == "cut":
                    data = data[: len(data) // 2]
                elif how == "garbage":
                    data = data.replace(b"<sheetData>", b"<sheetData><<<&&&", 1)
                elif how == "entity":
                    data = data.replace(b"<sheetData>", b"<sheetData>&undefined;", 1)
                else:
                    data = data.replace(b"</row>", b"</rox>", 1)
            target.writestr(name, data)
    return out.getvalue()


def build(form: str, defect: str, seed: int) -> Case:
    """The case (form, defect, seed): the same bytes every time."""
    if form not in FORMS or defect not in defects_for(form):
        raise ValueError(f"no defect {defect!r} in form {form!r}")
    case = Case(form=form, defect=defect, seed=seed)
    rng = random.Random(f"{form}:{defect}:{seed}")
    if form in ("json", "yaml"):
        _tree_case(case, rng)
    else:
        _flat_case(case, rng)
    return case


def corpus(count: int, first_seed: int = 0) -> list[Case]:
    """``count`` cases, every (form, defect) kind in turn, seeds counting up."""
    kinds = all_kinds()
    return [build(*kinds[i % len(kinds)], first_seed + i // len(kinds)) for i in range(count)]


def write_all(cases: list[Case], folder: Path) -> list[Path]:
    paths = []
    for case in cases:
        where = folder / case.name
        if where.exists():
            shutil.rmtree(where)
        paths.append(case.write(where))
    return paths
