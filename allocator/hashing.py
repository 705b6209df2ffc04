"""Input and policy fingerprints recorded in every output (determinism and audit)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from models.policy import Policy
from models.scenario import Scenario


def _sha256(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_sha256(scenario: Scenario) -> str:
    """Hash of the scenario's data without its policy: the same data read from CSV, Excel,
    JSON or YAML gives the same hash. Fields left at their documented defaults are left
    out, so a field added to the data contract later does not change old inputs' hashes."""
    return _sha256(scenario.model_dump(mode="json", exclude={"policy"}, exclude_defaults=True))


def policy_sha256(policy: Policy) -> str:
    return _sha256(policy.model_dump(mode="json"))


def run_id(input_sha: str, policy_sha: str, method: str) -> str:
    """Stable run id: the same input, policy and method give the same id (idempotent)."""
    return hashlib.sha256(f"{input_sha}:{policy_sha}:{method}".encode()).hexdigest()[:16]
