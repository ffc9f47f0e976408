"""Builders for the contract events the demo's ledger and summary read (no I/O).

A module with a unique name rather than conftest, so test files can import it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from moderation_contracts import (
    CategoryScore,
    CostBreakdown,
    Decision,
    DecisionStatus,
    EscalationReason,
    HumanReviewTask,
    ModerationRequest,
    Severity,
    Tier,
    TierCost,
    Verdict,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Events:
    """Decisions and tasks for one item, submitted at ``T0``."""

    content_id: str = "item-1"
    tenant_id: str = "demo-news"

    def request(self) -> ModerationRequest:
        return ModerationRequest(
            content_id=self.content_id, tenant_id=self.tenant_id, text="hi", submitted_at=T0
        )

    def cost(self, *tiers: tuple[Tier, int, float]) -> CostBreakdown:
        breakdown = CostBreakdown()
        for tier, calls, usd in tiers:
            model = "claude-haiku-4-5" if tier is Tier.HAIKU else "claude-sonnet-4-6"
            breakdown = breakdown.add(
                TierCost(
                    tier=tier,
                    model=model,
                    calls=calls,
                    input_tokens=100 * calls,
                    output_tokens=10 * calls,
                    cache_read_input_tokens=800 * calls,
                    cache_write_input_tokens=100 * calls,
                    cost_usd=usd,
                )
            )
        return breakdown

    def decision(
        self,
        status: DecisionStatus,
        by: Tier,
        after_s: float,
        *,
        cost: CostBreakdown | None = None,
        reason: str | None = None,
    ) -> Decision:
        return Decision(
            content_id=self.content_id,
            tenant_id=self.tenant_id,
            status=status,
            decided_by=by,
            final=status is not DecisionStatus.PENDING_REVIEW,
            policy_id="default",
            policy_version="2026.11",
            cost=cost or CostBreakdown(),
            submitted_at=T0,
            decided_at=T0 + timedelta(seconds=after_s),
            reason=reason,
        )

    def verdict(self, tier: Tier, *scores: tuple[str, Severity]) -> Verdict:
        return Verdict(
            tier=tier,
            model="claude-sonnet-4-6" if tier is Tier.SONNET else "claude-haiku-4-5",
            policy_id="default",
            policy_version="2026.11",
            categories=[CategoryScore(category=c, severity=s, confidence=0.9) for c, s in scores],
            flagged=bool(scores),
        )

    def task(
        self,
        reason: EscalationReason = EscalationReason.FLAGGED_CONFIRMED,
        *,
        review: Verdict | None = None,
        after_s: float = 1.0,
        task_id: str = "task-1",
    ) -> HumanReviewTask:
        return HumanReviewTask(
            task_id=task_id,
            request=self.request(),
            triage=None,
            review=review,
            escalation_reason=reason,
            review_deadline=T0 + timedelta(hours=4),
            created_at=T0 + timedelta(seconds=after_s),
        )
