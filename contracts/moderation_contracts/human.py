"""The decision a trust-and-safety reviewer publishes for a human-review task."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import Field, StringConstraints, model_validator

from moderation_contracts.common import (
    NO_NUL_PATTERN,
    CategoryScore,
    FreeText,
    Identifier,
    Payload,
    UtcDatetime,
    utc_now,
)
from moderation_contracts.limits import MAX_CATEGORIES, MAX_MESSAGE_BYTES, MAX_NOTES_CHARS

Notes = Annotated[
    str, StringConstraints(max_length=MAX_NOTES_CHARS, pattern=NO_NUL_PATTERN), FreeText
]


class HumanAction(StrEnum):
    """What the reviewer decided."""

    ALLOW = "allow"
    """Final: the content stays."""
    REMOVE = "remove"
    """Final: the content is taken down; give the violated categories."""
    ESCALATE = "escalate"
    """Not final: send to a senior or specialist queue at higher priority."""


class HumanDecision(Payload):
    """A reviewer's decision on one item, keyed by ``content_id``."""

    schema_name: ClassVar[str] = "human-decision"
    max_message_bytes: ClassVar[int] = MAX_MESSAGE_BYTES

    content_id: Identifier
    tenant_id: Identifier
    task_id: Identifier | None = Field(default=None, description="The task being answered.")
    reviewer_id: Identifier
    action: HumanAction
    categories: list[CategoryScore] = Field(
        default_factory=list,
        max_length=MAX_CATEGORIES,
        description="Violated categories; required (non-empty) when action is remove.",
    )
    notes: Notes = ""
    decided_at: UtcDatetime = Field(default_factory=utc_now)

    @model_validator(mode="after")
    def _remove_names_categories(self) -> Self:
        if self.action is HumanAction.REMOVE and not self.categories:
            raise ValueError("action remove needs at least one category")
        return self
