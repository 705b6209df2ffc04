"""What each model field is, read from the pydantic annotations.

Why: flat tables must know which cells hold booleans, lists, ids or dates before pydantic
sees them, and every problem needs an ``expected`` in human words ("an integer from 1 to
3"). Both are derived from the models, so a new field or bound needs no loader change.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

Kind = Literal["bool", "int", "float", "date", "id", "str", "enum", "list", "model", "dict", "any"]

BOOL_WORDS = "true or false (also yes/no, ja/nei, 1/0)"
DATE_WORDS = "a date like 2026-11-23"


@dataclass(frozen=True)
class Spec:
    """The shape of one field: its kind, bounds, choices, item spec or sub-model."""

    kind: Kind
    bounds: tuple[Any, ...] = ()
    choices: tuple[str, ...] = ()
    item: Spec | None = None
    model: type[BaseModel] | None = None


def _unwrap(annotation: Any, metadata: Sequence[Any]) -> tuple[Any, list[Any]]:
    """Strip Optional[...] and Annotated[...], collecting constraint metadata."""
    meta = list(metadata)
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            base, *extra = get_args(annotation)
            for item in extra:
                meta += item.metadata if isinstance(item, FieldInfo) else [item]
            annotation = base
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation, meta
            annotation = args[0]
        else:
            return annotation, meta


def spec_of(annotation: Any, metadata: Sequence[Any] = ()) -> Spec:
    """The Spec of an annotation (with the FieldInfo metadata pydantic split off)."""
    annotation, meta = _unwrap(annotation, metadata)
    bounds = tuple(m for m in meta if isinstance(m, at.Ge | at.Gt | at.Le | at.Lt))
    origin = get_origin(annotation)
    if origin is list:
        (item,) = get_args(annotation) or (Any,)
        return Spec("list", item=spec_of(item))
    if origin is dict:
        _, value = get_args(annotation) or (Any, Any)
        return Spec("dict", item=spec_of(value))
    if origin is Literal:
        return Spec("enum", choices=tuple(str(a) for a in get_args(annotation)))
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return Spec("model", model=annotation)
        if issubclass(annotation, Enum):
            return Spec("enum", choices=tuple(str(m.value) for m in annotation))
        if annotation is bool:
            return Spec("bool")
        if annotation is int:
            return Spec("int", bounds=bounds)
        if annotation is float:
            return Spec("float", bounds=bounds)
        if annotation is dt.date:
            return Spec("date", bounds=bounds)
        if annotation is str:
            is_id = any(isinstance(m, BeforeValidator) for m in meta)
            return Spec("id" if is_id else "str")
    return Spec("any")


@cache
def field_specs(model: type[BaseModel]) -> dict[str, Spec]:
    """Spec of every field of ``model``, by name."""
    return {name: spec_of(f.annotation, f.metadata) for name, f in model.model_fields.items()}


def required_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, f in model.model_fields.items() if f.is_required()]


@cache
def leaf_columns(model: type[BaseModel], skip: tuple[str, ...] = ()) -> dict[str, Spec]:
    """Flat-table columns of ``model``: sub-model fields become dotted names.

    Lists of sub-models (a household's ``children``) have no column; ``skip`` drops more.
    """
    columns: dict[str, Spec] = {}
    for name, spec in field_specs(model).items():
        if name in skip:
            continue
        if spec.kind == "model" and spec.model is not None:
            for sub, sub_spec in leaf_columns(spec.model).items():
                columns[f"{name}.{sub}"] = sub_spec
        elif not (spec.kind == "list" and spec.item is not None and spec.item.kind == "model"):
            columns[name] = spec
    return columns


def spec_at(model: type[BaseModel], loc: Sequence[str | int]) -> Spec | None:
    """Follow a pydantic error location through the model to the field's Spec."""
    spec = Spec("model", model=model)
    for part in loc:
        if spec.kind == "dict" and spec.item is not None:
            spec = spec.item
        elif isinstance(part, int):
            if spec.kind != "list" or spec.item is None:
                return None
            spec = spec.item
        elif spec.kind == "model" and spec.model is not None:
            found = field_specs(spec.model).get(part)
            if found is None:
                return None
            spec = found
        else:
            return None
    return spec


def _bounds_words(bounds: tuple[Any, ...], noun: str) -> str:
    """'an integer from 1 to 3', 'a number above 0 and at most 1000', ..."""
    low = high = ""
    for b in bounds:
        if isinstance(b, at.Ge):
            low = f"of at least {_num(b.ge)}"
        elif isinstance(b, at.Gt):
            low = f"above {_num(b.gt)}"
        elif isinstance(b, at.Le):
            high = f"at most {_num(b.le)}"
        elif isinstance(b, at.Lt):
            high = f"below {_num(b.lt)}"
    if low.startswith("of at least") and high.startswith("at most"):
        return f"{noun} from {low[12:]} to {high[8:]}"
    if low and high:
        return f"{noun} {low} and {high}"
    if high:
        return f"{noun} {'of ' if high.startswith('at') else ''}{high}"
    return f"{noun} {low}" if low else noun


def _num(value: Any) -> str:
    return str(value)


def _date_range(bounds: tuple[Any, ...]) -> str:
    low = next((b.ge for b in bounds if isinstance(b, at.Ge)), None)
    high = next((b.le for b in bounds if isinstance(b, at.Le)), None)
    if isinstance(low, dt.date) and isinstance(high, dt.date):
        return f", from {low.isoformat()} to {high.isoformat()}"
    return ""


def describe(spec: Spec | None) -> str:
    """Human words for what a field accepts."""
    if spec is None:
        return "a known field"
    if spec.kind == "int":
        return _bounds_words(spec.bounds, "an integer")
    if spec.kind == "float":
        return _bounds_words(spec.bounds, "a number")
    if spec.kind == "bool":
        return BOOL_WORDS
    if spec.kind == "date":
        return DATE_WORDS + (_date_range(spec.bounds) if spec.bounds else "")
    if spec.kind == "id":
        return "an id (text of 1 to 64 characters, no control characters)"
    if spec.kind == "str":
        return "text"
    if spec.kind == "enum":
        return "one of: " + ", ".join(spec.choices)
    if spec.kind == "list":
        item = spec.item
        if item is not None and item.kind == "id":
            return "a list of ids (in a table cell: separated by ';')"
        if item is not None and item.kind == "model" and item.model is not None:
            return f"a list of objects with the fields {', '.join(item.model.model_fields)}"
        return "a list"
    if spec.kind == "model" and spec.model is not None:
        return f"an object with the fields {', '.join(spec.model.model_fields)}"
    if spec.kind == "dict":
        if spec.item is not None and spec.item.kind in ("int", "float"):
            return f"a mapping whose values are each {describe(spec.item)}"
        return "a mapping"
    return "a valid value"
