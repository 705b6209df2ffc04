"""The sweep grid: policies x seeds x scenarios, read from a YAML file (see docs/sweep.md).

Why the driver loads everything up front: a typo in the grid, a missing file or an invalid
policy is bad input (exit 2) before any cell runs, and each cell then carries its whole
input (the validated policy and the municipality config or scenario), so workers on a
real cluster need the package but not the files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from allocator.io.load import load_scenario
from allocator.replay.municipality import DEFAULT_CONFIG, load_config
from allocator.replay.policies import resolve
from allocator.replay.runner import DEFAULT_TIME_LIMIT_S
from allocator.replay.source import from_scenario, municipality_file
from allocator.sweep.cell import Cell, Source
from allocator.sweep.relax import FAMILIES, RuleFamily, deep_merge, relax
from allocator.sweep.transforms import TRANSFORMS
from models import Policy
from models.problems import InputError, Problem

ROOT = Path(__file__).resolve().parents[2]
PRICE_OF_RULES = ROOT / "sweeps" / "price_of_rules.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyEntry(_Strict):
    """One policy of the grid: a base, rule families relaxed, overrides, transforms."""

    name: str = Field(..., min_length=1, pattern=r"^[A-Za-z0-9_.+-]+$")
    base: str = "default"  # 'default', 'greedy' or a policy YAML file (relative to the grid)
    relax: list[RuleFamily] = Field(default_factory=list)
    set: dict[str, Any] = Field(default_factory=dict)  # deep-merged onto the policy
    transforms: list[str] = Field(default_factory=list)
    method: Literal["cp-sat", "greedy"] | None = None

    @model_validator(mode="after")
    def _known(self) -> PolicyEntry:
        unknown = set(self.transforms) - set(TRANSFORMS)
        if unknown:
            raise ValueError(f"unknown transforms {sorted(unknown)}; known: {sorted(TRANSFORMS)}")
        return self


class ScenarioEntry(_Strict):
    """A municipality config (kind: municipality) or a plain scenario (file or folder)."""

    name: str = Field(..., min_length=1, pattern=r"^[A-Za-z0-9_.+-]+$")
    path: str
    config: str | None = None  # flow config for a plain scenario (default drammen.yaml)


class SeedRange(_Strict):
    start: int = Field(0, ge=0)
    count: int = Field(..., ge=1, le=10_000)


class GridFile(_Strict):
    """The YAML file's tree."""

    name: str = Field(..., min_length=1, pattern=r"^[A-Za-z0-9_.+-]+$")
    description: str = ""
    weeks: int = Field(52, ge=1, le=520)
    seeds: list[int] | SeedRange
    scenarios: list[ScenarioEntry | str] = Field(..., min_length=1)
    policies: list[PolicyEntry | str] = Field(..., min_length=1)
    baseline: str | None = None  # the policy the report compares against (default: first)
    time_limit_s: float = Field(DEFAULT_TIME_LIMIT_S, gt=0)
    solver_workers: int = Field(1, ge=1, le=64)

    def seed_list(self) -> list[int]:
        if isinstance(self.seeds, SeedRange):
            return list(range(self.seeds.start, self.seeds.start + self.seeds.count))
        return list(self.seeds)


@dataclass(frozen=True, eq=False)
class Grid:
    """A resolved grid: every policy validated, every scenario loaded."""

    name: str
    description: str
    weeks: int
    seeds: list[int]
    sources: list[Source]
    policies: list[tuple[PolicyEntry, Policy, str]]  # (entry, policy, method)
    baseline: str
    time_limit_s: float
    solver_workers: int
    path: str = ""

    def cells(self) -> list[Cell]:
        """Scenario-major, then policy, then seed (the order results are reported in)."""
        return [
            Cell(
                policy=entry.name,
                method=method,
                rules=policy,
                relaxed=tuple(entry.relax),
                transforms=self._transforms(entry),
                seed=seed,
                source=source,
                weeks=self.weeks,
                time_limit_s=self.time_limit_s,
                solver_workers=self.solver_workers,
            )
            for source in self.sources
            for entry, policy, method in self.policies
            for seed in self.seeds
        ]

    @staticmethod
    def _transforms(entry: PolicyEntry) -> tuple[str, ...]:
        return tuple(dict.fromkeys(entry.transforms))

    def with_overrides(
        self,
        *,
        weeks: int | None = None,
        seeds: int | None = None,
        time_limit_s: float | None = None,
    ) -> Grid:
        """The grid with fewer/more weeks or seeds 0..N-1 (CLI overrides)."""
        return Grid(
            self.name,
            self.description,
            weeks or self.weeks,
            list(range(seeds)) if seeds else self.seeds,
            self.sources,
            self.policies,
            self.baseline,
            time_limit_s or self.time_limit_s,
            self.solver_workers,
            self.path,
        )

    def describe(self) -> dict[str, Any]:
        """The grid as run (for sweep.json and the report)."""
        return {
            "name": self.name,
            "description": self.description,
            "path": self.path,
            "weeks": self.weeks,
            "seeds": self.seeds,
            "baseline": self.baseline,
            "time_limit_s": self.time_limit_s,
            "solver_workers": self.solver_workers,
            "scenarios": [
                {"name": s.name, "path": s.path, "digest": s.digest} for s in self.sources
            ],
            "policies": [
                {
                    "name": e.name,
                    "base": e.base,
                    "method": m,
                    "relax": e.relax,
                    "set": e.set,
                    "transforms": list(self._transforms(e)),
                }
                for e, _, m in self.policies
            ],
        }


