"""R11 transfers and vacancy chains (issue 15): tiny rounds brute-forced, the model's and
the checker's statements of the chain rules held to each other, validation, reasons.

The brute force enumerates every assignment of 3–4 households (tenants among them) to
vacancies and occupied dwellings, gives each the dates the chain rules imply (the
checker's `expected_move_ins`), keeps those the independent checker accepts, and ranks
them by the objective restated here from docs/rules.md (tier 1 with chain dates, tier 2
with transfer points and freed-flat points, tier 3 with vacancy days counted from the day
a freed dwelling is ready, then the serial tie-break). The solver must reach that optimum.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from builders import dwelling, household, scenario

from allocator.checker import check_proposal, facts, pair_violations, r7_clocks
from allocator.checker.context import Context
from allocator.checker.r11_transfers import expected_move_ins, tenants
from allocator.data import build_round_data
from allocator.io.load import load_scenario
from allocator.pairs import candidate_pairs
from allocator.rules import r11_transfers
from allocator.solve import propose
from models.problems import InputError
from models.proposal import Breach, EmptyDwelling, Match, Proposal, Reason, RunInfo, Unmatched
from models.scenario import PinnedPair, Scenario

RUN = RunInfo(id="brute", as_of=dt.date(2026, 11, 23), input_sha256="-", policy_sha256="-")
REASONS = ["overcrowded", "under_occupying", "needs", "safety", "step_down_from_staffed", "other"]


def _assignments(options: list[list[str | None]], used: frozenset[str] = frozenset(), i: int = 0):  # type: ignore[no-untyped-def]
    if i == len(options):
        yield []
        return
    for d in options[i]:
        if d is not None and d in used:
            continue
        for rest in _assignments(options, used | {d} if d else used, i + 1):
            yield [d, *rest]


def _proposal(s: Scenario, ctx: Context, chosen: list[str | None]) -> Proposal | None:
    """The assignment as a proposal with the chain dates, or None when no dates hold."""
    plan = {h.id: d for h, d in zip(s.households, chosen, strict=True) if d is not None}
    dates = expected_move_ins(ctx, plan)
    if any(v is None for v in dates.values()):
        return None
    dw = s.dwelling_by_id()
    matches, breaches = [], []
    for h in s.households:
        d = plan.get(h.id)
        if d is not None:
            when = dates[h.id]
            assert when is not None
            matches.append(Match(household=h.id, dwelling=d, move_in=when))
        over = r7_clocks.breach(ctx, h, dw[d] if d else None, dates.get(h.id))
        if over > 0:
            clock, limit = r7_clocks.clock_of(h, s.policy) or ("", dt.date.min)
            breaches.append(
                Breach(
                    household=h.id,
                    clock=clock,
                    deadline=limit,
                    days_over=over,
                    dwelling=d,
                    reason=Reason(code="x"),
                )
            )
    used = set(plan.values())
    return Proposal(
        run=RUN.model_copy(update={"as_of": s.as_of}),
        matches=matches,
        breaches=breaches,
        unmatched=[
            Unmatched(household=h.id, reason=Reason(code="x"))
            for h in s.households
            if h.id not in plan
        ],
        empty_dwellings=[
            EmptyDwelling(dwelling=d.id, reason=Reason(code="x"))
            for d in s.dwellings
            if d.id not in used
        ],
    )


def _half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def ranking(s: Scenario, ctx: Context, proposal: Proposal) -> tuple:
    """Smaller is better: (breaches, days over, -points, fit, serial), docs/rules.md with
    R11: a tenant's reason points and a freed under-occupied flat's points in tier 2;
    vacancy days from the day the dwelling is free (a freed one: its tenant's move-in +
    turnover days; a swap: never empty)."""
    w, tw = s.policy.weights, s.policy.transfers
    dw, hh = s.dwelling_by_id(), s.household_by_id()
    by_tenant = tenants(ctx)
    moved = {m.household: m for m in proposal.matches}
    breaches = days = points = fit = 0
    for b in proposal.breaches:
        breaches += 1
        days += b.days_over
    for m in proposal.matches:
        h, d = hh[m.household], dw[m.dwelling]
        waiting = min((s.as_of - h.approved_on).days, w.waiting_cap_days)
        points += w.priority_points[h.priority] + w.waiting_points_per_day * waiting
        if h.current_dwelling is not None:
            points += getattr(tw.weights, h.transfer_reason.value)  # type: ignore[union-attr]
        free = d.available_from
        if d.occupied:
            tenant = by_tenant[d.id]
            if tenant.transfer_reason is not None and tenant.transfer_reason.value == (
                "under_occupying"
            ):
                points += tw.under_occupying_freed
            if moved[tenant.id].dwelling == h.current_dwelling:
                free = m.move_in
            else:
                free = max(free, moved[tenant.id].move_in + dt.timedelta(days=tw.turnover_days))
        b = ctx.building_of(d)
        rank = 0
        if h.preferred_districts:
            rank = (
                h.preferred_districts.index(b.district)
                if b.district in h.preferred_districts
                else len(h.preferred_districts)
            )
        spare = max(0, d.bedrooms - facts.bedrooms_needed(h))
        vacancy = max(0, (m.move_in - free).days)
        fit += (
            w.preference * rank
            + w.spare_bedroom * spare
            + _half_up(facts.exact(w.vacancy_per_rent_day) * facts.exact(d.rent) * vacancy / 30)
        )
    housed = set(moved)
    serial = tuple(
        h.id not in housed for h in sorted(s.households, key=lambda x: (x.approved_on, x.id))
    )
    return breaches, days, -points, fit, serial


def best_by_enumeration(s: Scenario) -> tuple[tuple, list[dict[str, str]]]:
    ctx = Context.of(s)
    options = [
        [None, *[d.id for d in s.dwellings if not pair_violations(s, h.id, d.id)]]
        for h in s.households
    ]
    best, winners = None, []
    for chosen in _assignments(options):
        proposal = _proposal(s, ctx, chosen)
        if proposal is None or check_proposal(s, proposal):
            continue
        value = ranking(s, ctx, proposal)
        plan = {m.household: m.dwelling for m in proposal.matches}
        if best is None or value < best:
            best, winners = value, [plan]
        elif value == best:
            winners.append(plan)
    assert best is not None
    return best, winners


def tiny_round(seed: int) -> Scenario:
    """3–4 households, one to three of them tenants, one or two vacancies; sizes and dates
    drawn so that chains, swaps and late clocks all occur across seeds."""
    rng = random.Random(seed)
    tenants_n = rng.randint(1, 3)
    waiting_n = rng.randint(1, 4 - tenants_n) if tenants_n < 4 else 0
    vacancies = rng.randint(1, 2)
    as_of = dt.date(2026, 11, 23)
    ds: list[dict[str, Any]] = []
    for i in range(vacancies):
        ds.append(
            dwelling(
                f"V{i + 1}",
                category=rng.choice(["ordinary"] * 5 + ["temporary"]),
                building=rng.choice(["B1", "B2"]),
                bedrooms=rng.randint(0, 3),
                available_from=str(as_of + dt.timedelta(days=rng.choice([0, 10, 25]))),
                board_approval_days=rng.choice([0, 0, 5]),
                rent=rng.choice([6000, 9000]),
            )
        )
    hs: list[dict[str, Any]] = []
    for i in range(tenants_n):
        ds.append(
            dwelling(
                f"O{i + 1}",
                building=rng.choice(["B1", "B2"]),
                bedrooms=rng.randint(0, 3),
                available_from=str(as_of),
                occupied=True,
                board_approval_days=rng.choice([0, 0, 3]),
            )
        )
    for i in range(tenants_n + waiting_n):
        adults = rng.randint(1, 2)
        children = [{"age": rng.randint(1, 16)} for _ in range(rng.choice([0, 0, 1, 2, 3]))]
        extra: dict[str, Any] = {}
        if i < tenants_n:
            extra = {
                "current_dwelling": f"O{i + 1}",
                "transfer": {"reason": rng.choice(REASONS)},
            }
        elif children and rng.random() < 0.4:
            since = as_of - dt.timedelta(days=rng.choice([60, 80, 95]))
            extra = {"situation": {"kind": "temporary", "since": str(since)}}
        hs.append(
            household(
                f"{'T' if i < tenants_n else 'W'}{i + 1}",
                approved_on=str(as_of - dt.timedelta(days=rng.randint(10, 400))),
                adults=adults,
                children=children,
                priority=rng.randint(1, 3),
                preferred_districts=rng.choice([[], ["D1"], ["D2", "D1"]]),
                **extra,
            )
        )
    policy = {
        "solver": {"workers": 1, "time_limit_s": 20},
        "occupancy": {"crowding": "off", "max_extra_bedrooms": rng.choice([1, 2])},
        "transfers": {
            "turnover_days": rng.choice([7, 14]),
            "horizon_days": rng.choice([40, 120]),
        },
    }
    return scenario(dwellings=ds, households=hs, policy=policy)


def _check_against_brute_force(s: Scenario) -> Proposal:
    proposal = propose(s)
    assert all(t.status in ("OPTIMAL", "SKIPPED") for t in proposal.run.tiers), proposal.run.tiers
    assert check_proposal(s, proposal) == []
    best, winners = best_by_enumeration(s)
    ctx = Context.of(s)
    assert ranking(s, ctx, proposal) == best
    got = {m.household: m.dwelling for m in proposal.matches}
    assert got in winners
    tiers = {t.name: t.objective for t in proposal.run.tiers}
    assert tiers["priority_waiting"] == -best[2] and tiers["fit"] == best[3]
    return proposal


@pytest.mark.parametrize("seed", range(60))
def test_chains_found_are_optimal_by_brute_force(seed: int) -> None:
    _check_against_brute_force(tiny_round(seed))


def test_the_random_rounds_hold_chains_and_swaps() -> None:
    """The generator is not vacuous: its optima use chains of two or more moves and
    two-way swaps."""
    longest, swaps = 0, 0
    for seed in range(60):
        s = tiny_round(seed)
        plan = {m.household: m.dwelling for m in propose(s).matches}
        occupied = {d.id for d in s.dwellings if d.occupied}
        links = sum(1 for d in plan.values() if d in occupied)
        longest = max(longest, links)
        current = {h.id: h.current_dwelling for h in s.households}
        swaps += any(
            current.get(a) and plan.get(b) == current.get(a) and plan.get(a) == current.get(b)
            for a in plan
            for b in plan
            if a < b
        )
    assert longest >= 2
    assert swaps >= 1


# -- tiny readable cases ---------------------------------------------------------------


def chain_round(**policy: Any) -> Scenario:
    """D12 (2 bedrooms) is vacant; family H07 lives crowded in D40 (1 bedroom); H19, a
    couple, fits D40. The chain D12 → H07 (moves from D40) → D40 → H19."""
    return scenario(
        dwellings=[
            dwelling("D12", bedrooms=2),
            dwelling("D40", bedrooms=1, occupied=True, available_from="2026-11-23"),
        ],
        households=[
            household(
                "H07",
                adults=2,
                children=[{"age": 4}, {"age": 7}],
                current_dwelling="D40",
                transfer={"reason": "overcrowded"},
            ),
            household("H19", adults=2),
        ],
        policy={"solver": {"workers": 1}, "occupancy": {"crowding": "off"}, **policy},
    )


def test_a_chain_moves_the_tenant_and_lets_its_dwelling_after_turnover() -> None:
    s = chain_round()
    proposal = propose(s)
    moves = {m.household: (m.dwelling, m.move_in) for m in proposal.matches}
    assert moves == {
        "H07": ("D12", dt.date(2026, 12, 7)),  # as_of + 14 lead days
        "H19": ("D40", dt.date(2026, 12, 21)),  # H07's move-in + 14 turnover days
    }
    assert check_proposal(s, proposal) == []
    [chain] = proposal.chains
    assert chain.text == "D12 → H07 (flytter fra D40) → D40 → H19"
    assert [link.household for link in chain.links] == ["H07", "H19"]
    by_household = {m.household: m for m in proposal.matches}
    texts = " ".join(r.text for r in by_household["H19"].reasons)
    assert "H07 flytter ut 07.12.2026" in texts and "21.12.2026" in texts
    assert proposal.kpis.chains == 1 and proposal.kpis.tenants_moved == 1
    assert proposal.kpis.housed_through_chains == 1


def test_turnover_days_are_the_policys() -> None:
    proposal = propose(chain_round(transfers={"turnover_days": 30}))
    moves = {m.household: m.move_in for m in proposal.matches}
    assert moves["H19"] == dt.date(2027, 1, 6)


def test_transfers_off_leaves_the_tenant_and_its_dwelling() -> None:
    s = chain_round(transfers={"enabled": False})
    proposal = propose(s)
    assert {m.household: m.dwelling for m in proposal.matches} == {"H19": "D12"}
    assert check_proposal(s, proposal) == []
    reasons = {u.household: u.reason for u in proposal.unmatched}
    assert "slått av" in reasons["H07"].text
    empty = {e.dwelling: e.reason for e in proposal.empty_dwellings}
    assert empty["D40"].code == "tenant_stays"


def test_the_unmoved_tenant_is_told_what_blocked_the_chain() -> None:
    """The only vacancy goes to a due family; the tenant stays, and so D40 stays let."""
    s = chain_round()
    due = household(
        "F01",
        adults=2,
        children=[{"age": 3}, {"age": 5}],
        situation={"kind": "temporary", "since": "2026-08-30"},
    )
    s = Scenario.model_validate(
        {**s.model_dump(mode="json"), "households": [*s.model_dump(mode="json")["households"], due]}
    )
    proposal = propose(s)
    assert {m.household: m.dwelling for m in proposal.matches} == {"F01": "D12"}
    assert check_proposal(s, proposal) == []
    reasons = {u.household: u.reason for u in proposal.unmatched}
    assert reasons["H07"].code == "transfer_not_moved"
    assert "D40" in reasons["H07"].text and "F01" in reasons["H07"].text
    # H19 could only have had D40, which is free only if H07 moves.
    assert "leietakeren" in reasons["H19"].text
    empty = {e.dwelling: e.reason for e in proposal.empty_dwellings}
    assert "H07" in empty["D40"].text


def test_a_two_way_swap_moves_both_on_the_same_day() -> None:
    """A family crowded in a 1-bedroom flat and a single adult alone in a 3-bedroom flat
    swap; both move on the later of their two move-in dates."""
    s = scenario(
        dwellings=[
            dwelling("D1", bedrooms=1, occupied=True, available_from="2026-11-23"),
            dwelling(
                "D2",
                bedrooms=2,
                occupied=True,
                available_from="2026-11-23",
                board_approval_days=20,
            ),
        ],
        households=[
            household(
                "A",
                adults=2,
                children=[{"age": 2}, {"age": 6}],
                current_dwelling="D1",
                transfer={"reason": "overcrowded"},
            ),
            household("B", adults=2, current_dwelling="D2", transfer={"reason": "under_occupying"}),
        ],
        policy={"solver": {"workers": 1}, "occupancy": {"crowding": "off"}},
    )
    proposal = propose(s)
    moves = {m.household: (m.dwelling, m.move_in) for m in proposal.matches}
    # A into D2: 23.11 + 20 board days = 13.12; B into D1: 07.12 (lead days): both 13.12.
    assert moves == {"A": ("D2", dt.date(2026, 12, 13)), "B": ("D1", dt.date(2026, 12, 13))}
    assert check_proposal(s, proposal) == []
    [chain] = proposal.chains
    assert chain.swap and "bytter" in chain.text


def test_the_checker_states_the_chain_rules() -> None:
    s = chain_round()
    ok = propose(s)
    codes = lambda p: sorted({v.code for v in check_proposal(s, p)})  # noqa: E731
    # The tenant stays, but its dwelling is given away.
    stays = ok.model_copy(
        update={
            "matches": [m for m in ok.matches if m.household == "H19"],
            "unmatched": [Unmatched(household="H07", reason=Reason(code="x"))],
            "empty_dwellings": [EmptyDwelling(dwelling="D12", reason=Reason(code="x"))],
        }
    )
    assert codes(stays) == ["tenant_not_moved"]
    # The next household moves in before the turnover days have passed.
    early = ok.model_copy(
        update={
            "matches": [
                m.model_copy(update={"move_in": dt.date(2026, 12, 20)})
                if m.household == "H19"
                else m
                for m in ok.matches
            ]
        }
    )
    assert codes(early) == ["chain_date"]
    # A tenant offered its own dwelling.
    own = ok.model_copy(
        update={
            "matches": [
                Match(household="H07", dwelling="D40", move_in=dt.date(2026, 12, 7)),
            ],
            "unmatched": [Unmatched(household="H19", reason=Reason(code="x"))],
            "empty_dwellings": [EmptyDwelling(dwelling="D12", reason=Reason(code="x"))],
        }
    )
    assert "own_dwelling" in codes(own)
    # Beyond the horizon.
    s_short = chain_round(transfers={"horizon_days": 20})
    assert "chain_horizon" in {v.code for v in check_proposal(s_short, ok)}
    assert {m.household for m in propose(s_short).matches} == {"H07"}


def test_model_links_agree_with_the_checker_on_random_placements() -> None:
    """The twin of R11: for random one-to-one sets of candidate pairs (variants included),
    the model's `broken` says a set keeps the chain rules exactly when the checker finds
    no R11 violation in the same placements with the same dates."""
    rng = random.Random(7)
    checked = kept = 0
    for seed in range(40):
        s = tiny_round(seed)
        data = build_round_data(s)
        pairs = candidate_pairs(data)
        if not len(pairs):
            continue
        for _ in range(30):
            order = list(range(len(pairs)))
            rng.shuffle(order)
            chosen = np.zeros(len(pairs), dtype=bool)
            taken_h: set[int] = set()
            taken_d: set[int] = set()
            for p in order[: rng.randint(1, len(pairs))]:
                h, d = int(pairs.h[p]), int(pairs.d[p])
                if h in taken_h or d in taken_d:
                    continue
                chosen[p] = True
                taken_h.add(h)
                taken_d.add(d)
            idx = np.flatnonzero(chosen)
            # The date a proposal states: a variant standing for a range of tenant days
            # states the one its tenant's actual day gives.
            day = {int(pairs.h[p]): int(pairs.move_in[p]) for p in idx}
            stated = {
                int(p): r11_transfers.stated_move_in(pairs, int(p), day[tenant])
                if (tenant := int(data.tenant[pairs.d[p]])) in day
                else int(pairs.move_in[p])
                for p in idx
            }
            proposal = Proposal(
                run=RUN,
                matches=[
                    Match(
                        household=data.household_ids[int(pairs.h[p])],
                        dwelling=data.dwelling_ids[int(pairs.d[p])],
                        move_in=dt.date.fromordinal(stated[int(p)]),
                    )
                    for p in idx
                ],
            )
            r11 = [v for v in check_proposal(s, proposal) if v.rule == "R11" or v.code == "move_in"]
            model_ok = not r11_transfers.broken(pairs, chosen).any()
            assert model_ok == (r11 == []), (seed, proposal.matches, r11)
            checked += 1
            kept += model_ok
    assert checked > 500 and 0 < kept < checked


# -- validation -------------------------------------------------------------------------


def _problems(data: dict[str, Any]) -> list[str]:
    """Every problem `load_scenario` lists for the scenario as a JSON file (file, row and
    field named)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "round.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(InputError) as caught:
            load_scenario(path)
    rendered = [p.render() for p in caught.value.problems]
    assert all("round.json" in r for r in rendered), rendered
    return rendered


