"""One realistic, valid example per payload, with fixed values so generated files are stable.

Used by the tests, by ``schemagen`` (contracts/examples/) and handy in other tests.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Final

from moderation_contracts import examples_appeals as appeals
from moderation_contracts.common import CategoryScore, Payload, Severity, Tier
from moderation_contracts.cost import CostBreakdown, TierCost
from moderation_contracts.deadletter import DeadLetter
from moderation_contracts.decision import ContentKind, Decision, DecisionStatus
from moderation_contracts.human import HumanAction, HumanDecision
from moderation_contracts.request import (
    Attachment,
    ImageMediaType,
    ModerationRequest,
    RequestContext,
)
from moderation_contracts.review import EscalationReason, HumanReviewTask, Priority, ReviewRequest
from moderation_contracts.shadow import ShadowComparison, ShadowSide, ShadowStage
from moderation_contracts.verdict import Verdict

T0: Final = datetime(2026, 11, 2, 9, 30, 0, tzinfo=UTC)
TRACE_ID: Final = "4bf92f3577b34da6a3ce929d0e0e4736"
PIXEL_PNG_B64: Final = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5f0000000049454e44ae426082"
    )
).decode("ascii")


def request() -> ModerationRequest:
    """A comment with text and one image by URL."""
    return ModerationRequest(
        content_id="c-2026-000123",
        tenant_id="acme",
        text="You will regret posting this.",
        attachments=[Attachment(url="https://cdn.example.com/img/123.png")],
        author_id="u-42",
        locale="en-GB",
        context=RequestContext(surface="comment", parent_id="p-99"),
        submitted_at=T0,
    )


def inline_image_request() -> ModerationRequest:
    """A request with only an inline base64 image."""
    return ModerationRequest(
        content_id="c-2026-000124",
        tenant_id="acme",
        attachments=[Attachment(data=PIXEL_PNG_B64, media_type=ImageMediaType.PNG)],
        submitted_at=T0,
    )


def triage_cost() -> TierCost:
    """One Haiku call."""
    return TierCost(
        tier=Tier.HAIKU,
        model="claude-haiku-4-5",
        calls=1,
        input_tokens=310,
        output_tokens=58,
        cache_read_input_tokens=4200,
        cost_usd=0.0010,
    )


def review_cost() -> TierCost:
    """One Sonnet call."""
    return TierCost(
        tier=Tier.SONNET,
        model="claude-sonnet-4-6",
        calls=1,
        input_tokens=900,
        output_tokens=140,
        cache_read_input_tokens=1500,
        cost_usd=0.00525,
    )


def triage_verdict() -> Verdict:
    """Haiku flags a veiled threat."""
    return Verdict(
        tier=Tier.HAIKU,
        model="claude-haiku-4-5",
        policy_id="default",
        policy_version="2026-10-01",
        categories=[
            CategoryScore(
                category="harassment/threatening", severity=Severity.MEDIUM, confidence=0.71
            )
        ],
        flagged=True,
        rationale="Implied threat directed at another user.",
        stop_reason="tool_use",
        latency_ms=412.0,
        response_id="msg_01ABC",
        decided_at=T0 + timedelta(seconds=1),
    )


def review_verdict() -> Verdict:
    """Sonnet confirms with low confidence."""
    return triage_verdict().model_copy(
        update={
            "tier": Tier.SONNET,
            "model": "claude-sonnet-4-6",
            "latency_ms": 1630.0,
            "response_id": "msg_01DEF",
            "decided_at": T0 + timedelta(seconds=4),
        }
    )


def review_request() -> ReviewRequest:
    """The flagged comment on its way to Sonnet."""
    return ReviewRequest(
        request=request(),
        triage=triage_verdict(),
        reason="harassment/threatening medium at 0.71 is above the flag threshold 0.5",
        cost=CostBreakdown().add(triage_cost()),
        trace_id=TRACE_ID,
        created_at=T0 + timedelta(seconds=1),
    )


def human_review_task() -> HumanReviewTask:
    """The comment in the reviewers' queue."""
    return HumanReviewTask(
        task_id="task-5d0c6f0e9a4b7c21e83f1a6d",
        request=request(),
        triage=triage_verdict(),
        review=review_verdict(),
        escalation_reason=EscalationReason.REVIEW_UNSURE,
        reason="Sonnet confirmed below the auto-action threshold",
        priority=Priority.HIGH,
        review_deadline=T0 + timedelta(hours=4),
        policy_id="default",
        policy_version="2026-10-01",
        cost=CostBreakdown().add(triage_cost()).add(review_cost()),
        trace_id=TRACE_ID,
        created_at=T0 + timedelta(seconds=4),
    )


