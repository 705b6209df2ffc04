"""Benchmark instances: seeded, hashed, reproducible.

`instances.yaml` lists every tier with its generator, seed, sizes, time limit, goals and the
expected SHA-256 of the generated scenario (`allocator.hashing.scenario_sha256`). Small
tiers are committed as JSON under `instances/`; the others are regenerated on every run.
`load_instance` raises `InstanceHashMismatch` when what it built differs from the record,
so a changed generator or data model can never silently change what is measured.

`python -m benchmarks.instances --update [--tiers a,b]` regenerates the committed JSON and
rewrites the recorded hashes (do it on purpose, and say so in the commit).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from allocator.hashing import scenario_sha256
from models.scenario import Scenario

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
INSTANCES_YAML = HERE / "instances.yaml"


class InstanceHashMismatch(RuntimeError):
    """A regenerated or loaded instance is not the one recorded in instances.yaml."""


@dataclass(frozen=True)
class TierSpec:
    """One row of instances.yaml."""

    name: str
    generator: str  # "municipality" | "random_scenario" | "binding_round" | "folder"
    sha256: str | None
    seed: int | None = None
    dwellings: int | None = None
    households: int | None = None
    options: dict[str, Any] = field(default_factory=dict)  # extra generator keywords
    path: str | None = None  # folder tiers: scenario folder, relative to the repo
    file: str | None = None  # committed JSON, relative to benchmarks/
    time_limit_s: float = 30.0
    highs: bool = True
    goals: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        if self.generator == "folder":
            return f"{self.path}"
        return f"{self.generator}(seed={self.seed}, {self.dwellings} × {self.households})"


_KEYS = {
    "generator",
    "sha256",
    "seed",
    "dwellings",
    "households",
    "options",
    "path",
    "file",
    "time_limit_s",
    "highs",
    "goals",
}


def load_specs(path: Path = INSTANCES_YAML) -> dict[str, TierSpec]:
    """Every tier of instances.yaml, in file order."""
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, TierSpec] = {}
    for name, row in tree["tiers"].items():
        unknown = set(row) - _KEYS
        if unknown:
            raise ValueError(f"{path}: tier {name}: unknown keys {sorted(unknown)}")
        out[name] = TierSpec(name=name, **row)
    return out


def generate(spec: TierSpec) -> Scenario:
    """Build the tier's scenario from its generator. The one place to switch generators."""
    if spec.generator == "folder":
        from allocator.io.load import load_scenario

        assert spec.path is not None, f"tier {spec.name}: folder generator needs a path"
        return load_scenario(REPO / spec.path)
    assert spec.seed is not None and spec.dwellings is not None and spec.households is not None
    if spec.generator == "random_scenario":
        from scenarios.random_scenario import random_scenario

        return random_scenario(spec.seed, spec.households, spec.dwellings, **spec.options)
    if spec.generator == "municipality":
        return _municipality(spec)
    if spec.generator == "binding_round":
        from scenarios.binding_round import binding_round

        return binding_round(spec.seed, spec.dwellings, spec.households, **spec.options)
    raise ValueError(f"tier {spec.name}: unknown generator {spec.generator!r}")


def _municipality(spec: TierSpec) -> Scenario:
    """A round of `dwellings` vacancies and `households` waiting, cut from replicas of the
    Drammen-like municipality (scenarios/sized_round.py)."""
    from allocator.replay import municipality

    sized: Callable[..., Scenario] | None = getattr(municipality, "sized_round", None)
    if sized is None:
        from scenarios.sized_round import sized_round

        sized = sized_round
    assert spec.seed is not None and spec.dwellings is not None and spec.households is not None
    return sized(spec.seed, spec.dwellings, spec.households, **spec.options)


def dump(scenario: Scenario, path: Path) -> None:
    """Write the scenario without its policy as JSON, one record per line (diffable)."""
    tree = scenario.model_dump(mode="json", exclude={"policy"}, exclude_defaults=True)
    lines = ["{"]
    items = list(tree.items())
    for k, (key, value) in enumerate(items):
        end = "," if k < len(items) - 1 else ""
        if isinstance(value, list) and value:
            rows = ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in value)
            lines.append(f"{json.dumps(key)}: [\n{rows}\n]{end}")
        elif isinstance(value, dict) and value:
            inner = ",\n".join(
                f"  {json.dumps(kk)}: " + json.dumps(vv, ensure_ascii=False)
                for kk, vv in value.items()
            )
            lines.append(f"{json.dumps(key)}: {{\n{inner}\n}}{end}")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{end}")
    lines.append("}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_instance(spec: TierSpec, *, regenerate: bool = False) -> Scenario:
    """The tier's scenario (committed JSON when there is one, unless `regenerate`), checked
    against the recorded hash. Raises InstanceHashMismatch, naming both hashes."""
    if spec.file is not None and not regenerate:
        from allocator.io.load import load_scenario

        scenario = load_scenario(HERE / spec.file)
        source = f"benchmarks/{spec.file}"
    else:
        scenario = generate(spec)
        source = spec.describe()
    got = scenario_sha256(scenario)
    if spec.sha256 is None or got != spec.sha256:
        raise InstanceHashMismatch(
            f"tier {spec.name}: {source} hashes to {got}, instances.yaml records "
            f"{spec.sha256}. The generator, the data model or the file changed; if that is "
            "intended, run `python -m benchmarks.instances --update` and commit the result."
        )
    return scenario


def update(names: Sequence[str] | None = None, path: Path = INSTANCES_YAML) -> dict[str, str]:
    """Regenerate committed JSON and rewrite the hashes in instances.yaml (text edit, so
    comments stay). Returns tier -> new hash."""
    specs = load_specs(path)
    text = path.read_text(encoding="utf-8")
    hashes: dict[str, str] = {}
    for name in names or list(specs):
        spec = specs[name]
        scenario = generate(spec)
        if spec.file is not None:
            dump(scenario, HERE / spec.file)
        new = scenario_sha256(scenario)
        hashes[name] = new
        text = _set_hash(text, name, spec.sha256, new)
    path.write_text(text, encoding="utf-8")
    return hashes


def _set_hash(text: str, tier: str, old: str | None, new: str) -> str:
    lines = text.splitlines(keepends=True)
    inside = False
    for i, line in enumerate(lines):
        if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":"):
            inside = line.strip()[:-1] == tier
        elif inside and line.strip().startswith("sha256:"):
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = f"{indent}sha256: {new}\n"
            return "".join(lines)
    raise ValueError(f"instances.yaml: no sha256 line for tier {tier} (had {old})")


def _main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instances",
        description="Check or regenerate the benchmark instances.",
    )
    parser.add_argument("--tiers", default=None, help="comma-separated tiers (default: all)")
    parser.add_argument(
        "--update",
        action="store_true",
        help="regenerate committed JSON and rewrite the recorded hashes",
    )
    args = parser.parse_args(argv)
    names = args.tiers.split(",") if args.tiers else None
    if args.update:
        for name, sha in update(names).items():
            print(f"{name}: {sha}")
        return
    specs = load_specs()
    failed = False
    for name in names or list(specs):
        for regenerate in [False, True] if specs[name].file else [True]:
            try:
                load_instance(specs[name], regenerate=regenerate)
                print(f"{name}: OK ({'regenerated' if regenerate else specs[name].file})")
            except InstanceHashMismatch as error:
                print(f"FAIL {error}")
                failed = True
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    _main()
