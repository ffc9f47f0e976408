"""Examples of the appeal and statement payloads (see :mod:`moderation_contracts.examples`)."""

from __future__ import annotations

from datetime import timedelta

from moderation_contracts.appeal import (
    Appeal,
    AppealDecision,
    AppealOutcome,
    AppealStatus,
    AppealTask,
    AppealVerdict,
)
from moderation_contracts.decision import Decision
from moderation_contracts.review import Priority
from moderation_contracts.statement import (
    AutomatedDecision,
    DecisionGround,
    DecisionVisibility,
    StatementCategory,
    StatementContentType,
    StatementOfReasons,
)

DECISION_ID = "d-7f3a9c2e41b05d6e8a1f"


def appeal(base: Decision) -> Appeal:
    """The author contests the removal."""
    return Appeal(
        appeal_id="ap-2026-000042",
        content_id=base.content_id,
        tenant_id=base.tenant_id,
        appellant_id="user-981",
        reason="I was quoting the threat I received, not making one.",
        decision_id=DECISION_ID,
        submitted_at=base.decided_at + timedelta(days=3),
    )


def appeal_task(base: Decision) -> AppealTask:
    made = appeal(base)
    return AppealTask(
        task_id="appeal-ap-2026-000042",
        appeal=made,
        original=base,
        excluded_reviewers=["rev-7"],
        priority=Priority.NORMAL,
        review_deadline=made.submitted_at + timedelta(hours=72),
        created_at=made.submitted_at + timedelta(seconds=1),
    )


def appeal_decision(base: Decision) -> AppealDecision:
    made = appeal(base)
    return AppealDecision(
        appeal_id=made.appeal_id,
        task_id="appeal-ap-2026-000042",
        content_id=made.content_id,
        tenant_id=made.tenant_id,
        reviewer_id="rev-12",
        outcome=AppealVerdict.OVERTURNED,
        reason="The comment quotes a threat in order to report it.",
        decided_at=made.submitted_at + timedelta(hours=5),
    )


def appeal_outcome(base: Decision) -> AppealOutcome:
    made = appeal(base)
    return AppealOutcome(
        appeal_id=made.appeal_id,
        content_id=made.content_id,
        tenant_id=made.tenant_id,
        appellant_id=made.appellant_id,
        status=AppealStatus.OVERTURNED,
        reason="The comment quotes a threat in order to report it.",
        decision_id=DECISION_ID,
        new_decision_id="d-0b8e5f2a9c3d7e61f4a2",
        reviewer_id="rev-12",
        submitted_at=made.submitted_at,
        decided_at=made.submitted_at + timedelta(hours=5),
    )


def statement(base: Decision) -> StatementOfReasons:
    """The statement of reasons for the removal."""
    return StatementOfReasons(
        tenant_id=base.tenant_id,
        content_id=base.content_id,
        decision_id=DECISION_ID,
        decision_visibility=[DecisionVisibility.CONTENT_REMOVED],
        decision_ground=DecisionGround.INCOMPATIBLE_CONTENT,
        incompatible_content_ground="Policy default 2026-10-01: harassment/threatening",
        incompatible_content_explanation="The content breaks the harassment/threatening rule.",
        category=StatementCategory.CYBER_VIOLENCE,
        content_type=[StatementContentType.TEXT],
        automated_detection="Yes",
        automated_decision=AutomatedDecision.PARTIALLY,
        decision_facts=base.rationale,
        application_date=base.decided_at.date().isoformat(),
        content_date=(base.submitted_at or base.decided_at).date().isoformat(),
        puid=DECISION_ID,
        created_at=base.decided_at,
    )
