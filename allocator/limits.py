"""Can CP-SAT represent this round's objective? A check before anything is solved.

Why: CP-SAT computes in 64-bit integers. It refuses a model (MODEL_INVALID) whose
objective or linear constraint could, summed over *every* variable, leave ±2^62 (its
overflow guard, ``PossibleIntegerOverflow``), and it reports objective values and bounds
as doubles, which hold integers exactly only up to 2^53. The allocation model
(allocator.model) states each objective tier as Σ weight[pair]·x[pair] over one Boolean
per candidate pair, with integer weights made from the policy's weights and the round's
data. So, for every tier, with ``W`` the largest weight a single pair can get,
``M = min(households, dwellings)`` the most matches a proposal can hold and
``P = households × dwellings`` the most candidate pairs:

- ``M × W <= 2^53 - 1``: the value of any proposal is exact;
- ``P × W <= 2^62``: CP-SAT accepts the tier's objective and the constraint holding it.

``W`` is bounded from the policy's weights and the scenario's own ranges (the longest
wish list, the largest dwelling, the dearest rent, the widest span of dates, the
heaviest deadline clock...), not from
the model, so the check is cheap and ``validate`` can name the weight to lower and the
largest value it could have for this scenario. Every bound is an upper bound: a scenario
that passes is representable; one that fails might in rare cases have fit (the check
assumes every household–dwelling pair is a candidate). The field ranges in
models/policy.py and models/scenario.py keep each pair's weight itself far inside 64 bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.policy import Policy
from models.problems import InputError, Problem
from models.scenario import Scenario, SituationKind

#: Integers a double holds exactly: any proposal's tier value stays within this.
EXACT = 2**53 - 1
#: CP-SAT's overflow guard on Σ |coefficient| × |domain| of one linear expression.
CP_SAT_SUM = 2**62


@dataclass(frozen=True)
class Term:
    """One weight of the policy times the most it can multiply in a single pair."""

    field: str  # dotted path in the policy, e.g. "weights.preference"
    weight: float
    factor: float  # worst case of what the weight multiplies, per pair

    @property
    def worst(self) -> int:
        # +1: the model rounds products to whole points (np.rint), at most half a point up.
        product = self.weight * self.factor
        return math.ceil(product) + (0 if float(product).is_integer() else 1)


@dataclass(frozen=True)
class TierBound:
    """The worst case of one objective tier: per pair, per proposal, over all pairs."""

    tier: str
    terms: tuple[Term, ...]
    fixed: int  # per-pair worst case not scaled by a weight (e.g. days over)
    matches: int
    pairs: int

    @property
    def per_pair(self) -> int:
        return self.fixed + sum(t.worst for t in self.terms)

    @property
    def allowed_per_pair(self) -> int:
        """The largest per-pair weight both limits allow for this scenario's sizes."""
        return min(EXACT // max(1, self.matches), CP_SAT_SUM // max(1, self.pairs))

    @property
    def fits(self) -> bool:
        return self.per_pair <= self.allowed_per_pair


def _days(scenario: Scenario) -> tuple[int, int, int]:
    """(latest move-in any pair can get, earliest vacancy date, latest waiting in days),
    as day numbers (date ordinals) and days."""
    p = scenario.policy
    as_of = scenario.as_of.toordinal()
    latest = [as_of + p.offer_lead_days]
    latest += [d.available_from.toordinal() + d.board_approval_days for d in scenario.dwellings]
    for h in scenario.households:
        for ready in (h.ready_from, h.situation.release_on, h.situation.arrives_on):
            if ready is not None:  # the move-in (R9) takes the first; any is a bound
                latest.append(ready.toordinal())
    if any(d.occupied for d in scenario.dwellings):
        # A move into a dwelling freed this round is at most transfers.horizon_days out.
        latest.append(as_of + p.transfers.horizon_days)
    earliest = min((d.available_from.toordinal() for d in scenario.dwellings), default=as_of)
    waiting = max(((scenario.as_of - h.approved_on).days for h in scenario.households), default=0)
    return max(latest), earliest, max(0, waiting)


def _clocks(scenario: Scenario) -> list[tuple[str, int]]:
    """(clock, deadline day) of every household with a deadline clock (docs/rules.md):
    temporary housing (`since + temporary.max_days`), release (`release_on`), refugee
    arrival (`arrives_on`). Every clock counts, switched on or not: an upper bound."""
    p = scenario.policy
    found = []
    for h in scenario.households:
        s = h.situation
        if s.kind is SituationKind.temporary and s.since is not None:
            found.append(("temporary", s.since.toordinal() + p.temporary.max_days))
        elif s.kind in (SituationKind.prison, SituationKind.institution) and s.release_on:
            found.append(("release", s.release_on.toordinal()))
        elif s.kind is SituationKind.refugee and s.arrives_on is not None:
            found.append(("refugee", s.arrives_on.toordinal()))
    return found


def _clock_weight(policy: Policy, clock: str) -> int:
    return int(getattr(policy.deadlines.weights, clock))


def tier_bounds(scenario: Scenario) -> list[TierBound]:
    """The worst case of every tier of DOMAIN.md §4 for this scenario and its policy."""
    p, w = scenario.policy, scenario.policy.weights
    hs, ds = scenario.households, scenario.dwellings
    matches, pairs = min(len(hs), len(ds)), len(hs) * len(ds)
    # Chain variants (R11): a pair onto an occupied dwelling once per move-in day of its
    # tenant, at most one per day of the transfer horizon.
    occupied = sum(1 for d in ds if d.occupied)
    pairs += len(hs) * occupied * (p.transfers.horizon_days + 1)
    latest_move_in, earliest_vacancy, waiting = _days(scenario)

    # Tier 1 (deadline clocks): a breach counts its clock's weight, each day over too; days
    # over are at most the latest move-in (or the next round's) minus the earliest deadline.
    next_round = scenario.as_of.toordinal() + p.round_days + p.offer_lead_days
    clocks = _clocks(scenario)
    span = max(0, max(latest_move_in, next_round) - min((d for _, d in clocks), default=next_round))
    heaviest = max(clocks, key=lambda c: _clock_weight(p, c[0]), default=None)
    if heaviest is None:
        breaches: list[Term] = []
        days: list[Term] = []
    else:
        field, weight = f"deadlines.weights.{heaviest[0]}", _clock_weight(p, heaviest[0])
        breaches, days = [Term(field, weight, 1)], [Term(field, weight, span)]

    # Tier 2: housing points of one household.
    priorities = sorted({h.priority for h in hs})
    top = max(priorities, key=lambda q: w.priority_points.get(q, 0), default=None)
    housing = (
        [Term(f"weights.priority_points.{top}", w.priority_points.get(top, 0), 1)]
        if top is not None
        else []
    )
    housing.append(
        Term(
            "weights.waiting_points_per_day",
            w.waiting_points_per_day,
            min(waiting, w.waiting_cap_days),
        )
    )

    # Transfers (R11): a tenant's reason points, and the points for letting a flat an
    # under-occupying tenant frees.
    reasons = {h.transfer_reason.value for h in hs if h.transfer_reason is not None}
    if reasons:
        heaviest_reason = max(reasons, key=lambda r: getattr(p.transfers.weights, r))
        housing.append(
            Term(
                f"transfers.weights.{heaviest_reason}",
                getattr(p.transfers.weights, heaviest_reason),
                1,
            )
        )
        if "under_occupying" in reasons:
            housing.append(
                Term("transfers.under_occupying_freed", p.transfers.under_occupying_freed, 1)
            )

    # Tier 3: fit cost of one pair, term by term (allocator.pairs).
    rank = max((len(h.preferred_districts) for h in hs), default=0)
    spare = max((d.bedrooms for d in ds), default=0)
    if p.occupancy.bedrooms == "hard":
        spare = min(spare, p.occupancy.max_extra_bedrooms)
    minutes = 0
    if p.school.mode == "hard" and any(h.children for h in hs):
        minutes = min(
            p.school.max_travel_minutes, max((a.minutes for a in scenario.school_access), default=0)
        )
    rent_loss = (
        max((d.rent for d in ds), default=0.0) / 30.0 * max(0, latest_move_in - earliest_vacancy)
    )
    burden = max((t.burden for t in scenario.districts), default=0.0)
    fit = [
        Term("weights.preference", w.preference, rank),
        Term("weights.spare_bedroom", w.spare_bedroom, spare),
        Term("weights.school_travel_minute", w.school_travel_minute, minutes),
        Term("weights.vacancy_per_rent_day", w.vacancy_per_rent_day, rent_loss),
        Term("weights.concentration", w.concentration, burden),
    ]
    return [
        TierBound("deadline_breaches", tuple(breaches), 0, matches, pairs),
        TierBound("deadline_days_over", tuple(days), 0, matches, pairs),
        TierBound("priority_waiting", tuple(housing), 0, matches, pairs),
        TierBound("fit", tuple(fit), 0, matches, pairs),
        *_lookahead(scenario, latest_move_in, clocks),
    ]


def _lookahead(
    scenario: Scenario, latest_move_in: int, clocks: list[tuple[str, int]]
) -> list[TierBound]:
    """The look-ahead's tiers (allocator.lookahead, on while `lookahead.weeks` > 0): per
    pair, the breaches (one per sampled future) and the days over summed over the futures
    that housing the household now avoids. A day over in a future is at most the end of
    the horizon minus the earliest deadline (known, or a forecast arrival's, which falls
    after the round)."""
    p = scenario.policy
    ahead = p.lookahead
    if ahead.weeks == 0:
        return []
    matches = min(len(scenario.households), len(scenario.dwellings))
    pairs = len(scenario.households) * len(scenario.dwellings)
    horizon = (
        max(latest_move_in, scenario.as_of.toordinal())
        + 7 * ahead.weeks
        + p.round_days
        + p.offer_lead_days
        + max(0, p.temporary.max_days)
    )
    earliest = min([d for _, d in clocks] + [scenario.as_of.toordinal()])
    futures = Term("lookahead.futures", ahead.futures, 1)
    days = Term("lookahead.futures", ahead.futures, max(0, horizon - earliest))
    return [
        TierBound("lookahead_breaches", (futures,), 0, matches, pairs),
        TierBound("lookahead_days_over", (days,), 0, matches, pairs),
    ]


def _number(value: float) -> str:
    """1234567.0 -> '1 234 567', 0.015 -> '0.015' (bokmål thousands, no float noise)."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", " ")
    return f"{value:.6g}"


def representation_problems(scenario: Scenario) -> list[Problem]:
    """One problem per tier that would not fit, naming the weight to lower (the term that
    costs the most) and the largest value it may have with the others unchanged.
    ``field`` is dotted under the policy; the loader places it in the user's file."""
    problems = []
    for bound in tier_bounds(scenario):
        if bound.fits:
            continue
        allowed = bound.allowed_per_pair
        why = (
            f"med {_number(bound.matches)} mulige tildelinger og {_number(bound.pairs)} "
            f"par må nivået «{bound.tier}» holde seg innenfor CP-SATs 64-bits grenser, "
            f"høyst {_number(allowed)} poeng per par (nå opptil {_number(bound.per_pair)})"
        )
        weighted = [t for t in bound.terms if t.factor > 0 and t.weight > 0]
        if not weighted:
            problems.append(
                Problem(table="policy", field="", value=None, expected=f"en mindre runde: {why}")
            )
            continue
        term = max(weighted, key=lambda t: t.worst)
        rest = bound.per_pair - term.worst
        room = max(0, allowed - rest - 1)
        largest = math.floor(room / term.factor) if term.factor else 0
        if isinstance(term.weight, float) and not float(term.weight).is_integer():
            largest_text = f"{room / term.factor:.6g}"
        else:
            largest_text = _number(largest)
        problems.append(
            Problem(
                table="policy",
                field=term.field,
                value=term.weight,
                expected=f"høyst {largest_text}: {why}",
            )
        )
    return problems


def check_representable(scenario: Scenario) -> None:
    """Raise InputError unless every tier's objective fits CP-SAT's 64-bit limits."""
    problems = representation_problems(scenario)
    if problems:
        raise InputError(problems)
