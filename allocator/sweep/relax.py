"""How each rule family R2–R8 is switched off for the price-of-rules sweep.

Why a table: "what does rule R cost" is only honest if everyone can see what "off" means.
Each family is relaxed through the policy switches that exist (models/policy.py). Where a
family's hard part has no switch, it is relaxed through a *scenario transform* on the
households of the replay (``allocator.sweep.transforms``), and where neither is honest the
part stays on; ``remains`` says what is still enforced and ``needs_switch`` names the
policy switch the solver would need for a full relaxation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

RuleFamily = Literal["R2", "R3", "R4", "R5", "R6", "R7", "R8"]
FAMILIES: tuple[RuleFamily, ...] = ("R2", "R3", "R4", "R5", "R6", "R7", "R8")

#: Large enough that no dwelling in any table exceeds the bedroom band.
NO_BEDROOM_CAP = 20
#: Older than any main applicant: youth dwellings open to every age.
NO_YOUTH_AGE_LIMIT = 150


@dataclass(frozen=True)
class Relaxation:
    """What "rule family off" means in a sweep."""

    family: RuleFamily
    label: str  # bokmål, for the report
    policy: dict[str, Any]  # deep-merged onto the policy
    transforms: tuple[str, ...] = ()  # scenario transforms (allocator.sweep.transforms)
    remains: str = ""  # bokmål: what stays enforced ("" = the whole family is off)
    needs_switch: str = ""  # English: the policy switch a full relaxation needs


RELAXATIONS: dict[RuleFamily, Relaxation] = {
    "R2": Relaxation(
        "R2", "R2 husstandsstørrelse",
        {"occupancy": {"crowding": "off", "max_extra_bedrooms": NO_BEDROOM_CAP}},
        remains="minste antall soverom gjelder fortsatt",
        needs_switch="occupancy.bedrooms: hard|off (drop bedrooms >= bedrooms_needed)"),
    "R3": Relaxation(
        "R3", "R3 beliggenhet", {}, transforms=("open_location",),
        remains="ønskede bydeler teller fortsatt som myk preferanse; slått av via "
                "scenariotransformasjon (utelukkede/akseptable bydeler tømmes)",
        needs_switch="location.mode: hard|off (ignore excluded/acceptable districts)"),
    "R4": Relaxation("R4", "R4 skolekrets", {"school": {"mode": "off"}}),
    "R5": Relaxation(
        "R5", "R5 spredning",
        {"spread": {"building_cap": "off", "district_quota": "off"}},
        remains="myk belastningsindeks i målfunksjonen gjelder fortsatt"),
    "R6": Relaxation(
        "R6", "R6 skjerming", {"separation": {"mode": "off"}},
        remains="stedsprofil (rus/i bedring), kjønnsdelte bygg og aldersgrenser gjelder "
                "fortsatt",
        needs_switch="separation.sites: hard|off (site profile, gender and age bands)"),
    "R7": Relaxation(
        "R7", "R7 midlertidig bolig for barnefamilier",
        {"temporary": {"allow_families": True}},
        remains="fristnivået (due-familier først) gjelder fortsatt; bare forbudet mot "
                "barnefamilier i midlertidig bolig er slått av",
        needs_switch="temporary.mode: hard|off (drop the deadline tier, still report "
                     "breaches against max_days)"),
    "R8": Relaxation(
        "R8", "R8 behov og kategorier",
        {"youth_max_age": NO_YOUTH_AGE_LIMIT}, transforms=("drop_needs",),
        remains="bemannede boliger er fortsatt bare for husstander som trenger bemanning "
                "(regelen går begge veier); rullestol, trinnfri, tilrettelagt og "
                "husleiegrense slått av via scenariotransformasjon",
        needs_switch="needs.mode: hard|off (wheelchair, step-free, staffed, adapted, "
                     "rent limit)"),
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


def relax(families: list[RuleFamily] | tuple[RuleFamily, ...]
          ) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(policy update, scenario transforms) that switch the families off."""
    update: dict[str, Any] = {}
    transforms: list[str] = []
    for family in families:
        r = RELAXATIONS[family]
        update = deep_merge(update, r.policy)
        transforms += [t for t in r.transforms if t not in transforms]
    return update, tuple(transforms)
