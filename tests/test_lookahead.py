"""Look-ahead (allocator.lookahead), forecast rates (allocator.forecast) and the hindsight
optimum of a replay (allocator.replay.hindsight)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from builders import dwelling, household, scenario
from click.testing import CliRunner

from allocator.checker import check_proposal
from allocator.cli import main
from allocator.forecast import estimate
from allocator.replay import Settings, resolve_all, run_replay
from allocator.replay.hindsight import hindsight, year_events
from allocator.replay.runner import run_policy
from allocator.replay.source import load_source
from allocator.solve import propose
from models.scenario import Scenario

DRAMMEN = Path(__file__).resolve().parents[1] / "scenarios" / "municipality" / "drammen.yaml"


@pytest.fixture(autouse=True, scope="module")
def _quick_hindsight():  # type: ignore[no-untyped-def]
    """The exact hindsight model gets a little work here (its statuses say what it
    proved); the benchmark gives it the full budget."""
    import allocator.replay.hindsight as module

    saved, module.EXACT_WORK = module.EXACT_WORK, 4.0
    yield
    module.EXACT_WORK = saved


# as_of 2026-11-23; the family's deadline (since 2026-09-19 + 90) is 2026-12-18: not due
# this round (the next round could still move it in by 2026-12-14), due in three weeks.
FAMILY = household(
    "F",
    approved_on="2026-10-01",
    children=[{"age": 4}],
    situation={"kind": "temporary", "since": "2026-09-19"},
)
COUPLE = household("X", approved_on="2024-01-01", adults=2, children=[{"age": 5}])
FLAT = dwelling("W1", bedrooms=2, rooms=3, area_m2=70)


def _round(**policy: object) -> Scenario:
    return scenario(
        dwellings=[FLAT], households=[FAMILY, COUPLE], policy={"solver": {"workers": 8}, **policy}
    )


def housed(s: Scenario) -> dict[str, str]:
    return {m.household: m.dwelling for m in propose(s).matches}


def test_a_family_is_housed_now_when_nothing_fits_before_its_deadline() -> None:
    assert housed(_round()) == {"X": "W1"}  # the round alone: the couple waited longer
    s = _round(lookahead={"weeks": 6, "futures": 4})
    proposal = propose(s)
    assert {m.household: m.dwelling for m in proposal.matches} == {"F": "W1"}
    assert check_proposal(s, proposal) == []
    (match,) = proposal.matches
    ahead = next(r for r in match.reasons if r.code == "lookahead_now")
    assert ahead.params["fails"] == 4 and ahead.params["changed"] is True
    assert "om 3 uker" in ahead.text and "4 av 4 simulerte framtider" in ahead.text
    (couple,) = proposal.unmatched
    assert couple.reason.code == "held_for_deadline"
    assert couple.reason.text.startswith(
        "W1 er holdt av for F, som når 3-månedersfristen 18.12.2026 om 3 uker"
    )
    tiers = [t.name for t in proposal.run.tiers]
    assert tiers.index("lookahead_breaches") == tiers.index("deadline_days_over") + 1
    assert proposal.run.sizes["lookahead_at_risk"] == 1


def test_a_forecast_of_fitting_vacancies_keeps_the_round_alone_choice() -> None:
    """With family flats coming onto the list every week, the family is not at risk."""
    rate = {"dwelling": {**FLAT, "id": "rate-family-flat"}, "per_week": 8, "notice_days": 10}
    s = Scenario.model_validate(
        {
            **_round(lookahead={"weeks": 6, "futures": 4}).model_dump(mode="json"),
            "forecast": {"vacancies": [rate]},
        }
    )
    proposal = propose(s)
    assert {m.household: m.dwelling for m in proposal.matches} == {"X": "W1"}
    assert "lookahead_at_risk" not in proposal.run.sizes


def test_a_known_future_vacancy_counts_with_its_certainty() -> None:
    known = {**FLAT, "id": "W9", "available_from": "2026-12-10", "certainty": 1.0}
    base = _round(lookahead={"weeks": 6, "futures": 4}).model_dump(mode="json")
    sure = Scenario.model_validate({**base, "expected_vacancies": [known]})
    assert housed(sure) == {"X": "W1"}
    unlikely = Scenario.model_validate(
        {**base, "expected_vacancies": [{**known, "certainty": 0.01}]}
    )
    assert housed(unlikely) == {"F": "W1"}


def test_look_ahead_is_deterministic_and_off_by_default() -> None:
    s = _round(lookahead={"weeks": 6, "futures": 4, "seed": 3})
    assert propose(s).model_dump(exclude={"run"}) == propose(s).model_dump(exclude={"run"})
    assert _round().policy.lookahead.weeks == 0


def test_estimate_rates_from_a_replay_and_propose_with_them(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "replay"
    result = runner.invoke(
        main,
        [
            "replay",
            str(DRAMMEN),
            "--weeks",
            "6",
            "--policy",
            "default",
            "--out",
            str(out),
            "--save-rounds",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    forecast = tmp_path / "forecast.yaml"
    result = runner.invoke(
        main, ["estimate-rates", str(out / "rounds" / "default"), "--out", str(forecast)]
    )
    assert result.exit_code == 0, result.output
    assert "5 weeks of history" in result.output
    week = json.loads((out / "rounds" / "default" / "week-005.scenario.json").read_text())
    week["forecast"] = forecast.name
    week["policy"]["lookahead"] = {"weeks": 4, "futures": 3}
    path = tmp_path / "week.json"
    path.write_text(json.dumps(week), encoding="utf-8")
    result = runner.invoke(main, ["propose", str(path), "--out", str(tmp_path / "p.json")])
    assert result.exit_code in (0, 3), result.output
    assert runner.invoke(main, ["check", str(path), str(tmp_path / "p.json")]).exit_code == 0


def test_a_saved_lookahead_round_loads_and_checks(tmp_path: Path) -> None:
    """The replay's forecast (arrival templates of families in temporary housing among
    them) is part of each saved round: the round must load again, and its proposal
    check clean."""
    out = tmp_path / "replay"
    args = ["replay", str(DRAMMEN), "--weeks", "2", "--policy", "lookahead"]
    result = CliRunner().invoke(main, [*args, "--out", str(out), "--save-rounds", "--quiet"])
    assert result.exit_code == 0, result.output
    week = out / "rounds" / "lookahead" / "week-001.scenario.json"
    scenario = Scenario.model_validate_json(week.read_text(encoding="utf-8"))
    assert scenario.forecast is not None and scenario.forecast.arrivals
    checked = CliRunner().invoke(
        main, ["check", str(week), str(week).replace("scenario", "proposal")]
    )
    assert checked.exit_code == 0, checked.output


def test_estimate_needs_two_rounds() -> None:
    with pytest.raises(ValueError):
        estimate([_round()])


def test_a_bad_forecast_is_an_input_error(tmp_path: Path) -> None:
    tree = _round().model_dump(mode="json")
    tree["forecast"] = {"vacancies": [{"dwelling": {**FLAT, "building": "B9"}, "per_week": 0}]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(tree), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "per_week" in result.output and "forecast.vacancies" in result.output


# -- hindsight -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def twelve_weeks():  # type: ignore[no-untyped-def]
    m = load_source(DRAMMEN, seed=1)
    specs = resolve_all(["greedy", "default", "hindsight"])
    return m, run_replay(m, specs, Settings(weeks=12, seed=1, progress=False))


def test_hindsight_is_never_beaten_on_deadlines(twelve_weeks) -> None:  # type: ignore[no-untyped-def]
    """Every policy's year is a plan the hindsight could have made (same events, same
    rules), so where the hindsight proves its deadline tier, no policy has fewer
    households over a deadline, nor, among those equal, fewer days."""
    _, result = twelve_weeks
    by = {run.spec.name: run.realised for run in result.runs}
    assert by["hindsight"]["hindsight_tier1_exact"] == 1
    assert by["hindsight"]["hindsight_broken"] == 0
    best = (by["hindsight"]["realised_breached"], by["hindsight"]["realised_days_over"])
    for name in ("greedy", "default"):
        assert best <= (by[name]["realised_breached"], by[name]["realised_days_over"]), name


def test_year_events_are_the_replays_events(twelve_weeks) -> None:  # type: ignore[no-untyped-def]
    """The hindsight plans with the events the weekly flow draws: the same arrivals and
    the same notices on day-0 tenants, whatever the policy."""
    m, result = twelve_weeks
    ev = year_events(m, 1, 12)
    for run in result.runs:
        if run.spec.name == "hindsight":
            continue
        arrivals = {a["id"] for week in run.trace for a in week.arrivals}
        assert arrivals == {h for h, w in ev.listed.items() if w > 0}
        moved = {d for week in run.trace for d in week.moved_out}
        assert moved == {d for d, (w, _) in ev.vacancies.items() if w > 0}


def test_replay_reports_the_gap_closed(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "replay",
            str(DRAMMEN),
            "--weeks",
            "8",
            "--policy",
            "greedy",
            "--policy",
            "lookahead",
            "--policy",
            str(DRAMMEN.parent / "lookahead-priority-order.yaml"),
            "--policy",
            "hindsight",
            "--seeds",
            "2",
            "--out",
            str(tmp_path),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    table = (tmp_path / "horizon.csv").read_text(encoding="utf-8")
    assert "realised_days_over_temporary" in table and "gap_closed" in table
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Planlegging framover mot etterpåklok optimum" in html
    assert (tmp_path / "plots" / "horizon.png").is_file()
    # The benchmark's tables from the same replay: the goals for both look-aheads.
    from benchmarks.lookahead import main as benchmark

    benchmark(["--from", str(tmp_path), "--out", str(tmp_path / "bench")])
    text = (tmp_path / "bench" / "lookahead.md").read_text(encoding="utf-8")
    r = json.loads((tmp_path / "bench" / "lookahead.json").read_text(encoding="utf-8"))
    assert set(r["gap_closed_days_over_temporary"]) == {"lookahead", "lookahead-priority-order"}
    for name in ("lookahead", "lookahead-priority-order"):
        assert f"- `{name}`: share of the gap closed" in text
        assert r["round_s"][name]["max"] is not None
    assert "| KPI | greedy | lookahead | lookahead-priority-order | hindsight |" in text
    # The same replay in two parts (hindsight apart, as when run beside the others) gives
    # the same tables; a folder without output is refused.
    import pandas as pd

    for part, keep in (("a", lambda p: p != "hindsight"), ("b", lambda p: p == "hindsight")):
        (tmp_path / part).mkdir()
        for name in ("kpis.csv", "summary.csv"):
            frame = pd.read_csv(tmp_path / name)
            frame[frame["policy"].map(keep)].to_csv(tmp_path / part / name, index=False)
    parts = tmp_path / "parts"
    benchmark(["--from", str(tmp_path / "a"), "--from", str(tmp_path / "b"), "--out", str(parts)])
    assert json.loads((parts / "lookahead.json").read_text(encoding="utf-8"))["table"] == r["table"]
    with pytest.raises(SystemExit) as refused:
        benchmark(["--from", str(tmp_path / "bench"), "--out", str(tmp_path / "none")])
    assert refused.value.code == 2 and not (tmp_path / "none").exists()


def test_hindsight_plan_is_the_same_on_a_loaded_machine() -> None:
    """The exact model's budget is work, not seconds: two runs give the same plan even
    where the work limit, not a proof, ends the later components (seed 1, 16 weeks: the
    flow plan breaks a round rule, so CP-SAT runs, and the waiting and fit components
    stay FEASIBLE)."""
    import threading

    m = load_source(DRAMMEN, seed=1)
    policy = resolve_all(["default"])[0].policy
    # A busy thread beside the second run, so the two do not see the same machine.
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(10_000))

    busy = threading.Thread(target=spin)
    first = hindsight(m, policy, 1, 16, work=3.0)
    busy.start()
    try:
        second = hindsight(m, policy, 1, 16, work=3.0)
    finally:
        stop.set()
        busy.join()
    assert "FEASIBLE" in first.statuses
    assert first.repeatable and second.repeatable
    assert first.placements == second.placements
    assert first.kpis == second.kpis


def test_hindsight_plan_keeps_every_pairwise_rule() -> None:
    m = load_source(DRAMMEN, seed=2)
    plan = hindsight(m, resolve_all(["default"])[0].policy, 2, 8)
    assert plan.placements and plan.pairs > len(plan.placements)
    from allocator.checker import pair_violations
    from allocator.replay.state import World

    ev = year_events(m, 2, 8)
    world = World(m, m.config.flow, m.household_factory())
    s = Scenario.model_construct(
        as_of=m.start,
        policy=resolve_all(["default"])[0].policy,
        districts=m.districts,
        buildings=m.buildings,
        households=list(ev.households.values()),
        dwellings=[world.dwellings[d] for d in ev.vacancies],
        school_access=m.school_access,
        school_zones=[],
        locks=Scenario(as_of=m.start).locks,
        expected_vacancies=[],
        expected_households=[],
        forecast=None,
    )
    for hid, (did, _) in plan.placements.items():
        assert pair_violations(s, hid, did) == [], (hid, did)


def test_the_lookahead_policy_runs_in_a_replay() -> None:
    m = load_source(DRAMMEN, seed=0)
    run = run_policy(m, resolve_all(["lookahead"])[0], Settings(weeks=4, seed=0, progress=False))
    assert all(row["violations"] == 0 for row in run.rows)


def test_the_priority_order_policy_is_the_builtin_lookahead_without_waiting_points() -> None:
    """The file differs from the built-in `lookahead` only by tier 2's points per day
    waited (0), so the benchmark compares the order of priority and nothing else."""
    from allocator.replay.policies import resolve
    from models.policy import Policy

    builtin = resolve("lookahead").policy
    spec = resolve(str(DRAMMEN.parent / "lookahead-priority-order.yaml"))
    assert spec.method == "cp-sat"
    assert spec.policy.weights == Policy().weights.model_copy(update={"waiting_points_per_day": 0})
    assert spec.policy.model_copy(update={"name": builtin.name, "weights": builtin.weights}) == (
        builtin
    )


def test_the_replay_forecast_has_one_arrival_template_per_family_size() -> None:
    """The look-ahead must see the large families that only the largest flats fit: each
    archetype's arrivals are split by its children table, summing to the archetype's rate,
    and the templates are the same on every call (a stream of their own)."""
    from allocator.replay.state import World

    m = load_source(DRAMMEN, seed=0)
    policy = resolve_all(["lookahead"])[0].policy

    def rates() -> list[tuple[str, str, int, float]]:
        world = World(m, m.config.flow, m.household_factory())
        return [
            (r.household.id, r.household.situation.kind.value, r.household.minors, r.per_week)
            for r in world.forecast(policy).arrivals
        ]

    first = rates()
    assert first == rates()
    refugees = [(n, rate) for hid, _, n, rate in first if hid.startswith("template-refugee_family")]
    table = next(a for a in m.config.households.archetypes if a.id == "refugee_family").children
    assert sorted(n for n, _ in refugees) == sorted(n for n, w in table.items() if w > 0)
    total = sum(rate for _, rate in refugees)
    for n, rate in refugees:
        assert rate == pytest.approx(total * table[n] / sum(table.values()))


def test_horizon_by_size_counts_supply_and_who_is_at_risk() -> None:
    from allocator.deadlines import horizon_by_size, household_clocks

    base = _round().model_dump(mode="json")
    base["dwellings"] = [{**FLAT, "bedrooms": 4, "rooms": 5, "area_m2": 110}]
    s = Scenario.model_validate(base)
    (band,) = horizon_by_size(s)
    assert (band.bedrooms, band.households, band.this_round) == (2, 1, 0)
    assert band.at_risk == ["F"]
    rate = {"dwelling": {**FLAT, "id": "rate-flat"}, "per_week": 1.0}
    s = Scenario.model_validate({**base, "forecast": {"vacancies": [rate]}})
    (band,) = horizon_by_size(s)
    assert band.forecast == 12.0 and band.at_risk == []
    (clock,) = household_clocks(s)
    assert clock.supply_before_deadline == round(25 / 7, 2) and not clock.at_risk


def test_no_share_of_a_gap_that_is_noise() -> None:
    """Greedy and hindsight a few hours apart on the median wait: no "gap closed" share
    (it would read -6100 %); a real gap keeps its share."""
    from allocator.replay.horizon import _share

    assert _share(np.array([[45.25, 45.2, 48.3]])) is None
    assert _share(np.array([[820.0, 185.0, 437.0]])) == pytest.approx((820 - 437) / (820 - 185))


HOMELESS = household(
    "B", approved_on="2026-11-01", children=[{"age": 7}], situation={"kind": "homeless"}
)


def _homeless_round(rate: float | None) -> Scenario:
    base = scenario(
        dwellings=[FLAT],
        households=[HOMELESS, COUPLE],
        policy={"solver": {"workers": 8}, "lookahead": {"weeks": 20, "futures": 4}},
    ).model_dump(mode="json")
    forecast = None if rate is None else {"temporary_entry_per_week": rate}
    return Scenario.model_validate({**base, "forecast": forecast})


def test_a_family_without_a_home_is_housed_now_when_temporary_housing_would_start_its_clock() -> (
    None
):
    """A homeless family has no clock yet; with a forecast chance of temporary housing
    its 3-month clock would start in the coming weeks, and no dwelling that fits comes
    before that deadline: it is housed now, and the reasons say why."""
    assert housed(_homeless_round(None)) == {"X": "W1"}
    assert housed(_homeless_round(0.0)) == {"X": "W1"}
    s = _homeless_round(1.0)  # placed in temporary housing within the week, for sure
    proposal = propose(s)
    assert {m.household: m.dwelling for m in proposal.matches} == {"B": "W1"}
    assert check_proposal(s, proposal) == []
    (match,) = proposal.matches
    ahead = next(r for r in match.reasons if r.code == "lookahead_entry")
    assert ahead.params["fails"] == 4 and ahead.params["weeks"] == 13
    assert ahead.text.startswith("Barnefamilie uten bolig: kan få midlertidig botilbud")
    assert "3-månedersfristen" in ahead.text and "om lag 13 uker fram" in ahead.text
    (couple,) = proposal.unmatched
    assert couple.reason.code == "held_for_entry"
    assert couple.reason.text.startswith("W1 er holdt av for B, en barnefamilie uten bolig")


def test_a_family_already_in_temporary_housing_is_not_counted_as_entering() -> None:
    from allocator.data import build_round_data
    from allocator.lookahead import assess

    s = Scenario.model_validate(
        {
            **_round(lookahead={"weeks": 20, "futures": 2}).model_dump(mode="json"),
            "forecast": {"temporary_entry_per_week": 1.0},
        }
    )
    outlook = assess(s, build_round_data(s))
    assert outlook is not None and not outlook.entering.any()


def test_the_temporary_entry_rate_is_estimated_from_consecutive_rounds() -> None:
    """Two homeless families on one round's list; a week later one is in temporary
    housing: half of them entered in one week."""
    first = household(
        "A", approved_on="2026-10-01", children=[{"age": 3}], situation={"kind": "homeless"}
    )
    second = household(
        "C", approved_on="2026-10-01", children=[{"age": 9}], situation={"kind": "crisis_centre"}
    )
    single = household("S", approved_on="2026-10-01", situation={"kind": "homeless"})
    before = scenario(dwellings=[FLAT], households=[first, second, single])
    moved = {**first, "situation": {"kind": "temporary", "since": "2026-11-25"}}
    later = scenario(dwellings=[FLAT], households=[first, second, single]).model_dump(mode="json")
    later["households"][0] = moved
    after = Scenario.model_validate({**later, "as_of": "2026-11-30"})
    assert estimate([before, after]).temporary_entry_per_week == 0.5
    assert (
        estimate(
            [before, before.model_copy(update={"as_of": after.as_of})]
        ).temporary_entry_per_week
        == 0.0
    )


REFUGEE = {
    **household("R", approved_on="2026-11-01", children=[{"age": 6}]),
    "situation": {"kind": "refugee"},
}


def _couple_round(forecast: dict[str, object] | None) -> Scenario:
    """The couple and the one flat, six weeks of look-ahead, and `forecast`."""
    base = scenario(
        dwellings=[FLAT],
        households=[COUPLE],
        policy={"solver": {"workers": 8}, "lookahead": {"weeks": 6, "futures": 4}},
    ).model_dump(mode="json")
    return Scenario.model_validate({**base, "forecast": forecast})


def test_a_dwelling_is_kept_empty_for_a_clocked_arrival_the_futures_expect() -> None:
    """Refugee families the municipality will receive come onto the list every week, due
    within a month, and nothing else fits them in the coming weeks: the one flat
    that fits stays empty rather than go to a household without a clock, and says why."""
    arrivals = [{"household": REFUGEE, "per_week": 3, "deadline_after_days": 30}]
    s = _couple_round({"arrivals": arrivals})
    assert housed(_couple_round(None)) == {"X": "W1"}
    proposal = propose(s)
    assert proposal.matches == []
    assert check_proposal(s, proposal) == []
    (empty,) = proposal.empty_dwellings
    assert empty.reason.code == "kept_for_deadlines"
    (couple,) = proposal.unmatched
    assert couple.reason.code == "lookahead_kept"
    assert couple.reason.text.startswith("Planleggingen framover holder W1")
    from allocator.report import render_report

    page = render_report(s, proposal)
    assert "1c. Planlegging framover: ventede brudd på fristene" in page
    assert "lookahead_breaches" not in page and "tiebreak_assignment" not in page
    assert empty.reason.text.startswith("Holdes ledig for de kommende ukenes frister: i 4 av 4")
    tiers = {t.name: t for t in proposal.run.tiers}
    assert tiers["lookahead_breaches"].objective == 0


def test_a_dwelling_the_futures_do_not_need_is_not_kept() -> None:
    """The same arrivals with a family flat listed every week in the futures: nothing is
    gained by keeping this one, so the couple gets it."""
    rate = {"dwelling": {**FLAT, "id": "rate-flat"}, "per_week": 8, "notice_days": 0}
    forecast = {
        "arrivals": [{"household": REFUGEE, "per_week": 1, "deadline_after_days": 20}],
        "vacancies": [rate],
    }
    s = _couple_round(forecast)
    assert housed(s) == {"X": "W1"}


def _couple_round_with(lookahead: dict[str, object], flat: dict[str, object]) -> Scenario:
    """The couple, `flat`, refugee families expected every week, `lookahead` settings."""
    arrivals = [{"household": REFUGEE, "per_week": 3, "deadline_after_days": 30}]
    base = scenario(
        dwellings=[flat],
        households=[COUPLE],
        policy={"solver": {"workers": 8}, "lookahead": {"weeks": 6, "futures": 4, **lookahead}},
    ).model_dump(mode="json")
    return Scenario.model_validate({**base, "forecast": {"arrivals": arrivals}})


def test_a_dwelling_is_kept_only_above_the_keep_share() -> None:
    """The flat keeps a deadline in 4 of 4 futures: kept at any share below 1, given to the
    couple when the share asks for more than every future."""
    assert housed(_couple_round_with({"keep_share": 0.75}, FLAT)) == {}
    assert housed(_couple_round_with({"keep_share": 1.0}, FLAT)) == {"X": "W1"}


def test_a_dwelling_free_for_longer_than_keep_weeks_is_not_kept() -> None:
    """Free since eight weeks before the round: with `keep_weeks: 4` it is no longer kept
    for the forecast arrivals and the couple gets it; without a limit it stays empty."""
    old = {**FLAT, "available_from": "2026-09-28"}
    assert housed(_couple_round_with({}, old)) == {}
    assert housed(_couple_round_with({"keep_weeks": 4}, old)) == {"X": "W1"}
    assert housed(_couple_round_with({"keep_weeks": 10}, old)) == {}


@pytest.mark.parametrize("options", [{"keep_share": 0.5}, {"keep_weeks": 2}])
def test_the_keep_options_are_deterministic(options: dict[str, object]) -> None:
    s = _couple_round_with(options, FLAT)
    first, second = propose(s), propose(s)
    assert first.matches == second.matches
    assert [e.reason.text for e in first.empty_dwellings] == [
        e.reason.text for e in second.empty_dwellings
    ]


def _expected_family_round(lookahead: dict[str, object]) -> Scenario:
    """The couple and the flat (free 01.12.2026), and a family known to enter temporary
    housing and join the list on 21.12.2026, four rounds from now; its 3-month deadline
    is 13.01.2027 and nothing else that fits it is expected."""
    family = {
        **household(
            "E",
            approved_on="2026-10-15",
            children=[{"age": 3}],
            situation={"kind": "temporary", "since": "2026-10-15"},
        ),
        "joins_on": "2026-12-21",
    }
    base = scenario(
        dwellings=[FLAT],
        households=[COUPLE],
        policy={"solver": {"workers": 8}, "lookahead": {"weeks": 6, "futures": 4, **lookahead}},
    ).model_dump(mode="json")
    return Scenario.model_validate({**base, "expected_households": [family]})


def test_a_dwelling_is_kept_only_for_a_household_that_joins_within_the_keep_window() -> None:
    """Kept at most `keep_weeks` past its free day, the flat would be let two rounds from
    now, before the family joins: keeping it now gains nothing and the couple gets it.
    With six weeks the flat is still empty when the family joins (it is offered to it in
    the round it joins), so it is kept; without a limit too."""
    assert housed(_expected_family_round({"keep_weeks": 1})) == {"X": "W1"}
    assert housed(_expected_family_round({"keep_weeks": 6})) == {}
    assert housed(_expected_family_round({})) == {}


def test_the_round_alone_gets_what_is_left_of_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """With look-ahead, `propose` solves twice (the second, the round alone, only to say in
    the reasons what the look-ahead changed): the second solve gets what the first left
    of the time limit, so the whole call stays within it."""
    import allocator.solve as module

    limits: list[float | None] = []
    real = module.solve

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        limits.append(args[2] if len(args) > 2 else kwargs.get("time_limit_s"))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "solve", recording)
    s = _couple_round_with({}, FLAT)
    module.propose(s, time_limit_s=4.0)
    assert len(limits) == 2 and limits[0] == 4.0
    assert limits[1] is not None and 0.0 <= limits[1] < 4.0


def test_reasons_compare_only_with_a_proven_round_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The couple's reason says the look-ahead kept the flat it would otherwise have got,
    a claim about the round alone; when that solve is not proven (time ran out), the
    reason does not make it."""
    import dataclasses

    import allocator.solve as module
    from allocator.lexicographic import LexResult

    arrivals = [{"household": REFUGEE, "per_week": 3, "deadline_after_days": 30}]
    s = _couple_round({"arrivals": arrivals})
    (couple,) = module.propose(s).unmatched
    assert couple.reason.code == "lookahead_kept"
    real, calls = module.solve, []

    def unproven_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        calls.append(out)
        if len(calls) == 1:
            return out
        tiers = [t.model_copy(update={"status": "FEASIBLE"}) for t in out.lex.tiers]
        return dataclasses.replace(out, lex=LexResult(out.lex.chosen, tiers, out.lex.components))

    monkeypatch.setattr(module, "solve", unproven_second)
    proposal = module.propose(s)
    (couple,) = proposal.unmatched
    assert len(calls) == 2 and couple.reason.code != "lookahead_kept"
    assert proposal.matches == [] and check_proposal(s, proposal) == []


