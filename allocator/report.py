"""The proposal for people: a Norwegian HTML report and a short terminal summary."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from allocator.fairness import SEPARATOR_LABELS, equal_treatment
from models.proposal import Proposal
from models.scenario import Scenario

STATUS_TEXT = {"OPTIMAL": "bevist optimal", "FEASIBLE": "gyldig, ikke bevist optimal",
               "UNKNOWN": "ingen løsning funnet", "SKIPPED": "hoppet over",
               "INFEASIBLE": "umulig"}
TIER_TEXT = {"deadline_breaches": "1a. Brudd på 3-månedersgrensen (min)",
             "deadline_days_over": "1b. Dager over grensen (min)",
             "priority_waiting": "2. Prioritet og ventetid (maks)",
             "fit": "3. Tilpasning: ønsker, soverom, skolevei, tomgang, belastning (min)",
             "tiebreak": "4. Likhetsbrudd: ansiennitet, deretter fast loddtrekning (min)"}


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f} %"


def render_report(scenario: Scenario, proposal: Proposal) -> str:
    env = Environment(loader=PackageLoader("allocator", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("report.html.j2")
    return template.render(p=proposal, s=scenario, fmt=_fmt, pct=_pct,
                           status_text=STATUS_TEXT, tier_text=TIER_TEXT,
                           rules_off=scenario.policy.rules_off(),
                           equal=equal_treatment(scenario, proposal),
                           separator_labels=SEPARATOR_LABELS)


def summary_lines(proposal: Proposal, rules_off: list[str] | None = None) -> list[str]:
    """The console summary; `rules_off` (the policy's switches set to off) comes first,
    so an analysis run is never mistaken for a meeting proposal."""
    k, r = proposal.kpis, proposal.run
    tiers = ", ".join(f"{t.name}={_fmt(t.objective)} ({t.status}, gap {_pct(t.gap)})"
                      for t in r.tiers if t.status != "SKIPPED")
    return [
        *([f"WARNING: rules switched off in this policy: {', '.join(rules_off)}"]
          if rules_off else []),
        f"run {r.id} [{r.method}] status {r.status} in {r.wall_time_s} s",
        f"housed {k.housed} of {k.households} households in {k.vacancies} vacancies; "
        f"due families housed {k.due_housed}/{k.due_families}; breaches {k.breaches} "
        f"({k.days_over} days over)",
        f"unmatched {k.unmatched}; empty dwellings {k.empty_dwellings}; vacancy days "
        f"{k.vacancy_days}; dissimilarity {_fmt(k.dissimilarity_before)} -> "
        f"{_fmt(k.dissimilarity_after)}",
        *( [f"tiers: {tiers}"] if tiers else [] ),
    ]
