"""Parse JSON and YAML files into trees, with problems instead of exceptions.

Why a module of its own: parser errors must become Problems with the parser's line and
column, and a key written twice in one mapping -- which both ``json`` and PyYAML accept
silently, the later value winning -- must be reported, since a second ``households:``
block would otherwise replace the first without a word.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode

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
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        return _unreadable(Problem(file=label, value=f"byte {error.start}",
                                   expected="text in UTF-8"))
    except OSError as error:
        return _unreadable(Problem(file=label, expected=f"a readable file ({error.strerror})"))
    if not text.strip():
        return Document()
    if path.suffix.lower() == ".json":
        return _json(text, label)
    return _yaml(text, label)


def _unreadable(problem: Problem) -> Document:
    return Document(problems=[problem], readable=False)


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
        tree = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as error:
        return _unreadable(syntax_problem(label, text, error.lineno, error.colno,
                                          f"valid JSON ({error.msg})"))
    except RecursionError:
        return _unreadable(Problem(file=label, expected="JSON nested less deeply"))
    problems = [Problem(file=label, field=key, value=key, expected=TWICE) for key in twice]
    return Document(tree=tree, problems=problems)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, noting keys repeated in one mapping."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.twice: list[tuple[str, int]] = []

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value != "<<":
                if key_node.value in seen:
                    self.twice.append((key_node.value, key_node.start_mark.line + 1))
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _yaml(text: str, label: str) -> Document:
    loader = _Loader(text)
    try:
        tree = loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        why = getattr(error, "problem", None) or str(error).splitlines()[0]
        if mark is None:
            return _unreadable(Problem(file=label, expected=f"valid YAML ({why})"))
        return _unreadable(syntax_problem(label, text, mark.line + 1, mark.column + 1,
                                          f"valid YAML ({why})"))
    except RecursionError:
        return _unreadable(Problem(file=label, expected="YAML nested less deeply"))
    finally:
        loader.dispose()
    problems = [Problem(file=label, location=f"line {line}", field=key, value=key,
                        expected=TWICE) for key, line in loader.twice]
    return Document(tree=tree, problems=problems)


def syntax_problem(label: str, text: str, line: int, column: int, expected: str) -> Problem:
    """A parser error at line/column, showing the line it stopped on."""
    lines = text.splitlines()
    near = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return Problem(file=label, location=f"line {line}, column {column}", value=near,
                   expected=expected)
