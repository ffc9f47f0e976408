"""A verdict: what one tier (a model, a human, or the fallback policy) concluded about an item."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from moderation_contracts.common import (
    NO_NUL_PATTERN,
    CategoryScore,
    ContractModel,
    FreeText,
    Identifier,
    Severity,
    ShortLabel,
    Tier,
    UtcDatetime,
    utc_now,
)
from moderation_contracts.limits import MAX_CATEGORIES, MAX_RATIONALE_CHARS

Rationale = Annotated[
    str, StringConstraints(max_length=MAX_RATIONALE_CHARS, pattern=NO_NUL_PATTERN), FreeText
]


class Verdict(ContractModel):
    """The judgement of one tier against one policy version."""

    tier: Tier
    model: Identifier = Field(description="Model id, e.g. claude-haiku-4-5; 'policy' for fallback.")
    policy_id: Identifier
    policy_version: Identifier
    categories: list[CategoryScore] = Field(default_factory=list, max_length=MAX_CATEGORIES)
    flagged: bool = Field(description="True when any category crossed the policy's flag threshold.")
    rationale: Rationale = ""
    stop_reason: ShortLabel | None = Field(
        default=None, description="The model's stop_reason, e.g. tool_use, end_turn, refusal."
    )
    latency_ms: float | None = Field(default=None, ge=0.0)
    response_id: Identifier | None = Field(default=None, description="The API's message id.")
    config_id: Identifier | None = Field(
        default=None,
        description="The configuration that judged (canary rollouts; null before contract 1.1).",
    )
    from_cache: bool = Field(
        default=False, description="Reused from the verdict cache (same content and policy)."
    )
    decided_at: UtcDatetime = Field(default_factory=utc_now)

    @property
    def refused(self) -> bool:
        """The model declined to judge; the ladder treats this as a flag."""
        return self.stop_reason == "refusal"

    @property
    def max_severity(self) -> Severity | None:
        """The worst severity over all categories, or None when there are none."""
        return max((c.severity for c in self.categories), key=lambda s: s.rank, default=None)
