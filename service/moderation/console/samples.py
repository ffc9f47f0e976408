"""Synthetic human-review tasks for the benchmark, the tests and local tries of the console."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from moderation_contracts import (
    Attachment,
    CategoryScore,
    EscalationReason,
    HumanReviewTask,
    ImageMediaType,
    ModerationRequest,
    Priority,
    Severity,
    Tier,
    Verdict,
)

PRIORITIES = (Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW)

# A 1x1 transparent PNG: enough to test that inline images are served from our origin.
TINY_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
    )
).decode()


def verdict(tier: Tier, category: str = "harassment", confidence: float = 0.8) -> Verdict:
    return Verdict(
        tier=tier,
        model="claude-haiku-4-5" if tier is Tier.HAIKU else "claude-sonnet-4-5",
        policy_id="default",
        policy_version="2026.11",
        categories=[
            CategoryScore(category=category, severity=Severity.HIGH, confidence=confidence)
        ],
        flagged=True,
        rationale=f"looks like {category}",
        stop_reason="tool_use",
    )


def sample_task(
    n: int,
    *,
    tenant: str = "acme",
    priority: Priority | None = None,
    text: str | None = None,
    now: datetime | None = None,
    deadline_in: timedelta = timedelta(hours=4),
    image: bool = False,
    image_url: str | None = None,
    content_id: str | None = None,
    task_id: str | None = None,
) -> HumanReviewTask:
    """Task ``n``: deterministic ids, priorities cycling through all four unless given."""
    created = now or datetime.now(UTC)
    attachments = []
    if image:
        attachments.append(Attachment(data=TINY_PNG, media_type=ImageMediaType.PNG))
    if image_url:
        attachments.append(Attachment(url=image_url))
    cid = content_id or f"item-{n}"
    return HumanReviewTask(
        task_id=task_id or f"task-{tenant}-{n}",
        request=ModerationRequest(
            content_id=cid,
            tenant_id=tenant,
            text=text if text is not None else f"sample text number {n}",
            attachments=attachments,
            submitted_at=created,
        ),
        triage=verdict(Tier.HAIKU),
        review=verdict(Tier.SONNET, confidence=0.55),
        escalation_reason=EscalationReason.REVIEW_UNSURE,
        reason="Sonnet was unsure",
        priority=priority or PRIORITIES[n % len(PRIORITIES)],
        review_deadline=created + deadline_in,
        trace_id=f"{n:032x}",
        created_at=created,
    )
