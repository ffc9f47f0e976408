"""Work handed up the ladder: the Sonnet review request and the human-review task."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Final

from pydantic import Field, StringConstraints

from moderation_contracts.common import (
    NO_NUL_PATTERN,
    FreeText,
    Identifier,
    Payload,
    UtcDatetime,
    utc_now,
)
from moderation_contracts.cost import CostBreakdown
from moderation_contracts.limits import MAX_INTERNAL_MESSAGE_BYTES, MAX_REASON_CHARS
from moderation_contracts.request import ModerationRequest
from moderation_contracts.verdict import Verdict

TRACE_ID_PATTERN: Final = r"^[0-9a-f]{32}$"

TraceId = Annotated[str, StringConstraints(pattern=TRACE_ID_PATTERN)]
"""A W3C trace id: 32 lowercase hex digits."""

Reason = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_REASON_CHARS, pattern=NO_NUL_PATTERN),
    FreeText,
]


class ReviewRequest(Payload):
    """An item Haiku flagged (or could not judge), sent to the Sonnet tier."""

    schema_name: ClassVar[str] = "sonnet-review-request"
    max_message_bytes: ClassVar[int] = MAX_INTERNAL_MESSAGE_BYTES

    request: ModerationRequest
    triage: Verdict | None = Field(
        default=None, description="Haiku's verdict; null when Haiku was unavailable or invalid."
    )
    reason: Reason = Field(description="Why the item was flagged or escalated, for the reviewer.")
    cost: CostBreakdown = Field(default_factory=CostBreakdown)
    trace_id: TraceId | None = None
    created_at: UtcDatetime = Field(default_factory=utc_now)

    @property
    def content_id(self) -> str:
        """The item's id (the Kafka key)."""
        return self.request.content_id


class EscalationReason(StrEnum):
    """Why an item reached a human."""

    FLAGGED_CONFIRMED = "flagged_confirmed"
    """Sonnet confirmed Haiku's flag."""
    REVIEW_UNSURE = "review_unsure"
    """Sonnet's confidence was below the policy's auto-action threshold."""
    MODEL_REFUSED = "model_refused"
    """A model refused to judge (stop_reason refusal)."""
    INVALID_MODEL_OUTPUT = "invalid_model_output"
    """A model's output failed validation after its retry."""
    TIER_UNAVAILABLE = "tier_unavailable"
    """A model tier was unavailable and the policy fails closed."""
    POLICY_REQUIRES_HUMAN = "policy_requires_human"
    """The policy sends this category or action to humans regardless of the models."""
    ITEM_REJECTED_BY_API = "item_rejected_by_api"
    """The API refused this item (e.g. an image it cannot fetch or decode, an oversized request)."""


class Priority(StrEnum):
    """Review urgency; reviewer tools sort by ``rank`` (0 first)."""

    CRITICAL = "critical"
    """Imminent harm (e.g. self-harm intent, threats, minors): minutes."""
    HIGH = "high"
    """High severity confirmed by a model."""
    NORMAL = "normal"
    """Everything else flagged."""
    LOW = "low"
    """Low severity, or escalated only because a tier was unavailable."""

    @property
    def rank(self) -> int:
        """0 for critical up to 3 for low."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK: Final = {
    Priority.CRITICAL: 0,
    Priority.HIGH: 1,
    Priority.NORMAL: 2,
    Priority.LOW: 3,
}


class HumanReviewTask(Payload):
    """An item for the trust-and-safety queue, with everything the reviewer needs to decide."""

    schema_name: ClassVar[str] = "human-review-task"
    max_message_bytes: ClassVar[int] = MAX_INTERNAL_MESSAGE_BYTES

    task_id: Identifier = Field(description="Unique per task; echoed in the human decision.")
    generation: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="0 for the first task of an item; +1 each time a reviewer escalates it.",
    )
    request: ModerationRequest
    triage: Verdict | None = Field(default=None, description="Haiku's verdict, if any.")
    review: Verdict | None = Field(default=None, description="Sonnet's verdict, if any.")
    escalation_reason: EscalationReason
    reason: Reason | None = Field(default=None, description="Free-text detail for the reviewer.")
    priority: Priority = Priority.NORMAL
    review_deadline: UtcDatetime = Field(description="Decide before this time (UTC).")
    policy_id: Identifier | None = Field(
        default=None, description="The effective policy the item is judged under (set since 1.1)."
    )
    policy_version: Identifier | None = Field(
        default=None, description="Its version (set since 1.1); the final decision carries both."
    )
    cost: CostBreakdown = Field(default_factory=CostBreakdown)
    trace_id: TraceId | None = None
    created_at: UtcDatetime = Field(default_factory=utc_now)

    @property
    def content_id(self) -> str:
        """The item's id (the Kafka key)."""
        return self.request.content_id

    def overdue(self, now: datetime) -> bool:
        """Whether the review deadline has passed at ``now``."""
        return now >= self.review_deadline
