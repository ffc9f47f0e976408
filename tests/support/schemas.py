"""The verdict tool's input schema as a client would send it (three categories), for the
simulator's tests."""

from __future__ import annotations

from typing import Any

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "categories": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "category": {"type": "string", "enum": ["hate", "violence", "spam"]},
                    "severity": {"type": "string", "enum": ["low", "medium", "high"]},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                },
                "required": ["category", "severity", "confidence"],
            },
        },
        "rationale": {"type": "string"},
    },
    "required": ["categories", "rationale"],
}
