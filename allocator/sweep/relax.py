"""How each rule family R2–R8 is switched off for the price-of-rules sweep.

Why a table: "what does rule R cost" is only honest if everyone can see what "off" means.
Each family is relaxed through its policy switches (models/policy.py), which the solver
and the independent checker both read, so a relaxed replay is still checked against the
rules that remain. ``remains`` says what stays in force (soft costs, and R7's one
definitional limit). Scenario transforms (``allocator.sweep.transforms``) stay available
for grids that want to change the households instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

RuleFamily = Literal["R2", "R3", "R4", "R5", "R6", "R7", "R8"]
FAMILIES: tuple[RuleFamily, ...] = ("R2", "R3", "R4", "R5", "R6", "R7", "R8")


@dataclass(frozen=True)
class Relaxation:
    """What "rule family off" means in a sweep."""

    family: RuleFamily
    label: str  # bokmål, for the report
    policy: dict[str, dict[str, Any]]  # deep-merged onto the policy
    remains: str = ""  # bokmål: what stays in force ("" = the whole family is off)


RELAXATIONS: dict[RuleFamily, Relaxation] = {
    "R2": Relaxation(
        "R2",
        "R2 husstandsstørrelse",
        {"occupancy": {"crowding": "off", "bedrooms": "off"}},
        remains="ekstra soverom koster fortsatt i tilpasningsnivået (myk)",
    ),
    "R3": Relaxation(
        "R3",
        "R3 beliggenhet",
        {"location": {"mode": "off"}},
        remains="ønskede bydeler teller fortsatt som myk preferanse",
    ),
    "R4": Relaxation("R4", "R4 skolekrets", {"school": {"mode": "off"}}),
    "R5": Relaxation(
        "R5",
        "R5 spredning",
        {"spread": {"building_cap": "off", "district_quota": "off"}},
        remains="myk belastningsindeks i målfunksjonen gjelder fortsatt",
    ),
    "R6": Relaxation("R6", "R6 skjerming", {"separation": {"mode": "off", "sites": "off"}}),
    "R7": Relaxation(
        "R7",
        "R7 midlertidig bolig for barnefamilier",
        {"temporary": {"mode": "off"}},
        remains="en familie over fristen flyttes ikke til en ny midlertidig bolig (det ville "
        "ikke avslutte oppholdet); brudd telles fortsatt",
    ),
    "R8": Relaxation("R8", "R8 behov og kategorier", {"needs": {"mode": "off"}}),
}


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` merged in, nested dicts merged key by key."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def relax(families: list[RuleFamily] | tuple[RuleFamily, ...]) -> dict[str, Any]:
    """The policy update that switches the families off."""
    update: dict[str, Any] = {}
    for family in families:
        update = deep_merge(update, RELAXATIONS[family].policy)
    return update


def switches(family: RuleFamily) -> str:
    """The family's switches as text, e.g. ``occupancy.crowding: off, ...`` (for reports)."""
    return ", ".join(
        f"{section}.{key}: {value}"
        for section, values in RELAXATIONS[family].policy.items()
        for key, value in values.items()
    )
