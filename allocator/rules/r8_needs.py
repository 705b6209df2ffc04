"""R8: needs and dwelling categories (002 tiltak 3.4): wheelchair, step-free, staffed,
adapted, youth, and the Nav rent limit. All hard and pairwise."""

from __future__ import annotations

import numpy as np

from allocator.data import CATEGORY_CODES, RoundData
from allocator.rules.base import PairRule, hard
from models.scenario import Category


def reject_wheelchair(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: a wheelchair user gets a wheelchair-accessible dwelling."""
    return data.needs_wheelchair[hs][:, None] & ~data.d_wheelchair[None, :]


def reject_step_free(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: step-free means an elevator or a known floor of at most 1."""
    step_free = data.elevator | (~np.isnan(data.floor) & (np.nan_to_num(data.floor, nan=99) <= 1))
    return data.needs_step_free[hs][:, None] & ~step_free[None, :]


def reject_staffed(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: staffed dwellings are for households needing staff, and only those."""
    staffed = data.category == CATEGORY_CODES[Category.staffed]
    return data.needs_staffed[hs][:, None] != staffed[None, :]


def reject_adapted(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: a household needing an adapted dwelling gets one."""
    adapted = data.category == CATEGORY_CODES[Category.adapted]
    return data.needs_adapted[hs][:, None] & ~adapted[None, :]


def reject_youth(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: youth dwellings only for main applicants up to `youth_max_age`."""
    youth = data.category == CATEGORY_CODES[Category.youth]
    return (data.applicant_age[hs] > data.policy.youth_max_age)[:, None] & youth[None, :]


def reject_rent(data: RoundData, hs: np.ndarray) -> np.ndarray:
    """Hard: rent within the household's Nav rent limit."""
    return data.rent[None, :] > data.max_rent[hs][:, None]


_needs = hard("needs", "mode")

PAIR_RULES = (
    PairRule("wheelchair", "R8", reject_wheelchair, "boligen er ikke rullestoltilpasset", _needs),
    PairRule(
        "step_free",
        "R8",
        reject_step_free,
        "boligen er ikke trinnfri (heis eller 1. etasje)",
        _needs,
    ),
    PairRule(
        "staffed",
        "R8",
        reject_staffed,
        "bemannet bolig bare for husstander med behov for bemanning",
        _needs,
    ),
    PairRule("adapted", "R8", reject_adapted, "husstanden trenger tilrettelagt bolig", _needs),
    PairRule("youth", "R8", reject_youth, "ungdomsbolig: hovedsøker er over aldersgrensen", _needs),
    PairRule("rent_limit", "R8", reject_rent, "husleien er over husstandens husleiegrense", _needs),
)
