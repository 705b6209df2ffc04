"""Which policies a replay compares: ``default``, ``greedy`` or a policy YAML file.

Why the overrides: a replay solves 52 small rounds per policy, so the solver settings that
suit one meeting's round (30 s, 2 workers, 3 alternates) would cost minutes. The replay
sets a per-round time limit, one worker (these rounds are proven optimal fastest on one
worker, and one worker is deterministic) and no alternates (the replay does not use them;
a declined dwelling returns to the next round). The rule settings are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from allocator.solve import Method
from models.policy import Policy
from models.problems import InputError, Problem

BUILTIN = ("default", "greedy")
#: Look-ahead of the built-in `lookahead` policy: weeks ahead and sampled futures.
LOOKAHEAD_WEEKS = 13
LOOKAHEAD_FUTURES = 16
#: ... and the weeks past its free day a dwelling is kept empty for the futures at most
#: (benchmarks/README.md, issue 14: 2, 4 and 8 weeks close the same share of the gap in
#: days over the 3-month cap; 2 weeks leaves the fewest vacancy days).
LOOKAHEAD_KEEP_WEEKS = 2


@dataclass(frozen=True)
class PolicySpec:
    """A named policy and the method that applies it."""

    name: str
    policy: Policy
    method: Method
    source: str


def resolve(spec: str) -> PolicySpec:
    """``default`` (the default Policy, CP-SAT), ``greedy`` (the manual-meeting baseline
    with the default Policy), ``lookahead`` (the default Policy with 13 weeks of look-ahead
    over 16 sampled futures, dwellings kept at most 2 weeks past their free day),
    ``hindsight`` (the year's offline optimum, the reference no policy can beat),
    ``no_transfers`` (the default Policy with `transfers.enabled: false`)
    or a path to a policy YAML/JSON file (CP-SAT)."""
    if spec == "default":
        return PolicySpec("default", Policy(), "cp-sat", "default")
    if spec == "greedy":
        return PolicySpec("greedy", Policy(name="greedy"), "greedy", "greedy")
    if spec == "hindsight":
        # Not a weekly policy: the year planned with every event known (hindsight.py).
        return PolicySpec("hindsight", Policy(name="hindsight"), "cp-sat", "hindsight")
    if spec == "lookahead":
        policy = Policy(
            name="lookahead",
            lookahead={
                "weeks": LOOKAHEAD_WEEKS,
                "futures": LOOKAHEAD_FUTURES,
                "keep_weeks": LOOKAHEAD_KEEP_WEEKS,
            },
        )
        return PolicySpec("lookahead", policy, "cp-sat", "lookahead")
    if spec == "no_transfers":
        # The default policy with transfers switched off (issue 15): tenants who apply
        # stay where they are, on the same events, for the with/without comparison.
        policy = Policy(name="no_transfers", transfers={"enabled": False})
        return PolicySpec("no_transfers", policy, "cp-sat", "no_transfers")
    path = Path(spec)
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    file=spec,
                    field="--policy",
                    value=spec,
                    expected="'default', 'greedy', 'lookahead', 'hindsight', 'no_transfers' "
                    "or a policy YAML file",
                )
            ]
        )
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        policy = Policy.model_validate(tree)
    except yaml.YAMLError as error:
        raise InputError([Problem(file=spec, expected=f"valid YAML ({error})")]) from None
    except ValidationError as error:
        raise InputError(
            [
                Problem(
                    file=spec,
                    location=".".join(map(str, e["loc"])),
                    field=str(e["loc"][-1]) if e["loc"] else "",
                    value=e.get("input"),
                    expected=e["msg"],
                )
                for e in error.errors()
            ]
        ) from None
    return PolicySpec(path.stem, policy, "cp-sat", str(path))


def resolve_all(specs: list[str] | tuple[str, ...]) -> list[PolicySpec]:
    """Every policy, with unique names (a repeated name gets -2, -3, ...)."""
    out: list[PolicySpec] = []
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for spec in specs or BUILTIN:
        try:
            p = resolve(spec)
        except InputError as error:
            problems += error.problems
            continue
        seen[p.name] = seen.get(p.name, 0) + 1
        if seen[p.name] > 1:
            p = PolicySpec(f"{p.name}-{seen[p.name]}", p.policy, p.method, p.source)
        out.append(p)
    if problems:
        raise InputError(problems)
    return out


def for_replay(policy: Policy, *, time_limit_s: float, workers: int) -> Policy:
    """The policy with the replay's solver settings (see module docstring)."""
    solver = policy.solver.model_copy(
        update={"time_limit_s": time_limit_s, "workers": workers, "alternates": 0}
    )
    return policy.model_copy(update={"solver": solver})
