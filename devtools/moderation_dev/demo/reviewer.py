"""The scripted trust-and-safety reviewer of the demo. Pure: a task in, a decision out.

Rule: remove when the Sonnet verdict has a high-severity category, allow otherwise (including
tasks that never reached Sonnet). Deterministic, so a run can be checked against expectations.
"""

from __future__ import annotations

from datetime import datetime

from moderation_contracts import HumanAction, HumanDecision, HumanReviewTask, Severity

REVIEWER_ID = "demo-reviewer"


def answer(task: HumanReviewTask, now: datetime, reviewer_id: str = REVIEWER_ID) -> HumanDecision:
    """The reviewer's decision for one task."""
    request = task.request
    severe = [
        c for c in (task.review.categories if task.review else []) if c.severity is Severity.HIGH
    ]
    if severe:
        action = HumanAction.REMOVE
        notes = "demo reviewer: Sonnet found high severity in " + ", ".join(
            c.category for c in severe
        )
    else:
        action = HumanAction.ALLOW
        notes = "demo reviewer: no high-severity category in the Sonnet verdict"
    return HumanDecision(
        content_id=request.content_id,
        tenant_id=request.tenant_id,
        task_id=task.task_id,
        reviewer_id=reviewer_id,
        action=action,
        categories=severe,
        notes=notes,
        decided_at=now,
    )
