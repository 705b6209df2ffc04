"""The meeting's documents in bokmål: the minutes (referat) of a round and an offer letter
per matched household, as printable HTML and as PDF (WeasyPrint).

The templates are files the municipality can edit: a folder named by
$ALLOCATOR_DOCUMENT_TEMPLATES (or `WebSettings.document_templates`) is searched first for
``minutes.html``, ``letter.html`` and ``document.css``; the bundled ones in
``allocator/web/documents/`` are the fallback. Letter terms (answer days, lease years,
appeal weeks, the municipality's name) come from the settings.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from allocator.glossary import DECISION_TEXT, STATE_TEXT, day, tidy
from allocator.web import services
from allocator.web.export import _state
from allocator.web.ledger import Ledger, local_date
from allocator.web.tables import AuditEntry, Decision, ProposalRun, Round, User, utcnow
from allocator.web.terms import LetterTerms
from allocator.web.texts import FILTERS, GLOBALS

BUNDLED = Path(__file__).resolve().parent / "documents"


class DocumentError(Exception):
    """A document cannot be made (e.g. WeasyPrint's system libraries are missing)."""


def environment(override: Path | None) -> Environment:
    loaders = [FileSystemLoader(str(override))] if override else []
    env = Environment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(str(BUNDLED))]),
        autoescape=select_autoescape(["html"]),
    )
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
    return env


def present_users(entries: list[AuditEntry], users: dict[int, User]) -> list[User]:
    """Everyone who acted in the round (by the audit log), in order of first action."""
    seen: dict[int, User] = {}
    for e in entries:
        if e.user_id is not None and e.user_id in users and e.user_id not in seen:
            seen[e.user_id] = users[e.user_id]
    return list(seen.values())


def minutes_context(
    round_: Round,
    run: ProposalRun,
    decisions: list[Decision],
    entries: list[AuditEntry],
    users: dict[int, User],
    terms: LetterTerms,
) -> dict[str, Any]:
    proposal = services.parsed(run)
    scenario = services.snapshot(round_)
    ledger = services.build_ledger(decisions)
    buildings, dwellings = scenario.building_by_id(), scenario.dwelling_by_id()
    districts = {d.id: d.name or d.id for d in scenario.districts}
    name = {u.id: u.display_name or u.username for u in users.values()}
    allocation = [
        {
            "match": m,
            "district": districts.get(buildings[dwellings[m.dwelling].building].district, ""),
            "state": STATE_TEXT[_state(ledger, (m.household, m.dwelling))],
        }
        for m in proposal.matches
    ]
    return {
        "round": round_,
        "run": run,
        "proposal": proposal,
        "terms": terms,
        "present": present_users(entries, users),
        "name": name,
        "decisions": decisions,
        "allocation": allocation,
        "tidy": tidy,
        "decision_text": DECISION_TEXT,
        "made_at": utcnow(),
        "published_by": name.get(round_.published_by or -1),
    }


def letter_context(
    round_: Round,
    run: ProposalRun,
    decisions: list[Decision],
    household_id: str,
    users: dict[int, User],
    terms: LetterTerms,
) -> dict[str, Any]:
    """The offer letter of a household the proposal matches (LookupError otherwise)."""
    proposal = services.parsed(run)
    match = next((m for m in proposal.matches if m.household == household_id), None)
    if match is None:
        raise LookupError(household_id)
    scenario = services.snapshot(round_)
    ledger: Ledger = services.build_ledger(decisions)
    dwelling = scenario.dwelling_by_id()[match.dwelling]
    building = scenario.building_by_id()[dwelling.building]
    districts = {d.id: d.name or d.id for d in scenario.districts}
    pair = (match.household, match.dwelling)
    offer = ledger.open_offers.get(pair) or _offer_of(ledger, pair)
    sent_on = offer.created_at if offer else None
    letter_day = sent_on.date() if sent_on else dt.date.today()
    household = scenario.household_by_id()[household_id]
    return {
        "round": round_,
        "run": run,
        "match": match,
        "dwelling": dwelling,
        "building": building,
        "district": districts.get(building.district, ""),
        "household": household,
        "terms": terms,
        "draft": offer is None,
        "sent_on": local_date(sent_on) if sent_on else None,
        "letter_day": day(letter_day),
        "answer_by": day(letter_day + dt.timedelta(days=terms.answer_days)),
        "lease_until": day(_add_years(match.move_in, terms.lease_years)),
        "sender": users.get(offer.created_by or -1) if offer else None,
        "family": bool(household.children),
    }


def _offer_of(ledger: Ledger, pair: tuple[str, str]) -> Decision | None:
    """The offer decision of an answered pair (accepted or declined)."""
    for d in ledger.active:
        if d.kind == "offer_sent" and (d.household, d.dwelling) == pair:
            return d
    return None


def _add_years(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def render_css(env: Environment) -> str:
    return env.get_template("document.css").render()


def render_html(
    env: Environment, name: str, context: dict[str, Any], css_href: str | None = None
) -> str:
    """The document as HTML: with `css_href` the stylesheet is linked (the web page's
    Content-Security-Policy allows no inline style), else inlined (for the PDF)."""
    return env.get_template(name).render(css=render_css(env), css_href=css_href, **context)


def render_pdf(html: str) -> bytes:
    """The HTML as a PDF (A4, with the page rules of the template's CSS)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: pango/harfbuzz libraries missing
        raise DocumentError(
            "PDF kan ikke lages: WeasyPrint eller systembibliotekene (pango, harfbuzz, "
            "fontconfig) mangler på serveren."
        ) from error
    return bytes(HTML(string=html, base_url=str(BUNDLED)).write_pdf())
