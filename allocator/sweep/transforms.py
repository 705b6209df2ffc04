"""Scenario transforms: relax a rule family by changing the households a replay sees.

Why: the policy switches (``location.mode``, ``needs.mode``) turn a rule off for everyone;
a transform changes what the households ask for instead, for grids such as "what if
applicants stated no exclusions". No KPI reads these fields, so the only effect is that
the solver may place households where the rule forbade it. The
transform is applied to the day-0 waiting list and to every weekly arrival *after* it is
drawn, so the random streams (common random numbers) are consumed exactly as without it.

* ``open_location`` (R3): ``excluded_districts`` and ``acceptable_districts`` cleared;
  ``preferred_districts`` kept (a soft preference, not a rule).
* ``drop_needs`` (R8): ``needs.wheelchair``, ``needs.step_free``, ``needs.adapted`` and
  ``max_rent`` cleared. ``needs.staffed`` is kept: the staffed rule runs both ways (staffed
  dwellings only for those who need staff), so clearing it would tighten, not relax.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from allocator.replay.municipality import HouseholdFactory, Municipality
from models import Household

HouseholdTransform = Callable[[Household], Household]


def open_location(h: Household) -> Household:
    """R3 off: no excluded or acceptable districts."""
    if not h.excluded_districts and h.acceptable_districts is None:
        return h
    return h.model_copy(update={"excluded_districts": [], "acceptable_districts": None})


def drop_needs(h: Household) -> Household:
    """R8 off (except staffed): no wheelchair, step-free or adapted need, no rent limit."""
    needs = h.needs.model_copy(update={"wheelchair": False, "step_free": False, "adapted": False})
    return h.model_copy(update={"needs": needs, "max_rent": None})


TRANSFORMS: dict[str, HouseholdTransform] = {
    "open_location": open_location,
    "drop_needs": drop_needs,
}


def compose(names: tuple[str, ...]) -> HouseholdTransform:
    """The named transforms applied in order."""
    fns = [TRANSFORMS[n] for n in names]

    def apply(h: Household) -> Household:
        for fn in fns:
            h = fn(h)
        return h

    return apply


class TransformingFactory(HouseholdFactory):
    """A household factory whose every draw goes through a transform."""

    def __init__(self, inner: HouseholdFactory, transform: HouseholdTransform) -> None:
        super().__init__(inner.cfg, inner.zones, inner.district_ids, inner.district_shares)
        self.transform = transform

    def draw(self, rng: random.Random, hid: str, approved_on: dt.date, **kwargs: Any) -> Household:
        return self.transform(super().draw(rng, hid, approved_on, **kwargs))


@dataclasses.dataclass
class TransformedMunicipality(Municipality):
    """A municipality whose waiting list and arrivals pass through a transform."""

    transform: HouseholdTransform | None = None

    def household_factory(self) -> HouseholdFactory:
        inner = super().household_factory()
        return inner if self.transform is None else TransformingFactory(inner, self.transform)


def apply_transforms(m: Municipality, names: tuple[str, ...]) -> Municipality:
    """``m`` with the named transforms applied (``m`` itself when there are none)."""
    if not names:
        return m
    fn = compose(names)
    fields = {f.name: getattr(m, f.name) for f in dataclasses.fields(Municipality)}
    fields["waiting"] = [fn(h) for h in m.waiting]
    return TransformedMunicipality(**fields, transform=fn)
