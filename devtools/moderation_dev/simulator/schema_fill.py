"""Produce JSON that fits a caller's JSON Schema: a verdict when the schema looks like a
moderation result, a minimal valid instance otherwise, and a deliberately broken one on demand.

Covers the schema keywords tool and output schemas use in practice (type, properties,
required, items, enum, const, min/max bounds, anyOf/oneOf/allOf, $ref to $defs). Pure.
"""

from __future__ import annotations

from typing import cast

from moderation_dev.simulator.markers import Flag
from moderation_dev.simulator.request import JsonDict
from moderation_dev.simulator.verdict import Verdict

_MAX_DEPTH = 12
_VERDICT_FIELDS = ("category", "severity", "confidence")
_SEVERITY_ORDER = ("low", "medium", "high")


def _as_dict(value: object) -> JsonDict:
    return cast(JsonDict, value) if isinstance(value, dict) else {}


def _resolve(schema: JsonDict, root: JsonDict) -> JsonDict:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    target: object = root
    for part in ref[2:].split("/"):
        target = _as_dict(target).get(part)
    return _as_dict(target)


def _merge_all_of(schema: JsonDict, root: JsonDict) -> JsonDict:
    parts = schema.get("allOf")
    if not isinstance(parts, list):
        return schema
    merged: JsonDict = {k: v for k, v in schema.items() if k != "allOf"}
    properties = dict(_as_dict(merged.get("properties")))
    required = list(cast(list[object], merged.get("required", [])))
    for part in parts:
        sub = _resolve(_as_dict(part), root)
        properties.update(_as_dict(sub.get("properties")))
        required.extend(cast(list[object], sub.get("required", [])))
        for key, value in sub.items():
            if key not in ("properties", "required"):
                merged.setdefault(key, value)
    merged["properties"] = properties
    merged["required"] = required
    return merged


def _type_of(schema: JsonDict) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        names = [k for k in kind if isinstance(k, str)]
        non_null = [k for k in names if k != "null"]
        return non_null[0] if non_null else (names[0] if names else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def _number(schema: JsonDict, integer: bool) -> float | int:
    low = schema.get("minimum")
    excl = schema.get("exclusiveMinimum")
    high = schema.get("maximum")
    value: float = 0.0
    if isinstance(low, int | float):
        value = float(low)
    if isinstance(excl, int | float):
        value = max(value, float(excl) + (1 if integer else 0.5))
    if isinstance(high, int | float) and value > high:
        value = float(high)
    return int(value) if integer else value


def minimal_instance(schema: JsonDict, root: JsonDict | None = None, depth: int = 0) -> object:
    """A small instance valid against ``schema`` (required properties only)."""
    root = schema if root is None else root
    if depth > _MAX_DEPTH:
        return None
    schema = _merge_all_of(_resolve(schema, root), root)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return cast(object, enum[0])
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return minimal_instance(_as_dict(options[0]), root, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        properties = _as_dict(schema.get("properties"))
        required = [r for r in cast(list[object], schema.get("required", [])) if isinstance(r, str)]
        return {
            name: minimal_instance(_as_dict(properties.get(name)), root, depth + 1)
            for name in required
        }
    if kind == "array":
        count = schema.get("minItems", 0)
        item = _as_dict(schema.get("items"))
        size = count if isinstance(count, int) else 0
        return [minimal_instance(item, root, depth + 1) for _ in range(size)]
    if kind == "string":
        length = schema.get("minLength", 0)
        if schema.get("format") == "date-time":
            return "2026-01-01T00:00:00Z"
        return "x" * length if isinstance(length, int) else ""
    if kind in ("number", "integer"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return False
    return None


def verdict_array_property(schema: JsonDict) -> str | None:
    """The name of the top-level array of {category, severity, confidence} objects, if any."""
    root = schema
    schema = _merge_all_of(_resolve(schema, root), root)
    for name, raw in _as_dict(schema.get("properties")).items():
        prop = _resolve(_as_dict(raw), root)
        if _type_of(prop) != "array":
            continue
        items = _resolve(_as_dict(prop.get("items")), root)
        fields = _as_dict(items.get("properties"))
        if all(field in fields for field in _VERDICT_FIELDS):
            return name
    return None


def map_category(name: str, allowed: list[str] | None) -> str | None:
    """The schema's name for a category: exact, else its parent or first child; None if absent."""
    if allowed is None or name in allowed:
        return name
    parent = name.split("/")[0]
    if parent in allowed:
        return parent
    return next((a for a in allowed if a.startswith(parent + "/")), None)


def _severity(value: str, allowed: list[str] | None) -> str:
    if allowed is None or value in allowed:
        return value
    rank = _SEVERITY_ORDER.index(value) if value in _SEVERITY_ORDER else 0
    known = [a for a in allowed if a in _SEVERITY_ORDER]
    if known:
        return min(known, key=lambda a: abs(_SEVERITY_ORDER.index(a) - rank))
    return allowed[0]


def _enum(schema: JsonDict) -> list[str] | None:
    values = schema.get("enum")
    if isinstance(values, list):
        return [v for v in values if isinstance(v, str)]
    return None


def _item(flag: Flag, items: JsonDict, root: JsonDict) -> JsonDict | None:
    props = _as_dict(items.get("properties"))
    category_schema = _resolve(_as_dict(props.get("category")), root)
    category = map_category(flag.category, _enum(category_schema))
    if category is None:
        return None
    item = _as_dict(minimal_instance(items, root))
    item["category"] = category
    item["severity"] = _severity(
        flag.severity, _enum(_resolve(_as_dict(props.get("severity")), root))
    )
    bounds = _resolve(_as_dict(props.get("confidence")), root)
    low, high = bounds.get("minimum", 0.0), bounds.get("maximum", 1.0)
    confidence = flag.confidence
    if isinstance(low, int | float):
        confidence = max(confidence, float(low))
    if isinstance(high, int | float):
        confidence = min(confidence, float(high))
    item["confidence"] = confidence
    return item


def fill_schema(schema: JsonDict, verdict: Verdict) -> object:
    """An instance of ``schema``: filled from the verdict when it has the verdict shape."""
    instance = minimal_instance(schema)
    name = verdict_array_property(schema)
    if name is None or not isinstance(instance, dict):
        return instance
    root = schema
    top = _merge_all_of(_resolve(schema, root), root)
    props = _as_dict(top.get("properties"))
    array_schema = _resolve(_as_dict(props.get(name)), root)
    items = _resolve(_as_dict(array_schema.get("items")), root)
    filled: list[JsonDict] = []
    seen: set[str] = set()
    for flag in verdict.flags:
        item = _item(flag, items, root)
        if item is not None and str(item["category"]) not in seen:
            seen.add(str(item["category"]))
            filled.append(item)
    instance[name] = filled
    rationale = _resolve(_as_dict(props.get("rationale")), root)
    if _type_of(rationale) == "string":
        instance["rationale"] = verdict.rationale
    return instance


def break_instance(instance: object, schema: JsonDict) -> object:
    """A variant of ``instance`` that fails ``schema``: a required field removed or mistyped."""
    top = _merge_all_of(_resolve(schema, schema), schema)
    required = [r for r in cast(list[object], top.get("required", [])) if isinstance(r, str)]
    if isinstance(instance, dict) and required:
        broken = {k: v for k, v in instance.items() if k != required[-1]}
        return broken
    if isinstance(instance, dict):
        return ["not", "an", "object"]
    return {"unexpected": instance}
