"""Validation in one place: everything `propose` would refuse as input, found before any
solve, so `allocator validate`, `propose`, the batch job and the API list the same
problems (with table, row and field).

Beyond the records and references the loaders check: a pinned pair must be allowed by
every pairwise rule and by every round rule on its own (a full building, a zero quota, an
existing mix of residents), and the pins together must keep every round rule (caps can
only be broken by placing more, so pins that keep them leave the round feasible). A pin
onto a tenant's dwelling needs the tenant pinned too, on a chain whose dates hold (R11):
the meeting locks a vacancy chain as a whole.
"""

from __future__ import annotations

import numpy as np

from allocator.data import RoundData, build_round_data
from allocator.pairs import pair_rejections
from allocator.round_state import broken_rules
from allocator.rules import RULE_OF_CODE, RULE_TEXT, r11_transfers
from models.problems import InputError, Problem
from models.scenario import PinnedPair, Scenario


def _pin_problem(i: int, pin: PinnedPair, expected: str) -> Problem:
    """The problem with pin `i` (locks.pinned[i]): its dwelling should be `expected`."""
    return Problem(
        table="locks.pinned",
        index=i,
        field="dwelling",
        value=pin.dwelling,
        location=f"locks.pinned[{i}]",
        expected=expected,
    )


def pin_problems(data: RoundData) -> list[Problem]:
    """Pins that break a hard rule alone, or together with the other pins."""
    pins = data.scenario.locks.pinned
    problems = []
    alone_ok = []
    for i, pin in enumerate(pins):
        h, d = data.household_index[pin.household], data.dwelling_index[pin.dwelling]
        rejected = pair_rejections(data, h)[d]
        if rejected:
            problems.append(
                _pin_problem(
                    i,
                    pin,
                    f"en bolig husstand {pin.household} kan få; låsen bryter "
                    + "; ".join(f"{RULE_OF_CODE[c]} {c} ({RULE_TEXT[c]})" for c in rejected),
                )
            )
        else:
            alone_ok.append(i)
    if alone_ok:
        hs = np.array([data.household_index[pins[i].household] for i in alone_ok], dtype=np.int64)
        ds = np.array([data.dwelling_index[pins[i].dwelling] for i in alone_ok], dtype=np.int64)
        for code, broken in broken_rules(data, hs, ds).items():
            for k in np.flatnonzero(broken):
                i = alone_ok[int(k)]
                others = [
                    pins[alone_ok[int(j)]].household for j in np.flatnonzero(broken) if j != k
                ]
                problems.append(
                    _pin_problem(
                        i,
                        pins[i],
                        f"låser som kan gjelde samtidig; sammen med låsene for "
                        f"{', '.join(others)} bryter denne {RULE_OF_CODE[code]} "
                        f"{code} ({RULE_TEXT[code]})",
                    )
                )
    problems += chain_pin_problems(data)
    return sorted(problems, key=lambda p: p.index or 0)


def chain_pin_problems(data: RoundData) -> list[Problem]:
    """R11: pins onto occupied dwellings whose chain of pins does not hold: the tenant is
    not pinned elsewhere, or the pinned dates leave the horizon or close a cycle."""
    if not data.occupied.any():
        return []
    days = r11_transfers.pinned_days(data)
    problems = []
    pins = data.scenario.locks.pinned
    pinned = {p.household for p in pins}
    for i, pin in enumerate(pins):
        h, d = data.household_index[pin.household], data.dwelling_index[pin.dwelling]
        tenant = int(data.tenant[d])
        if tenant < 0 or h in days:
            continue
        who = data.household_ids[tenant]
        why = (
            f"leietakeren {who} er ikke låst til en annen bolig"
            if who not in pinned
            else "flyttekjeden låsene danner, holder ikke (datoene går forbi "
            "transfers.horizon_days, eller kjeden går i ring)"
        )
        problems.append(
            _pin_problem(i, pin, f"en lås som kan holde: {pin.dwelling} er bebodd, og {why} (R11)")
        )
    return problems


def round_problems(data: RoundData) -> list[Problem]:
    """Every problem of the round that the records alone do not show."""
    return pin_problems(data)


def check_round(data: RoundData) -> None:
    """Raise InputError listing every round problem (nothing is solved with them)."""
    problems = round_problems(data)
    if problems:
        raise InputError(problems)


def scenario_problems(scenario: Scenario) -> list[Problem]:
    """`round_problems` of a validated scenario."""
    return round_problems(build_round_data(scenario))
