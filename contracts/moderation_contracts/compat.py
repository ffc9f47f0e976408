"""Backward-compatibility rules between two versions of a JSON Schema, as pure functions.

Within a major version a schema may only grow: new optional fields, new enum values, wider
limits. It may not remove or rename a field, add a required field, drop a field from
``required``, narrow a type, remove an enum value, tighten a limit, change a pattern, format or
default. ``breaking_changes`` lists every violation with a JSON-pointer-like path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

JsonObject = Mapping[str, object]

_UNIONS: Final = ("anyOf", "oneOf")
_LOWER_BOUNDS: Final = ("minLength", "minItems", "minimum", "exclusiveMinimum", "minProperties")
_UPPER_BOUNDS: Final = ("maxLength", "maxItems", "maximum", "exclusiveMaximum", "maxProperties")
_MUST_NOT_CHANGE: Final = ("pattern", "format", "const", "default")


def _as_object(value: object) -> JsonObject:
    return value if isinstance(value, Mapping) else {}


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def _union(schema: JsonObject) -> list[object] | None:
    return next((_as_list(schema[k]) for k in _UNIONS if k in schema), None)


def _types(schema: JsonObject) -> set[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    return {str(t) for t in _as_list(declared)} if not isinstance(declared, str) else {declared}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class _Comparison:
    """One comparison of an old root schema with a new one; follows local ``$ref`` pointers."""

    def __init__(self, old_root: JsonObject, new_root: JsonObject) -> None:
        self._roots = (old_root, new_root)
        self._in_progress: set[tuple[object, object]] = set()

    @staticmethod
    def _resolve(root: JsonObject, schema: JsonObject) -> JsonObject:
        seen: set[str] = set()
        while isinstance(ref := schema.get("$ref"), str):
            if not ref.startswith("#/") or ref in seen:
                raise ValueError(f"unsupported or cyclic $ref {ref!r}")
            seen.add(ref)
            target: object = root
            for part in ref[2:].split("/"):
                target = _as_object(target).get(part.replace("~1", "/").replace("~0", "~"))
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**_as_object(target), **siblings}
        return schema

    def compare(self, old_schema: JsonObject, new_schema: JsonObject, path: str) -> list[str]:
        old = self._resolve(self._roots[0], old_schema)
        new = self._resolve(self._roots[1], new_schema)
        key = (old_schema.get("$ref"), new_schema.get("$ref"))
        if key == (None, None):
            return self._compare_resolved(old, new, path)
        if key in self._in_progress:
            return []  # a recursive definition already being compared further up
        self._in_progress.add(key)
        try:
            return self._compare_resolved(old, new, path)
        finally:
            self._in_progress.discard(key)

    def _compare_resolved(self, old: JsonObject, new: JsonObject, path: str) -> list[str]:
        problems = self._compare_keywords(old, new, path)
        old_union = _union(old)
        new_union = _union(new)
        if old_union is not None:
            # Each old alternative must still be accepted; the new container's own keywords
            # were compared above, so only its alternatives take part from here on.
            target = {"anyOf": new_union} if new_union is not None else new
            for branch in old_union:
                problems += self.compare(_as_object(branch), target, path)
            return problems
        if new_union is not None:
            candidates = [self.compare(old, _as_object(b), path) for b in new_union]
            return problems + min(candidates, key=len, default=[f"{path}: no alternative left"])
        return [
            *problems,
            *self._compare_types(old, new, path),
            *self._compare_objects(old, new, path),
            *self._compare_items(old, new, path),
        ]

    @staticmethod
    def _compare_types(old: JsonObject, new: JsonObject, path: str) -> list[str]:
        problems = []
        old_types, new_types = _types(old), _types(new)
        if new_types is not None:
            if old_types is None:
                problems.append(f"{path}: type restricted to {sorted(new_types)}")
            else:
                lost = {
                    t
                    for t in old_types - new_types
                    if not (t == "integer" and "number" in new_types)
                }
                if lost:
                    problems.append(f"{path}: type no longer accepts {sorted(lost)}")
        if "enum" in new:
            old_values = old.get("enum")
            if old_values is None and "const" not in old:
                problems.append(f"{path}: now restricted to an enum")
            else:
                before = _as_list(old_values) if old_values is not None else [old.get("const")]
                removed = [v for v in before if v not in _as_list(new["enum"])]
                if removed:
                    problems.append(f"{path}: enum values removed: {removed}")
        return problems

    @staticmethod
    def _compare_keywords(old: JsonObject, new: JsonObject, path: str) -> list[str]:
        problems = []
        for word in _LOWER_BOUNDS:
            before, after = _number(old.get(word)), _number(new.get(word))
            if after is not None and (before is None or after > before):
                problems.append(f"{path}: {word} raised from {before} to {after}")
        for word in _UPPER_BOUNDS:
            before, after = _number(old.get(word)), _number(new.get(word))
            if after is not None and (before is None or after < before):
                problems.append(f"{path}: {word} lowered from {before} to {after}")
        for word in _MUST_NOT_CHANGE:
            if word == "default" and path.endswith("/schema_version"):
                continue  # the version a writer stamps moves with every minor release
            if word in new and (word not in old or old[word] != new[word]):
                problems.append(f"{path}: {word} changed from {old.get(word)!r} to {new[word]!r}")
        if (
            new.get("additionalProperties") is False
            and old.get("additionalProperties") is not False
        ):
            problems.append(f"{path}: additional properties no longer allowed")
        return problems

    def _compare_objects(self, old: JsonObject, new: JsonObject, path: str) -> list[str]:
        problems = []
        old_props, new_props = _as_object(old.get("properties")), _as_object(new.get("properties"))
        for name, old_prop in old_props.items():
            if name not in new_props:
                problems.append(f"{path}/{name}: field removed")
            else:
                problems += self.compare(
                    _as_object(old_prop), _as_object(new_props[name]), f"{path}/{name}"
                )
        old_required = {str(n) for n in _as_list(old.get("required"))}
        new_required = {str(n) for n in _as_list(new.get("required"))}
        problems += [f"{path}/{n}: became required" for n in sorted(new_required - old_required)]
        problems += [f"{path}/{n}: no longer required" for n in sorted(old_required - new_required)]
        return problems

    def _compare_items(self, old: JsonObject, new: JsonObject, path: str) -> list[str]:
        if "items" not in new:
            return []
        return self.compare(_as_object(old.get("items")), _as_object(new["items"]), f"{path}[]")


def breaking_changes(old: JsonObject, new: JsonObject) -> list[str]:
    """Every way in which ``new`` is not a backward-compatible evolution of ``old``."""
    return _Comparison(old, new).compare(old, new, "#")


def breaking_changes_by_name(
    old: Mapping[str, JsonObject], new: Mapping[str, JsonObject]
) -> list[str]:
    """``breaking_changes`` for sets of named schemas; a schema that disappears is breaking."""
    problems: list[str] = []
    for name, old_schema in sorted(old.items()):
        if name not in new:
            problems.append(f"{name}: schema removed")
            continue
        problems += [f"{name}{p}" for p in breaking_changes(old_schema, new[name])]
    return problems
