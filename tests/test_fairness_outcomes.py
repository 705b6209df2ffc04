"""Outcomes by group: group membership, the measures on hand-made records, the interval over
seeds, the replay's ledger against its own KPIs, and --seeds (fairness.csv and the report
section of a one-seed replay are checked in test_replay.py, beside the other outputs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import household
from click.testing import CliRunner

from allocator.cli import main
from allocator.fairness.groups import CORE, group_by_key, groups_for, is_refugee
from allocator.fairness.outcomes import MEASURES, HouseholdOutcome, group_rows, summarize
from allocator.replay import Settings, resolve_all, run_replay
from allocator.replay.fairness import replay_groups
from allocator.replay.municipality import DEFAULT_CONFIG, Municipality, generate
from allocator.replay.report import fairness_frames
from allocator.replay.runner import ReplayResult
from allocator.sweep.stats import t_interval
from models.scenario import District, Household, SituationKind

WEEKS = 4


def make(id: str, **kw: object) -> Household:
    return Household.model_validate(household(id, **kw))


@pytest.fixture(scope="module")
def town() -> Municipality:
    return generate(DEFAULT_CONFIG, seed=0)


@pytest.fixture(scope="module")
def result(town: Municipality) -> ReplayResult:
    return run_replay(
        town, resolve_all(["default", "greedy"]), Settings(weeks=WEEKS, seed=0, progress=False)
    )


def test_groups_are_tests_on_the_household_as_approved() -> None:
    family = make("F", adults=2, children=[{"age": 4}], situation={"kind": "homeless"})
    single = make("S", substance_use="active", priority=1)
    wheel = make(
        "W", adults=2, substance_use="recovery", needs={"wheelchair": True, "step_free": True}
    )

    def keys(h: Household, origin: str | None = None) -> set[str]:
        return {
            g.key
            for g in groups_for(
                [District(id="D1", name="Sentrum")], origin_known=True, origin_unknown=True
            )
            if g.has(h, origin)
        }

    assert keys(family, "D1") == {
        "all",
        "families",
        "priority_2",
        "situation_homeless",
        "origin_D1",
    }
    assert keys(single) == {
        "all",
        "single_adults",
        "active_use",
        "priority_1",
        "situation_other",
        "origin_unknown",
    }
    assert keys(wheel) >= {"recovery", "wheelchair"} and "single_adults" not in keys(wheel)
    assert group_by_key(CORE, "families").label == "barnefamilier"
    with pytest.raises(KeyError, match="unknown group"):
        group_by_key(CORE, "nope")
    # Refugees: situation.kind == refugee, once the data contract has the kind.
    assert not is_refugee(family)
    if "refugee" in SituationKind.__members__:
        refugee = make("R", situation={"kind": "refugee"})
        assert "refugees" in keys(refugee)
    assert "situation_refugee" not in {g.key for g in CORE}  # its own row, not twice


def test_measures_on_hand_made_outcomes() -> None:
    a = HouseholdOutcome(
        make("A", children=[{"age": 2}], preferred_districts=["D1"]),
        offers=2,
        declines=1,
        housed=True,
        wait_days=30,
        wish_rank=1,
        spare_bedrooms=0,
        burden=0.9,
        breach_rounds=2,
        days_over=12,
    )
    b = HouseholdOutcome(
        make("B", children=[{"age": 5}], preferred_districts=["D1", "D2"]),
        offers=1,
        housed=True,
        wait_days=90,
        wish_rank=3,
        spare_bedrooms=1,
        burden=0.1,
    )
    c = HouseholdOutcome(make("C", children=[{"age": 7}]))
    d = HouseholdOutcome(
        make("D"), offers=1, housed=True, wait_days=10, spare_bedrooms=0, burden=0.5
    )
    rows = {r["group"]: r for r in group_rows([a, b, c, d], CORE)}
    fam, single, every = rows["families"], rows["single_adults"], rows["all"]
    assert fam["approvals"] == 3 and fam["approval_share"] == 0.75
    assert fam["housed"] == 2 and fam["housed_share"] == pytest.approx(2 / 3)
    assert fam["share_of_housed"] == pytest.approx(2 / 3)
    assert fam["housed_vs_approvals"] == pytest.approx((2 / 3) / 0.75, abs=1e-4)
    assert fam["wait_p50"] == 60.0 and fam["wait_p90"] == pytest.approx(84.0)
    assert fam["breached"] == 1 and fam["days_over"] == 12
    assert fam["wish_met_share"] == 0.5  # B placed outside its two wishes
    assert fam["wish_rank_mean"] == 2.0 and fam["spare_bedrooms_mean"] == 0.5
    assert fam["burden_mean"] == pytest.approx(0.5)
    assert fam["offers"] == 3 and fam["decline_share"] == pytest.approx(1 / 3)
    assert single["approvals"] == 1 and single["wish_met_share"] is None  # no wishes
    assert every["housed_vs_approvals"] == 1.0
    empty = rows["refugees"]
    assert empty["approvals"] == 0 and empty["housed_share"] is None
    assert empty["housed_vs_approvals"] is None and empty["wait_p50"] is None
    assert set(every) == {"group", "dimension", "label"} | {m.key for m in MEASURES}


def test_summary_over_seeds_is_the_t_interval_cut_to_the_range() -> None:
    rows = pd.DataFrame(
        [
            {
                "policy": "p",
                "group": "all",
                "dimension": "all",
                "label": "alle",
                "housed": h,
                "housed_share": s,
            }
            for h, s in ((10, 0.9), (14, 0.99), (12, 0.95))
        ]
    )
    out = summarize(rows).set_index("measure")
    want = t_interval(np.array([10.0, 14.0, 12.0]))
    assert out.loc["housed", "n"] == 3 and out.loc["housed", "mean"] == pytest.approx(12.0)
    assert out.loc["housed", "ci_low"] == pytest.approx(want.low)
    assert out.loc["housed", "ci_high"] == pytest.approx(want.high)
    assert out.loc["housed_share", "ci_high"] == 1.0  # a share never exceeds 100 %
    one = summarize(rows.head(1)).set_index("measure")
    assert one.loc["housed", "mean"] == 10 and pd.isna(one.loc["housed", "ci_low"])


def test_the_ledger_agrees_with_the_replay_kpis(result: ReplayResult, town: Municipality) -> None:
    groups, _ = fairness_frames(result)
    for run in result.runs:
        summary = run.summary()
        mine = groups[groups["policy"] == run.spec.name].set_index("group")
        assert mine.loc["all", "housed"] == summary["housed"]
        assert mine.loc["all", "wait_p50"] == summary["wait_p50"]
        assert mine.loc["all", "wait_p90"] == summary["wait_p90"]
        assert mine.loc["all", "breached"] == summary["families_breached"]
        assert mine.loc["all", "offers"] == sum(r["offers"] for r in run.rows)
        assert run.ledger is not None
        records = run.ledger.records
        assert mine.loc["families", "breached"] == sum(
            1 for h in run.totals.breached if records[h].household.is_family
        )
        on_list = {h.id for h in town.waiting} | {
            a["id"] for t in run.trace for a in (*t.arrivals, *t.transfer_applications)
        }
        assert mine.loc["all", "approvals"] == len(on_list)
        # Every household of a generated town has a district of origin; they add up.
        origins = mine[mine["dimension"] == "origin"]
        assert origins["approvals"].sum() == len(on_list)
        assert origins["housed"].sum() == summary["housed"]
        assert mine.loc["priority_1":"priority_3", "approvals"].sum() == len(on_list)
    assert "origin_unknown" not in {g.key for g in replay_groups(town)}


def test_generator_records_where_each_household_lives_now(town: Municipality) -> None:
    assert set(town.home_districts) == {h.id for h in town.waiting}
    for h in town.waiting:
        home = town.home_districts[h.id]
        for child in h.children:
            if child.school_zone is not None:  # children attend a school near home
                assert child.school_zone in town.zones[home][0] + town.zones[home][1]
    again = generate(DEFAULT_CONFIG, seed=0)  # recording draws nothing: same town
    assert again.home_districts == town.home_districts
    assert [h.model_dump() for h in again.waiting] == [h.model_dump() for h in town.waiting]


def test_cli_seeds_give_every_seed_and_intervals(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = CliRunner().invoke(
        main,
        [
            "replay",
            str(DEFAULT_CONFIG),
            "--weeks",
            "2",
            "--policy",
            "default",
            "--seed",
            "3",
            "--seeds",
            "2",
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert run.exit_code == 0, run.output
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert sorted(kpis["seed"].unique()) == [3, 4] and len(kpis) == 2 * 2
    assert sorted(pd.read_csv(out / "summary.csv")["seed"]) == [3, 4]
    summary = pd.read_csv(out / "fairness_summary.csv")
    housed = summary[(summary["group"] == "all") & (summary["measure"] == "approvals")]
    assert housed["n"].tolist() == [2] and housed["ci_low"].notna().all()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Snitt over 2 trekninger (3, 4)" in html
    assert "snitt over 2 trekninger med 95 %" in html.lower()


def test_group_and_replay_reports_say_tildelt_bolig_as_the_glossary_does() -> None:
    """One word per concept: a household that got a dwelling is "tildelt bolig"
    everywhere ("bosatt" belongs to refugee settlement), the cap is "3-månedersfristen"."""
    from allocator.glossary import TERMS

    root = Path(__file__).resolve().parents[1] / "allocator"
    assert TERMS["housed"] == "tildelt bolig"
    for name in (
        "fairness/outcomes.py",
        "fairness/report.py",
        "fairness/templates/groups.html.j2",
        "replay/kpis.py",
        "replay/horizon.py",
    ):
        text = (root / name).read_text(encoding="utf-8")
        assert "bosatt" not in text.lower(), name
        assert "3-månedersgrensen" not in text, name
