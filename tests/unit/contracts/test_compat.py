"""The backward-compatibility checker: additive changes pass, every breaking kind is caught."""

from __future__ import annotations

import copy
from enum import StrEnum

import pytest
from pydantic import BaseModel, Field

from moderation_contracts.compat import JsonObject, breaking_changes, breaking_changes_by_name
from moderation_contracts.schemagen import current_schemas


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class ColourMore(StrEnum):
    RED = "red"
    BLUE = "blue"
    GREEN = "green"


class Inner(BaseModel):
    size: int = Field(ge=0, le=10)


class V1(BaseModel):
    name: str = Field(max_length=20)
    colour: Colour
    note: str | None = None
    inner: Inner
    tags: list[str] = Field(default_factory=list, max_length=4)


class V1Additive(BaseModel):
    name: str = Field(max_length=40)
    colour: ColourMore
    note: str | None = None
    inner: Inner
    tags: list[str] = Field(default_factory=list, max_length=8)
    extra: int | None = None
    more: list[Inner] = Field(default_factory=list)


def schema(model: type[BaseModel]) -> JsonObject:
    return model.model_json_schema()


def test_contracts_identical_schema_is_compatible() -> None:
    assert breaking_changes(schema(V1), schema(V1)) == []


def test_contracts_additive_changes_are_compatible() -> None:
    assert breaking_changes(schema(V1), schema(V1Additive)) == []


def test_contracts_current_models_are_compatible_with_themselves() -> None:
    schemas = current_schemas()
    assert breaking_changes_by_name(schemas, schemas) == []


def mutate(base: JsonObject, path: list[str], value: object) -> dict[str, object]:
    """A deep copy of ``base`` with the key at ``path`` set (or deleted when value is ...)."""
    result: dict[str, object] = copy.deepcopy(dict(base))
    node: dict[str, object] = result
    for key in path[:-1]:
        child = node[key]
        assert isinstance(child, dict)
        node = child
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return result


OLD = schema(V1)
BREAKING: list[tuple[str, list[str], object, str]] = [
    ("field removed", ["properties", "note"], ..., "#/note: field removed"),
    (
        "required added",
        ["required"],
        ["name", "colour", "inner", "note"],
        "#/note: became required",
    ),
    ("required dropped", ["required"], ["name", "colour"], "#/inner: no longer required"),
    ("type narrowed", ["properties", "name", "type"], "integer", "#/name: type no longer accepts"),
    (
        "nullable dropped",
        ["properties", "note"],
        {"type": "string", "default": None},
        "#/note: type no longer accepts ['null']",
    ),
    ("enum value removed", ["$defs", "Colour", "enum"], ["red"], "enum values removed: ['blue']"),
    ("limit lowered", ["properties", "name", "maxLength"], 10, "#/name: maxLength lowered"),
    ("limit added", ["properties", "tags", "minItems"], 1, "#/tags: minItems raised"),
    ("nested limit", ["$defs", "Inner", "properties", "size", "maximum"], 5, "#/inner/size"),
    ("pattern added", ["properties", "name", "pattern"], "^a", "#/name: pattern changed"),
    ("default changed", ["properties", "tags", "default"], ["x"], "#/tags: default changed"),
    ("closed object", ["additionalProperties"], False, "additional properties no longer allowed"),
    ("items narrowed", ["properties", "tags", "items"], {"type": "integer"}, "#/tags[]: type"),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"), [b[1:] for b in BREAKING], ids=[b[0] for b in BREAKING]
)
def test_contracts_breaking_change_is_reported(
    path: list[str], value: object, expected: str
) -> None:
    problems = breaking_changes(OLD, mutate(OLD, path, value))
    assert any(expected in p for p in problems), problems


def test_contracts_union_branch_removed_is_reported() -> None:
    old = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert breaking_changes(old, {"anyOf": [{"type": "string"}]}) != []
    assert breaking_changes(old, {"anyOf": [{"type": "integer"}, {"type": "string"}]}) == []
    assert breaking_changes({"type": "integer"}, {"type": "number"}) == []


def test_contracts_schema_removed_is_reported() -> None:
    assert breaking_changes_by_name({"a": OLD, "b": OLD}, {"a": OLD}) == ["b: schema removed"]


def test_contracts_external_refs_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        breaking_changes({"$ref": "other.json"}, {"type": "string"})
