"""A shadow comparison: the production verdict and a candidate's, side by side, for one item.

Shadow mode runs a candidate configuration on a sample of live items after the production
verdict. The candidate never changes routing, decisions or the item's cost; what it concluded
is published here so operators can compare before they switch. No content travels here: only
categories, costs, latencies and identifiers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from moderation_contracts.common import (
    CategoryName,
    CategoryScore,
    ContractModel,
    Identifier,
    Payload,
    ShortLabel,
    UtcDatetime,
    utc_now,
)
from moderation_contracts.limits import MAX_CATEGORIES, MAX_INTERNAL_MESSAGE_BYTES


class ShadowStage(StrEnum):
    """The model stage whose judge was shadowed."""

    TRIAGE = "triage"
    REVIEW = "review"


class ShadowSide(ContractModel):
    """What one configuration concluded about the item."""

    config_id: Identifier = Field(description="The configuration's id (model, policy, settings).")
    model: Identifier | None = Field(default=None, description="Model id; null if none answered.")
    outcome: ShortLabel = Field(description="judged, refused, invalid or unavailable.")
    flagged: bool = Field(description="Any category crossed the policy's flag threshold.")
    categories: list[CategoryScore] = Field(default_factory=list, max_length=MAX_CATEGORIES)
    flagged_categories: list[CategoryName] = Field(
        default_factory=list,
        max_length=MAX_CATEGORIES,
        description="The categories that crossed the policy's flag threshold.",
    )
    route: ShortLabel = Field(description="Where the routing table sends the item on this verdict.")
    cost_usd: float = Field(default=0.0, ge=0.0)
    latency_ms: float = Field(default=0.0, ge=0.0)


class ShadowComparison(Payload):
    """Production and candidate verdicts for one item, keyed by ``content_id``."""

    schema_name: ClassVar[str] = "shadow-comparison"
    max_message_bytes: ClassVar[int] = MAX_INTERNAL_MESSAGE_BYTES

    content_id: Identifier
    tenant_id: Identifier
    stage: ShadowStage
    policy_version: Identifier | None = None
    production: ShadowSide
    candidate: ShadowSide
    agree: bool = Field(description="Both sides reach the same flagged-or-not answer.")
    flips: list[CategoryName] = Field(
        default_factory=list,
        max_length=MAX_CATEGORIES,
        description="Categories flagged by exactly one side.",
    )
    compared_at: UtcDatetime = Field(default_factory=utc_now)
