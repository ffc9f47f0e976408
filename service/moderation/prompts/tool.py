"""The ``record_verdict`` tool: the only way a model answers, and the schema it must fill."""

from __future__ import annotations

from typing import Final

from anthropic.types import ToolParam

from moderation.policy import Policy

TOOL_NAME: Final = "record_verdict"
RATIONALE_MAX_CHARS: Final = 300
SEVERITIES: Final = ("low", "medium", "high")

_DESCRIPTION: Final = (
    "Record the moderation verdict for the content between the moderated_content tags. "
    "List only the categories that apply, each with a severity and a confidence from 0 to 1; "
    "an empty list means the content is clean. The rationale is one short sentence naming "
    "what in the content drove the verdict, without quoting it; leave it empty when clean."
)


def verdict_tool(policy: Policy) -> ToolParam:
    """The tool definition for ``policy``; its category enum lists the policy's categories."""
    return {
        "name": TOOL_NAME,
        "description": _DESCRIPTION,
        "input_schema": {
            "type": "object",
            "properties": {
                "categories": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "category": {"type": "string", "enum": policy.category_names()},
                            "severity": {"type": "string", "enum": list(SEVERITIES)},
                            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                        },
                        "required": ["category", "severity", "confidence"],
                        "additionalProperties": False,
                    },
                },
                "rationale": {"type": "string", "maxLength": RATIONALE_MAX_CHARS},
            },
            "required": ["categories", "rationale"],
            "additionalProperties": False,
        },
    }