def _problems(path: Path, error: ValidationError) -> InputError:
    return InputError(
        [
            Problem(
                file=str(path),
                location=".".join(map(str, e["loc"])),
                field=str(e["loc"][-1]) if e["loc"] else "",
                value=e.get("input"),
                expected=e["msg"],
            )
            for e in error.errors()
        ]
    )


def load_grid(path: Path) -> Grid:
    """Read and resolve a grid YAML file; raises InputError listing every problem."""
    path = Path(path)
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        spec = GridFile.model_validate(tree)
    except OSError as error:
        raise InputError(
            [Problem(file=str(path), expected=f"a readable grid file ({error})")]
        ) from None
    except yaml.YAMLError as error:
        raise InputError([Problem(file=str(path), expected=f"valid YAML ({error})")]) from None
    except ValidationError as error:
        raise _problems(path, error) from None
    return resolve_grid(spec, path.parent, str(path))


def _under(where: str, error: InputError) -> list[Problem]:
    """The error's problems, located under the grid entry `where` (e.g. ``policies.2``)."""
    return [
        p.model_copy(update={"location": f"{where} {p.location}".strip()}) for p in error.problems
    ]


def resolve_grid(spec: GridFile, folder: Path, origin: str = "") -> Grid:
    """Load every scenario and build every policy of ``spec`` (paths relative to folder)."""
    problems: list[Problem] = []
    sources: list[Source] = []
    for k, item in enumerate(spec.scenarios):
        entry = (
            item
            if isinstance(item, ScenarioEntry)
            else ScenarioEntry(name=Path(item).stem, path=item)
        )
        try:
            sources.append(load_source_spec(entry, folder))
        except InputError as error:
            problems += _under(f"scenarios.{k}", error)
    policies: list[tuple[PolicyEntry, Policy, str]] = []
    for k, raw in enumerate(spec.policies):
        policy_entry = (
            raw if isinstance(raw, PolicyEntry) else PolicyEntry(name=Path(raw).stem, base=raw)
        )
        try:
            policies.append(build_policy(policy_entry, folder))
        except InputError as error:
            problems += _under(f"policies.{k}", error)
    names = [e.name for e, _, _ in policies]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(
            Problem(file=origin, field="name", value=name, expected="unique policy names")
        )
    snames = [s.name for s in sources]
    for name in {n for n in snames if snames.count(n) > 1}:
        problems.append(
            Problem(file=origin, field="name", value=name, expected="unique scenario names")
        )
    baseline = spec.baseline or (names[0] if names else "")
    if names and baseline not in names:
        problems.append(
            Problem(
                file=origin,
                field="baseline",
                value=baseline,
                expected=f"one of the policy names {names}",
            )
        )
    if problems:
        raise InputError(problems)
    return Grid(
        spec.name,
        spec.description,
        spec.weeks,
        spec.seed_list(),
        sources,
        policies,
        baseline,
        spec.time_limit_s,
        spec.solver_workers,
        origin,
    )


def build_policy(entry: PolicyEntry, folder: Path) -> tuple[PolicyEntry, Policy, str]:
    """(entry, the validated Policy, the method) for one grid policy."""
    base = entry.base
    if base not in ("default", "greedy"):
        base = str((folder / base) if not Path(base).is_absolute() else Path(base))
    spec = resolve(base)
    update = relax(entry.relax)
    tree = deep_merge(spec.policy.model_dump(mode="python"), update)
    tree = deep_merge(tree, entry.set)
    tree["name"] = entry.name
    try:
        policy = Policy.model_validate(tree)
    except ValidationError as error:
        raise _problems(Path(base), error) from None
    return entry, policy, entry.method or spec.method


def load_source_spec(entry: ScenarioEntry, folder: Path) -> Source:
    """The scenario's input, validated, with a digest of its content (not its path)."""
    path = Path(entry.path)
    path = path if path.is_absolute() else folder / path
    if not path.exists():
        raise InputError(
            [
                Problem(
                    file=str(path),
                    field="path",
                    value=entry.path,
                    expected="an existing municipality config or scenario",
                )
            ]
        )
    found = municipality_file(path)
    try:
        if found is not None:
            cfg = load_config(found)
            scenario = None
        else:
            scenario = load_scenario(path)
            cfg = load_config(_relative(entry.config, folder) or DEFAULT_CONFIG)
            from_scenario(scenario, cfg, 0)  # fails here, not in every cell
    except ValidationError as error:
        raise _problems(path, error) from None
    tree = {
        "config": cfg.model_dump(mode="json"),
        "scenario": None if scenario is None else scenario.model_dump(mode="json"),
    }
    digest = hashlib.sha256(json.dumps(tree, sort_keys=True).encode()).hexdigest()
    return Source(entry.name, str(path), cfg, scenario, digest)


def _relative(path: str | None, folder: Path) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    return p if p.is_absolute() else folder / p


def price_of_rules_grid() -> Grid:
    """The built-in grid: baseline plus one relaxed family at a time (R2–R8)."""
    return load_grid(PRICE_OF_RULES)


__all__ = [
    "FAMILIES",
    "Grid",
    "GridFile",
    "PolicyEntry",
    "ScenarioEntry",
    "load_grid",
    "price_of_rules_grid",
    "resolve_grid",
]
