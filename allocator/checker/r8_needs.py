"""R8 needs and dwelling categories: wheelchair, step-free, staffed, adapted, youth, rent.

All off when ``needs.mode`` is off."""

from __future__ import annotations

from allocator.checker import facts
from allocator.checker.base import PairRule
from allocator.checker.context import Context
from models.policy import Policy
from models.scenario import Category, Dwelling, Household


def _on(policy: Policy) -> bool:
    """R8 is checked unless ``needs.mode`` is off (analysts' what-if)."""
    return policy.needs.mode == "hard"


def wheelchair(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R8: a wheelchair user gets a wheelchair dwelling."""
    if not _on(ctx.policy):
        return None
    if not h.needs.wheelchair or d.wheelchair:
        return None
    return f"household {h.id} needs a wheelchair dwelling; dwelling {d.id} is not one"


def step_free(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R8: step-free means an elevator or a known floor <= 1."""
    if not _on(ctx.policy):
        return None
    if not h.needs.step_free or facts.step_free_access(d):
        return None
    floor = "an unknown floor" if d.floor is None else f"floor {d.floor}"
    return (
        f"household {h.id} needs step-free access; dwelling {d.id} is on {floor} "
        f"without an elevator"
    )


def staffed(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R8: staffed dwellings are exactly for households that need staff."""
    if not _on(ctx.policy):
        return None
    is_staffed = d.category is Category.staffed
    if h.needs.staffed == is_staffed:
        return None
    if h.needs.staffed:
        return f"household {h.id} needs a staffed dwelling; dwelling {d.id} is {d.category.value}"
    return f"dwelling {d.id} is staffed and household {h.id} does not need staff"


def adapted(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R8: a household needing an adapted dwelling gets category ``adapted``."""
    if not _on(ctx.policy):
        return None
    if not h.needs.adapted or d.category is Category.adapted:
        return None
    return f"household {h.id} needs an adapted dwelling; dwelling {d.id} is {d.category.value}"


def youth(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R8: youth dwellings take main applicants aged ``<= youth_max_age``."""
    if not _on(ctx.policy):
        return None
    limit = ctx.policy.youth_max_age
    if d.category is not Category.youth or h.main_applicant.age <= limit:
        return None
    return (
        f"dwelling {d.id} is a youth dwelling (up to age {limit}); the main applicant of "
        f"household {h.id} is {h.main_applicant.age}"
    )


def rent_limit(ctx: Context, h: Household, d: Dwelling) -> str | None:
    """R8: rent within the household's Nav rent limit, when one is set."""
    if not _on(ctx.policy):
        return None
    if h.max_rent is None or d.rent <= h.max_rent:
        return None
    return f"dwelling {d.id} rents for {d.rent:g}; household {h.id} may pay at most {h.max_rent:g}"


PAIR_RULES = (
    PairRule("R8", "wheelchair", wheelchair),
    PairRule("R8", "step_free", step_free),
    PairRule("R8", "staffed", staffed),
    PairRule("R8", "adapted", adapted),
    PairRule("R8", "youth", youth),
    PairRule("R8", "rent_limit", rent_limit),
)
