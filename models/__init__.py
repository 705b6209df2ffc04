"""Pydantic domain models: the data contract of DOMAIN.md §5."""

from models.policy import Policy
from models.problems import InputError, Problem
from models.proposal import Proposal
from models.scenario import (
    Building,
    Category,
    Child,
    District,
    Dwelling,
    ExpectedHousehold,
    ExpectedVacancy,
    Household,
    Locks,
    Profile,
    Scenario,
    SchoolAccess,
    SchoolZone,
    SituationKind,
    SubstanceUse,
)

__all__ = [
    "Building",
    "Category",
    "Child",
    "District",
    "Dwelling",
    "ExpectedHousehold",
    "ExpectedVacancy",
    "Household",
    "InputError",
    "Locks",
    "Policy",
    "Problem",
    "Profile",
    "Proposal",
    "Scenario",
    "SchoolAccess",
    "SchoolZone",
    "SituationKind",
    "SubstanceUse",
]
