"""The groups an equal-treatment audit compares (likebehandling), with their bokmål names.

Why one table: the replay and sweep reports, ``fairness.csv`` and the R10 group-share
floor (policy ``fairness.group_share``, issue 19 item 3) must mean the same
households by "barnefamilier" or "flyktninger". A group is a test on the household as
approved (its record when it entered the list) and, where the caller knows it, the
district it lives in now (``origin``; the data contract has no such field, so only the
replay's generator supplies it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from models.scenario import District, Household, SituationKind, SubstanceUse

GroupTest = Callable[[Household, str | None], bool]

#: Dimension -> bokmål heading, in report order.
DIMENSIONS: dict[str, str] = {
    "all": "Alle",
    "household": "Husstandstype",
    "substance": "Rus",
    "refugee": "Flyktninger",
    "needs": "Behov",
    "priority": "Prioritet",
    "situation": "Situasjon ved vedtak",
    "origin": "Bydel husstanden bor i nå",
}

#: Situation kinds in bokmål (a kind missing here falls back to its code).
SITUATION_LABELS: dict[str, str] = {
    "homeless": "bostedsløse",
    "temporary": "i midlertidig botilbud",
    "institution": "i institusjon",
    "prison": "i fengsel",
    "crisis_centre": "på krisesenter",
    "unsuitable": "i uegnet bolig",
    "refugee": "flyktninger",
    "other": "annen situasjon",
}

REFUGEE = "refugee"  # SituationKind.refugee once the data contract has it


@dataclass(frozen=True)
class Group:
    """A named set of households: ``key`` is stable (files, policy), ``label`` bokmål."""

    key: str
    dimension: str
    label: str
    test: GroupTest

    def has(self, household: Household, origin: str | None = None) -> bool:
        return self.test(household, origin)


def is_refugee(h: Household) -> bool:
    """``situation.kind == refugee``; false while the data contract has no such kind."""
    return h.situation.kind.value == REFUGEE


def _situation(kind: str) -> GroupTest:
    return lambda h, _: h.situation.kind.value == kind


def _priority(level: int) -> GroupTest:
    return lambda h, _: h.priority == level


def _origin(district: str | None) -> GroupTest:
    return lambda _, origin: origin == district


ALL = Group("all", "all", "alle husstander", lambda h, _: True)

#: The groups every audit shows, whatever the municipality.
CORE: tuple[Group, ...] = (
    ALL,
    Group("families", "household", "barnefamilier", lambda h, _: h.is_family),
    Group(
        "single_adults",
        "household",
        "enslige voksne",
        lambda h, _: h.adults == 1 and not h.children,
    ),
    Group(
        "active_use", "substance", "aktiv rus", lambda h, _: h.substance_use is SubstanceUse.active
    ),
    Group(
        "recovery",
        "substance",
        "rusfri / i bedring",
        lambda h, _: h.substance_use is SubstanceUse.recovery,
    ),
    Group("refugees", "refugee", "flyktninger", lambda h, _: is_refugee(h)),
    Group("wheelchair", "needs", "rullestolbrukere", lambda h, _: h.needs.wheelchair),
    *(Group(f"priority_{q}", "priority", f"prioritet {q}", _priority(q)) for q in (1, 2, 3)),
    *(
        Group(
            f"situation_{k.value}",
            "situation",
            SITUATION_LABELS.get(k.value, k.value),
            _situation(k.value),
        )
        for k in SituationKind
        if k.value != REFUGEE
    ),  # refugees have their own row
)


def groups_for(
    districts: Sequence[District] = (), *, origin_known: bool = False, origin_unknown: bool = False
) -> list[Group]:
    """The core groups, plus one per district of origin when the caller knows origins
    (and a 'bydel ukjent' group when some households have none)."""
    out = list(CORE)
    if origin_known:
        out += [Group(f"origin_{d.id}", "origin", d.name or d.id, _origin(d.id)) for d in districts]
    if origin_known and origin_unknown:
        out.append(Group("origin_unknown", "origin", "bydel ukjent", _origin(None)))
    return out


def group_by_key(groups: Sequence[Group], key: str) -> Group:
    """The group named ``key``; KeyError names the keys there are."""
    for g in groups:
        if g.key == key:
            return g
    raise KeyError(f"unknown group {key!r}; known: {', '.join(g.key for g in groups)}")
