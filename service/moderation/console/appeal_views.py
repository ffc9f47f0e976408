"""What the appeals queue shows about an appeal task (the UI and the API share the shape).

The original decision, both model verdicts behind it, its rationale and the appellant's
reason; which reviewers may not decide it; and the item's earlier tasks in this console (where
the content itself can be seen).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.console import audit
from moderation.console.models import QueueName, Task
from moderation.console.views import detail, summary, usernames, verdict_view
from moderation_contracts import AppealTask, Tier


def parsed_appeal(task: Task) -> AppealTask:
    return AppealTask.model_validate_json(task.payload)


def appeal_detail(session: Session, task: Task, now: datetime) -> dict[str, Any]:
    body = parsed_appeal(task)
    original = body.original
    verdicts = {v.tier: v for v in original.verdicts}
    names = usernames(session, {i for i in (task.claimed_by, task.decided_by) if i is not None})
    siblings = list(
        session.scalars(
            select(Task)
            .where(Task.tenant_id == task.tenant_id, Task.content_id == task.content_id)
            .order_by(Task.id)
        )
    )
    events = audit.events_for(session, [task.task_id])
    return {
        **summary(task, now, names),
        "kind": "appeal",
        "decided_by": names.get(task.decided_by) if task.decided_by else None,
        "decision": task.decision,
        "appeal": {
            "appeal_id": body.appeal.appeal_id,
            "appellant_id": body.appeal.appellant_id,
            "reason": body.appeal.reason,
            "submitted_at": body.appeal.submitted_at.isoformat(),
        },
        "original": {
            "decision_id": original.decision_id,
            "status": original.status.value,
            "decided_by": original.decided_by.value,
            "reviewer_id": original.reviewer_id,
            "categories": [c.model_dump(mode="json") for c in original.categories],
            "rationale": original.rationale,
            "reason": original.reason,
            "policy_id": original.policy_id,
            "policy_version": original.policy_version,
            "decided_at": original.decided_at.isoformat(),
        },
        "triage": verdict_view(verdicts.get(Tier.HAIKU)),
        "review": verdict_view(verdicts.get(Tier.SONNET)),
        "excluded_reviewers": list(body.excluded_reviewers),
        "history": [
            {
                "at": event.at.isoformat(),
                "actor": event.actor,
                "action": event.action,
                "task_id": event.task_id,
                "detail": event.detail,
            }
            for event in events
        ],
        "earlier_tasks": [
            {"task_id": t.task_id, "state": t.state, "queue": t.queue}
            for t in siblings
            if t.id != task.id
        ],
    }


def any_detail(session: Session, task: Task, now: datetime) -> dict[str, Any]:
    """The detail of a human-review task or of an appeal, by the task's queue."""
    if task.queue == QueueName.APPEALS:
        return appeal_detail(session, task, now)
    return detail(session, task, now)
