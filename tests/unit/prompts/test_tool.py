"""The record_verdict tool keeps the exact schema the simulator and the pipeline rely on."""

from __future__ import annotations

from moderation.policy import Policy, PolicyBook
from moderation.prompts import TOOL_NAME, verdict_tool


def test_schema_has_exactly_the_agreed_shape(policy: Policy) -> None:
    tool = verdict_tool(policy)
    assert tool["name"] == TOOL_NAME == "record_verdict"
    assert "empty" in tool.get("description", "")
    assert tool["input_schema"] == {
        "type": "object",
        "properties": {
            "categories": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "category": {"type": "string", "enum": policy.category_names()},
                        "severity": {"type": "string", "enum": ["low", "medium", "high"]},
                        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    },
                    "required": ["category", "severity", "confidence"],
                    "additionalProperties": False,
                },
            },
            "rationale": {"type": "string", "maxLength": 300},
        },
        "required": ["categories", "rationale"],
        "additionalProperties": False,
    }
    assert set(tool) == {"name", "description", "input_schema"}


def test_enum_follows_the_policy_categories() -> None:
    book = PolicyBook.from_mapping(
        {"tenants": {"acme": {"version": "1", "categories": {"scams": {"description": "x"}}}}}
    )
    schema = verdict_tool(book.for_tenant("acme"))["input_schema"]
    enum = schema["properties"]["categories"]["items"]["properties"]["category"]["enum"]  # type: ignore[index]
    assert enum[-1] == "scams"
    assert len(enum) == 16


def test_tool_is_identical_across_calls(policy: Policy) -> None:
    assert verdict_tool(policy) == verdict_tool(policy)
