"""Dwellings as Kobo's Bolig API (v1) describes them (``mapping: kobo-api``).

A JSON file holding a list of ``Kobobolig`` objects (or an object with that list under
``boliger``), as ``GET /kobobolig`` gives them. Each object is laid out as a row of the
dwelling import template and mapped by ``allocator.io.kobo`` like the template, so both
forms give the same ids, floors and categories; problems name the API's own field path
(``$[3].antallSoverom``). docs/kobo.md maps each field.

Why the dwelling id is ``koboId``: reservations and allocations in Kobo address the
dwelling by it, so the batch outputs can carry it back unchanged. ``leverandorBoligId``
(the municipality's own id) is the id when ``koboId`` is absent. The building id is built
from ``eiendom`` and ``adresse`` exactly as for the template, so the two forms can share a
buildings table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from allocator.io.kobo import KoboSource
from models.problems import Problem

#: Template column -> the API field it comes from (the label problems show).
API_FIELDS: Mapping[str, str] = {
    "koboid": "koboId",
    "leverandorboligid": "leverandorBoligId",
    "ekstrareferanse": "ekstraReferanse",
    "bruksenhetsnummer": "bruksenhetsnummer",
    "gnrbnr": "eiendom",
    "gatenavn": "adresse",
    "husnummer": "adresse",
    "husbokstav": "adresse",
    "byggnummer": "bygning",
    "antallsoverom": "antallSoverom",
    "bruksareal": "bruksareal",
    "etasjenummer": "etasjenummer",
    "errullestoltilpasset": "erTilgjengeligForRullestolbruker",
    "erbofellesskap": "erBofellesskap",
    "koboboligtype": "boligtype",
    "manedsleie": "leiekostnad",
    "boligstatus": "leieforhold",
    "statusdato": "leieforhold.sluttdato",
    "leieforholdsluttdato": "leieforhold.sluttdato",
    "leieforholdertidsubegrenset": "leieforhold.erTidsubegrenset",
}
#: Sub-fields read from the API's nested objects, first present wins.
ADDRESS_STREET = ("gatenavn", "adressenavn", "gate")
ADDRESS_NUMBER = ("husnummer", "nummer")
ADDRESS_LETTER = ("husbokstav", "bokstav")
ESTATE_FARM = ("gardsnummer", "gnr")
ESTATE_USE = ("bruksnummer", "bnr")
BUILDING_NUMBER = ("bygningsnummer", "id")
RENT_FIELDS = ("manedsleie", "maanedsleie", "husleie", "leie", "belop")
LEASE_END = ("sluttdato", "tildato")
LEASE_OPEN_ENDED = ("erTidsubegrenset", "tidsubegrenset")
LIST_KEYS = ("boliger", "koboboliger")


def api_source(
    tree: Any, file: str, as_of: dt.date | None = None
) -> tuple[KoboSource | None, list[Problem]]:
    """The API objects of ``tree`` as template rows; problems for what is not an object."""
    where, items = "$", tree
    if isinstance(tree, dict):
        key = next((k for k in LIST_KEYS if isinstance(tree.get(k), list)), None)
        if key is not None:
            where, items = f"$.{key}", tree[key]
    if not isinstance(items, list):
        return None, [
            Problem(
                file=file,
                location="$",
                value=type(tree).__name__,
                expected="a list of Kobo Bolig API dwellings (Kobobolig), or "
                "an object with that list under 'boliger'",
            )
        ]
    problems: list[Problem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(
                Problem(
                    file=file,
                    location=f"{where}[{index}]",
                    value=type(item).__name__,
                    expected="a Kobobolig object",
                )
            )
            continue
        cells, found = _cells(item, f"{where}[{index}]", file, as_of)
        problems += found
        rows.append((index, cells))
    header = frozenset(API_FIELDS) | {"boligstatus", "statusdato"}

    def records() -> Iterator[tuple[int, dict[str, str]]]:
        yield from ((index, dict(cells)) for index, cells in rows)

    def locate(index: int) -> str:
        return f"{where}[{index}]" if index >= 0 else where

    return KoboSource(
        file=file,
        header=header,
        records=records,
        locate=locate,
        label=lambda column: API_FIELDS.get(column, column),
    ), problems


def _text(value: Any) -> str | None:
    """A JSON scalar as a template cell; None for objects and lists."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value).strip()
    return None