def _base() -> dict[str, Any]:
    return chain_round().model_dump(mode="json")


def test_validation_names_a_current_dwelling_not_listed() -> None:
    data = _base()
    data["households"][0]["current_dwelling"] = "D99"
    unknown, untenanted = _problems(data)
    assert "households[0]" in unknown and "current_dwelling" in unknown and "D99" in unknown
    # And D40 is now occupied by no one: both problems at once.
    assert "dwellings[1]" in untenanted and "D40" in untenanted


def test_validation_names_an_occupied_dwelling_without_tenant_or_with_two() -> None:
    data = _base()
    data["households"][0]["current_dwelling"] = None
    data["households"][0]["transfer"] = None
    [problem] = _problems(data)
    assert "dwellings[1]" in problem and "occupied" in problem
    data = _base()
    data["households"][1]["current_dwelling"] = "D40"
    [problem] = _problems(data)
    assert "households[1]" in problem and "H07 already lives in D40" in problem


def test_validation_names_a_current_dwelling_not_marked_occupied() -> None:
    data = _base()
    data["households"][1]["current_dwelling"] = "D12"
    [problem] = _problems(data)
    assert "households[1]" in problem and "occupied: true" in problem


def test_validation_names_a_transfer_without_current_dwelling() -> None:
    data = _base()
    data["households"][1]["transfer"] = {"reason": "needs"}
    problems = _problems(data)
    assert any("households[1]" in p and "current_dwelling" in p for p in problems)


