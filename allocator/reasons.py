"""Reason codes (stable, English) and their Norwegian (bokmål) texts for people.

The JSON carries the code and its parameters (dates as ISO strings); the text is rendered
from this table (dates as dd.mm.yyyy) so the wording can improve without breaking the
case system's parsing. Why a rule rules a pair out is stated by the rule itself
(allocator.rules, `text`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allocator.rules import RULE_TEXT as _RULE_TEXT
from models.proposal import Reason

#: Pair-rejection codes in bokmål: every rule's own text, and the objective.
RULE_TEXT: dict[str, str] = {
    **_RULE_TEXT,
    # Not a rule: housing the candidate would make a higher tier worse (e.g. a household
    # under a deadline clock moving in later than waiting would cost).
    "objective": "tildelingen ville gjort et høyere prioritert mål dårligere "
    "(f.eks. flere dager over en frist)",
    # Not a rule of one pair: the dwelling is a tenant's, and the tenant does not move
    # (R11), or moves on a day that makes this move-in impossible.
    "tenant_stays": "boligen er bebodd, og leietakeren flytter ikke denne runden",
    "chain_timing": "boligen blir ledig for sent (klargjøring etter at leietakeren flytter)",
}

TEXT: dict[str, str] = {
    # matches
    "pinned": "Låst av tildelingsmøtet{reason_suffix}.",
    "deadline_on_time": "{who}: flytter inn {move_in}, innen {clock_name} {deadline}.",
    "deadline_late": "{who}: innflytting {move_in} er etter {clock_name} {deadline} "
    "(dager over fristen: {days_over}); ingen ledig bolig passer tidligere.",
    "lookahead_now": "{who}: når {clock_name} {deadline}, om {weeks} uker; i {fails} av "
    "{futures} simulerte framtider de neste {horizon} ukene kommer ingen "
    "ledig bolig som passer før fristen, så {dwelling} tilbys nå."
    "{changed_suffix}",
    "lookahead_entry": "{who}: kan få midlertidig botilbud mens den venter, og da løper "
    "{clock_name}. I {fails} av {futures} simulerte framtider de neste {horizon} ukene skjer "
    "det, og ingen ledig bolig som passer kommer før fristen (om lag {weeks} uker fram), så "
    "{dwelling} tilbys nå.{changed_suffix}",
    "priority": "Prioritet {priority}, {waiting_days} dager på venteliste ({points} poeng).",
    "preferred_district": "Ønsket bydel nr. {rank} ({district}).",
    "outside_wishes": "Ingen ønsket bydel var mulig; boligen ligger i {district}.",
    "school_kept": "Barna beholder skolen (skolevei {minutes} min).",
    "needs_met": "Behov dekket: {needs}.",
    "spare_bedrooms": "{spare} soverom mer enn behovet.",
    "competition": "Andre husstander som passer boligen: {candidates}; av dem har "
    "{elsewhere} fått en annen bolig i forslaget.",
    "competition_none": "Ingen andre husstander på listen passer boligen.",
    # transfers and vacancy chains (R11)
    "transfer_move": "Byttesøknad ({why}): flytter fra {from_dwelling}, som blir ledig "
    "for neste husstand {free_on}.",
    "chain_link": "Boligen blir ledig fordi {tenant} flytter ut {tenant_move_in}; klar "
    "{ready} etter {turnover} dagers klargjøring.",
    "swap": "Direkte bytte med {other}: begge flytter {move_in}.",
    "swap_story": "{a} (fra {a_from}) og {b} (fra {b_from}) bytter bolig; begge flytter {move_in}.",
    "transfer_not_moved": "Byttesøknaden ({why}) er ikke innfridd denne runden; "
    "husstanden blir boende i {current}. {detail}",
    "tenant_stays": "Bebodd: leietakeren {tenant} flytter ikke denne runden, så boligen "
    "blir ikke ledig.",
    # unmatched
    "no_feasible_dwelling": "Ingen av ukens ledige boliger passer: {summary}.",
    "outranked": "Boligene som passet gikk til husstander som veier tyngre: {summary}.{blocked}",
    "outranked_and_decision": "Boligene som passet gikk til husstander som veier tyngre "
    "({summary}) og etter vedtak i tildelingsmøtet ({decisions})."
    "{blocked}",
    "better_overall": "Boligene som passet gikk til andre fordi runden samlet blir bedre "
    "slik (færre fristbrudd, flere prioriterte husstander eller bedre "
    "tilpasning): {summary}.{blocked}",
    "better_overall_and_decision": "Boligene som passet gikk til andre fordi runden samlet "
    "blir bedre slik ({summary}) og etter vedtak i "
    "tildelingsmøtet ({decisions}).{blocked}",
    "displaced_by_decision": "Boligene som passet er låst til andre husstander av "
    "tildelingsmøtet: {summary}.{blocked}",
    "rest_blocked": "De andre boligene som passet er sperret av regler for hele runden ({rules}).",
    "rest_objective": "De andre boligene som passet ville gjort et høyere prioritert mål "
    "dårligere (f.eks. flere dager over en frist).",
    "held_for_deadline": "{dwelling} er holdt av for {holder}, som når {clock_name} "
    "{deadline} om {weeks} uker: i {fails} av {futures} simulerte "
    "framtider kommer ingen annen bolig som passer før fristen. Uten "
    "planlegging framover ville husstanden fått {dwelling} denne uken.",
    "held_for_entry": "{dwelling} er holdt av for {holder}, en barnefamilie uten bolig som "
    "kan få midlertidig botilbud: i {fails} av {futures} simulerte framtider når den da "
    "{clock_name} (om lag {weeks} uker fram) uten en annen bolig som passer. Uten "
    "planlegging framover ville husstanden fått {dwelling} denne uken.",
    "lookahead_shifted": "Planleggingen framover flyttet ukens tilbud: {dwelling}, som "
    "husstanden ellers ville fått, går til {holder}.",
    "lookahead_kept": "Planleggingen framover holder {dwelling}, som husstanden ellers ville "
    "fått, ledig for de kommende ukenes frister.",
    "blocked_by_round_rules": "Boligene som passet er sperret av regler for hele runden ({rules}).",
    # empty dwellings
    "no_eligible_household": "Ingen søker på listen passer boligen: {summary}.",
    "kept_for_deadlines": "Holdes ledig for de kommende ukenes frister: i {kept} av "
    "{futures} simulerte framtider de neste {horizon} ukene får en husstand med frist "
    "bolig i tide bare hvis denne boligen fortsatt er ledig (søkere som passer nå: "
    "{candidates}).",
    "candidates_placed_elsewhere": "Alle som passet fikk en annen bolig.",
    "candidates_blocked": "Søkerne som passet er sperret av regler for hele runden ({rules}).",
    # breaches
    "no_dwelling_in_time": "Ingen ledig bolig passer innen {clock_name} {deadline}; "
    "dager over fristen: {days_over}.",
    "moved_in_late": "Flytter inn etter {clock_name} {deadline}; dager over fristen: {days_over}.",
    # alternates
    "alternate": "Neste i rekken om tilbudet avslås.",
    # the R10 group-share floor (policy fairness.group_share), one per proposal
    "group_share_binding": "Krav om andel for {label}: {members} av {households} på "
    "ventelisten ({share} %). Målet er minst {target} av rundens inntil "
    "{most_placements} tildelinger ({ratio} × andelen, rundet opp); "
    "{members_fit} i gruppen passer en ledig bolig, så {reserved} "
    "holdes av. Gruppen fikk {placed}; husstander utenfor gruppen fikk "
    "{others} av høyst {cap}. Kravet er bindende: husstander utenfor "
    "gruppen som passer en av boligene, står uten tilbud ({held_back})."
    "{due_note}",
    "group_share_slack": "Krav om andel for {label}: {members} av {households} på "
    "ventelisten ({share} %). Målet er minst {target} av rundens inntil "
    "{most_placements} tildelinger ({ratio} × andelen, rundet opp); "
    "{members_fit} i gruppen passer en ledig bolig, så {reserved} holdes "
    "av. Gruppen fikk {placed}; husstander utenfor gruppen fikk {others} "
    "av høyst {cap}. Kravet binder ikke i denne runden.{due_note}",
    "group_share_none_held": "Krav om andel for {label}: {members} av {households} på "
    "ventelisten ({share} %), men ingen i gruppen passer ukens ledige "
    "boliger, så ingen plasser holdes av.",
    "group_share_inactive": "Krav om andel for {label}: ingen plasser holdes av, fordi "
    "{members} av {households} på ventelisten er i gruppen.",
    "group_share_unused": "{unused} av plassene som ble holdt av, gikk ikke til gruppen: "
    "flere i gruppen kunne ikke få bolig sammen med resten av forslaget "
    "(regler for hele runden, frister eller låser).",
}


#: Needs in bokmål (reason texts); the JSON keeps the field names.
NEED_TEXT: dict[str, str] = {
    "wheelchair": "rullestoltilpasset",
    "step_free": "trinnfri",
    "staffed": "bemanning",
    "adapted": "tilrettelagt",
}


def norwegian_date(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


def rule_text(code: str, **params: Any) -> str:
    template = RULE_TEXT.get(code, code)
    try:
        return template.format(**params)
    except KeyError:
        return template.split(" (")[0]


def reason(code: str, **params: Any) -> Reason:
    """A Reason with its bokmål text; unknown parameters are ignored by the template.
    Dates are shown as dd.mm.yyyy and kept as ISO strings in `params`."""
    template = TEXT[code]
    shown = {
        k: norwegian_date(v) if isinstance(v, dt.date) else ("" if v is None else v)
        for k, v in params.items()
    }
    stored = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}
    return Reason(code=code, params=stored, text=template.format(**shown))
