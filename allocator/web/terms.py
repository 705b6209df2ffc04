"""What an offer letter promises; the municipality sets these (docs/web.md, environment
variables ``ALLOCATOR_MUNICIPALITY``, ``ALLOCATOR_HOUSING_SERVICE``, ``ALLOCATOR_ANSWER_DAYS``,
``ALLOCATOR_LEASE_YEARS``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LetterTerms:
    municipality: str = "Kommunen"
    service: str = "Boligtjenesten"
    answer_days: int = 7
    #: Usual first lease (husleieloven § 9-3).
    lease_years: int = 3
    #: Appeal deadline for a lapsed approval (forvaltningsloven § 29).
    appeal_weeks: int = 3