def test_validation_names_pins_that_break_a_chain() -> None:
    data = _base()
    data["locks"] = {"pinned": [{"household": "H19", "dwelling": "D40"}]}
    [problem] = _problems(data)
    assert "locks.pinned[0]" in problem and "H07" in problem
    data["locks"] = {"pinned": [{"household": "H07", "dwelling": "D40"}]}
    [problem] = _problems(data)
    assert "locks.pinned[0]" in problem and "current_dwelling" in problem


def test_a_pinned_chain_is_kept_with_its_dates() -> None:
    data = _base()
    data["locks"] = {
        "pinned": [
            {"household": "H19", "dwelling": "D40"},
            {"household": "H07", "dwelling": "D12"},
        ]
    }
    s = Scenario.model_validate(data)
    proposal = propose(s)
    assert {m.household: m.move_in for m in proposal.matches} == {
        "H07": dt.date(2026, 12, 7),
        "H19": dt.date(2026, 12, 21),
    }
    assert check_proposal(s, proposal) == []


def test_transfer_points_weigh_in_tier_2_but_never_before_a_deadline() -> None:
    """One vacancy, an overcrowded tenant and an ordinary household: the transfer points
    decide. With a due family in temporary housing too, tier 1 houses the family."""
    base = chain_round()
    s = Scenario.model_validate(
        {
            **base.model_dump(mode="json"),
            "households": [
                *base.model_dump(mode="json")["households"][:1],
                household("W1", adults=2, children=[{"age": 4}, {"age": 7}], priority=1),
            ],
        }
    )
    # W1: priority 1 (1000) + waiting; H07: priority 2 (500) + overcrowded 400 + waiting:
    # W1 wins by default; with the overcrowded weight at 700, H07 does.
    assert {m.household for m in propose(s).matches} == {"W1"}
    heavier = s.model_copy(
        update={
            "policy": s.policy.model_copy(
                update={
                    "transfers": s.policy.transfers.model_copy(
                        update={
                            "weights": s.policy.transfers.weights.model_copy(
                                update={"overcrowded": 700}
                            )
                        }
                    )
                }
            )
        }
    )
    assert {m.household for m in propose(heavier).matches} == {"H07"}
    _check_against_brute_force(heavier)


