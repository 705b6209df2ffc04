"""Limits on what one input may cost to read, and the text every input must hold.

Why: every input arrives from outside (a case-system export, an e-mailed workbook, an API
body). A 15 KB workbook can name a cell in row 1,048,576, a 1 KB YAML file can alias one
record 200,000 times, a JSON number can have 5,000 digits, and a string can hold a lone
UTF-16 surrogate that no UTF-8 file can store. Each would cost minutes, gigabytes or a
crash later; here each becomes a Problem (file, place, value, what was expected) before
anything else reads the data. The limits are far above any real round (DOMAIN.md §6: a
whole-stock round has about 12,000 households) and are documented in docs/hardening.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

#: Largest input file (scenario, policy, table or workbook), in bytes.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Largest unpacked content of one Excel workbook (a .xlsx is a zip of XML files).
MAX_WORKBOOK_UNPACKED_BYTES = 512 * 1024 * 1024
#: Records per table (rows of a sheet or CSV file, items of a list).
MAX_ROWS = 100_000
#: Columns per sheet or CSV file.
MAX_COLUMNS = 200
#: Seconds one workbook may take to read, all its sheets together.
MAX_WORKBOOK_SECONDS = 20.0
#: Nodes one YAML document may reach through aliases (``*name``), counted with repeats.
MAX_ALIAS_NODES = 1_000_000
#: Digits of an integer literal; longer ones are refused rather than converted.
MAX_NUMBER_DIGITS = 30
#: Problems printed by the command line; the rest are counted (all of them: ``--json``).
PRINTED_PROBLEMS = 50

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def text_flaw(text: str) -> str | None:
    """Why ``text`` cannot be stored as it is, in words (None when it can).

    Lone surrogates cannot be written as UTF-8 (every output and hash would fail), and
    control characters (NUL and the like) are never data: both are refused everywhere."""
    found = _SURROGATE.search(text)
    if found:
        return (
            f"tekst uten ensomme surrogattegn (fant U+{ord(found[0]):04X} ved tegn "
            f"{found.start() + 1}; det kan ikke lagres som UTF-8)"
        )
    found = _CONTROL.search(text)
    if found:
        return f"tekst uten kontrolltegn (fant U+{ord(found[0]):04X} ved tegn {found.start() + 1})"
    return None


def shown(text: str, limit: int = 40) -> str:
    """A string as a problem may show it: printable, short."""
    text = _SURROGATE.sub("\ufffd", _CONTROL.sub("\ufffd", text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LongNumber:
    """An integer literal with more than MAX_NUMBER_DIGITS digits, kept as text.

    Python refuses to convert integers of over 4,300 digits (and converting long ones
    costs quadratic time), and no field takes a number anywhere near 30 digits; the
    reader puts this stand-in in the tree and `tree_flaws` reports it by place."""

    __slots__ = ("digits",)

    def __init__(self, literal: str) -> None:
        self.digits = sum(ch.isdigit() for ch in literal)

    def __repr__(self) -> str:
        return f"<tall med {self.digits} sifre>"


def parse_json_int(literal: str) -> int | LongNumber:
    """``json.loads(parse_int=...)``: integers up to MAX_NUMBER_DIGITS digits."""
    return LongNumber(literal) if len(literal.lstrip("-")) > MAX_NUMBER_DIGITS else int(literal)


def tree_flaws(tree: Any) -> Iterator[tuple[str, str, str]]:
    """(JSON path, value as shown, expected) for every string or number in a parsed tree
    that cannot be data: lone surrogates, control characters, over-long integers.

    Iterative (no recursion limit) and visiting each container once, so a YAML document
    whose aliases share or even contain one another is walked in linear time."""
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("$", tree)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict | list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            children = []
            for key, value in items:
                if isinstance(node, dict):
                    flaw = _scalar_flaw(key)
                    if flaw:
                        yield (
                            path,
                            shown(str(key)) if isinstance(key, str) else repr(key),
                            ("en nøkkel som " + flaw),
                        )
                    name = shown(key, 64) if isinstance(key, str) else repr(key)
                    children.append((f"{path}.{name}", value))
                else:
                    children.append((f"{path}[{key}]", value))
            stack.extend(reversed(children))
        else:
            flaw = _scalar_flaw(node)
            if flaw:
                yield path, shown(node) if isinstance(node, str) else repr(node), flaw


def _scalar_flaw(value: Any) -> str | None:
    if isinstance(value, str):
        return text_flaw(value)
    if isinstance(value, LongNumber):
        return f"et tall med høyst {MAX_NUMBER_DIGITS} sifre (ingen verdi er så stor)"
    return None
