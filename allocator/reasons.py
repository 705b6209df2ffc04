"""Reason codes (stable, English) and their Norwegian (bokmål) texts for people.

The JSON carries the code and its parameters; the text is rendered from this table so the
wording can improve without breaking the case system's parsing.
"""

from __future__ import annotations

from typing import Any

from models.proposal import Reason

#: Pair-rejection codes (docs/rules.md) in bokmål.
RULE_TEXT: dict[str, str] = {
    "forbidden_pair": "paret er sperret av tildelingsmøtet",
    "crowding": "boligen blir trangbodd (SSB: for få rom og under {min_area} m² per person)",
    "too_few_bedrooms": "for få soverom for husstanden",
    "too_many_bedrooms": "for mange soverom: store familieboliger spares til store familier",
    "excluded_district": "bydelen er utelukket for husstanden",
    "not_acceptable_district": "bydelen er ikke blant de aktuelle bydelene",
    "school_continuity": "barn mister skoletilhørigheten (over {max_minutes} min skolevei)",
    "site_profile": "botilbudet er for en annen målgruppe (rus/rusfri)",
    "site_gender": "botilbudet er kjønnsdelt",
    "site_age": "hovedsøkers alder er utenfor botilbudets aldersgrense",
    "temporary_family": "barnefamilier skal ikke i midlertidig botilbud",
    "wheelchair": "boligen er ikke rullestoltilpasset",
    "step_free": "boligen er ikke trinnfri (heis eller 1. etasje)",
    "staffed": "bemannet bolig bare for husstander med behov for bemanning",
    "adapted": "husstanden trenger tilrettelagt bolig",
    "youth": "ungdomsbolig: hovedsøker er over aldersgrensen",
    "rent_limit": "husleien er over husstandens husleiegrense",
    "building_cap": "bygget har nådd taket for husstander med store behov",
    "district_quota": "bydelens kvote for nye husstander med store behov er brukt opp",
    "separation": "aktiv rus og rusfrie/i bedring skal ikke bo i samme bygg",
    # Not a rule: housing the candidate would make a higher tier worse (e.g. a due family
    # moving in later than the next round could move it gives more days over the cap).
    "objective": "tildelingen ville gjort et høyere prioritert mål dårligere "
                 "(f.eks. flere dager over 3-månedersfristen)",
}

TEXT: dict[str, str] = {
    # matches
    "pinned": "Låst av tildelingsmøtet{reason_suffix}.",
    "due_family_on_time": "Barnefamilie i midlertidig botilbud: flytter inn {move_in}, "
                          "før 3-månedersfristen {deadline}.",
    "due_family_late": "Barnefamilie i midlertidig botilbud: innflytting {move_in} er "
                       "{days_over} dager etter fristen {deadline}, men ingen ledig bolig "
                       "passer tidligere.",
    "priority": "Prioritet {priority}, {waiting_days} dager på venteliste ({points} poeng).",
    "preferred_district": "Ønsket bydel nr. {rank} ({district}).",
    "outside_wishes": "Ingen ønsket bydel var mulig; boligen ligger i {district}.",
    "school_kept": "Barna beholder skolen (skolevei {minutes} min).",
    "needs_met": "Behov dekket: {needs}.",
    "spare_bedrooms": "{spare} soverom mer enn behovet.",
    "competition": "Husstander som passer boligen: {candidates}.",
    # unmatched
    "no_feasible_dwelling": "Ingen av ukens ledige boliger passer: {summary}.",
    "outranked": "Boligene som passet gikk til husstander som veier tyngre: {summary}",
    "blocked_by_round_rules": "Boligene som passet er sperret av regler for hele runden "
                              "({rules}).",
    # empty dwellings
    "no_eligible_household": "Ingen søker på listen passer boligen: {summary}.",
    "candidates_placed_elsewhere": "Alle som passet fikk en annen bolig.",
    "candidates_blocked": "Søkerne som passet er sperret av regler for hele runden ({rules}).",
    # breaches
    "no_dwelling_in_time": "Ingen ledig bolig passer familien innen fristen; "
                           "{days_over} dager over 3-månedersfristen.",
    "moved_in_late": "Familien flytter inn {days_over} dager etter 3-månedersfristen.",
    # alternates
    "alternate": "Neste i rekken om tilbudet avslås.",
}


#: Needs in bokmål (reason texts); the JSON keeps the field names.
NEED_TEXT: dict[str, str] = {"wheelchair": "rullestoltilpasset", "step_free": "trinnfri",
                             "staffed": "bemanning", "adapted": "tilrettelagt"}


def rule_text(code: str, **params: Any) -> str:
    template = RULE_TEXT.get(code, code)
    try:
        return template.format(**params)
    except KeyError:
        return template.split(" (")[0]


def reason(code: str, **params: Any) -> Reason:
    """A Reason with its bokmål text; unknown parameters are ignored by the template."""
    template = TEXT[code]
    shown = {k: (v if v is not None else "") for k, v in params.items()}
    return Reason(code=code, params=params, text=template.format(**shown))