def _first(obj: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    return next((obj[n] for n in names if obj.get(n) not in (None, "")), None)


def _cells(
    item: Mapping[str, Any], where: str, file: str, as_of: dt.date | None
) -> tuple[dict[str, str], list[Problem]]:
    problems: list[Problem] = []
    cells: dict[str, str] = {}

    def scalar(column: str, value: Any, path: str) -> None:
        text = _text(value)
        if text is None:
            problems.append(
                Problem(
                    file=file,
                    location=where,
                    field=path,
                    value=type(value).__name__,
                    expected="a single value",
                )
            )
        elif text:
            cells[column] = text

    for column, name in (
        ("koboid", "koboId"),
        ("leverandorboligid", "leverandorBoligId"),
        ("ekstrareferanse", "ekstraReferanse"),
        ("bruksenhetsnummer", "bruksenhetsnummer"),
        ("antallsoverom", "antallSoverom"),
        ("bruksareal", "bruksareal"),
        ("etasjenummer", "etasjenummer"),
        ("errullestoltilpasset", "erTilgjengeligForRullestolbruker"),
        ("erbofellesskap", "erBofellesskap"),
        ("koboboligtype", "boligtype"),
    ):
        if name in item:
            scalar(column, item[name], name)
    _address(item, cells, scalar)
    rent = item.get("leiekostnad")
    if isinstance(rent, dict):
        rent = _first(rent, RENT_FIELDS)
    if rent is not None:
        scalar("manedsleie", rent, "leiekostnad")
    _lease(item, cells, scalar, as_of)
    return cells, problems


def _address(item: Mapping[str, Any], cells: dict[str, str], scalar: Any) -> None:
    address = item.get("adresse")
    if isinstance(address, dict):
        for column, names in (
            ("gatenavn", ADDRESS_STREET),
            ("husnummer", ADDRESS_NUMBER),
            ("husbokstav", ADDRESS_LETTER),
        ):
            value = _first(address, names)
            if value is not None:
                scalar(column, value, "adresse")
    elif address is not None:
        scalar("gatenavn", address, "adresse")
    estate = item.get("eiendom")
    if isinstance(estate, dict):
        farm, use = _first(estate, ESTATE_FARM), _first(estate, ESTATE_USE)
        if farm is not None and use is not None:
            scalar("gnrbnr", f"{_text(farm)}/{_text(use)}", "eiendom")
    elif estate is not None:
        scalar("gnrbnr", estate, "eiendom")
    building = item.get("bygning")
    if not any(cells.get(c) for c in ("gatenavn", "gnrbnr")) and isinstance(building, dict):
        number = _first(building, BUILDING_NUMBER)
        if number is not None:
            scalar("byggnummer", number, "bygning")


def _lease(
    item: Mapping[str, Any], cells: dict[str, str], scalar: Any, as_of: dt.date | None
) -> None:
    """Vacant without tenant or lease; let with one; vacant after a lease that has ended."""
    lease, household = item.get("leieforhold"), item.get("husstand")
    end = _first(lease, LEASE_END) if isinstance(lease, dict) else None
    if isinstance(lease, dict):
        open_ended = _first(lease, LEASE_OPEN_ENDED)
        if open_ended is not None:
            scalar("leieforholdertidsubegrenset", open_ended, "leieforhold.erTidsubegrenset")
    if not lease and not household:
        cells["boligstatus"] = "ledig"
        return
    ended = None
    if end is not None:
        try:
            ended = dt.date.fromisoformat(str(end)[:10])
        except ValueError:
            ended = None
    if ended is not None and as_of is not None and ended < as_of and not household:
        cells["boligstatus"] = "ledig"
        cells["statusdato"] = (ended + dt.timedelta(days=1)).isoformat()
        return
    cells["boligstatus"] = "utleid"
    if end is not None:
        scalar("leieforholdsluttdato", end, "leieforhold.sluttdato")
