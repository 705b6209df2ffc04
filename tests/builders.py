"""Tiny, readable scenarios for solver tests: every field has a dull default, so a test
states only what matters to the rule it is about."""

from __future__ import annotations

from typing import Any

from models.scenario import Scenario

AS_OF = "2026-11-23"


def district(id: str, **kw: Any) -> dict[str, Any]:
    return {"id": id, "name": id, **kw}


def building(id: str, district: str = "D1", units: int = 20, **kw: Any) -> dict[str, Any]:
    return {"id": id, "district": district, "units": units, **kw}


def dwelling(id: str, building: str = "B1", bedrooms: int = 1, **kw: Any) -> dict[str, Any]:
    base = {
        "id": id,
        "building": building,
        "bedrooms": bedrooms,
        "rooms": bedrooms + 1,
        "area_m2": 30.0 + 20 * bedrooms,
        "rent": 8000,
        "available_from": "2026-12-01",
    }
    return {**base, **kw}


def household(
    id: str,
    approved_on: str = "2026-01-01",
    adults: int = 1,
    age: int = 40,
    gender: str = "female",
    **kw: Any,
) -> dict[str, Any]:
    return {
        "id": id,
        "approved_on": approved_on,
        "adults": adults,
        "main_applicant": {"age": age, "gender": gender},
        **kw,
    }


def scenario(
    *,
    districts: list | None = None,
    buildings: list | None = None,
    dwellings: list,
    households: list,
    policy: dict | None = None,
    **kw: Any,
) -> Scenario:
    data = {
        "as_of": AS_OF,
        "policy": policy or {"solver": {"workers": 8, "time_limit_s": 20}},
        "districts": districts if districts is not None else [district("D1"), district("D2")],
        "buildings": buildings if buildings is not None else [building("B1"), building("B2", "D2")],
        "dwellings": dwellings,
        "households": households,
        **kw,
    }
    return Scenario.model_validate(data)


def assignment(proposal: Any) -> dict[str, str]:
    """household -> dwelling of a proposal."""
    return {m.household: m.dwelling for m in proposal.matches}
