"""The proposal for people: a Norwegian HTML report and a short terminal summary."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from allocator.fairness import SEPARATOR_LABELS, equal_treatment
from allocator.glossary import SOLVER_TEXT, TERMS, TierNames, count, day, tidy
from allocator.glossary import TIER_TEXT as GLOSSARY_TIERS
from models.proposal import Proposal
from models.scenario import Scenario

STATUS_TEXT = SOLVER_TEXT
TIER_TEXT = TierNames(
    {
        "deadline_breaches": f"1a. {GLOSSARY_TIERS['deadline_breaches']} (min)",
        "deadline_days_over": f"1b. {GLOSSARY_TIERS['deadline_days_over']} (min)",
        "lookahead_breaches": f"1c. {GLOSSARY_TIERS['lookahead_breaches']} (min)",
        "lookahead_days_over": f"1d. {GLOSSARY_TIERS['lookahead_days_over']} (min)",
        "priority_waiting": f"2. {GLOSSARY_TIERS['priority_waiting']} (maks)",
        "fit": "3. Tilpasning: ønsker, soverom, skolevei, tomgang, belastning (min)",
        "tiebreak": "4. Rekkefølge ved likhet: ansiennitet, deretter fast loddtrekning",
        "tiebreak_assignment": f"4. {GLOSSARY_TIERS['tiebreak_assignment']} (min)",
    }
)


def _fmt(value: float | None) -> str:
    """A number as bokmål writes it: a decimal comma."""
    if value is None:
        return "–"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3f}".replace(".", ",")


def _pct(value: float | None) -> str:
    """A gap in per cent; beyond 100 % the figure says only that the bound is far (a
    tie-break's bound can be 10^10 times its value, which no reader can use)."""
    if value is None:
        return "–"
    if value > 1:
        return "> 100 %"
    return f"{100 * value:.2f} %".replace(".", ",")


def render_report(scenario: Scenario, proposal: Proposal) -> str:
    env = Environment(
        loader=PackageLoader("allocator", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    template = env.get_template("report.html.j2")
    districts = {d.id: d.name or d.id for d in scenario.districts}
    return template.render(
        p=proposal,
        s=scenario,
        fmt=_fmt,
        pct=_pct,
        status_text=STATUS_TEXT,
        tier_text=TIER_TEXT,
        day=day,
        tidy=tidy,
        terms=TERMS,
        count=count,
        districts=districts,
        rules_off=scenario.policy.rules_off(),
        equal=equal_treatment(scenario, proposal),
        separator_labels=SEPARATOR_LABELS,
        transfers=scenario.policy.transfers,
    )


def summary_lines(proposal: Proposal, rules_off: list[str] | None = None) -> list[str]:
    """The console summary; `rules_off` (the policy's switches set to off) comes first,
    so an analysis run is never mistaken for a meeting proposal."""
    k, r = proposal.kpis, proposal.run
    tiers = ", ".join(
        f"{t.name}={_fmt(t.objective)} ({t.status}, gap {_pct(t.gap)})"
        for t in r.tiers
        if t.status != "SKIPPED"
    )
    freed = f" and {k.housed_through_chains} freed dwellings" if k.housed_through_chains else ""
    return [
        *(
            [f"WARNING: rules switched off in this policy: {', '.join(rules_off)}"]
            if rules_off
            else []
        ),
        f"run {r.id} [{r.method}] status {r.status} in {r.wall_time_s} s",
        f"housed {k.housed} of {k.households} households in {k.vacancies} vacancies{freed}; "
        f"due families housed {k.due_housed}/{k.due_families}; breaches {k.breaches} "
        f"({k.days_over} days over)",
        f"unmatched {k.unmatched}; empty dwellings {k.empty_dwellings}; vacancy days "
        f"{k.vacancy_days}; dissimilarity {_fmt(k.dissimilarity_before)} -> "
        f"{_fmt(k.dissimilarity_after)}",
        *([f"tiers: {tiers}"] if tiers else []),
        *_group_share_line(proposal),
        *_chain_lines(proposal),
    ]


def _chain_lines(proposal: Proposal) -> list[str]:
    """Transfers (R11): the tenants moved and each chain's story, when the round has any."""
    k = proposal.kpis
    if not k.transfer_applications:
        return []
    return [
        f"transfers: {k.tenants_moved}/{k.transfer_applications} tenants moved, "
        f"{k.overcrowded_resolved} overcrowded resolved, {k.family_flats_freed} family "
        f"flats freed and let, {k.housed_through_chains} housed in freed dwellings",
        *(f"  {c.text}" for c in proposal.chains),
    ]


def _group_share_line(proposal: Proposal) -> list[str]:
    """One line for the R10 group-share floor, when the policy sets one."""
    g = proposal.group_share
    if g is None:
        return []
    cap = "no cap" if g.cap_others is None else f"others {g.others_placed}/{g.cap_others}"
    return [
        f"group share (R10) {g.group}: {g.members_placed} placed of {g.reserved} held "
        f"(target {g.target}); {cap}"
        + ("; BINDING" if g.binding else "")
        + ("" if g.met else "; held places unused")
    ]