def pending_decision() -> Decision:
    """The interim decision upstream receives while the item waits for review."""
    return Decision(
        content_id="c-2026-000123",
        tenant_id="acme",
        status=DecisionStatus.PENDING_REVIEW,
        decided_by=Tier.HAIKU,
        final=False,
        categories=triage_verdict().categories,
        rationale=triage_verdict().rationale,
        policy_id="default",
        policy_version="2026-10-01",
        models=["claude-haiku-4-5"],
        cost=CostBreakdown().add(triage_cost()),
        trace_id=TRACE_ID,
        submitted_at=T0,
        decided_at=T0 + timedelta(seconds=1),
        reason="flagged for review",
    )


def final_decision() -> Decision:
    """The final decision after a reviewer removed the comment."""
    return Decision(
        content_id="c-2026-000123",
        tenant_id="acme",
        status=DecisionStatus.REMOVED,
        decided_by=Tier.HUMAN,
        final=True,
        categories=[CategoryScore(category="harassment/threatening", severity=Severity.HIGH)],
        rationale="Reviewer confirmed a targeted threat.",
        policy_id="default",
        policy_version="2026-10-01",
        models=["claude-haiku-4-5", "claude-sonnet-4-6"],
        cost=CostBreakdown().add(triage_cost()).add(review_cost()),
        config_id="baseline",
        trace_id=TRACE_ID,
        submitted_at=T0,
        decided_at=T0 + timedelta(minutes=42),
        decision_id=appeals.DECISION_ID,
        reviewer_id="rev-7",
        content_kinds=[ContentKind.TEXT],
        verdicts=[triage_verdict(), review_verdict()],
    )


def human_decision() -> HumanDecision:
    """A reviewer removes the comment."""
    return HumanDecision(
        content_id="c-2026-000123",
        tenant_id="acme",
        task_id="task-5d0c6f0e9a4b7c21e83f1a6d",
        reviewer_id="rev-7",
        action=HumanAction.REMOVE,
        categories=[CategoryScore(category="harassment/threatening", severity=Severity.HIGH)],
        notes="Targeted; repeat offender.",
        decided_at=T0 + timedelta(minutes=42),
    )


def dead_letter() -> DeadLetter:
    """A request that was not JSON."""
    return DeadLetter.capture(
        b"{not json",
        b"c-2026-000125",
        error_code="invalid_json",
        error_message="moderation-request v1.0 [invalid_json]: Expecting property name",
        error_schema="moderation-request",
        source_topic="moderation.requests.v1",
        source_partition=3,
        source_offset=1834,
        stage="triage",
        headers=[("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")],
        failed_at=T0 + timedelta(seconds=1),
    )


def shadow_comparison() -> ShadowComparison:
    """A candidate triage model that clears what production flagged."""
    flagged = triage_verdict().categories
    return ShadowComparison(
        content_id="c-2026-000123",
        tenant_id="acme",
        stage=ShadowStage.TRIAGE,
        policy_version="2026-10-01",
        production=ShadowSide(
            config_id="baseline",
            model="claude-haiku-4-5",
            outcome="judged",
            flagged=True,
            categories=flagged,
            flagged_categories=[score.category for score in flagged],
            route="review",
            cost_usd=0.00091,
            latency_ms=412.0,
        ),
        candidate=ShadowSide(
            config_id="haiku-next",
            model="claude-haiku-5-5",
            outcome="judged",
            flagged=False,
            route="allow",
            cost_usd=0.00074,
            latency_ms=365.5,
        ),
        agree=False,
        flips=[score.category for score in flagged],
        compared_at=T0 + timedelta(seconds=2),
    )


def examples() -> dict[str, Payload]:
    """One example per published schema name (the final decision stands for decisions)."""
    items: list[Payload] = [
        request(),
        review_request(),
        human_review_task(),
        final_decision(),
        human_decision(),
        dead_letter(),
        shadow_comparison(),
        *appeal_examples(),
    ]
    return {type(item).schema_name: item for item in items}


def appeal_examples() -> list[Payload]:
    """The appeal and statement payloads, about the final decision above."""
    base = final_decision()
    return [
        appeals.appeal(base),
        appeals.appeal_task(base),
        appeals.appeal_decision(base),
        appeals.appeal_outcome(base),
        appeals.statement(base),
    ]


def all_examples() -> list[Payload]:
    """Every example above, for round-trip tests."""
    return [
        request(),
        inline_image_request(),
        review_request(),
        human_review_task(),
        pending_decision(),
        final_decision(),
        human_decision(),
        dead_letter(),
        shadow_comparison(),
        *appeal_examples(),
    ]