def test_a_due_family_that_the_coming_weeks_cannot_house_goes_first() -> None:
    """Two families over the same deadline, one flat that fits both: the round alone
    houses the one that waited longer; the futures bring two-bedroom flats every week,
    which fit only the smaller family (R2), so the look-ahead houses the larger one now (its
    further days over if not housed now count, less those it has anyway)."""
    from allocator.data import build_round_data
    from allocator.lookahead import assess

    since = {"kind": "temporary", "since": "2026-08-01"}  # deadline 30.10.2026: both due
    small = household("S", approved_on="2026-07-01", children=[{"age": 4}], situation=since)
    large = household(
        "L",
        approved_on="2026-07-20",
        children=[{"age": 4}, {"age": 7}, {"age": 9}],
        situation=since,
    )
    flat = dwelling("W3", bedrooms=3, rooms=4, area_m2=85)
    rate = {"dwelling": {**FLAT, "id": "rate-family-flat"}, "per_week": 8, "notice_days": 10}

    def round_(**policy: object) -> Scenario:
        base = scenario(dwellings=[flat], households=[small, large], policy=policy)
        return Scenario.model_validate(
            {**base.model_dump(mode="json"), "forecast": {"vacancies": [rate]}}
        )

    assert housed(round_()) == {"S": "W3"}
    s = round_(lookahead={"weeks": 6, "futures": 4})
    data = build_round_data(s)
    outlook = assess(s, data)
    assert outlook is not None
    i_small, i_large = data.household_index["S"], data.household_index["L"]
    assert outlook.due_now[i_small] and outlook.due_now[i_large]
    assert outlook.days[i_large] > outlook.days[i_small]
    assert outlook.fails[i_large] == outlook.fails[i_small] == 0  # this round's breach
    proposal = propose(s)
    assert {m.household: m.dwelling for m in proposal.matches} == {"L": "W3"}
    assert check_proposal(s, proposal) == []
    (left,) = proposal.unmatched
    assert left.household == "S" and left.reason.code == "lookahead_shifted"
