"""The decision sent back upstream: one or more per item, the last one with ``final`` true."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, model_validator

from moderation_contracts.common import (
    CategoryScore,
    Identifier,
    Payload,
    Severity,
    Tier,
    UtcDatetime,
    utc_now,
)
from moderation_contracts.cost import CostBreakdown
from moderation_contracts.limits import (
    MAX_CATEGORIES,
    MAX_INTERNAL_MESSAGE_BYTES,
    MAX_MODELS,
)
from moderation_contracts.review import Reason, TraceId
from moderation_contracts.verdict import Rationale, Verdict


class DecisionStatus(StrEnum):
    """What upstream should do with the item."""

    ALLOWED = "allowed"
    """Show it."""
    PENDING_REVIEW = "pending_review"
    """Flagged; hide or limit it until a final decision follows."""
    REMOVED = "removed"
    """Take it down."""
    REJECTED = "rejected"
    """The request broke the contract and was not moderated; ``reason`` says why. Fix and resend."""


class ContentKind(StrEnum):
    """What the moderated item held (for statements of reasons)."""

    TEXT = "text"
    IMAGE = "image"


FINAL_STATUSES = frozenset(
    {DecisionStatus.ALLOWED, DecisionStatus.REMOVED, DecisionStatus.REJECTED}
)
"""Statuses that end an item's life; ``pending_review`` is always followed by one of these."""


class Decision(Payload):
    """The moderation outcome for one item, keyed by ``content_id``."""

    schema_name: ClassVar[str] = "decision"
    max_message_bytes: ClassVar[int] = MAX_INTERNAL_MESSAGE_BYTES

    content_id: Identifier
    tenant_id: Identifier
    status: DecisionStatus
    decided_by: Tier
    final: bool = Field(description="False only for pending_review; a final decision follows.")
    categories: list[CategoryScore] = Field(default_factory=list, max_length=MAX_CATEGORIES)
    rationale: Rationale = ""
    policy_id: Identifier | None = Field(
        default=None, description="Null only for rejected requests (no policy was applied)."
    )
    policy_version: Identifier | None = None
    models: list[Identifier] = Field(
        default_factory=list,
        max_length=MAX_MODELS,
        description="Model ids whose verdicts decided the item, in call order (cached ones too).",
    )
    from_cache: bool = Field(
        default=False,
        description="A verdict behind this decision was reused from the verdict cache (no call, "
        "no cost); models still names the model that made it.",
    )
    cost: CostBreakdown = Field(default_factory=CostBreakdown)
    config_id: Identifier | None = Field(
        default=None,
        description=(
            "The configuration (models, policy, settings) that decided; differs from the "
            "baseline's for items a canary rollout routed to a candidate. Added in 1.1."
        ),
    )
    trace_id: TraceId | None = None
    submitted_at: UtcDatetime | None = Field(
        default=None, description="From the request; null only when the request was unreadable."
    )
    decided_at: UtcDatetime = Field(default_factory=utc_now)
    overturned: bool = Field(default=False, description="Sonnet cleared an item Haiku flagged.")
    reason: Reason | None = Field(
        default=None, description="Why (escalation, fallback, or the contract error for rejected)."
    )
    decision_id: Identifier | None = Field(
        default=None,
        description="Unique id of this decision (the statement of reasons' puid). Added in 1.2.",
    )
    supersedes: Identifier | None = Field(
        default=None,
        description=(
            "The decision_id of an earlier final decision this one replaces (an appeal "
            "overturned it): act on this one instead. Added in 1.2."
        ),
    )
    reviewer_id: Identifier | None = Field(
        default=None, description="The reviewer who decided (decided_by human). Added in 1.2."
    )
    content_kinds: list[ContentKind] = Field(
        default_factory=list, max_length=2, description="Text, images or both. Added in 1.2."
    )
    verdicts: list[Verdict] = Field(
        default_factory=list,
        max_length=4,
        description="The model verdicts behind the decision, in ladder order. Added in 1.2.",
    )

    @model_validator(mode="after")
    def _final_matches_status(self) -> Self:
        if self.final != (self.status in FINAL_STATUSES):
            raise ValueError(f"final must be {not self.final} when status is {self.status.value}")
        return self

    @property
    def max_severity(self) -> Severity | None:
        """The worst severity over all categories, or None when there are none."""
        return max((c.severity for c in self.categories), key=lambda s: s.rank, default=None)