# -- end to end -------------------------------------------------------------------------

EXAMPLE = Path(__file__).parent.parent / "scenarios" / "transfers" / "scenario.yaml"


def test_the_bundled_example_proposes_a_chain_and_a_swap_that_check_clean(
    tmp_path: Path,
) -> None:
    """`allocator propose` on scenarios/transfers, with the report; `allocator check` on
    its output exits 0; the stories are the ones the example's comments tell."""
    from click.testing import CliRunner

    from allocator.cli import main

    runner = CliRunner()
    out, report = tmp_path / "proposal.json", tmp_path / "proposal.html"
    result = runner.invoke(
        main, ["propose", str(EXAMPLE), "--out", str(out), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "D12 → H07 (flytter fra D40) → D40 → H20" in result.output
    checked = runner.invoke(main, ["check", str(EXAMPLE), str(out)])
    assert checked.exit_code == 0, checked.output
    proposal = Proposal.model_validate_json(out.read_text(encoding="utf-8"))
    assert sorted(c.text for c in proposal.chains) == [
        "D12 → H07 (flytter fra D40) → D40 → H20",
        "H31 (fra D55) og H32 (fra D56) bytter bolig; begge flytter 07.12.2026.",
    ]
    html = report.read_text(encoding="utf-8")
    assert "Bytter og flyttekjeder" in html and "D12 → H07 (flytter fra D40)" in html
    assert proposal.kpis.tenants_moved == 3 and proposal.kpis.overcrowded_resolved == 2


def test_a_manual_allocation_with_a_chain_gets_the_chain_dates() -> None:
    """The meeting's own allocation (households and dwellings only) is completed with the
    dates `propose` would give: the freed dwelling after the tenant's move and turnover."""
    from allocator.manual import ManualMatch, complete

    s = chain_round()
    rows = [
        ManualMatch(household="H19", dwelling="D40"),
        ManualMatch(household="H07", dwelling="D12"),
    ]
    proposal = complete(s, rows)
    assert {m.household: m.move_in for m in proposal.matches} == {
        "H07": dt.date(2026, 12, 7),
        "H19": dt.date(2026, 12, 21),
    }
    assert check_proposal(s, proposal) == []
    alone = complete(s, [ManualMatch(household="H19", dwelling="D40")])
    assert [v.code for v in check_proposal(s, alone)] == ["tenant_not_moved"]


def test_a_household_that_frees_nothing_has_one_variant_for_all_tenant_days() -> None:
    """The tenant can move on two days (two vacancies ready at different dates); H19, who
    frees nothing, has one pair onto D40 standing for both days (same vacancy days, no
    clock), and the proposal states the date the tenant's actual day gives."""
    base = chain_round().model_dump(mode="json")
    base["dwellings"].append(dwelling("D14", bedrooms=2, available_from="2026-12-20", rent=6000))
    s = Scenario.model_validate(base)
    data = build_round_data(s)
    pairs = candidate_pairs(data)
    onto = np.flatnonzero(
        (pairs.h == data.household_index["H19"]) & (pairs.d == data.dwelling_index["D40"])
    )
    assert len(onto) == 1
    tenant_days = sorted({int(m) for m in pairs.move_in[pairs.h == data.household_index["H07"]]})
    assert len(tenant_days) == 2
    assert (pairs.link[onto[0]], pairs.link_to[onto[0]]) == tuple(tenant_days)
    for day in tenant_days:
        stated = r11_transfers.stated_move_in(pairs, int(onto[0]), day)
        assert stated == day + s.policy.transfers.turnover_days
    _check_against_brute_force(s)


def test_a_pin_onto_an_occupied_dwelling_alone_is_refused_by_the_round_check() -> None:
    """The meeting's pins reach the solver without the loaders (the web app copies the
    scenario with its locks): the round check names a pin onto a tenant's dwelling whose
    tenant is not pinned, in bokmål."""
    from allocator.validation import round_problems

    s = chain_round()
    pinned = s.model_copy(
        update={
            "locks": s.locks.model_copy(
                update={"pinned": [PinnedPair(household="H19", dwelling="D40")]}
            )
        }
    )
    [problem] = round_problems(build_round_data(pinned))
    assert problem.location == "locks.pinned[0]" and "leietakeren H07" in problem.expected
    with pytest.raises(InputError):
        propose(pinned)
    both = s.model_copy(
        update={
            "locks": s.locks.model_copy(
                update={
                    "pinned": [
                        PinnedPair(household="H19", dwelling="D40"),
                        PinnedPair(household="H07", dwelling="D12"),
                    ]
                }
            )
        }
    )
    assert round_problems(build_round_data(both)) == []


def test_sized_rounds_can_hold_sitting_tenants() -> None:
    """`sized_round(applicants=N)`: N of the households are tenants, each holding one
    more dwelling listed as occupied, and the round validates (scale measurements)."""
    from scenarios.sized_round import sized_round

    s = sized_round(1, 20, 100, applicants=10)
    tenants = [h for h in s.households if h.current_dwelling is not None]
    occupied = {d.id for d in s.dwellings if d.occupied}
    assert len(s.households) == 100 and len(tenants) == 10
    assert {h.current_dwelling for h in tenants} == occupied
    assert len(s.dwellings) == 30


def _seeds_with_due_households(n: int) -> list[int]:
    found = []
    for seed in range(400):
        if build_round_data(tiny_round(seed)).ranked_due.any():
            found.append(seed)
        if len(found) == n:
            break
    return found


@pytest.mark.parametrize("seed", _seeds_with_due_households(40))
def test_the_deadlines_first_sub_solve_keeps_chains_optimal(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large rounds solve tier 1 first on the due households' pairs and the tenants'
    (a due household's link needs its tenant's move); forced on for tiny rounds, the
    result is still the brute-force optimum."""
    import allocator.solve

    monkeypatch.setattr(allocator.solve, "DEADLINES_FIRST", 0)
    _check_against_brute_force(tiny_round(seed))


def test_repair_takes_a_swap_only_when_both_halves_keep_the_round_rules() -> None:
    """Two high-need tenants swap within a district whose quota is one: each half keeps
    the quota alone, the two together do not, so the repair takes neither."""
    from allocator.warmstart import hint_values, keeps_round_rules, repair

    s = scenario(
        dwellings=[
            dwelling("D1", bedrooms=1, occupied=True, available_from="2026-11-23"),
            dwelling("D2", bedrooms=2, occupied=True, available_from="2026-11-23"),
        ],
        households=[
            household(
                "A",
                adults=2,
                children=[{"age": 2}, {"age": 6}],
                current_dwelling="D1",
                transfer={"reason": "overcrowded"},
                high_need=True,
            ),
            household(
                "B",
                adults=2,
                current_dwelling="D2",
                transfer={"reason": "under_occupying"},
                high_need=True,
            ),
        ],
        districts=[{"id": "D1", "max_new_high_need": 1}, {"id": "D2"}],
        policy={"solver": {"workers": 1}, "occupancy": {"crowding": "off"}},
    )
    data = build_round_data(s)
    pairs = candidate_pairs(data)
    assert pairs.swap.all() and len(pairs) == 2
    out = repair(data, pairs, np.ones(len(pairs), dtype=bool), hint_values(data, pairs))
    assert keeps_round_rules(data, pairs, out)
    assert not out.any()
