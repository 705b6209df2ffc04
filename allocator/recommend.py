"""`allocator recommend`: the dwellings one household could have, and what each would do to
the current proposal ("what else could we offer her?").

Everything is measured against the *current proposal* (the one the meeting sees; by
default the one `propose` makes): an option already in it changes nothing; any other is
the lexicographic optimum with the pair locked and as many of the current matches kept as
the higher tiers allow (the meeting's stability tier), compared with the current
proposal tier by tier, with every household that would move. Computed, not estimated.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pydantic import BaseModel, Field

from allocator.data import build_round_data
from allocator.objective import default_objective, stable_objective
from allocator.pairs import candidate_pairs, pair_rejections
from allocator.reasons import norwegian_date, rule_text
from allocator.solve import solve
from models.problems import InputError, Problem
from models.proposal import Proposal
from models.scenario import Locks, PinnedPair, Scenario


class Move(BaseModel):
    """One household whose dwelling would change: `before` / `after` None = none."""

    household: str
    before: str | None
    after: str | None


class Option(BaseModel):
    dwelling: str
    district: str
    move_in: dt.date
    in_proposal: bool
    displaces: str | None = None  # who the current proposal gives this dwelling to
    delta: dict[str, float]  # per tier: option value minus the current proposal's
    fit_cost: int
    moves: list[Move] = Field(default_factory=list)

    def render(self, rank: int) -> str:
        d = self.delta
        parts = [
            f"brudd {d.get('deadline_breaches', 0):+.0f}",
            f"dager over {d.get('deadline_days_over', 0):+.0f}",
            f"prioritet/ventetid {d['priority_waiting']:+.0f}",
            f"tilpasning {d['fit']:+.0f}",
        ]
        tag = (
            " (i forslaget)"
            if self.in_proposal
            else (f" (fortrenger {self.displaces})" if self.displaces else "")
        )
        moved = len([m for m in self.moves if m.household != self.displaces])
        more = f"; {moved} andre flyttes" if moved else ""
        return (
            f"{rank}. {self.dwelling} i {self.district}, innflytting "
            f"{norwegian_date(self.move_in)}{tag}: " + ", ".join(parts) + more
        )


def _values(scenario: Scenario, matches: dict[str, str]) -> dict[str, int]:
    """The ranked tiers' values of a set of matches (household -> dwelling)."""
    data = build_round_data(scenario)
    pairs = candidate_pairs(data)
    chosen = pairs.choose(
        {data.household_index[h]: data.dwelling_index[d] for h, d in matches.items()}
    )
    ranked, _ = default_objective(scenario.policy).components(pairs)
    return {c.name: c.value(chosen) for c in ranked}


def recommend(
    scenario: Scenario, household_id: str, top: int = 5, current: Proposal | None = None
) -> list[Option]:
    """Rank every dwelling the household may have by the change it makes to `current`."""
    from allocator.solve import propose

    data = build_round_data(scenario)
    if household_id not in data.household_index:
        raise InputError(
            [
                Problem(
                    field="household",
                    value=household_id,
                    expected="the id of a household in the scenario",
                )
            ]
        )
    current = current if current is not None else propose(scenario)
    now = {m.household: m.dwelling for m in current.matches}
    holder = {d: h for h, d in now.items()}
    base = _values(scenario, now)
    h = data.household_index[household_id]
    pairs = candidate_pairs(data)
    locks = scenario.locks
    options = []
    for p in np.flatnonzero(pairs.h == h):
        d = int(pairs.d[p])
        did = data.dwelling_ids[d]
        common = dict(
            dwelling=did,
            district=data.scenario.districts[data.d_district[d]].name
            or data.district_ids[data.d_district[d]],
            move_in=dt.date.fromordinal(int(pairs.move_in[p])),
            fit_cost=int(pairs.fit[p]),
        )
        if now.get(household_id) == did:
            options.append(Option(in_proposal=True, delta={k: 0.0 for k in base}, **common))
            continue
        if any(x.household == household_id or x.dwelling == did for x in locks.pinned):
            continue  # the meeting has locked the household or the dwelling elsewhere
        pinned = scenario.model_copy(
            update={
                "locks": Locks(
                    pinned=[*locks.pinned, PinnedPair(household=household_id, dwelling=did)],
                    forbidden=locks.forbidden,
                )
            }
        )
        try:
            solved = solve(pinned, objective=stable_objective(pinned.policy, list(now.items())))
        except InputError:
            continue  # the lock would clash with the meeting's locks under round rules
        after = {
            solved.data.household_ids[int(a)]: solved.data.dwelling_ids[int(b)]
            for a, b in zip(
                solved.pairs.h[solved.chosen], solved.pairs.d[solved.chosen], strict=True
            )
        }
        values = _values(scenario, after)
        moves = [
            Move(household=x, before=now.get(x), after=after.get(x))
            for x in sorted(set(now) | set(after))
            if now.get(x) != after.get(x) and x != household_id
        ]
        options.append(
            Option(
                in_proposal=False,
                displaces=holder.get(did),
                delta={k: float(values[k] - base[k]) for k in base},
                moves=moves,
                **common,
            )
        )
    names = list(base)
    senses = {c.name: c.sense for c in default_objective(scenario.policy).terms}

    def key(o: Option) -> tuple:
        return (
            *(o.delta[n] if senses[n] == "min" else -o.delta[n] for n in names),
            not o.in_proposal,
            o.dwelling,
        )

    options.sort(key=key)
    return options[:top]


def why_not(scenario: Scenario, household_id: str) -> dict[str, list[str]]:
    """Per dwelling, the bokmål texts of every rule that rules it out for the household."""
    data = build_round_data(scenario)
    h = data.household_index[household_id]
    return {
        data.dwelling_ids[j]: [rule_text(c) for c in codes]
        for j, codes in enumerate(pair_rejections(data, h))
        if codes
    }
