"""Parse JSON and YAML files into trees, with problems instead of exceptions.

Why a module of its own: parser errors must become Problems with the parser's line and
column, and a key written twice in one mapping -- which both ``json`` and PyYAML accept
silently, the later value winning -- must be reported, since a second ``households:``
block would otherwise replace the first without a word. Reading is bounded
(allocator.io.bounds): file size, YAML aliases, integer digits; and text that cannot be
data (lone surrogates, control characters) is refused with its place in the tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from allocator.io.bounds import (
    MAX_ALIAS_NODES,
    MAX_FILE_BYTES,
    MAX_NUMBER_DIGITS,
    LongNumber,
    parse_json_int,
    tree_flaws,
)
from models.problems import Problem

TWICE = "each key once in a mapping (the later value would silently replace the earlier)"


@dataclass(frozen=True)
class Document:
    """A parsed file: its tree (None when empty), its problems, whether it parsed at all."""

    tree: Any = None
    problems: list[Problem] = field(default_factory=list)
    readable: bool = True


def read_tree(path: Path, label: str) -> Document:
    """Parse ``path`` as JSON (``.json``) or YAML (anything else)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return _unreadable(too_large(label, size))
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        return _unreadable(
            Problem(file=label, value=f"byte {error.start}", expected="text in UTF-8")
        )
    except OSError as error:
        return _unreadable(Problem(file=label, expected=f"a readable file ({error.strerror})"))
    return parse_text(text, label, json_only=path.suffix.lower() == ".json")


def parse_text(text: str, label: str, json_only: bool = True) -> Document:
    """Parse a document's text as JSON (or YAML), then refuse what cannot be data."""
    if not text.strip():
        return Document()
    document = _json(text, label) if json_only else _yaml(text, label)
    if not document.readable:
        return document
    flaws = [
        Problem(file=label, location=where, field=_last_key(where), value=value, expected=expected)
        for where, value, expected in tree_flaws(document.tree)
    ]
    if flaws:
        return _unreadable(*flaws)
    return document


def too_large(label: str, size: int) -> Problem:
    return Problem(
        file=label,
        value=f"{size:,} byte".replace(",", " "),
        expected=f"en fil på høyst {MAX_FILE_BYTES // 2**20} MiB",
    )


def _last_key(path: str) -> str:
    tail = path.rsplit(".", 1)[-1] if "." in path else ""
    return tail.split("[", 1)[0]


def _unreadable(*problems: Problem) -> Document:
    return Document(problems=list(problems), readable=False)


def _json(text: str, label: str) -> Document:
    twice: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                twice.append(key)
            seen.add(key)
        return dict(items)

    try:
        tree = json.loads(text, object_pairs_hook=pairs, parse_int=parse_json_int)
    except json.JSONDecodeError as error:
        return _unreadable(
            syntax_problem(label, text, error.lineno, error.colno, f"valid JSON ({error.msg})")
        )
    except RecursionError:
        return _unreadable(Problem(file=label, expected="JSON nested less deeply"))
    problems = [Problem(file=label, field=key, value=key, expected=TWICE) for key in twice]
    return Document(tree=tree, problems=problems)


class AliasBomb(yaml.YAMLError):
    """More nodes reached through aliases than MAX_ALIAS_NODES (a "billion laughs")."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__("alias fan-out")
        self.line, self.column = line, column


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, noting keys repeated in one mapping, counting the nodes
    reached through aliases (each use of ``*name`` costs the size of what it names) and
    keeping over-long integers as text (LongNumber)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.twice: list[tuple[str, int]] = []
        self.alias_nodes = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)  # type: ignore[union-attr]
            if node is not None:
                self.alias_nodes += self._size(node)
                if self.alias_nodes > MAX_ALIAS_NODES:
                    mark = event.start_mark
                    raise AliasBomb(mark.line + 1, mark.column + 1)
        return super().compose_node(parent, index)  # type: ignore[no-any-return]

    def _size(self, root: Node) -> int:
        """Nodes under ``root`` counted with repeats, iteratively; memoised per node."""
        if id(root) in self._sizes:
            return self._sizes[id(root)]
        total, stack, seen = 0, [root], set()
        while stack:
            node = stack.pop()
            if id(node) in self._sizes:
                total += self._sizes[id(node)]
                continue
            total += 1
            if id(node) in seen or isinstance(node, ScalarNode):
                continue
            seen.add(id(node))
            for item in node.value:
                stack.extend(item if isinstance(item, tuple) else (item,))
        self._sizes[id(root)] = total
        return total

    def construct_yaml_int(self, node: ScalarNode) -> Any:  # type: ignore[override]
        digits = sum(ch.isdigit() for ch in str(node.value))
        if digits > MAX_NUMBER_DIGITS:
            return LongNumber(str(node.value))
        return super().construct_yaml_int(node)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value != "<<":
                if key_node.value in seen:
                    self.twice.append((key_node.value, key_node.start_mark.line + 1))
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _yaml(text: str, label: str) -> Document:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as error:  # the reader checks every character up front
        return _unreadable(_reader_problem(label, text, error))
    try:
        tree = loader.get_single_data()
    except AliasBomb as error:
        return _unreadable(
            Problem(
                file=label,
                location=f"line {error.line}, column {error.column}",
                value=f"over {MAX_ALIAS_NODES:,} noder via aliaser".replace(",", " "),
                expected=f"YAML der aliaser (*navn) til sammen gjentar høyst "
                f"{MAX_ALIAS_NODES:,} noder; skriv postene ut".replace(",", " "),
            )
        )
    except yaml.reader.ReaderError as error:
        return _unreadable(_reader_problem(label, text, error))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        why = getattr(error, "problem", None) or str(error).splitlines()[0]
        if mark is None:
            return _unreadable(Problem(file=label, expected=f"valid YAML ({why})"))
        return _unreadable(
            syntax_problem(label, text, mark.line + 1, mark.column + 1, f"valid YAML ({why})")
        )
    except RecursionError:
        return _unreadable(Problem(file=label, expected="YAML nested less deeply"))
    finally:
        loader.dispose()
    problems = [
        Problem(file=label, location=f"line {line}", field=key, value=key, expected=TWICE)
        for key, line in loader.twice
    ]
    return Document(tree=tree, problems=problems)


def _reader_problem(label: str, text: str, error: yaml.reader.ReaderError) -> Problem:
    """A character YAML does not allow (NUL, other control characters), by line."""
    position = max(0, int(error.position or 0))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    character = error.character
    code = ord(character) if isinstance(character, str) else int(character or 0)
    return Problem(
        file=label,
        location=f"line {line}, column {column}",
        value=f"tegnet U+{code:04X}",
        expected="YAML-tekst uten kontrolltegn (som NUL); lagre filen som vanlig tekst i UTF-8",
    )


def syntax_problem(label: str, text: str, line: int, column: int, expected: str) -> Problem:
    """A parser error at line/column, showing the line it stopped on."""
    lines = text.splitlines()
    near = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return Problem(
        file=label, location=f"line {line}, column {column}", value=near, expected=expected
    )
