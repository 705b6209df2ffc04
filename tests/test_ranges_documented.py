"""Every number and date of the data contract has a range, and docs/hardening.md lists
each one as the models state it (the table is the documentation users read)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import annotated_types as at
from pydantic import BaseModel

from allocator.io.fields import Spec, leaf_columns
from models.policy import Policy
from models.scenario import (
    ArrivalRate,
    Building,
    Child,
    District,
    Dwelling,
    ExpectedHousehold,
    ExpectedVacancy,
    Forecast,
    Household,
    Scenario,
    SchoolAccess,
    SchoolZone,
    VacancyRate,
)

DOC = Path(__file__).parent.parent / "docs" / "hardening.md"
TABLES: list[tuple[type[BaseModel], str]] = [
    (District, "districts[]."),
    (Building, "buildings[]."),
    (Dwelling, "dwellings[]."),
    (Household, "households[]."),
    (Child, "households[].children[]."),
    (SchoolAccess, "school_access[]."),
    (SchoolZone, "school_zones[]."),
    (ExpectedVacancy, "expected_vacancies[]."),
    (ExpectedHousehold, "expected_households[]."),
    (Forecast, "forecast."),
    (VacancyRate, "forecast.vacancies[]."),
    (ArrivalRate, "forecast.arrivals[]."),
    (Policy, "policy."),
]
#: Fields these records share with one listed above (same ranges): not repeated.
SHARED: dict[type[BaseModel], type[BaseModel]] = {
    ExpectedVacancy: Dwelling,
    ExpectedHousehold: Household,
}
NESTED = ("dwelling.", "household.")


def _bound(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return f"{value:,}".replace(",", " ") if isinstance(value, int) else f"{value:g}"


def numeric_fields() -> Iterator[tuple[str, Spec]]:
    yield "as_of", leaf_columns(Scenario)["as_of"]
    for model, prefix in TABLES:
        shared = set(leaf_columns(SHARED[model])) if model in SHARED else set()
        for name, spec in leaf_columns(model).items():
            if name in shared or name.startswith(NESTED):
                continue
            if spec.kind in ("int", "float", "date"):
                yield prefix + name, spec
            elif spec.kind == "dict" and spec.item is not None:
                yield prefix + name + ".*", spec.item


def row(name: str, spec: Spec) -> str:
    """The start of the field's row in the table: name, lower and upper bound."""
    low = next(
        (f"≥ {_bound(b.ge)}" for b in spec.bounds if isinstance(b, at.Ge)),
        next((f"> {_bound(b.gt)}" for b in spec.bounds if isinstance(b, at.Gt)), ""),
    )
    high = next((f"≤ {_bound(b.le)}" for b in spec.bounds if isinstance(b, at.Le)), "")
    return f"| `{name}` | {low} | {high} |"


def test_every_number_and_date_has_both_bounds() -> None:
    for name, spec in numeric_fields():
        kinds = {type(b) for b in spec.bounds}
        assert kinds & {at.Ge, at.Gt} and kinds & {at.Le, at.Lt}, name


def test_the_ranges_table_matches_the_models() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [row(name, spec) for name, spec in numeric_fields() if row(name, spec) not in text]
    assert not missing, "docs/hardening.md lacks or misstates:\n" + "\n".join(missing)
