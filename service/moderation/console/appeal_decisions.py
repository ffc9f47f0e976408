"""Deciding an appeal: upheld or overturned, with the reason told to the appellant.

Like any decision (:func:`moderation.console.decisions.close_task`): the reviewer must hold the
claim, the task leaves ``open`` once, and the ``AppealDecision`` leaves through the outbox. The
reviewer who made the decision the appeal contests can neither claim nor decide it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from moderation.console.decisions import close_task
from moderation.console.models import QueueName, TaskState
from moderation.console.principal import Principal
from moderation.console.queue import ReviewerExcluded, TaskConflict, is_excluded, visible_task
from moderation_contracts import AppealDecision, AppealTask, AppealVerdict, dump_payload


def decide_appeal(
    session: Session,
    principal: Principal,
    task_id: str,
    *,
    outcome: AppealVerdict,
    reason: str,
    topic: str,
    now: datetime,
) -> AppealDecision:
    """Record the appeal's outcome and queue it for publishing. ``ValueError`` (from the
    contract) when the reason is empty or too long."""
    task = visible_task(session, principal, task_id)
    if task.queue != QueueName.APPEALS:
        raise TaskConflict(f"task {task_id} is not an appeal")
    if is_excluded(task, principal):
        raise ReviewerExcluded(f"you made the decision appeal task {task_id} contests")
    appeal = AppealTask.model_validate_json(task.payload).appeal
    decision = AppealDecision(
        appeal_id=appeal.appeal_id,
        task_id=task.task_id,
        content_id=task.content_id,
        tenant_id=task.tenant_id,
        reviewer_id=principal.username,
        outcome=outcome,
        reason=reason,
        decided_at=now,
    )
    close_task(
        session,
        principal,
        task,
        state=TaskState.DECIDED,
        value=dump_payload(decision),
        topic=topic,
        now=now,
        action=f"appeal_{outcome.value}",
        detail=appeal.appeal_id,
    )
    return decision
